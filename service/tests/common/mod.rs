//! Helpers shared by the service's integration tests.
#![allow(dead_code)]

pub mod app;
pub mod database;
pub mod deploy;
pub mod fhir;
pub mod identity;
pub mod ocds;
pub mod witness;

use std::ffi::OsStr;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;

/// A free loopback port.
pub fn free_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// A `zkaudit serve` child process.
pub struct ServerProcess {
    pub child: Child,
    pub base: String,
    log: PathBuf,
}

impl ServerProcess {
    /// Starts `zkaudit serve --data <dir>` and waits until it answers.
    pub fn start(data: &Path, extra: &[&str]) -> Self {
        let addr = free_addr();
        let log_path = data.with_extension("log");
        let log = std::fs::File::create(&log_path).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_zkaudit"))
            .args(["serve", "--data"])
            .arg(data)
            .args(["--listen", &addr.to_string()])
            .args(extra)
            .env("ZKAUDIT_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawning zkaudit serve");
        let mut server = Self {
            child,
            base: format!("http://{addr}"),
            log: log_path,
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                panic!("zkaudit serve exited with {status} before becoming ready:\n{log}");
            }
            if let Ok(r) = agent().get(format!("{}/healthz", self.base)).call()
                && r.status() == 200
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("zkaudit serve did not become ready at {}", self.base);
    }

    /// Runs `zkaudit <args> --server <this server>`.
    pub fn run(&self, args: &[&str]) -> Output {
        zkaudit(&[args, &["--server", &self.base]].concat())
    }

    /// Runs `zkaudit <args> --server <this server>`, which must succeed;
    /// returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        succeeded(args, self.run(args))
    }

    /// Runs `zkaudit <args> --server <this server>`, which must fail;
    /// returns its stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        failed(args, self.run(args))
    }

    /// `GET <path>` from this server; returns the status and the JSON body.
    pub fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        get_json(&agent(), &format!("{}{path}", self.base))
    }

    /// `POST <path>` to this server; returns the status and the JSON body.
    pub fn post_json(&self, path: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
        post_json(&agent(), &format!("{}{path}", self.base), body)
    }

    /// Appends a record through `POST /v1/log/entries`.
    pub fn post_record(&self, record: &Record) -> (u16, serde_json::Value) {
        post_record(&agent(), &self.base, record)
    }

    /// The value of the sample `series` (name and labels, as written) in
    /// `GET /metrics`, 0 if the server has not observed it.
    pub fn metric(&self, series: &str) -> f64 {
        let mut response = agent()
            .get(format!("{}/metrics", self.base))
            .call()
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let text = response.body_mut().read_to_string().unwrap();
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .map_or(0.0, |value| value.trim().parse().unwrap())
    }

    /// The log's size as `GET /v1/log` reports it.
    pub fn log_size(&self) -> u64 {
        self.get_json("/v1/log").1["size"].as_u64().unwrap()
    }

    /// The log's verifier key as `GET /v1/log` reports it.
    pub fn log_key(&self) -> String {
        let (_, info) = self.get_json("/v1/log");
        info["verifier_key"].as_str().unwrap().to_owned()
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            // The server's own words: errors, warnings and panic messages, not backtraces.
            eprintln!("--- server log {} ---", self.log.display());
            let lines: Vec<&str> = log.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                let keep = line.contains("ERROR")
                    || line.contains("WARN")
                    || line.contains("error")
                    || line.contains("panicked")
                    || (i > 0 && lines[i - 1].contains("panicked"));
                if keep {
                    eprintln!("{line}");
                }
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP agent that returns non-2xx responses instead of erroring.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// The development authority key that the first `serve` writes to `data`.
pub fn dev_authority(data: &Path) -> NoteSigningKey {
    let text = std::fs::read_to_string(data.join("dev-authority.key")).unwrap();
    NoteSigningKey::from_skey_str(text.trim()).unwrap()
}

/// The origin of a development log, which `zkaudit serve` creates when its
/// data directory has no configuration.
pub use zkaudit_service::server::config::DEV_LOG_ORIGIN as DEV_LOG;

/// A fresh `ledger/notice` record for a development log.
pub fn notice(key: &NoteSigningKey, text: &str) -> Record {
    notice_for(DEV_LOG, key, text)
}

/// A fresh `ledger/notice` record for the log `origin`.
pub fn notice_for(origin: &str, key: &NoteSigningKey, text: &str) -> Record {
    Record::signed(
        origin,
        "ledger",
        "notice",
        now_ms(),
        text.as_bytes().to_vec(),
        key,
    )
    .unwrap()
}

/// A version-1 record, which names no log, as a client built before records
/// named their log would still send it: the same layout without the origin.
pub fn legacy_record(
    key: &NoteSigningKey,
    domain: &str,
    kind: &str,
    timestamp_ms: u64,
    payload: &[u8],
) -> Vec<u8> {
    use zkaudit_ledger::codec::Writer;
    use zkaudit_ledger::record::{LEGACY_RECORD_VERSION, RecordSigner as _, SIGNING_CONTEXT};
    let mut header = Writer::new();
    header.u8(LEGACY_RECORD_VERSION).str(domain).str(kind);
    header.u8(1).fixed(key.public_key().as_bytes());
    header.u64(timestamp_ms).bytes(payload);
    let header = header.finish();
    let signature = key.sign_record(&[SIGNING_CONTEXT, &header].concat());
    let mut bytes = header;
    bytes.push(1);
    bytes.extend_from_slice(&signature.to_bytes());
    bytes
}

/// POSTs a record; returns status and JSON body.
pub fn post_record(agent: &ureq::Agent, base: &str, record: &Record) -> (u16, serde_json::Value) {
    post_json(
        agent,
        &format!("{base}/v1/log/entries"),
        &serde_json::json!({ "record": BASE64.encode(record.encode()) }),
    )
}

/// POSTs JSON; returns status and JSON body (Null if not JSON).
pub fn post_json(
    agent: &ureq::Agent,
    url: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let mut response = agent.post(url).send_json(body).unwrap();
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

/// GETs JSON.
pub fn get_json(agent: &ureq::Agent, url: &str) -> (u16, serde_json::Value) {
    let mut response = agent.get(url).call().unwrap();
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

/// GETs raw bytes.
pub fn get_bytes(agent: &ureq::Agent, url: &str) -> (u16, Vec<u8>) {
    let mut response = agent.get(url).call().unwrap();
    let status = response.status().as_u16();
    let bytes = response.body_mut().read_to_vec().unwrap_or_default();
    (status, bytes)
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A fresh temporary data directory.
pub fn data_dir(tmp: &tempfile::TempDir, name: &str) -> PathBuf {
    tmp.path().join(name)
}

/// Runs the `zkaudit` binary.
pub fn zkaudit(args: &[&str]) -> Output {
    zkaudit_env(args, &[])
}

/// Runs the `zkaudit` binary with more environment variables.
pub fn zkaudit_env(args: &[&str], env: &[(&str, &OsStr)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkaudit"))
        .args(args)
        .env("ZKAUDIT_LOG", "warn")
        .envs(env.iter().copied())
        .output()
        .expect("running zkaudit")
}

/// Runs `zkaudit`, which must succeed; returns its stdout.
pub fn ok(args: &[&str]) -> String {
    succeeded(args, zkaudit(args))
}

/// Runs `zkaudit`, which must fail; returns its stderr.
pub fn fails(args: &[&str]) -> String {
    failed(args, zkaudit(args))
}

/// The stdout of `zkaudit <args>`, which must have succeeded.
pub fn succeeded(args: &[&str], out: Output) -> String {
    assert!(
        out.status.success(),
        "zkaudit {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The stderr of `zkaudit <args>`, which must have failed.
pub fn failed(args: &[&str], out: Output) -> String {
    assert!(!out.status.success(), "zkaudit {args:?} should have failed");
    String::from_utf8(out.stderr).unwrap()
}

/// Asserts that a process succeeded, showing its stderr if not.
pub fn assert_ran(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A path as a command-line argument.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
