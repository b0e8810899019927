//! Copies SQLite's write-ahead log back into the database file on a thread
//! of its own, so that the sequencer's commits do not.
//!
//! By default SQLite checkpoints in whichever connection commits once the
//! log passes 1,000 pages, and that connection is the sequencer's: every
//! few hundred batches, one commit also wrote every page the log held into
//! the database and fsynced it, while appends waited. Here a thread with
//! its own connection runs a `PASSIVE` checkpoint (which never blocks the
//! writer or readers, and is what the automatic one runs) whenever the log
//! has grown past [`CHECKPOINT_PAGES`]; the writer's own automatic
//! checkpoint stays on at [`WRITER_CHECKPOINT_PAGES`] as a backstop, should
//! this thread fall behind or fail.
//!
//! Durability does not depend on it: a commit is durable once the log is
//! fsynced, and a checkpoint only moves committed pages.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

/// Log pages (4 KiB each) past which this thread checkpoints: the size at
/// which SQLite's automatic checkpoint would.
pub(super) const CHECKPOINT_PAGES: u64 = 1_000;
/// The writer's own automatic checkpoint, a backstop only (64 MiB of log).
pub(super) const WRITER_CHECKPOINT_PAGES: i64 = 16_384;
/// How often the log's size is looked at.
const INTERVAL: Duration = Duration::from_millis(50);
/// SQLite's default page size, which the store keeps.
const PAGE_BYTES: u64 = 4_096;

/// The checkpointing thread; stopped and joined when dropped.
pub(super) struct WalCheckpointer {
    stop: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl WalCheckpointer {
    /// Starts checkpointing the database at `path` (its log is `path-wal`).
    /// If the thread cannot start, the writer's automatic checkpoint
    /// remains, so this is not an error.
    pub(super) fn start(path: &Path) -> Self {
        let (stop, stopped) = mpsc::sync_channel(0);
        let path = path.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("zkaudit-wal-checkpoint".into())
            .spawn(move || run(&path, &stopped))
            .ok();
        Self {
            stop: Some(stop),
            thread,
        }
    }
}

impl Drop for WalCheckpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(path: &Path, stopped: &mpsc::Receiver<()>) {
    let wal = wal_path(path);
    let mut conn = None;
    loop {
        match stopped.recv_timeout(INTERVAL) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
        let pages = std::fs::metadata(&wal).map_or(0, |m| m.len() / PAGE_BYTES);
        if pages < CHECKPOINT_PAGES {
            continue;
        }
        if conn.is_none() {
            conn = Connection::open(path).ok();
        }
        let Some(c) = &conn else { continue };
        // PASSIVE: copies what no reader still needs, waits for nobody.
        // A failure (a full disk, say) is the writer's to report; the
        // connection is reopened next time.
        let done = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            row.get::<_, i64>(0)
        });
        if done.is_err() {
            conn = None;
        }
    }
}

fn wal_path(path: &Path) -> PathBuf {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    PathBuf::from(wal)
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn file_len(path: &Path) -> u64 {
        std::fs::metadata(path).map_or(0, |m| m.len())
    }

    /// With the writer's own checkpoint off, what the writer commits
    /// reaches the database file only through the checkpointer's thread;
    /// dropping it stops the thread.
    #[test]
    fn the_log_is_copied_into_the_database_off_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
                 CREATE TABLE t (x BLOB NOT NULL);",
            )
            .unwrap();
        let checkpointer = WalCheckpointer::start(&path);
        let before = file_len(&path);
        let blob = vec![7u8; 64 * 1024];
        for _ in 0..128 {
            writer
                .execute("INSERT INTO t (x) VALUES (?1)", [&blob])
                .unwrap();
        }
        assert!(file_len(&wal_path(&path)) >= CHECKPOINT_PAGES * PAGE_BYTES);
        let deadline = Instant::now() + Duration::from_secs(20);
        while file_len(&path) < before + 8 * 1024 * 1024 {
            assert!(Instant::now() < deadline, "nothing was checkpointed");
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(checkpointer);
        // The copy is the database: a fresh connection reads it all.
        let count: i64 = Connection::open(&path)
            .unwrap()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 128);
    }
}
