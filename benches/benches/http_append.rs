//! Durable appends through HTTP (issue 16): signed `ledger/notice` records
//! POSTed to `/v1/log/entries` of the service as `zkaudit serve` runs it
//! (`server::listen`, the production serve loop with its limits), the load
//! generator in the same process on the same machine, every answer required
//! to be 201 with its receipt read whole — each one an fsynced entry with
//! its index.
//!
//! For each store (SQLite, then PostgreSQL):
//!
//! * **peak**: closed loop, 1, 16 and 64 connections, each sending its
//!   next request as soon as the last is answered; the rate and the
//!   latency percentiles;
//! * **paced**: open loop at 50 % and 90 % of the best peak, requests
//!   scheduled at fixed intervals and their latency counted from when they
//!   were due (so a stall is not hidden by the requests it delays).
//!
//! Records are signed before the clock starts and their bodies encoded, so
//! the load generator only sends bytes and reads answers. At the end every
//! acknowledged record must be in the log exactly once.
//!
//! Then several serving processes (children of the bench, each serving as
//! `zkaudit serve` does) on one PostgreSQL database, 64 connections spread
//! over 1, 2 and 4 of them: the total rate, and every process then serves
//! the one log with every acknowledged notice in it once.
//!
//! `cargo bench -p zkaudit-benches --bench http_append`
//! (`HTTP_APPEND_STORES=sqlite`, `=postgres` or `=processes` for one part;
//! `HTTP_APPEND_SCALE` multiplies the request counts, default 1).

mod support;

use support::timed::Timed;

use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use zkaudit_benches::{named_key as key, postgres_url};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;
use zkaudit_service::clock::now_ms;

/// The log's origin.
const LOG: &str = "bench.zkaudit/http-append";
/// Bytes of each notice's text (a short public notice).
const NOTICE_BYTES: usize = 200;
/// (connections, requests) of the closed-loop runs, before scaling.
const PEAK_RUNS: [(usize, usize); 3] = [(1, 2_000), (16, 20_000), (64, 40_000)];
/// Connections of the paced runs.
const PACED_CONNECTIONS: usize = 64;
/// Seconds each paced run lasts.
const PACED_SECONDS: f64 = 5.0;

/// One run's table row: its label, answers, rate and latencies.
fn row(run: &Timed, label: &str) -> String {
    format!(
        "| {label} | {} | {:.0} /s | {:.2} ms | {:.2} ms | {:.2} ms |",
        run.count(),
        run.rate(),
        ms(run.percentile(0.5)),
        ms(run.percentile(0.99)),
        ms(run.percentile(1.0)),
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `n` requests of distinct notices signed by `publisher`, stamped now.
fn requests(publisher: &NoteSigningKey, first: usize, n: usize) -> Vec<Vec<u8>> {
    let stamp = now_ms();
    (first..first + n)
        .map(|i| {
            let mut text = format!("notice {i}: ").into_bytes();
            text.resize(NOTICE_BYTES, b'.');
            let record = Record::signed(LOG, "ledger", "notice", stamp, text, publisher).unwrap();
            let body = serde_json::to_vec(
                &serde_json::json!({ "record": BASE64.encode(record.encode()) }),
            )
            .unwrap();
            request(&body)
        })
        .collect()
}

/// One request's bytes: `POST /v1/log/entries` with `body`, kept alive.
fn request(body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST /v1/log/entries HTTP/1.1\r\nhost: 127.0.0.1\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

/// Reads one HTTP/1.1 answer from `stream` into `buffer` (which keeps any
/// bytes past it); returns its status code and body.
async fn read_answer(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> (u16, Vec<u8>) {
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buffer[..end]).expect("an ASCII head");
            let status: u16 = head[9..12].parse().expect("a status code");
            let length: usize = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().expect("a length"))
                })
                .expect("answers carry a content-length");
            while buffer.len() < end + 4 + length {
                let read = stream.read(&mut chunk).await.expect("the answer");
                assert!(read > 0, "connection closed mid-answer");
                buffer.extend_from_slice(&chunk[..read]);
            }
            let body = buffer[end + 4..end + 4 + length].to_vec();
            buffer.drain(..end + 4 + length);
            return (status, body);
        }
        let read = stream.read(&mut chunk).await.expect("an answer");
        assert!(read > 0, "connection closed before an answer");
        buffer.extend_from_slice(&chunk[..read]);
    }
}

/// Sends `requests` over `connections` kept-alive connections, spread
/// evenly over `addresses`,
/// all driven by one thread (so the load generator costs the machine as
/// little as a load generator can: one write and one or two reads per
/// request). Closed loop when `pace` is `None`. Otherwise request `i` is
/// due at `i × pace` from the start; its latency counts from when it was
/// due if its connection was still busy then (so a stall is not hidden by
/// the requests it delays), from when it was sent if not (so the timer's
/// own lateness is not charged to the server).
fn send(
    addresses: &[SocketAddr],
    requests: Vec<Vec<u8>>,
    connections: usize,
    pace: Option<Duration>,
) -> Timed {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let load = Rc::new(Load {
        requests,
        next: Cell::new(0),
        started: Instant::now(),
        pace,
    });
    let latencies = runtime.block_on(async {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let tasks: Vec<_> = (0..connections)
                    .map(|c| {
                        let address = addresses[c % addresses.len()];
                        tokio::task::spawn_local(connection(address, load.clone()))
                    })
                    .collect();
                let mut latencies = Vec::new();
                for task in tasks {
                    latencies.extend(task.await.unwrap());
                }
                latencies
            })
            .await
    });
    Timed::new(load.started.elapsed(), latencies)
}

/// What the connections of one run share.
struct Load {
    requests: Vec<Vec<u8>>,
    next: Cell<usize>,
    started: Instant,
    pace: Option<Duration>,
}

/// One connection's loop: takes the next request until none is left, and
/// returns the latencies it measured. Every answer must be 201.
async fn connection(address: SocketAddr, load: Rc<Load>) -> Vec<Duration> {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let mut buffer = Vec::new();
    let mut latencies = Vec::new();
    let mut free_since = load.started;
    loop {
        let i = load.next.get();
        let Some(request) = load.requests.get(i) else {
            break;
        };
        load.next.set(i + 1);
        let due = load.pace.map(|pace| load.started + pace * i as u32);
        if let Some(due) = due {
            tokio::time::sleep_until(due.into()).await;
        }
        let sent = Instant::now();
        let from = match due {
            Some(due) if free_since > due => due,
            _ => sent,
        };
        stream.write_all(request).await.unwrap();
        let (status, body) = read_answer(&mut stream, &mut buffer).await;
        free_since = Instant::now();
        latencies.push(free_since - from);
        assert_eq!(
            status,
            201,
            "request {i}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    latencies
}

/// Runs the peak and paced loads against one store.
/// `HTTP_APPEND_SCALE`: the factor of every request count (default 1).
fn scale() -> f64 {
    std::env::var("HTTP_APPEND_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

fn bench_store(name: &str, database: Option<(String, String)>) {
    let scale = scale();
    let log = key(LOG, 1);
    let publisher = key("publisher", 2);
    let (svc, base) = support::serve_production_on(
        &log,
        &[("publisher", &publisher, &["ledger/notice"])],
        "",
        database,
    );
    let address: SocketAddr = base
        .strip_prefix("http://")
        .expect("an http base")
        .parse()
        .unwrap();
    let before = svc.state.sequencer().latest_checkpoint().size;
    let mut sent = 0;

    println!("\n{name}: closed loop");
    println!("| connections | requests | rate | p50 | p99 | max |");
    println!("|---:|---:|---:|---:|---:|---:|");
    let mut peak: f64 = 0.0;
    for (connections, n) in PEAK_RUNS {
        let n = ((n as f64) * scale) as usize;
        let batch = requests(&publisher, sent, n);
        sent += n;
        let run = send(&[address], batch, connections, None);
        peak = peak.max(run.rate());
        println!("{}", row(&run, &connections.to_string()));
    }

    println!("\n{name}: paced, {PACED_CONNECTIONS} connections, against a peak of {peak:.0} /s");
    println!("| offered | requests | achieved | p50 | p99 | max |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for share in [0.5, 0.9] {
        let offered = peak * share;
        let n = (offered * PACED_SECONDS * scale) as usize;
        let batch = requests(&publisher, sent, n);
        sent += n;
        let pace = Duration::from_secs_f64(1.0 / offered);
        let run = send(&[address], batch, PACED_CONNECTIONS, Some(pace));
        println!(
            "{}",
            row(&run, &format!("{:.0} % ({offered:.0} /s)", share * 100.0))
        );
    }

    let logged = svc.state.sequencer().latest_checkpoint().size - before;
    assert_eq!(
        logged as usize, sent,
        "every acknowledged notice logged once"
    );
}

/// Set in a child process: serve (the value names the data directory).
const CHILD_DATA: &str = "ZKAUDIT_HTTP_APPEND_SERVE";
/// The configuration file a child serves with.
const CHILD_CONFIG: &str = "ZKAUDIT_HTTP_APPEND_CONFIG";
/// The PostgreSQL schema a child serves from.
const CHILD_SCHEMA: &str = "ZKAUDIT_HTTP_APPEND_SCHEMA";
/// Process counts of the multi-process runs.
const PROCESS_COUNTS: [usize; 3] = [1, 2, 4];
/// Connections (spread over the processes) and requests of each.
const PROCESS_RUN: (usize, usize) = (64, 40_000);

/// In a child: serves the log as `zkaudit serve --config … --database-url
/// … --database-schema …` does (`server::listen`, logging its request lines
/// to a file in its data directory), prints its address, and serves until
/// it is killed.
fn child_serve(data: &str) {
    let data = std::path::PathBuf::from(data);
    std::fs::create_dir_all(&data).unwrap();
    let log_file = std::fs::File::create(data.join("requests.log")).unwrap();
    zkaudit_service::log_writer::install("info", std::sync::Arc::new(log_file));
    let options = zkaudit_service::server::ServeOptions {
        data_dir: data,
        config: Some(std::env::var(CHILD_CONFIG).unwrap().into()),
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: Some(postgres_url()),
        database_schema: std::env::var(CHILD_SCHEMA).unwrap(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listening = zkaudit_service::server::listen(&options).await.unwrap();
        println!("listening {}", listening.local_addr().unwrap());
        std::io::Write::flush(&mut std::io::stdout()).unwrap();
        listening.serve_until(std::future::pending()).await.unwrap();
    });
}

/// Several serving processes on one PostgreSQL database, the load spread
/// over them: the total rate with 1, 2 and 4 processes.
fn bench_processes(scale: f64) {
    use std::io::BufRead as _;
    let log = key(LOG, 1);
    let publisher = key("publisher", 2);
    let config_dir = tempfile::tempdir().unwrap();
    support::write_config(
        config_dir.path(),
        &log,
        &[("publisher", &publisher, &["ledger/notice"])],
        "",
    );
    let (connections, n) = PROCESS_RUN;
    let n = ((n as f64) * scale) as usize;
    println!(
        "\nPostgreSQL, several processes on one database: closed loop, {connections} connections spread over them"
    );
    println!("| processes | requests | rate | p50 | p99 | max |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for processes in PROCESS_COUNTS {
        let schema = format!("bench_http_multi_{}_{}", std::process::id(), now_ms());
        let mut children = Vec::new();
        let mut addresses = Vec::new();
        for p in 0..processes {
            let mut child = std::process::Command::new(std::env::current_exe().unwrap())
                .env(
                    CHILD_DATA,
                    config_dir.path().join(format!("process-{processes}-{p}")),
                )
                .env(CHILD_CONFIG, config_dir.path().join("zkaudit.toml"))
                .env(CHILD_SCHEMA, &schema)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            let mut line = String::new();
            std::io::BufReader::new(child.stdout.take().unwrap())
                .read_line(&mut line)
                .unwrap();
            let address = line
                .trim()
                .strip_prefix("listening ")
                .unwrap_or_else(|| panic!("a child said {line:?}"));
            addresses.push(address.parse::<SocketAddr>().unwrap());
            children.push(child);
        }
        let size = |address: &SocketAddr| -> u64 {
            let info: serde_json::Value = ureq::get(format!("http://{address}/v1/log"))
                .call()
                .unwrap()
                .body_mut()
                .read_json()
                .unwrap();
            info["size"].as_u64().unwrap()
        };
        // Each process follows the others' appends when it next writes or
        // refreshes (every few seconds): wait until all serve one size.
        let settled = |expected: Option<u64>| -> u64 {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let sizes: Vec<u64> = addresses.iter().map(size).collect();
                if sizes.iter().all(|s| *s == sizes[0]) && expected.is_none_or(|e| sizes[0] == e) {
                    return sizes[0];
                }
                assert!(
                    Instant::now() < deadline,
                    "the processes serve sizes {sizes:?}"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        };
        let before = settled(None);
        let batch = requests(&publisher, 0, n);
        let run = send(&addresses, batch, connections, None);
        // The mean batch each process committed (from its metrics).
        let batches: Vec<String> = addresses
            .iter()
            .map(|address| {
                let metrics = ureq::get(format!("http://{address}/metrics"))
                    .call()
                    .unwrap()
                    .body_mut()
                    .read_to_string()
                    .unwrap();
                let value = |name: &str| -> f64 {
                    metrics
                        .lines()
                        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
                        .unwrap_or(0.0)
                };
                format!(
                    "{:.1}",
                    value("zkaudit_batch_size_sum") / value("zkaudit_batch_size_count").max(1.0)
                )
            })
            .collect();
        println!(
            "{} (mean batch per process: {})",
            row(&run, &processes.to_string()),
            batches.join(", ")
        );
        // Every acknowledged notice is in the one log, once, whichever
        // process took it; every process serves that log.
        settled(Some(before + n as u64));
        for mut child in children {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }
}

fn main() {
    if let Ok(data) = std::env::var(CHILD_DATA) {
        child_serve(&data);
        return;
    }
    // Request lines are logged as `zkaudit serve` logs them (its subscriber,
    // its default level), to a file instead of standard error.
    let log_path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/http_append.log");
    let log_file = std::fs::File::create(&log_path).unwrap();
    zkaudit_service::log_writer::install("info", std::sync::Arc::new(log_file));
    let stores =
        std::env::var("HTTP_APPEND_STORES").unwrap_or_else(|_| "sqlite,postgres,processes".into());
    for store in stores.split(',') {
        match store {
            "sqlite" => bench_store("SQLite", None),
            "postgres" => {
                // A fresh schema each run, so the log starts empty.
                let schema = format!("bench_http_{}_{}", std::process::id(), now_ms());
                bench_store("PostgreSQL", Some((postgres_url(), schema)));
            }
            "processes" => bench_processes(scale()),
            other => panic!("unknown store {other}"),
        }
    }
}
