//! `fsck` on a real log: a log built by the sequencer in SQLite is sound;
//! then each kind of damage a disk or an operator can do (a flipped bit in
//! a leaf, a lost row, a rewritten checkpoint, a record-id index pointing
//! elsewhere) is reported, at its index.

#![cfg(feature = "sqlite")]

mod common;

use std::sync::Arc;

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use zkaudit_ledger::fsck::{Finding, check_store};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;
use zkaudit_ledger::sequencer::{Pending, Sequencer};
use zkaudit_ledger::store::Store;
use zkaudit_ledger::store::sqlite::{DB_FILE_NAME, SqliteStore};

/// A log of `n` notices in a fresh SQLite store; returns the directory and
/// the log's verifier key.
fn log_of(n: u64) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let log = NoteSigningKey::generate("fsck.test/log", &mut rng).unwrap();
    let author = NoteSigningKey::generate("author", &mut rng).unwrap();
    let vkey = log.verifier_key_string();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let sequencer = Sequencer::open(store, log).unwrap();
    common::append_notices(&sequencer, &author, 0, n, 10);
    (dir, vkey)
}

fn check(dir: &tempfile::TempDir, vkey: &str) -> zkaudit_ledger::fsck::FsckReport {
    let store = SqliteStore::open(dir.path()).unwrap();
    check_store(&store, vkey, |_, _| {}).unwrap()
}

fn tamper(dir: &tempfile::TempDir, sql: &str) {
    let db = rusqlite::Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
    assert!(db.execute(sql, []).unwrap() > 0, "{sql} changed nothing");
}

#[test]
fn a_sound_log_passes() {
    let (dir, vkey) = log_of(35);
    let report = check(&dir, &vkey);
    assert_eq!(report.findings, vec![]);
    assert_eq!(report.entries, 35);
    assert!(report.checkpoints >= 4, "{report:?}");
    // Against another log's key, every signed checkpoint is reported.
    let other = NoteSigningKey::generate("fsck.test/log", &mut ChaCha20Rng::seed_from_u64(9))
        .unwrap()
        .verifier_key_string();
    let report = check(&dir, &other);
    assert!(
        report
            .findings
            .iter()
            .all(|f| matches!(f, Finding::CheckpointSignature { .. }))
            && !report.findings.is_empty()
    );
}

#[test]
fn a_flipped_bit_in_a_leaf_is_found() {
    let (dir, vkey) = log_of(20);
    tamper(
        &dir,
        "UPDATE entries SET leaf = CAST(substr(leaf, 1, length(leaf) - 1) || x'00' AS BLOB) WHERE idx = 7",
    );
    let findings = check(&dir, &vkey).findings;
    assert!(
        findings.contains(&Finding::LeafHash { index: 7 }),
        "{findings:?}"
    );
    // The tree rebuilt from the leaves no longer matches what was signed.
    assert!(
        findings
            .iter()
            .any(|f| matches!(f, Finding::CheckpointRoot { size } if *size > 7)),
        "{findings:?}"
    );
}

#[test]
fn a_lost_entry_is_a_gap() {
    let (dir, vkey) = log_of(20);
    tamper(&dir, "DELETE FROM entries WHERE idx = 12");
    let findings = check(&dir, &vkey).findings;
    assert!(
        findings.contains(&Finding::Gap {
            expected: 12,
            found: Some(13)
        }),
        "{findings:?}"
    );
}

#[test]
fn a_rewritten_checkpoint_and_a_wrong_index_are_found() {
    let (dir, vkey) = log_of(20);
    tamper(
        &dir,
        "UPDATE checkpoints SET root = zeroblob(32) WHERE size = (SELECT max(size) FROM checkpoints)",
    );
    tamper(
        &dir,
        "UPDATE entries SET record_id = zeroblob(32) WHERE idx = 3",
    );
    let findings = check(&dir, &vkey).findings;
    assert!(
        findings.contains(&Finding::CheckpointRoot { size: 20 }),
        "{findings:?}"
    );
    assert!(
        findings.contains(&Finding::RecordId { index: 3 }),
        "{findings:?}"
    );
}

#[test]
fn a_record_written_for_another_log_is_found() {
    let (dir, vkey) = log_of(3);
    // The sequencer logs what it is handed (the service checks a record's
    // log before handing it over); fsck finds one that slipped past.
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let log = NoteSigningKey::generate("fsck.test/log", &mut rng).unwrap();
    let author = NoteSigningKey::generate("author", &mut rng).unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let sequencer = Sequencer::open(store, log).unwrap();
    let foreign =
        Record::signed("fsck.test/other", "ledger", "notice", 9, vec![], &author).unwrap();
    sequencer.integrate(vec![Pending::new(&foreign)]).unwrap();
    drop(sequencer);
    let report = check(&dir, &vkey);
    assert_eq!(
        report.findings,
        vec![Finding::ForeignRecord {
            index: 3,
            bound_to: "fsck.test/other".into()
        }]
    );
}

#[test]
fn a_wrong_or_missing_tree_node_is_reported() {
    let (dir, vkey) = log_of(600);
    assert_eq!(check(&dir, &vkey).findings, vec![]);
    tamper(
        &dir,
        "UPDATE tree_nodes SET hash = zeroblob(32) WHERE tier = 1 AND idx = 1",
    );
    assert_eq!(
        check(&dir, &vkey).findings,
        vec![Finding::TreeNode { tier: 1, index: 1 }]
    );
    tamper(&dir, "DELETE FROM tree_nodes WHERE tier = 1 AND idx = 0");
    assert_eq!(
        check(&dir, &vkey).findings,
        vec![Finding::TreeNode { tier: 1, index: 0 }]
    );
}
