//! The durability promise under SIGKILL: a 2xx answer means the entry is
//! durably stored at its index.
//!
//! Several writers hammer a `zkaudit serve` process; the process is killed
//! with SIGKILL mid-load; it is restarted on the same data directory. Then
//! every acknowledged entry must be present at its acknowledged index with
//! the same record, every checkpoint handed out before the crash must be
//! consistent with the log after restart, and no index may be reused.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use zkaudit_verifier::{Receipt, verify_extension};

const WRITERS: usize = 8;

#[derive(Default)]
struct Acked {
    /// index → record id, from 201/200 answers.
    by_index: BTreeMap<u64, String>,
    /// checkpoint size → signed note handed out with an answer.
    checkpoints: BTreeMap<u64, String>,
}

fn run_load(
    base: &str,
    key_dir: &std::path::Path,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Acked>>,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..WRITERS)
        .map(|w| {
            let base = base.to_owned();
            let stop = stop.clone();
            let acked = acked.clone();
            let key = dev_authority(key_dir);
            std::thread::spawn(move || {
                let agent = agent();
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let record = notice(&key, &format!("writer {w} notice {i}"));
                    i += 1;
                    let body = serde_json::json!({ "record": base64_record(&record) });
                    let Ok(mut response) = agent
                        .post(format!("{base}/v1/log/entries"))
                        .send_json(&body)
                    else {
                        // Connection refused or reset: the server is gone.
                        continue;
                    };
                    if response.status().as_u16() != 201 {
                        continue;
                    }
                    let Ok(text) = response.body_mut().read_to_string() else {
                        continue;
                    };
                    let receipt: Receipt =
                        serde_json::from_str(&text).expect("a 201 carries a receipt");
                    let mut acked = acked.lock().unwrap();
                    let previous = acked
                        .by_index
                        .insert(receipt.index, receipt.record_id.clone());
                    assert!(
                        previous.is_none(),
                        "index {} acknowledged twice",
                        receipt.index
                    );
                    let size = checkpoint_size(&receipt.checkpoint);
                    acked.checkpoints.insert(size, receipt.checkpoint);
                }
            })
        })
        .collect()
}

fn base64_record(record: &zkaudit_ledger::record::Record) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(record.encode())
}

fn checkpoint_size(note: &str) -> u64 {
    note.lines().nth(1).unwrap().parse().unwrap()
}

const ROUNDS: usize = 3;
const ACKS_PER_ROUND: usize = 1_500;

/// Loads the server until `ACKS_PER_ROUND` more writes are acknowledged,
/// then SIGKILLs it while the writers are still sending.
fn load_and_kill(server: ServerProcess, data: &std::path::Path, acked: &Arc<Mutex<Acked>>) {
    let before = acked.lock().unwrap().by_index.len();
    let stop = Arc::new(AtomicBool::new(false));
    let writers = run_load(&server.base, data, stop.clone(), acked.clone());
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().by_index.len() < before + ACKS_PER_ROUND
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill();
    std::thread::sleep(Duration::from_millis(100));
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let after = acked.lock().unwrap().by_index.len();
    assert!(
        after >= before + ACKS_PER_ROUND,
        "load too small to be meaningful: {}",
        after - before
    );
}

/// Checks every acknowledgement so far against the restarted server.
fn check_everything_acknowledged(base: &str, log_key: &str, acked: &Acked) -> u64 {
    let agent = agent();
    let (_, info) = get_json(&agent, &format!("{base}/v1/log"));
    assert_eq!(
        info["verifier_key"].as_str().unwrap(),
        log_key,
        "same log after restart"
    );
    let size = info["size"].as_u64().unwrap();
    let max_acked = *acked.by_index.keys().last().unwrap();
    assert!(
        size > max_acked,
        "log size {size} lost acknowledged index {max_acked}"
    );

    // Every acknowledged entry is present, with the acknowledged record.
    let mut seen_ids = HashMap::new();
    for (index, record_id) in &acked.by_index {
        let (status, entry) = get_json(&agent, &format!("{base}/v1/log/entries/{index}"));
        assert_eq!(status, 200, "acknowledged entry {index} is missing");
        assert_eq!(
            entry["record_id"].as_str().unwrap(),
            record_id,
            "index {index} holds another record"
        );
        assert!(
            seen_ids.insert(record_id.clone(), *index).is_none(),
            "record logged twice"
        );
    }

    // Every checkpoint handed out before a crash is consistent with the log now.
    let (_, latest) = get_json(&agent, &format!("{base}/v1/log/checkpoint"));
    let latest_note = latest["note"].as_str().unwrap();
    for (old_size, old_note) in &acked.checkpoints {
        let (status, proof) = get_json(
            &agent,
            &format!("{base}/v1/log/consistency?from={old_size}&to={size}"),
        );
        assert_eq!(status, 200);
        let proof: Vec<String> = serde_json::from_value(proof["proof"].clone()).unwrap();
        verify_extension(old_note.as_bytes(), latest_note.as_bytes(), &proof, log_key)
            .unwrap_or_else(|e| {
                panic!("checkpoint {old_size} handed out before the crash is not extended: {e}")
            });
    }
    size
}

fn crash_rounds(backend: &str, extra: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&tmp, "log");
    let agent = agent();
    let acked = Arc::new(Mutex::new(Acked::default()));
    let mut log_key = String::new();
    for round in 0..ROUNDS {
        let server = ServerProcess::start(&data, extra);
        if round == 0 {
            let (_, info) = get_json(&agent, &format!("{}/v1/log", server.base));
            log_key = info["verifier_key"].as_str().unwrap().to_owned();
        } else {
            check_everything_acknowledged(&server.base, &log_key, &acked.lock().unwrap());
        }
        load_and_kill(server, &data, &acked);
    }

    let server = ServerProcess::start(&data, extra);
    let acked = acked.lock().unwrap();
    let size = check_everything_acknowledged(&server.base, &log_key, &acked);
    eprintln!(
        "{backend}: {ROUNDS} SIGKILLs: {} acknowledged writes, {} checkpoints handed out, log size {size} after restart",
        acked.by_index.len(),
        acked.checkpoints.len()
    );

    // New appends continue after the last index: nothing is reused.
    let key = dev_authority(&data);
    let (status, body) = post_record(&agent, &server.base, &notice(&key, "after the crashes"));
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["index"].as_u64().unwrap(), size);
}

#[test]
fn acknowledged_entries_survive_sigkill_sqlite() {
    crash_rounds("SQLite", &[]);
}

#[test]
fn acknowledged_entries_survive_sigkill_postgres() {
    let url = std::env::var("ZKAUDIT_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test".into());
    let schema = format!("crash_{}_{}", std::process::id(), now_ms());
    crash_rounds(
        "PostgreSQL",
        &["--database-url", &url, "--database-schema", &schema],
    );
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}
