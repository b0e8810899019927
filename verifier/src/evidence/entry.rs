//! One logged record and its audit path: the entry of every kind of
//! evidence, and of land histories.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use zkaudit_ledger::merkle::Hash;

/// One logged record and its audit path (JSON).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LogEntry {
    /// The entry's index.
    pub index: u64,
    /// The logged record (the leaf), base64.
    pub record: String,
    /// Inclusion proof against the checkpoint of the evidence that carries
    /// the entry, hex hashes.
    pub inclusion_proof: Vec<String>,
}

impl LogEntry {
    /// The entry for `leaf` (a record's encoding) at `index`, with its
    /// audit path.
    pub fn new(index: u64, leaf: &[u8], inclusion_proof: &[Hash]) -> Self {
        Self {
            index,
            record: BASE64.encode(leaf),
            inclusion_proof: inclusion_proof.iter().map(hex::encode).collect(),
        }
    }
}

/// The inclusion proofs of `entries` by log index, as the exports to the
/// fields' standards carry them (`zkaudit_ledger::export::LogEvidence`).
pub fn proofs_by_index(entries: &[LogEntry]) -> std::collections::BTreeMap<u64, Vec<String>> {
    entries
        .iter()
        .map(|entry| (entry.index, entry.inclusion_proof.clone()))
        .collect()
}
