//! `zkaudit id …`: the holder's wallet, a local file (mode 0600) with the
//! identity secret and the credentials issued to it.

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;
use zkaudit_circuits::identity::Identity;

use crate::client::identity::attributes_from_fhir;
use crate::client::wallet::{Wallet, WalletCredential};
use crate::client::{Client, DEFAULT_SERVER};

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
        #[arg(
            long = "attr",
            required_unless_present = "from_fhir",
            conflicts_with = "from_fhir"
        )]
        attributes: Vec<u64>,
        /// Read the attributes from the FHIR `Immunization` (JSON) the
        /// credential was issued from, by the registry's attribute names.
        #[arg(long)]
        from_fhir: Option<PathBuf>,
        /// The log's base URL (to read the registry's attribute names).
        #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
        server: String,
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
            from_fhir,
            server,
        } => {
            let attributes = match from_fhir {
                Some(file) => attributes_from_fhir(&Client::new(&server), &registry, &file)?,
                None => attributes,
            };
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
