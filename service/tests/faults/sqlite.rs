//! Storage faults under a spawned `zkaudit serve` on SQLite: a full disk,
//! a file size limit, and `fsync` or `write` failing. Each fault is put on
//! the running process and taken off again, without a restart.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::common::{ServerProcess, dev_authority, ok, s};
use crate::load::*;

/// A fault put on a running server and taken off again.
pub trait Fault {
    /// Where the server's data directory goes (inside `tmp`).
    fn data_dir(&mut self, tmp: &Path) -> PathBuf {
        tmp.join("log")
    }
    /// Starts the fault on the server process `pid`.
    fn start(&mut self, pid: u32);
    /// Removes the fault.
    fn stop(&mut self);
    /// Words one of which a refusal's message must contain.
    fn words(&self) -> &'static [&'static str];
}

/// The scenario every SQLite fault runs:
///
/// 1. a healthy load is acknowledged;
/// 2. the fault starts; writes are refused with `503 storage_unavailable`
///    naming the fault, `/healthz` reports it, reads and proofs still work;
/// 3. the fault is removed; writes succeed again without a restart, and the
///    refused records are accepted when resent;
/// 4. every acknowledged entry is present at its index, every checkpoint
///    handed out is extended by the latest, `zkaudit log fsck` finds
///    nothing wrong, and the same holds after a restart.
pub fn run_scenario(name: &str, fault: &mut dyn Fault) {
    let tmp = tempfile::tempdir().unwrap();
    let data = fault.data_dir(tmp.path());
    let server = ServerProcess::start(&data, &[]);
    let api = Http::new(&server.base);
    let key = dev_authority(&data);
    let log_key = server.log_key();
    let expect = Expect {
        log_key: &log_key,
        fault_words: fault.words(),
    };
    let ledger = Mutex::new(Ledger::default());

    let healthy = write_round(&api, &key, "before", 4, 25, &ledger, &expect);
    assert_eq!(healthy, 100, "a healthy store acknowledges every write");

    fault.start(server.child.id());
    write_until_refused(&api, &key, &ledger, &expect, 5);
    assert_health(&api, Some(fault.words()));
    let answered = read_back(&api, &ledger, false);
    assert!(answered > 0);

    fault.stop();
    write_until_accepted(&api, &key, &ledger, &expect);
    resend_refused(&api, &ledger, &expect);
    let after = write_round(&api, &key, "after", 4, 10, &ledger, &expect);
    assert_eq!(
        after, 40,
        "every write is acknowledged once the fault is gone"
    );
    assert_health(&api, None);

    let ledger = ledger.into_inner().unwrap();
    assert_eq!(ledger.unanswered, 0, "the server answered every request");
    let size = check_everything(&api, &ledger, &log_key);
    let fsck = ok(&["log", "fsck", "--data", s(&data)]);
    assert!(!fsck.contains("FOUND"), "{fsck}");
    server.kill();

    let restarted = ServerProcess::start(&data, &[]);
    let again = check_everything(&Http::new(&restarted.base), &ledger, &log_key);
    assert!(again >= size);
    eprintln!(
        "{name}: {} acknowledged, {} checkpoints handed out, refusals: {:?}",
        ledger.acked.len(),
        ledger.checkpoints.len(),
        ledger.messages
    );
}

/// A write past `RLIMIT_FSIZE` fails with `EFBIG` (the server handles
/// `SIGXFSZ`, which would otherwise kill it). The limit is lowered on the
/// running process with `prlimit --pid` and raised again the same way.
pub struct FileSizeLimit {
    pid: u32,
}

impl FileSizeLimit {
    pub fn new() -> Self {
        Self { pid: 0 }
    }

    fn set(&self, limit: &str) {
        let status = Command::new("prlimit")
            .args(["--pid", &self.pid.to_string(), &format!("--fsize={limit}")])
            .status()
            .expect("prlimit (util-linux) is installed");
        assert!(status.success(), "prlimit --fsize={limit} failed");
    }
}

impl Fault for FileSizeLimit {
    fn start(&mut self, pid: u32) {
        self.pid = pid;
        // Soft limit 1 byte: every write to a regular file fails.
        self.set("1:unlimited");
    }

    fn stop(&mut self) {
        self.set("unlimited:unlimited");
    }

    fn words(&self) -> &'static [&'static str] {
        &["storage I/O error", "disk full"]
    }
}

/// A data directory on its own small tmpfs, filled up by a ballast file and
/// freed by deleting it: the disk really is full (`ENOSPC`). Needs the
/// right to mount (root, outside a restricted container).
pub struct FullTmpfs {
    mount: Option<PathBuf>,
}

impl FullTmpfs {
    /// A tmpfs mounted in a fresh directory, or `None` if mounting is not
    /// allowed here.
    pub fn try_new() -> Option<Self> {
        let probe = tempfile::tempdir().ok()?;
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64m", "tmpfs"])
            .arg(probe.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            return None;
        }
        Some(Self {
            mount: Some(probe.keep()),
        })
    }

    fn mount(&self) -> &Path {
        self.mount.as_deref().unwrap()
    }

    fn ballast(&self) -> PathBuf {
        self.mount().join("ballast")
    }
}

impl Fault for FullTmpfs {
    fn data_dir(&mut self, _tmp: &Path) -> PathBuf {
        self.mount().join("log")
    }

    fn start(&mut self, _pid: u32) {
        use std::io::Write as _;
        let mut ballast = std::fs::File::create(self.ballast()).unwrap();
        let chunk = vec![0xa5u8; 64 << 10];
        loop {
            match ballast.write_all(&chunk) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
                Err(e) => panic!("filling the tmpfs: {e}"),
            }
        }
    }

    fn stop(&mut self) {
        std::fs::remove_file(self.ballast()).unwrap();
    }

    fn words(&self) -> &'static [&'static str] {
        &["disk full"]
    }
}

impl Drop for FullTmpfs {
    fn drop(&mut self) {
        if let Some(mount) = self.mount.take() {
            // Lazily: a server may still hold files there while the test unwinds.
            let _ = Command::new("umount").arg("-l").arg(&mount).status();
            let _ = std::fs::remove_dir(&mount);
        }
    }
}

/// `strace` attached to the running server, making chosen system calls of
/// every thread fail with an errno (`-e inject=…`). Detaching (SIGTERM to
/// strace) removes the fault.
pub struct Strace {
    syscalls: &'static str,
    errno: &'static str,
    words: &'static [&'static str],
    tracer: Option<Child>,
}

impl Strace {
    pub fn new(
        syscalls: &'static str,
        errno: &'static str,
        words: &'static [&'static str],
    ) -> Self {
        Self {
            syscalls,
            errno,
            words,
            tracer: None,
        }
    }
}

impl Fault for Strace {
    fn start(&mut self, pid: u32) {
        use std::io::{BufRead as _, BufReader};
        let mut tracer = Command::new("strace")
            .args(["-f", "-o", "/dev/null", "-p", &pid.to_string()])
            .arg(format!("-e trace={}", self.syscalls).replace(' ', ""))
            .arg(format!("-e inject={}:error={}", self.syscalls, self.errno).replace(' ', ""))
            .stderr(Stdio::piped())
            .spawn()
            .expect("strace is installed (.ci/run installs it)");
        // strace says "Process N attached" on stderr for each thread.
        let mut lines = BufReader::new(tracer.stderr.take().unwrap()).lines();
        let first = lines.next().expect("strace reports attaching").unwrap();
        assert!(
            first.contains("attached"),
            "strace could not attach: {first}"
        );
        std::thread::spawn(move || lines.for_each(drop));
        // Let it attach to the remaining threads.
        std::thread::sleep(Duration::from_millis(200));
        self.tracer = Some(tracer);
    }

    fn stop(&mut self) {
        let mut tracer = self.tracer.take().unwrap();
        let status = Command::new("kill")
            .args(["-TERM", &tracer.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        while tracer.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "strace did not detach");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn words(&self) -> &'static [&'static str] {
        self.words
    }
}

impl Drop for Strace {
    fn drop(&mut self) {
        if let Some(mut tracer) = self.tracer.take() {
            let _ = tracer.kill();
            let _ = tracer.wait();
        }
    }
}
