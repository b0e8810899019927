//! Replay: a domain's derived state ("book") rebuilt from the log.
//!
//! Every domain keeps its state as a book replayed from its records in log
//! order ([`Book`]): the identity registries, the land titles, elections,
//! the health book and public funds. One loop brings a book up to date
//! with every record filed under a store topic (`replay_topic`), and one
//! cached, lock-guarded book (`Replayed`) serves a process: each use
//! first applies what was logged since the last one (by any process sharing
//! the store), then reads the book under its lock. The store half is
//! behind the `sqlite` and `postgres` features.

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use self::stored::{ReplayError, Replayed, replay_topic};
use crate::record::Record;

/// A domain's state derived by replaying its records in log order.
pub trait Book {
    /// One past the largest index applied.
    fn applied_up_to(&self) -> u64;
    /// Applies the record logged at `index`. Records come in log order;
    /// records of other domains, or invalid at their place in the log, only
    /// move [`applied_up_to`](Self::applied_up_to).
    fn apply(&mut self, index: u64, record: &Record);
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod stored {
    use std::sync::Mutex;

    use super::Book;
    use crate::record::{Record, RecordError};
    use crate::store::{Store, StoreError};

    /// Records read per round trip while replaying.
    const BATCH: usize = 1024;

    /// Why a book could not be brought up to date.
    #[derive(Debug, thiserror::Error)]
    #[non_exhaustive]
    pub enum ReplayError {
        /// The store could not be read.
        #[error(transparent)]
        Store(#[from] StoreError),
        /// A logged entry is not a record.
        #[error("log entry {index} is not a record: {source}")]
        Record {
            /// The entry's log index.
            index: u64,
            /// Why it does not decode.
            source: RecordError,
        },
        /// The book did not move past the records it was given.
        #[error("replay did not advance past log index {last}")]
        Stalled {
            /// The last index filed under the topic in that batch.
            last: u64,
        },
        /// A use of the book panicked while holding its lock.
        #[error("the replayed book's lock is poisoned")]
        Poisoned,
    }

    /// Brings `book` up to date with every record filed under `topic` in
    /// `store`, from [`Book::applied_up_to`] on. Blocking: reads the store.
    ///
    /// # Errors
    /// A store error, an entry that does not decode, or a book that does not
    /// advance past the records it is given.
    pub fn replay_topic(
        store: &dyn Store,
        topic: &[u8],
        book: &mut impl Book,
    ) -> Result<(), ReplayError> {
        loop {
            let indices = store.topic(topic, book.applied_up_to(), BATCH)?;
            let Some(&last) = indices.last() else {
                return Ok(());
            };
            let mut entries = Vec::new();
            store.with_reader(&mut |r| {
                entries.clear();
                for &i in &indices {
                    entries.extend(r.entries(i, i + 1)?);
                }
                Ok(())
            })?;
            for entry in &entries {
                let record = Record::decode(&entry.leaf).map_err(|source| ReplayError::Record {
                    index: entry.index,
                    source,
                })?;
                book.apply(entry.index, &record);
            }
            if book.applied_up_to() <= last {
                return Err(ReplayError::Stalled { last });
            }
        }
    }

    /// A book kept in memory and brought up to date on every use, behind a
    /// lock: how a process serves one domain's state.
    #[derive(Debug)]
    pub struct Replayed<B> {
        book: Mutex<Option<B>>,
    }

    impl<B> Default for Replayed<B> {
        fn default() -> Self {
            Self::new()
        }
    }

    impl<B> Replayed<B> {
        /// No book yet: the first use makes it.
        pub const fn new() -> Self {
            Self {
                book: Mutex::new(None),
            }
        }
    }

    impl<B: Book> Replayed<B> {
        /// Makes the book with `init` on first use, applies every record
        /// filed under `topic` since the last use, and runs `f` on it, all
        /// under the book's lock. Blocking: reads the store.
        ///
        /// # Errors
        /// What `f` returns, or a [`ReplayError`] (converted into `E`).
        pub fn with<T, E: From<ReplayError>>(
            &self,
            store: &dyn Store,
            topic: &[u8],
            init: impl FnOnce() -> B,
            f: impl FnOnce(&B) -> Result<T, E>,
        ) -> Result<T, E> {
            let mut guard = self.book.lock().map_err(|_| ReplayError::Poisoned)?;
            let book = guard.get_or_insert_with(init);
            replay_topic(store, topic, book)?;
            f(book)
        }
    }
}

#[cfg(test)]
#[cfg(feature = "sqlite")]
mod tests {
    use ed25519_dalek::SigningKey;

    use super::*;
    use crate::merkle::leaf_hash;
    use crate::record::TEST_LOG;
    use crate::store::sqlite::SqliteStore;
    use crate::store::{Store, StoredEntry};

    /// Remembers what it was given; `stuck` books never advance.
    #[derive(Default)]
    struct Seen {
        applied: Vec<(u64, String)>,
        up_to: u64,
        stuck: bool,
    }

    impl Book for Seen {
        fn applied_up_to(&self) -> u64 {
            self.up_to
        }

        fn apply(&mut self, index: u64, record: &Record) {
            self.applied.push((index, record.kind().to_owned()));
            if !self.stuck {
                self.up_to = index + 1;
            }
        }
    }

    /// Appends records of kinds `kinds`, filing those marked `true` under `t`.
    fn log(store: &SqliteStore, kinds: &[(&str, bool)]) {
        let key = SigningKey::from_bytes(&[7; 32]);
        let mut txn = store.begin_write().unwrap();
        for (kind, tagged) in kinds {
            let index = txn.size().unwrap();
            let record = Record::signed(TEST_LOG, "test", kind, index, vec![1], &key).unwrap();
            let leaf = record.encode();
            txn.append(&StoredEntry {
                index,
                record_id: record.id(),
                leaf_hash: leaf_hash(&leaf),
                leaf,
            })
            .unwrap();
            if *tagged {
                txn.tag(b"t", index).unwrap();
            }
        }
        txn.commit().unwrap();
    }

    #[test]
    fn replay_applies_the_topic_in_order_and_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        log(&store, &[("a", true), ("b", false), ("c", true)]);
        let mut book = Seen::default();
        replay_topic(&store, b"t", &mut book).unwrap();
        assert_eq!(book.applied, [(0, "a".into()), (2, "c".into())]);
        log(&store, &[("d", true)]);
        replay_topic(&store, b"t", &mut book).unwrap();
        assert_eq!(book.applied.len(), 3);
        assert_eq!(book.applied[2], (3, "d".into()));
        replay_topic(&store, b"t", &mut book).unwrap();
        assert_eq!(book.applied.len(), 3);
        assert_eq!(book.applied_up_to(), 4);
    }

    #[test]
    fn a_book_that_does_not_advance_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        log(&store, &[("a", true)]);
        let mut book = Seen {
            stuck: true,
            ..Seen::default()
        };
        assert!(matches!(
            replay_topic(&store, b"t", &mut book),
            Err(ReplayError::Stalled { last: 0 })
        ));
    }

    #[test]
    fn the_replayed_book_is_made_once_and_kept_up_to_date() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let replayed = Replayed::<Seen>::new();
        let mut made = 0;
        let mut init = || {
            made += 1;
            Seen::default()
        };
        let seen = |book: &Seen| Ok::<_, ReplayError>(book.applied.len());
        assert_eq!(replayed.with(&store, b"t", &mut init, seen).unwrap(), 0);
        log(&store, &[("a", true), ("b", true)]);
        assert_eq!(replayed.with(&store, b"t", &mut init, seen).unwrap(), 2);
        assert_eq!(made, 1);
        // A use that panics poisons the book: every later use is refused.
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            replayed.with(
                &store,
                b"t",
                Seen::default,
                |_| -> Result<(), ReplayError> { panic!("a use fails") },
            )
        }));
        assert!(panicked.is_err());
        assert!(matches!(
            replayed.with(&store, b"t", Seen::default, seen),
            Err(ReplayError::Poisoned)
        ));
    }
}
