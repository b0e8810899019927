//! The service configuration file (TOML).
//!
//! ```toml
//! [log]
//! key_file = "log.key"              # signed-note private key; its name is the origin
//! max_batch = 512                   # records integrated per storage transaction
//! timestamp_window_secs = 600       # authority records must be this fresh
//!
//! [server]                          # limits of the HTTP server (these are the defaults)
//! max_body_bytes = 262144
//! header_read_timeout_secs = 10     # for a request head, and for an idle keep-alive connection's next request
//! body_timeout_secs = 30            # for a request body, from its head; later ones get 408
//! max_connection_age_secs = 300     # keep-alive expiry: closed after the request then in flight
//! max_connections = 1024            # served at once
//! max_overflow_connections = 64     # accepted beyond that only to be answered 503 (Retry-After)
//! max_uri_bytes = 8192              # longer request URIs get 414
//!
//! [[witness]]
//! url = "http://127.0.0.1:7380"
//! verifier_key = "witness.example+0123abcd+BA…"   # cosignature/v1 key
//!
//! [keys]
//! allow_development = false         # one-party Groth16 keys: development and demos only
//!
//! [proofs]
//! batch = 64                        # ballot proofs checked together (1: each alone)
//!
//! [[authority]]
//! name = "civil-registry"
//! verifier_key = "civil-registry+89ab4567+AQ…"    # from `zkaudit keygen`
//! kinds = ["identity/*", "ledger/notice"]
//! ```
//!
//! Relative paths are resolved against the directory holding the file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use zkaudit_ledger::authority::{Authority, AuthoritySet};
use zkaudit_ledger::note::{KeyType, NoteSigningKey, parse_verifier_key};

use crate::http::ServeLimits;
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
    /// Which Groth16 keys the service makes and accepts.
    #[serde(default)]
    pub keys: KeysConfig,
    /// How proofs of concurrent requests are checked.
    #[serde(default)]
    pub proofs: ProofsConfig,
}

/// `[proofs]`: how the proofs of concurrent requests (ballots) are checked.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProofsConfig {
    /// Most proofs checked together in one Groth16 batch (1 checks each on
    /// its own). A bad proof in a batch is found and refused alone.
    #[serde(default = "default_proof_batch")]
    pub batch: usize,
}

impl Default for ProofsConfig {
    fn default() -> Self {
        Self {
            batch: default_proof_batch(),
        }
    }
}

fn default_proof_batch() -> usize {
    crate::server::proof_batch::MAX_BATCH
}

/// `[keys]`: which Groth16 keys the service makes and accepts.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeysConfig {
    /// Development keys: one party's setup, made on a shape's first use —
    /// whoever ran it can forge proofs. For development and demos only
    /// (every key record, bundle and report then says DEVELOPMENT). Off, a
    /// shape's key comes from a ceremony (`zkaudit ceremony start`) or an
    /// import (`zkaudit keys import-zkey`), and claims and ballots under a
    /// logged development key are refused.
    #[serde(default)]
    pub allow_development: bool,
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

/// `[server]`: the limits of the HTTP server. The connection limits'
/// defaults are [`ServeLimits::DEFAULT`], meant for the public internet; keep
/// `max_connections + max_overflow_connections` well below the process's
/// open-file limit (`ulimit -n`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Largest request body accepted, in bytes.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Seconds allowed for a request head to arrive; also how long an idle
    /// keep-alive connection waits for its next request.
    #[serde(default = "default_header_read_timeout")]
    pub header_read_timeout_secs: u64,
    /// Seconds allowed for a request body to arrive, from its head.
    #[serde(default = "default_body_timeout")]
    pub body_timeout_secs: u64,
    /// Seconds after which a connection is closed once its current request
    /// is answered (keep-alive expiry); one still busy at twice this age is
    /// dropped.
    #[serde(default = "default_max_connection_age")]
    pub max_connection_age_secs: u64,
    /// Connections served at once.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Connections accepted beyond `max_connections` only to be answered
    /// `503 overloaded` with `Retry-After`; with these full too, the server
    /// stops accepting until a connection ends.
    #[serde(default = "default_max_overflow_connections")]
    pub max_overflow_connections: usize,
    /// Longest request URI served, in bytes; longer ones get `414`.
    #[serde(default = "default_max_uri_bytes")]
    pub max_uri_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: default_max_body(),
            header_read_timeout_secs: default_header_read_timeout(),
            body_timeout_secs: default_body_timeout(),
            max_connection_age_secs: default_max_connection_age(),
            max_connections: default_max_connections(),
            max_overflow_connections: default_max_overflow_connections(),
            max_uri_bytes: default_max_uri_bytes(),
        }
    }
}

/// Longest `max_uri_bytes`: hyper itself refuses longer URIs.
const MAX_URI_LIMIT: usize = 65_534;

impl ServerConfig {
    /// The connection limits of the serve loop.
    pub fn limits(&self) -> ServeLimits {
        ServeLimits {
            header_read_timeout: Duration::from_secs(self.header_read_timeout_secs),
            body_timeout: Duration::from_secs(self.body_timeout_secs),
            max_connection_age: Duration::from_secs(self.max_connection_age_secs),
            max_connections: self.max_connections,
            max_overflow_connections: self.max_overflow_connections,
            max_uri_bytes: self.max_uri_bytes,
        }
    }

    fn validate(&self) -> Result<()> {
        for (name, value) in [
            ("header_read_timeout_secs", self.header_read_timeout_secs),
            ("body_timeout_secs", self.body_timeout_secs),
            ("max_connection_age_secs", self.max_connection_age_secs),
        ] {
            if value == 0 {
                bail!("server.{name} must be at least 1");
            }
        }
        if self.max_connections == 0 || self.max_connections > u32::MAX as usize >> 4 {
            bail!(
                "server.max_connections must be between 1 and {}",
                u32::MAX >> 4
            );
        }
        if self.max_overflow_connections > u32::MAX as usize >> 4 {
            bail!(
                "server.max_overflow_connections must be at most {}",
                u32::MAX >> 4
            );
        }
        if !(1..=MAX_URI_LIMIT).contains(&self.max_uri_bytes) {
            bail!("server.max_uri_bytes must be between 1 and {MAX_URI_LIMIT}");
        }
        Ok(())
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
fn default_header_read_timeout() -> u64 {
    ServeLimits::DEFAULT.header_read_timeout.as_secs()
}
fn default_body_timeout() -> u64 {
    ServeLimits::DEFAULT.body_timeout.as_secs()
}
fn default_max_connection_age() -> u64 {
    ServeLimits::DEFAULT.max_connection_age.as_secs()
}
fn default_max_connections() -> usize {
    ServeLimits::DEFAULT.max_connections
}
fn default_max_overflow_connections() -> usize {
    ServeLimits::DEFAULT.max_overflow_connections
}
fn default_max_uri_bytes() -> usize {
    ServeLimits::DEFAULT.max_uri_bytes
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
        config.server.validate()?;
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

/// The origin of a development log (its key's name).
pub const DEV_LOG_ORIGIN: &str = "zkaudit.localhost/dev-log";

/// Creates a development configuration in `dir`: a fresh log key, one
/// development authority (with its key beside it) allowed to write
/// `ledger/notice`, development Groth16 keys allowed, and no witnesses.
/// Returns the config path.
pub fn create_development_config(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut rng = rand::rngs::OsRng;
    let log_key = NoteSigningKey::generate(DEV_LOG_ORIGIN, &mut rng)?;
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
        keys: KeysConfig {
            allow_development: true,
        },
        proofs: ProofsConfig::default(),
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
