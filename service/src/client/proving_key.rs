//! Proving keys, downloaded once into the holder's cache and accepted only
//! if their verifying key is the one the log records.

use std::path::Path;

use anyhow::{Context, Result, bail};
use ark_serialize::CanonicalDeserialize;
use zkaudit_prover::{Bn254, ProvingKey};
use zkaudit_verifier::groth16::PreparedKey;

use super::Client;
use crate::domains::identity::KeyView;

/// The proving key of circuit shape `shape`, from `cache` or downloaded from
/// `download` (a path of the log's API) and cached, accepted only if its
/// verifying key is the one the log records for `shape`.
pub fn proving_key(
    client: &Client,
    cache: &Path,
    shape: &str,
    download: &str,
) -> Result<(ProvingKey<Bn254>, PreparedKey)> {
    let logged: KeyView = client.get(&format!("/v1/identity/keys/{shape}"))?;
    let path = cache.join(format!("{shape}.pk"));
    let pk = match std::fs::read(&path) {
        // Our own cache: it was checked when it was downloaded.
        Ok(bytes) => ProvingKey::<Bn254>::deserialize_uncompressed_unchecked(bytes.as_slice())
            .with_context(|| format!("{} is not a proving key", path.display()))?,
        Err(_) => {
            eprintln!("downloading the proving key of {shape}…");
            let bytes = client.get_bytes(download)?;
            let pk = zkaudit_prover::read_untrusted_proving_key(&bytes)
                .context("the server's proving key is malformed or inconsistent")?;
            std::fs::create_dir_all(cache)?;
            // Written whole, then renamed: a crash never leaves half a key.
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, &bytes)?;
            std::fs::rename(&tmp, &path)?;
            pk
        }
    };
    let prepared = PreparedKey::new(pk.vk.clone())?;
    if hex::encode(prepared.digest()) != logged.vk_digest {
        bail!(
            "the proving key's verifying key (sha3-256 {}) is not the one the log records ({}); delete {} and retry",
            hex::encode(prepared.digest()),
            logged.vk_digest,
            path.display()
        );
    }
    Ok((pk, prepared))
}
