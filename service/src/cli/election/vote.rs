//! `zkaudit vote`: a voter's encrypted ballot, proved locally.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::cli::output::{ensure_writable, save_receipt};
use crate::client::Client;
use crate::client::election::*;
use crate::client::wallet::Wallet;
use zkaudit_verifier::Receipt;

use super::DEFAULT_SERVER;

/// `zkaudit vote`.
#[derive(Args, Debug)]
pub struct VoteArgs {
    /// Wallet file holding a credential in the election's registry.
    #[arg(long, default_value = "zkaudit-wallet.json")]
    pub wallet: PathBuf,
    /// Election id.
    #[arg(long)]
    pub election: String,
    /// An option to mark (repeat; none for a blank ballot if allowed):
    /// `[CONTEST:]OPTION[=POINTS]`, the contest by title or 0-based
    /// position (needed only when the label is on several contests), the
    /// option by label or 0-based position, the points 1 unless given
    /// (more in a cumulative contest): `--choose Mayor:Ada --choose
    /// Budget:parks=3`.
    #[arg(long = "choose")]
    pub choose: Vec<String>,
    /// Where proving keys are cached.
    #[arg(long, default_value = "zkaudit-keys")]
    pub keys: PathBuf,
    /// Write the receipt here.
    #[arg(long, default_value = "ballot-receipt.json")]
    pub out: PathBuf,
    /// Do not submit: write the ballot (the POST body) to --out instead.
    #[arg(long)]
    pub no_submit: bool,
    /// Cast-as-intended check: prepare the ballot, then open it instead of
    /// casting it — its choices and randomness go to --out, for
    /// `zkaudit verify --challenge` on another device. It is never cast;
    /// vote again afterwards.
    #[arg(long, conflicts_with = "no_submit")]
    pub challenge: bool,
    /// With --challenge: also publish the opened ballot on the log (spoiled:
    /// never counted, its ciphertexts never castable), so that observers
    /// can audit voting clients in bulk. It reveals nothing about the vote
    /// you will cast.
    #[arg(long, requires = "challenge")]
    pub publish: bool,
    /// The log's base URL.
    #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
    pub server: String,
}

/// Runs `zkaudit vote`.
pub fn run(a: VoteArgs) -> Result<()> {
    ensure_writable(&a.out)?;
    let wallet = Wallet::load(&a.wallet)?;
    let identity = wallet.identity()?;
    let client = Client::new(&a.server);
    let context = BallotContext::fetch(&client, &a.election, &a.keys)?;
    let credential = wallet.credential(&context.spec.registry)?;
    let choices = context.choices(&a.choose)?;
    if a.challenge {
        let opened = context.challenge(
            &identity,
            &credential.attributes,
            choices,
            &mut rand::rngs::OsRng,
        )?;
        std::fs::write(&a.out, serde_json::to_string_pretty(&opened)?)?;
        println!("ballot fingerprint {}", opened.fingerprint);
        println!(
            "challenged: this ballot is opened (choices and randomness in {}) and will never be cast",
            a.out.display()
        );
        println!(
            "check it on another device: zkaudit verify {} --challenge --server <the election's service>; then vote again",
            a.out.display()
        );
        if a.publish {
            let receipt: Receipt =
                client.post(&format!("/v1/elections/{}/spoiled", a.election), &opened)?;
            println!(
                "published as a spoiled ballot (never counted) at log index {}",
                receipt.index
            );
        }
        return Ok(());
    }
    let started = std::time::Instant::now();
    let ballot = context.ballot(
        &identity,
        &credential.attributes,
        choices,
        &mut rand::rngs::OsRng,
    )?;
    eprintln!(
        "ballot encrypted and proved in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    println!(
        "ballot fingerprint {}",
        hex::encode(BallotContext::fingerprint(&ballot))
    );
    if a.no_submit {
        std::fs::write(&a.out, serde_json::to_string_pretty(&ballot_body(&ballot))?)?;
        println!("ballot (not submitted) written to {}", a.out.display());
        return Ok(());
    }
    let receipt = cast(&client, &ballot)?;
    save_receipt(&a.out, &receipt)?;
    println!(
        "ballot accepted and logged at index {}; receipt in {}",
        receipt.index,
        a.out.display()
    );
    Ok(())
}
