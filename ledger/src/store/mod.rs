//! Storage: one [`Store`] trait, two backends.
//!
//! * [`sqlite::SqliteStore`] (feature `sqlite`): the embedded default, a data
//!   directory and nothing to set up.
//! * [`postgres::PostgresStore`] (feature `postgres`): several `zkaudit serve`
//!   processes sharing one database.
//!
//! Backends are deliberately dumb: they store entries, unique keys, topics,
//! the tree's complete tiles above the leaves and checkpoints, and give the sequencer an exclusive write transaction.
//! Every rule (index assignment, de-duplication, uniqueness, tree hashing,
//! checkpoint signing) lives once, in the sequencer, above this trait.
//!
//! The durability promise rests on [`WriteTxn::commit`]: when it returns
//! `Ok`, everything written in the transaction is on stable storage (SQLite
//! WAL with `synchronous = FULL`; PostgreSQL with `synchronous_commit = on`).
//! A transaction dropped without `commit` is rolled back.
//!
//! What the backends have in common is written once: the write transaction
//! (`txn`: the size kept current, the checks before each write, refusal
//! after a database error, rollback on drop), the log operations over
//! each backend's statements (`sql`) and the [`Store`] over them
//! (`backend`); a backend holds only its SQL, its driver calls and its
//! connection handling.

use crate::merkle::{Hash, TreeNode};

mod backend;
mod pool;
#[cfg(feature = "postgres")]
pub mod postgres;
mod sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;
mod txn;
#[cfg(feature = "sqlite")]
mod wal_checkpointer;

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database could not be opened, read or written.
    #[error("database error: {0}")]
    Database(String),
    /// The stored data contradicts itself (e.g. an index gap), or a caller
    /// broke the write contract (e.g. appended at an index other than the size).
    #[error("storage invariant violated: {0}")]
    Corrupt(String),
    /// The storage cannot persist or answer right now, for a reason that
    /// may pass by itself (disk full, an I/O or sync error, the database
    /// server unreachable). A write transaction that fails this way was not
    /// committed — except that a `COMMIT` whose connection was lost has an
    /// unknown outcome: the next transaction reads what was kept.
    #[error("storage unavailable ({fault}): {detail}")]
    Unavailable {
        /// What is wrong, in words for operators and clients.
        fault: StorageFault,
        /// The driver's message, naming the operation (never bound values).
        detail: String,
    },
    /// The database was written by a newer, unknown schema version.
    #[error("unsupported schema version {found} (this build knows {supported})")]
    SchemaVersion {
        /// Version found in the database.
        found: u32,
        /// Version this build writes.
        supported: u32,
    },
}

impl StoreError {
    /// The passing fault behind this error, if it is one.
    pub fn fault(&self) -> Option<StorageFault> {
        match self {
            Self::Unavailable { fault, .. } => Some(*fault),
            _ => None,
        }
    }
}

/// Why the storage cannot persist or answer right now. Each names the
/// condition an operator has to fix; the store recovers by itself once it
/// is fixed (SQLite retries the write, PostgreSQL reconnects).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StorageFault {
    /// No space left for the database (SQLite `SQLITE_FULL`, PostgreSQL
    /// `53100 disk_full`).
    DiskFull,
    /// The operating system failed a write, read or sync of the database
    /// files (SQLite `SQLITE_IOERR_*`, e.g. `EIO` from `fsync`, `EFBIG`
    /// past a file size limit; PostgreSQL `58030 io_error`).
    Io,
    /// The database server cannot be reached, or dropped the connection
    /// (connection refused or reset, a server shutting down or starting up).
    Unreachable,
}

impl std::fmt::Display for StorageFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::DiskFull => "disk full",
            Self::Io => "storage I/O error",
            Self::Unreachable => "database unreachable",
        })
    }
}

/// Result alias of the storage layer.
pub type StoreResult<T> = std::result::Result<T, StoreError>;

/// One log entry as stored: the leaf (the canonical record bytes) at its index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEntry {
    /// Position in the log, from 0.
    pub index: u64,
    /// SHA3-256 record id (unique in the log).
    pub record_id: [u8; 32],
    /// RFC 6962 leaf hash `SHA-256(0x00 ‖ leaf)`.
    pub leaf_hash: Hash,
    /// The leaf bytes: the record's canonical encoding.
    pub leaf: Vec<u8>,
}

/// A uniqueness claim made by an entry: at most one entry in the whole log
/// may hold `(namespace, key)`. Nullifiers and "one transfer per title
/// version" are expressed this way, and enforced inside the write transaction.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UniqueKey {
    /// What kind of key this is, e.g. `"identity/nullifier"`.
    pub namespace: String,
    /// The key within the namespace.
    pub key: Vec<u8>,
}

/// A signed checkpoint as stored, with the cosignatures gathered so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// Tree size the checkpoint commits to.
    pub size: u64,
    /// Root hash at that size.
    pub root: Hash,
    /// The checkpoint as a signed note, with the log's signature and any
    /// witness cosignatures collected so far.
    pub note: Vec<u8>,
}

/// [`Store::read`] for a store behind `dyn`: runs `f` once with read
/// access to the latest committed state.
pub fn read_in<T>(
    store: &dyn Store,
    f: impl FnOnce(&mut dyn LogRead) -> StoreResult<T>,
) -> StoreResult<T> {
    let mut f = Some(f);
    let mut out = None;
    store.with_reader(&mut |r| {
        let f = f.take().expect("with_reader calls its closure once");
        out = Some(f(r)?);
        Ok(())
    })?;
    out.ok_or_else(|| StoreError::Corrupt("reader closure was not called".into()))
}

/// Read access shared by the store and its write transaction.
pub trait LogRead {
    /// Number of committed entries (the next index to assign).
    fn size(&mut self) -> StoreResult<u64>;
    /// Entries with `start <= index < end`, in order. Indices past the size
    /// are simply absent.
    fn entries(&mut self, start: u64, end: u64) -> StoreResult<Vec<StoredEntry>>;
    /// Index of the entry with this record id, if logged.
    fn index_of_record(&mut self, record_id: &[u8; 32]) -> StoreResult<Option<u64>>;
    /// [`index_of_record`](Self::index_of_record) for many ids at once, in
    /// order. Backends with a round trip per query answer it in one query.
    fn indices_of_records(&mut self, record_ids: &[[u8; 32]]) -> StoreResult<Vec<Option<u64>>> {
        record_ids
            .iter()
            .map(|id| self.index_of_record(id))
            .collect()
    }
    /// Index of the entry holding this unique key, if any.
    fn unique_holder(&mut self, key: &UniqueKey) -> StoreResult<Option<u64>>;
    /// The stored hashes of tier `tier` of the tree (tree level `8·tier`,
    /// see [`merkle::Frontier`](crate::merkle::Frontier)) with
    /// `start <= index < end`, in order: the leaf hashes for tier 0, the
    /// [`TreeNode`]s [`WriteTxn::put_tree_node`] stored above. Positions not
    /// stored are simply absent.
    fn tree_row(&mut self, tier: u8, start: u64, end: u64) -> StoreResult<Vec<Hash>>;

    /// The checkpoint of the largest size, as this transaction sees it.
    fn latest_checkpoint(&mut self) -> StoreResult<Option<StoredCheckpoint>>;
}

/// The exclusive write transaction. Only one is open at a time across all
/// processes sharing the store: `begin_write` blocks until it can have it.
pub trait WriteTxn: LogRead {
    /// Append `entry`; its index must equal the current size.
    fn append(&mut self, entry: &StoredEntry) -> StoreResult<()>;
    /// Append `entries` at consecutive indices from the current size, as
    /// [`append`](Self::append) one by one would (in one statement where
    /// the backend pays a round trip per statement).
    fn append_all(&mut self, entries: &[StoredEntry]) -> StoreResult<()> {
        entries.iter().try_for_each(|entry| self.append(entry))
    }
    /// File each entry `index` under `topic`, as [`tag`](Self::tag) one by
    /// one would (in one statement where that saves round trips).
    fn tag_all(&mut self, tags: &[(&[u8], u64)]) -> StoreResult<()> {
        tags.iter()
            .try_for_each(|&(topic, index)| self.tag(topic, index))
    }
    /// Record that the entry at `index` holds `key`. The key must be free.
    fn claim_unique(&mut self, key: &UniqueKey, index: u64) -> StoreResult<()>;
    /// File the entry at `index` under `topic` (a secondary index domains use
    /// to find their records, e.g. every event of one parcel).
    fn tag(&mut self, topic: &[u8], index: u64) -> StoreResult<()>;
    /// Store the hash of a complete subtree of tier ≥ 1, which must lie
    /// inside the log. Storing the same hash again is a no-op; another hash
    /// at the same place is refused as corruption.
    fn put_tree_node(&mut self, node: &TreeNode) -> StoreResult<()>;
    /// Store a signed checkpoint (replaces one of the same size).
    fn put_checkpoint(&mut self, checkpoint: &StoredCheckpoint) -> StoreResult<()>;
    /// Make everything durable. Returns only once it is on stable storage.
    fn commit(self: Box<Self>) -> StoreResult<()>;
}

/// A log store. Implementations are cheap to share across threads.
pub trait Store: Send + Sync + 'static {
    /// Opens the exclusive write transaction (see [`WriteTxn`]).
    fn begin_write(&self) -> StoreResult<Box<dyn WriteTxn + '_>>;
    /// Runs `f` with read access to the latest committed state.
    fn read<T>(&self, f: impl FnOnce(&mut dyn LogRead) -> StoreResult<T>) -> StoreResult<T>
    where
        Self: Sized,
    {
        read_in(self, f)
    }
    /// Object-safe form of [`Store::read`]: calls `f` exactly once.
    fn with_reader(
        &self,
        f: &mut dyn FnMut(&mut dyn LogRead) -> StoreResult<()>,
    ) -> StoreResult<()>;
    /// Indices filed under `topic` that are `>= after`, in order, at most `limit`.
    fn topic(&self, topic: &[u8], after: u64, limit: usize) -> StoreResult<Vec<u64>>;
    /// Index of the entry whose leaf hash is `leaf_hash`, if logged.
    fn index_of_leaf_hash(&self, leaf_hash: &Hash) -> StoreResult<Option<u64>>;
    /// All leaf hashes with `start <= index < end`, in order (tree rebuilds).
    fn leaf_hashes(&self, start: u64, end: u64) -> StoreResult<Vec<Hash>>;
    /// The checkpoint of the largest size, if any.
    fn latest_checkpoint(&self) -> StoreResult<Option<StoredCheckpoint>>;
    /// The checkpoint of exactly `size`, if one was signed at that size.
    fn checkpoint(&self, size: u64) -> StoreResult<Option<StoredCheckpoint>>;
    /// Replace the note of the checkpoint of `size` by one carrying more
    /// cosignatures. No-op if there is no such checkpoint.
    fn update_checkpoint_note(&self, size: u64, note: &[u8]) -> StoreResult<()>;
    /// Bytes the store occupies (database files or relation sizes).
    fn storage_bytes(&self) -> StoreResult<u64>;
}
