//! The PostgreSQL the storage tests run against, and a schema per test.

use super::now_ms;

/// `ZKAUDIT_TEST_DATABASE_URL`, or the local trust-auth database `test`.
pub fn database_url() -> String {
    std::env::var("ZKAUDIT_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test".into())
}

/// A test's own schema name, dropped (with everything in it) at the end.
pub struct Schema(pub String);

impl Schema {
    /// A fresh name `<prefix>_<pid>_<ms>`: concurrent tests never share one.
    pub fn fresh(prefix: &str) -> Self {
        Self(format!("{prefix}_{}_{}", std::process::id(), now_ms()))
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&database_url(), postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.0));
        }
    }
}
