//! What the benches that drive the service in process share (a module of
//! each such bench, not a bench itself).

#![allow(
    dead_code,
    reason = "each bench compiles this module; not all use every helper or field"
)]

pub mod bundle;
pub mod cpu;
pub mod election;
pub mod timed;
pub mod trapdoor;

use std::time::{Duration, Instant};

use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;
use zkaudit_service::server::state::AppState;

/// The service in process on SQLite in a temporary directory; it runs
/// until the process ends.
pub struct InProcess {
    /// The data directory (removed when dropped).
    pub dir: tempfile::TempDir,
    /// The runtime it runs on.
    pub runtime: tokio::runtime::Runtime,
    /// Its state, to submit to and read from directly.
    pub state: AppState,
}

/// An authority of the service's configuration: name, key, record kinds.
pub type AuthorityConfig<'a> = (&'a str, &'a NoteSigningKey, &'a [&'a str]);

/// Starts the service with `log` as its log key and `authorities`, also
/// serving its API over HTTP on a loopback port if `serve_http` (then with
/// the API's `http://…` base).
pub fn start_service(
    log: &NoteSigningKey,
    authorities: &[AuthorityConfig<'_>],
    serve_http: bool,
) -> (InProcess, Option<String>) {
    start_service_with(log, authorities, serve_http, "")
}

/// As [`start_service`], with `extra` appended to the configuration file
/// (whole sections, e.g. `[proofs]\nbatch = 1\n`).
pub fn start_service_with(
    log: &NoteSigningKey,
    authorities: &[AuthorityConfig<'_>],
    serve_http: bool,
    extra: &str,
) -> (InProcess, Option<String>) {
    let (dir, runtime, options) = prepare(log, authorities, extra);
    let data = options.data_dir.clone();
    let (state, base) = runtime.block_on(async {
        let (config, config_dir) =
            zkaudit_service::server::load_or_create_config(&options).unwrap();
        let store = zkaudit_service::server::open_store(
            &zkaudit_service::server::StoreLocation::Sqlite(data.clone()),
        )
        .unwrap();
        let service = zkaudit_service::server::start(&config, &config_dir, &data, store)
            .await
            .unwrap();
        let state = service.state.clone();
        let mut base = None;
        if serve_http {
            let (router, _) = zkaudit_service::api::router(state.clone(), service.max_body_bytes);
            let listener = tokio::net::TcpListener::bind(options.listen).await.unwrap();
            base = Some(format!("http://{}", listener.local_addr().unwrap()));
            tokio::spawn(async move {
                let _ = axum::serve(listener, router).await;
            });
        }
        std::mem::forget(service); // runs until the process ends
        (state, base)
    });
    let running = InProcess {
        dir,
        runtime,
        state,
    };
    (running, base)
}

/// A data directory configured with `log`, `authorities` and `extra`, a
/// runtime to start the service on, and the options to start it with (a
/// loopback port chosen by the system).
fn prepare(
    log: &NoteSigningKey,
    authorities: &[AuthorityConfig<'_>],
    extra: &str,
) -> (
    tempfile::TempDir,
    tokio::runtime::Runtime,
    zkaudit_service::server::ServeOptions,
) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    write_config(&data, log, authorities, extra);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let options = zkaudit_service::server::ServeOptions {
        data_dir: data,
        config: None,
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: None,
        database_schema: "zkaudit".into(),
    };
    (dir, runtime, options)
}

/// Writes the log key and a configuration with `authorities` (and `extra`
/// appended) into `data`.
pub fn write_config(
    data: &std::path::Path,
    log: &NoteSigningKey,
    authorities: &[AuthorityConfig<'_>],
    extra: &str,
) {
    std::fs::write(data.join("log.key"), log.to_skey_string()).unwrap();
    // The benches measure the write path, not the rate meters in front of
    // it: participant writes come from a few keys at full speed.
    let mut config = String::from(
        "[log]\nkey_file = \"log.key\"\n\n[limits]\nkey_writes_per_sec = 0\nclient_writes_per_sec = 0\n\n\
         [keys]\nallow_development = true\n",
    );
    for (name, key, kinds) in authorities {
        let kinds: Vec<String> = kinds.iter().map(|kind| format!("\"{kind}\"")).collect();
        config.push_str(&format!(
            "\n[[authority]]\nname = \"{name}\"\nverifier_key = \"{}\"\nkinds = [{}]\n",
            key.verifier_key_string(),
            kinds.join(", ")
        ));
    }
    config.push('\n');
    config.push_str(extra);
    std::fs::write(data.join("zkaudit.toml"), config).unwrap();
}

/// Starts the service as `zkaudit serve` does (`server::listen`, the
/// production serve loop with its limits and guards) on a loopback port;
/// returns it with its `http://…` base. It runs until the process ends.
pub fn serve_production(
    log: &NoteSigningKey,
    authorities: &[AuthorityConfig<'_>],
    extra: &str,
) -> (InProcess, String) {
    serve_production_on(log, authorities, extra, None)
}

/// As [`serve_production`], on PostgreSQL when `database` names a URL and
/// a schema (on SQLite in the data directory when it is `None`).
pub fn serve_production_on(
    log: &NoteSigningKey,
    authorities: &[AuthorityConfig<'_>],
    extra: &str,
    database: Option<(String, String)>,
) -> (InProcess, String) {
    let (dir, runtime, mut options) = prepare(log, authorities, extra);
    if let Some((url, schema)) = database {
        options.database_url = Some(url);
        options.database_schema = schema;
    }
    let (state, base) = runtime.block_on(async {
        let listening = zkaudit_service::server::listen(&options).await.unwrap();
        let base = format!("http://{}", listening.local_addr().unwrap());
        let state = listening.state().clone();
        tokio::spawn(listening.serve_until(std::future::pending()));
        (state, base)
    });
    let running = InProcess {
        dir,
        runtime,
        state,
    };
    (running, base)
}

/// Submits `records` through `AppState::submit` from `lanes` concurrent
/// tasks on `runtime`: record `i` goes to lane `i % lanes`, and each lane
/// submits in order. Returns the wall time of the whole.
pub fn submit_in_lanes(
    runtime: &tokio::runtime::Runtime,
    state: &AppState,
    records: impl IntoIterator<Item = Record>,
    lanes: usize,
) -> Duration {
    let mut split: Vec<Vec<Record>> = vec![Vec::new(); lanes];
    for (i, r) in records.into_iter().enumerate() {
        split[i % lanes].push(r);
    }
    let state = state.clone();
    let started = Instant::now();
    runtime.block_on(async move {
        let tasks: Vec<_> = split
            .into_iter()
            .map(|lane| {
                let state = state.clone();
                tokio::spawn(async move {
                    for r in &lane {
                        state
                            .submit(r, None)
                            .await
                            .map_err(|e| e.to_string())
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    started.elapsed()
}
