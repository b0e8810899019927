//! `zkaudit claim`: submits a proved claim and keeps its receipt (and, if
//! asked, its bundle for offline verification).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use crate::cli::output::{ensure_writable, save_receipt};
use crate::client::identity::claim_bundle;
use crate::client::{Client, DEFAULT_SERVER};
use crate::domains::identity::ClaimBody;

/// `zkaudit claim`.
#[derive(Args, Debug)]
pub struct ClaimArgs {
    /// The claim from `zkaudit prove eligibility`.
    #[arg(default_value = "claim.json")]
    pub claim: PathBuf,
    /// Write the receipt here.
    #[arg(long, default_value = "claim-receipt.json")]
    pub out: PathBuf,
    /// Also write the claim bundle here: the claim with every record its
    /// statement is made of, which `zkaudit verify` re-checks offline,
    /// proof included.
    #[arg(long)]
    pub bundle: Option<PathBuf>,
    /// The log's base URL.
    #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
    pub server: String,
}

/// Runs `zkaudit claim`.
pub fn run(a: ClaimArgs) -> Result<()> {
    let body: ClaimBody = serde_json::from_str(
        &std::fs::read_to_string(&a.claim)
            .with_context(|| format!("reading {}", a.claim.display()))?,
    )
    .context("not a claim from `zkaudit prove eligibility`")?;
    ensure_writable(&a.out)?;
    if let Some(path) = &a.bundle {
        ensure_writable(path)?;
    }
    let client = Client::new(&a.server);
    let receipt = client.post_json("/v1/identity/claims", &body)?;
    save_receipt(&a.out, &receipt)?;
    println!(
        "claim accepted and logged at index {}; receipt in {}",
        receipt["index"],
        a.out.display()
    );
    if let Some(path) = &a.bundle {
        let index = receipt["index"]
            .as_u64()
            .context("the receipt has no index")?;
        let bundle = claim_bundle(&client, index)?;
        std::fs::write(path, serde_json::to_string_pretty(&bundle)?)?;
        println!("claim bundle in {}", path.display());
    }
    Ok(())
}
