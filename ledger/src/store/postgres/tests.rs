//! The PostgreSQL backend's own tests (the conformance suite covers the
//! [`Store`] contract); they need a running server.

use super::*;
use crate::store::WriteTxn;
use crate::store::backend::{assert_rolled_back_and_writer_usable, test_entry as entry};

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

/// After a database error PostgreSQL aborts the transaction, and a
/// `COMMIT` would answer with a silent rollback: commit must fail instead.
#[test]
fn database_error_makes_commit_fail() {
    let (store, _guard) = test_store();
    let mut txn = store.begin().expect("begin");
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

    assert_rolled_back_and_writer_usable(&store);
}

/// A `COMMIT` the server refuses (a deferred constraint) is reported and
/// leaves the writer usable.
#[test]
fn failed_commit_leaves_the_writer_usable() {
    let (store, _guard) = test_store();
    let mut txn = store.begin().expect("begin");
    txn.append(&entry(0)).expect("append");
    txn.run("provoke", |c| {
        c.batch(
            "provoke",
            "CREATE TEMP TABLE parent (id int PRIMARY KEY);
             CREATE TEMP TABLE child (id int REFERENCES parent (id)
                 DEFERRABLE INITIALLY DEFERRED);
             INSERT INTO child VALUES (1);",
        )
    })
    .expect("violate a deferred constraint");
    let err = Box::new(txn).commit().expect_err("commit must fail");
    assert!(matches!(err, StoreError::Database(ref m) if m.starts_with("commit:")));

    assert_rolled_back_and_writer_usable(&store);
}

#[test]
fn lock_keys_differ_per_schema() {
    assert_ne!(writer_lock_key("a"), writer_lock_key("b"));
    assert_eq!(writer_lock_key("a"), writer_lock_key("a"));
}
