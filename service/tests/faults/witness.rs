//! A witness that is slow, then down, then back: writes never wait for it,
//! the failures show in the metrics, and cosignatures resume by themselves.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zkaudit_verifier::verify_quorum;

use crate::common::app::App;
use crate::common::witness::{add_witness_entry, start_witness_at};
use crate::common::{data_dir, dev_authority, free_addr};
use crate::load::*;

/// Accepts connections and never answers: a witness that hangs.
struct Tarpit {
    accepted: Arc<AtomicUsize>,
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl Tarpit {
    fn start(addr: SocketAddr) -> Self {
        let listener = TcpListener::bind(addr).unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let held = Arc::new(Mutex::new(Vec::new()));
        let (count, keep) = (accepted.clone(), held.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let mut keep = keep.lock().unwrap();
                // Closed by `stop`: stop listening too.
                if keep.is_empty() && count.load(Ordering::SeqCst) == usize::MAX {
                    break;
                }
                count.fetch_add(1, Ordering::SeqCst);
                keep.push(stream);
            }
        });
        Self { accepted, held }
    }

    /// Closes every held connection (the client's request fails at once).
    fn close_connections(&self) {
        for stream in self.held.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// A metric's value in the Prometheus text, summed over lines containing
/// every one of `parts`.
fn metric(app: &App, parts: &[&str]) -> f64 {
    let (_, text) = app.get_bytes("/metrics");
    String::from_utf8(text)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && parts.iter().all(|p| l.contains(p)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn witness_down_or_slow_never_blocks_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&tmp, "log");
    zkaudit_service::server::config::create_development_config(&data).unwrap();
    let log_vkey = zkaudit_ledger::note::NoteSigningKey::from_skey_str(
        std::fs::read_to_string(data.join("log.key")).unwrap().trim(),
    )
    .unwrap()
    .verifier_key_string();
    // The witness's key, from a first start; it is then stopped.
    let witness_dir = tmp.path().join("witness");
    let addr = free_addr();
    let witness_key = start_witness_at(&witness_dir, &log_vkey, addr).verifier_key.clone();
    let url = format!("http://{addr}");
    add_witness_entry(&data, &url, &witness_key);

    // Slow: the witness accepts and never answers.
    let tarpit = Tarpit::start(addr);
    let app = App::start(&data);
    let key = dev_authority(&data);
    let expect = Expect {
        log_key: &log_vkey,
        fault_words: &[],
    };
    let ledger = Mutex::new(Ledger::default());
    wait_for("the log to ask the witness", || {
        tarpit.accepted.load(Ordering::SeqCst) > 0
    });
    assert_eq!(write_round(&app, &key, "slow", 4, 10, &ledger, &expect), 40);
    assert!(
        !tarpit.held.lock().unwrap().is_empty(),
        "the witness request was still hanging while the writes were acknowledged"
    );
    assert_health(&app, None);

    // Down: connections refused.
    tarpit.accepted.store(usize::MAX, Ordering::SeqCst);
    tarpit.close_connections();
    let _ = TcpStream::connect(addr); // wakes the tarpit's accept loop so it stops listening
    let errors = |app: &App| metric(app, &["cosignatures_total", &url, "result=\"error\""]);
    wait_for("the witness failures to be counted", || errors(&app) >= 2.0);
    assert_eq!(write_round(&app, &key, "down", 4, 10, &ledger, &expect), 40);
    assert_health(&app, None);
    let size = app.log_size();
    assert!(
        metric(&app, &["witness_cosigned_size", &url]) < size as f64,
        "nothing is reported cosigned while the witness is away"
    );

    // Back: cosignatures resume without a restart of the log.
    let _witness = start_witness_at(&witness_dir, &log_vkey, addr);
    wait_for("the latest checkpoint to be cosigned", || {
        let (_, note) = app.get_bytes("/checkpoint");
        let note = String::from_utf8(note).unwrap();
        let cp_size: u64 = note.lines().nth(1).unwrap().parse().unwrap();
        cp_size >= size && verify_quorum(note.as_bytes(), std::slice::from_ref(&witness_key), 1).is_ok()
    });
    assert!(metric(&app, &["witness_cosigned_size", &url]) >= size as f64);
    let ledger = ledger.into_inner().unwrap();
    check_everything(&app, &ledger, &log_vkey);
}
