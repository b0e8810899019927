//! `zkaudit id …`: the holder's wallet, a local file (mode 0600) with the
//! identity secret and the credentials issued to it.

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;
use zkaudit_circuits::identity::Identity;

use crate::client::wallet::{Wallet, WalletCredential};

/// `zkaudit id …`: the holder's wallet.
#[derive(Subcommand, Debug)]
pub enum IdCommand {
    /// Make a new identity secret in a local wallet file (never sent anywhere).
    New {
        /// Wallet file to create.
        #[arg(long, default_value = "zkaudit-wallet.json")]
        wallet: PathBuf,
    },
    /// Show the identity commitment to give an issuer.
    Show {
        /// Wallet file.
        #[arg(long, default_value = "zkaudit-wallet.json")]
        wallet: PathBuf,
    },
    /// Record a credential an issuer gave you (its registry and attribute values).
    AddCredential {
        /// Wallet file.
        #[arg(long, default_value = "zkaudit-wallet.json")]
        wallet: PathBuf,
        /// Registry id.
        #[arg(long)]
        registry: String,
        /// Attribute values in the registry's schema order (repeat).
        #[arg(long = "attr", required = true)]
        attributes: Vec<u64>,
    },
}

/// Runs `zkaudit id …`.
pub fn run(cmd: IdCommand) -> Result<()> {
    match cmd {
        IdCommand::New { wallet } => {
            let identity = Identity::random(&mut rand::rngs::OsRng);
            Wallet::create(&wallet, &identity)?;
            eprintln!(
                "identity secret written to {} (mode 0600); keep it, it never leaves this machine",
                wallet.display()
            );
            println!("{}", identity.commitment());
            Ok(())
        }
        IdCommand::Show { wallet } => {
            let identity = Wallet::load(&wallet)?.identity()?;
            println!("{}", identity.commitment());
            Ok(())
        }
        IdCommand::AddCredential {
            wallet,
            registry,
            attributes,
        } => {
            let mut w = Wallet::load(&wallet)?;
            w.credentials.push(WalletCredential {
                registry,
                attributes,
            });
            w.save(&wallet)?;
            eprintln!("credential recorded in {}", wallet.display());
            Ok(())
        }
    }
}
