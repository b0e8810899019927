//! Fault injection: the durability promise under faults, not just SIGKILL.
//!
//! Acknowledged entries are never lost, the service says clearly what is
//! wrong (`503 storage_unavailable` with `Retry-After`, naming the fault;
//! `/healthz` and the metrics too), refuses writes while it cannot
//! persist, and recovers by itself when the fault goes away:
//!
//! * SQLite (`sqlite`): a full disk (a small tmpfs where mounting is
//!   allowed, else a file size limit), a file size limit (`prlimit`),
//!   `fsync` failing and `write` failing (`strace` fault injection);
//! * PostgreSQL (`postgres`): every connection dropped mid-load and new
//!   ones refused for a while (a TCP proxy, `proxy`);
//! * a witness that hangs, then is down, then is back (`witness`).

#[path = "../common/mod.rs"]
mod common;
mod load;
mod postgres;
mod proxy;
mod sqlite;
mod witness;

use sqlite::{FileSizeLimit, FullTmpfs, Strace, run_scenario};

#[test]
fn sqlite_disk_full() {
    match FullTmpfs::try_new() {
        Some(mut tmpfs) => run_scenario("full tmpfs", &mut tmpfs),
        None => {
            eprintln!("cannot mount a tmpfs here: the disk fills up as a file size limit");
            run_scenario("file size limit", &mut FileSizeLimit::new());
        }
    }
}

#[test]
fn sqlite_file_size_limit() {
    run_scenario("file size limit", &mut FileSizeLimit::new());
}

#[test]
fn sqlite_fsync_fails() {
    let mut fault = Strace::new("fsync,fdatasync", "EIO", &["storage I/O error"]);
    run_scenario("fsync EIO", &mut fault);
}

#[test]
fn sqlite_write_fails() {
    let mut fault = Strace::new("pwrite64", "ENOSPC", &["disk full"]);
    run_scenario("write ENOSPC", &mut fault);
}
