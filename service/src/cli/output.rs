//! What the CLI keeps for its user: the receipts the log hands out, and the
//! one-line report of what was logged.
//!
//! A receipt is the user's proof that the log accepted an entry. The log
//! keeps the entry whatever happens to the client, so a receipt the CLI
//! fails to save would be an acknowledgement lost: the destination is
//! checked before anything is sent ([`ensure_writable`]), and a receipt
//! that still cannot be saved is printed rather than dropped
//! ([`save_receipt`]).

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use zkaudit_verifier::Receipt;

/// Fails, before anything is sent, unless a file can be written at `path`:
/// it is not a folder, its folder exists and takes new files, and an
/// existing file there is not read-only.
pub(crate) fn ensure_writable(path: &Path) -> Result<()> {
    if path.is_dir() {
        bail!("{} is a folder; name a file to write", path.display());
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    tempfile::NamedTempFile::new_in(folder).with_context(|| {
        format!(
            "cannot write {}: its folder {} is missing or not writable (nothing was sent)",
            path.display(),
            folder.display()
        )
    })?;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().readonly()
    {
        bail!("{} is read-only (nothing was sent)", path.display());
    }
    Ok(())
}

/// Saves `value` as pretty JSON at `path`, atomically (a temporary file in
/// the same folder, synced, then renamed over `path`). If that fails, the
/// JSON is printed on standard output so that it is not lost, and the
/// error says so.
pub(crate) fn save_receipt(path: &Path, value: &impl Serialize) -> Result<()> {
    let json = serde_json::to_string_pretty(value)?;
    if let Err(e) = write_atomically(path, json.as_bytes()) {
        println!("{json}");
        return Err(e.context(format!(
            "the log accepted the entry, but its receipt could not be saved to {}; \
             it is printed above: keep it",
            path.display()
        )));
    }
    Ok(())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(folder)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path)?;
    Ok(())
}

/// Prints `logged <what> at index N`, noting a resubmission the log
/// already held.
pub(crate) fn print_logged(what: &str, receipt: &Receipt) {
    println!(
        "logged {what} at index {}{}",
        receipt.index,
        if receipt.duplicate {
            " (already logged)"
        } else {
            ""
        }
    );
}

/// Prints a verification report as `zkaudit verify` always has: one line
/// each (`ok: …`, `note: …`, `WARNING: …`).
pub fn print_lines(lines: &[zkaudit_verifier::explain::Line]) {
    for line in lines {
        println!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_folder_or_a_folder_is_refused_before_sending() {
        let dir = tempfile::tempdir().unwrap();
        assert!(ensure_writable(&dir.path().join("receipt.json")).is_ok());
        assert!(ensure_writable(&dir.path().join("no-such/receipt.json")).is_err());
        assert!(ensure_writable(dir.path()).is_err());
        // Nothing was left behind by the check.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_receipt_that_cannot_be_saved_is_reported_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        save_receipt(&path, &serde_json::json!({"index": 7})).unwrap();
        let saved: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(saved["index"], 7);
        let err = save_receipt(
            &dir.path().join("gone/r.json"),
            &serde_json::json!({"index": 8}),
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("printed above"));
    }
}
