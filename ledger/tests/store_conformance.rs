//! The storage conformance suite: every check below runs, unchanged, against
//! each [`Store`] backend.
//!
//! * SQLite: a fresh temporary directory per test.
//! * PostgreSQL: a fresh schema per test (dropped at the end) in the database
//!   named by `ZKAUDIT_TEST_DATABASE_URL` (default [`DEFAULT_PG_URL`]). The
//!   server must be running: these tests fail, they do not skip, without it.
//!
//! Each check is a generic function over a [`Backend`]; the
//! `conformance_tests!` macro instantiates all of them for one backend.

use std::collections::BTreeSet;
use std::ops::Range;
use std::thread;

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use sha2::{Digest, Sha256};
use zkaudit_ledger::merkle::TreeNode;
use zkaudit_ledger::store::{
    Store, StoreError, StoreResult, StoredCheckpoint, StoredEntry, UniqueKey,
};

/// A backend under test: somewhere to open stores, and a way to tamper with
/// the stored schema version.
trait Backend {
    /// The store type.
    type S: Store + std::fmt::Debug;
    /// Opens a new store instance on this backend's data.
    fn open(&self) -> StoreResult<Self::S>;
    /// The schema version this build writes.
    fn supported_version(&self) -> u32;
    /// Overwrites the schema version stored in the database.
    fn set_stored_schema_version(&self, version: u32);
    /// The schema version stored in the database.
    fn stored_schema_version(&self) -> u32;
    /// Makes the database look as schema version 1 left it: no `tree_nodes`.
    fn downgrade_to_version_one(&self);
}

// ---------------------------------------------------------------------------
// Test data

/// A deterministic entry: record id and leaf from `seed`, at `index`.
fn entry(seed: u64, index: u64) -> StoredEntry {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut leaf = vec![0u8; 16 + (rng.next_u32() % 300) as usize];
    rng.fill_bytes(&mut leaf);
    let record_id = Sha256::new()
        .chain_update(b"test record id")
        .chain_update(seed.to_be_bytes())
        .finalize()
        .into();
    let leaf_hash = Sha256::new()
        .chain_update([0u8])
        .chain_update(&leaf)
        .finalize()
        .into();
    StoredEntry {
        index,
        record_id,
        leaf_hash,
        leaf,
    }
}

fn key(namespace: &str, key: &[u8]) -> UniqueKey {
    UniqueKey {
        namespace: namespace.to_owned(),
        key: key.to_vec(),
    }
}

fn checkpoint(size: u64, note: &str) -> StoredCheckpoint {
    let root = Sha256::digest(size.to_be_bytes()).into();
    StoredCheckpoint {
        size,
        root,
        note: note.as_bytes().to_vec(),
    }
}

fn open<B: Backend>(backend: &B) -> B::S {
    backend.open().expect("open store")
}

/// Appends one entry per seed in one transaction, at the current size.
fn append_batch<S: Store>(store: &S, seeds: Range<u64>) -> Vec<StoredEntry> {
    let mut txn = store.begin_write().expect("begin write");
    let start = txn.size().expect("size");
    let entries: Vec<_> = seeds
        .zip(start..)
        .map(|(seed, index)| entry(seed, index))
        .collect();
    for e in &entries {
        txn.append(e).expect("append");
    }
    txn.commit().expect("commit");
    entries
}

fn size<S: Store>(store: &S) -> u64 {
    store.read(|r| r.size()).expect("size")
}

fn all_entries<S: Store>(store: &S) -> Vec<StoredEntry> {
    store.read(|r| r.entries(0, u64::MAX)).expect("entries")
}

fn assert_corrupt<T: std::fmt::Debug>(result: StoreResult<T>, what: &str) {
    match result {
        Err(StoreError::Corrupt(_)) => {}
        other => panic!("{what}: expected StoreError::Corrupt, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Checks

fn empty_store<B: Backend>(backend: &B) {
    let store = open(backend);
    assert_eq!(size(&store), 0);
    assert_eq!(store.read(|r| r.entries(0, 10)).expect("entries"), []);
    let absent = entry(1, 0);
    let found = store.read(|r| r.index_of_record(&absent.record_id));
    assert_eq!(found.expect("index_of_record"), None);
    let holder = store.read(|r| r.unique_holder(&key("ns", b"k")));
    assert_eq!(holder.expect("unique_holder"), None);
    assert_eq!(
        store
            .index_of_leaf_hash(&absent.leaf_hash)
            .expect("leaf hash"),
        None
    );
    assert_eq!(
        store.leaf_hashes(0, 10).expect("leaf hashes"),
        Vec::<[u8; 32]>::new()
    );
    assert_eq!(store.topic(b"t", 0, 10).expect("topic"), Vec::<u64>::new());
    assert_eq!(store.latest_checkpoint().expect("latest"), None);
    assert_eq!(store.checkpoint(0).expect("checkpoint"), None);
    assert!(store.storage_bytes().expect("storage bytes") > 0);
}

fn append_and_read_back<B: Backend>(backend: &B) {
    let store = open(backend);
    let entries = append_batch(&store, 100..110);
    assert_eq!(size(&store), 10);
    assert_eq!(all_entries(&store), entries);
    let range = store.read(|r| r.entries(3, 7)).expect("range");
    assert_eq!(range, entries[3..7]);
    let past_end = store.read(|r| r.entries(8, 100)).expect("past end");
    assert_eq!(past_end, entries[8..]);
    assert_eq!(store.read(|r| r.entries(5, 5)).expect("empty"), []);
    assert_eq!(store.read(|r| r.entries(7, 3)).expect("reversed"), []);

    let hashes: Vec<_> = entries.iter().map(|e| e.leaf_hash).collect();
    assert_eq!(store.leaf_hashes(0, 10).expect("leaf hashes"), hashes);
    assert_eq!(store.leaf_hashes(2, 4).expect("leaf hashes"), hashes[2..4]);
    assert_eq!(store.leaf_hashes(9, 50).expect("leaf hashes"), hashes[9..]);

    for e in &entries {
        let by_record = store.read(|r| r.index_of_record(&e.record_id));
        assert_eq!(by_record.expect("by record"), Some(e.index));
        let by_leaf = store.index_of_leaf_hash(&e.leaf_hash).expect("by leaf");
        assert_eq!(by_leaf, Some(e.index));
    }
    let absent = entry(999, 0);
    let by_record = store.read(|r| r.index_of_record(&absent.record_id));
    assert_eq!(by_record.expect("absent record"), None);
    let ids = [entries[2].record_id, absent.record_id, entries[7].record_id];
    let batch = store.read(|r| r.indices_of_records(&ids));
    assert_eq!(batch.expect("batch look-up"), [Some(2), None, Some(7)]);
    let mut txn = store.begin_write().expect("begin write");
    assert_eq!(
        txn.indices_of_records(&ids)
            .expect("in a write transaction"),
        [Some(2), None, Some(7)]
    );
    assert_eq!(txn.indices_of_records(&[]).expect("empty"), []);
    drop(txn);
    assert_eq!(
        store.index_of_leaf_hash(&absent.leaf_hash).expect("absent"),
        None
    );

    let more = append_batch(&store, 200..205);
    assert_eq!(more[0].index, 10);
    assert_eq!(size(&store), 15);
}

fn transaction_sees_its_writes_readers_do_not<B: Backend>(backend: &B) {
    let store = open(backend);
    append_batch(&store, 0..2);
    let mut txn = store.begin_write().expect("begin");
    let new = entry(50, 2);
    txn.append(&new).expect("append");
    txn.claim_unique(&key("ns", b"k"), 2).expect("claim");
    assert_eq!(txn.size().expect("size in txn"), 3);
    assert_eq!(
        txn.entries(2, 3).expect("entries in txn"),
        std::slice::from_ref(&new)
    );
    assert_eq!(
        txn.index_of_record(&new.record_id).expect("record"),
        Some(2)
    );
    assert_eq!(
        txn.unique_holder(&key("ns", b"k")).expect("holder"),
        Some(2)
    );

    assert_eq!(size(&store), 2);
    assert_eq!(
        store.index_of_leaf_hash(&new.leaf_hash).expect("leaf"),
        None
    );
    let holder = store.read(|r| r.unique_holder(&key("ns", b"k")));
    assert_eq!(holder.expect("holder outside"), None);

    txn.commit().expect("commit");
    assert_eq!(size(&store), 3);
    assert_eq!(
        store.index_of_leaf_hash(&new.leaf_hash).expect("leaf"),
        Some(2)
    );
}

fn append_at_wrong_index_is_refused<B: Backend>(backend: &B) {
    let store = open(backend);
    let mut txn = store.begin_write().expect("begin");
    assert_corrupt(txn.append(&entry(1, 1)), "append past the size");
    txn.append(&entry(0, 0)).expect("append at 0");
    assert_corrupt(txn.append(&entry(1, 0)), "append at a taken index");
    assert_corrupt(txn.append(&entry(1, 5)), "append past the size");
    // A refused append leaves the transaction usable.
    txn.append(&entry(1, 1)).expect("append at 1");
    txn.commit().expect("commit");
    assert_eq!(size(&store), 2);

    let mut txn = store.begin_write().expect("begin");
    assert_corrupt(txn.append(&entry(2, 0)), "append over committed entries");
    assert_corrupt(txn.append(&entry(2, u64::MAX)), "append at u64::MAX");
    drop(txn);
    assert_eq!(all_entries(&store), [entry(0, 0), entry(1, 1)]);
}

fn duplicate_record_id_is_refused<B: Backend>(backend: &B) {
    let store = open(backend);
    append_batch(&store, 7..8);
    let mut txn = store.begin_write().expect("begin");
    assert_corrupt(txn.append(&entry(7, 1)), "duplicate record id");
    assert_eq!(
        txn.size().expect("size"),
        1,
        "a refused append takes no index"
    );
    txn.append(&entry(8, 1))
        .expect("a fresh record still appends");
    txn.commit().expect("commit");
    assert_eq!(all_entries(&store), [entry(7, 0), entry(8, 1)]);
}

fn drop_rolls_back<B: Backend>(backend: &B) {
    let store = open(backend);
    append_batch(&store, 0..1);
    let before = all_entries(&store);
    {
        let mut txn = store.begin_write().expect("begin");
        for index in 1..4 {
            txn.append(&entry(index, index)).expect("append");
        }
        txn.claim_unique(&key("ns", b"k"), 2).expect("claim");
        txn.tag(b"topic", 3).expect("tag");
        txn.put_checkpoint(&checkpoint(4, "cp"))
            .expect("checkpoint");
    }
    assert_eq!(all_entries(&store), before);
    let holder = store.read(|r| r.unique_holder(&key("ns", b"k")));
    assert_eq!(holder.expect("holder"), None);
    assert_eq!(
        store.topic(b"topic", 0, 10).expect("topic"),
        Vec::<u64>::new()
    );
    assert_eq!(store.latest_checkpoint().expect("latest"), None);

    let mut txn = store.begin_write().expect("begin again");
    assert_eq!(txn.size().expect("size"), 1);
    txn.append(&entry(1, 1)).expect("index 1 is free again");
    txn.claim_unique(&key("ns", b"k"), 1)
        .expect("key is free again");
    txn.commit().expect("commit");
    let holder = store.read(|r| r.unique_holder(&key("ns", b"k")));
    assert_eq!(holder.expect("holder"), Some(1));
}

fn unique_key_conflict_keeps_first_holder<B: Backend>(backend: &B) {
    let store = open(backend);
    let nullifier = key("identity/nullifier", b"n1");
    let mut txn = store.begin_write().expect("begin");
    for index in 0..3 {
        txn.append(&entry(index, index)).expect("append");
    }
    txn.claim_unique(&nullifier, 0).expect("first claim");
    assert_corrupt(txn.claim_unique(&nullifier, 1), "claim in the same txn");
    // A refused claim leaves the transaction usable.
    txn.claim_unique(&key("identity/nullifier", b"n2"), 1)
        .expect("other key, same namespace");
    txn.claim_unique(&key("land/title", b"n1"), 2)
        .expect("same key, other namespace");
    txn.commit().expect("commit");

    let mut txn = store.begin_write().expect("begin");
    assert_corrupt(txn.claim_unique(&nullifier, 2), "claim in a later txn");
    txn.commit().expect("commit");

    let holders = store
        .read(|r| {
            Ok([
                r.unique_holder(&nullifier)?,
                r.unique_holder(&key("identity/nullifier", b"n2"))?,
                r.unique_holder(&key("land/title", b"n1"))?,
                r.unique_holder(&key("land/title", b"n2"))?,
            ])
        })
        .expect("holders");
    assert_eq!(holders, [Some(0), Some(1), Some(2), None]);
}

fn claims_and_tags_need_a_logged_entry<B: Backend>(backend: &B) {
    let store = open(backend);
    let mut txn = store.begin_write().expect("begin");
    assert_corrupt(txn.claim_unique(&key("ns", b"k"), 0), "claim on empty log");
    assert_corrupt(txn.tag(b"t", 0), "tag on empty log");
    txn.append(&entry(0, 0)).expect("append");
    assert_corrupt(txn.claim_unique(&key("ns", b"k"), 1), "claim past the size");
    assert_corrupt(
        txn.claim_unique(&key("ns", b"k"), u64::MAX),
        "claim at u64::MAX",
    );
    assert_corrupt(txn.tag(b"t", 1), "tag past the size");
    assert_corrupt(txn.claim_unique(&key("n\0s", b"k"), 0), "NUL in namespace");
    txn.claim_unique(&key("ns", b"k"), 0).expect("claim");
    txn.tag(b"t", 0).expect("tag");
    txn.commit().expect("commit");
    let holder = store.read(|r| r.unique_holder(&key("n\0s", b"k")));
    assert_eq!(holder.expect("holder"), None);
}

fn topics_order_after_limit<B: Backend>(backend: &B) {
    let store = open(backend);
    let mut txn = store.begin_write().expect("begin");
    for index in 0..10 {
        txn.append(&entry(index, index)).expect("append");
    }
    for index in [7, 2, 9, 5] {
        txn.tag(b"parcel/A", index).expect("tag A");
    }
    txn.tag(b"parcel/A", 5).expect("tagging twice is harmless");
    txn.tag(b"parcel/AB", 3).expect("tag AB");
    txn.tag(b"parcel/B", 2).expect("tag B");
    txn.commit().expect("commit");

    let a = |after, limit| store.topic(b"parcel/A", after, limit).expect("topic");
    assert_eq!(a(0, 100), [2, 5, 7, 9]);
    assert_eq!(a(5, 100), [5, 7, 9], "`after` is inclusive");
    assert_eq!(a(6, 100), [7, 9]);
    assert_eq!(a(0, 2), [2, 5]);
    assert_eq!(a(3, 1), [5]);
    assert_eq!(a(0, 0), Vec::<u64>::new());
    assert_eq!(a(10, 100), Vec::<u64>::new());
    assert_eq!(a(u64::MAX, usize::MAX), Vec::<u64>::new());
    assert_eq!(a(0, usize::MAX), [2, 5, 7, 9]);
    assert_eq!(store.topic(b"parcel/AB", 0, 10).expect("AB"), [3]);
    assert_eq!(store.topic(b"parcel/B", 0, 10).expect("B"), [2]);
    assert_eq!(
        store.topic(b"parcel", 0, 10).expect("prefix"),
        Vec::<u64>::new()
    );
    assert_eq!(
        store.topic(b"", 0, 10).expect("empty topic"),
        Vec::<u64>::new()
    );
}

fn checkpoints<B: Backend>(backend: &B) {
    let store = open(backend);
    let mut txn = store.begin_write().expect("begin");
    txn.put_checkpoint(&checkpoint(0, "empty"))
        .expect("checkpoint of the empty log");
    for index in 0..5 {
        txn.append(&entry(index, index)).expect("append");
    }
    txn.put_checkpoint(&checkpoint(2, "two"))
        .expect("checkpoint 2");
    txn.put_checkpoint(&checkpoint(5, "five"))
        .expect("checkpoint 5");
    assert_corrupt(txn.put_checkpoint(&checkpoint(6, "six")), "past the size");
    txn.commit().expect("commit");

    assert_eq!(
        store.latest_checkpoint().expect("latest"),
        Some(checkpoint(5, "five"))
    );
    assert_eq!(
        store.checkpoint(0).expect("cp 0"),
        Some(checkpoint(0, "empty"))
    );
    assert_eq!(
        store.checkpoint(2).expect("cp 2"),
        Some(checkpoint(2, "two"))
    );
    assert_eq!(store.checkpoint(3).expect("cp 3"), None);
    assert_eq!(store.checkpoint(u64::MAX).expect("cp max"), None);

    let mut txn = store.begin_write().expect("begin");
    txn.put_checkpoint(&checkpoint(5, "five, resigned"))
        .expect("replace");
    txn.commit().expect("commit");
    let replaced = store.checkpoint(5).expect("cp 5");
    assert_eq!(replaced, Some(checkpoint(5, "five, resigned")));

    store
        .update_checkpoint_note(2, b"two + cosignature")
        .expect("update note");
    let updated = store.checkpoint(2).expect("cp 2");
    assert_eq!(updated, Some(checkpoint(2, "two + cosignature")));
    store.update_checkpoint_note(3, b"nothing").expect("no-op");
    store
        .update_checkpoint_note(u64::MAX, b"nothing")
        .expect("no-op");
    assert_eq!(store.checkpoint(3).expect("cp 3"), None);
    let latest = store.latest_checkpoint().expect("latest");
    assert_eq!(latest, Some(checkpoint(5, "five, resigned")));
}

fn reopen_keeps_everything<B: Backend>(backend: &B) {
    let entries = {
        let store = open(backend);
        let entries = append_batch(&store, 0..6);
        let mut txn = store.begin_write().expect("begin");
        txn.claim_unique(&key("ns", b"k"), 4).expect("claim");
        txn.tag(b"t", 1).expect("tag");
        txn.tag(b"t", 3).expect("tag");
        txn.put_checkpoint(&checkpoint(6, "six"))
            .expect("checkpoint");
        txn.commit().expect("commit");
        store
            .update_checkpoint_note(6, b"six, cosigned")
            .expect("note");
        entries
    };

    let store = open(backend);
    assert_eq!(all_entries(&store), entries);
    let holder = store.read(|r| r.unique_holder(&key("ns", b"k")));
    assert_eq!(holder.expect("holder"), Some(4));
    assert_eq!(store.topic(b"t", 0, 10).expect("topic"), [1, 3]);
    let latest = store.latest_checkpoint().expect("latest");
    assert_eq!(latest, Some(checkpoint(6, "six, cosigned")));
    assert_eq!(
        store
            .index_of_leaf_hash(&entries[5].leaf_hash)
            .expect("leaf"),
        Some(5)
    );

    let more = append_batch(&store, 6..8);
    assert_eq!(more[0].index, 6, "appending resumes at the stored size");
}

fn newer_schema_version_is_refused<B: Backend>(backend: &B) {
    drop(open(backend));
    let newer = backend.supported_version() + 1;
    backend.set_stored_schema_version(newer);
    match backend.open() {
        Err(StoreError::SchemaVersion { found, supported }) => {
            assert_eq!(found, newer);
            assert_eq!(supported, backend.supported_version());
        }
        other => panic!("expected StoreError::SchemaVersion, got {other:?}"),
    }
    backend.set_stored_schema_version(backend.supported_version());
    drop(open(backend));
}

/// Tree nodes: tier 0 reads the leaf hashes; a node above must lie inside
/// the log, is stored once (the same hash again is a no-op, another hash is
/// refused) and rolls back with its transaction.
fn tree_nodes<B: Backend>(backend: &B) {
    let store = open(backend);
    let entries = append_batch(&store, 0..300);
    let leaf_hashes: Vec<_> = entries.iter().map(|e| e.leaf_hash).collect();
    let row = |tier, start, end| store.read(|r| r.tree_row(tier, start, end)).expect("row");
    assert_eq!(row(0, 0, 300), leaf_hashes);
    assert_eq!(row(0, 290, u64::MAX), leaf_hashes[290..]);
    assert_eq!(row(1, 0, u64::MAX), Vec::<[u8; 32]>::new());

    let node = TreeNode {
        tier: 1,
        index: 0,
        hash: [7; 32],
    };
    let mut txn = store.begin_write().expect("begin");
    txn.put_tree_node(&node).expect("put");
    txn.put_tree_node(&node).expect("the same node again");
    assert_eq!(
        txn.tree_row(1, 0, 1).expect("in the transaction"),
        [[7; 32]]
    );
    let other = TreeNode {
        hash: [8; 32],
        ..node
    };
    assert_corrupt(txn.put_tree_node(&other), "another hash in its place");
    let incomplete = TreeNode { index: 1, ..node };
    assert_corrupt(txn.put_tree_node(&incomplete), "a subtree past the log");
    let leaf = TreeNode { tier: 0, ..node };
    assert_corrupt(txn.put_tree_node(&leaf), "a tier-0 node");
    let huge = TreeNode {
        tier: 8,
        index: u64::MAX,
        hash: [9; 32],
    };
    assert_corrupt(txn.put_tree_node(&huge), "a subtree past 2^64");
    txn.commit().expect("commit");
    assert_eq!(row(1, 0, 10), [[7; 32]]);

    let mut txn = store.begin_write().expect("begin");
    for index in 300..512 {
        txn.append(&entry(index, index)).expect("append");
    }
    txn.put_tree_node(&TreeNode { index: 1, ..node })
        .expect("put");
    drop(txn);
    assert_eq!(row(1, 0, 10), [[7; 32]], "rolled back with its transaction");
}

/// `append_all` and `tag_all` (one statement per batch on PostgreSQL)
/// write what `append` and `tag` one by one would, and refuse the same
/// things: a wrong first index, a gap, a record id already logged.
fn batched_writes<B: Backend>(backend: &B) {
    let store = open(backend);
    append_batch(&store, 0..2);
    let batch: Vec<_> = (10..14).zip(2..).map(|(seed, i)| entry(seed, i)).collect();
    let mut txn = store.begin_write().expect("begin");
    assert_corrupt(txn.append_all(&batch[1..]), "starting past the size");
    let mut gap = batch.clone();
    gap[2].index += 1;
    assert_corrupt(txn.append_all(&gap), "a gap");
    txn.append_all(&batch).expect("append all");
    assert_eq!(txn.size().expect("size"), 6);
    txn.tag_all(&[(b"t", 2), (b"t", 5), (b"u", 3), (b"t", 2)])
        .expect("tag all");
    assert_corrupt(txn.tag_all(&[(b"t", 6)]), "a tag past the log");
    txn.commit().expect("commit");
    assert_eq!(all_entries(&store)[2..], batch[..]);
    assert_eq!(store.topic(b"t", 0, 10).expect("topic"), [2, 5]);
    assert_eq!(store.topic(b"u", 0, 10).expect("topic"), [3]);

    // A batch holding a logged record id is refused, and nothing of it kept.
    let mut txn = store.begin_write().expect("begin");
    let again = vec![entry(20, 6), entry(11, 7)];
    assert!(txn.append_all(&again).is_err(), "a logged record id");
    drop(txn);
    assert_eq!(size(&store), 6);
}

/// A database of schema version 1 is upgraded in place when opened: its
/// entries are kept and `tree_nodes` is created (the sequencer fills it).
fn older_schema_is_upgraded<B: Backend>(backend: &B) {
    let entries = append_batch(&open(backend), 0..3);
    backend.downgrade_to_version_one();
    assert_eq!(backend.stored_schema_version(), 1);
    let store = open(backend);
    assert_eq!(backend.stored_schema_version(), backend.supported_version());
    assert_eq!(all_entries(&store), entries);
    assert_eq!(
        store.read(|r| r.tree_row(1, 0, 9)).expect("row"),
        Vec::<[u8; 32]>::new()
    );
}

const WRITER_THREADS: u64 = 4;
const APPENDS_PER_THREAD: u64 = 50;

/// Every thread appends one entry per transaction at the size it reads in
/// that transaction, with no retry: only exclusive transactions make this work.
fn append_from_threads<S: Store>(stores: &[&S]) {
    thread::scope(|scope| {
        for thread_no in 0..WRITER_THREADS {
            let store = stores[thread_no as usize % stores.len()];
            scope.spawn(move || {
                for i in 0..APPENDS_PER_THREAD {
                    let seed = thread_no * 1_000 + i;
                    let mut txn = store.begin_write().expect("begin");
                    let index = txn.size().expect("size");
                    txn.append(&entry(seed, index)).expect("append at size");
                    txn.commit().expect("commit");
                }
            });
        }
    });
}

fn assert_all_appended<S: Store>(store: &S) {
    let total = WRITER_THREADS * APPENDS_PER_THREAD;
    assert_eq!(size(store), total);
    let entries = all_entries(store);
    let indices: Vec<u64> = entries.iter().map(|e| e.index).collect();
    assert_eq!(indices, (0..total).collect::<Vec<_>>());
    let seeds =
        (0..WRITER_THREADS).flat_map(|t| (0..APPENDS_PER_THREAD).map(move |i| t * 1_000 + i));
    let expected: BTreeSet<_> = seeds.map(|seed| entry(seed, 0).record_id).collect();
    let found: BTreeSet<_> = entries.iter().map(|e| e.record_id).collect();
    assert_eq!(found, expected, "every append is logged exactly once");
}

fn concurrent_writers_share_one_store<B: Backend>(backend: &B) {
    let store = open(backend);
    append_from_threads(&[&store]);
    assert_all_appended(&store);
}

fn concurrent_writers_in_two_store_instances<B: Backend>(backend: &B) {
    let first = open(backend);
    let second = open(backend);
    append_from_threads(&[&first, &second]);
    assert_all_appended(&first);
    assert_all_appended(&second);
}

fn reader_snapshot_is_stable<B: Backend>(backend: &B) {
    let store = open(backend);
    append_batch(&store, 0..2);
    let late = entry(100, 2);
    store
        .with_reader(&mut |r| {
            // Committed after the reader started: it must stay invisible.
            let mut txn = store.begin_write()?;
            txn.append(&late)?;
            txn.commit()?;
            assert_eq!(r.size()?, 2);
            assert_eq!(r.entries(0, 10)?.len(), 2);
            assert_eq!(r.index_of_record(&late.record_id)?, None);
            Ok(())
        })
        .expect("read");
    assert_eq!(size(&store), 3);
    assert_eq!(
        store
            .read(|r| r.index_of_record(&late.record_id))
            .expect("read"),
        Some(2)
    );
}

fn reader_errors_propagate<B: Backend>(backend: &B) {
    let store = open(backend);
    append_batch(&store, 0..1);
    for _ in 0..10 {
        let result: StoreResult<()> = store.read(|r| {
            r.size()?;
            Err(StoreError::Corrupt("from the closure".into()))
        });
        assert_corrupt(result, "closure error");
    }
    let value = store
        .read(|r| Ok(r.size()? * 10))
        .expect("read after errors");
    assert_eq!(value, 10);
}

fn huge_bounds_are_handled<B: Backend>(backend: &B) {
    let store = open(backend);
    let entries = append_batch(&store, 0..3);
    let tail = store.read(|r| r.entries(u64::MAX - 1, u64::MAX));
    assert_eq!(tail.expect("entries"), []);
    let hashes: Vec<_> = entries[1..].iter().map(|e| e.leaf_hash).collect();
    assert_eq!(store.leaf_hashes(1, u64::MAX).expect("hashes"), hashes);
    let from_huge = store.leaf_hashes(u64::MAX, u64::MAX).expect("hashes");
    assert_eq!(from_huge, Vec::<[u8; 32]>::new());
}

fn storage_bytes_grows<B: Backend>(backend: &B) {
    let store = open(backend);
    let before = store.storage_bytes().expect("storage bytes");
    for batch in 0..4 {
        append_batch(&store, batch * 100..(batch + 1) * 100);
    }
    let after = store.storage_bytes().expect("storage bytes");
    assert!(
        after > before,
        "storage grew from {before} to {after} bytes"
    );
}

/// Instantiates every check for one backend, in a module named `$backend`.
macro_rules! conformance_tests {
    ($backend:ident, $make:path) => {
        mod $backend {
            conformance_tests!(@each $make:
                empty_store,
                append_and_read_back,
                transaction_sees_its_writes_readers_do_not,
                append_at_wrong_index_is_refused,
                duplicate_record_id_is_refused,
                drop_rolls_back,
                unique_key_conflict_keeps_first_holder,
                claims_and_tags_need_a_logged_entry,
                topics_order_after_limit,
                checkpoints,
                reopen_keeps_everything,
                newer_schema_version_is_refused,
                tree_nodes,
                batched_writes,
                older_schema_is_upgraded,
                concurrent_writers_share_one_store,
                concurrent_writers_in_two_store_instances,
                reader_snapshot_is_stable,
                reader_errors_propagate,
                huge_bounds_are_handled,
                storage_bytes_grows,
            );
        }
    };
    (@each $make:path: $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                super::$check(&$make());
            }
        )*
    };
}

// ---------------------------------------------------------------------------
// SQLite

#[cfg(feature = "sqlite")]
mod sqlite_backend {
    use super::Backend;
    use zkaudit_ledger::store::StoreResult;
    use zkaudit_ledger::store::sqlite::{DB_FILE_NAME, SCHEMA_VERSION, SqliteStore};

    /// A fresh temporary data directory.
    pub struct SqliteBackend {
        dir: tempfile::TempDir,
    }

    pub fn make() -> SqliteBackend {
        SqliteBackend {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    impl Backend for SqliteBackend {
        type S = SqliteStore;

        fn open(&self) -> StoreResult<SqliteStore> {
            SqliteStore::open(self.dir.path())
        }

        fn supported_version(&self) -> u32 {
            SCHEMA_VERSION
        }

        fn set_stored_schema_version(&self, version: u32) {
            let conn = rusqlite::Connection::open(self.dir.path().join(DB_FILE_NAME))
                .expect("open database file");
            let updated = conn
                .execute(
                    "UPDATE meta SET value = ?1 WHERE name = 'schema_version'",
                    [version],
                )
                .expect("update schema version");
            assert_eq!(updated, 1);
        }

        fn stored_schema_version(&self) -> u32 {
            self.db()
                .query_row(
                    "SELECT value FROM meta WHERE name = 'schema_version'",
                    [],
                    |r| r.get(0),
                )
                .expect("read schema version")
        }

        fn downgrade_to_version_one(&self) {
            self.db()
                .execute_batch("DROP TABLE tree_nodes")
                .expect("drop tree_nodes");
            self.set_stored_schema_version(1);
        }
    }

    impl SqliteBackend {
        fn db(&self) -> rusqlite::Connection {
            rusqlite::Connection::open(self.dir.path().join(DB_FILE_NAME)).expect("open database")
        }
    }
}

#[cfg(feature = "sqlite")]
conformance_tests!(sqlite, crate::sqlite_backend::make);

// ---------------------------------------------------------------------------
// PostgreSQL

/// Used when `ZKAUDIT_TEST_DATABASE_URL` is not set.
#[cfg(feature = "postgres")]
const DEFAULT_PG_URL: &str = "host=127.0.0.1 port=5432 user=postgres dbname=test";

#[cfg(feature = "postgres")]
mod pg_backend {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};

    use postgres::{Client, NoTls};
    use zkaudit_ledger::store::StoreResult;
    use zkaudit_ledger::store::postgres::{PostgresStore, SCHEMA_VERSION};

    use super::{Backend, DEFAULT_PG_URL};

    /// A fresh schema, dropped when this is dropped.
    pub struct PgBackend {
        url: String,
        schema: String,
    }

    pub fn make() -> PgBackend {
        let url = database_url();
        // Fail early, and loudly, if the server is not there.
        admin_client(&url);
        PgBackend {
            url,
            schema: fresh_schema_name(),
        }
    }

    pub fn database_url() -> String {
        std::env::var("ZKAUDIT_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned())
    }

    pub fn admin_client(url: &str) -> Client {
        Client::connect(url, NoTls).unwrap_or_else(|e| {
            let cause = std::error::Error::source(&e).map(|c| format!(": {c}"));
            panic!(
                "PostgreSQL is not reachable at `{url}`: {e}{}. The PostgreSQL conformance \
                 tests need a running server; point ZKAUDIT_TEST_DATABASE_URL at one.",
                cause.unwrap_or_default()
            )
        })
    }

    /// Unique across tests, test runs and concurrent test processes.
    fn fresh_schema_name() -> String {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        format!("zkaudit_test_{}_{nanos}_{count}", std::process::id())
    }

    impl Backend for PgBackend {
        type S = PostgresStore;

        fn open(&self) -> StoreResult<PostgresStore> {
            PostgresStore::connect_with_schema(&self.url, &self.schema)
        }

        fn supported_version(&self) -> u32 {
            SCHEMA_VERSION
        }

        fn set_stored_schema_version(&self, version: u32) {
            let sql = format!(
                "UPDATE \"{}\".meta SET value = $1 WHERE name = 'schema_version'",
                self.schema
            );
            let updated = admin_client(&self.url)
                .execute(&sql, &[&i64::from(version)])
                .expect("update schema version");
            assert_eq!(updated, 1);
        }

        fn stored_schema_version(&self) -> u32 {
            let sql = format!(
                "SELECT value FROM \"{}\".meta WHERE name = 'schema_version'",
                self.schema
            );
            let version: i64 = admin_client(&self.url)
                .query_one(&sql, &[])
                .expect("read schema version")
                .get(0);
            u32::try_from(version).expect("a small version")
        }

        fn downgrade_to_version_one(&self) {
            let sql = format!("DROP TABLE \"{}\".tree_nodes", self.schema);
            admin_client(&self.url)
                .batch_execute(&sql)
                .expect("drop tree_nodes");
            self.set_stored_schema_version(1);
        }
    }

    impl Drop for PgBackend {
        fn drop(&mut self) {
            let sql = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.schema);
            if let Err(e) = admin_client(&self.url).batch_execute(&sql) {
                eprintln!("could not drop test schema {}: {e}", self.schema);
            }
        }
    }
}

#[cfg(feature = "postgres")]
conformance_tests!(postgres, crate::pg_backend::make);

/// PostgreSQL only: the schema name is checked before it reaches SQL.
#[cfg(feature = "postgres")]
#[test]
fn postgres_refuses_odd_schema_names() {
    use zkaudit_ledger::store::postgres::PostgresStore;
    let url = pg_backend::database_url();
    for schema in ["", "Upper", "1abc", "a-b", "a\"b", &"x".repeat(64)] {
        match PostgresStore::connect_with_schema(&url, schema) {
            Err(StoreError::Database(_)) => {}
            other => panic!("schema name {schema:?}: expected an error, got {other:?}"),
        }
    }
}
