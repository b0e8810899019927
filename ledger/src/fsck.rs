//! An integrity check of a stored log, as Tessera's `fsck` is: every entry
//! read back, every leaf hash and record id recomputed from the leaf bytes,
//! the index of record ids checked, the tree rebuilt, and every stored
//! checkpoint's root recomputed and its signature verified.
//!
//! The C2SP tiles the service serves, and its proofs, are read from the
//! stored leaf hashes and the stored tree nodes above them; both are
//! checked against the tree rebuilt from the leaves (the first wrong or
//! missing node of each chunk of a tier is reported).

use crate::merkle::{self, Hash, MemoryTree};
use crate::note::{NoteVerifierKey, open_checkpoint};
use crate::record::{LogBindingError, Record};
use crate::store::{Store, StoreResult, read_in as read};

/// Entries read per store round trip.
const BATCH: u64 = 10_000;

/// One thing found wrong, with where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// The store returned fewer entries than its size says (a gap), or an
    /// entry under the wrong index.
    Gap {
        /// The index expected next.
        expected: u64,
        /// What came instead (`None`: nothing).
        found: Option<u64>,
    },
    /// The stored leaf hash is not the hash of the stored leaf: one of the
    /// two changed after it was written (a bit flip).
    LeafHash {
        /// The entry.
        index: u64,
    },
    /// The leaf is not a record this build can decode.
    Undecodable {
        /// The entry.
        index: u64,
        /// Why.
        reason: String,
    },
    /// The stored record id is not the id of the stored record.
    RecordId {
        /// The entry.
        index: u64,
    },
    /// The record names another log: it was never admissible here.
    ForeignRecord {
        /// The entry.
        index: u64,
        /// The log the record names.
        bound_to: String,
    },
    /// The record-id index points elsewhere (or nowhere) for this entry.
    RecordIndex {
        /// The entry.
        index: u64,
        /// Where the index points.
        points_to: Option<u64>,
    },
    /// A stored checkpoint's root is not the root of the stored leaves at
    /// its size, or its note does not say what the row says.
    CheckpointRoot {
        /// The checkpoint's size.
        size: u64,
    },
    /// A stored checkpoint's note does not carry a valid log signature.
    CheckpointSignature {
        /// The checkpoint's size.
        size: u64,
        /// Why.
        reason: String,
    },
    /// A checkpoint claims more entries than the store holds.
    CheckpointBeyondLog {
        /// The checkpoint's size.
        size: u64,
    },
    /// A stored tree node (a hash of tier ≥ 1 that proofs and tiles are
    /// served from) is missing or is not the hash of the stored leaves.
    TreeNode {
        /// The tier (tree level `8·tier`).
        tier: u8,
        /// Its position in the tier's row.
        index: u64,
    },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::Gap { expected, found } => match found {
                Some(i) => write!(f, "gap: entry {expected} expected, entry {i} found"),
                None => write!(f, "gap: entry {expected} is missing"),
            },
            Finding::LeafHash { index } => {
                write!(
                    f,
                    "entry {index}: the stored leaf hash is not the leaf's hash"
                )
            }
            Finding::Undecodable { index, reason } => {
                write!(f, "entry {index}: the leaf is not a record ({reason})")
            }
            Finding::RecordId { index } => {
                write!(
                    f,
                    "entry {index}: the stored record id is not the record's id"
                )
            }
            Finding::ForeignRecord { index, bound_to } => {
                write!(
                    f,
                    "entry {index}: the record was written for the log {bound_to:?}"
                )
            }
            Finding::RecordIndex { index, points_to } => write!(
                f,
                "entry {index}: the record-id index points to {}",
                points_to.map_or("nothing".to_owned(), |i| format!("entry {i}"))
            ),
            Finding::CheckpointRoot { size } => write!(
                f,
                "checkpoint of size {size}: its root is not the root of the stored entries"
            ),
            Finding::CheckpointSignature { size, reason } => {
                write!(f, "checkpoint of size {size}: {reason}")
            }
            Finding::TreeNode { tier, index } => write!(
                f,
                "tree node {index} of tier {tier}: missing, or not the hash of the stored entries"
            ),
            Finding::CheckpointBeyondLog { size } => {
                write!(
                    f,
                    "checkpoint of size {size}: more entries than the store holds"
                )
            }
        }
    }
}

/// What the check read and found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FsckReport {
    /// Entries read.
    pub entries: u64,
    /// Stored checkpoints checked.
    pub checkpoints: u64,
    /// The root of all stored entries.
    pub root: Hash,
    /// Everything wrong, in log order (empty: the log is sound).
    pub findings: Vec<Finding>,
}

/// Checks the log in `store` against the log's verifier key `log_vkey`,
/// calling `progress(entries read, size)` after each batch.
pub fn check_store(
    store: &dyn Store,
    log_vkey: &str,
    mut progress: impl FnMut(u64, u64),
) -> StoreResult<FsckReport> {
    let mut report = FsckReport::default();
    let mut tree = MemoryTree::new();
    // The log the records must name (a key that does not parse has no valid
    // checkpoints either; those are reported below).
    let origin = NoteVerifierKey::parse(log_vkey)
        .map(|key| key.name().to_owned())
        .unwrap_or_default();
    let size = read(store, |r| r.size())?;
    let mut next = 0;
    while next < size {
        let (start, end) = (next, (next + BATCH).min(size));
        let (entries, indexed) = read(store, |r| {
            let entries = r.entries(start, end)?;
            let ids: Vec<[u8; 32]> = entries.iter().map(|e| e.record_id).collect();
            let indexed = r.indices_of_records(&ids)?;
            Ok((entries, indexed))
        })?;
        for (entry, points_to) in entries.iter().zip(indexed) {
            let index = next;
            if entry.index != index {
                report.findings.push(Finding::Gap {
                    expected: index,
                    found: Some(entry.index),
                });
            }
            let leaf_hash = merkle::leaf_hash(&entry.leaf);
            if leaf_hash != entry.leaf_hash {
                report.findings.push(Finding::LeafHash { index });
            }
            match Record::decode(&entry.leaf) {
                Ok(record) if record.id() != entry.record_id => {
                    report.findings.push(Finding::RecordId { index });
                }
                Ok(record) => {
                    if let Err(LogBindingError::ForeignLog { bound_to, .. }) =
                        record.check_logged_in(&origin)
                    {
                        report
                            .findings
                            .push(Finding::ForeignRecord { index, bound_to });
                    }
                }
                Err(e) => report.findings.push(Finding::Undecodable {
                    index,
                    reason: e.to_string(),
                }),
            }
            if points_to != Some(index) {
                report
                    .findings
                    .push(Finding::RecordIndex { index, points_to });
            }
            // The tree is built from the leaves themselves, not the stored
            // hashes: what the log signed must follow from what it holds.
            tree.push(leaf_hash);
            next += 1;
        }
        report.entries = next;
        if next < end {
            report.findings.push(Finding::Gap {
                expected: next,
                found: None,
            });
            break;
        }
        report.entries = next;
        progress(next, size);
    }
    report.root = tree.root();
    check_tree_nodes(store, &tree, &mut report)?;
    check_checkpoints(store, log_vkey, &tree, size, &mut report)?;
    Ok(report)
}

/// Compares every stored tree node with the tree rebuilt from the leaves.
fn check_tree_nodes(
    store: &dyn Store,
    tree: &MemoryTree,
    report: &mut FsckReport,
) -> StoreResult<()> {
    for tier in 1..merkle::Frontier::tiers(tree.size()) {
        let rebuilt = tree.level_hashes(merkle::TILE_HEIGHT * u32::from(tier));
        for (chunk, expected) in rebuilt.chunks(BATCH as usize).enumerate() {
            let start = chunk as u64 * BATCH;
            let end = start + expected.len() as u64;
            let stored = read(store, |r| r.tree_row(tier, start, end))?;
            // A missing node shifts the rest of the chunk: report from there.
            let first_bad = expected
                .iter()
                .zip(&stored)
                .position(|(want, got)| want != got)
                .or((stored.len() < expected.len()).then_some(stored.len()));
            if let Some(offset) = first_bad {
                report.findings.push(Finding::TreeNode {
                    tier,
                    index: start + offset as u64,
                });
            }
        }
    }
    Ok(())
}

fn check_checkpoints(
    store: &dyn Store,
    log_vkey: &str,
    tree: &MemoryTree,
    size: u64,
    report: &mut FsckReport,
) -> StoreResult<()> {
    let latest = store.latest_checkpoint()?.map_or(0, |c| c.size);
    // Stored checkpoints are found by size: one look-up per size up to the
    // latest (no listing is needed from the backends).
    for at in 0..=latest.max(size) {
        let Some(stored) = store.checkpoint(at)? else {
            continue;
        };
        report.checkpoints += 1;
        if stored.size > tree.size() {
            report
                .findings
                .push(Finding::CheckpointBeyondLog { size: stored.size });
            continue;
        }
        match open_checkpoint(&stored.note, log_vkey) {
            Ok(signed) => {
                let root = tree.root_at(stored.size).ok();
                if root != Some(stored.root) || signed.root != stored.root || signed.size != at {
                    report
                        .findings
                        .push(Finding::CheckpointRoot { size: stored.size });
                }
            }
            Err(e) => report.findings.push(Finding::CheckpointSignature {
                size: stored.size,
                reason: e.to_string(),
            }),
        }
    }
    Ok(())
}
