//! `zkaudit log mirror`: copy a log's immutable tiles and check them.
//!
//! Any party — an auditor's office, a court, a journalist — can keep a full
//! copy of the log. The mirror downloads every entry bundle through the
//! C2SP `tlog-tiles` paths, decodes and signature-checks every record,
//! recomputes the Merkle tree, and accepts the log's signed checkpoint only
//! if its root is the root of what it downloaded. If the directory already
//! holds an earlier mirrored checkpoint, the new tree must contain that
//! checkpoint's tree unchanged: a rewritten history is detected without
//! trusting any proof the log serves.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use zkaudit_ledger::merkle::{self, MemoryTree};
use zkaudit_ledger::note::{Checkpoint, open_checkpoint};
use zkaudit_ledger::record::Record;
use zkaudit_ledger::tiles::{self, TILE_WIDTH, TilePath};

use crate::client::Client;

/// What a mirror run established.
#[derive(Debug)]
pub struct MirrorReport {
    /// The verified checkpoint.
    pub checkpoint: Checkpoint,
    /// Records decoded and signature-checked.
    pub records: u64,
    /// Size of the previously mirrored checkpoint that the new one extends.
    pub extends: Option<u64>,
}

/// Mirrors the log at `server` into `out`, verifying it with `log_vkey`.
pub fn mirror(server: &str, log_vkey: &str, out: &Path) -> Result<MirrorReport> {
    let client = Client::new(server);
    let note = client.get_bytes("/checkpoint")?;
    let checkpoint =
        open_checkpoint(&note, log_vkey).context("the log's checkpoint does not verify")?;
    let previous = read_previous(out, log_vkey)?;
    if let Some(prev) = &previous
        && prev.size > checkpoint.size
    {
        bail!(
            "ROLLBACK: the log now claims size {} but {} was mirrored before",
            checkpoint.size,
            prev.size
        );
    }

    let bar = progress(checkpoint.size);
    let mut tree = MemoryTree::new();
    let mut records = 0u64;
    let bundles = checkpoint.size.div_ceil(u64::from(TILE_WIDTH));
    for n in 0..bundles {
        let width = tiles::tile_width_at(checkpoint.size, 0, n)
            .context("entry bundle missing below the checkpoint size")?;
        let path = TilePath::new_entries(n, width)?.to_path();
        let bytes = client.get_bytes(&format!("/{path}"))?;
        let entries = bundle_records(&bytes, &path, n, width, &checkpoint.origin)?;
        for (entry, _) in &entries {
            tree.push(merkle::leaf_hash(entry));
        }
        records += entries.len() as u64;
        write_file(&out.join(&path), &bytes)?;
        bar.inc(entries.len() as u64);
    }
    bar.finish_and_clear();

    if tree.root() != checkpoint.root {
        bail!(
            "the entries served do NOT hash to the signed root of size {}",
            checkpoint.size
        );
    }
    let extends = match previous {
        Some(prev) => {
            let root = tree.root_at(prev.size)?;
            if root != prev.root {
                bail!(
                    "FORK: the log's first {} entries differ from the mirrored checkpoint",
                    prev.size
                );
            }
            Some(prev.size)
        }
        None => None,
    };
    write_file(&out.join("checkpoint"), &note)?;
    Ok(MirrorReport {
        checkpoint,
        records,
        extends,
    })
}

/// Decodes the entry bundle `n` (`width` entries) served at `path`: every
/// entry a record signed for the log `origin`. Returns each entry's leaf
/// bytes and record.
fn bundle_records(
    bytes: &[u8],
    path: &str,
    n: u64,
    width: u16,
    origin: &str,
) -> Result<Vec<(Vec<u8>, Record)>> {
    let entries = tiles::decode_entry_bundle(bytes)
        .with_context(|| format!("{path} is not an entry bundle"))?;
    if entries.len() != usize::from(width) {
        bail!("{path} holds {} entries, expected {width}", entries.len());
    }
    entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let index = n * u64::from(TILE_WIDTH) + i as u64;
            let record = Record::decode(&entry)
                .with_context(|| format!("entry {index} is not a valid signed record"))?;
            record
                .check_logged_in(origin)
                .with_context(|| format!("entry {index} does not belong in this log"))?;
            Ok((entry, record))
        })
        .collect()
}

/// A mirror read back from disk: its signed checkpoint and every record
/// below it, in index order.
pub struct Mirrored {
    /// The mirrored checkpoint, signature-checked.
    pub checkpoint: Checkpoint,
    /// `(index, record)` for every entry, from 0.
    pub entries: Vec<(u64, Record)>,
}

/// Reads the mirror in `dir` (made by [`mirror`]) and checks it again, as
/// a verifier that trusts nothing on disk must: the checkpoint's signature
/// with `log_vkey`, every record, and that the entries hash to its root.
pub fn read_mirror(dir: &Path, log_vkey: &str) -> Result<Mirrored> {
    let checkpoint = read_previous(dir, log_vkey)?
        .with_context(|| format!("{} holds no mirrored checkpoint", dir.display()))?;
    let mut tree = MemoryTree::new();
    let mut entries = Vec::new();
    for n in 0..checkpoint.size.div_ceil(u64::from(TILE_WIDTH)) {
        let width = tiles::tile_width_at(checkpoint.size, 0, n)
            .context("entry bundle missing below the checkpoint size")?;
        let path = TilePath::new_entries(n, width)?.to_path();
        let bytes =
            std::fs::read(dir.join(&path)).with_context(|| format!("the mirror lacks {path}"))?;
        for (entry, record) in bundle_records(&bytes, &path, n, width, &checkpoint.origin)? {
            tree.push(merkle::leaf_hash(&entry));
            entries.push((entries.len() as u64, record));
        }
    }
    if tree.root() != checkpoint.root {
        bail!(
            "the mirrored entries do NOT hash to the mirrored checkpoint's root (size {})",
            checkpoint.size
        );
    }
    Ok(Mirrored {
        checkpoint,
        entries,
    })
}

fn read_previous(out: &Path, log_vkey: &str) -> Result<Option<Checkpoint>> {
    let path = out.join("checkpoint");
    if !path.exists() {
        return Ok(None);
    }
    let note = std::fs::read(&path)?;
    let cp = open_checkpoint(&note, log_vkey)
        .with_context(|| format!("{} is not a checkpoint of this log", path.display()))?;
    Ok(Some(cp))
}

fn progress(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} mirroring [{bar:40}] {pos}/{len} entries ({per_sec}, eta {eta})",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    bar
}

fn write_file(path: &PathBuf, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}
