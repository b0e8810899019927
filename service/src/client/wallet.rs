//! The holder's identity wallet: a local file (mode 0600) holding the
//! identity secret and the credentials received. The secret never leaves
//! this machine: proofs are made locally.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use zkaudit_circuits::fr_from_decimal;
use zkaudit_circuits::identity::Identity;

use crate::keyfile::write_secret_file;

/// Format tag of wallet files.
pub const WALLET_FORMAT: &str = "zkaudit-wallet/v1";

/// The wallet file.
#[derive(Serialize, Deserialize)]
pub struct Wallet {
    /// [`WALLET_FORMAT`].
    pub format: String,
    /// The identity's secret scalar (decimal). Never leaves this file.
    pub secret_scalar: String,
    /// Credentials received.
    #[serde(default)]
    pub credentials: Vec<WalletCredential>,
}

/// A credential in the wallet.
#[derive(Clone, Serialize, Deserialize)]
pub struct WalletCredential {
    /// Registry id.
    pub registry: String,
    /// Attribute values.
    pub attributes: Vec<u64>,
}

impl Wallet {
    /// Makes a wallet for `identity` in a new file (mode 0600; it must not exist).
    pub fn create(path: &Path, identity: &Identity) -> Result<Self> {
        let wallet = Wallet {
            format: WALLET_FORMAT.into(),
            secret_scalar: identity.secret_scalar().to_string(),
            credentials: Vec::new(),
        };
        write_secret_file(path, &serde_json::to_string_pretty(&wallet)?)?;
        Ok(wallet)
    }

    /// Reads a wallet.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading wallet {}", path.display()))?;
        let wallet: Wallet = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a zkaudit wallet", path.display()))?;
        if wallet.format != WALLET_FORMAT {
            bail!("{} is not a {WALLET_FORMAT} wallet", path.display());
        }
        Ok(wallet)
    }

    /// The identity.
    pub fn identity(&self) -> Result<Identity> {
        let secret = fr_from_decimal(&self.secret_scalar)
            .map_err(|_| anyhow::anyhow!("the wallet's secret is not a canonical field element"))?;
        Identity::from_secret_scalar(secret)
            .map_err(|_| anyhow::anyhow!("the wallet's secret is not a valid identity secret"))
    }

    /// The latest credential received in `registry`.
    pub fn credential(&self, registry: &str) -> Result<&WalletCredential> {
        self.credentials
            .iter()
            .rev()
            .find(|c| c.registry == registry)
            .with_context(|| format!("the wallet has no credential in registry {registry:?}"))
    }

    /// Writes the wallet back, replacing the file.
    pub fn save(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("tmp");
        let _ = std::fs::remove_file(&tmp);
        write_secret_file(&tmp, &serde_json::to_string_pretty(self)?)?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }
}
