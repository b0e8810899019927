//! Key files on disk: signed-note private keys, written readable by their
//! owner only and never echoed in an error. Shared by the server (the log's
//! key) and the client side (authorities, holders, trustees).

use std::path::Path;

use anyhow::{Context, Result};
use zkaudit_ledger::note::NoteSigningKey;

/// Reads a signed-note private key file.
pub fn read_signing_key(path: &Path) -> Result<NoteSigningKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading key file {}", path.display()))?;
    // Never echo the key material: the error says which file, not what is in it.
    NoteSigningKey::from_skey_str(text.trim())
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| {
            format!(
                "key file {} is not a signed-note private key",
                path.display()
            )
        })
}

/// Writes a private key file readable by its owner only.
pub fn write_secret_file(path: &Path, contents: &str) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    Ok(())
}
