//! The log's tree at scale (issue 16): memory, start-up and proof latency
//! of logs of millions of entries, against the in-memory tree they replace,
//! in the same run.
//!
//! A generator writes each log once through the sequencer, directly into a
//! SQLite store (small signed `ledger/notice` records, batches of 20,000),
//! under `target/log-scale/<entries>`; later runs reuse it. Then, each in a
//! fresh process so that memory and caches start empty:
//!
//! * **open** (the bounded tree): `Sequencer::open`, the resident memory
//!   after it, then inclusion and consistency proofs at random indices and
//!   sizes — 2,000 of each with an empty tile cache (cold), 2,000 more
//!   (warm), then 2,000 of the last 65,536 entries (recent) — with their p50
//!   and p99 latency, and the memory after;
//! * **rebuild** (the path before): the whole tree rebuilt in memory from
//!   the stored leaf hashes, as `Sequencer::open` did until now, and the
//!   memory it takes.
//!
//! Run: `cargo bench -p zkaudit-benches --bench log_scale`; the sizes are
//! `LOG_SCALE_SIZES` (default `1000000,10000000`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use zkaudit_ledger::merkle::{MemoryTree, SubtreeHashes};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;
use zkaudit_ledger::sequencer::{Pending, Sequencer};
use zkaudit_ledger::store::Store;
use zkaudit_ledger::store::sqlite::SqliteStore;

/// Set in a child process: the job it runs (`open` or `rebuild`).
const CHILD_JOB: &str = "ZKAUDIT_LOG_SCALE_JOB";
/// The data directory a child opens.
const CHILD_DIR: &str = "ZKAUDIT_LOG_SCALE_DIR";
/// Entries integrated per batch by the generator.
const GENERATOR_BATCH: u64 = 20_000;
/// Proofs of each kind per phase (cold, then warm).
const PROOFS: usize = 2_000;
/// The entries counted as recent.
const RECENT: u64 = 65_536;
/// Leaf hashes read per query by the rebuild.
const REBUILD_CHUNK: u64 = 65_536;

fn main() {
    if let Ok(job) = std::env::var(CHILD_JOB) {
        let dir = PathBuf::from(std::env::var(CHILD_DIR).expect("child data directory"));
        match job.as_str() {
            "open" => open_and_prove(&dir),
            "rebuild" => rebuild(&dir),
            other => panic!("unknown job {other}"),
        }
        return;
    }
    let sizes = std::env::var("LOG_SCALE_SIZES").unwrap_or_else(|_| "1000000,10000000".into());
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "../target".into());
    println!(
        "| entries | path | start-up | RSS after start | RSS after 12,000 proofs | inclusion p50 / p99 (cold, warm, recent) | consistency p50 / p99 (cold, warm, recent) | storage / entry |"
    );
    println!("|---:|---|---:|---:|---:|---|---|---:|");
    for size in sizes.split(',') {
        let size: u64 = size.trim().parse().expect("a size");
        let dir = Path::new(&target).join("log-scale").join(size.to_string());
        generate(&dir, size);
        let bytes = SqliteStore::open(&dir)
            .and_then(|s| s.storage_bytes())
            .expect("storage bytes");
        for _ in 0..2 {
            let open = child("open", &dir);
            println!(
                "| {size} | bounded tree | {} ms | {} MiB | {} MiB | {} | {} | {:.0} B |",
                open["startup_ms"],
                open["rss_open_mib"],
                open["rss_end_mib"],
                open["inclusion"],
                open["consistency"],
                bytes as f64 / size as f64
            );
        }
        let rebuilt = child("rebuild", &dir);
        println!(
            "| {size} | in-memory tree (before) | {} ms | {} MiB | | | | |",
            rebuilt["startup_ms"], rebuilt["rss_open_mib"]
        );
    }
}

/// Runs this bench binary again as a child for `job`; returns its results.
fn child(job: &str, dir: &Path) -> std::collections::HashMap<String, String> {
    let out = Command::new(std::env::current_exe().expect("own path"))
        .env(CHILD_JOB, job)
        .env(CHILD_DIR, dir)
        .output()
        .expect("run child");
    assert!(
        out.status.success(),
        "{job} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn log_key() -> NoteSigningKey {
    NoteSigningKey::generate("scale.bench/log", &mut ChaCha20Rng::seed_from_u64(16)).expect("key")
}

/// Writes a log of `size` notices at `dir` through the sequencer, unless
/// one is there; resumes an interrupted one.
fn generate(dir: &Path, size: u64) {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir).expect("open store"));
    let sequencer = Sequencer::open(store, log_key()).expect("open log");
    let have = sequencer.latest_checkpoint().size;
    if have >= size {
        return;
    }
    eprintln!("generating a log of {size} entries at {}", dir.display());
    let author = NoteSigningKey::generate("author", &mut ChaCha20Rng::seed_from_u64(17))
        .expect("author key");
    let origin = sequencer.origin().to_owned();
    let started = Instant::now();
    let mut next = have;
    while next < size {
        let end = size.min(next + GENERATOR_BATCH);
        let half = next + (end - next) / 2;
        // Signing is most of the generator's work: both cores sign.
        let sign = |range: std::ops::Range<u64>| {
            range
                .map(|i| {
                    let record = Record::signed(
                        &origin,
                        "ledger",
                        "notice",
                        1_000 + i,
                        i.to_be_bytes().to_vec(),
                        &author,
                    )
                    .expect("sign");
                    Pending::new(&record)
                })
                .collect::<Vec<_>>()
        };
        let (first, second) = std::thread::scope(|s| {
            let second = s.spawn(|| sign(half..end));
            (sign(next..half), second.join().expect("signer"))
        });
        let mut batch = first;
        batch.extend(second);
        sequencer.integrate(batch).expect("integrate");
        next = end;
        if next.is_multiple_of(1_000_000) {
            eprintln!("  {next} entries, {:.0} s", started.elapsed().as_secs_f64());
        }
    }
}

/// Resident and peak memory of this process, in MiB.
fn memory_mib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").expect("proc status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(0, |kib| kib / 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The bounded tree: open, then prove.
fn open_and_prove(dir: &Path) {
    let started = Instant::now();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir).expect("open store"));
    let sequencer = Sequencer::open(store, log_key()).expect("open log");
    let startup = started.elapsed();
    println!("startup_ms={:.1}", startup.as_secs_f64() * 1e3);
    println!("rss_open_mib={}", memory_mib().0);
    let mut rng = ChaCha20Rng::seed_from_u64(18);
    let (mut inclusion, mut consistency) = (Vec::new(), Vec::new());
    for recent in [false, false, true] {
        let (mut inc, mut con) = (Vec::with_capacity(PROOFS), Vec::with_capacity(PROOFS));
        sequencer.with_tree(|tree, latest| {
            let size = latest.size;
            // Anywhere in the log, or among the last 65,536 entries (what
            // receipts and monitors mostly ask for).
            let span = if recent { size.min(RECENT) } else { size };
            for _ in 0..PROOFS {
                let index = size - 1 - rng.next_u64() % span;
                let t = Instant::now();
                let proof = tree.inclusion_proof(index, size).expect("inclusion");
                inc.push(t.elapsed());
                assert!(!proof.is_empty());
                let old = size - 1 - rng.next_u64() % (span - 1);
                let t = Instant::now();
                let proof = tree.consistency_proof(old, size).expect("consistency");
                con.push(t.elapsed());
                assert!(!proof.is_empty());
            }
        });
        inclusion.push(percentiles(&mut inc));
        consistency.push(percentiles(&mut con));
    }
    println!("inclusion={}", inclusion.join(", "));
    println!("consistency={}", consistency.join(", "));
    println!("rss_end_mib={}", memory_mib().0);
}

/// "p50 / p99" of `samples`.
fn percentiles(samples: &mut [Duration]) -> String {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    format!("{:.1?} / {:.1?}", at(0.50), at(0.99))
}

/// The path before: the whole tree in memory, rebuilt from the leaf hashes.
fn rebuild(dir: &Path) {
    let started = Instant::now();
    let store = SqliteStore::open(dir).expect("open store");
    let size = store.read(|r| r.size()).expect("size");
    let mut tree = MemoryTree::new();
    let mut start = 0;
    while start < size {
        let end = size.min(start + REBUILD_CHUNK);
        tree.extend(store.leaf_hashes(start, end).expect("leaf hashes"));
        start = end;
    }
    let root = tree.root();
    println!("startup_ms={:.1}", started.elapsed().as_secs_f64() * 1e3);
    println!("rss_open_mib={}", memory_mib().0);
    assert_eq!(root, tree.root_at(size).expect("root"));
    assert_eq!(SubtreeHashes::size(&tree), size);
}
