//! The [`Store`] of a SQL backend, written once: a backend says how it hands
//! out connections and opens its transactions ([`Backend`]), and every
//! store operation runs the shared statements ([`Queries`]) on the right
//! connection — reads on a pooled reader, inside a snapshot transaction when
//! several must agree, writes in the exclusive [`Txn`].

use std::sync::MutexGuard;

use super::pool::{Pooled, Reusable};
use super::sql::{Queries, Snapshot};
use super::txn::Txn;
use super::{LogRead, Store, StoreResult, StoredCheckpoint, WriteTxn};
use crate::merkle::Hash;

/// What a SQL backend provides for its [`Store`]: its connections, its
/// transactions and the size of its storage.
pub(super) trait Backend: Send + Sync + 'static {
    /// One connection to the database.
    type Conn: Queries + Reusable;

    /// A reader connection from the pool, returned to it on drop.
    fn reader(&self) -> StoreResult<Pooled<'_, Self::Conn>>;

    /// The writer connection, outside any transaction.
    fn writer(&self) -> StoreResult<MutexGuard<'_, Self::Conn>>;

    /// The exclusive write transaction on the writer connection.
    fn begin(&self) -> StoreResult<Txn<'_, Self::Conn>>;

    /// Begins a read transaction on `conn` and pins its snapshot now.
    fn begin_read(conn: &mut Self::Conn) -> StoreResult<()>;

    /// Ends the read transaction [`begin_read`](Self::begin_read) began.
    fn end_read(conn: &mut Self::Conn) -> StoreResult<()>;

    /// Bytes the store occupies ([`Store::storage_bytes`]).
    fn occupied_bytes(&self) -> StoreResult<u64>;

    /// Closes the idle reader connections (after a storage fault: a
    /// restarted database server dropped them, which shows only when they
    /// are used).
    fn discard_idle_readers(&self);
}

/// Runs `read` on a pooled reader; after a storage fault, once more on a
/// fresh connection with the idle ones discarded. Only reads, which are
/// safe to repeat, go through here.
fn read_retrying<B: Backend, T>(
    store: &B,
    mut read: impl FnMut(&mut B::Conn) -> StoreResult<T>,
) -> StoreResult<T> {
    let first = read(&mut *store.reader()?);
    match first {
        Err(e) if e.fault().is_some() => {
            store.discard_idle_readers();
            read(&mut *store.reader()?)
        }
        other => other,
    }
}

impl<B: Backend> Store for B {
    fn begin_write(&self) -> StoreResult<Box<dyn WriteTxn + '_>> {
        Ok(Box::new(self.begin()?))
    }

    /// The snapshot is taken when this is called, before `f` runs.
    fn with_reader(
        &self,
        f: &mut dyn FnMut(&mut dyn LogRead) -> StoreResult<()>,
    ) -> StoreResult<()> {
        let mut conn = self.reader()?;
        if let Err(e) = B::begin_read(&mut conn) {
            // Nothing ran yet: a reader dropped by the server is replaced.
            if e.fault().is_none() {
                return Err(e);
            }
            drop(conn);
            self.discard_idle_readers();
            conn = self.reader()?;
            B::begin_read(&mut conn)?;
        }
        let result = f(&mut Snapshot(&mut *conn));
        let end = B::end_read(&mut conn);
        result.and(end)
    }

    fn topic(&self, topic: &[u8], after: u64, limit: usize) -> StoreResult<Vec<u64>> {
        read_retrying(self, |c| c.read_topic(topic, after, limit))
    }

    fn index_of_leaf_hash(&self, leaf_hash: &Hash) -> StoreResult<Option<u64>> {
        read_retrying(self, |c| c.read_index_of_leaf_hash(leaf_hash))
    }

    fn leaf_hashes(&self, start: u64, end: u64) -> StoreResult<Vec<Hash>> {
        read_retrying(self, |c| c.read_leaf_hashes(start, end))
    }

    fn latest_checkpoint(&self) -> StoreResult<Option<StoredCheckpoint>> {
        read_retrying(self, |c| c.read_latest_checkpoint())
    }

    fn checkpoint(&self, size: u64) -> StoreResult<Option<StoredCheckpoint>> {
        read_retrying(self, |c| c.read_checkpoint(size))
    }

    /// Durable when it returns (an autocommit write on the writer
    /// connection). Waits for an open write transaction of this store: do not
    /// call it from a thread that holds one.
    fn update_checkpoint_note(&self, size: u64, note: &[u8]) -> StoreResult<()> {
        self.writer()?.write_checkpoint_note(size, note)
    }

    fn storage_bytes(&self) -> StoreResult<u64> {
        self.occupied_bytes()
    }
}

/// An entry for the backends' own tests: every byte derived from `index`.
#[cfg(test)]
pub(super) fn test_entry(index: u64) -> super::StoredEntry {
    let byte = u8::try_from(index).expect("small test index");
    super::StoredEntry {
        index,
        record_id: [byte; 32],
        leaf_hash: [byte.wrapping_add(100); 32],
        leaf: vec![byte; 10],
    }
}

/// After a failed write transaction: nothing of it was kept, and the writer
/// takes the next one.
#[cfg(test)]
pub(super) fn assert_rolled_back_and_writer_usable(store: &impl Store) {
    assert_eq!(store.read(|r| r.size()).expect("size"), 0);
    let mut txn = store.begin_write().expect("begin again");
    txn.append(&test_entry(0)).expect("append again");
    txn.commit().expect("commit");
    assert_eq!(store.read(|r| r.size()).expect("size"), 1);
}
