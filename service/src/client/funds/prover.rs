//! A `zkaudit prover` worker: claims funds chunk jobs from the
//! [prover queue](super::prover_queue), proves them and lands the proofs;
//! and the reporting side that hands a period to the workers.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use zkaudit_circuits::funds::{
    ChunkJob, ChunkProof, FundsError, FundsParams, FundsProvingKey, FundsShape, FundsVerifyingKey,
    ItemOpening, PeriodReport, item_commitment, plan_period, verify_period,
};

use super::load_params;
use super::prover_queue::{ProverQueue, RunId};

/// What one call to [`Worker::prove_next`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Proved and landed chunk `chunk` of `run`.
    Landed {
        /// The run.
        run: RunId,
        /// The chunk's position.
        chunk: usize,
    },
    /// Chunk `chunk` of `run` could not be proved; the failure was
    /// recorded for the reporter.
    Failed {
        /// The run.
        run: RunId,
        /// The chunk's position.
        chunk: usize,
    },
    /// Nothing was pending.
    Idle,
}

/// A worker: its queue connection and the parameters and keys it has made
/// so far.
pub struct Worker {
    queue: ProverQueue,
    name: String,
    keys: ProverKeys,
}

/// IPA parameters per `k` and proving keys per shape, made on first use.
struct ProverKeys {
    params_dir: PathBuf,
    params: HashMap<u32, FundsParams>,
    keys: HashMap<FundsShape, FundsProvingKey>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Worker {
    /// A worker named `name` (recorded with every chunk it lands) that
    /// caches IPA parameters in `params_dir`.
    pub fn new(queue: ProverQueue, name: &str, params_dir: PathBuf) -> Self {
        Self {
            queue,
            name: name.to_owned(),
            keys: ProverKeys {
                params_dir,
                params: HashMap::new(),
                keys: HashMap::new(),
            },
        }
    }

    /// Goes on with a new connection (the old one was lost), keeping the
    /// parameters and keys made so far.
    pub fn reconnect(&mut self, queue: ProverQueue) {
        self.queue = queue;
    }

    /// Makes the parameters and proving key of `shape` now rather than on
    /// the first chunk of that shape (seconds at the production shape,
    /// spent while no chunk is held).
    pub fn prepare(&mut self, shape: FundsShape) -> Result<()> {
        self.keys.key(shape).map(drop).with_context(|| {
            format!(
                "keys for chunks of {} × {}",
                shape.chunk_size(),
                shape.categories()
            )
        })
    }

    /// The worker's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Claims one pending chunk, proves it and lands it. Parameters and
    /// keys for a shape are made on first use (while the chunk is held).
    pub fn prove_next(&mut self) -> Result<Step> {
        let Some(claim) = self.queue.claim()? else {
            return Ok(Step::Idle);
        };
        let (run, chunk) = (claim.run(), claim.chunk());
        let proved = match claim.job() {
            Ok(job) => self.keys.prove(job),
            Err(e) => Err(e.clone()),
        };
        match proved {
            Ok(proof) => {
                claim.land(&proof, &self.name)?;
                Ok(Step::Landed { run, chunk })
            }
            // A job that cannot be proved is failed, not retried: every
            // worker would fail on it in turn. The reason is a FundsError
            // message, which holds no witness value.
            Err(e) => {
                claim.fail(&e.to_string(), &self.name)?;
                Ok(Step::Failed { run, chunk })
            }
        }
    }

    /// Proves chunks until `stop` says so, waiting for new runs when idle
    /// and purging abandoned ones. `stop` hears whether the last step
    /// found the queue idle.
    pub fn run(&mut self, mut stop: impl FnMut(&Step) -> bool) -> Result<()> {
        loop {
            let step = self.prove_next()?;
            if stop(&step) {
                return Ok(());
            }
            if step == Step::Idle {
                self.queue.purge_abandoned()?;
                self.queue.wait_for_jobs(Duration::from_secs(5))?;
            }
        }
    }
}

impl ProverKeys {
    /// The parameters and proving key of `shape`, made on first use.
    fn key(&mut self, shape: FundsShape) -> Result<(&FundsParams, &FundsProvingKey), FundsError> {
        if !self.params.contains_key(&shape.k()) {
            let params = load_params(&self.params_dir, shape.k())
                .map_err(|e| FundsError::Io(format!("{e:#}")))?;
            self.params.insert(shape.k(), params);
        }
        let params = &self.params[&shape.k()];
        let pk = match self.keys.entry(shape) {
            Entry::Occupied(pk) => pk.into_mut(),
            Entry::Vacant(slot) => slot.insert(FundsProvingKey::generate(params, shape)?),
        };
        Ok((params, pk))
    }

    /// Proves `job` with the keys of its shape.
    fn prove(&mut self, job: &ChunkJob) -> Result<ChunkProof, FundsError> {
        let (params, pk) = self.key(job.shape())?;
        job.prove(pk, params)
    }
}

/// Proves a period's report with the workers of `queue`: plans it here
/// (every random choice is made by the reporter), enqueues the jobs,
/// waits for them (`progress` hears landed and total chunks) and verifies
/// the assembled report against the items' commitments before returning
/// it. A worker's bad proof fails the verification, naming its chunk.
pub fn prove_with_workers(
    queue: &mut ProverQueue,
    openings: &[ItemOpening],
    shape: FundsShape,
    params: &FundsParams,
    rng: impl rand_core_halo2::Rng,
    timeout: Option<Duration>,
    progress: impl FnMut(usize, usize),
) -> Result<PeriodReport> {
    let plan = plan_period(openings, shape, rng)?;
    let run = queue.enqueue(&plan)?;
    // The verifying key is made while the workers prove: on another
    // machine than theirs, the reporter's cores are idle meanwhile.
    let (vk, report) = std::thread::scope(|scope| {
        let vk = scope.spawn(|| FundsVerifyingKey::generate(params, shape));
        let report = queue.wait_for(run, plan, timeout, progress);
        (
            vk.join().expect("verifying key generation panicked"),
            report,
        )
    });
    let report = report.context("proving with workers")?;
    let vk = vk?;
    let commitments: Vec<_> = openings.iter().map(item_commitment).collect();
    verify_period(
        &commitments,
        &report.totals,
        report.final_blinding,
        &report.proof,
        params,
        &vk,
    )
    .context("the workers' proofs do not verify")?;
    Ok(report)
}
