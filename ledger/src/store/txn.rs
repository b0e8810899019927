//! The exclusive write transaction, once for both SQL backends: the log
//! size read once and kept current, the checks every write makes before
//! its statement, a transaction that refuses everything after a database
//! error (so a half-applied one is never committed), rollback when it
//! is dropped without a successful commit, and a fresh writer connection
//! after a storage fault.
//!
//! Why a fresh connection: after a failed `fsync` the kernel may already
//! have dropped the unwritten pages and report the next `fsync` as a
//! success ("fsyncgate"), and after a lost connection the session is in an
//! unknown state. So nothing the faulted connection holds (its page cache,
//! the WAL index it read, its session) is trusted for the next write: the
//! next transaction starts on a new connection and reads the log size and
//! latest checkpoint from the store again, and the sequencer checks them
//! against its tree (it extends the tree when a `COMMIT` of unknown outcome
//! did land, and refuses to go on if anything it acknowledged is missing).
//! A batch is acknowledged only after its own `COMMIT` — its own sync —
//! returned success, so no acknowledgement rests on a sync that failed.

use std::sync::MutexGuard;

use super::sql::{Queries, check_namespace, encode_index};
use super::{LogRead, StoreError, StoreResult, StoredCheckpoint, StoredEntry, UniqueKey, WriteTxn};
use crate::merkle::{Hash, TreeNode};

/// How a write transaction stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TxnState {
    Open,
    /// A statement failed: the database may have rolled back part or all of
    /// the transaction (PostgreSQL answers a later `COMMIT` with a silent
    /// rollback), so everything after, commit included, is refused.
    Failed,
    Committed,
}

/// The writer connection inside its transaction (begun by the backend,
/// holding the backend's write lock). Dropped without commit, it rolls back.
pub(super) struct Txn<'s, C: Queries> {
    conn: MutexGuard<'s, C>,
    /// The log size as of now in this transaction, once read.
    size: Option<u64>,
    state: TxnState,
    /// A storage fault (disk full, I/O or sync error, lost connection)
    /// was hit: the connection is replaced when the transaction ends.
    fault: bool,
}

impl<'s, C: Queries> Txn<'s, C> {
    /// The transaction the backend has just begun on `conn`.
    pub(super) fn begun(conn: MutexGuard<'s, C>) -> Self {
        Self {
            conn,
            size: None,
            state: TxnState::Open,
            fault: false,
        }
    }

    /// Runs `f` on the connection unless the transaction already failed,
    /// and marks it failed if `f` hits a database error.
    pub(super) fn run<T>(
        &mut self,
        op: &'static str,
        f: impl FnOnce(&mut C) -> StoreResult<T>,
    ) -> StoreResult<T> {
        if self.state != TxnState::Open {
            return Err(StoreError::Database(format!(
                "{op}: the transaction was aborted by an earlier database error"
            )));
        }
        let result = f(&mut self.conn);
        match &result {
            Err(StoreError::Database(_)) => self.state = TxnState::Failed,
            Err(StoreError::Unavailable { .. }) => {
                self.state = TxnState::Failed;
                self.fault = true;
            }
            _ => {}
        }
        result
    }

    /// The size, read once per transaction and then kept up to date.
    fn current_size(&mut self) -> StoreResult<u64> {
        if let Some(size) = self.size {
            return Ok(size);
        }
        let size = self.run("read size", |c| c.read_size())?;
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

impl<C: Queries> LogRead for Txn<'_, C> {
    fn size(&mut self) -> StoreResult<u64> {
        self.current_size()
    }

    fn entries(&mut self, start: u64, end: u64) -> StoreResult<Vec<StoredEntry>> {
        self.run("read entries", |c| c.read_entries(start, end))
    }

    fn index_of_record(&mut self, record_id: &[u8; 32]) -> StoreResult<Option<u64>> {
        self.run("find record", |c| c.read_index_of_record(record_id))
    }

    fn indices_of_records(&mut self, record_ids: &[[u8; 32]]) -> StoreResult<Vec<Option<u64>>> {
        self.run("find records", |c| c.read_indices_of_records(record_ids))
    }

    fn unique_holder(&mut self, key: &UniqueKey) -> StoreResult<Option<u64>> {
        self.run("find unique key", |c| c.read_unique_holder(key))
    }

    fn tree_row(&mut self, tier: u8, start: u64, end: u64) -> StoreResult<Vec<Hash>> {
        self.run("read tree row", |c| c.read_tree_row(tier, start, end))
    }

    fn latest_checkpoint(&mut self) -> StoreResult<Option<StoredCheckpoint>> {
        self.run("read latest checkpoint", |c| c.read_latest_checkpoint())
    }
}

impl<C: Queries> WriteTxn for Txn<'_, C> {
    fn append(&mut self, entry: &StoredEntry) -> StoreResult<()> {
        let size = self.current_size()?;
        if entry.index != size {
            return Err(StoreError::Corrupt(format!(
                "append: entry index {} is not the log size {size}",
                entry.index
            )));
        }
        let idx = encode_index("append", entry.index)?;
        let inserted = self.run("append", |c| c.insert_entry(idx, entry))?;
        if inserted == 0 {
            return Err(StoreError::Corrupt(
                "append: an entry with this record id is already logged".into(),
            ));
        }
        self.size = Some(size + 1);
        Ok(())
    }

    fn append_all(&mut self, entries: &[StoredEntry]) -> StoreResult<()> {
        const OP: &str = "append";
        let size = self.current_size()?;
        if let Some((offset, entry)) = entries
            .iter()
            .enumerate()
            .find(|(offset, entry)| entry.index != size + *offset as u64)
        {
            return Err(StoreError::Corrupt(format!(
                "{OP}: entry index {} is not the log size {}",
                entry.index,
                size + offset as u64
            )));
        }
        let first = encode_index(OP, size)?;
        encode_index(OP, size + entries.len() as u64)?;
        let inserted = self.run(OP, |c| c.insert_entries(first, entries))?;
        if inserted != entries.len() as u64 {
            return Err(StoreError::Corrupt(format!(
                "{OP}: {} of the {} entries have a record id that is already logged",
                entries.len() as u64 - inserted,
                entries.len()
            )));
        }
        self.size = Some(size + entries.len() as u64);
        Ok(())
    }

    fn tag_all(&mut self, tags: &[(&[u8], u64)]) -> StoreResult<()> {
        let tags = tags
            .iter()
            .map(|&(topic, index)| Ok((topic, self.logged_index("tag", index)?)))
            .collect::<StoreResult<Vec<_>>>()?;
        self.run("tag", |c| c.insert_topics(&tags))
    }

    fn claim_unique(&mut self, key: &UniqueKey, index: u64) -> StoreResult<()> {
        check_namespace("claim unique key", &key.namespace)?;
        let idx = self.logged_index("claim unique key", index)?;
        let claimed = self.run("claim unique key", |c| c.insert_unique(key, idx))?;
        if claimed == 0 {
            return Err(StoreError::Corrupt(
                "claim unique key: the key is already held".into(),
            ));
        }
        Ok(())
    }

    fn tag(&mut self, topic: &[u8], index: u64) -> StoreResult<()> {
        let idx = self.logged_index("tag", index)?;
        self.run("tag", |c| c.insert_topic(topic, idx))
    }

    fn put_tree_node(&mut self, node: &TreeNode) -> StoreResult<()> {
        const OP: &str = "put tree node";
        // The subtree must lie inside the log as of this transaction.
        let size = self.current_size()?;
        let covers = u32::from(node.tier)
            .checked_mul(crate::merkle::TILE_HEIGHT)
            .and_then(|level| {
                node.index
                    .checked_add(1)?
                    .checked_mul(1u64.checked_shl(level)?)
            });
        if node.tier == 0 || covers.is_none_or(|end| end > size) {
            return Err(StoreError::Corrupt(format!(
                "{OP}: tier {} index {} is not a complete subtree of the log of size {size}",
                node.tier, node.index
            )));
        }
        let (tier, idx) = (i64::from(node.tier), encode_index(OP, node.index)?);
        if self.run(OP, |c| c.insert_tree_node(tier, idx, &node.hash))? == 1 {
            return Ok(());
        }
        // Already stored (a repeated fill): it must be the same hash.
        let stored = self.run(OP, |c| {
            c.read_tree_row(node.tier, node.index, node.index + 1)
        })?;
        if stored != [node.hash] {
            return Err(StoreError::Corrupt(format!(
                "{OP}: tier {} index {} is stored with another hash",
                node.tier, node.index
            )));
        }
        Ok(())
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
        self.run("put checkpoint", |c| {
            c.upsert_checkpoint(cp_size, checkpoint)
        })
    }

    fn commit(mut self: Box<Self>) -> StoreResult<()> {
        self.run("commit", |c| c.commit())?;
        self.state = TxnState::Committed;
        Ok(())
    }
}

impl<C: Queries> Drop for Txn<'_, C> {
    fn drop(&mut self) {
        if self.state != TxnState::Committed {
            self.conn.rollback();
        }
        if self.fault {
            self.conn.discard_after_fault();
        }
    }
}
