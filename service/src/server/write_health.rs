//! Whether the log can persist writes right now, as the last batch found.
//!
//! The sequencer thread records every batch's fate here: a batch refused
//! by a storage fault (disk full, an I/O or sync error, the database
//! unreachable) marks writes as refused, with the fault; the next batch
//! that commits clears it. `/healthz` and the metrics report it, and the
//! log says when a fault starts and when the store recovered.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zkaudit_ledger::store::StorageFault;

/// Shared record of the current write fault; cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct WriteHealth {
    current: Arc<Mutex<Option<Fault>>>,
}

/// A storage fault in progress.
#[derive(Clone, Copy, Debug)]
struct Fault {
    fault: StorageFault,
    since: Instant,
    refused_batches: u64,
}

impl WriteHealth {
    /// A batch was refused by `fault`. Returns true when this starts a
    /// fault (the previous batch committed, or failed for another reason).
    pub fn refused(&self, fault: StorageFault) -> bool {
        let mut current = self.lock();
        match current.as_mut() {
            Some(f) if f.fault == fault => {
                f.refused_batches += 1;
                false
            }
            _ => {
                *current = Some(Fault {
                    fault,
                    since: Instant::now(),
                    refused_batches: 1,
                });
                true
            }
        }
    }

    /// A batch committed. Returns the fault it ended, if there was one:
    /// what it was, how long it lasted and how many batches it refused.
    pub fn committed(&self) -> Option<(StorageFault, Duration, u64)> {
        self.lock()
            .take()
            .map(|f| (f.fault, f.since.elapsed(), f.refused_batches))
    }

    /// The fault refusing writes now, if any.
    pub fn current(&self) -> Option<StorageFault> {
        self.lock().map(|f| f.fault)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Fault>> {
        // The state is a plain value: a panic elsewhere cannot leave it torn.
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_lasts_until_a_batch_commits() {
        let health = WriteHealth::default();
        assert_eq!(health.current(), None);
        assert!(health.committed().is_none());
        assert!(health.refused(StorageFault::DiskFull));
        assert!(!health.refused(StorageFault::DiskFull));
        assert_eq!(health.current(), Some(StorageFault::DiskFull));
        assert!(
            health.refused(StorageFault::Io),
            "another fault starts anew"
        );
        let (fault, _, refused) = health.committed().expect("a fault ended");
        assert_eq!((fault, refused), (StorageFault::Io, 1));
        assert_eq!(health.current(), None);
    }
}
