//! Several `zkaudit serve` processes on one PostgreSQL database: writes
//! through either are serialised into one log, with unique indices, and
//! each process serves the same tree.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::database::{Schema, database_url};
use common::*;
use zkaudit_verifier::{Receipt, verify_extension};

const WRITERS_PER_PROCESS: usize = 3;
const WRITES_PER_WRITER: usize = 60;

#[test]
fn two_processes_share_one_log() {
    let tmp = tempfile::tempdir().unwrap();
    let config_dir = tmp.path().join("config");
    let config = zkaudit_service::server::config::create_development_config(&config_dir).unwrap();
    let schema = Schema::fresh("multi");
    let url = database_url();
    let start = |name: &str| {
        let extra: Vec<String> = vec![
            "--config".into(),
            config.display().to_string(),
            "--database-url".into(),
            url.clone(),
            "--database-schema".into(),
            schema.0.clone(),
        ];
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        ServerProcess::start(&tmp.path().join(name), &extra)
    };
    let a = start("a");
    let b = start("b");
    let key_dir = config_dir.clone();

    let acked: Arc<Mutex<BTreeMap<u64, Receipt>>> = Arc::default();
    let mut writers = Vec::new();
    for (p, base) in [a.base.clone(), b.base.clone()].into_iter().enumerate() {
        for w in 0..WRITERS_PER_PROCESS {
            let base = base.clone();
            let acked = acked.clone();
            let key = dev_authority(&key_dir);
            writers.push(std::thread::spawn(move || {
                let agent = agent();
                for i in 0..WRITES_PER_WRITER {
                    let record = notice(&key, &format!("process {p} writer {w} notice {i}"));
                    let (status, body) = post_record(&agent, &base, &record);
                    assert_eq!(status, 201, "{body}");
                    let receipt: Receipt = serde_json::from_value(body).unwrap();
                    let previous = acked.lock().unwrap().insert(receipt.index, receipt);
                    assert!(previous.is_none(), "an index was handed out twice");
                }
            }));
        }
    }
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap();
    assert_eq!(acked.len(), 2 * WRITERS_PER_PROCESS * WRITES_PER_WRITER);

    // Both processes converge on the same tree.
    let agent = agent();
    let deadline = Instant::now() + Duration::from_secs(10);
    let (info_a, info_b) = loop {
        let (_, ia) = get_json(&agent, &format!("{}/v1/log", a.base));
        let (_, ib) = get_json(&agent, &format!("{}/v1/log", b.base));
        if ia["size"] == ib["size"] || Instant::now() > deadline {
            break (ia, ib);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(info_a["size"], info_b["size"]);
    assert_eq!(info_a["root"], info_b["root"]);
    let log_key = info_a["verifier_key"].as_str().unwrap().to_owned();
    let size = info_a["size"].as_u64().unwrap();
    assert_eq!(
        size,
        acked.len() as u64 + 1,
        "every write plus the authority set, nothing else"
    );

    // Every receipt verifies, and each process serves every entry.
    let (_, latest) = get_json(&agent, &format!("{}/v1/log/checkpoint", b.base));
    let latest_note = latest["note"].as_str().unwrap();
    for (index, receipt) in acked.iter() {
        receipt.verify(&log_key).unwrap();
        for base in [&a.base, &b.base] {
            let (status, entry) = get_json(&agent, &format!("{base}/v1/log/entries/{index}"));
            assert_eq!(status, 200);
            assert_eq!(entry["record_id"].as_str().unwrap(), receipt.record_id);
        }
    }
    // Checkpoints signed by either process are consistent with the final tree.
    for receipt in acked.values().step_by(17) {
        let old_size = receipt.checkpoint.lines().nth(1).unwrap();
        let (_, proof) = get_json(
            &agent,
            &format!("{}/v1/log/consistency?from={old_size}&to={size}", a.base),
        );
        let proof: Vec<String> = serde_json::from_value(proof["proof"].clone()).unwrap();
        verify_extension(
            receipt.checkpoint.as_bytes(),
            latest_note.as_bytes(),
            &proof,
            &log_key,
        )
        .unwrap();
    }
}
