//! A witness that is slow, then down, then back: writes never wait for it,
//! the failures show in the metrics, and cosignatures resume by themselves.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zkaudit_verifier::verify_quorum;

use crate::common::app::App;
use crate::common::witness::{add_witness_entry, start_witness_at};
use crate::common::{data_dir, dev_authority, free_addr};
use crate::load::*;

/// Accepts connections and never answers: a witness that hangs. Once
/// closed, it stops listening: the witness is down.
struct Tarpit {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    closed: Arc<AtomicBool>,
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl Tarpit {
    fn start(addr: SocketAddr) -> Self {
        let listener = TcpListener::bind(addr).unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let closed = Arc::new(AtomicBool::new(false));
        let held = Arc::new(Mutex::new(Vec::new()));
        let (count, stop, keep) = (accepted.clone(), closed.clone(), held.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break; // the listener is dropped with the thread
                }
                let Ok(stream) = stream else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                keep.lock().unwrap().push(stream);
            }
        });
        Self {
            addr,
            accepted,
            closed,
            held,
        }
    }

    /// Closes every held connection (the hanging request fails at once) and
    /// stops listening (connections are refused from then on).
    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        for stream in self.held.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        // Wakes the accept loop, which then ends.
        let _ = TcpStream::connect(self.addr);
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
        std::fs::read_to_string(data.join("log.key"))
            .unwrap()
            .trim(),
    )
    .unwrap()
    .verifier_key_string();
    // The witness's key, from a first start; it is then stopped.
    let witness_dir = tmp.path().join("witness");
    let addr = free_addr();
    let witness_key = start_witness_at(&witness_dir, &log_vkey, addr)
        .verifier_key
        .clone();
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
    assert_eq!(
        metric(&app, &["cosignatures_total", &url, "result=\"ok\""]),
        0.0,
        "the writes were acknowledged while the witness had cosigned nothing"
    );
    assert_health(&app, None);

    // Down: connections refused.
    tarpit.close();
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
        cp_size >= size
            && verify_quorum(note.as_bytes(), std::slice::from_ref(&witness_key), 1).is_ok()
    });
    assert!(metric(&app, &["witness_cosigned_size", &url]) >= size as f64);
    let ledger = ledger.into_inner().unwrap();
    check_everything(&app, &ledger, &log_vkey);
}
