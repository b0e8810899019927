//! A domain's test deployment: a log key and the authorities a scenario
//! needs, written to a data directory's `zkaudit.toml`, every party's key
//! file beside it, and a `zkaudit serve` process on that directory.
//!
//! The identity, health, election, land and funds tests each set up the
//! same way and differ only in who may log what; they say that in one
//! list of [`Role`]s.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;

use super::{ServerProcess, s};

/// A party of a scenario and the record kinds it may log: none for a
/// party that is not an authority (a patient, a buyer, a trustee).
pub type Role<'a> = (&'a str, &'a [&'a str]);

/// A party's key and the file it is written to.
pub struct Party {
    /// Its name, as in the config's `[[authority]]`.
    pub name: String,
    /// Its signing key (shared, so a test can hold it while it mutates the
    /// deployment).
    pub key: Rc<NoteSigningKey>,
    /// `<tmp>/<name>.key`.
    pub file: PathBuf,
}

/// A configured and running service with its parties.
pub struct Deployment {
    // Field order is drop order: the server before its directory.
    /// The `zkaudit serve` process on [`Deployment::data`].
    pub server: ServerProcess,
    /// The parties, in the order given.
    pub parties: Vec<Party>,
    /// The log's verifier key.
    pub log_vkey: String,
    /// The log's origin: the log every record written to it names.
    pub origin: String,
    /// The service's data directory, `<tmp>/data`.
    pub data: PathBuf,
    /// The rest of the seeded randomness, for more parties.
    pub rng: ChaCha20Rng,
    /// The directory every file of the test lives in.
    pub tmp: tempfile::TempDir,
}

impl Deployment {
    /// Generates, from `seed`, the log key `log_name` and then one key a
    /// role; writes the config granting each role its kinds, and every
    /// key's file; starts `zkaudit serve` on it. Development Groth16 keys
    /// are allowed, as in a development configuration.
    pub fn start(seed: u64, log_name: &str, roles: &[Role]) -> Self {
        Self::start_with(seed, log_name, roles, "[keys]\nallow_development = true\n")
    }

    /// [`Deployment::start`] with `extra` in the config instead of the
    /// development-key switch (`""`: a production configuration).
    pub fn start_with(seed: u64, log_name: &str, roles: &[Role], extra: &str) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let log = NoteSigningKey::generate(log_name, &mut rng).unwrap();
        std::fs::write(data.join("log.key"), log.to_skey_string().as_bytes()).unwrap();
        let mut config = format!("[log]\nkey_file = \"log.key\"\n\n{extra}");
        let mut parties = Vec::new();
        for (name, kinds) in roles {
            let key = NoteSigningKey::generate(name, &mut rng).unwrap();
            let file = tmp.path().join(format!("{name}.key"));
            std::fs::write(&file, key.to_skey_string().as_bytes()).unwrap();
            if !kinds.is_empty() {
                let kinds: Vec<String> = kinds.iter().map(|k| format!("\"{k}\"")).collect();
                config.push_str(&format!(
                    "\n[[authority]]\nname = \"{name}\"\nverifier_key = \"{}\"\nkinds = [{}]\n",
                    key.verifier_key_string(),
                    kinds.join(", ")
                ));
            }
            parties.push(Party {
                name: (*name).to_owned(),
                key: Rc::new(key),
                file,
            });
        }
        std::fs::write(data.join("zkaudit.toml"), config).unwrap();
        let server = ServerProcess::start(&data, &[]);
        Self {
            server,
            parties,
            log_vkey: log.verifier_key_string(),
            origin: log_name.to_owned(),
            data,
            rng,
            tmp,
        }
    }

    fn party(&self, name: &str) -> &Party {
        self.parties
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no party {name}"))
    }

    /// The signing key of the party `name`.
    pub fn key(&self, name: &str) -> Rc<NoteSigningKey> {
        self.party(name).key.clone()
    }

    /// The key file of the party `name`, as a command-line argument.
    pub fn key_file(&self, name: &str) -> &str {
        s(&self.party(name).file)
    }

    /// A fresh key, not in the config, from the deployment's randomness.
    pub fn new_key(&mut self, name: &str) -> NoteSigningKey {
        NoteSigningKey::generate(name, &mut self.rng).unwrap()
    }

    /// `<tmp>/<name>`: where a test keeps its files.
    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// The test directory.
    pub fn dir(&self) -> &Path {
        self.tmp.path()
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.server.base
    }

    /// Signs `payload` as a `domain/kind` record by `key`, dated now, and
    /// appends it; returns the status and the JSON answer.
    pub fn post(
        &self,
        key: &NoteSigningKey,
        domain: &str,
        kind: &str,
        payload: Vec<u8>,
    ) -> (u16, serde_json::Value) {
        let record =
            Record::signed(&self.origin, domain, kind, super::now_ms(), payload, key).unwrap();
        self.server.post_record(&record)
    }
}
