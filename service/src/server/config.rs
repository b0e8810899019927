//! The service configuration file (TOML).
//!
//! ```toml
//! [log]
//! key_file = "log.key"              # signed-note private key; its name is the origin
//! max_batch = 512                   # records integrated per storage transaction
//! timestamp_window_secs = 600       # authority records must be this fresh
//!
//! [server]
//! max_body_bytes = 262144
//!
//! [[witness]]
//! url = "http://127.0.0.1:7380"
//! verifier_key = "witness.example+0123abcd+BA…"   # cosignature/v1 key
//!
//! [[authority]]
//! name = "civil-registry"
//! verifier_key = "civil-registry+89ab4567+AQ…"    # from `zkaudit keygen`
//! kinds = ["identity/*", "ledger/notice"]
//! ```
//!
//! Relative paths are resolved against the directory holding the file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use zkaudit_ledger::authority::{Authority, AuthoritySet};
use zkaudit_ledger::note::{KeyType, NoteSigningKey, parse_verifier_key};

use crate::keyfile::{read_signing_key, write_secret_file};

/// Name of the configuration file inside a data directory.
pub const CONFIG_FILE: &str = "zkaudit.toml";

/// The whole configuration file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The log itself.
    pub log: LogConfig,
    /// HTTP server limits.
    #[serde(default)]
    pub server: ServerConfig,
    /// Witnesses asked to cosign checkpoints.
    #[serde(default, rename = "witness", skip_serializing_if = "Vec::is_empty")]
    pub witnesses: Vec<WitnessConfig>,
    /// Authorities and what each may write.
    #[serde(default, rename = "authority")]
    pub authorities: Vec<AuthorityConfig>,
    /// Rate limits of the writes anyone can make.
    #[serde(default)]
    pub limits: crate::server::limits::LimitsConfig,
}

/// `[log]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// File holding the log's signed-note private key.
    pub key_file: PathBuf,
    /// Largest batch integrated in one storage transaction.
    #[serde(default = "default_max_batch")]
    pub max_batch: usize,
    /// How far an authority record's timestamp may be from the log's clock.
    #[serde(default = "default_window")]
    pub timestamp_window_secs: u64,
}

/// `[server]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Largest request body accepted, in bytes.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: default_max_body(),
        }
    }
}

/// `[[witness]]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessConfig {
    /// Base URL; `/add-checkpoint` is appended.
    pub url: String,
    /// The witness's cosignature/v1 verifier key.
    pub verifier_key: String,
}

/// `[[authority]]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorityConfig {
    /// Unique name.
    pub name: String,
    /// Signed-note Ed25519 verifier key (from `zkaudit keygen`).
    pub verifier_key: String,
    /// Kinds it may write: `"domain/kind"` or `"domain/*"`.
    pub kinds: Vec<String>,
}

fn default_max_batch() -> usize {
    512
}
fn default_window() -> u64 {
    600
}
fn default_max_body() -> usize {
    256 * 1024
}

impl Config {
    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<(Self, PathBuf)> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        let config: Config =
            toml::from_str(&text).with_context(|| format!("parsing config {}", path.display()))?;
        if config.log.max_batch == 0 {
            bail!("log.max_batch must be at least 1");
        }
        config.authority_set()?;
        let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        Ok((config, base))
    }

    /// The log key, read from `key_file` relative to `base`.
    pub fn log_key(&self, base: &Path) -> Result<NoteSigningKey> {
        read_signing_key(&base.join(&self.log.key_file))
    }

    /// The validated authority set.
    pub fn authority_set(&self) -> Result<AuthoritySet> {
        let authorities = self
            .authorities
            .iter()
            .map(|a| {
                let key = parse_verifier_key(&a.verifier_key)
                    .with_context(|| format!("verifier_key of authority {:?}", a.name))?;
                if key.key_type() != KeyType::Ed25519 {
                    bail!("authority {:?} needs an Ed25519 (type 1) key", a.name);
                }
                Ok(Authority {
                    name: a.name.clone(),
                    key: *key.public_key(),
                    grants: a.kinds.clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(AuthoritySet::new(authorities)?)
    }
}

/// Creates a development configuration in `dir`: a fresh log key, one
/// development authority (with its key beside it) allowed to write
/// `ledger/notice`, and no witnesses. Returns the config path.
pub fn create_development_config(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut rng = rand::rngs::OsRng;
    let log_key = NoteSigningKey::generate("zkaudit.localhost/dev-log", &mut rng)?;
    write_secret_file(&dir.join("log.key"), &log_key.to_skey_string())?;
    let dev_authority = NoteSigningKey::generate("dev-authority", &mut rng)?;
    write_secret_file(
        &dir.join("dev-authority.key"),
        &dev_authority.to_skey_string(),
    )?;
    let config = Config {
        log: LogConfig {
            key_file: "log.key".into(),
            max_batch: default_max_batch(),
            timestamp_window_secs: default_window(),
        },
        server: ServerConfig::default(),
        witnesses: Vec::new(),
        authorities: vec![AuthorityConfig {
            name: "dev-authority".into(),
            verifier_key: dev_authority.verifier_key_string(),
            kinds: vec!["ledger/notice".into()],
        }],
        limits: Default::default(),
    };
    let header = "# zkaudit DEVELOPMENT configuration, created by the first `zkaudit serve`.\n\
                  # The keys beside this file were generated locally for development only.\n\n";
    let path = dir.join(CONFIG_FILE);
    std::fs::write(
        &path,
        format!("{header}{}", toml::to_string_pretty(&config)?),
    )?;
    Ok(path)
}
