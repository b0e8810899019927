//! `zkaudit hammer`: a load tool operators can run against a log, as
//! Tessera's hammer is. Writers append signed records at a target rate;
//! readers follow the checkpoints the log hands out, verify each one's
//! signature and its consistency with the one before, and verify inclusion
//! proofs of entries the writers were acknowledged. At the end every
//! acknowledged entry is read back: nothing acknowledged may be lost, and
//! no proof may fail. It prints throughput and latency percentiles and
//! stops by itself.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use rand::Rng as _;
use zkaudit_ledger::merkle::{self, Hash};
use zkaudit_ledger::note::{open_checkpoint, parse_verifier_key};

use crate::api::log::{ConsistencyView, InclusionView};
use crate::client::keys::read_key_arg;
use crate::client::{Client, DEFAULT_SERVER};
use crate::keyfile::read_signing_key;

/// `zkaudit hammer`.
#[derive(Args, Debug)]
pub struct HammerArgs {
    /// An authority's private key file, allowed to write `--domain/--kind`.
    #[arg(long)]
    pub key: PathBuf,
    /// Record domain written.
    #[arg(long, default_value = "ledger")]
    pub domain: String,
    /// Record kind written.
    #[arg(long, default_value = "notice")]
    pub kind: String,
    /// Target writes per second, all writers together.
    #[arg(long, default_value_t = 200)]
    pub rate: u32,
    /// How long to write, in seconds.
    #[arg(long, default_value_t = 30)]
    pub duration: u64,
    /// Concurrent writers (connections).
    #[arg(long, default_value_t = 16)]
    pub writers: usize,
    /// Concurrent readers verifying checkpoints and proofs.
    #[arg(long, default_value_t = 2)]
    pub readers: usize,
    /// The log's verifier key, or a file holding it (default: as `GET /v1/log` publishes it).
    #[arg(long)]
    pub log_key: Option<String>,
    /// Append every acknowledged entry (index and record id, JSON lines) to this file.
    #[arg(long)]
    pub acknowledged: Option<PathBuf>,
    /// The log's base URL.
    #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
    pub server: String,
}

/// What the writers and readers saw.
#[derive(Default)]
struct Tally {
    latencies_us: Mutex<Vec<u64>>,
    acknowledged: Mutex<Vec<(u64, String)>>,
    write_errors: AtomicU64,
    checkpoints: AtomicU64,
    consistency_proofs: AtomicU64,
    inclusion_proofs: AtomicU64,
    read_errors: AtomicU64,
    integrity_failures: Mutex<Vec<String>>,
}

impl Tally {
    fn integrity(&self, what: String) {
        eprintln!("INTEGRITY: {what}");
        self.integrity_failures.lock().expect("poisoned").push(what);
    }
}

/// Runs `zkaudit hammer`.
pub fn run(a: HammerArgs) -> Result<()> {
    let key = Arc::new(read_signing_key(&a.key)?);
    let client = Client::new(&a.server);
    let log_key = match &a.log_key {
        Some(k) => read_key_arg(k)?,
        None => client.get_json("/v1/log")?["verifier_key"]
            .as_str()
            .context("the log publishes no verifier key")?
            .to_owned(),
    };
    // Records are signed for the log the verifier key names.
    let origin = parse_verifier_key(&log_key)
        .context("the log's verifier key")?
        .name()
        .to_owned();
    if a.rate == 0 || a.writers == 0 {
        bail!("--rate and --writers must be at least 1");
    }
    let run_id: u64 = rand::thread_rng().r#gen();
    let tally = Arc::new(Tally::default());
    let tickets = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let end = started + Duration::from_secs(a.duration);
    let period = Duration::from_secs_f64(1.0 / f64::from(a.rate));
    let ack_file = match &a.acknowledged {
        Some(path) => Some(Arc::new(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("opening {}", path.display()))?,
        ))),
        None => None,
    };
    eprintln!(
        "hammering {} at {} writes/s for {} s with {} writers and {} readers",
        a.server, a.rate, a.duration, a.writers, a.readers
    );
    std::thread::scope(|scope| {
        for _ in 0..a.writers {
            let (key, tally, tickets) = (key.clone(), tally.clone(), tickets.clone());
            let (client, ack_file) = (Client::for_origin(&a.server, &origin), ack_file.clone());
            let (domain, kind) = (a.domain.clone(), a.kind.clone());
            scope.spawn(move || {
                loop {
                    // Ticket t is due at start + t·period: the rate holds
                    // however the writers are scheduled.
                    let t = tickets.fetch_add(1, Ordering::Relaxed);
                    let due = started + period.mul_f64(t as f64);
                    if due >= end {
                        break;
                    }
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let payload = format!("hammer {run_id:016x} {t}").into_bytes();
                    let sent = Instant::now();
                    let outcome = client
                        .sign(&*key, &domain, &kind, payload)
                        .and_then(|record| Ok(client.append(&record)?));
                    match outcome {
                        Ok(receipt) => {
                            let us = sent.elapsed().as_micros() as u64;
                            tally.latencies_us.lock().expect("poisoned").push(us);
                            if let Some(file) = &ack_file {
                                let line = serde_json::json!({
                                    "index": receipt.index, "record_id": receipt.record_id,
                                });
                                let _ = writeln!(file.lock().expect("poisoned"), "{line}");
                            }
                            tally
                                .acknowledged
                                .lock()
                                .expect("poisoned")
                                .push((receipt.index, receipt.record_id));
                        }
                        Err(_) => {
                            tally.write_errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
        for _ in 0..a.readers {
            let (tally, done) = (tally.clone(), done.clone());
            let (client, log_key) = (Client::new(&a.server), log_key.clone());
            scope.spawn(move || read_loop(&client, &log_key, &tally, &done));
        }
        // The writers stop by themselves at `end`; then the readers.
        while Instant::now() < end {
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(500));
        done.store(true, Ordering::Relaxed);
    });
    let elapsed = started.elapsed().as_secs_f64();
    let lost = read_back(&client, &tally)?;
    report(&a, &tally, elapsed, lost)
}

/// Follows the log's checkpoints until `done`.
fn read_loop(client: &Client, log_key: &str, tally: &Tally, done: &AtomicBool) {
    let mut previous: Option<(u64, Hash)> = None;
    let mut rng = rand::thread_rng();
    while !done.load(Ordering::Relaxed) {
        let Ok(note) = client.get_text("/checkpoint") else {
            tally.read_errors.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(200));
            continue;
        };
        let checkpoint = match open_checkpoint(note.as_bytes(), log_key) {
            Ok(c) => c,
            Err(e) => {
                tally.integrity(format!("a checkpoint does not verify: {e}"));
                continue;
            }
        };
        tally.checkpoints.fetch_add(1, Ordering::Relaxed);
        if let Some((size, root)) = previous
            && size < checkpoint.size
        {
            match consistent(client, size, &root, checkpoint.size, &checkpoint.root) {
                Ok(true) => {
                    tally.consistency_proofs.fetch_add(1, Ordering::Relaxed);
                }
                Ok(false) => tally.integrity(format!(
                    "checkpoint {} is not consistent with checkpoint {size}",
                    checkpoint.size
                )),
                Err(_) => {
                    tally.read_errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        } else if let Some((size, root)) = previous
            && (size > checkpoint.size || (size == checkpoint.size && root != checkpoint.root))
        {
            tally.integrity(format!(
                "the log went from size {size} back to {} or forked",
                checkpoint.size
            ));
        }
        // An acknowledged entry inside this checkpoint: its inclusion.
        let pick = {
            let acknowledged = tally.acknowledged.lock().expect("poisoned");
            let inside: Vec<u64> = acknowledged
                .iter()
                .map(|(i, _)| *i)
                .filter(|i| *i < checkpoint.size)
                .collect();
            (!inside.is_empty()).then(|| inside[rng.gen_range(0..inside.len())])
        };
        if let Some(index) = pick {
            match included(client, index, checkpoint.size, &checkpoint.root) {
                Ok(true) => {
                    tally.inclusion_proofs.fetch_add(1, Ordering::Relaxed);
                }
                Ok(false) => tally.integrity(format!(
                    "entry {index}'s inclusion proof fails at size {}",
                    checkpoint.size
                )),
                Err(_) => {
                    tally.read_errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        previous = Some((checkpoint.size, checkpoint.root));
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn hashes(hex_hashes: &[String]) -> Result<Vec<Hash>> {
    hex_hashes
        .iter()
        .map(|h| {
            hex::decode(h)
                .ok()
                .and_then(|b| b.try_into().ok())
                .context("a proof hash is not 32 bytes of hex")
        })
        .collect()
}

fn consistent(client: &Client, from: u64, old: &Hash, to: u64, new: &Hash) -> Result<bool> {
    let view: ConsistencyView = client.get(&format!("/v1/log/consistency?from={from}&to={to}"))?;
    Ok(merkle::verify_consistency(from, to, old, new, &hashes(&view.proof)?).is_ok())
}

fn included(client: &Client, index: u64, size: u64, root: &Hash) -> Result<bool> {
    let view: InclusionView =
        client.get(&format!("/v1/log/entries/{index}/inclusion?size={size}"))?;
    let leaf: Hash = hex::decode(&view.leaf_hash)
        .ok()
        .and_then(|b| b.try_into().ok())
        .context("a leaf hash is not 32 bytes of hex")?;
    Ok(merkle::verify_inclusion(&leaf, index, size, &hashes(&view.proof)?, root).is_ok())
}

/// Reads back every acknowledged entry; returns those missing or different.
fn read_back(client: &Client, tally: &Tally) -> Result<Vec<u64>> {
    let acknowledged = tally.acknowledged.lock().expect("poisoned").clone();
    let mut lost = Vec::new();
    for (index, record_id) in acknowledged {
        let entry = client.get_json(&format!("/v1/log/entries/{index}"));
        if entry
            .map(|e| e["record_id"] != record_id.as_str())
            .unwrap_or(true)
        {
            lost.push(index);
        }
    }
    Ok(lost)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn report(a: &HammerArgs, tally: &Tally, elapsed: f64, lost: Vec<u64>) -> Result<()> {
    let mut latencies = tally.latencies_us.lock().expect("poisoned").clone();
    latencies.sort_unstable();
    let acknowledged = latencies.len();
    println!(
        "writes: {acknowledged} acknowledged, {} failed, in {elapsed:.1} s: {:.0}/s (target {}/s)",
        tally.write_errors.load(Ordering::Relaxed),
        acknowledged as f64 / elapsed,
        a.rate
    );
    println!(
        "latency ms: p50 {:.1}, p90 {:.1}, p99 {:.1}, max {:.1}",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );
    println!(
        "reads: {} checkpoints verified, {} consistency and {} inclusion proofs verified, {} read errors",
        tally.checkpoints.load(Ordering::Relaxed),
        tally.consistency_proofs.load(Ordering::Relaxed),
        tally.inclusion_proofs.load(Ordering::Relaxed),
        tally.read_errors.load(Ordering::Relaxed)
    );
    println!(
        "acknowledged entries read back: {acknowledged}, lost: {}",
        lost.len()
    );
    let failures = tally.integrity_failures.lock().expect("poisoned");
    if !lost.is_empty() || !failures.is_empty() {
        bail!(
            "the log lost {} acknowledged entries (first: {:?}) and failed {} integrity checks",
            lost.len(),
            lost.first(),
            failures.len()
        );
    }
    Ok(())
}
