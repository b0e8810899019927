//! PostgreSQL backend: several processes sharing one database.
//!
//! Each store works in one schema (`public` unless chosen with
//! [`PostgresStore::connect_with_schema`]), set as the `search_path` of every
//! connection it opens.
//!
//! Writers are serialised across processes:
//! [`Store::begin_write`](super::Store::begin_write) runs
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
//! -- ('schema_version', 2)
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
//! CREATE TABLE tree_nodes (
//!     tier smallint NOT NULL CHECK (tier > 0), idx bigint NOT NULL CHECK (idx >= 0),
//!     hash bytea NOT NULL CHECK (octet_length(hash) = 32), PRIMARY KEY (tier, idx)
//! );
//! ```
//!
//! `tree_nodes` (since version 2) holds the hash of every complete subtree
//! of `256^tier` leaves: the rows of the C2SP hash tiles above level 0,
//! whose level-0 row is the entries' leaf hashes.
//!
//! Tables are created with `CREATE TABLE IF NOT EXISTS` while holding the
//! writer lock, so processes starting together do not race. The `meta` table
//! keeps this layout in every future version.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use postgres::types::{FromSql, ToSql};
use postgres::{Client, Config, NoTls, Row, Statement};
use sha2::{Digest, Sha256};

use super::backend::Backend;
use super::pool::{Pool, Pooled, Reusable};
use super::sql::{
    Queries, RawCheckpoint, RawEntry, SchemaState, check_schema_version, decode_index, lock,
};
use super::txn::Txn;
use super::{StorageFault, StoreError, StoreResult, StoredCheckpoint, StoredEntry, UniqueKey};
use crate::merkle::Hash;

/// Schema version this build creates and understands.
pub const SCHEMA_VERSION: u32 = 2;

/// The schema [`PostgresStore::connect`] uses.
pub const DEFAULT_SCHEMA: &str = "public";

/// Reader clients kept open between reads (more are opened on demand).
const IDLE_READERS: usize = 4;
/// How long a connection attempt may take unless the URL says otherwise.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
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
);
CREATE TABLE IF NOT EXISTS {schema}.tree_nodes (
    tier smallint NOT NULL CHECK (tier > 0),
    idx  bigint NOT NULL CHECK (idx >= 0),
    hash bytea NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (tier, idx)
);";

const SQL_SCHEMA_EXISTS: &str = "SELECT 1 FROM pg_namespace WHERE nspname = $1";
const SQL_GET_VERSION: &str = "SELECT value FROM {schema}.meta WHERE name = 'schema_version'";
const SQL_SET_VERSION: &str = "INSERT INTO {schema}.meta (name, value)
    VALUES ('schema_version', $1) ON CONFLICT (name) DO UPDATE SET value = excluded.value";
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
const SQL_TREE_NODES: &str =
    "SELECT hash FROM tree_nodes WHERE tier = $1 AND idx >= $2 AND idx < $3 ORDER BY idx";
const SQL_PUT_TREE_NODE: &str =
    "INSERT INTO tree_nodes (tier, idx, hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
const SQL_UNIQUE_HOLDER: &str = "SELECT idx FROM unique_keys WHERE namespace = $1 AND key = $2";
const SQL_TOPIC: &str =
    "SELECT idx FROM topics WHERE topic = $1 AND idx >= $2 ORDER BY idx LIMIT $3";
const SQL_LATEST_CHECKPOINT: &str =
    "SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1";
const SQL_CHECKPOINT: &str = "SELECT size, root, note FROM checkpoints WHERE size = $1";
const SQL_APPEND: &str = "INSERT INTO entries (idx, record_id, leaf_hash, leaf)
    VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
const SQL_APPEND_ALL: &str = "INSERT INTO entries (idx, record_id, leaf_hash, leaf)
    SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[], $4::bytea[])
    ON CONFLICT DO NOTHING";
const SQL_TAG_ALL: &str = "INSERT INTO topics (topic, idx)
    SELECT * FROM unnest($1::bytea[], $2::bigint[]) ON CONFLICT DO NOTHING";
const SQL_CLAIM_UNIQUE: &str = "INSERT INTO unique_keys (namespace, key, idx)
    VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
const SQL_TAG: &str = "INSERT INTO topics (topic, idx) VALUES ($1, $2) ON CONFLICT DO NOTHING";
const SQL_PUT_CHECKPOINT: &str = "INSERT INTO checkpoints (size, root, note) VALUES ($1, $2, $3)
    ON CONFLICT (size) DO UPDATE SET root = excluded.root, note = excluded.note";
const SQL_UPDATE_NOTE: &str = "UPDATE checkpoints SET note = $1 WHERE size = $2";
const SQL_STORAGE_BYTES: &str = "SELECT (pg_total_relation_size('meta')
    + pg_total_relation_size('entries') + pg_total_relation_size('unique_keys')
    + pg_total_relation_size('topics') + pg_total_relation_size('checkpoints')
    + pg_total_relation_size('tree_nodes'))::bigint";

/// A store in one schema of a PostgreSQL database. Cheap to share: wrap it
/// in an `Arc`. Several stores (in several processes) may use the same schema.
pub struct PostgresStore {
    connector: Connector,
    /// `BEGIN` and the advisory lock of this schema's writer, in one round trip.
    begin_write_sql: String,
    writer: Mutex<PgConn>,
    readers: Pool<PgConn>,
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
        let mut config = url
            .parse::<Config>()
            .map_err(pg_error("parse connection string"))?;
        // An unreachable server is reported after this long rather than
        // holding the writer forever; a URL may set its own.
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
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
            readers: Pool::new(IDLE_READERS),
        })
    }

    /// The schema this store works in.
    pub fn schema(&self) -> &str {
        &self.connector.schema
    }
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("schema", &self.connector.schema)
            .finish_non_exhaustive()
    }
}

impl Backend for PostgresStore {
    type Conn = PgConn;

    /// A reader client (a read-only session) from the pool.
    fn reader(&self) -> StoreResult<Pooled<'_, PgConn>> {
        self.readers.get(|| self.connector.reader())
    }

    /// The writer client, reconnected if broken.
    fn writer(&self) -> StoreResult<MutexGuard<'_, PgConn>> {
        let mut conn = lock(&self.writer);
        if !conn.usable() {
            *conn = self.connector.writer()?;
        }
        Ok(conn)
    }

    /// `BEGIN`, then the schema's advisory lock. A writer connection the
    /// server dropped while it was idle (a restart) only shows it when it
    /// is used: as nothing was done in it yet, one fresh connection is
    /// tried before the error is reported.
    fn begin(&self) -> StoreResult<Txn<'_, PgConn>> {
        let mut conn = self.writer()?;
        if let Err(e) = conn.batch("begin write transaction", &self.begin_write_sql) {
            // Whatever state the session is in now, start afresh next time.
            conn.broken = true;
            if e.fault() != Some(StorageFault::Unreachable) {
                return Err(e);
            }
            *conn = self.connector.writer()?;
            if let Err(e) = conn.batch("begin write transaction", &self.begin_write_sql) {
                conn.broken = true;
                return Err(e);
            }
        }
        Ok(Txn::begun(conn))
    }

    fn begin_read(conn: &mut PgConn) -> StoreResult<()> {
        conn.in_read = true;
        conn.batch("begin read transaction", SQL_BEGIN_READ)
    }

    fn end_read(conn: &mut PgConn) -> StoreResult<()> {
        let end = conn.batch("end read transaction", "COMMIT");
        conn.in_read = end.is_err();
        end
    }

    fn discard_idle_readers(&self) {
        self.readers.clear();
    }

    /// `pg_total_relation_size` (data, indexes, TOAST) of the five tables.
    fn occupied_bytes(&self) -> StoreResult<u64> {
        let row = self.reader()?.call(
            "read storage size",
            SQL_STORAGE_BYTES,
            &[],
            Client::query_one,
        )?;
        let bytes: i64 = get(&row, 0, "read storage size")?;
        u64::try_from(bytes).map_err(|_| StoreError::Corrupt("negative relation size".into()))
    }
}

/// The log's statements on a PostgreSQL client (prepared once per client).
impl Queries for PgConn {
    fn select_size(&mut self) -> StoreResult<i64> {
        let row = self.call("read size", SQL_SIZE, &[], Client::query_one)?;
        get(&row, 0, "decode index")
    }

    fn select_entries(&mut self, start: i64, end: i64) -> StoreResult<Vec<RawEntry>> {
        let rows = self.call("read entries", SQL_ENTRIES, &[&start, &end], Client::query)?;
        rows.iter()
            .map(|row| {
                Ok((
                    get(row, 0, "decode index")?,
                    get(row, 1, "decode hash")?,
                    get(row, 2, "decode hash")?,
                    get(row, 3, "decode leaf")?,
                ))
            })
            .collect()
    }

    fn select_index_of_record(&mut self, record_id: &[u8; 32]) -> StoreResult<Option<i64>> {
        let record_id: &[u8] = record_id;
        let row = self.call(
            "find record",
            SQL_INDEX_OF_RECORD,
            &[&record_id],
            Client::query_opt,
        )?;
        index_of(row)
    }

    /// One query for a whole batch's record ids (a round trip per id
    /// dominated the sequencer's cost on PostgreSQL).
    fn read_indices_of_records(
        &mut self,
        record_ids: &[[u8; 32]],
    ) -> StoreResult<Vec<Option<u64>>> {
        if record_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&[u8]> = record_ids.iter().map(|id| id.as_slice()).collect();
        let rows = self.call(
            "find records",
            SQL_INDICES_OF_RECORDS,
            &[&ids],
            Client::query,
        )?;
        let mut found = HashMap::with_capacity(rows.len());
        for row in &rows {
            let id: Vec<u8> = row
                .try_get(0)
                .map_err(|_| StoreError::Corrupt("find records: unreadable record id".into()))?;
            found.insert(id, decode_index(get(row, 1, "decode index")?)?);
        }
        Ok(record_ids
            .iter()
            .map(|id| found.get(id.as_slice()).copied())
            .collect())
    }

    fn select_unique_holder(&mut self, key: &UniqueKey) -> StoreResult<Option<i64>> {
        let params: Params<'_> = &[&key.namespace, &key.key];
        let row = self.call(
            "find unique key",
            SQL_UNIQUE_HOLDER,
            params,
            Client::query_opt,
        )?;
        index_of(row)
    }

    fn select_topic(&mut self, topic: &[u8], after: i64, limit: i64) -> StoreResult<Vec<i64>> {
        let params: Params<'_> = &[&topic, &after, &limit];
        let rows = self.call("read topic", SQL_TOPIC, params, Client::query)?;
        rows.iter().map(|row| get(row, 0, "decode index")).collect()
    }

    fn select_index_of_leaf_hash(&mut self, leaf_hash: &Hash) -> StoreResult<Option<i64>> {
        let leaf_hash: &[u8] = leaf_hash;
        let row = self.call(
            "find leaf hash",
            SQL_INDEX_OF_LEAF_HASH,
            &[&leaf_hash],
            Client::query_opt,
        )?;
        index_of(row)
    }

    fn select_leaf_hashes(&mut self, start: i64, end: i64) -> StoreResult<Vec<Vec<u8>>> {
        let rows = self.call(
            "read leaf hashes",
            SQL_LEAF_HASHES,
            &[&start, &end],
            Client::query,
        )?;
        rows.iter().map(|row| get(row, 0, "decode hash")).collect()
    }

    fn select_tree_nodes(&mut self, tier: i64, start: i64, end: i64) -> StoreResult<Vec<Vec<u8>>> {
        let tier = i16::try_from(tier)
            .map_err(|_| StoreError::Corrupt(format!("read tree nodes: tier {tier}")))?;
        let params: Params<'_> = &[&tier, &start, &end];
        let rows = self.call("read tree nodes", SQL_TREE_NODES, params, Client::query)?;
        rows.iter().map(|row| get(row, 0, "decode hash")).collect()
    }

    fn insert_tree_node(&mut self, tier: i64, idx: i64, hash: &Hash) -> StoreResult<u64> {
        let tier = i16::try_from(tier)
            .map_err(|_| StoreError::Corrupt(format!("put tree node: tier {tier}")))?;
        let hash: &[u8] = hash;
        let params: Params<'_> = &[&tier, &idx, &hash];
        self.call("put tree node", SQL_PUT_TREE_NODE, params, Client::execute)
    }

    fn select_latest_checkpoint(&mut self) -> StoreResult<Option<RawCheckpoint>> {
        let sql = SQL_LATEST_CHECKPOINT;
        let row = self.call("read latest checkpoint", sql, &[], Client::query_opt)?;
        row.as_ref().map(raw_checkpoint).transpose()
    }

    fn select_checkpoint(&mut self, size: i64) -> StoreResult<Option<RawCheckpoint>> {
        let row = self.call(
            "read checkpoint",
            SQL_CHECKPOINT,
            &[&size],
            Client::query_opt,
        )?;
        row.as_ref().map(raw_checkpoint).transpose()
    }

    fn insert_entry(&mut self, idx: i64, entry: &StoredEntry) -> StoreResult<u64> {
        let (record_id, leaf_hash): (&[u8], &[u8]) = (&entry.record_id, &entry.leaf_hash);
        let params: Params<'_> = &[&idx, &record_id, &leaf_hash, &entry.leaf];
        self.call("append", SQL_APPEND, params, Client::execute)
    }

    /// One statement for the whole batch: the columns as arrays, `unnest`ed.
    fn insert_entries(&mut self, first_idx: i64, entries: &[StoredEntry]) -> StoreResult<u64> {
        let indices: Vec<i64> = (first_idx..).take(entries.len()).collect();
        let record_ids: Vec<&[u8]> = entries.iter().map(|e| e.record_id.as_slice()).collect();
        let leaf_hashes: Vec<&[u8]> = entries.iter().map(|e| e.leaf_hash.as_slice()).collect();
        let leaves: Vec<&[u8]> = entries.iter().map(|e| e.leaf.as_slice()).collect();
        let params: Params<'_> = &[&indices, &record_ids, &leaf_hashes, &leaves];
        self.call("append", SQL_APPEND_ALL, params, Client::execute)
    }

    /// One statement for the whole batch: the columns as arrays, `unnest`ed.
    fn insert_topics(&mut self, tags: &[(&[u8], i64)]) -> StoreResult<()> {
        let topics: Vec<&[u8]> = tags.iter().map(|&(topic, _)| topic).collect();
        let indices: Vec<i64> = tags.iter().map(|&(_, idx)| idx).collect();
        self.call("tag", SQL_TAG_ALL, &[&topics, &indices], Client::execute)
            .map(drop)
    }

    fn insert_unique(&mut self, key: &UniqueKey, idx: i64) -> StoreResult<u64> {
        let params: Params<'_> = &[&key.namespace, &key.key, &idx];
        self.call(
            "claim unique key",
            SQL_CLAIM_UNIQUE,
            params,
            Client::execute,
        )
    }

    fn insert_topic(&mut self, topic: &[u8], idx: i64) -> StoreResult<()> {
        self.call("tag", SQL_TAG, &[&topic, &idx], Client::execute)
            .map(drop)
    }

    fn upsert_checkpoint(&mut self, size: i64, checkpoint: &StoredCheckpoint) -> StoreResult<()> {
        let root: &[u8] = &checkpoint.root;
        let params: Params<'_> = &[&size, &root, &checkpoint.note];
        self.call(
            "put checkpoint",
            SQL_PUT_CHECKPOINT,
            params,
            Client::execute,
        )
        .map(drop)
    }

    fn update_note(&mut self, size: i64, note: &[u8]) -> StoreResult<()> {
        self.call(
            "update checkpoint note",
            SQL_UPDATE_NOTE,
            &[&note, &size],
            Client::execute,
        )
        .map(drop)
    }

    fn commit(&mut self) -> StoreResult<()> {
        self.batch("commit", "COMMIT")
    }

    /// A client whose rollback fails is in an unknown state: replace it.
    fn rollback(&mut self) {
        if self.client.batch_execute("ROLLBACK").is_err() {
            self.broken = true;
        }
    }

    /// The writer reconnects before its next transaction.
    fn discard_after_fault(&mut self) {
        self.broken = true;
    }
}

/// A reader left inside its snapshot transaction (its read did not
/// finish) is rolled back first; a broken or closed client is dropped.
impl Reusable for PgConn {
    fn reusable(&mut self) -> bool {
        if std::mem::take(&mut self.in_read) && self.client.batch_execute("ROLLBACK").is_err() {
            self.broken = true;
        }
        self.usable()
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
        let row = conn.call(
            "read synchronous_commit",
            SQL_SYNCHRONOUS_COMMIT,
            &[],
            Client::query_one,
        )?;
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
        // Every statement is planned for its own parameters. A prepared
        // statement's cached generic plan is chosen once, from the table as
        // it was then: a log's first minutes (a few hundred rows, not yet
        // analysed) made it a sequential scan, which that connection then
        // kept while the table grew, so one process in several spent
        // milliseconds per batch reading the whole log under the lock.
        client
            .batch_execute(&format!(
                "SET search_path TO {}; SET plan_cache_mode = force_custom_plan",
                quote_schema(&self.schema)
            ))
            .map_err(pg_error("set search_path and plan cache mode"))?;
        Ok(PgConn {
            client,
            statements: HashMap::new(),
            broken: false,
            in_read: false,
        })
    }
}

/// The parameters of one statement.
type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// A client with its cache of prepared statements.
pub(super) struct PgConn {
    client: Client,
    statements: HashMap<&'static str, Statement>,
    /// Set when the session is in an unknown state: replace it.
    broken: bool,
    /// A reader's snapshot transaction may be open (its read did not finish).
    in_read: bool,
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

    /// Runs the prepared statement for `sql` with `params` through one of
    /// the client's methods (`Client::query`, `query_opt`, `query_one`,
    /// `execute`), naming `op` in errors.
    fn call<T>(
        &mut self,
        op: &'static str,
        sql: &'static str,
        params: Params<'_>,
        run: fn(&mut Client, &Statement, Params<'_>) -> Result<T, postgres::Error>,
    ) -> StoreResult<T> {
        let statement = self.statement(op, sql)?;
        run(&mut self.client, &statement, params).map_err(pg_error(op))
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
    if check_schema_version(found, SCHEMA_VERSION)? != SchemaState::Current {
        conn.batch("create tables", &qualify(CREATE_TABLES))?;
        conn.client
            .execute(&qualify(SQL_SET_VERSION), &[&i64::from(SCHEMA_VERSION)])
            .map_err(pg_error("write schema version"))?;
    }
    Ok(())
}

/// Refuses schema names that would need more than plain double quotes: a
/// name must be 1 to 63 lowercase ASCII letters, digits and underscores,
/// not starting with a digit (SQL cannot bind identifiers, so a schema
/// name is spliced into statements).
pub fn check_schema_name(schema: &str) -> StoreResult<()> {
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

/// Maps a driver error to [`StoreError::Database`], naming the operation.
/// Only the server's message and SQLSTATE are kept, never its `DETAIL`,
/// which may quote row values. Client-side errors (I/O, protocol) keep their
/// cause, e.g. "connection refused".
///
/// Faults that pass by themselves are [`StoreError::Unavailable`]: a lost or
/// refused connection (client I/O errors, a closed client, SQLSTATE class
/// `08`, `57P01`–`57P03` of a server shutting down or starting up), a full
/// disk (`53100`) and the server's I/O errors (`58030`).
fn pg_error(op: &'static str) -> impl FnOnce(postgres::Error) -> StoreError {
    move |e| {
        let source = std::error::Error::source(&e);
        let fault = match e.as_db_error() {
            Some(db) => match db.code().code() {
                "53100" => Some(StorageFault::DiskFull),
                "58030" => Some(StorageFault::Io),
                "57P01" | "57P02" | "57P03" => Some(StorageFault::Unreachable),
                code if code.starts_with("08") => Some(StorageFault::Unreachable),
                _ => None,
            },
            None if e.is_closed()
                || source.is_some_and(|s| s.is::<std::io::Error>())
                || op == "connect" =>
            {
                Some(StorageFault::Unreachable)
            }
            None => None,
        };
        let detail = match (e.as_db_error(), source) {
            (Some(db), _) => format!("{op}: {} (SQLSTATE {})", db.message(), db.code().code()),
            (None, Some(cause)) => format!("{op}: {e}: {cause}"),
            (None, None) => format!("{op}: {e}"),
        };
        match fault {
            Some(fault) => StoreError::Unavailable { fault, detail },
            None => StoreError::Database(detail),
        }
    }
}

fn get<'r, T: FromSql<'r>>(row: &'r Row, column: usize, op: &'static str) -> StoreResult<T> {
    row.try_get(column).map_err(pg_error(op))
}

fn index_of(row: Option<Row>) -> StoreResult<Option<i64>> {
    row.map(|row| get(&row, 0, "decode index")).transpose()
}

fn raw_checkpoint(row: &Row) -> StoreResult<RawCheckpoint> {
    Ok((
        get(row, 0, "decode index")?,
        get(row, 1, "decode hash")?,
        get(row, 2, "decode note")?,
    ))
}

#[cfg(test)]
mod tests;
