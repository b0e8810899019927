//! Groth16 proofs of concurrent requests, checked in batches.
//!
//! A proof-authorised record (a ballot) waits for its proof check; checked
//! one by one, a Groth16 proof costs about 1.9 ms (three pairings and the
//! inputs' multi-scalar multiplication). Checked together, proofs under one
//! key share a single multi-pairing ([`groth16::verify_weighted`], random
//! linear combination, soundness error 2⁻¹²⁸ per proof).
//!
//! Each request weights its own proof before queueing it, on its own
//! thread: a secret random weight from the operating system's generator,
//! `r·A`, `B` prepared for the Miller loop ([`WeightedProof`]). That is
//! most of a proof's cost in a batch, so it runs on every core as requests
//! arrive, and the batch that everyone waits for is only sums, one
//! multi-Miller loop and one final exponentiation. The weights never leave
//! the process, which is what makes them sound without Fiat–Shamir.
//!
//! Requests hand their weighted proof to a [`ProofBatcher`] and wait; its
//! workers take whatever is queued (up to a maximum), group it by key,
//! check each group as one batch and answer each request. No request waits
//! for a batch to fill: while one batch is checked, the next gathers, as a
//! group commit does. A batch that fails is bisected down to its invalid
//! proofs with the same weights: one bad proof is refused alone, and every
//! valid proof queued with it is accepted.

use std::collections::HashMap;
use std::num::NonZeroU128;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ark_bn254::Bn254;
use ark_groth16::Proof;
use zkaudit_circuits::Fr;
use zkaudit_verifier::VerifyError;
use zkaudit_verifier::groth16::{self, PreparedKey, WeightedProof};

use crate::server::metrics::{Metrics, Stage};

/// Most proofs checked in one batch, by default (`[proofs] batch`).
pub const MAX_BATCH: usize = 64;

/// A weighted proof waiting for its check, with where to answer.
struct Job {
    key: Arc<PreparedKey>,
    proof: WeightedProof,
    queued: Instant,
    answer: SyncSender<bool>,
}

/// Why a proof could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The batcher's workers have stopped (the service is shutting down).
    #[error("the proof checker has stopped")]
    Stopped,
}

/// Checks the proofs of concurrent requests in batches, on worker threads
/// of its own.
#[derive(Clone)]
pub struct ProofBatcher {
    jobs: Sender<Job>,
    metrics: Metrics,
}

impl ProofBatcher {
    /// Starts `workers` threads, each checking up to `max_batch` proofs at
    /// a time, observed in `metrics`. They stop when the last handle is
    /// dropped.
    pub fn start(workers: usize, max_batch: usize, metrics: Metrics) -> Self {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..workers.max(1) {
            let (queue, metrics) = (queue.clone(), metrics.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("proof-batch-{n}"))
                .spawn(move || on_this_thread_alone(|| work(&queue, max_batch.max(1), &metrics)));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a proof-batch worker");
            }
        }
        Self { jobs, metrics }
    }

    /// One worker, batches of up to `max_batch`. A second worker would only
    /// halve the batches, and every batch pays a fixed cost (a final
    /// exponentiation, the `γ` and `δ` pairings) that a full batch shares
    /// among 64 proofs. Measured through HTTP with 64 submitters
    /// (`benches/casting.rs`), one worker checks about 27 proofs per batch
    /// where two checked about 13.
    pub fn new(max_batch: usize, metrics: Metrics) -> Self {
        Self::start(1, max_batch, metrics)
    }

    /// Whether `proof` verifies under `key` for `inputs`: weighted here,
    /// queued, checked in a batch with whatever else is queued, answered. A
    /// wrong number of inputs is a proof that does not verify. Blocks the
    /// calling thread (call it off the async runtime).
    pub fn verify(
        &self,
        key: Arc<PreparedKey>,
        inputs: &[Fr],
        proof: &Proof<Bn254>,
    ) -> Result<bool, BatchError> {
        let weighing = Instant::now();
        let Ok(proof) = WeightedProof::new(&key, inputs, proof, secret_weight()) else {
            return Ok(false);
        };
        self.metrics.observe_since(Stage::ProofWeigh, weighing);
        let (answer, answered) = sync_channel(1);
        let queued = Instant::now();
        self.jobs
            .send(Job {
                key,
                proof,
                queued,
                answer,
            })
            .map_err(|_| BatchError::Stopped)?;
        let valid = answered.recv().map_err(|_| BatchError::Stopped)?;
        self.metrics.observe_since(Stage::ProofVerdict, queued);
        Ok(valid)
    }
}

/// A worker: takes the first job queued (waiting for one), then every job
/// already queued up to `max_batch`, and checks them.
fn work(queue: &Mutex<Receiver<Job>>, max_batch: usize, metrics: &Metrics) {
    loop {
        let jobs = {
            let Ok(queue) = queue.lock() else { return };
            let Ok(first) = queue.recv() else { return };
            let mut jobs = vec![first];
            while jobs.len() < max_batch {
                match queue.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            jobs
        };
        let started = Instant::now();
        let waited = metrics.stage(Stage::ProofQueue);
        for job in &jobs {
            waited.observe(started.duration_since(job.queued).as_secs_f64());
        }
        metrics.proof_batch_size.observe(jobs.len() as f64);
        check(jobs);
        metrics
            .proof_batch_seconds
            .observe(started.elapsed().as_secs_f64());
    }
}

/// Runs `work` with this thread as the only thread of its own rayon pool,
/// so that arkworks' parallel code (the batch's multi-scalar
/// multiplications and multi-Miller loop) runs inline on it.
///
/// Under load the requests' threads keep every core busy, so splitting a
/// batch across the global pool gained nothing, while that pool's threads,
/// woken for each batch, spun and yielded between its pieces: through HTTP
/// with 64 submitters they switched about 18,000 times a second, more than
/// every other thread of the service together (`benches/casting.rs`,
/// BENCHMARKS.md). If the pool cannot be made, `work` runs as it is.
///
/// Such a pool starts no thread of its own; rayon keeps its small registry
/// for the life of the process (one per batch worker ever started).
fn on_this_thread_alone(work: impl FnOnce() + Send) {
    match rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .use_current_thread()
        .build()
    {
        Ok(pool) => pool.install(work),
        Err(e) => {
            tracing::warn!(error = %e, "proof batches checked on the shared thread pool");
            work()
        }
    }
}

/// Checks `jobs`, one batch per key, and answers each.
fn check(jobs: Vec<Job>) {
    type Group = (Arc<PreparedKey>, Vec<WeightedProof>, Vec<SyncSender<bool>>);
    let mut by_key: HashMap<[u8; 32], Group> = HashMap::new();
    for Job {
        key, proof, answer, ..
    } in jobs
    {
        let group = by_key
            .entry(key.digest())
            .or_insert_with(|| (key, Vec::new(), Vec::new()));
        group.1.push(proof);
        group.2.push(answer);
    }
    for (_, (key, proofs, answers)) in by_key {
        for (answer, valid) in answers.into_iter().zip(verdicts(&key, &proofs)) {
            // A request that gave up waiting has dropped its receiver.
            let _ = answer.send(valid);
        }
    }
}

/// A batch weight: uniform over the nonzero 128-bit integers, from the
/// operating system's generator, never revealed.
fn secret_weight() -> NonZeroU128 {
    loop {
        if let Some(weight) = NonZeroU128::new(rand::Rng::r#gen(&mut rand::rngs::OsRng)) {
            return weight;
        }
    }
}

/// Whether each of `proofs` (weighted under `key`) verifies.
fn verdicts(key: &PreparedKey, proofs: &[WeightedProof]) -> Vec<bool> {
    match groth16::verify_weighted(key, proofs) {
        Ok(()) => vec![true; proofs.len()],
        Err(VerifyError::BatchRejected { invalid }) => {
            (0..proofs.len()).map(|i| !invalid.contains(&i)).collect()
        }
        Err(_) => vec![false; proofs.len()],
    }
}

#[cfg(test)]
mod tests {
    use super::on_this_thread_alone;
    use rayon::prelude::*;

    /// Parallel code called by a batch worker runs on the worker itself,
    /// not on the global pool's threads.
    #[test]
    fn parallel_work_of_a_worker_stays_on_its_thread() {
        let caller = std::thread::current().id();
        let (threads, pool_size) = std::thread::spawn(|| {
            let mut seen = Vec::new();
            let mut pool_size = 0;
            on_this_thread_alone(|| {
                pool_size = rayon::current_num_threads();
                seen = (0..1_000)
                    .into_par_iter()
                    .map(|_| std::thread::current().id())
                    .collect::<Vec<_>>();
                seen.push(std::thread::current().id());
            });
            (seen, pool_size)
        })
        .join()
        .unwrap();
        assert_eq!(pool_size, 1);
        let own = *threads.last().unwrap();
        assert_ne!(own, caller, "the worker is a thread of its own");
        assert!(threads.iter().all(|&id| id == own));
    }
}
