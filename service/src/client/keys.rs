//! Keys as the client side reads and uses them: signed records, verifier
//! keys given inline or in a file, and 32-byte hex arguments. Key files
//! themselves are read and written by [`crate::keyfile`].

use std::path::Path;

use anyhow::{Context, Result, bail};
use zkaudit_ledger::record::{Record, RecordSigner};

pub use crate::keyfile::{read_signing_key, write_secret_file};

/// `payload` as a `domain/kind` record for the log `origin`, signed by
/// `key`, stamped now.
pub fn sign(
    origin: &str,
    key: &impl RecordSigner,
    domain: &str,
    kind: &str,
    payload: Vec<u8>,
) -> Result<Record> {
    Ok(Record::signed(
        origin,
        domain,
        kind,
        crate::clock::now_ms(),
        payload,
        key,
    )?)
}

/// A key given inline or as a path to a file holding it.
pub fn read_key_arg(arg: &str) -> Result<String> {
    let path = Path::new(arg);
    if path.is_file() {
        return Ok(std::fs::read_to_string(path)?.trim().to_owned());
    }
    if arg.contains('+') {
        return Ok(arg.to_owned());
    }
    bail!("{arg:?} is neither a verifier key nor a file holding one")
}

/// Decodes 32 bytes of hex (`what` names the argument in the error).
pub fn hex32(what: &str, s: &str) -> Result<[u8; 32]> {
    hex::decode(s)
        .ok()
        .and_then(|b| b.try_into().ok())
        .with_context(|| format!("{what} must be 32 bytes of hex"))
}

/// Writes `contents` to `path` as a private file, replacing it atomically:
/// a crash leaves the old or the new file, never a torn one.
pub fn replace_secret_file(path: &Path, contents: &str) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    if tmp.exists() {
        std::fs::remove_file(&tmp)?;
    }
    write_secret_file(&tmp, contents)?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}

/// The log's verifier key: `arg` (a key or a file holding one) if given,
/// else the one the server announces (with a note to pin it).
pub fn log_key(client: &super::Client, arg: Option<&str>) -> Result<String> {
    match arg {
        Some(a) => read_key_arg(a),
        None => {
            let info = client.get_json("/v1/log")?;
            eprintln!("note: using the log key the server announces; pin it with --log-key");
            Ok(info["verifier_key"]
                .as_str()
                .context("the server announces no log key")?
                .to_owned())
        }
    }
}
