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
use zkaudit_ledger::sequencer::{Integrated, Outcome, Pending, Sequencer};
use zkaudit_ledger::store::StoredCheckpoint;

use crate::server::metrics::Metrics;

/// What a waiter receives.
pub type AppendAnswer = Result<(Outcome, StoredCheckpoint), AppendFailure>;

/// The batch failed as a whole; nothing of it was committed.
#[derive(Clone, Debug, thiserror::Error)]
#[error("append failed: {0}")]
pub struct AppendFailure(pub String);

struct Job {
    pending: Pending,
    enqueued: Instant,
    reply: oneshot::Sender<AppendAnswer>,
}

/// Handle to the append queue; cheap to clone.
#[derive(Clone)]
pub struct AppendQueue {
    tx: mpsc::Sender<Job>,
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
        let handle = std::thread::Builder::new()
            .name("zkaudit-sequencer".into())
            .spawn(move || run(rx, sequencer, max_batch, metrics, on_batch))
            .expect("spawning the sequencer thread");
        (Self { tx }, handle)
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
            .map_err(|_| AppendFailure("the log is shutting down".into()))?;
        answer
            .await
            .map_err(|_| AppendFailure("the sequencer stopped".into()))?
    }
}

fn run(
    mut rx: mpsc::Receiver<Job>,
    sequencer: Arc<Sequencer>,
    max_batch: usize,
    metrics: Metrics,
    on_batch: impl Fn(&StoredCheckpoint),
) {
    while let Some(first) = rx.blocking_recv() {
        let mut jobs = vec![first];
        while jobs.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        metrics.batch_size.observe(jobs.len() as f64);
        let batch = jobs.iter().map(|j| j.pending.clone()).collect();
        match sequencer.integrate(batch) {
            Ok(Integrated {
                outcomes,
                checkpoint,
            }) => {
                metrics.log_size.set(checkpoint.size as i64);
                on_batch(&checkpoint);
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    let label = match outcome {
                        Outcome::Appended(_) => "appended",
                        Outcome::Duplicate(_) => "duplicate",
                        Outcome::Conflict { .. } => "conflict",
                    };
                    metrics.appends.with_label_values(&[label]).inc();
                    metrics
                        .append_latency
                        .observe(job.enqueued.elapsed().as_secs_f64());
                    let _ = job.reply.send(Ok((outcome, checkpoint.clone())));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, records = jobs.len(), "batch integration failed");
                metrics
                    .appends
                    .with_label_values(&["error"])
                    .inc_by(jobs.len() as u64);
                for job in jobs {
                    let _ = job.reply.send(Err(AppendFailure(
                        "the batch could not be stored; nothing was logged".into(),
                    )));
                }
            }
        }
    }
    tracing::info!("sequencer stopped: queue closed");
}
