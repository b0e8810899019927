//! A funds period proved by `zkaudit prover` workers (issue 16): the
//! single-process path (`funds report` without workers: keygen, then
//! `prove_period`, chunks in parallel) against 1, 2 and 4 worker processes
//! sharing the chunks through PostgreSQL, in one run. Each configuration
//! is timed from the reporter's plan to its verified report, workers'
//! key generation included (each worker makes its keys on its first
//! chunk, as a fresh `zkaudit prover` does). Every configuration's report
//! must be byte for byte the single-process one.
//!
//! `cargo bench -p zkaudit-benches --bench funds_workers`
//!
//! `FUNDS_WORKERS_ITEMS` (default 20,000) sets the period's size,
//! `FUNDS_WORKERS_COUNTS` (default `1,2,4`) the worker counts. The workers
//! are children of the bench, each a separate process with its own
//! connection, as on separate machines; on this one they share its cores.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chacha20::ChaCha20Rng;
use chacha20::rand_core::SeedableRng;
use zkaudit_benches::postgres_url;
use zkaudit_circuits::funds::{FundsProvingKey, FundsShape, ItemOpening, prove_period};
use zkaudit_service::client::funds::load_params;
use zkaudit_service::client::funds::prover::{Step, Worker, prove_with_workers};
use zkaudit_service::client::funds::prover_queue::{ProverQueue, SessionLimits};

/// Set in a child: the schema of the queue it works for.
const CHILD_SCHEMA: &str = "ZKAUDIT_FUNDS_WORKER_SCHEMA";

fn params_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/funds-workers-params")
}

/// Items of a period: varied amounts over all 16 categories.
fn openings(count: usize) -> Vec<ItemOpening> {
    let mut rng = ChaCha20Rng::seed_from_u64(16);
    (0..count)
        .map(|i| {
            let amount = 1_000 + (i as u64).wrapping_mul(7_919) % 10_000_000;
            ItemOpening::random(amount, (i % 16) as u16, &mut rng)
        })
        .collect()
}

/// In a child: a worker until it is killed.
fn child_work(schema: &str) {
    let queue = ProverQueue::connect(&postgres_url(), schema, SessionLimits::default()).unwrap();
    let name = format!("worker-{}", std::process::id());
    let mut worker = Worker::new(queue, &name, params_dir());
    worker
        .run(|step| {
            if let Step::Failed { chunk, .. } = step {
                panic!("chunk {chunk} failed");
            }
            false
        })
        .unwrap();
}

fn spawn_worker(schema: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .env(CHILD_SCHEMA, schema)
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

fn main() {
    if let Ok(schema) = std::env::var(CHILD_SCHEMA) {
        child_work(&schema);
        return;
    }
    let items: usize = std::env::var("FUNDS_WORKERS_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let counts: Vec<usize> = std::env::var("FUNDS_WORKERS_COUNTS")
        .unwrap_or_else(|_| "1,2,4".into())
        .split(',')
        .map(|c| c.parse().unwrap())
        .collect();
    let shape = FundsShape::PRODUCTION;
    let openings = openings(items);
    let started = Instant::now();
    let params = load_params(&params_dir(), shape.k()).unwrap();
    eprintln!("params k = {}: {:?}", shape.k(), started.elapsed());

    // One chunk alone, and the single-process path end to end.
    let started = Instant::now();
    let pk = FundsProvingKey::generate(&params, shape).unwrap();
    let keygen = started.elapsed();
    let chunk = &openings[..shape.chunk_size().min(items)];
    let started = Instant::now();
    prove_period(chunk, &pk, &params, ChaCha20Rng::seed_from_u64(1)).unwrap();
    eprintln!(
        "keygen {keygen:?}; one chunk of {} items at k = {}: {:?}",
        chunk.len(),
        shape.k(),
        started.elapsed()
    );
    let started = Instant::now();
    let pk = FundsProvingKey::generate(&params, shape).unwrap();
    let reference = prove_period(&openings, &pk, &params, ChaCha20Rng::seed_from_u64(2)).unwrap();
    let single = started.elapsed();
    drop(pk);
    let chunks = reference.proof.chunks.len();
    eprintln!(
        "{items} items, {chunks} chunks, one process (keygen + prove_period): {:.1} s",
        single.as_secs_f64()
    );

    println!("| provers | wall time | per chunk | vs one process | chunks per worker |");
    println!("|---|---:|---:|---:|---|");
    println!(
        "| one process, no queue | {:.1} s | {:.2} s | 1.00 | — |",
        single.as_secs_f64(),
        single.as_secs_f64() / chunks as f64
    );
    for &count in &counts {
        let schema = format!("bench_workers_{}_{count}", std::process::id());
        let mut reporter =
            ProverQueue::connect(&postgres_url(), &schema, SessionLimits::default()).unwrap();
        let mut workers: Vec<Child> = (0..count).map(|_| spawn_worker(&schema)).collect();
        // Landings per worker are read from the queue while it runs.
        let mut sql = postgres::Client::connect(&postgres_url(), postgres::NoTls).unwrap();
        let started = Instant::now();
        let mut per_worker = std::collections::BTreeMap::<String, i64>::new();
        let report = prove_with_workers(
            &mut reporter,
            &openings,
            shape,
            &params,
            ChaCha20Rng::seed_from_u64(2),
            Some(Duration::from_secs(3_600)),
            |landed, total| {
                if landed == total {
                    for row in sql
                        .query(
                            &format!(
                                "SELECT worker, count(*) FROM \"{schema}\".funds_chunk_jobs
                                 WHERE worker IS NOT NULL GROUP BY worker"
                            ),
                            &[],
                        )
                        .unwrap()
                    {
                        per_worker.insert(row.get(0), row.get(1));
                    }
                }
            },
        )
        .unwrap();
        let wall = started.elapsed();
        for worker in &mut workers {
            worker.kill().unwrap();
            worker.wait().unwrap();
        }
        sql.batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
            .unwrap();
        assert_eq!(
            report.proof.to_bytes(),
            reference.proof.to_bytes(),
            "the workers' report differs from the single-process one"
        );
        let split: Vec<String> = per_worker.values().map(i64::to_string).collect();
        println!(
            "| {count} worker process{} | {:.1} s | {:.2} s | {:.2} | {} |",
            if count == 1 { "" } else { "es" },
            wall.as_secs_f64(),
            wall.as_secs_f64() / chunks as f64,
            wall.as_secs_f64() / single.as_secs_f64(),
            split.join(" + ")
        );
    }
}
