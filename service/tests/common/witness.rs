//! A `zkaudit witness` child process, and a log config that names it.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running `zkaudit witness`; killed when dropped.
pub struct WitnessProcess {
    pub child: Child,
    pub url: String,
    pub verifier_key: String,
}

impl Drop for WitnessProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a witness of the log `log_vkey` with its state in `data`, on a
/// free port.
pub fn start_witness(data: &Path, log_vkey: &str) -> WitnessProcess {
    start_witness_at(data, log_vkey, super::free_addr())
}

/// Starts a witness of the log `log_vkey` with its state in `data`,
/// listening on `addr` (a restarted witness keeps its key and state).
pub fn start_witness_at(data: &Path, log_vkey: &str, addr: SocketAddr) -> WitnessProcess {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zkaudit"))
        .args(["witness", "--data"])
        .arg(data)
        .args([
            "--listen",
            &addr.to_string(),
            "--name",
            "test-witness",
            "--log",
            log_vkey,
        ])
        .env("ZKAUDIT_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning zkaudit witness");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let verifier_key = loop {
        let line = lines.next().expect("witness printed its key").unwrap();
        if let Some(key) = line.strip_prefix("witness verifier key: ") {
            break key.trim().to_owned();
        }
    };
    WitnessProcess {
        child,
        url: format!("http://{addr}"),
        verifier_key,
    }
}

/// Adds `witness` to the log config in `dir`.
pub fn add_witness_to_config(dir: &Path, witness: &WitnessProcess) {
    add_witness_entry(dir, &witness.url, &witness.verifier_key);
}

/// Adds a witness at `url` with `verifier_key` to the log config in `dir`.
pub fn add_witness_entry(dir: &Path, url: &str, verifier_key: &str) {
    let path = dir.join("zkaudit.toml");
    let mut config = std::fs::read_to_string(&path).unwrap();
    config.push_str(&format!(
        "\n[[witness]]\nurl = \"{url}\"\nverifier_key = \"{verifier_key}\"\n"
    ));
    std::fs::write(path, config).unwrap();
}
