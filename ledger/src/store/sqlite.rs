//! SQLite backend: the embedded default, one file in the data directory.
//!
//! The database is `zkaudit.sqlite3` ([`DB_FILE_NAME`]) in WAL mode with
//! `synchronous = FULL`, so [`WriteTxn::commit`](super::WriteTxn::commit) returns only once the WAL is
//! fsynced: the service's durability promise rests on that.
//!
//! Connections:
//!
//! * one writer connection behind a mutex. [`Store::begin_write`](super::Store::begin_write) holds it
//!   for the whole transaction and opens the transaction with
//!   `BEGIN IMMEDIATE`, so SQLite's own write lock also serialises writers in
//!   other processes on the same file (each waits up to the busy timeout);
//! * a small pool of read-only connections for every read outside a write
//!   transaction. In WAL mode readers never wait for the writer;
//! * one connection of the WAL checkpointer's thread, which copies the
//!   write-ahead log into the database off the writer's path
//!   (the `wal_checkpointer` module).
//!
//! # Schema (version [`SCHEMA_VERSION`])
//!
//! ```sql
//! CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT, WITHOUT ROWID;
//! -- ('schema_version', 2)
//! CREATE TABLE entries (
//!     idx       INTEGER PRIMARY KEY CHECK (idx >= 0),
//!     record_id BLOB NOT NULL UNIQUE CHECK (length(record_id) = 32),
//!     leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32),
//!     leaf      BLOB NOT NULL
//! ) STRICT;
//! CREATE INDEX entries_by_leaf_hash ON entries (leaf_hash);
//! CREATE TABLE unique_keys (
//!     namespace TEXT NOT NULL, key BLOB NOT NULL, idx INTEGER NOT NULL,
//!     PRIMARY KEY (namespace, key)
//! ) STRICT, WITHOUT ROWID;
//! CREATE TABLE topics (
//!     topic BLOB NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (topic, idx)
//! ) STRICT, WITHOUT ROWID;
//! CREATE TABLE checkpoints (
//!     size INTEGER PRIMARY KEY CHECK (size >= 0),
//!     root BLOB NOT NULL CHECK (length(root) = 32),
//!     note BLOB NOT NULL
//! ) STRICT;
//! CREATE TABLE tree_nodes (
//!     tier INTEGER NOT NULL CHECK (tier > 0), idx INTEGER NOT NULL CHECK (idx >= 0),
//!     hash BLOB NOT NULL CHECK (length(hash) = 32), PRIMARY KEY (tier, idx)
//! ) STRICT, WITHOUT ROWID;
//! ```
//!
//! `tree_nodes` (since version 2) holds the hash of every complete subtree
//! of `256^tier` leaves: the rows of the C2SP hash tiles above level 0,
//! whose level-0 row is the entries' leaf hashes.
//!
//! The `meta` table keeps this layout in every future version, so an older
//! build can always read the version and refuse a newer database.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Params, Row, TransactionBehavior, params,
};

use super::backend::Backend;
use super::pool::{Pool, Pooled, Reusable};
use super::sql::{Queries, RawCheckpoint, RawEntry, SchemaState, check_schema_version, lock};
use super::txn::Txn;
use super::wal_checkpointer::{WRITER_CHECKPOINT_PAGES, WalCheckpointer};
use super::{StorageFault, StoreError, StoreResult, StoredCheckpoint, StoredEntry, UniqueKey};
use crate::merkle::Hash;

/// Schema version this build creates and understands.
pub const SCHEMA_VERSION: u32 = 2;

/// Name of the database file inside the data directory.
pub const DB_FILE_NAME: &str = "zkaudit.sqlite3";

/// Read-only connections kept open between reads (more are opened on demand).
const IDLE_READERS: usize = 4;
/// How long a connection waits for a lock held by another process.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Prepared statements cached per connection (there are fewer distinct ones).
const STATEMENT_CACHE_CAPACITY: usize = 32;
/// The WAL is truncated back to this size after a checkpoint.
const WAL_SIZE_LIMIT_BYTES: i64 = 64 << 20;

const CREATE_META: &str = "CREATE TABLE IF NOT EXISTS meta (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT, WITHOUT ROWID;";

const CREATE_TABLES: &str = "
CREATE TABLE IF NOT EXISTS entries (
    idx       INTEGER PRIMARY KEY CHECK (idx >= 0),
    record_id BLOB NOT NULL UNIQUE CHECK (length(record_id) = 32),
    leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32),
    leaf      BLOB NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS entries_by_leaf_hash ON entries (leaf_hash);
CREATE TABLE IF NOT EXISTS unique_keys (
    namespace TEXT NOT NULL,
    key       BLOB NOT NULL,
    idx       INTEGER NOT NULL,
    PRIMARY KEY (namespace, key)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS topics (
    topic BLOB NOT NULL,
    idx   INTEGER NOT NULL,
    PRIMARY KEY (topic, idx)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (
    size INTEGER PRIMARY KEY CHECK (size >= 0),
    root BLOB NOT NULL CHECK (length(root) = 32),
    note BLOB NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS tree_nodes (
    tier INTEGER NOT NULL CHECK (tier > 0),
    idx  INTEGER NOT NULL CHECK (idx >= 0),
    hash BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (tier, idx)
) STRICT, WITHOUT ROWID;";

const SQL_GET_VERSION: &str = "SELECT value FROM meta WHERE name = 'schema_version'";
const SQL_SET_VERSION: &str = "INSERT INTO meta (name, value) VALUES ('schema_version', ?1)
    ON CONFLICT (name) DO UPDATE SET value = excluded.value";
/// Starts a read transaction and reads once, which pins its snapshot now.
const SQL_BEGIN_READ: &str = "BEGIN DEFERRED; SELECT count(*) FROM meta;";
const SQL_SIZE: &str = "SELECT coalesce(max(idx) + 1, 0) FROM entries";
const SQL_ENTRIES: &str = "SELECT idx, record_id, leaf_hash, leaf FROM entries
    WHERE idx >= ?1 AND idx < ?2 ORDER BY idx";
const SQL_INDEX_OF_RECORD: &str = "SELECT idx FROM entries WHERE record_id = ?1";
const SQL_INDEX_OF_LEAF_HASH: &str =
    "SELECT idx FROM entries WHERE leaf_hash = ?1 ORDER BY idx LIMIT 1";
const SQL_LEAF_HASHES: &str =
    "SELECT leaf_hash FROM entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx";
const SQL_TREE_NODES: &str =
    "SELECT hash FROM tree_nodes WHERE tier = ?1 AND idx >= ?2 AND idx < ?3 ORDER BY idx";
const SQL_PUT_TREE_NODE: &str =
    "INSERT INTO tree_nodes (tier, idx, hash) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING";
const SQL_UNIQUE_HOLDER: &str = "SELECT idx FROM unique_keys WHERE namespace = ?1 AND key = ?2";
const SQL_TOPIC: &str =
    "SELECT idx FROM topics WHERE topic = ?1 AND idx >= ?2 ORDER BY idx LIMIT ?3";
const SQL_LATEST_CHECKPOINT: &str =
    "SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1";
const SQL_CHECKPOINT: &str = "SELECT size, root, note FROM checkpoints WHERE size = ?1";
const SQL_APPEND: &str = "INSERT INTO entries (idx, record_id, leaf_hash, leaf)
    VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING";
const SQL_CLAIM_UNIQUE: &str = "INSERT INTO unique_keys (namespace, key, idx)
    VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING";
const SQL_TAG: &str = "INSERT INTO topics (topic, idx) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
const SQL_PUT_CHECKPOINT: &str = "INSERT INTO checkpoints (size, root, note) VALUES (?1, ?2, ?3)
    ON CONFLICT (size) DO UPDATE SET root = excluded.root, note = excluded.note";
const SQL_UPDATE_NOTE: &str = "UPDATE checkpoints SET note = ?1 WHERE size = ?2";

/// The embedded SQLite store. Cheap to share: wrap it in an `Arc`.
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Pool<Connection>,
    _checkpointer: WalCheckpointer,
}

impl SqliteStore {
    /// Opens the store in `dir`, creating the directory and the database
    /// (at [`SCHEMA_VERSION`]) if they do not exist yet.
    ///
    /// Fails with [`StoreError::SchemaVersion`] if the database was written
    /// by a newer build.
    pub fn open(dir: &Path) -> StoreResult<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Database(format!("create data directory: {e}")))?;
        let path = dir.join(DB_FILE_NAME);
        let mut writer = open_writer(&path)?;
        init_schema(&mut writer)?;
        Ok(Self {
            _checkpointer: WalCheckpointer::start(&path),
            path,
            writer: Mutex::new(writer),
            readers: Pool::new(IDLE_READERS),
        })
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Backend for SqliteStore {
    type Conn = Connection;

    /// A read-only connection from the pool.
    fn reader(&self) -> StoreResult<Pooled<'_, Connection>> {
        self.readers.get(|| open_reader(&self.path))
    }

    fn writer(&self) -> StoreResult<MutexGuard<'_, Connection>> {
        let conn = lock(&self.writer);
        discard_open_transaction(&conn);
        Ok(conn)
    }

    /// `BEGIN IMMEDIATE`: SQLite's write lock, across processes.
    fn begin(&self) -> StoreResult<Txn<'_, Connection>> {
        let conn = self.writer()?;
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(db_error("begin write transaction"))?;
        Ok(Txn::begun(conn))
    }

    fn begin_read(conn: &mut Connection) -> StoreResult<()> {
        conn.execute_batch(SQL_BEGIN_READ)
            .map_err(db_error("begin read transaction"))
    }

    fn end_read(conn: &mut Connection) -> StoreResult<()> {
        conn.execute_batch("COMMIT")
            .map_err(db_error("end read transaction"))
    }

    fn discard_idle_readers(&self) {
        self.readers.clear();
    }

    /// Sizes of the database file and its write-ahead log.
    fn occupied_bytes(&self) -> StoreResult<u64> {
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        Ok(file_len(&self.path)? + file_len(Path::new(&wal))?)
    }
}

/// The log's statements on a SQLite connection (cached per connection).
impl Queries for Connection {
    fn select_size(&mut self) -> StoreResult<i64> {
        let size = query_opt(self, "read size", SQL_SIZE, [], |r| r.get(0))?;
        Ok(size.unwrap_or(0))
    }

    fn select_entries(&mut self, start: i64, end: i64) -> StoreResult<Vec<RawEntry>> {
        query_vec(
            self,
            "read entries",
            SQL_ENTRIES,
            params![start, end],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
    }

    fn select_index_of_record(&mut self, record_id: &[u8; 32]) -> StoreResult<Option<i64>> {
        query_opt(self, "find record", SQL_INDEX_OF_RECORD, [record_id], |r| {
            r.get(0)
        })
    }

    fn select_unique_holder(&mut self, key: &UniqueKey) -> StoreResult<Option<i64>> {
        let params = params![key.namespace, key.key];
        query_opt(self, "find unique key", SQL_UNIQUE_HOLDER, params, |r| {
            r.get(0)
        })
    }

    fn select_topic(&mut self, topic: &[u8], after: i64, limit: i64) -> StoreResult<Vec<i64>> {
        let params = params![topic, after, limit];
        query_vec(self, "read topic", SQL_TOPIC, params, |r| r.get(0))
    }

    fn select_index_of_leaf_hash(&mut self, leaf_hash: &Hash) -> StoreResult<Option<i64>> {
        let sql = SQL_INDEX_OF_LEAF_HASH;
        query_opt(self, "find leaf hash", sql, [leaf_hash], |r| r.get(0))
    }

    fn select_leaf_hashes(&mut self, start: i64, end: i64) -> StoreResult<Vec<Vec<u8>>> {
        let params = params![start, end];
        query_vec(self, "read leaf hashes", SQL_LEAF_HASHES, params, |r| {
            r.get(0)
        })
    }

    fn select_tree_nodes(&mut self, tier: i64, start: i64, end: i64) -> StoreResult<Vec<Vec<u8>>> {
        let params = params![tier, start, end];
        query_vec(self, "read tree nodes", SQL_TREE_NODES, params, |r| {
            r.get(0)
        })
    }

    fn insert_tree_node(&mut self, tier: i64, idx: i64, hash: &Hash) -> StoreResult<u64> {
        let params = params![tier, idx, hash];
        execute(self, "put tree node", SQL_PUT_TREE_NODE, params)
    }

    fn select_latest_checkpoint(&mut self) -> StoreResult<Option<RawCheckpoint>> {
        let sql = SQL_LATEST_CHECKPOINT;
        query_opt(self, "read latest checkpoint", sql, [], raw_checkpoint)
    }

    fn select_checkpoint(&mut self, size: i64) -> StoreResult<Option<RawCheckpoint>> {
        query_opt(
            self,
            "read checkpoint",
            SQL_CHECKPOINT,
            [size],
            raw_checkpoint,
        )
    }

    fn insert_entry(&mut self, idx: i64, entry: &StoredEntry) -> StoreResult<u64> {
        let params = params![idx, entry.record_id, entry.leaf_hash, entry.leaf];
        execute(self, "append", SQL_APPEND, params)
    }

    fn insert_unique(&mut self, key: &UniqueKey, idx: i64) -> StoreResult<u64> {
        let params = params![key.namespace, key.key, idx];
        execute(self, "claim unique key", SQL_CLAIM_UNIQUE, params)
    }

    fn insert_topic(&mut self, topic: &[u8], idx: i64) -> StoreResult<()> {
        execute(self, "tag", SQL_TAG, params![topic, idx]).map(drop)
    }

    fn upsert_checkpoint(&mut self, size: i64, checkpoint: &StoredCheckpoint) -> StoreResult<()> {
        let params = params![size, checkpoint.root, checkpoint.note];
        execute(self, "put checkpoint", SQL_PUT_CHECKPOINT, params).map(drop)
    }

    fn update_note(&mut self, size: i64, note: &[u8]) -> StoreResult<()> {
        let params = params![note, size];
        execute(self, "update checkpoint note", SQL_UPDATE_NOTE, params).map(drop)
    }

    /// On failure the transaction's `Drop` rolls back whatever SQLite left open.
    fn commit(&mut self) -> StoreResult<()> {
        self.execute_batch("COMMIT").map_err(db_error("commit"))
    }

    fn rollback(&mut self) {
        discard_open_transaction(self);
    }

    /// Reopens the writer connection. If that fails too (the fault is still
    /// there), the old one is kept and the next transaction tries again.
    fn discard_after_fault(&mut self) {
        let Some(path) = self.path().map(PathBuf::from) else {
            return;
        };
        if let Ok(fresh) = open_writer(&path) {
            *self = fresh;
        }
    }
}

/// Pooled readers are handed out only outside a transaction.
impl Reusable for Connection {
    fn reusable(&mut self) -> bool {
        discard_open_transaction(self);
        self.is_autocommit()
    }
}

fn open_writer(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path).map_err(db_error("open database"))?;
    configure(&conn)?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))
        .map_err(db_error("enable WAL"))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Database(format!(
            "enable WAL: the database stays in {mode} mode"
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(db_error("set synchronous"))?;
    conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT_BYTES)
        .map_err(db_error("set journal size limit"))?;
    // Checkpoints are the checkpointer thread's; this is its backstop.
    conn.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)
        .map_err(db_error("set automatic checkpoint"))?;
    Ok(conn)
}

fn open_reader(path: &Path) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(db_error("open reader"))?;
    configure(&conn)?;
    Ok(conn)
}

/// Settings shared by the writer and the readers.
fn configure(conn: &Connection) -> StoreResult<()> {
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(db_error("set busy timeout"))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    Ok(())
}

/// Creates the tables of a new database, or checks the version of an
/// existing one, in one immediate transaction.
fn init_schema(conn: &mut Connection) -> StoreResult<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_error("begin schema setup"))?;
    tx.execute_batch(CREATE_META)
        .map_err(db_error("create meta table"))?;
    let found: Option<i64> = tx
        .query_row(SQL_GET_VERSION, [], |row| row.get(0))
        .optional()
        .map_err(db_error("read schema version"))?;
    if check_schema_version(found, SCHEMA_VERSION)? != SchemaState::Current {
        tx.execute_batch(CREATE_TABLES)
            .map_err(db_error("create tables"))?;
        tx.execute(SQL_SET_VERSION, [SCHEMA_VERSION])
            .map_err(db_error("write schema version"))?;
    }
    tx.commit().map_err(db_error("commit schema setup"))
}

/// Runs a cached statement and collects every row through `map`.
fn query_vec<T, P: Params>(
    conn: &Connection,
    op: &'static str,
    sql: &str,
    params: P,
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(db_error(op))?;
    let rows = stmt.query_map(params, map).map_err(db_error(op))?;
    let collected = rows.collect::<rusqlite::Result<Vec<T>>>();
    collected.map_err(db_error(op))
}

/// Runs a cached statement that yields at most one row.
fn query_opt<T, P: Params>(
    conn: &Connection,
    op: &'static str,
    sql: &str,
    params: P,
    map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> StoreResult<Option<T>> {
    conn.prepare_cached(sql)
        .and_then(|mut stmt| stmt.query_row(params, map).optional())
        .map_err(db_error(op))
}

/// Runs a cached statement and returns the number of rows it changed.
fn execute<P: Params>(
    conn: &Connection,
    op: &'static str,
    sql: &str,
    params: P,
) -> StoreResult<u64> {
    conn.prepare_cached(sql)
        .and_then(|mut stmt| stmt.execute(params))
        .map(|rows| rows as u64)
        .map_err(db_error(op))
}

/// Rolls back a transaction left open (by a failed commit, a failed
/// rollback or a panic). If even that fails, the transaction stays open and
/// the next `BEGIN` reports the error.
fn discard_open_transaction(conn: &Connection) {
    if !conn.is_autocommit() {
        // Ignored on purpose: see above.
        let _ = conn.execute_batch("ROLLBACK");
    }
}

fn file_len(path: &Path) -> StoreResult<u64> {
    match std::fs::metadata(path) {
        Ok(meta) => Ok(meta.len()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(StoreError::Database(format!("read storage size: {e}"))),
    }
}

/// Maps a driver error to [`StoreError::Database`], naming the operation,
/// or to [`StoreError::Unavailable`] when the disk is full or the operating
/// system failed a file operation. SQLite's messages name tables and
/// columns, never bound values.
fn db_error(op: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| {
        let fault = match &e {
            rusqlite::Error::SqliteFailure(failure, _) => match failure.code {
                rusqlite::ErrorCode::DiskFull => Some((StorageFault::DiskFull, "")),
                rusqlite::ErrorCode::SystemIoFailure | rusqlite::ErrorCode::CannotOpen => {
                    Some((StorageFault::Io, io_operation(failure.extended_code)))
                }
                _ => None,
            },
            _ => None,
        };
        match fault {
            Some((fault, what)) => StoreError::Unavailable {
                fault,
                detail: format!("{op}: {e}{what}"),
            },
            None => StoreError::Database(format!("{op}: {e}")),
        }
    }
}

/// Which file operation an `SQLITE_IOERR_*` extended code names.
fn io_operation(extended_code: std::ffi::c_int) -> &'static str {
    use rusqlite::ffi;
    match extended_code {
        ffi::SQLITE_IOERR_WRITE => " (a write failed)",
        ffi::SQLITE_IOERR_FSYNC | ffi::SQLITE_IOERR_DIR_FSYNC => " (fsync failed)",
        ffi::SQLITE_IOERR_READ | ffi::SQLITE_IOERR_SHORT_READ => " (a read failed)",
        ffi::SQLITE_IOERR_TRUNCATE => " (truncate failed)",
        ffi::SQLITE_IOERR_SHMMAP | ffi::SQLITE_IOERR_SHMSIZE => " (shared memory failed)",
        _ => "",
    }
}

fn raw_checkpoint(row: &Row<'_>) -> rusqlite::Result<RawCheckpoint> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::backend::{assert_rolled_back_and_writer_usable, test_entry as entry};
    use crate::store::{Store, WriteTxn};

    /// A COMMIT that fails (here: a deferred foreign key violation, after
    /// which SQLite keeps the transaction open) is reported, rolls back and
    /// leaves the writer connection usable.
    #[test]
    fn failed_commit_rolls_back_and_leaves_the_writer_usable() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).expect("open");
        store
            .writer()
            .expect("writer")
            .execute_batch("PRAGMA foreign_keys = ON")
            .expect("enable foreign keys");

        let mut txn = store.begin().expect("begin");
        txn.append(&entry(0)).expect("append");
        txn.run("provoke", |c| {
            c.execute_batch(
                "CREATE TEMP TABLE parent (id INTEGER PRIMARY KEY);
                 CREATE TEMP TABLE child (id INTEGER REFERENCES parent (id)
                     DEFERRABLE INITIALLY DEFERRED);
                 INSERT INTO child VALUES (1);",
            )
            .map_err(db_error("provoke"))
        })
        .expect("violate a deferred constraint");
        let err = Box::new(txn).commit().expect_err("commit must fail");
        assert!(matches!(err, StoreError::Database(ref m) if m.starts_with("commit:")));

        assert_rolled_back_and_writer_usable(&store);
    }

    /// A full disk and failed file operations are faults that may pass,
    /// named as such; other errors stay database errors.
    #[test]
    fn disk_and_io_failures_are_storage_faults() {
        use rusqlite::ffi;
        let failure =
            |code| db_error("commit")(rusqlite::Error::SqliteFailure(ffi::Error::new(code), None));
        let full = failure(ffi::SQLITE_FULL);
        assert_eq!(full.fault(), Some(StorageFault::DiskFull));
        let fsync = failure(ffi::SQLITE_IOERR_FSYNC);
        assert_eq!(fsync.fault(), Some(StorageFault::Io));
        assert!(fsync.to_string().contains("fsync failed"), "{fsync}");
        assert_eq!(
            failure(ffi::SQLITE_IOERR_WRITE).fault(),
            Some(StorageFault::Io)
        );
        assert!(matches!(
            failure(ffi::SQLITE_CONSTRAINT),
            StoreError::Database(_)
        ));
    }

    /// After a database error inside a transaction, every later call and the
    /// commit fail, and nothing of the transaction is kept.
    #[test]
    fn database_error_aborts_the_transaction() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).expect("open");
        let mut txn = store.begin().expect("begin");
        txn.append(&entry(0)).expect("append");
        let err = txn
            .run("provoke", |c| {
                execute(c, "provoke", "SELECT * FROM missing", [])
            })
            .expect_err("no such table");
        assert!(matches!(err, StoreError::Database(_)));
        assert!(matches!(
            txn.append(&entry(1)),
            Err(StoreError::Database(_))
        ));
        assert!(Box::new(txn).commit().is_err());
        assert_eq!(store.read(|r| r.size()).expect("size"), 0);
    }
}
