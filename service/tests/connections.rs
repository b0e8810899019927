//! The serve loop's connection limits over real sockets: one service per
//! test, started in this process on 127.0.0.1 with the demo's start code
//! (`server::listen`), with small limits and short timeouts so that each
//! test takes seconds. Silent, slow and idle clients are plain TCP sockets.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;
use zkaudit_service::clock::now_ms;
use zkaudit_service::server::config::{
    CONFIG_FILE, Config, DEV_LOG_ORIGIN as DEV_LOG, create_development_config,
};
use zkaudit_service::server::{self, ServeOptions};

/// A service answering on a loopback port until dropped.
struct Served {
    addr: SocketAddr,
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    // Dropped last: the service's tasks run on it, its data lives there.
    runtime: tokio::runtime::Runtime,
    _data: tempfile::TempDir,
}

impl Served {
    /// Starts the service on a fresh development config as `limit` has
    /// changed it.
    fn start(limit: impl FnOnce(&mut Config)) -> Self {
        let data = tempfile::tempdir().unwrap();
        let path = create_development_config(data.path()).unwrap();
        let mut config: Config = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        limit(&mut config);
        std::fs::write(
            data.path().join(CONFIG_FILE),
            toml::to_string(&config).unwrap(),
        )
        .unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let options = ServeOptions {
            data_dir: data.path().to_owned(),
            config: None,
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: None,
            database_schema: "public".into(),
        };
        let listening = runtime.block_on(server::listen(&options)).unwrap();
        let addr = listening.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = runtime.spawn(async move {
            let service = listening
                .serve_until(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
            service.stop().await;
        });
        Self {
            addr,
            base: format!("http://{addr}"),
            stop: Some(stop),
            task: Some(task),
            runtime,
            _data: data,
        }
    }

    /// A TCP connection to the service.
    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr).unwrap();
        stream.set_nodelay(true).unwrap();
        stream
    }

    /// `GET path` on a fresh connection: status, `Retry-After`, JSON body.
    fn get(&self, path: &str) -> (u16, Option<String>, serde_json::Value) {
        let mut response = agent().get(format!("{}{path}", self.base)).call().unwrap();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (
            response.status().as_u16(),
            retry_after,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    /// `GET /v1/log` until it answers 200, at most until `deadline`.
    fn log_answers_by(&self, deadline: Instant) -> bool {
        while Instant::now() < deadline {
            if self.get("/v1/log").0 == 200 {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = self
                .runtime
                .block_on(async { tokio::time::timeout(Duration::from_secs(10), task).await });
        }
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// Whether the server closes `stream` by `deadline` (reading what it
/// sends until then).
fn closed_by(stream: &mut TcpStream, deadline: Instant) -> bool {
    let mut buf = [0_u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return true,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false;
            }
            Err(e) => panic!("reading: {e}"),
        }
    }
}

/// Reads one HTTP/1.1 response with a `Content-Length`: status, head and
/// body.
fn read_response(stream: &mut TcpStream) -> (u16, String, Vec<u8>) {
    next_response(stream).expect("connection closed before a response")
}

/// Reads one HTTP/1.1 response with a `Content-Length`, or `None` when the
/// server closes the connection before it sends anything.
fn next_response(stream: &mut TcpStream) -> Option<(u16, String, Vec<u8>)> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut bytes = Vec::new();
    let mut buf = [0_u8; 4096];
    let head_end = loop {
        if let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = match stream.read(&mut buf) {
            Err(e) if e.kind() == ErrorKind::ConnectionReset && bytes.is_empty() => 0,
            read => read.expect("reading a response head"),
        };
        if n == 0 {
            assert!(bytes.is_empty(), "connection closed mid-head");
            return None;
        }
        bytes.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8(bytes[..head_end].to_vec()).unwrap();
    let status = head[9..12].parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().unwrap())
        })
        .expect("a content-length");
    let mut body = bytes[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).expect("reading a response body");
        assert!(n > 0, "connection closed mid-body");
        body.extend_from_slice(&buf[..n]);
    }
    Some((status, head, body))
}

fn error_code(body: &[u8]) -> String {
    let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    json["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

const GET_LOG: &[u8] = b"GET /v1/log HTTP/1.1\r\nHost: zkaudit\r\n\r\n";

#[test]
fn silent_and_slow_heads_are_closed_after_the_header_timeout() {
    let served = Served::start(|c| c.server.header_read_timeout_secs = 1);
    let started = Instant::now();
    let mut silent = served.connect();
    // A head trickled a byte at a time never completes in time either.
    let mut slow = served.connect();
    slow.write_all(b"GET /v1/log HTTP/1.1\r\n").unwrap();
    let trickle = std::thread::spawn(move || {
        for _ in 0..30 {
            if slow.write_all(b"X").is_err() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        closed_by(&mut slow, Instant::now() + Duration::from_millis(100))
    });
    assert!(
        closed_by(&mut silent, started + Duration::from_secs(4)),
        "a silent connection was still open after 4 s"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "closed before the header timeout: {:?}",
        started.elapsed()
    );
    assert!(
        trickle.join().unwrap(),
        "a trickled head kept its connection for 3 s"
    );
    // The service itself is fine.
    assert_eq!(served.get("/v1/log").0, 200);
}

#[test]
fn a_slow_body_is_cut_off_with_408() {
    let served = Served::start(|c| {
        c.server.header_read_timeout_secs = 5;
        c.server.body_timeout_secs = 1;
    });
    let mut stream = served.connect();
    let started = Instant::now();
    stream
        .write_all(
            b"POST /v1/log/entries HTTP/1.1\r\nHost: zkaudit\r\nContent-Type: application/json\r\n\
              Content-Length: 1000\r\n\r\n{\"record\": \"",
        )
        .unwrap();
    let (status, head, body) = read_response(&mut stream);
    assert_eq!(status, 408, "{head}");
    assert_eq!(error_code(&body), "body_timeout", "{head}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(
        closed_by(&mut stream, Instant::now() + Duration::from_secs(2)),
        "the connection stayed open after a late body"
    );
}

#[test]
fn idle_keep_alive_connections_are_closed_and_old_ones_expire() {
    let served = Served::start(|c| c.server.header_read_timeout_secs = 1);
    let mut idle = served.connect();
    idle.write_all(GET_LOG).unwrap();
    assert_eq!(read_response(&mut idle).0, 200);
    let answered = Instant::now();
    assert!(
        closed_by(&mut idle, answered + Duration::from_secs(4)),
        "an idle keep-alive connection was still open after 4 s"
    );
    assert!(answered.elapsed() >= Duration::from_millis(900));
    drop(served);

    // A busy connection is closed, after an answer, once it is too old.
    let served = Served::start(|c| {
        c.server.header_read_timeout_secs = 10;
        c.server.max_connection_age_secs = 1;
    });
    let mut busy = served.connect();
    let opened = Instant::now();
    let mut answers = 0;
    let closed = loop {
        assert!(
            opened.elapsed() < Duration::from_secs(5),
            "a busy connection outlived its maximum age of 1 s by 4 s"
        );
        // Closed while idle between requests, or after an answer.
        let Some((status, head, _)) = busy
            .write_all(GET_LOG)
            .ok()
            .and_then(|()| next_response(&mut busy))
        else {
            break true;
        };
        assert_eq!(status, 200);
        answers += 1;
        if head.to_ascii_lowercase().contains("connection: close") {
            break closed_by(&mut busy, Instant::now() + Duration::from_secs(2));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(closed);
    assert!(answers >= 5, "only {answers} answers before closing");
}

#[test]
fn the_connection_cap_answers_503_and_recovers() {
    let served = Served::start(|c| {
        c.server.header_read_timeout_secs = 10;
        c.server.max_connections = 8;
        c.server.max_overflow_connections = 4;
    });
    let silent: Vec<TcpStream> = (0..8).map(|_| served.connect()).collect();
    std::thread::sleep(Duration::from_millis(300));

    let (status, retry_after, body) = served.get("/v1/log");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "overloaded", "{body}");
    assert!(body["error"]["message"].as_str().is_some(), "{body}");
    assert_eq!(retry_after.as_deref(), Some("2"));

    drop(silent);
    assert!(
        served.log_answers_by(Instant::now() + Duration::from_secs(5)),
        "no 200 within 5 s of the connections closing"
    );
}

#[test]
fn a_long_uri_gets_the_json_414() {
    let served = Served::start(|_| {});
    let (status, _, body) = served.get(&format!("/v1/log?padding={}", "a".repeat(20_000)));
    assert_eq!(status, 414, "{body}");
    assert_eq!(body["error"]["code"], "uri_too_long", "{body}");
    // Just under the limit is served.
    let (status, _, body) = served.get(&format!("/v1/log?padding={}", "a".repeat(8_000)));
    assert_eq!(status, 200, "{body}");
    // Past hyper's own limit (65,534 bytes) hyper answers a bare 414
    // before any service runs (and no client library sends such a URI).
    let mut stream = served.connect();
    let request = format!(
        "GET /v1/log?padding={} HTTP/1.1\r\nHost: zkaudit\r\n\r\n",
        "a".repeat(70_000)
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 414 "), "{answer}");
}

#[test]
fn the_service_answers_after_300_silent_connections() {
    let served = Served::start(|c| {
        c.server.header_read_timeout_secs = 1;
        c.server.max_connections = 8;
        c.server.max_overflow_connections = 64;
    });
    let mut silent: Vec<TcpStream> = (0..300).map(|_| served.connect()).collect();
    let started = Instant::now();
    assert!(
        served.log_answers_by(started + Duration::from_secs(20)),
        "no 200 within 20 s of 300 silent connections"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut open = 0;
    for stream in &mut silent {
        if !closed_by(stream, deadline) {
            open += 1;
        }
    }
    assert_eq!(open, 0, "silent connections left open");
}

#[test]
fn requests_carry_their_connection_peer_for_per_client_limits() {
    let served = Served::start(|c| {
        c.limits.client_writes_per_sec = 1;
        c.limits.client_burst = 1;
        c.limits.key_writes_per_sec = 0;
    });
    // Two participant writes (consent grants, nonsense payloads) from one
    // address with two keys: the second is over this address's burst.
    let statuses: Vec<(u16, serde_json::Value)> = ["patient-1", "patient-2"]
        .iter()
        .map(|name| {
            let key = NoteSigningKey::generate(name, &mut rand::rngs::OsRng).unwrap();
            let record = Record::signed(
                DEV_LOG,
                "health",
                "consent.grant",
                now_ms(),
                b"x".to_vec(),
                &key,
            )
            .unwrap();
            let body = serde_json::json!({ "record": BASE64.encode(record.encode()) });
            let mut response = agent()
                .post(format!("{}/v1/log/entries", served.base))
                .send_json(&body)
                .unwrap();
            let text = response.body_mut().read_to_string().unwrap_or_default();
            (
                response.status().as_u16(),
                serde_json::from_str(&text).unwrap_or_default(),
            )
        })
        .collect();
    assert_ne!(statuses[0].0, 429, "{:?}", statuses[0].1);
    assert_eq!(statuses[1].0, 429, "{:?}", statuses[1].1);
    assert_eq!(statuses[1].1["error"]["code"], "rate_limited");
}
