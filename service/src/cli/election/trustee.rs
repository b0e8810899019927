//! `zkaudit trustee …`: a trustee's key file, key ceremony and decryption.

use std::path::PathBuf;

use crate::domains::election::ElectionView;

use anyhow::Result;
use clap::{Args, Subcommand};
use zkaudit_ledger::election::DECRYPT;

use crate::client::Client;
use crate::client::election::*;

use super::{DEFAULT_SERVER, print_view};

/// `zkaudit trustee …`: a trustee's key ceremony and decryption.
#[derive(Subcommand, Debug)]
pub enum TrusteeCommand {
    /// Make a trustee key file (Ed25519 signing key and BabyJubJub secret).
    Keygen {
        /// The trustee's name.
        #[arg(long)]
        name: String,
        /// The private key file to create (mode 0600).
        #[arg(long)]
        out: PathBuf,
        /// Also write the public part (JSON) here; it is printed either way.
        #[arg(long)]
        public_out: Option<PathBuf>,
    },
    /// Deal: draw a polynomial locally and publish its commitments and encrypted shares.
    Deal(TrusteeArgs),
    /// Decrypt and check the shares dealt to you; complain about every bad one.
    Check(TrusteeArgs),
    /// Publish your partial decryption of the closed election's sums.
    Decrypt(TrusteeArgs),
}

/// The arguments of the trustee's ceremony commands.
#[derive(Args, Debug)]
pub struct TrusteeArgs {
    /// The trustee's key file.
    #[arg(long)]
    pub key: PathBuf,
    /// Election id.
    #[arg(long)]
    pub election: String,
    /// The log's base URL.
    #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
    pub server: String,
}

/// Runs `zkaudit trustee …`.
pub fn run(cmd: TrusteeCommand) -> Result<()> {
    let mut rng = rand::rngs::OsRng;
    match cmd {
        TrusteeCommand::Keygen {
            name,
            out,
            public_out,
        } => {
            let key = TrusteeKey::generate(&name, &mut rng)?;
            key.save(&out)?;
            eprintln!("trustee key written to {} (mode 0600)", out.display());
            let public = serde_json::to_string_pretty(&key.public())?;
            if let Some(path) = public_out {
                std::fs::write(&path, &public)?;
                eprintln!("public part written to {}", path.display());
            }
            println!("{public}");
            Ok(())
        }
        TrusteeCommand::Deal(a) => {
            let client = Client::new(&a.server);
            let key = TrusteeKey::load(&a.key)?;
            let spec = election_spec(&client, &a.election)?;
            let dealing = make_dealing(&spec, &key, &mut rng)?;
            let receipt = post_dealing(&client, &key, &spec.id, dealing)?;
            println!(
                "dealing of trustee {} logged at index {}",
                key.index_in(&spec)?,
                receipt.index
            );
            Ok(())
        }
        TrusteeCommand::Check(a) => {
            let client = Client::new(&a.server);
            let key = TrusteeKey::load(&a.key)?;
            let spec = election_spec(&client, &a.election)?;
            let s = check_shares(&client, &key, &spec, &mut rng)?;
            println!("shares that check: from trustees {:?}", s.good);
            if !s.complained.is_empty() {
                println!("complaints published against trustees {:?}", s.complained);
            }
            if !s.already_complained.is_empty() {
                println!(
                    "already complained about trustees {:?}",
                    s.already_complained
                );
            }
            Ok(())
        }
        TrusteeCommand::Decrypt(a) => {
            let client = Client::new(&a.server);
            let key = TrusteeKey::load(&a.key)?;
            let spec = election_spec(&client, &a.election)?;
            let record = partial_decryptions(&client, &key, &spec, &mut rng)?;
            let receipt =
                post_election_record(&client, key.signing_key(), DECRYPT, record.encode())?;
            println!(
                "partial decryption of trustee {} logged at index {}",
                key.index_in(&spec)?,
                receipt.index
            );
            let view: ElectionView = client.get(&format!("/v1/elections/{}", spec.id))?;
            if view.tally.is_some() {
                println!("the election is tallied:");
                print_view(&view);
            }
            Ok(())
        }
    }
}
