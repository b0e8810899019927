//! A log in memory, for building offline bundles in tests.

#![allow(dead_code)]

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use zkaudit_ledger::merkle::{MemoryTree, leaf_hash};
use zkaudit_ledger::note::{Checkpoint, NoteSigningKey, sign_checkpoint};
use zkaudit_ledger::record::Record;
use zkaudit_verifier::{LogEntry, LogEvidence};

/// Deterministic test randomness.
pub fn test_rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// The origin of every [`TestLog`]: the log its records name.
pub const LOG_ORIGIN: &str = "test.example/log";

/// An append-only log with a signing key, as the service keeps one.
pub struct TestLog {
    /// The log's key: signs checkpoints and the log's own records.
    pub key: NoteSigningKey,
    tree: MemoryTree,
    leaves: Vec<Vec<u8>>,
}

impl TestLog {
    /// An empty log named [`LOG_ORIGIN`].
    pub fn new(seed: u64) -> Self {
        Self {
            key: NoteSigningKey::generate(LOG_ORIGIN, &mut test_rng(seed)).unwrap(),
            tree: MemoryTree::new(),
            leaves: Vec::new(),
        }
    }

    /// The log's signed-note verifier key.
    pub fn vkey(&self) -> String {
        self.key.verifier_key_string()
    }

    /// Appends `record`; returns its index.
    pub fn push(&mut self, record: &Record) -> u64 {
        self.push_leaf(record.encode())
    }

    /// Appends raw leaf bytes (e.g. a forged record a lax log let in);
    /// returns its index.
    pub fn push_leaf(&mut self, leaf: Vec<u8>) -> u64 {
        self.tree.push(leaf_hash(&leaf));
        self.leaves.push(leaf);
        self.leaves.len() as u64 - 1
    }

    /// Every entry, decoded: what a mirror of the whole log holds.
    pub fn entries(&self) -> Vec<(u64, Record)> {
        (0..)
            .zip(&self.leaves)
            .map(|(i, leaf)| (i, Record::decode(leaf).unwrap()))
            .collect()
    }

    /// The receipt the log hands out for the entry at `index`, against a
    /// checkpoint of the whole log.
    pub fn receipt(&self, index: u64) -> zkaudit_verifier::Receipt {
        let evidence = self.evidence(&[index]);
        let entry = &evidence.entries[0];
        let record = Record::decode(&self.leaves[index as usize]).unwrap();
        zkaudit_verifier::Receipt {
            format: zkaudit_verifier::RECEIPT_FORMAT.to_owned(),
            origin: LOG_ORIGIN.to_owned(),
            index,
            record_id: hex::encode(record.id()),
            record: entry.record.clone(),
            inclusion_proof: entry.inclusion_proof.clone(),
            checkpoint: evidence.checkpoint.clone(),
            duplicate: false,
        }
    }

    /// Evidence for `indices` against a checkpoint of the whole log.
    pub fn evidence(&self, indices: &[u64]) -> LogEvidence {
        let size = self.leaves.len() as u64;
        let checkpoint = Checkpoint::new(self.key.name(), size, self.tree.root());
        let note = sign_checkpoint(&checkpoint, &self.key).unwrap();
        let mut indices = indices.to_vec();
        indices.sort_unstable();
        indices.dedup();
        LogEvidence::new(
            String::from_utf8(note).unwrap(),
            indices
                .iter()
                .map(|&index| {
                    LogEntry::new(
                        index,
                        &self.leaves[index as usize],
                        &self.tree.inclusion_proof(index, size).unwrap(),
                    )
                })
                .collect(),
        )
    }
}
