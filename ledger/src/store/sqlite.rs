//! SQLite backend: the embedded default, one file in the data directory.
//!
//! The database is `zkaudit.sqlite3` ([`DB_FILE_NAME`]) in WAL mode with
//! `synchronous = FULL`, so [`WriteTxn::commit`] returns only once the WAL is
//! fsynced: the service's durability promise rests on that.
//!
//! Connections:
//!
//! * one writer connection behind a mutex. [`Store::begin_write`] holds it
//!   for the whole transaction and opens the transaction with
//!   `BEGIN IMMEDIATE`, so SQLite's own write lock also serialises writers in
//!   other processes on the same file (each waits up to the busy timeout);
//! * a small pool of read-only connections for every read outside a write
//!   transaction. In WAL mode readers never wait for the writer.
//!
//! # Schema (version [`SCHEMA_VERSION`])
//!
//! ```sql
//! CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT, WITHOUT ROWID;
//! -- ('schema_version', 1)
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
//! ```
//!
//! The `meta` table keeps this layout in every future version, so an older
//! build can always read the version and refuse a newer database.

use std::fmt;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Params, Row, TransactionBehavior, params,
};

use super::{
    LogRead, Store, StoreError, StoreResult, StoredCheckpoint, StoredEntry, UniqueKey, WriteTxn,
};
use crate::merkle::Hash;

/// Schema version this build creates and understands.
pub const SCHEMA_VERSION: u32 = 1;

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
) STRICT;";

const SQL_GET_VERSION: &str = "SELECT value FROM meta WHERE name = 'schema_version'";
const SQL_SET_VERSION: &str = "INSERT INTO meta (name, value) VALUES ('schema_version', ?1)";
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
    idle_readers: Mutex<Vec<Connection>>,
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
            path,
            writer: Mutex::new(writer),
            idle_readers: Mutex::new(Vec::new()),
        })
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A read-only connection from the pool, returned to it on drop.
    fn reader(&self) -> StoreResult<PooledReader<'_>> {
        let idle = lock(&self.idle_readers).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open_reader(&self.path)?,
        };
        Ok(PooledReader {
            store: self,
            conn: Some(conn),
        })
    }

    /// Puts a reader back into the pool, unless it is broken or the pool full.
    fn recycle(&self, conn: Connection) {
        discard_open_transaction(&conn);
        if !conn.is_autocommit() {
            return;
        }
        let mut idle = lock(&self.idle_readers);
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
    }

    /// The writer connection, outside any transaction.
    fn writer(&self) -> MutexGuard<'_, Connection> {
        let conn = lock(&self.writer);
        discard_open_transaction(&conn);
        conn
    }
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store for SqliteStore {
    fn begin_write(&self) -> StoreResult<Box<dyn WriteTxn + '_>> {
        Ok(Box::new(SqliteWriteTxn::begin(self.writer())?))
    }

    /// The snapshot is taken when this is called, before `f` runs.
    fn with_reader(
        &self,
        f: &mut dyn FnMut(&mut dyn LogRead) -> StoreResult<()>,
    ) -> StoreResult<()> {
        let conn = self.reader()?;
        conn.execute_batch(SQL_BEGIN_READ)
            .map_err(db_error("begin read transaction"))?;
        let result = f(&mut SqliteReader { conn: &conn });
        let end = conn
            .execute_batch("COMMIT")
            .map_err(db_error("end read transaction"));
        result.and(end)
    }

    fn topic(&self, topic: &[u8], after: u64, limit: usize) -> StoreResult<Vec<u64>> {
        let params = params![topic, clamp_index(after), clamp_limit(limit)];
        query_vec(&*self.reader()?, "read topic", SQL_TOPIC, params, |r| {
            r.get(0)
        })?
        .into_iter()
        .map(decode_index)
        .collect()
    }

    fn index_of_leaf_hash(&self, leaf_hash: &Hash) -> StoreResult<Option<u64>> {
        let conn = self.reader()?;
        query_opt(
            &conn,
            "find leaf hash",
            SQL_INDEX_OF_LEAF_HASH,
            [leaf_hash],
            |r| r.get(0),
        )?
        .map(decode_index)
        .transpose()
    }

    fn leaf_hashes(&self, start: u64, end: u64) -> StoreResult<Vec<Hash>> {
        let params = params![clamp_index(start), clamp_index(end)];
        query_vec(
            &*self.reader()?,
            "read leaf hashes",
            SQL_LEAF_HASHES,
            params,
            |r| r.get(0),
        )?
        .into_iter()
        .map(|hash| decode_hash(hash, "leaf hash"))
        .collect()
    }

    fn latest_checkpoint(&self) -> StoreResult<Option<StoredCheckpoint>> {
        let conn = self.reader()?;
        query_opt(
            &conn,
            "read latest checkpoint",
            SQL_LATEST_CHECKPOINT,
            [],
            raw_checkpoint,
        )?
        .map(decode_checkpoint)
        .transpose()
    }

    fn checkpoint(&self, size: u64) -> StoreResult<Option<StoredCheckpoint>> {
        let Ok(size) = i64::try_from(size) else {
            return Ok(None);
        };
        let conn = self.reader()?;
        query_opt(
            &conn,
            "read checkpoint",
            SQL_CHECKPOINT,
            [size],
            raw_checkpoint,
        )?
        .map(decode_checkpoint)
        .transpose()
    }

    /// Durable when it returns (an autocommit write on the writer
    /// connection). Waits for an open write transaction of this store: do not
    /// call it from a thread that holds one.
    fn update_checkpoint_note(&self, size: u64, note: &[u8]) -> StoreResult<()> {
        let Ok(size) = i64::try_from(size) else {
            return Ok(());
        };
        let conn = self.writer();
        execute(
            &conn,
            "update checkpoint note",
            SQL_UPDATE_NOTE,
            params![note, size],
        )
        .map(drop)
    }

    /// Sizes of the database file and its write-ahead log.
    fn storage_bytes(&self) -> StoreResult<u64> {
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        Ok(file_len(&self.path)? + file_len(Path::new(&wal))?)
    }
}

/// The exclusive write transaction: the writer connection inside
/// `BEGIN IMMEDIATE`. Dropped without commit, it rolls back.
struct SqliteWriteTxn<'s> {
    conn: MutexGuard<'s, Connection>,
    /// The log size as of now in this transaction, once read.
    size: Option<u64>,
    /// Set by a database error: the transaction may be half applied (SQLite
    /// rolls some errors back on its own), so it refuses everything after.
    failed: bool,
}

impl<'s> SqliteWriteTxn<'s> {
    fn begin(conn: MutexGuard<'s, Connection>) -> StoreResult<Self> {
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(db_error("begin write transaction"))?;
        Ok(Self {
            conn,
            size: None,
            failed: false,
        })
    }

    /// Runs `op` on the connection unless the transaction already failed,
    /// and marks it failed if `op` hits a database error.
    fn run<T>(
        &mut self,
        op: &'static str,
        f: impl FnOnce(&Connection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        if self.failed {
            return Err(StoreError::Database(format!(
                "{op}: the transaction was aborted by an earlier database error"
            )));
        }
        let result = f(&self.conn);
        if let Err(StoreError::Database(_)) = result {
            self.failed = true;
        }
        result
    }

    /// The size, read once per transaction and then kept up to date.
    fn current_size(&mut self) -> StoreResult<u64> {
        if let Some(size) = self.size {
            return Ok(size);
        }
        let size = self.run("read size", read_size)?;
        self.size = Some(size);
        Ok(size)
    }

    /// `index` as a database integer, if an entry exists there.
    fn logged_index(&mut self, op: &'static str, index: u64) -> StoreResult<i64> {
        let size = self.current_size()?;
        if index >= size {
            return Err(StoreError::Corrupt(format!(
                "{op}: no entry at index {index} (log size {size})"
            )));
        }
        encode_index(op, index)
    }
}

impl LogRead for SqliteWriteTxn<'_> {
    fn size(&mut self) -> StoreResult<u64> {
        self.current_size()
    }

    fn entries(&mut self, start: u64, end: u64) -> StoreResult<Vec<StoredEntry>> {
        self.run("read entries", |c| read_entries(c, start, end))
    }

    fn index_of_record(&mut self, record_id: &[u8; 32]) -> StoreResult<Option<u64>> {
        self.run("find record", |c| read_index_of_record(c, record_id))
    }

    fn unique_holder(&mut self, key: &UniqueKey) -> StoreResult<Option<u64>> {
        self.run("find unique key", |c| read_unique_holder(c, key))
    }
}

impl WriteTxn for SqliteWriteTxn<'_> {
    fn append(&mut self, entry: &StoredEntry) -> StoreResult<()> {
        let size = self.current_size()?;
        if entry.index != size {
            return Err(StoreError::Corrupt(format!(
                "append: entry index {} is not the log size {size}",
                entry.index
            )));
        }
        let idx = encode_index("append", entry.index)?;
        let params = params![idx, entry.record_id, entry.leaf_hash, entry.leaf];
        let inserted = self.run("append", |c| execute(c, "append", SQL_APPEND, params))?;
        if inserted == 0 {
            return Err(StoreError::Corrupt(
                "append: an entry with this record id is already logged".into(),
            ));
        }
        self.size = Some(size + 1);
        Ok(())
    }

    fn claim_unique(&mut self, key: &UniqueKey, index: u64) -> StoreResult<()> {
        check_namespace("claim unique key", &key.namespace)?;
        let idx = self.logged_index("claim unique key", index)?;
        let params = params![key.namespace, key.key, idx];
        let claimed = self.run("claim unique key", |c| {
            execute(c, "claim unique key", SQL_CLAIM_UNIQUE, params)
        })?;
        if claimed == 0 {
            return Err(StoreError::Corrupt(
                "claim unique key: the key is already held".into(),
            ));
        }
        Ok(())
    }

    fn tag(&mut self, topic: &[u8], index: u64) -> StoreResult<()> {
        let idx = self.logged_index("tag", index)?;
        self.run("tag", |c| execute(c, "tag", SQL_TAG, params![topic, idx]))
            .map(drop)
    }

    fn put_checkpoint(&mut self, checkpoint: &StoredCheckpoint) -> StoreResult<()> {
        let size = self.current_size()?;
        if checkpoint.size > size {
            return Err(StoreError::Corrupt(format!(
                "put checkpoint: size {} is past the log size {size}",
                checkpoint.size
            )));
        }
        let params = params![
            encode_index("put checkpoint", checkpoint.size)?,
            checkpoint.root,
            checkpoint.note
        ];
        self.run("put checkpoint", |c| {
            execute(c, "put checkpoint", SQL_PUT_CHECKPOINT, params)
        })
        .map(drop)
    }

    fn commit(self: Box<Self>) -> StoreResult<()> {
        if self.failed {
            return Err(StoreError::Database(
                "commit: the transaction was aborted by an earlier database error".into(),
            ));
        }
        // On failure `Drop` rolls back whatever SQLite left open.
        self.conn
            .execute_batch("COMMIT")
            .map_err(db_error("commit"))
    }
}

impl Drop for SqliteWriteTxn<'_> {
    fn drop(&mut self) {
        discard_open_transaction(&self.conn);
    }
}

/// [`LogRead`] inside a read transaction on a pooled connection.
struct SqliteReader<'c> {
    conn: &'c Connection,
}

impl LogRead for SqliteReader<'_> {
    fn size(&mut self) -> StoreResult<u64> {
        read_size(self.conn)
    }

    fn entries(&mut self, start: u64, end: u64) -> StoreResult<Vec<StoredEntry>> {
        read_entries(self.conn, start, end)
    }

    fn index_of_record(&mut self, record_id: &[u8; 32]) -> StoreResult<Option<u64>> {
        read_index_of_record(self.conn, record_id)
    }

    fn unique_holder(&mut self, key: &UniqueKey) -> StoreResult<Option<u64>> {
        read_unique_holder(self.conn, key)
    }
}

/// A read-only connection borrowed from the store's pool.
struct PooledReader<'s> {
    store: &'s SqliteStore,
    /// Always `Some` until dropped.
    conn: Option<Connection>,
}

impl Deref for PooledReader<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("a pooled reader holds its connection until dropped")
    }
}

impl Drop for PooledReader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.store.recycle(conn);
        }
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
    if check_schema_version(found)? == SchemaState::Missing {
        tx.execute_batch(CREATE_TABLES)
            .map_err(db_error("create tables"))?;
        tx.execute(SQL_SET_VERSION, [SCHEMA_VERSION])
            .map_err(db_error("write schema version"))?;
    }
    tx.commit().map_err(db_error("commit schema setup"))
}

/// Whether the database still needs its tables.
#[derive(Debug, PartialEq, Eq)]
enum SchemaState {
    Missing,
    Current,
}

fn check_schema_version(found: Option<i64>) -> StoreResult<SchemaState> {
    let supported = i64::from(SCHEMA_VERSION);
    match found {
        None => Ok(SchemaState::Missing),
        Some(version) if version == supported => Ok(SchemaState::Current),
        Some(version) if version > supported => Err(StoreError::SchemaVersion {
            found: u32::try_from(version).unwrap_or(u32::MAX),
            supported: SCHEMA_VERSION,
        }),
        Some(_) => Err(StoreError::Corrupt("invalid stored schema version".into())),
    }
}

fn read_size(conn: &Connection) -> StoreResult<u64> {
    let size = query_opt(conn, "read size", SQL_SIZE, [], |r| r.get(0))?;
    decode_index(size.unwrap_or(0))
}

fn read_entries(conn: &Connection, start: u64, end: u64) -> StoreResult<Vec<StoredEntry>> {
    let params = params![clamp_index(start), clamp_index(end)];
    query_vec(conn, "read entries", SQL_ENTRIES, params, |row| {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
    })?
    .into_iter()
    .map(decode_entry)
    .collect()
}

fn read_index_of_record(conn: &Connection, record_id: &[u8; 32]) -> StoreResult<Option<u64>> {
    query_opt(conn, "find record", SQL_INDEX_OF_RECORD, [record_id], |r| {
        r.get(0)
    })?
    .map(decode_index)
    .transpose()
}

fn read_unique_holder(conn: &Connection, key: &UniqueKey) -> StoreResult<Option<u64>> {
    if key.namespace.contains('\0') {
        return Ok(None);
    }
    let params = params![key.namespace, key.key];
    query_opt(conn, "find unique key", SQL_UNIQUE_HOLDER, params, |r| {
        r.get(0)
    })?
    .map(decode_index)
    .transpose()
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
) -> StoreResult<usize> {
    conn.prepare_cached(sql)
        .and_then(|mut stmt| stmt.execute(params))
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

/// Locks a mutex, recovering from poisoning: what it guards is a
/// connection, and every user first rolls back any transaction a panicking
/// holder left open.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn file_len(path: &Path) -> StoreResult<u64> {
    match std::fs::metadata(path) {
        Ok(meta) => Ok(meta.len()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(StoreError::Database(format!("read storage size: {e}"))),
    }
}

/// Maps a driver error to [`StoreError::Database`], naming the operation.
/// SQLite's messages name tables and columns, never bound values.
fn db_error(op: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| StoreError::Database(format!("{op}: {e}"))
}

/// Namespaces are text labels: NUL bytes are refused (as on PostgreSQL).
fn check_namespace(op: &'static str, namespace: &str) -> StoreResult<()> {
    if namespace.contains('\0') {
        return Err(StoreError::Corrupt(format!(
            "{op}: the namespace contains a NUL byte"
        )));
    }
    Ok(())
}

/// An index to write, which must fit the database's signed 64-bit integers.
fn encode_index(op: &'static str, index: u64) -> StoreResult<i64> {
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

fn decode_index(value: i64) -> StoreResult<u64> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt("negative index stored".into()))
}

fn decode_hash(bytes: Vec<u8>, what: &'static str) -> StoreResult<Hash> {
    Hash::try_from(bytes.as_slice())
        .map_err(|_| StoreError::Corrupt(format!("stored {what} is not 32 bytes")))
}

type RawEntry = (i64, Vec<u8>, Vec<u8>, Vec<u8>);

fn decode_entry((index, record_id, leaf_hash, leaf): RawEntry) -> StoreResult<StoredEntry> {
    Ok(StoredEntry {
        index: decode_index(index)?,
        record_id: decode_hash(record_id, "record id")?,
        leaf_hash: decode_hash(leaf_hash, "leaf hash")?,
        leaf,
    })
}

type RawCheckpoint = (i64, Vec<u8>, Vec<u8>);

fn raw_checkpoint(row: &Row<'_>) -> rusqlite::Result<RawCheckpoint> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

fn decode_checkpoint((size, root, note): RawCheckpoint) -> StoreResult<StoredCheckpoint> {
    Ok(StoredCheckpoint {
        size: decode_index(size)?,
        root: decode_hash(root, "checkpoint root")?,
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(index: u64) -> StoredEntry {
        let byte = u8::try_from(index).expect("small test index");
        StoredEntry {
            index,
            record_id: [byte; 32],
            leaf_hash: [byte.wrapping_add(100); 32],
            leaf: vec![byte; 10],
        }
    }

    /// A COMMIT that fails (here: a deferred foreign key violation, after
    /// which SQLite keeps the transaction open) is reported, rolls back and
    /// leaves the writer connection usable.
    #[test]
    fn failed_commit_rolls_back_and_leaves_the_writer_usable() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).expect("open");
        store
            .writer()
            .execute_batch("PRAGMA foreign_keys = ON")
            .expect("enable foreign keys");

        let mut txn = SqliteWriteTxn::begin(store.writer()).expect("begin");
        txn.append(&entry(0)).expect("append");
        txn.conn
            .execute_batch(
                "CREATE TEMP TABLE parent (id INTEGER PRIMARY KEY);
                 CREATE TEMP TABLE child (id INTEGER REFERENCES parent (id)
                     DEFERRABLE INITIALLY DEFERRED);
                 INSERT INTO child VALUES (1);",
            )
            .expect("violate a deferred constraint");
        let err = Box::new(txn).commit().expect_err("commit must fail");
        assert!(matches!(err, StoreError::Database(ref m) if m.starts_with("commit:")));

        assert_eq!(store.read(|r| r.size()).expect("size"), 0);
        let mut txn = store.begin_write().expect("begin again");
        txn.append(&entry(0)).expect("append again");
        txn.commit().expect("commit");
        assert_eq!(store.read(|r| r.size()).expect("size"), 1);
    }

    /// After a database error inside a transaction, every later call and the
    /// commit fail, and nothing of the transaction is kept.
    #[test]
    fn database_error_aborts_the_transaction() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).expect("open");
        let mut txn = SqliteWriteTxn::begin(store.writer()).expect("begin");
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
