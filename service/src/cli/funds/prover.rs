//! `zkaudit prover`: a worker that proves funds chunks for any reporting
//! process that enqueues them in the same database.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Args;

use zkaudit_circuits::funds::FundsShape;

use crate::client::funds::prover::{Step, Worker};
use crate::client::funds::prover_queue::{DEFAULT_SCHEMA, ProverQueue, SessionLimits};

/// `zkaudit prover`.
#[derive(Args, Debug)]
pub struct ProverArgs {
    /// The agency's PostgreSQL database the chunk jobs go through
    /// (postgres://user@host/db). The jobs hold the items' openings: use
    /// the agency's own database, never the log's.
    #[arg(long, env = "ZKAUDIT_PROVER_DATABASE_URL")]
    pub database_url: String,
    /// Schema of the queue's tables (created if missing).
    #[arg(long, default_value = DEFAULT_SCHEMA, env = "ZKAUDIT_PROVER_SCHEMA")]
    pub schema: String,
    /// Where IPA parameters are cached.
    #[arg(long, default_value = "zkaudit-params", env = "ZKAUDIT_PARAMS_DIR")]
    pub params_dir: PathBuf,
    /// The name recorded with every chunk this worker lands (default:
    /// `prover-<process id>`).
    #[arg(long)]
    pub name: Option<String>,
    /// Seconds a claimed chunk may take before the database frees it for
    /// another worker (ends this worker's session).
    #[arg(long, default_value_t = 1800)]
    pub chunk_timeout: u64,
    /// Exit once the queue has had nothing to prove for this many seconds
    /// (default: run until stopped).
    #[arg(long)]
    pub exit_when_idle: Option<u64>,
    /// Make the parameters and proving key of chunks of this shape, given
    /// as `<items per chunk>x<categories>` (e.g. `1024x16`, the production
    /// shape), before waiting for chunks; otherwise they are made on the
    /// first chunk of the shape. Repeatable.
    #[arg(long, value_name = "ITEMSxCATEGORIES", value_parser = parse_shape)]
    pub prepare: Vec<FundsShape>,
}

/// Parses `<items per chunk>x<categories>` into a shape of the current
/// circuit layout.
fn parse_shape(text: &str) -> Result<FundsShape, String> {
    let invalid = || format!("{text:?}: expected <items per chunk>x<categories>, e.g. 1024x16");
    let (items, categories) = text.split_once('x').ok_or_else(invalid)?;
    let items = items.parse().map_err(|_| invalid())?;
    let categories = categories.parse().map_err(|_| invalid())?;
    FundsShape::new(items, categories).map_err(|e| e.to_string())
}

/// Runs a worker until it is stopped (or idle for `--exit-when-idle`).
///
/// The first connection must succeed (a wrong URL fails at once); after
/// that, a lost connection (the database restarted, the network failed,
/// the server ended a chunk that outlived `--chunk-timeout`) is retried
/// every few seconds with the keys kept, and whatever chunk was held is
/// free for any worker meanwhile.
pub fn run(args: ProverArgs) -> Result<()> {
    let limits = SessionLimits {
        chunk_timeout: Duration::from_secs(args.chunk_timeout.max(1)),
    };
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| format!("prover-{}", std::process::id()));
    let connect = || ProverQueue::connect_as(&args.database_url, &args.schema, limits, &name);
    let mut worker = Worker::new(connect()?, &name, args.params_dir.clone());
    for shape in &args.prepare {
        worker.prepare(*shape)?;
        eprintln!(
            "{name}: keys for chunks of {} × {} ready (k = {})",
            shape.chunk_size(),
            shape.categories(),
            shape.k()
        );
    }
    eprintln!("{name}: waiting for funds chunks");
    let idle_limit = args.exit_when_idle.map(Duration::from_secs);
    let mut idle_since: Option<Instant> = None;
    let mut landed = 0usize;
    loop {
        let outcome = worker.run(|step| match step {
            Step::Landed { chunk, .. } => {
                landed += 1;
                idle_since = None;
                eprintln!("{name}: landed chunk {chunk} ({landed} so far)");
                false
            }
            Step::Failed { chunk, .. } => {
                idle_since = None;
                eprintln!(
                    "{name}: could not prove chunk {chunk}; the failure is recorded for its reporter"
                );
                false
            }
            Step::Idle => {
                let since = *idle_since.get_or_insert_with(Instant::now);
                idle_limit.is_some_and(|limit| since.elapsed() >= limit)
            }
        });
        let Err(error) = outcome else {
            break;
        };
        eprintln!("{name}: {error:#}; reconnecting");
        loop {
            std::thread::sleep(RECONNECT_PAUSE);
            match connect() {
                Ok(queue) => {
                    worker.reconnect(queue);
                    break;
                }
                Err(error) => eprintln!("{name}: {error}; retrying"),
            }
        }
    }
    eprintln!("{name}: idle, {landed} chunks landed; exiting");
    Ok(())
}

/// The pause before reconnecting after a lost connection.
const RECONNECT_PAUSE: Duration = Duration::from_secs(5);
