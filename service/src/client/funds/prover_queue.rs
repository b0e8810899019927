//! Funds chunk jobs shared through PostgreSQL, so that a period is proved
//! by `zkaudit prover` workers on as many machines as the agency has, with
//! no coordinator besides the database.
//!
//! - The reporting process [plans](zkaudit_circuits::funds::plan_period)
//!   the period, [enqueues](ProverQueue::enqueue) one row per chunk job
//!   and [waits](ProverQueue::wait_for) for every chunk to land, renewing
//!   its run's lease as it waits.
//! - A worker [claims](ProverQueue::claim) a pending chunk with
//!   `SELECT … FOR UPDATE SKIP LOCKED` and keeps the row locked in an open
//!   transaction while it proves; it [lands](Claim::land) the proof with
//!   an update that only a pending row accepts, and commits.
//!
//! What this guarantees:
//!
//! - **One landing per chunk.** Only the transaction holding a chunk's row
//!   lock can land it, and landing clears the row's pending state in the
//!   same commit: a second landing finds nothing pending and is refused.
//! - **A dead worker's chunk is taken again.** The lock lives in the
//!   worker's session: when the process dies, its connection closes, the
//!   transaction aborts and the next worker's `SKIP LOCKED` finds the row.
//!   A worker that hangs or is cut off is ended by the server after the
//!   chunk timeout (`idle_in_transaction_session_timeout`) or by TCP
//!   keepalives.
//! - **Identical results.** A chunk's proof depends on its job alone
//!   ([`ChunkJob::prove`]); the report is assembled from the plan, and the
//!   reporting process verifies it before anything is logged.
//! - **No orphaned secrets.** A job holds its items' openings and the
//!   running blindings. Landing a chunk erases its job; a run whose
//!   reporting process stopped renewing its lease is no longer claimed and
//!   is deleted with its jobs by the next idle worker.
//!
//! The queue's database is the agency's own — the jobs are as secret as
//! the openings file — never the log's.

use std::time::{Duration, Instant};

use postgres::fallible_iterator::FallibleIterator as _;
use postgres::{Client, Config, NoTls, Transaction};
use rand::RngCore as _;
use zeroize::Zeroizing;
use zkaudit_circuits::funds::{
    ChunkJob, ChunkProof, FundsError, FundsShape, PeriodPlan, PeriodProof, PeriodReport,
};

/// The schema of the queue's tables unless told otherwise.
pub const DEFAULT_SCHEMA: &str = "zkaudit_prover";

/// How long a run's lease lasts: a run whose reporting process has not
/// renewed it for this long is abandoned.
pub const RUN_LEASE: Duration = Duration::from_secs(60);

/// The channel a run's enqueueing is announced on (wakes idle workers).
const JOBS_CHANNEL: &str = "zkaudit_funds_jobs";
/// The channel a landing is announced on (wakes the waiting reporter).
const LANDED_CHANNEL: &str = "zkaudit_funds_landed";

/// Errors of the prover queue.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The database refused or the connection failed.
    #[error("prover queue database: {0}")]
    Database(#[from] postgres::Error),
    /// A schema name that cannot be used.
    #[error("{0}")]
    Schema(String),
    /// A job or proof in the queue does not decode, or the proofs do not
    /// assemble into the planned report.
    #[error("prover queue: {0}")]
    Funds(#[from] FundsError),
    /// A landing for a chunk that is no longer pending (landed already, or
    /// its run was abandoned and deleted).
    #[error("chunk {chunk} is no longer pending: landed already or its run was abandoned")]
    NotPending {
        /// The chunk's position, from 0.
        chunk: usize,
    },
    /// A worker could not prove a chunk of the run, and said why.
    #[error("a worker could not prove chunk {chunk}: {reason}")]
    ChunkFailed {
        /// The chunk's position, from 0.
        chunk: usize,
        /// The worker's reason.
        reason: String,
    },
    /// The run disappeared while its reporter waited (deleted by hand, or
    /// its lease lapsed and a worker purged it).
    #[error("the run's jobs were deleted while waiting for them")]
    RunGone,
    /// Not every chunk landed in the time given.
    #[error(
        "{landed} of {chunks} chunks landed in {waited:?}; are `zkaudit prover` workers running against this database?"
    )]
    TimedOut {
        /// Chunks landed.
        landed: usize,
        /// Chunks of the run.
        chunks: usize,
        /// How long the reporter waited.
        waited: Duration,
    },
}

/// `Result` with [`QueueError`].
pub type QueueResult<T> = Result<T, QueueError>;

/// A run: one period's jobs, named by 16 random bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunId(pub [u8; 16]);

/// How a worker's session treats a claimed chunk.
#[derive(Clone, Copy, Debug)]
pub struct SessionLimits {
    /// The longest a worker may hold a claimed chunk without landing it;
    /// the server then ends its session and the chunk is free again.
    pub chunk_timeout: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            chunk_timeout: Duration::from_secs(30 * 60),
        }
    }
}

/// A connection to the queue's tables.
pub struct ProverQueue {
    client: Client,
    schema: String,
    listening: Vec<&'static str>,
}

impl std::fmt::Debug for ProverQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProverQueue")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

/// A chunk claimed by a worker: its row stays locked until the claim is
/// landed or dropped (dropping rolls back and frees the chunk).
pub struct Claim<'q> {
    txn: Transaction<'q>,
    schema: String,
    run: RunId,
    chunk: usize,
    job: Result<ChunkJob, FundsError>,
}

impl std::fmt::Debug for Claim<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claim")
            .field("run", &self.run)
            .field("chunk", &self.chunk)
            .finish_non_exhaustive()
    }
}

impl ProverQueue {
    /// Connects to the database at `url` (libpq style, no TLS) and creates
    /// the queue's tables in `schema` if they do not exist.
    pub fn connect(url: &str, schema: &str, limits: SessionLimits) -> QueueResult<Self> {
        Self::connect_as(url, schema, limits, "zkaudit-prover")
    }

    /// [`ProverQueue::connect`] with the session's `application_name` (as
    /// `pg_stat_activity` shows it), e.g. the worker's name.
    pub fn connect_as(
        url: &str,
        schema: &str,
        limits: SessionLimits,
        application_name: &str,
    ) -> QueueResult<Self> {
        zkaudit_ledger::store::postgres::check_schema_name(schema)
            .map_err(|e| QueueError::Schema(e.to_string()))?;
        let mut config: Config = url.parse()?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        config
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30))
            .application_name(application_name);
        let mut client = config.connect(NoTls)?;
        // The server notices a vanished worker within about a minute, and
        // ends a session that holds a chunk too long.
        client.batch_execute(&format!(
            "SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; \
             SET tcp_keepalives_count = 3; SET idle_in_transaction_session_timeout = {}",
            limits.chunk_timeout.as_millis().max(1)
        ))?;
        let mut queue = Self {
            client,
            schema: schema.to_owned(),
            listening: Vec::new(),
        };
        queue.create_tables()?;
        Ok(queue)
    }

    fn create_tables(&mut self) -> QueueResult<()> {
        let s = &self.schema;
        // Workers starting together would race on CREATE … IF NOT EXISTS:
        // one transaction-scoped advisory lock orders them.
        self.client.batch_execute(&format!(
            "BEGIN;
             SELECT pg_advisory_xact_lock(7266414669871280437);
             CREATE SCHEMA IF NOT EXISTS \"{s}\";
             CREATE TABLE IF NOT EXISTS \"{s}\".funds_runs (
                 run BYTEA PRIMARY KEY CHECK (length(run) = 16),
                 chunks INTEGER NOT NULL CHECK (chunks > 0),
                 created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                 lease_until TIMESTAMPTZ NOT NULL
             );
             CREATE TABLE IF NOT EXISTS \"{s}\".funds_chunk_jobs (
                 run BYTEA NOT NULL REFERENCES \"{s}\".funds_runs ON DELETE CASCADE,
                 chunk INTEGER NOT NULL CHECK (chunk >= 0),
                 job BYTEA,
                 proof BYTEA,
                 failure TEXT,
                 worker TEXT,
                 landed_at TIMESTAMPTZ,
                 PRIMARY KEY (run, chunk),
                 CHECK (num_nonnulls(job, proof, failure) = 1)
             );
             CREATE INDEX IF NOT EXISTS funds_chunk_jobs_pending
                 ON \"{s}\".funds_chunk_jobs (run, chunk) WHERE job IS NOT NULL;
             COMMIT;"
        ))?;
        Ok(())
    }

    /// Enqueues every job of `plan` as a new run (one transaction) and
    /// wakes idle workers. The run's lease must then be renewed by
    /// [`ProverQueue::wait_for`].
    pub fn enqueue(&mut self, plan: &PeriodPlan) -> QueueResult<RunId> {
        let mut id = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut id);
        let run = RunId(id);
        let s = &self.schema;
        let mut txn = self.client.transaction()?;
        txn.execute(
            &format!(
                "INSERT INTO \"{s}\".funds_runs (run, chunks, lease_until)
                 VALUES ($1, $2, now() + make_interval(secs => $3))"
            ),
            &[
                &id.to_vec(),
                &(plan.jobs().len() as i32),
                &RUN_LEASE.as_secs_f64(),
            ],
        )?;
        let insert = txn.prepare(&format!(
            "INSERT INTO \"{s}\".funds_chunk_jobs (run, chunk, job) VALUES ($1, $2, $3)"
        ))?;
        for job in plan.jobs() {
            let bytes = Zeroizing::new(job.to_bytes());
            txn.execute(
                &insert,
                &[&id.to_vec(), &(job.index() as i32), &bytes.as_slice()],
            )?;
        }
        txn.batch_execute(&format!("NOTIFY {JOBS_CHANNEL}"))?;
        txn.commit()?;
        Ok(run)
    }

    /// Waits until every chunk of `run` has landed, renewing the run's
    /// lease, and assembles the report from `plan` (which must be the
    /// enqueued one). `progress` hears (landed, chunks) whenever the count
    /// changes. The run is deleted at the end, whatever the outcome.
    ///
    /// The proofs are not verified here: the caller verifies the report
    /// before it trusts it.
    pub fn wait_for(
        &mut self,
        run: RunId,
        plan: PeriodPlan,
        timeout: Option<Duration>,
        mut progress: impl FnMut(usize, usize),
    ) -> QueueResult<PeriodReport> {
        let outcome = self.wait_landed(run, plan.jobs().len(), timeout, &mut progress);
        let proofs = outcome.and_then(|()| self.landed_proofs(run, plan.shape()));
        let forgotten = self.forget(run);
        let report = plan.assemble(proofs?)?;
        forgotten?;
        Ok(report)
    }

    fn wait_landed(
        &mut self,
        run: RunId,
        chunks: usize,
        timeout: Option<Duration>,
        progress: &mut impl FnMut(usize, usize),
    ) -> QueueResult<()> {
        self.listen(LANDED_CHANNEL)?;
        let s = self.schema.clone();
        let renew = self.client.prepare(&format!(
            "UPDATE \"{s}\".funds_runs SET lease_until = now() + make_interval(secs => $2)
             WHERE run = $1"
        ))?;
        let count = self.client.prepare(&format!(
            "SELECT (SELECT count(*) FROM \"{s}\".funds_chunk_jobs
                     WHERE run = $1 AND proof IS NOT NULL),
                    failed.chunk, failed.failure
             FROM (SELECT 1) AS one
             LEFT JOIN LATERAL (
                 SELECT chunk, failure FROM \"{s}\".funds_chunk_jobs
                 WHERE run = $1 AND failure IS NOT NULL ORDER BY chunk LIMIT 1
             ) AS failed ON true"
        ))?;
        let started = Instant::now();
        let mut last = None;
        loop {
            if self
                .client
                .execute(&renew, &[&run.0.to_vec(), &RUN_LEASE.as_secs_f64()])?
                == 0
            {
                return Err(QueueError::RunGone);
            }
            let row = self.client.query_one(&count, &[&run.0.to_vec()])?;
            if let (Some(chunk), Some(reason)) = (row.get::<_, Option<i32>>(1), row.get(2)) {
                return Err(QueueError::ChunkFailed {
                    chunk: chunk as usize,
                    reason,
                });
            }
            let landed = row.get::<_, i64>(0) as usize;
            if last != Some(landed) {
                progress(landed, chunks);
                last = Some(landed);
            }
            if landed == chunks {
                return Ok(());
            }
            if let Some(limit) = timeout
                && started.elapsed() >= limit
            {
                return Err(QueueError::TimedOut {
                    landed,
                    chunks,
                    waited: started.elapsed(),
                });
            }
            // A landing wakes us at once; the lease is renewed at least
            // every few seconds, far within its 60.
            self.await_notification(Duration::from_secs(2))?;
        }
    }

    fn landed_proofs(&mut self, run: RunId, shape: FundsShape) -> QueueResult<Vec<ChunkProof>> {
        let s = &self.schema;
        let rows = self.client.query(
            &format!(
                "SELECT chunk, proof FROM \"{s}\".funds_chunk_jobs
                 WHERE run = $1 ORDER BY chunk"
            ),
            &[&run.0.to_vec()],
        )?;
        rows.iter()
            .enumerate()
            .map(|(position, row)| {
                let chunk: i32 = row.get(0);
                let bytes: Option<Vec<u8>> = row.get(1);
                match bytes {
                    Some(bytes) if chunk as usize == position => {
                        let mut landed = PeriodProof::from_bytes(&bytes)?;
                        match (landed.shape == shape, landed.chunks.pop()) {
                            (true, Some(proof)) if landed.chunks.is_empty() => Ok(proof),
                            _ => Err(QueueError::Funds(FundsError::NotThePlannedChunk {
                                chunk: position,
                            })),
                        }
                    }
                    _ => Err(QueueError::NotPending { chunk: position }),
                }
            })
            .collect()
    }

    /// Deletes `run` and whatever of its jobs remain.
    pub fn forget(&mut self, run: RunId) -> QueueResult<()> {
        let s = &self.schema;
        self.client.execute(
            &format!("DELETE FROM \"{s}\".funds_runs WHERE run = $1"),
            &[&run.0.to_vec()],
        )?;
        Ok(())
    }

    /// Claims the oldest pending chunk of a run whose lease is current,
    /// skipping chunks other workers hold; `None` if there is none.
    pub fn claim(&mut self) -> QueueResult<Option<Claim<'_>>> {
        let s = self.schema.clone();
        let mut txn = self.client.transaction()?;
        let row = txn.query_opt(
            &format!(
                "SELECT j.run, j.chunk, j.job FROM \"{s}\".funds_chunk_jobs j
                 JOIN \"{s}\".funds_runs r ON r.run = j.run
                 WHERE j.job IS NOT NULL AND r.lease_until > now()
                 ORDER BY r.created_at, j.run, j.chunk
                 LIMIT 1
                 FOR UPDATE OF j SKIP LOCKED"
            ),
            &[],
        )?;
        let Some(row) = row else {
            return Ok(None);
        };
        let run: Vec<u8> = row.get(0);
        let chunk: i32 = row.get(1);
        let bytes = Zeroizing::new(row.get::<_, Vec<u8>>(2));
        Ok(Some(Claim {
            txn,
            schema: s,
            run: RunId(run.try_into().expect("the table checks 16 bytes")),
            chunk: chunk as usize,
            job: ChunkJob::from_bytes(&bytes),
        }))
    }

    /// Deletes runs whose lease has lapsed, with their jobs (the secrets of
    /// a reporter that stopped waiting). Skips, rather than waits for, a
    /// run with a chunk still held by a worker. Returns the runs deleted.
    pub fn purge_abandoned(&mut self) -> QueueResult<u64> {
        let s = &self.schema;
        let mut txn = self.client.transaction()?;
        txn.batch_execute("SET LOCAL lock_timeout = '200ms'")?;
        let deleted = txn.execute(
            &format!(
                "DELETE FROM \"{s}\".funds_runs WHERE run IN (
                     SELECT run FROM \"{s}\".funds_runs WHERE lease_until < now()
                     FOR UPDATE SKIP LOCKED)"
            ),
            &[],
        );
        match deleted {
            Ok(deleted) => {
                txn.commit()?;
                Ok(deleted)
            }
            // A chunk row still locked by a worker: try again next time.
            Err(e) if e.code() == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE) => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    /// Waits up to `wait` for a run to be enqueued (returns early on one).
    pub fn wait_for_jobs(&mut self, wait: Duration) -> QueueResult<()> {
        self.listen(JOBS_CHANNEL)?;
        self.await_notification(wait)
    }

    /// Waits up to `wait` for a notification on the channel listened to,
    /// then drops every one already delivered.
    fn await_notification(&mut self, wait: Duration) -> QueueResult<()> {
        self.client.notifications().timeout_iter(wait).next()?;
        while self.client.notifications().iter().next()?.is_some() {}
        Ok(())
    }

    fn listen(&mut self, channel: &'static str) -> QueueResult<()> {
        if !self.listening.contains(&channel) {
            self.client.batch_execute(&format!("LISTEN {channel}"))?;
            self.listening.push(channel);
        }
        Ok(())
    }

    /// How many chunks of `run` have landed, and by which workers (in
    /// chunk order; `None` for chunks still pending).
    pub fn landings(&mut self, run: RunId) -> QueueResult<Vec<Option<String>>> {
        let s = &self.schema;
        let rows = self.client.query(
            &format!("SELECT worker FROM \"{s}\".funds_chunk_jobs WHERE run = $1 ORDER BY chunk"),
            &[&run.0.to_vec()],
        )?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }
}

impl Claim<'_> {
    /// The claimed job, or why its bytes do not decode (then
    /// [`Claim::fail`] it).
    pub fn job(&self) -> Result<&ChunkJob, &FundsError> {
        self.job.as_ref()
    }

    /// The run the job belongs to.
    pub fn run(&self) -> RunId {
        self.run
    }

    /// The chunk's position in its run.
    pub fn chunk(&self) -> usize {
        self.chunk
    }

    /// Lands `proof` as the chunk's, recorded as `worker`'s, erases the
    /// job and commits. Refused ([`QueueError::NotPending`]) if the chunk
    /// is not pending any more.
    pub fn land(self, proof: &ChunkProof, worker: &str) -> QueueResult<()> {
        let shape = match &self.job {
            Ok(job) => job.shape(),
            Err(e) => return Err(QueueError::Funds(e.clone())),
        };
        let encoded = single_chunk(shape, proof.clone()).to_bytes();
        self.finish("proof", &encoded, worker)
    }

    /// Records that the chunk cannot be proved, and why (`reason` must
    /// hold no secret: the reporter prints it), erases the job and
    /// commits: the reporter gives up on the run rather than every worker
    /// failing on the same job for ever.
    pub fn fail(self, reason: &str, worker: &str) -> QueueResult<()> {
        self.finish("failure", &reason, worker)
    }

    fn finish(
        mut self,
        column: &str,
        value: &(dyn postgres::types::ToSql + Sync),
        worker: &str,
    ) -> QueueResult<()> {
        let s = &self.schema;
        let updated = self.txn.execute(
            &format!(
                "UPDATE \"{s}\".funds_chunk_jobs
                 SET job = NULL, {column} = $3, worker = $4, landed_at = now()
                 WHERE run = $1 AND chunk = $2 AND job IS NOT NULL"
            ),
            &[&self.run.0.to_vec(), &(self.chunk as i32), value, &worker],
        )?;
        if updated != 1 {
            return Err(QueueError::NotPending { chunk: self.chunk });
        }
        self.txn
            .batch_execute(&format!("NOTIFY {LANDED_CHANNEL}"))?;
        self.txn.commit()?;
        Ok(())
    }
}

/// A landed chunk proof is stored as a one-chunk period proof: its strict
/// encoding, with the shape it was proved for.
fn single_chunk(shape: FundsShape, proof: ChunkProof) -> PeriodProof {
    PeriodProof {
        shape,
        chunks: vec![proof],
    }
}
