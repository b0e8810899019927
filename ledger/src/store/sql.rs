//! What the SQL backends share: the statements each one runs
//! ([`Queries`], implemented once per driver), and everything around them
//! that does not depend on the driver — index and hash encoding, the
//! schema-version check, the read-transaction view ([`Snapshot`]).

use std::sync::{Mutex, MutexGuard, PoisonError};

use super::{LogRead, StoreError, StoreResult, StoredCheckpoint, StoredEntry, UniqueKey};
use crate::merkle::Hash;

/// An entry as the database holds it: index, record id, leaf hash, leaf.
pub(super) type RawEntry = (i64, Vec<u8>, Vec<u8>, Vec<u8>);

/// A checkpoint as the database holds it: size, root, note.
pub(super) type RawCheckpoint = (i64, Vec<u8>, Vec<u8>);

/// One backend connection: the statements of the log's schema, run with
/// the driver (the `select_*`, `insert_*`, `update_*` methods, values as the
/// database holds them), and the log operations built on them once for
/// every backend (the `read_*` and `write_*` methods).
pub(super) trait Queries {
    /// `coalesce(max(idx) + 1, 0)` of the entries.
    fn select_size(&mut self) -> StoreResult<i64>;
    /// Entries with `start <= idx < end`, in order.
    fn select_entries(&mut self, start: i64, end: i64) -> StoreResult<Vec<RawEntry>>;
    /// The index of the entry with this record id.
    fn select_index_of_record(&mut self, record_id: &[u8; 32]) -> StoreResult<Option<i64>>;
    /// The index holding `key` (whose namespace has no NUL byte).
    fn select_unique_holder(&mut self, key: &UniqueKey) -> StoreResult<Option<i64>>;
    /// At most `limit` indices filed under `topic`, `>= after`, in order.
    fn select_topic(&mut self, topic: &[u8], after: i64, limit: i64) -> StoreResult<Vec<i64>>;
    /// The first index whose leaf hash is `leaf_hash`.
    fn select_index_of_leaf_hash(&mut self, leaf_hash: &Hash) -> StoreResult<Option<i64>>;
    /// Leaf hashes with `start <= idx < end`, in order.
    fn select_leaf_hashes(&mut self, start: i64, end: i64) -> StoreResult<Vec<Vec<u8>>>;
    /// Hashes of tier `tier` (≥ 1) of the tree with `start <= idx < end`, in order.
    fn select_tree_nodes(&mut self, tier: i64, start: i64, end: i64) -> StoreResult<Vec<Vec<u8>>>;
    /// Inserts the hash of tier `tier` at `idx` unless one is there: rows inserted.
    fn insert_tree_node(&mut self, tier: i64, idx: i64, hash: &Hash) -> StoreResult<u64>;
    /// The checkpoint of the largest size.
    fn select_latest_checkpoint(&mut self) -> StoreResult<Option<RawCheckpoint>>;
    /// The checkpoint of `size`.
    fn select_checkpoint(&mut self, size: i64) -> StoreResult<Option<RawCheckpoint>>;
    /// Inserts `entry` at `idx` unless its record id is taken: rows inserted.
    fn insert_entry(&mut self, idx: i64, entry: &StoredEntry) -> StoreResult<u64>;
    /// Inserts `entries`, the first at `first_idx` and the rest after it,
    /// skipping those whose record id is taken: rows inserted. Backends
    /// with a round trip per statement insert them in one.
    fn insert_entries(&mut self, first_idx: i64, entries: &[StoredEntry]) -> StoreResult<u64> {
        let mut inserted = 0;
        for (idx, entry) in (first_idx..).zip(entries) {
            inserted += self.insert_entry(idx, entry)?;
        }
        Ok(inserted)
    }
    /// Files each `(topic, idx)` (no-op for those filed). Backends with a
    /// round trip per statement file them in one.
    fn insert_topics(&mut self, tags: &[(&[u8], i64)]) -> StoreResult<()> {
        for &(topic, idx) in tags {
            self.insert_topic(topic, idx)?;
        }
        Ok(())
    }
    /// Inserts `key` held by `idx` unless it is held: rows inserted.
    fn insert_unique(&mut self, key: &UniqueKey, idx: i64) -> StoreResult<u64>;
    /// Files `idx` under `topic` (no-op if it is).
    fn insert_topic(&mut self, topic: &[u8], idx: i64) -> StoreResult<()>;
    /// Inserts or replaces the checkpoint of `size`.
    fn upsert_checkpoint(&mut self, size: i64, checkpoint: &StoredCheckpoint) -> StoreResult<()>;
    /// Replaces the note of the checkpoint of `size`, if there is one.
    fn update_note(&mut self, size: i64, note: &[u8]) -> StoreResult<()>;
    /// Commits the open transaction.
    fn commit(&mut self) -> StoreResult<()>;
    /// Rolls back the open transaction, or leaves the connection so that it
    /// is not used again.
    fn rollback(&mut self);
    /// After a storage fault in a write transaction (already rolled back):
    /// replace the connection, so that nothing it holds is trusted for the
    /// next write (see the `txn` module).
    fn discard_after_fault(&mut self);

    /// Number of committed entries.
    fn read_size(&mut self) -> StoreResult<u64> {
        decode_index(self.select_size()?)
    }

    /// Entries with `start <= index < end`, in order.
    fn read_entries(&mut self, start: u64, end: u64) -> StoreResult<Vec<StoredEntry>> {
        self.select_entries(clamp_index(start), clamp_index(end))?
            .into_iter()
            .map(decode_entry)
            .collect()
    }

    /// Index of the entry with this record id, if logged.
    fn read_index_of_record(&mut self, record_id: &[u8; 32]) -> StoreResult<Option<u64>> {
        self.select_index_of_record(record_id)?
            .map(decode_index)
            .transpose()
    }

    /// [`read_index_of_record`](Self::read_index_of_record) for many ids
    /// (backends answer it in one query where a round trip is costly).
    fn read_indices_of_records(
        &mut self,
        record_ids: &[[u8; 32]],
    ) -> StoreResult<Vec<Option<u64>>> {
        record_ids
            .iter()
            .map(|id| self.read_index_of_record(id))
            .collect()
    }

    /// Index of the entry holding `key`; none for a namespace with a NUL
    /// byte, which no entry can hold.
    fn read_unique_holder(&mut self, key: &UniqueKey) -> StoreResult<Option<u64>> {
        if key.namespace.contains('\0') {
            return Ok(None);
        }
        self.select_unique_holder(key)?
            .map(decode_index)
            .transpose()
    }

    /// Indices filed under `topic`, `>= after`, in order, at most `limit`.
    fn read_topic(&mut self, topic: &[u8], after: u64, limit: usize) -> StoreResult<Vec<u64>> {
        self.select_topic(topic, clamp_index(after), clamp_limit(limit))?
            .into_iter()
            .map(decode_index)
            .collect()
    }

    /// Index of the first entry whose leaf hash is `leaf_hash`.
    fn read_index_of_leaf_hash(&mut self, leaf_hash: &Hash) -> StoreResult<Option<u64>> {
        self.select_index_of_leaf_hash(leaf_hash)?
            .map(decode_index)
            .transpose()
    }

    /// Leaf hashes with `start <= index < end`, in order.
    fn read_leaf_hashes(&mut self, start: u64, end: u64) -> StoreResult<Vec<Hash>> {
        self.select_leaf_hashes(clamp_index(start), clamp_index(end))?
            .into_iter()
            .map(|hash| decode_hash(hash, "leaf hash"))
            .collect()
    }

    /// Hashes of row `tier` of the tree with `start <= index < end`, in
    /// order: the leaf hashes for tier 0, the stored tree nodes above.
    fn read_tree_row(&mut self, tier: u8, start: u64, end: u64) -> StoreResult<Vec<Hash>> {
        if tier == 0 {
            return self.read_leaf_hashes(start, end);
        }
        self.select_tree_nodes(i64::from(tier), clamp_index(start), clamp_index(end))?
            .into_iter()
            .map(|hash| decode_hash(hash, "tree node"))
            .collect()
    }

    /// The checkpoint of the largest size.
    fn read_latest_checkpoint(&mut self) -> StoreResult<Option<StoredCheckpoint>> {
        self.select_latest_checkpoint()?
            .map(decode_checkpoint)
            .transpose()
    }

    /// The checkpoint of exactly `size`.
    fn read_checkpoint(&mut self, size: u64) -> StoreResult<Option<StoredCheckpoint>> {
        let Ok(size) = i64::try_from(size) else {
            return Ok(None);
        };
        self.select_checkpoint(size)?
            .map(decode_checkpoint)
            .transpose()
    }

    /// Replaces the note of the checkpoint of `size` (none past `i64::MAX`).
    fn write_checkpoint_note(&mut self, size: u64, note: &[u8]) -> StoreResult<()> {
        let Ok(size) = i64::try_from(size) else {
            return Ok(());
        };
        self.update_note(size, note)
    }
}

/// [`LogRead`] inside a read transaction on a backend connection.
pub(super) struct Snapshot<'c, C>(pub(super) &'c mut C);

impl<C: Queries> LogRead for Snapshot<'_, C> {
    fn size(&mut self) -> StoreResult<u64> {
        self.0.read_size()
    }

    fn entries(&mut self, start: u64, end: u64) -> StoreResult<Vec<StoredEntry>> {
        self.0.read_entries(start, end)
    }

    fn index_of_record(&mut self, record_id: &[u8; 32]) -> StoreResult<Option<u64>> {
        self.0.read_index_of_record(record_id)
    }

    fn indices_of_records(&mut self, record_ids: &[[u8; 32]]) -> StoreResult<Vec<Option<u64>>> {
        self.0.read_indices_of_records(record_ids)
    }

    fn unique_holder(&mut self, key: &UniqueKey) -> StoreResult<Option<u64>> {
        self.0.read_unique_holder(key)
    }

    fn tree_row(&mut self, tier: u8, start: u64, end: u64) -> StoreResult<Vec<Hash>> {
        self.0.read_tree_row(tier, start, end)
    }

    fn latest_checkpoint(&mut self) -> StoreResult<Option<StoredCheckpoint>> {
        self.0.read_latest_checkpoint()
    }
}

/// Whether the database still needs its tables.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum SchemaState {
    /// A new database: every table is created.
    Missing,
    /// Written by an older build: the tables added since are created (every
    /// `CREATE` is `IF NOT EXISTS`) and the version raised. The only change
    /// so far, version 1 to 2, adds `tree_nodes`; the sequencer fills it
    /// from the leaf hashes when it opens the log.
    Older,
    /// At this build's version.
    Current,
}

/// Checks the schema version found in the `meta` table against
/// `supported`, the version this build writes.
pub(super) fn check_schema_version(found: Option<i64>, supported: u32) -> StoreResult<SchemaState> {
    match found {
        None => Ok(SchemaState::Missing),
        Some(version) if version == i64::from(supported) => Ok(SchemaState::Current),
        Some(version) if version > i64::from(supported) => Err(StoreError::SchemaVersion {
            found: u32::try_from(version).unwrap_or(u32::MAX),
            supported,
        }),
        Some(version) if version >= 1 => Ok(SchemaState::Older),
        Some(_) => Err(StoreError::Corrupt("invalid stored schema version".into())),
    }
}

/// Locks a mutex, recovering from poisoning: what it guards is a
/// connection, and every user first rolls back any transaction a panicking
/// holder left open (or replaces a connection marked broken).
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Namespaces are text labels: NUL bytes are refused (PostgreSQL's `text`
/// cannot hold them, and SQLite refuses them alike).
pub(super) fn check_namespace(op: &'static str, namespace: &str) -> StoreResult<()> {
    if namespace.contains('\0') {
        return Err(StoreError::Corrupt(format!(
            "{op}: the namespace contains a NUL byte"
        )));
    }
    Ok(())
}

/// An index to write, which must fit the database's signed 64-bit integers.
pub(super) fn encode_index(op: &'static str, index: u64) -> StoreResult<i64> {
    i64::try_from(index)
        .map_err(|_| StoreError::Corrupt(format!("{op}: index {index} is out of range")))
}

/// A bound to query with: past `i64::MAX` nothing is stored anyway.
fn clamp_index(index: u64) -> i64 {
    i64::try_from(index).unwrap_or(i64::MAX)
}

fn clamp_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

pub(super) fn decode_index(value: i64) -> StoreResult<u64> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt("negative index stored".into()))
}

fn decode_hash(bytes: Vec<u8>, what: &'static str) -> StoreResult<Hash> {
    Hash::try_from(bytes.as_slice())
        .map_err(|_| StoreError::Corrupt(format!("stored {what} is not 32 bytes")))
}

fn decode_entry((index, record_id, leaf_hash, leaf): RawEntry) -> StoreResult<StoredEntry> {
    Ok(StoredEntry {
        index: decode_index(index)?,
        record_id: decode_hash(record_id, "record id")?,
        leaf_hash: decode_hash(leaf_hash, "leaf hash")?,
        leaf,
    })
}

fn decode_checkpoint((size, root, note): RawCheckpoint) -> StoreResult<StoredCheckpoint> {
    Ok(StoredCheckpoint {
        size: decode_index(size)?,
        root: decode_hash(root, "checkpoint root")?,
        note,
    })
}
