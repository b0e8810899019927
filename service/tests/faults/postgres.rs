//! PostgreSQL lost in the middle of a load: writers keep writing while a
//! proxy between the service and the database cuts every connection and
//! refuses new ones for a while (see [`crate::proxy`] for why this stands
//! in for a restart).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use zkaudit_service::server::StoreLocation;

use crate::common::app::App;
use crate::common::database::{Schema, database_url};
use crate::common::{data_dir, dev_authority, notice};
use crate::load::*;
use crate::proxy::Proxy;

/// The database's TCP address.
fn database_addr(config: &postgres::Config) -> std::net::SocketAddr {
    let host = match &config.get_hosts()[0] {
        postgres::config::Host::Tcp(host) => host.clone(),
        other => panic!("the test database must be reached over TCP, not {other:?}"),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
        .unwrap()
        .next()
        .unwrap()
}

/// A connection string to `proxy` with the user, password and database of
/// `config`.
fn via_proxy(config: &postgres::Config, proxy: std::net::SocketAddr) -> String {
    let mut proxied = format!("host={} port={}", proxy.ip(), proxy.port());
    if let Some(user) = config.get_user() {
        proxied.push_str(&format!(" user={user}"));
    }
    if let Some(dbname) = config.get_dbname() {
        proxied.push_str(&format!(" dbname={dbname}"));
    }
    if let Some(password) = config.get_password() {
        proxied.push_str(&format!(" password={}", String::from_utf8_lossy(password)));
    }
    proxied
}

const WRITERS: usize = 4;

#[test]
fn postgres_connection_lost_mid_load() {
    let tmp = tempfile::tempdir().unwrap();
    let schema = Schema::fresh("faults");
    let url = database_url();
    let config: postgres::Config = url.parse().unwrap();
    let proxy = Proxy::start(database_addr(&config));
    let proxied = via_proxy(&config, proxy.addr());

    let data = data_dir(&tmp, "log");
    let app = App::start_on(&data, StoreLocation::Postgres(proxied, schema.0.clone()));
    let key = dev_authority(&data);
    let log_key = app.get_json("/v1/log").1["verifier_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let expect = Expect {
        log_key: &log_key,
        fault_words: &["database unreachable"],
    };
    let ledger = Mutex::new(Ledger::default());
    assert_eq!(
        write_round(&app, &key, "before", WRITERS, 25, &ledger, &expect),
        100
    );

    // Writers keep writing through the outage.
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for w in 0..WRITERS {
            let (app, key, ledger, expect, stop) = (&app, &key, &ledger, &expect, &stop);
            scope.spawn(move || {
                for i in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let record = notice(key, &format!("load writer {w} notice {i}"));
                    let answer = Api::post_record(app, &record);
                    let acked = ledger.lock().unwrap().record(&record, answer, expect);
                    if !acked {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            });
        }
        // If a check below fails, the writers must still stop, or the
        // scope would wait for them forever and the failure become a hang.
        let _stop_writers = StopOnDrop(&stop);
        let acked_now = || ledger.lock().unwrap().acked.len();
        let refused_now = || ledger.lock().unwrap().refused.len();
        wait_for("the load to run", || acked_now() >= 150);

        proxy.cut();
        wait_for("writes to be refused", || refused_now() >= 5);
        assert_health(&app, Some(&["database unreachable"]));
        read_back(&app, &ledger, true);
        std::thread::sleep(Duration::from_secs(1));
        let acked_in_outage = acked_now();

        proxy.restore();
        wait_for("writes to resume by themselves", || {
            acked_now() >= acked_in_outage + 100
        });
        stop.store(true, Ordering::SeqCst);
    });

    resend_refused(&app, &ledger, &expect);
    assert_health(&app, None);
    let ledger = ledger.into_inner().unwrap();
    let size = check_everything(&app, &ledger, &log_key);

    // The stored log itself, read directly (not through the proxy).
    let store =
        zkaudit_ledger::store::postgres::PostgresStore::connect_with_schema(&url, &schema.0)
            .unwrap();
    let report = zkaudit_ledger::fsck::check_store(&store, &log_key, |_, _| {}).unwrap();
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    eprintln!(
        "postgres: {} acknowledged, {} checkpoints, log size {size}, refusals: {:?}",
        ledger.acked.len(),
        ledger.checkpoints.len(),
        ledger.messages
    );
}

/// Sets its flag when dropped, also while a panic unwinds.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Polls `done` until it holds; fails the test after a generous deadline.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
