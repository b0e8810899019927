//! Development setup and the on-disk key cache.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, ProvingKey, VerifyingKey};
use ark_relations::gr1cs::ConstraintSynthesizer;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use ark_snark::SNARK;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha3::{Digest, Sha3_256};
use zkaudit_verifier::groth16::{self, PreparedKey};

use crate::iden3::{ContributionKind, R1cs, Zkey};
use crate::{CircomReduction, ProverError, Result};

/// The `format` of a [`KeyManifest`].
pub const KEY_MANIFEST_FORMAT: &str = "zkaudit/v1/groth16-keys";

/// Makes circuit-specific Groth16 keys for the shape of `blank_circuit` (a
/// circuit without assignments) — **development keys**.
///
/// The setup's toxic waste (`τ, α, β, γ, δ`) is drawn from `rng` inside this
/// process: whoever controls `rng` (or, with a seeded RNG, knows the seed)
/// can forge proofs for the shape. Fine for development and tests; in
/// production use keys from a multi-party ceremony (planned; one honest
/// contributor suffices). Every call logs a warning saying so.
pub fn setup_development<C, R>(
    blank_circuit: C,
    rng: &mut R,
) -> Result<(ProvingKey<Bn254>, VerifyingKey<Bn254>)>
where
    C: ConstraintSynthesizer<Fr>,
    R: RngCore + CryptoRng,
{
    tracing::warn!(
        "generating DEVELOPMENT Groth16 keys: this process saw the toxic waste and \
         could forge proofs; production keys must come from a multi-party ceremony"
    );
    Ok(<Groth16<Bn254, CircomReduction> as SNARK<Fr>>::circuit_specific_setup(blank_circuit, rng)?)
}

/// A circuit shape's keys: proving key, verifying key and the verifying key
/// prepared for verification (with its digest).
#[derive(Clone)]
pub struct Keys {
    /// The proving key.
    pub pk: ProvingKey<Bn254>,
    /// The verifying key (equal to `pk.vk`).
    pub vk: VerifyingKey<Bn254>,
    /// `vk` prepared, with its digest.
    pub prepared: PreparedKey,
}

impl Keys {
    /// Wraps a proving key, checking and preparing its verifying key.
    pub fn from_proving_key(pk: ProvingKey<Bn254>) -> Result<Self> {
        let vk = pk.vk.clone();
        let prepared = PreparedKey::new(vk.clone())?;
        Ok(Self { pk, vk, prepared })
    }

    /// The verifying key's digest (see [`groth16::vk_digest`]).
    pub fn vk_digest(&self) -> [u8; 32] {
        self.prepared.digest()
    }
}

/// Reads a proving key obtained from someone else (a downloaded key) and
/// checks what can be checked without the setup's secrets: every point on
/// its curve and in the prime-order subgroup (a malformed key could
/// otherwise make proofs that leak the witness through small-subgroup
/// points), and that the key's `β` and `δ` in G1 match the verifying key's
/// in G2 (`e(β₁, δ₂) = e(δ₁, β₂)`). It does not prove the
/// key was made honestly — only a ceremony transcript can — so callers must
/// also compare [`groth16::vk_digest`] of `pk.vk` with the logged digest,
/// and verify the proofs they make before sending them.
pub fn read_untrusted_proving_key(bytes: &[u8]) -> Result<ProvingKey<Bn254>> {
    use ark_ec::pairing::Pairing;

    let pk = ProvingKey::<Bn254>::deserialize_with_mode(bytes, Compress::No, Validate::Yes)?;
    // The setup's generators g₁, g₂ are random and unpublished, so pair the
    // key's own elements: e(β·g₁, δ·g₂) = e(δ·g₁, β·g₂).
    if Bn254::pairing(pk.beta_g1, pk.vk.delta_g2) != Bn254::pairing(pk.delta_g1, pk.vk.beta_g2) {
        return Err(ProverError::InconsistentKey(
            "the proving key's beta and delta in G1 do not match the verifying key's in G2".into(),
        ));
    }
    Ok(pk)
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys")
            .field("vk_digest", &hex::encode(self.vk_digest()))
            .field("num_public_inputs", &self.prepared.num_public_inputs())
            .finish_non_exhaustive()
    }
}

/// The manifest `<shape_id>.json` of a [`KeyCache`] entry.
///
/// Written last when an entry is created: an entry exists once its manifest
/// does, and the manifest's digests pin the two key files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyManifest {
    /// [`KEY_MANIFEST_FORMAT`].
    pub format: String,
    /// The circuit shape.
    pub shape_id: String,
    /// `"bn254"`.
    pub curve: String,
    /// Whether the keys are development keys: from [`setup_development`],
    /// or a `.zkey` without any phase-2 contribution.
    pub development: bool,
    /// Where imported keys came from ([`KeyCache::import_zkey`]); absent for
    /// keys made here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zkey: Option<ZkeySource>,
    /// Hex of the verifying key's digest ([`groth16::vk_digest`]), the value
    /// the log records.
    pub vk_digest: String,
    /// Hex of the plain SHA3-256 of the `.pk` file, so `sha3sum -a 256`
    /// checks it too.
    pub pk_sha3_256: String,
    /// Size of the `.pk` file (arkworks uncompressed).
    pub pk_bytes: u64,
    /// Size of the `.vk` file (arkworks compressed).
    pub vk_bytes: u64,
    /// Public inputs of the statement.
    pub num_public_inputs: usize,
    /// Creation time, RFC 3339 in UTC.
    pub created_at: String,
    /// Creation time, seconds since the Unix epoch.
    pub created_unix: u64,
}

/// The `.zkey` file imported keys came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZkeySource {
    /// Hex of the SHA3-256 of the `.zkey` file.
    pub zkey_sha3_256: String,
    /// Hex of snarkjs' circuit hash (`csHash`, BLAKE2b-512 of the initial
    /// key), as `snarkjs zkey verify` prints it.
    pub circuit_hash: String,
    /// The phase-2 contributors' names in order (`""` for an unnamed one);
    /// a beacon is named `beacon`.
    pub contributions: Vec<String>,
}

/// Groth16 keys cached in a directory, one entry per circuit shape:
///
/// - `<shape_id>.pk`: the proving key, arkworks **uncompressed**
///   serialization (loads without square roots);
/// - `<shape_id>.vk`: the verifying key, arkworks compressed
///   ([`groth16::encode_vk`]), always fully validated on load;
/// - `<shape_id>.json`: the [`KeyManifest`].
///
/// Loading the proving key skips arkworks' point validation (curve and
/// subgroup checks of every point, the bulk of the load time) because the
/// file's SHA3-256 must equal the manifest's `pk_sha3_256`, recorded when
/// this cache serialized a key it had just generated. That catches
/// truncation and corruption; it does not defend against someone who can
/// write the directory, who could replace all three files (the digest the
/// log records is what pins the verifying key). Its embedded verifying key
/// must also equal the `.vk` file's.
///
/// Every file is written atomically (temporary file, fsync, rename, fsync of
/// the directory), the manifest last. Threads of one process creating the
/// same shape are serialized and all get the keys that were stored. One
/// process should create a shape's keys (`zkaudit setup`); if two processes
/// race, each writes a consistent set, but the files may end up mixed and
/// the next load reports [`ProverError::CorruptKey`].
#[derive(Clone, Debug)]
pub struct KeyCache {
    dir: PathBuf,
}

impl KeyCache {
    /// A cache over `dir` (created when the first keys are stored).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The paths of `shape_id`'s `.pk`, `.vk` and `.json` files.
    pub fn paths(&self, shape_id: &str) -> Result<[PathBuf; 3]> {
        check_shape_id(shape_id)?;
        Ok(["pk", "vk", "json"].map(|ext| self.dir.join(format!("{shape_id}.{ext}"))))
    }

    /// Loads `shape_id`'s keys, or makes development keys from `blank()`
    /// (with the operating system's RNG) and stores them.
    pub fn load_or_create<C, F>(&self, shape_id: &str, blank: F) -> Result<Keys>
    where
        C: ConstraintSynthesizer<Fr>,
        F: FnOnce() -> C,
    {
        self.load_or_create_with_rng(shape_id, blank, &mut rand::rngs::OsRng)
    }

    /// [`load_or_create`](Self::load_or_create) drawing the setup's
    /// randomness from `rng` (deterministic keys for tests).
    pub fn load_or_create_with_rng<C, F, R>(
        &self,
        shape_id: &str,
        blank: F,
        rng: &mut R,
    ) -> Result<Keys>
    where
        C: ConstraintSynthesizer<Fr>,
        F: FnOnce() -> C,
        R: RngCore + CryptoRng,
    {
        if let Some(keys) = self.load(shape_id)? {
            return Ok(keys);
        }
        // Threads of this process create keys one at a time and re-check
        // under the lock, so concurrent callers get the same keys.
        static CREATE: Mutex<()> = Mutex::new(());
        let _guard = CREATE.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(keys) = self.load(shape_id)? {
            return Ok(keys);
        }
        let (pk, _) = setup_development(blank(), rng)?;
        Ok(self.store(shape_id, pk, None)?.0)
    }

    /// Imports a snarkjs Groth16 `.zkey` (from a `snarkjs`/p0tion ceremony
    /// over the `.r1cs` that [`R1cs::of_circuit`] exports for `blank()`) as
    /// `shape_id`'s keys, after checking every point
    /// ([`Zkey::from_bytes`]) and that the key is for exactly this circuit
    /// ([`Zkey::check_circuit`]). A key without phase-2 contributions is
    /// stored as a development key (its δ is the generator: anyone could
    /// forge proofs).
    ///
    /// The import does not check the ceremony's transcript (`snarkjs zkey
    /// verify` does, against the phase-1 file); compare the printed
    /// verifying key digest with the ceremony's published one.
    ///
    /// # Errors
    ///
    /// [`ProverError::Format`] for a malformed key or one for another
    /// circuit, and [`ProverError::KeysExist`] if `shape_id` already has
    /// keys (delete them first: the logged key would change).
    pub fn import_zkey<C: ConstraintSynthesizer<Fr>>(
        &self,
        shape_id: &str,
        blank: C,
        zkey_bytes: &[u8],
    ) -> Result<(Keys, KeyManifest)> {
        check_shape_id(shape_id)?;
        if self.manifest(shape_id)?.is_some() {
            return Err(ProverError::KeysExist(shape_id.into()));
        }
        let zkey = Zkey::from_bytes(zkey_bytes)?;
        zkey.check_circuit(&R1cs::of_circuit(blank)?)?;
        let source = ZkeySource {
            zkey_sha3_256: hex::encode(sha3_256(zkey_bytes)),
            circuit_hash: zkey
                .mpc
                .as_ref()
                .map(|m| hex::encode(m.cs_hash))
                .unwrap_or_default(),
            contributions: zkey
                .mpc
                .iter()
                .flat_map(|m| &m.contributions)
                .map(|c| match c.kind {
                    ContributionKind::Beacon { .. } => "beacon".to_owned(),
                    ContributionKind::Contributor => c.name.clone().unwrap_or_default(),
                })
                .collect(),
        };
        self.store(shape_id, zkey.pk, Some(source))
    }

    /// Reads `shape_id`'s manifest, `None` if the entry does not exist.
    pub fn manifest(&self, shape_id: &str) -> Result<Option<KeyManifest>> {
        let [_, _, manifest_path] = self.paths(shape_id)?;
        let Some(bytes) = read_optional(&manifest_path)? else {
            return Ok(None);
        };
        let manifest: KeyManifest = serde_json::from_slice(&bytes)
            .map_err(|e| corrupt(&manifest_path, format!("unreadable manifest: {e}")))?;
        if manifest.format != KEY_MANIFEST_FORMAT {
            return Err(corrupt(
                &manifest_path,
                format!(
                    "format {:?}, expected {KEY_MANIFEST_FORMAT:?}",
                    manifest.format
                ),
            ));
        }
        if manifest.shape_id != shape_id {
            return Err(corrupt(
                &manifest_path,
                format!("manifest is for shape {:?}", manifest.shape_id),
            ));
        }
        Ok(Some(manifest))
    }

    /// Loads `shape_id`'s keys, `None` if the entry does not exist; checks
    /// both key files against the manifest (see [`KeyCache`]).
    pub fn load(&self, shape_id: &str) -> Result<Option<Keys>> {
        let Some(manifest) = self.manifest(shape_id)? else {
            return Ok(None);
        };
        let [pk_path, vk_path, _] = self.paths(shape_id)?;

        let vk_bytes = read(&vk_path)?;
        let vk = groth16::decode_vk(&vk_bytes).map_err(|e| corrupt(&vk_path, e.to_string()))?;
        let prepared =
            PreparedKey::new(vk.clone()).map_err(|e| corrupt(&vk_path, e.to_string()))?;
        if hex::encode(prepared.digest()) != manifest.vk_digest {
            return Err(corrupt(
                &vk_path,
                "verifying key digest differs from the manifest",
            ));
        }

        let pk_bytes = read(&pk_path)?;
        if hex::encode(sha3_256(&pk_bytes)) != manifest.pk_sha3_256 {
            return Err(corrupt(&pk_path, "SHA3-256 differs from the manifest"));
        }
        // Validation skipped: the digest matched (see the type's documentation).
        let mut reader = pk_bytes.as_slice();
        let pk =
            ProvingKey::<Bn254>::deserialize_with_mode(&mut reader, Compress::No, Validate::No)
                .map_err(|e| corrupt(&pk_path, e.to_string()))?;
        if !reader.is_empty() {
            return Err(corrupt(&pk_path, "trailing bytes"));
        }
        if pk.vk != vk {
            return Err(corrupt(
                &pk_path,
                "embedded verifying key differs from the .vk file",
            ));
        }
        if manifest.development {
            tracing::warn!(
                shape_id,
                vk_digest = %manifest.vk_digest,
                "using DEVELOPMENT Groth16 keys; production keys must come from a multi-party ceremony"
            );
        }
        Ok(Some(Keys { pk, vk, prepared }))
    }

    /// Stores keys for `shape_id` (development keys unless imported from a
    /// `.zkey` with contributions) and returns them with their manifest.
    fn store(
        &self,
        shape_id: &str,
        pk: ProvingKey<Bn254>,
        zkey: Option<ZkeySource>,
    ) -> Result<(Keys, KeyManifest)> {
        let [pk_path, vk_path, manifest_path] = self.paths(shape_id)?;
        let keys = Keys::from_proving_key(pk)?;

        let mut pk_bytes = Vec::with_capacity(keys.pk.uncompressed_size());
        keys.pk.serialize_uncompressed(&mut pk_bytes)?;
        let vk_bytes = groth16::encode_vk(&keys.vk);
        let created = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let manifest = KeyManifest {
            format: KEY_MANIFEST_FORMAT.into(),
            shape_id: shape_id.into(),
            curve: "bn254".into(),
            development: zkey.as_ref().is_none_or(|z| z.contributions.is_empty()),
            zkey,
            vk_digest: hex::encode(keys.vk_digest()),
            pk_sha3_256: hex::encode(sha3_256(&pk_bytes)),
            pk_bytes: pk_bytes.len() as u64,
            vk_bytes: vk_bytes.len() as u64,
            num_public_inputs: keys.prepared.num_public_inputs(),
            created_at: rfc3339_utc(created),
            created_unix: created,
        };
        let mut manifest_bytes =
            serde_json::to_vec_pretty(&manifest).expect("a manifest serializes to JSON");
        manifest_bytes.push(b'\n');

        fs::create_dir_all(&self.dir).map_err(|e| io_error(&self.dir, e))?;
        write_atomic(&pk_path, &pk_bytes)?;
        write_atomic(&vk_path, &vk_bytes)?;
        write_atomic(&manifest_path, &manifest_bytes)?;
        tracing::info!(
            shape_id,
            vk_digest = %manifest.vk_digest,
            pk_bytes = manifest.pk_bytes,
            vk_bytes = manifest.vk_bytes,
            development = manifest.development,
            "stored Groth16 keys"
        );
        Ok((keys, manifest))
    }
}

fn check_shape_id(shape_id: &str) -> Result<()> {
    let ok = (1..=128).contains(&shape_id.len())
        && shape_id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && shape_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ProverError::InvalidShapeId(shape_id.into()))
    }
}

fn sha3_256(bytes: &[u8]) -> [u8; 32] {
    Sha3_256::digest(bytes).into()
}

fn io_error(path: &Path, source: io::Error) -> ProverError {
    ProverError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn corrupt(path: &Path, reason: impl Into<String>) -> ProverError {
    ProverError::CorruptKey {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => corrupt(path, "missing (the manifest exists)"),
        _ => io_error(path, e),
    })
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(path, e)),
    }
}

/// Writes `bytes` to `path` atomically: a fresh temporary file in the same
/// directory, fsync, rename over `path`, fsync of the directory.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| io_error(&tmp, e))?;
        file.write_all(bytes).map_err(|e| io_error(&tmp, e))?;
        file.sync_all().map_err(|e| io_error(&tmp, e))?;
        drop(file);
        fs::rename(&tmp, path).map_err(|e| io_error(path, e))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        // Best effort: the temporary file may already be gone.
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Makes a rename in `dir` durable (on Unix; elsewhere directories cannot
/// be opened and renames are left to the file system).
fn sync_dir(dir: &Path) -> Result<()> {
    if cfg!(unix) {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_error(dir, e))?;
    }
    Ok(())
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the Unix epoch (proleptic
/// Gregorian calendar; Howard Hinnant's `civil_from_days`).
fn rfc3339_utc(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let secs = unix_secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3_600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_matches_known_dates() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339_utc(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn shape_ids_name_files_only() {
        for ok in ["eligibility-v1", "a", "vote.3_of_5", "X9"] {
            assert!(check_shape_id(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".hidden",
            "../x",
            "a/b",
            "a b",
            "-x",
            "é",
            &"a".repeat(129),
        ] {
            assert!(check_shape_id(bad).is_err(), "{bad:?}");
        }
    }
}
