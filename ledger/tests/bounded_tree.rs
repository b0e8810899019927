//! The sequencer's tree in bounded memory, on a real SQLite log: a log
//! reopened answers every root and proof as the full in-memory tree does,
//! without rebuilding; a log written before tree nodes were stored has them
//! filled in when it opens; a tampered frontier is refused at open; and a
//! batch that fails to commit leaves the tree as it was.

#![cfg(feature = "sqlite")]

mod common;

use std::sync::Arc;

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use zkaudit_ledger::merkle::{MemoryTree, SubtreeHashes};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::sequencer::{Sequencer, SequencerError};
use zkaudit_ledger::store::Store;
use zkaudit_ledger::store::sqlite::{DB_FILE_NAME, SqliteStore};

fn log_key() -> NoteSigningKey {
    NoteSigningKey::generate("bounded.test/log", &mut ChaCha20Rng::seed_from_u64(5)).unwrap()
}

fn open(dir: &tempfile::TempDir) -> Result<Sequencer, SequencerError> {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    Sequencer::open(store, log_key())
}

/// Appends notices `from..to` in batches of `batch`.
fn append(sequencer: &Sequencer, from: u64, to: u64, batch: u64) {
    let author = NoteSigningKey::generate("author", &mut ChaCha20Rng::seed_from_u64(6)).unwrap();
    common::append_notices(sequencer, &author, from, to, batch);
}

/// The full tree of the stored leaf hashes, for reference.
fn reference(sequencer: &Sequencer) -> MemoryTree {
    let size = sequencer.latest_checkpoint().size;
    sequencer
        .store()
        .leaf_hashes(0, size)
        .unwrap()
        .into_iter()
        .collect()
}

/// Roots, inclusion and consistency proofs at random sizes and indices,
/// and every leaf of the last tile, match the reference tree.
fn assert_proves_like(sequencer: &Sequencer, full: &MemoryTree, rng: &mut ChaCha20Rng) {
    let size = full.size();
    sequencer.with_tree(|tree, latest| {
        assert_eq!(latest.size, size);
        assert_eq!(tree.root_at(size).unwrap(), latest.root);
        for _ in 0..200 {
            let at = 1 + rng.next_u64() % size;
            let index = rng.next_u64() % at;
            let old = 1 + rng.next_u64() % at;
            assert_eq!(tree.root_at(at).unwrap(), full.root_at(at).unwrap());
            assert_eq!(
                tree.inclusion_proof(index, at).unwrap(),
                full.inclusion_proof(index, at).unwrap(),
                "inclusion of {index} at {at}"
            );
            assert_eq!(
                tree.consistency_proof(old, at).unwrap(),
                full.consistency_proof(old, at).unwrap(),
                "consistency {old} to {at}"
            );
        }
        for index in size.saturating_sub(300)..size {
            assert_eq!(tree.leaf(index).unwrap(), full.leaf(index).unwrap());
        }
        assert!(tree.inclusion_proof(size, size).is_err());
        assert!(tree.root_at(size + 1).is_err());
    });
}

#[test]
fn a_reopened_log_proves_like_the_full_tree() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let sequencer = open(&dir).unwrap();
    // Past 256² entries, so that three tiers are in use.
    append(&sequencer, 0, 66_000, 1_000);
    let full = reference(&sequencer);
    assert_proves_like(&sequencer, &full, &mut rng);
    drop(sequencer);

    let reopened = open(&dir).unwrap();
    assert_proves_like(&reopened, &full, &mut rng);
    // It goes on appending where it stopped, and still agrees.
    append(&reopened, 66_000, 66_700, 97);
    let full = reference(&reopened);
    assert_proves_like(&reopened, &full, &mut rng);
}

#[test]
fn a_log_without_tree_nodes_has_them_filled_when_it_opens() {
    let dir = tempfile::tempdir().unwrap();
    let sequencer = open(&dir).unwrap();
    append(&sequencer, 0, 70_000, 5_000);
    let full = reference(&sequencer);
    drop(sequencer);
    // As a store of schema version 1 was: no tree nodes at all.
    let db = rusqlite::Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
    db.execute_batch("DROP TABLE tree_nodes; UPDATE meta SET value = 1")
        .unwrap();

    let reopened = open(&dir).unwrap();
    let row = |tier| {
        let store = reopened.store();
        zkaudit_ledger::store::read_in(&**store, |r| r.tree_row(tier, 0, u64::MAX)).unwrap()
    };
    assert_eq!(row(1), full.level_hashes(8));
    assert_eq!(row(2), full.level_hashes(16));
    assert_proves_like(&reopened, &full, &mut ChaCha20Rng::seed_from_u64(8));
}

#[test]
fn a_tampered_frontier_is_refused_at_open() {
    for tamper in [
        // The newest leaf hash (in tier 0's tail).
        "UPDATE entries SET leaf_hash = zeroblob(32) WHERE idx = 599",
        // The newest tier-1 node (in tier 1's tail).
        "UPDATE tree_nodes SET hash = zeroblob(32) WHERE tier = 1 AND idx = 1",
        // A tail that lost its node, as a half-written fill would leave it
        // — refilled from the leaves, so opening succeeds only if the
        // leaves are sound (they are here).
        "DELETE FROM tree_nodes WHERE tier = 1 AND idx = 1",
    ] {
        let dir = tempfile::tempdir().unwrap();
        append(&open(&dir).unwrap(), 0, 600, 100);
        let db = rusqlite::Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
        assert_eq!(db.execute(tamper, []).unwrap(), 1, "{tamper}");
        let opened = open(&dir);
        if tamper.starts_with("DELETE") {
            let sequencer = opened.unwrap();
            let full = reference(&sequencer);
            assert_proves_like(&sequencer, &full, &mut ChaCha20Rng::seed_from_u64(9));
        } else {
            assert!(
                matches!(opened, Err(SequencerError::Inconsistent(_))),
                "{tamper}: {opened:?}"
            );
        }
    }
}

/// Two writers on one store, as two processes on one database are: each
/// follows the other's appends when it next writes — by the leaf hashes
/// added when they are few, by the tails read afresh after a long absence
/// (past 65,536 entries) — and both prove like the full tree.
#[test]
fn two_writers_on_one_store_follow_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (open(&dir).unwrap(), open(&dir).unwrap());
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let mut next = 0;
    for round in 0..40u64 {
        let writer = if round % 2 == 0 { &a } else { &b };
        let n = 1 + rng.next_u64() % 300;
        append(writer, next, next + n, 1 + round % 7);
        next += n;
    }
    // A long absence: `a` writes past the catch-up window, then `b` writes.
    append(&a, next, next + 66_000, 5_000);
    next += 66_000;
    append(&b, next, next + 10, 10);
    next += 10;
    append(&a, next, next + 3, 1);
    b.refresh().unwrap();
    let full = reference(&a);
    assert_eq!(full.size(), b.latest_checkpoint().size);
    assert_proves_like(&a, &full, &mut rng);
    assert_proves_like(&b, &full, &mut rng);
}

/// Following another writer by its leaf hashes trusts nothing: a leaf hash
/// it left tampered with in the store does not hash to the checkpoint it
/// signed, and the follower refuses to write rather than extend that tree.
#[test]
fn a_writer_refuses_to_follow_a_tampered_leaf_hash() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (open(&dir).unwrap(), open(&dir).unwrap());
    append(&b, 0, 50, 10);
    append(&a, 50, 80, 10);
    let db = rusqlite::Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
    let tamper = "UPDATE entries SET leaf_hash = zeroblob(32) WHERE idx = 70";
    assert_eq!(db.execute(tamper, []).unwrap(), 1);
    let author = NoteSigningKey::generate("author", &mut ChaCha20Rng::seed_from_u64(6)).unwrap();
    let record = zkaudit_ledger::record::Record::signed(
        b.origin(),
        "ledger",
        "notice",
        2_000,
        b"after the tamper".to_vec(),
        &author,
    )
    .unwrap();
    let refused = b.integrate(vec![zkaudit_ledger::sequencer::Pending::new(&record)]);
    assert!(
        matches!(refused, Err(SequencerError::Inconsistent(_))),
        "{refused:?}"
    );
    assert_eq!(
        b.store().leaf_hashes(0, 100).unwrap().len(),
        80,
        "nothing was written"
    );
}
