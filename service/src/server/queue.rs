//! The append queue: group commit for the sequencer.
//!
//! Handlers enqueue a [`Pending`] record and await its outcome. One
//! dedicated OS thread (never the async runtime) takes whatever is queued,
//! up to `max_batch`, integrates it in one storage transaction — one fsync
//! for the whole batch — and only then answers every waiter. Under load
//! batches grow by themselves; when idle a lone record is committed at once.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};
use zkaudit_ledger::merkle::{Hash, SubtreeHashes};
use zkaudit_ledger::sequencer::{Integrated, Outcome, Pending, Sequencer};
use zkaudit_ledger::store::{StorageFault, StoredCheckpoint};

use crate::server::metrics::{Metrics, Stage};
use crate::server::write_health::WriteHealth;

/// What a waiter receives.
pub type AppendAnswer = Result<Acknowledged, AppendFailure>;

/// A record's outcome once its batch is durable.
#[derive(Clone, Debug)]
pub struct Acknowledged {
    /// Logged, logged before, or refused for a taken unique key.
    pub outcome: Outcome,
    /// The checkpoint the batch committed.
    pub checkpoint: StoredCheckpoint,
    /// The inclusion proof of the logged entry in that checkpoint (empty
    /// for a conflict), computed on the sequencer thread: a proof may read
    /// a complete tile from the store, which the async runtime must not.
    /// `None` if it could not be read (the entry is logged all the same).
    pub inclusion_proof: Option<Vec<Hash>>,
}

/// Why a record was not acknowledged. The batch failed as a whole and
/// nothing of it was acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AppendFailure {
    /// The store cannot persist right now (disk full, an I/O or sync
    /// error, the database unreachable); writes succeed again once the
    /// fault is gone. Nothing of the batch was committed, except when the
    /// connection was lost during `COMMIT`: then a resubmission is answered
    /// with the index the record got.
    #[error("the log cannot persist entries right now: {0}")]
    Storage(StorageFault),
    /// Any other failure of the batch (details in the service's log).
    #[error("the batch could not be stored; nothing was logged")]
    Failed,
    /// The queue is closed: the service is shutting down.
    #[error("the log is shutting down")]
    ShuttingDown,
    /// The sequencer thread is gone.
    #[error("the sequencer stopped")]
    Stopped,
}

struct Job {
    pending: Pending,
    enqueued: Instant,
    reply: oneshot::Sender<AppendAnswer>,
}

/// Handle to the append queue; cheap to clone.
#[derive(Clone)]
pub struct AppendQueue {
    tx: mpsc::Sender<Job>,
    health: WriteHealth,
}

impl AppendQueue {
    /// Starts the sequencing thread. `on_batch` runs after each committed
    /// batch (e.g. to wake the witness loop).
    pub fn start(
        sequencer: Arc<Sequencer>,
        max_batch: usize,
        metrics: Metrics,
        on_batch: impl Fn(&StoredCheckpoint) + Send + 'static,
    ) -> (Self, std::thread::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel::<Job>(max_batch * 8);
        let health = WriteHealth::default();
        let batches = Batches {
            sequencer,
            metrics,
            health: health.clone(),
        };
        let handle = std::thread::Builder::new()
            .name("zkaudit-sequencer".into())
            .spawn(move || run(rx, batches, max_batch, on_batch))
            .expect("spawning the sequencer thread");
        (Self { tx, health }, handle)
    }

    /// Whether writes are being refused by a storage fault.
    pub fn health(&self) -> &WriteHealth {
        &self.health
    }

    /// Enqueues `pending` and waits until it is durably integrated.
    pub async fn append(&self, pending: Pending) -> AppendAnswer {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            pending,
            enqueued: Instant::now(),
            reply,
        };
        self.tx
            .send(job)
            .await
            .map_err(|_| AppendFailure::ShuttingDown)?;
        answer.await.map_err(|_| AppendFailure::Stopped)?
    }
}

/// What the sequencing thread works with.
struct Batches {
    sequencer: Arc<Sequencer>,
    metrics: Metrics,
    health: WriteHealth,
}

/// The inclusion proof of each logged entry at `size`.
fn inclusion_proofs(
    sequencer: &Sequencer,
    outcomes: &[Outcome],
    size: u64,
) -> Vec<Option<Vec<Hash>>> {
    sequencer.with_tree(|tree, _| {
        outcomes
            .iter()
            .map(|outcome| {
                let (Outcome::Appended(index) | Outcome::Duplicate(index)) = *outcome else {
                    return Some(Vec::new());
                };
                tree.inclusion_proof(index, size)
                    .inspect_err(|e| tracing::error!(error = %e, index, "inclusion proof failed"))
                    .ok()
            })
            .collect()
    })
}

fn run(
    mut rx: mpsc::Receiver<Job>,
    batches: Batches,
    max_batch: usize,
    on_batch: impl Fn(&StoredCheckpoint),
) {
    let Batches {
        sequencer,
        metrics,
        health,
    } = batches;
    while let Some(first) = rx.blocking_recv() {
        let mut jobs = vec![first];
        let mut collected = Instant::now();
        // The batch is collected once the write lock is held, so that what
        // arrived while another process held it joins this batch.
        let integrated = sequencer.integrate_with(|| {
            while jobs.len() < max_batch {
                match rx.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            collected = Instant::now();
            jobs.iter().map(|j| j.pending.clone()).collect()
        });
        metrics
            .commit_seconds
            .observe(collected.elapsed().as_secs_f64());
        metrics.batch_size.observe(jobs.len() as f64);
        let queued = metrics.stage(Stage::AppendQueue);
        for job in &jobs {
            queued.observe(collected.duration_since(job.enqueued).as_secs_f64());
        }
        match integrated {
            Ok(Integrated {
                outcomes,
                checkpoint,
            }) => {
                if let Some((fault, lasted, refused)) = health.committed() {
                    metrics.storage_fault.set(0);
                    tracing::warn!(
                        %fault,
                        seconds = lasted.as_secs_f64(),
                        refused_batches = refused,
                        "storage recovered: writes are accepted again"
                    );
                }
                metrics.log_size.set(checkpoint.size as i64);
                on_batch(&checkpoint);
                let proofs = inclusion_proofs(&sequencer, &outcomes, checkpoint.size);
                for ((job, outcome), inclusion_proof) in jobs.into_iter().zip(outcomes).zip(proofs)
                {
                    let label = match outcome {
                        Outcome::Appended(_) => "appended",
                        Outcome::Duplicate(_) => "duplicate",
                        Outcome::Conflict { .. } => "conflict",
                    };
                    metrics.appends.with_label_values(&[label]).inc();
                    metrics
                        .append_latency
                        .observe(job.enqueued.elapsed().as_secs_f64());
                    let _ = job.reply.send(Ok(Acknowledged {
                        outcome,
                        checkpoint: checkpoint.clone(),
                        inclusion_proof,
                    }));
                }
            }
            Err(e) => {
                let failure = match e.fault() {
                    Some(fault) => {
                        if health.refused(fault) {
                            tracing::error!(
                                %fault, error = %e, records = jobs.len(),
                                "storage fault: writes are refused until the store persists again"
                            );
                        } else {
                            tracing::warn!(%fault, error = %e, records = jobs.len(), "batch refused: storage fault persists");
                        }
                        metrics.storage_fault.set(1);
                        metrics
                            .storage_faults
                            .with_label_values(&[fault_label(fault)])
                            .inc();
                        AppendFailure::Storage(fault)
                    }
                    None => {
                        tracing::error!(error = %e, records = jobs.len(), "batch integration failed");
                        AppendFailure::Failed
                    }
                };
                metrics
                    .appends
                    .with_label_values(&["error"])
                    .inc_by(jobs.len() as u64);
                for job in jobs {
                    let _ = job.reply.send(Err(failure));
                }
            }
        }
    }
    tracing::info!("sequencer stopped: queue closed");
}

/// The metric label of a fault: a fixed set.
fn fault_label(fault: StorageFault) -> &'static str {
    match fault {
        StorageFault::DiskFull => "disk_full",
        StorageFault::Io => "io",
        StorageFault::Unreachable => "unreachable",
        _ => "other",
    }
}
