//! PostgreSQL backend: several processes sharing one database.
//!
//! Each store works in one schema (`public` unless chosen with
//! [`PostgresStore::connect_with_schema`]), set as the `search_path` of every
//! connection it opens.
//!
//! Writers are serialised across processes: [`Store::begin_write`] runs
//! `BEGIN` and then `pg_advisory_xact_lock(k)`, where `k` is derived from the
//! schema name, and holds the lock until commit or rollback. The log size is
//! read (`max(idx) + 1`) only after the lock is held, so it includes every
//! entry committed by the previous holder, in whatever process.
//!
//! Durability: `synchronous_commit` stays `on`, PostgreSQL's default, so a
//! `COMMIT` returns only once its WAL record is flushed. If the server or
//! role is configured with `off`, the writer connection sets it back to `on`
//! for its session (stronger settings such as `remote_apply` are kept).
//!
//! Connections: one writer client behind a mutex (reconnected if it breaks)
//! and a small pool of reader clients (read-only sessions) opened on demand.
//! Statements are prepared once per connection and cached.
//!
//! # Schema (version [`SCHEMA_VERSION`])
//!
//! ```sql
//! CREATE TABLE meta (name text PRIMARY KEY, value bigint NOT NULL);
//! -- ('schema_version', 1)
//! CREATE TABLE entries (
//!     idx       bigint PRIMARY KEY CHECK (idx >= 0),
//!     record_id bytea NOT NULL UNIQUE CHECK (octet_length(record_id) = 32),
//!     leaf_hash bytea NOT NULL CHECK (octet_length(leaf_hash) = 32),
//!     leaf      bytea NOT NULL
//! );
//! CREATE INDEX entries_by_leaf_hash ON entries (leaf_hash);
//! CREATE TABLE unique_keys (
//!     namespace text NOT NULL, key bytea NOT NULL, idx bigint NOT NULL,
//!     PRIMARY KEY (namespace, key)
//! );
//! CREATE TABLE topics (topic bytea NOT NULL, idx bigint NOT NULL, PRIMARY KEY (topic, idx));
//! CREATE TABLE checkpoints (
//!     size bigint PRIMARY KEY CHECK (size >= 0),
//!     root bytea NOT NULL CHECK (octet_length(root) = 32),
//!     note bytea NOT NULL
//! );
//! ```
//!
//! Tables are created with `CREATE TABLE IF NOT EXISTS` while holding the
//! writer lock, so processes starting together do not race. The `meta` table
//! keeps this layout in every future version.

use std::collections::HashMap;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, MutexGuard, PoisonError};

use postgres::types::{FromSql, ToSql};
use postgres::{Client, Config, NoTls, Row, Statement};
use sha2::{Digest, Sha256};

use super::{
    LogRead, Store, StoreError, StoreResult, StoredCheckpoint, StoredEntry, UniqueKey, WriteTxn,
};
use crate::merkle::Hash;

/// Schema version this build creates and understands.
pub const SCHEMA_VERSION: u32 = 1;

/// The schema [`PostgresStore::connect`] uses.
pub const DEFAULT_SCHEMA: &str = "public";

/// Reader clients kept open between reads (more are opened on demand).
const IDLE_READERS: usize = 4;
/// PostgreSQL's limit on identifier length, in bytes.
const MAX_SCHEMA_NAME_LEN: usize = 63;

const CREATE_META: &str = "CREATE TABLE IF NOT EXISTS {schema}.meta (
    name  text PRIMARY KEY,
    value bigint NOT NULL
)";

const CREATE_TABLES: &str = "
CREATE TABLE IF NOT EXISTS {schema}.entries (
    idx       bigint PRIMARY KEY CHECK (idx >= 0),
    record_id bytea NOT NULL UNIQUE CHECK (octet_length(record_id) = 32),
    leaf_hash bytea NOT NULL CHECK (octet_length(leaf_hash) = 32),
    leaf      bytea NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_by_leaf_hash ON {schema}.entries (leaf_hash);
CREATE TABLE IF NOT EXISTS {schema}.unique_keys (
    namespace text NOT NULL,
    key       bytea NOT NULL,
    idx       bigint NOT NULL,
    PRIMARY KEY (namespace, key)
);
CREATE TABLE IF NOT EXISTS {schema}.topics (
    topic bytea NOT NULL,
    idx   bigint NOT NULL,
    PRIMARY KEY (topic, idx)
);
CREATE TABLE IF NOT EXISTS {schema}.checkpoints (
    size bigint PRIMARY KEY CHECK (size >= 0),
    root bytea NOT NULL CHECK (octet_length(root) = 32),
    note bytea NOT NULL
);";

const SQL_SCHEMA_EXISTS: &str = "SELECT 1 FROM pg_namespace WHERE nspname = $1";
const SQL_GET_VERSION: &str = "SELECT value FROM {schema}.meta WHERE name = 'schema_version'";
const SQL_SET_VERSION: &str =
    "INSERT INTO {schema}.meta (name, value) VALUES ('schema_version', $1)";
const SQL_SYNCHRONOUS_COMMIT: &str = "SELECT current_setting('synchronous_commit')";
/// Starts a snapshot transaction and runs a statement, which pins the
/// snapshot now (PostgreSQL takes it at the first statement).
const SQL_BEGIN_READ: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1";
const SQL_SIZE: &str = "SELECT coalesce(max(idx) + 1, 0) FROM entries";
const SQL_ENTRIES: &str = "SELECT idx, record_id, leaf_hash, leaf FROM entries
    WHERE idx >= $1 AND idx < $2 ORDER BY idx";
const SQL_INDEX_OF_RECORD: &str = "SELECT idx FROM entries WHERE record_id = $1";
const SQL_INDICES_OF_RECORDS: &str = "SELECT record_id, idx FROM entries WHERE record_id = ANY($1)";
const SQL_INDEX_OF_LEAF_HASH: &str =
    "SELECT idx FROM entries WHERE leaf_hash = $1 ORDER BY idx LIMIT 1";
const SQL_LEAF_HASHES: &str =
    "SELECT leaf_hash FROM entries WHERE idx >= $1 AND idx < $2 ORDER BY idx";
const SQL_UNIQUE_HOLDER: &str = "SELECT idx FROM unique_keys WHERE namespace = $1 AND key = $2";
const SQL_TOPIC: &str =
    "SELECT idx FROM topics WHERE topic = $1 AND idx >= $2 ORDER BY idx LIMIT $3";
const SQL_LATEST_CHECKPOINT: &str =
    "SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1";
const SQL_CHECKPOINT: &str = "SELECT size, root, note FROM checkpoints WHERE size = $1";
const SQL_APPEND: &str = "INSERT INTO entries (idx, record_id, leaf_hash, leaf)
    VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
const SQL_CLAIM_UNIQUE: &str = "INSERT INTO unique_keys (namespace, key, idx)
    VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
const SQL_TAG: &str = "INSERT INTO topics (topic, idx) VALUES ($1, $2) ON CONFLICT DO NOTHING";
const SQL_PUT_CHECKPOINT: &str = "INSERT INTO checkpoints (size, root, note) VALUES ($1, $2, $3)
    ON CONFLICT (size) DO UPDATE SET root = excluded.root, note = excluded.note";
const SQL_UPDATE_NOTE: &str = "UPDATE checkpoints SET note = $1 WHERE size = $2";
const SQL_STORAGE_BYTES: &str = "SELECT (pg_total_relation_size('meta')
    + pg_total_relation_size('entries') + pg_total_relation_size('unique_keys')
    + pg_total_relation_size('topics') + pg_total_relation_size('checkpoints'))::bigint";

/// A store in one schema of a PostgreSQL database. Cheap to share: wrap it
/// in an `Arc`. Several stores (in several processes) may use the same schema.
pub struct PostgresStore {
    connector: Connector,
    /// `BEGIN` and the advisory lock of this schema's writer, in one round trip.
    begin_write_sql: String,
    writer: Mutex<PgConn>,
    idle_readers: Mutex<Vec<PgConn>>,
}

impl PostgresStore {
    /// Connects to the database at `url` (a libpq-style connection string or
    /// URL, without TLS) and uses the [`DEFAULT_SCHEMA`].
    pub fn connect(url: &str) -> StoreResult<Self> {
        Self::connect_with_schema(url, DEFAULT_SCHEMA)
    }

    /// Connects to the database at `url` and uses `schema`, creating it and
    /// its tables (at [`SCHEMA_VERSION`]) if they do not exist yet.
    ///
    /// `schema` must be 1 to 63 lowercase ASCII letters, digits and
    /// underscores, not starting with a digit. Fails with
    /// [`StoreError::SchemaVersion`] if the schema was written by a newer build.
    pub fn connect_with_schema(url: &str, schema: &str) -> StoreResult<Self> {
        check_schema_name(schema)?;
        let config = url
            .parse::<Config>()
            .map_err(pg_error("parse connection string"))?;
        let connector = Connector {
            config,
            schema: schema.to_owned(),
        };
        let lock_key = writer_lock_key(schema);
        let mut writer = connector.writer()?;
        init_schema(&mut writer, &connector.schema, lock_key)?;
        Ok(Self {
            connector,
            begin_write_sql: format!("BEGIN; SELECT pg_advisory_xact_lock({lock_key})"),
            writer: Mutex::new(writer),
            idle_readers: Mutex::new(Vec::new()),
        })
    }

    /// The schema this store works in.
    pub fn schema(&self) -> &str {
        &self.connector.schema
    }

    /// The writer client, outside any transaction, reconnected if broken.
    fn writer(&self) -> StoreResult<MutexGuard<'_, PgConn>> {
        let mut conn = lock(&self.writer);
        if !conn.usable() {
            *conn = self.connector.writer()?;
        }
        Ok(conn)
    }

    /// A reader client from the pool, returned to it on drop.
    fn reader(&self) -> StoreResult<PooledReader<'_>> {
        let idle = {
            let mut idle = lock(&self.idle_readers);
            idle.retain(PgConn::usable);
            idle.pop()
        };
        let conn = match idle {
            Some(conn) => conn,
            None => self.connector.reader()?,
        };
        Ok(PooledReader {
            store: self,
            conn: Some(conn),
            in_transaction: false,
        })
    }

    /// Puts a reader back into the pool, unless it is broken or the pool full.
    fn recycle(&self, conn: PgConn) {
        let mut idle = lock(&self.idle_readers);
        if conn.usable() && idle.len() < IDLE_READERS {
            idle.push(conn);
        }
    }
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("schema", &self.connector.schema)
            .finish_non_exhaustive()
    }
}

impl Store for PostgresStore {
    fn begin_write(&self) -> StoreResult<Box<dyn WriteTxn + '_>> {
        let mut conn = self.writer()?;
        if let Err(e) = conn.batch("begin write transaction", &self.begin_write_sql) {
            // Whatever state the session is in now, start afresh next time.
            conn.broken = true;
            return Err(e);
        }
        Ok(Box::new(PgWriteTxn {
            conn,
            size: None,
            state: TxnState::Open,
        }))
    }

    /// The snapshot is taken when this is called, before `f` runs.
    fn with_reader(
        &self,
        f: &mut dyn FnMut(&mut dyn LogRead) -> StoreResult<()>,
    ) -> StoreResult<()> {
        let mut reader = self.reader()?;
        reader.in_transaction = true;
        reader.batch("begin read transaction", SQL_BEGIN_READ)?;
        let result = f(&mut PgReader { conn: &mut reader });
        let end = reader.batch("end read transaction", "COMMIT");
        reader.in_transaction = end.is_err();
        result.and(end)
    }

    fn topic(&self, topic: &[u8], after: u64, limit: usize) -> StoreResult<Vec<u64>> {
        let params: Params<'_> = &[&topic, &clamp_index(after), &clamp_limit(limit)];
        let rows = self.reader()?.query("read topic", SQL_TOPIC, params)?;
        rows.iter().map(|row| decode_index_at(row, 0)).collect()
    }

    fn index_of_leaf_hash(&self, leaf_hash: &Hash) -> StoreResult<Option<u64>> {
        let leaf_hash: &[u8] = leaf_hash;
        let params: Params<'_> = &[&leaf_hash];
        self.reader()?
            .query_opt("find leaf hash", SQL_INDEX_OF_LEAF_HASH, params)?
            .map(|row| decode_index_at(&row, 0))
            .transpose()
    }

    fn leaf_hashes(&self, start: u64, end: u64) -> StoreResult<Vec<Hash>> {
        let params: Params<'_> = &[&clamp_index(start), &clamp_index(end)];
        let rows = self
            .reader()?
            .query("read leaf hashes", SQL_LEAF_HASHES, params)?;
        rows.iter()
            .map(|row| decode_hash_at(row, 0, "leaf hash"))
            .collect()
    }

    fn latest_checkpoint(&self) -> StoreResult<Option<StoredCheckpoint>> {
        self.reader()?
            .query_opt("read latest checkpoint", SQL_LATEST_CHECKPOINT, &[])?
            .map(|row| decode_checkpoint(&row))
            .transpose()
    }

    fn checkpoint(&self, size: u64) -> StoreResult<Option<StoredCheckpoint>> {
        let Ok(size) = i64::try_from(size) else {
            return Ok(None);
        };
        self.reader()?
            .query_opt("read checkpoint", SQL_CHECKPOINT, &[&size])?
            .map(|row| decode_checkpoint(&row))
            .transpose()
    }

    /// Durable when it returns (an autocommit write on the writer client).
    /// Waits for an open write transaction of this store: do not call it
    /// from a thread that holds one.
    fn update_checkpoint_note(&self, size: u64, note: &[u8]) -> StoreResult<()> {
        let Ok(size) = i64::try_from(size) else {
            return Ok(());
        };
        self.writer()?
            .execute("update checkpoint note", SQL_UPDATE_NOTE, &[&note, &size])
            .map(drop)
    }

    /// `pg_total_relation_size` (data, indexes, TOAST) of the five tables.
    fn storage_bytes(&self) -> StoreResult<u64> {
        let row = self
            .reader()?
            .query_one("read storage size", SQL_STORAGE_BYTES, &[])?;
        let bytes: i64 = get(&row, 0, "read storage size")?;
        u64::try_from(bytes).map_err(|_| StoreError::Corrupt("negative relation size".into()))
    }
}

/// How a write transaction stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TxnState {
    Open,
    /// A statement failed: PostgreSQL has aborted the transaction, and a
    /// `COMMIT` would quietly roll it back, so commit must report an error.
    Failed,
    Committed,
}

/// The exclusive write transaction: the writer client inside `BEGIN`,
/// holding the schema's advisory lock. Dropped without commit, it rolls back.
struct PgWriteTxn<'s> {
    conn: MutexGuard<'s, PgConn>,
    /// The log size as of now in this transaction, once read.
    size: Option<u64>,
    state: TxnState,
}

impl PgWriteTxn<'_> {
    /// Runs `op` on the client unless the transaction already failed, and
    /// marks it failed if `op` hits a database error.
    fn run<T>(
        &mut self,
        op: &'static str,
        f: impl FnOnce(&mut PgConn) -> StoreResult<T>,
    ) -> StoreResult<T> {
        if self.state != TxnState::Open {
            return Err(StoreError::Database(format!(
                "{op}: the transaction was aborted by an earlier database error"
            )));
        }
        let result = f(&mut self.conn);
        if let Err(StoreError::Database(_)) = result {
            self.state = TxnState::Failed;
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

impl LogRead for PgWriteTxn<'_> {
    fn size(&mut self) -> StoreResult<u64> {
        self.current_size()
    }

    fn entries(&mut self, start: u64, end: u64) -> StoreResult<Vec<StoredEntry>> {
        self.run("read entries", |c| read_entries(c, start, end))
    }

    fn index_of_record(&mut self, record_id: &[u8; 32]) -> StoreResult<Option<u64>> {
        self.run("find record", |c| read_index_of_record(c, record_id))
    }

    fn indices_of_records(&mut self, record_ids: &[[u8; 32]]) -> StoreResult<Vec<Option<u64>>> {
        self.run("find records", |c| read_indices_of_records(c, record_ids))
    }

    fn unique_holder(&mut self, key: &UniqueKey) -> StoreResult<Option<u64>> {
        self.run("find unique key", |c| read_unique_holder(c, key))
    }
}

impl WriteTxn for PgWriteTxn<'_> {
    fn append(&mut self, entry: &StoredEntry) -> StoreResult<()> {
        let size = self.current_size()?;
        if entry.index != size {
            return Err(StoreError::Corrupt(format!(
                "append: entry index {} is not the log size {size}",
                entry.index
            )));
        }
        let idx = encode_index("append", entry.index)?;
        let (record_id, leaf_hash): (&[u8], &[u8]) = (&entry.record_id, &entry.leaf_hash);
        let params: Params<'_> = &[&idx, &record_id, &leaf_hash, &entry.leaf];
        let inserted = self.run("append", |c| c.execute("append", SQL_APPEND, params))?;
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
        let params: Params<'_> = &[&key.namespace, &key.key, &idx];
        let claimed = self.run("claim unique key", |c| {
            c.execute("claim unique key", SQL_CLAIM_UNIQUE, params)
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
        let params: Params<'_> = &[&topic, &idx];
        self.run("tag", |c| c.execute("tag", SQL_TAG, params))
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
        let cp_size = encode_index("put checkpoint", checkpoint.size)?;
        let root: &[u8] = &checkpoint.root;
        let params: Params<'_> = &[&cp_size, &root, &checkpoint.note];
        self.run("put checkpoint", |c| {
            c.execute("put checkpoint", SQL_PUT_CHECKPOINT, params)
        })
        .map(drop)
    }

    fn commit(mut self: Box<Self>) -> StoreResult<()> {
        self.run("commit", |c| c.batch("commit", "COMMIT"))?;
        self.state = TxnState::Committed;
        Ok(())
    }
}

impl Drop for PgWriteTxn<'_> {
    fn drop(&mut self) {
        if self.state != TxnState::Committed && self.conn.client.batch_execute("ROLLBACK").is_err()
        {
            self.conn.broken = true;
        }
    }
}

/// [`LogRead`] inside a snapshot transaction on a reader client.
struct PgReader<'c> {
    conn: &'c mut PgConn,
}

impl LogRead for PgReader<'_> {
    fn size(&mut self) -> StoreResult<u64> {
        read_size(self.conn)
    }

    fn entries(&mut self, start: u64, end: u64) -> StoreResult<Vec<StoredEntry>> {
        read_entries(self.conn, start, end)
    }

    fn index_of_record(&mut self, record_id: &[u8; 32]) -> StoreResult<Option<u64>> {
        read_index_of_record(self.conn, record_id)
    }

    fn indices_of_records(&mut self, record_ids: &[[u8; 32]]) -> StoreResult<Vec<Option<u64>>> {
        read_indices_of_records(self.conn, record_ids)
    }

    fn unique_holder(&mut self, key: &UniqueKey) -> StoreResult<Option<u64>> {
        read_unique_holder(self.conn, key)
    }
}

/// A reader client borrowed from the store's pool.
struct PooledReader<'s> {
    store: &'s PostgresStore,
    /// Always `Some` until dropped.
    conn: Option<PgConn>,
    /// A read transaction may be open (`with_reader` did not finish).
    in_transaction: bool,
}

impl Deref for PooledReader<'_> {
    type Target = PgConn;

    fn deref(&self) -> &PgConn {
        self.conn
            .as_ref()
            .expect("a pooled reader holds its client until dropped")
    }
}

impl DerefMut for PooledReader<'_> {
    fn deref_mut(&mut self) -> &mut PgConn {
        self.conn
            .as_mut()
            .expect("a pooled reader holds its client until dropped")
    }
}

impl Drop for PooledReader<'_> {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        if self.in_transaction && conn.client.batch_execute("ROLLBACK").is_err() {
            conn.broken = true;
        }
        self.store.recycle(conn);
    }
}

/// Where and how to open connections.
struct Connector {
    config: Config,
    schema: String,
}

impl Connector {
    /// A client for the writer: `synchronous_commit` at least `on`.
    fn writer(&self) -> StoreResult<PgConn> {
        let mut conn = self.connect()?;
        let row = conn.query_one("read synchronous_commit", SQL_SYNCHRONOUS_COMMIT, &[])?;
        let setting: String = get(&row, 0, "read synchronous_commit")?;
        if setting == "off" {
            conn.batch("set synchronous_commit", "SET synchronous_commit = on")?;
        }
        Ok(conn)
    }

    /// A client for readers: a read-only session.
    fn reader(&self) -> StoreResult<PgConn> {
        let mut conn = self.connect()?;
        conn.batch("set read only", "SET default_transaction_read_only = on")?;
        Ok(conn)
    }

    fn connect(&self) -> StoreResult<PgConn> {
        let mut client = self.config.connect(NoTls).map_err(pg_error("connect"))?;
        client
            .batch_execute(&format!(
                "SET search_path TO {}",
                quote_schema(&self.schema)
            ))
            .map_err(pg_error("set search_path"))?;
        Ok(PgConn {
            client,
            statements: HashMap::new(),
            broken: false,
        })
    }
}

/// The parameters of one statement.
type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// A client with its cache of prepared statements.
struct PgConn {
    client: Client,
    statements: HashMap<&'static str, Statement>,
    /// Set when the session is in an unknown state: replace it.
    broken: bool,
}

impl PgConn {
    fn usable(&self) -> bool {
        !self.broken && !self.client.is_closed()
    }

    /// The prepared statement for `sql`, prepared on first use.
    fn statement(&mut self, op: &'static str, sql: &'static str) -> StoreResult<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql).map_err(pg_error(op))?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    fn query(
        &mut self,
        op: &'static str,
        sql: &'static str,
        params: Params<'_>,
    ) -> StoreResult<Vec<Row>> {
        let statement = self.statement(op, sql)?;
        self.client.query(&statement, params).map_err(pg_error(op))
    }

    fn query_opt(
        &mut self,
        op: &'static str,
        sql: &'static str,
        params: Params<'_>,
    ) -> StoreResult<Option<Row>> {
        let statement = self.statement(op, sql)?;
        self.client
            .query_opt(&statement, params)
            .map_err(pg_error(op))
    }

    fn query_one(
        &mut self,
        op: &'static str,
        sql: &'static str,
        params: Params<'_>,
    ) -> StoreResult<Row> {
        let statement = self.statement(op, sql)?;
        self.client
            .query_one(&statement, params)
            .map_err(pg_error(op))
    }

    fn execute(
        &mut self,
        op: &'static str,
        sql: &'static str,
        params: Params<'_>,
    ) -> StoreResult<u64> {
        let statement = self.statement(op, sql)?;
        self.client
            .execute(&statement, params)
            .map_err(pg_error(op))
    }

    /// Runs `sql` (one or more statements, no parameters) unprepared.
    fn batch(&mut self, op: &'static str, sql: &str) -> StoreResult<()> {
        self.client.batch_execute(sql).map_err(pg_error(op))
    }
}

/// Creates the schema and its tables, or checks the version of existing
/// ones, in one transaction holding the writer lock.
fn init_schema(conn: &mut PgConn, schema: &str, lock_key: i64) -> StoreResult<()> {
    let begin = format!("BEGIN; SELECT pg_advisory_xact_lock({lock_key})");
    conn.batch("begin schema setup", &begin)?;
    let result = create_or_check_schema(conn, schema);
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = conn.batch("end schema setup", end);
    result.and(ended)
}

fn create_or_check_schema(conn: &mut PgConn, schema: &str) -> StoreResult<()> {
    let qualify = |sql: &str| sql.replace("{schema}", &quote_schema(schema));
    let exists = conn
        .client
        .query_opt(SQL_SCHEMA_EXISTS, &[&schema])
        .map_err(pg_error("look up schema"))?
        .is_some();
    if !exists {
        conn.batch(
            "create schema",
            &format!("CREATE SCHEMA {}", quote_schema(schema)),
        )?;
    }
    conn.batch("create meta table", &qualify(CREATE_META))?;
    let found: Option<i64> = match conn
        .client
        .query_opt(&qualify(SQL_GET_VERSION), &[])
        .map_err(pg_error("read schema version"))?
    {
        Some(row) => Some(get(&row, 0, "read schema version")?),
        None => None,
    };
    if check_schema_version(found)? == SchemaState::Missing {
        conn.batch("create tables", &qualify(CREATE_TABLES))?;
        conn.client
            .execute(&qualify(SQL_SET_VERSION), &[&i64::from(SCHEMA_VERSION)])
            .map_err(pg_error("write schema version"))?;
    }
    Ok(())
}

/// Whether the schema still needs its tables.
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

/// Refuses schema names that would need more than plain double quotes.
fn check_schema_name(schema: &str) -> StoreResult<()> {
    let bytes = schema.as_bytes();
    let valid = (1..=MAX_SCHEMA_NAME_LEN).contains(&bytes.len())
        && !bytes[0].is_ascii_digit()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !valid {
        return Err(StoreError::Database(
            "invalid schema name: use 1 to 63 lowercase ASCII letters, digits and underscores, \
             not starting with a digit"
                .into(),
        ));
    }
    Ok(())
}

/// The schema name as an SQL identifier (already checked to be plain).
fn quote_schema(schema: &str) -> String {
    format!("\"{schema}\"")
}

/// The advisory lock key of a schema's writer: the first 8 bytes of a
/// SHA-256 of the schema name, so stores in other schemas of the same
/// database do not block each other.
fn writer_lock_key(schema: &str) -> i64 {
    let digest = Sha256::new()
        .chain_update(b"zkaudit-ledger/writer-lock\0")
        .chain_update(schema.as_bytes())
        .finalize();
    let mut key = [0u8; 8];
    key.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(key)
}

fn read_size(conn: &mut PgConn) -> StoreResult<u64> {
    let row = conn.query_one("read size", SQL_SIZE, &[])?;
    decode_index_at(&row, 0)
}

fn read_entries(conn: &mut PgConn, start: u64, end: u64) -> StoreResult<Vec<StoredEntry>> {
    let params: Params<'_> = &[&clamp_index(start), &clamp_index(end)];
    let rows = conn.query("read entries", SQL_ENTRIES, params)?;
    rows.iter().map(decode_entry).collect()
}

fn read_index_of_record(conn: &mut PgConn, record_id: &[u8; 32]) -> StoreResult<Option<u64>> {
    let record_id: &[u8] = record_id;
    conn.query_opt("find record", SQL_INDEX_OF_RECORD, &[&record_id])?
        .map(|row| decode_index_at(&row, 0))
        .transpose()
}

/// One query for a whole batch's record ids (a round trip per id dominated
/// the sequencer's cost on PostgreSQL).
fn read_indices_of_records(
    conn: &mut PgConn,
    record_ids: &[[u8; 32]],
) -> StoreResult<Vec<Option<u64>>> {
    if record_ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&[u8]> = record_ids.iter().map(|id| id.as_slice()).collect();
    let rows = conn.query("find records", SQL_INDICES_OF_RECORDS, &[&ids])?;
    let mut found = std::collections::HashMap::with_capacity(rows.len());
    for row in &rows {
        let id: Vec<u8> = row
            .try_get(0)
            .map_err(|_| StoreError::Corrupt("find records: unreadable record id".into()))?;
        found.insert(id, decode_index_at(row, 1)?);
    }
    Ok(record_ids
        .iter()
        .map(|id| found.get(id.as_slice()).copied())
        .collect())
}

fn read_unique_holder(conn: &mut PgConn, key: &UniqueKey) -> StoreResult<Option<u64>> {
    if key.namespace.contains('\0') {
        return Ok(None);
    }
    let params: Params<'_> = &[&key.namespace, &key.key];
    conn.query_opt("find unique key", SQL_UNIQUE_HOLDER, params)?
        .map(|row| decode_index_at(&row, 0))
        .transpose()
}

/// Locks a mutex, recovering from poisoning: what it guards is a client,
/// and a panicking holder's transaction was rolled back by its guard (or
/// the client was marked broken and is replaced).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Maps a driver error to [`StoreError::Database`], naming the operation.
/// Only the server's message and SQLSTATE are kept, never its `DETAIL`,
/// which may quote row values. Client-side errors (I/O, protocol) keep their
/// cause, e.g. "connection refused".
fn pg_error(op: &'static str) -> impl FnOnce(postgres::Error) -> StoreError {
    move |e| {
        StoreError::Database(match (e.as_db_error(), std::error::Error::source(&e)) {
            (Some(db), _) => format!("{op}: {} (SQLSTATE {})", db.message(), db.code().code()),
            (None, Some(cause)) => format!("{op}: {e}: {cause}"),
            (None, None) => format!("{op}: {e}"),
        })
    }
}

/// Namespaces are `text`, which cannot hold NUL bytes.
fn check_namespace(op: &'static str, namespace: &str) -> StoreResult<()> {
    if namespace.contains('\0') {
        return Err(StoreError::Corrupt(format!(
            "{op}: the namespace contains a NUL byte"
        )));
    }
    Ok(())
}

/// An index to write, which must fit `bigint`.
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

fn get<'r, T: FromSql<'r>>(row: &'r Row, column: usize, op: &'static str) -> StoreResult<T> {
    row.try_get(column).map_err(pg_error(op))
}

fn decode_index_at(row: &Row, column: usize) -> StoreResult<u64> {
    let value: i64 = get(row, column, "decode index")?;
    u64::try_from(value).map_err(|_| StoreError::Corrupt("negative index stored".into()))
}

fn decode_hash_at(row: &Row, column: usize, what: &'static str) -> StoreResult<Hash> {
    let bytes: &[u8] = get(row, column, "decode hash")?;
    Hash::try_from(bytes).map_err(|_| StoreError::Corrupt(format!("stored {what} is not 32 bytes")))
}

fn decode_entry(row: &Row) -> StoreResult<StoredEntry> {
    Ok(StoredEntry {
        index: decode_index_at(row, 0)?,
        record_id: decode_hash_at(row, 1, "record id")?,
        leaf_hash: decode_hash_at(row, 2, "leaf hash")?,
        leaf: get(row, 3, "decode leaf")?,
    })
}

fn decode_checkpoint(row: &Row) -> StoreResult<StoredCheckpoint> {
    Ok(StoredCheckpoint {
        size: decode_index_at(row, 0)?,
        root: decode_hash_at(row, 1, "checkpoint root")?,
        note: get(row, 2, "decode note")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Same default as the conformance suite; the server must be running.
    fn test_store() -> (PostgresStore, SchemaGuard) {
        let url = std::env::var("ZKAUDIT_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test".into());
        let schema = format!(
            "zkaudit_unit_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        );
        let store = PostgresStore::connect_with_schema(&url, &schema)
            .unwrap_or_else(|e| panic!("PostgreSQL must be reachable at `{url}`: {e}"));
        (store, SchemaGuard { url, schema })
    }

    /// Drops the test schema at the end of the test.
    struct SchemaGuard {
        url: String,
        schema: String,
    }

    impl Drop for SchemaGuard {
        fn drop(&mut self) {
            let sql = format!(
                "DROP SCHEMA IF EXISTS {} CASCADE",
                quote_schema(&self.schema)
            );
            if let Ok(mut client) = Client::connect(&self.url, NoTls) {
                let _ = client.batch_execute(&sql);
            }
        }
    }

    fn entry(index: u64) -> StoredEntry {
        let byte = u8::try_from(index).expect("small test index");
        StoredEntry {
            index,
            record_id: [byte; 32],
            leaf_hash: [byte.wrapping_add(100); 32],
            leaf: vec![byte; 10],
        }
    }

    fn size(store: &PostgresStore) -> u64 {
        store.read(|r| r.size()).expect("size")
    }

    /// After a database error PostgreSQL aborts the transaction, and a
    /// `COMMIT` would answer with a silent rollback: commit must fail instead.
    #[test]
    fn database_error_makes_commit_fail() {
        let (store, _guard) = test_store();
        let mut txn = PgWriteTxn {
            conn: store.writer().expect("writer"),
            size: None,
            state: TxnState::Open,
        };
        txn.conn
            .batch("begin", &store.begin_write_sql)
            .expect("begin");
        txn.append(&entry(0)).expect("append");
        let err = txn
            .run("provoke", |c| c.batch("provoke", "SELECT 1 / 0"))
            .expect_err("division by zero");
        assert!(matches!(err, StoreError::Database(ref m) if m.contains("SQLSTATE 22012")));
        assert!(matches!(
            txn.append(&entry(1)),
            Err(StoreError::Database(_))
        ));
        assert!(Box::new(txn).commit().is_err());

        assert_eq!(size(&store), 0);
        let mut txn = store.begin_write().expect("begin again");
        txn.append(&entry(0)).expect("append again");
        txn.commit().expect("commit");
        assert_eq!(size(&store), 1);
    }

    /// A `COMMIT` the server refuses (a deferred constraint) is reported and
    /// leaves the writer usable.
    #[test]
    fn failed_commit_leaves_the_writer_usable() {
        let (store, _guard) = test_store();
        let mut txn = PgWriteTxn {
            conn: store.writer().expect("writer"),
            size: None,
            state: TxnState::Open,
        };
        txn.conn
            .batch("begin", &store.begin_write_sql)
            .expect("begin");
        txn.append(&entry(0)).expect("append");
        txn.conn
            .batch(
                "provoke",
                "CREATE TEMP TABLE parent (id int PRIMARY KEY);
                 CREATE TEMP TABLE child (id int REFERENCES parent (id)
                     DEFERRABLE INITIALLY DEFERRED);
                 INSERT INTO child VALUES (1);",
            )
            .expect("violate a deferred constraint");
        let err = Box::new(txn).commit().expect_err("commit must fail");
        assert!(matches!(err, StoreError::Database(ref m) if m.starts_with("commit:")));

        assert_eq!(size(&store), 0);
        let mut txn = store.begin_write().expect("begin again");
        txn.append(&entry(0)).expect("append again");
        txn.commit().expect("commit");
        assert_eq!(size(&store), 1);
    }

    #[test]
    fn lock_keys_differ_per_schema() {
        assert_ne!(writer_lock_key("a"), writer_lock_key("b"));
        assert_eq!(writer_lock_key("a"), writer_lock_key("a"));
    }
}
