//! `zkaudit serve`: opens the store, starts the sequencer, the witness loop
//! and the HTTP server, and shuts down gracefully.

pub mod blocking;
pub mod config;
pub mod error;
pub mod limits;
pub mod log_access;
pub mod metrics;
pub mod proof_batch;
pub mod queue;
pub mod state;
pub mod witnessing;
pub mod write_health;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use tokio::sync::watch;
use zkaudit_ledger::authority::{AUTHORITY_SET_KIND, AuthoritySet, LEDGER_DOMAIN};
use zkaudit_ledger::record::Record;
use zkaudit_ledger::sequencer::{Pending, Sequencer};
use zkaudit_ledger::store::Store;

use self::config::{CONFIG_FILE, Config};
use crate::clock::now_ms;
use crate::server::error::ApiError;
use crate::server::metrics::Metrics;
use crate::server::proof_batch::ProofBatcher;
use crate::server::queue::AppendQueue;
use crate::server::state::{AppParts, AppState};

/// Where the log keeps its data.
#[derive(Clone, Debug)]
pub enum StoreLocation {
    /// The embedded SQLite database in a data directory.
    Sqlite(PathBuf),
    /// A PostgreSQL database (URL, schema), shared by several processes.
    Postgres(String, String),
}

/// Options of `zkaudit serve`.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Data directory (SQLite database, default config and keys).
    pub data_dir: PathBuf,
    /// Config file; `<data_dir>/zkaudit.toml` when absent.
    pub config: Option<PathBuf>,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// PostgreSQL URL; SQLite in `data_dir` when absent.
    pub database_url: Option<String>,
    /// PostgreSQL schema for the log's tables.
    pub database_schema: String,
}

/// Opens the configured store.
pub fn open_store(location: &StoreLocation) -> Result<Arc<dyn Store>> {
    Ok(match location {
        StoreLocation::Sqlite(dir) => Arc::new(
            zkaudit_ledger::store::sqlite::SqliteStore::open(dir)
                .with_context(|| format!("opening SQLite store in {}", dir.display()))?,
        ),
        StoreLocation::Postgres(url, schema) => Arc::new(
            zkaudit_ledger::store::postgres::PostgresStore::connect_with_schema(url, schema)
                .context("connecting to PostgreSQL")?,
        ),
    })
}

/// Loads the config, creating a development one in `data_dir` when none exists.
pub fn load_or_create_config(options: &ServeOptions) -> Result<(Config, PathBuf)> {
    let path = match &options.config {
        Some(path) => path.clone(),
        None => {
            let path = options.data_dir.join(CONFIG_FILE);
            if !path.exists() {
                let created = self::config::create_development_config(&options.data_dir)?;
                tracing::warn!(
                    config = %created.display(),
                    "no configuration found: created a DEVELOPMENT configuration with fresh keys; \
                     do not use it for a real log"
                );
                eprintln!(
                    "zkaudit: created a DEVELOPMENT configuration at {} (fresh log key, one dev authority). \
                     Edit it, or pass --config, for a real deployment.",
                    created.display()
                );
            }
            path
        }
    };
    Config::load(&path)
}

/// A running log service (everything except the HTTP listener).
pub struct Service {
    /// Handler state.
    pub state: AppState,
    /// The sequencer thread; ends once every queue handle is dropped.
    pub sequencer_thread: std::thread::JoinHandle<()>,
    /// Background tasks (witness loop, refresh loop).
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Limits of the HTTP server.
    pub max_body_bytes: usize,
}

/// Builds the service: store, sequencer, queue, authority-set record,
/// witness and refresh loops. Must run inside a tokio runtime.
pub async fn start(
    config: &Config,
    config_dir: &Path,
    data_dir: &Path,
    store: Arc<dyn Store>,
) -> Result<Service> {
    let log_key = config.log_key(config_dir)?;
    let record_key = Arc::new(config.log_key(config_dir)?);
    let authorities = config.authority_set()?;
    if config.keys.allow_development {
        tracing::warn!(
            "DEVELOPMENT Groth16 keys are allowed ([keys] allow_development): a shape without \
             a ceremony key gets a one-party setup whose maker can forge its proofs"
        );
    }
    let sequencer = tokio::task::spawn_blocking(move || Sequencer::open(store, log_key))
        .await?
        .context("opening the log")?;
    let sequencer = Arc::new(sequencer);
    let metrics = Metrics::new();
    metrics
        .log_size
        .set(sequencer.latest_checkpoint().size as i64);
    let (checkpoints_tx, checkpoints_rx) = watch::channel(sequencer.latest_checkpoint().size);
    let (queue, sequencer_thread) = AppendQueue::start(
        sequencer.clone(),
        config.log.max_batch,
        metrics.clone(),
        move |cp| {
            checkpoints_tx.send_replace(cp.size);
        },
    );
    let state = AppState::new(AppParts {
        sequencer: sequencer.clone(),
        queue,
        authorities: authorities.clone(),
        domains: crate::domains::all(
            data_dir,
            config.keys.allow_development,
            ProofBatcher::new(config.proofs.batch, metrics.clone()),
        ),
        metrics: metrics.clone(),
        timestamp_window_ms: config.log.timestamp_window_secs * 1000,
        witness_keys: config
            .witnesses
            .iter()
            .map(|w| w.verifier_key.clone())
            .collect(),
        log_signer: record_key.clone(),
        limits: limits::WriteLimits::new(&config.limits).start_forgetting(),
    });
    publish_authority_set(&state, &authorities, &record_key).await?;
    for domain in state.domains() {
        domain.started(&state);
    }

    let mut tasks = Vec::new();
    if !config.witnesses.is_empty() {
        tasks.push(tokio::spawn(witnessing::run(
            sequencer.clone(),
            config.witnesses.clone(),
            checkpoints_rx,
            metrics,
        )));
    }
    tasks.push(tokio::spawn(refresh_loop(sequencer)));
    Ok(Service {
        state,
        sequencer_thread,
        tasks,
        max_body_bytes: config.server.max_body_bytes,
    })
}

/// Logs the authority set if it differs from the last one logged.
async fn publish_authority_set(
    state: &AppState,
    set: &AuthoritySet,
    log_key: &zkaudit_ledger::note::NoteSigningKey,
) -> Result<()> {
    let seq = state.sequencer().clone();
    let last = tokio::task::spawn_blocking(move || last_logged_authority_set(&seq)).await??;
    if last.as_ref() == Some(set) {
        return Ok(());
    }
    let record = Record::signed(
        log_key.name(),
        LEDGER_DOMAIN,
        AUTHORITY_SET_KIND,
        now_ms(),
        set.encode(),
        log_key,
    )?;
    let pending = Pending::new(&record).topic(b"ledger/authority-set".to_vec());
    let accepted = state
        .append(pending)
        .await
        .map_err(|e| anyhow::anyhow!("logging the authority set: {e}"))?;
    tracing::info!(
        index = accepted.index,
        authorities = set.authorities().len(),
        "logged the authority set"
    );
    Ok(())
}

fn last_logged_authority_set(seq: &Sequencer) -> Result<Option<AuthoritySet>> {
    let store = seq.store();
    let mut last = None;
    let mut after = 0;
    loop {
        let page = store.topic(b"ledger/authority-set", after, 1000)?;
        let Some(&end) = page.last() else { break };
        last = Some(end);
        after = end + 1;
    }
    let Some(index) = last else { return Ok(None) };
    let mut entries = Vec::new();
    store.with_reader(&mut |r| {
        entries = r.entries(index, index + 1)?;
        Ok(())
    })?;
    let entry = entries.pop().context("authority-set entry missing")?;
    let record = Record::decode(&entry.leaf)?;
    Ok(Some(AuthoritySet::decode(record.payload())?))
}

/// Keeps this process's tree current with entries other processes append.
async fn refresh_loop(sequencer: Arc<Sequencer>) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tick.tick().await;
        let seq = sequencer.clone();
        match tokio::task::spawn_blocking(move || seq.refresh()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "refreshing from the store failed"),
            Err(e) => tracing::error!(error = %e, "refresh task failed"),
        }
    }
}

/// A started service bound to its address, not yet answering: what
/// `zkaudit serve` runs, and what the demo and the tests start in process.
pub struct Listening {
    service: Service,
    listener: tokio::net::TcpListener,
    limits: crate::http::ServeLimits,
    location: StoreLocation,
}

/// Loads the config (creating a development one when none exists), opens
/// the store, starts the service and binds `options.listen`. Must run
/// inside a tokio runtime.
pub async fn listen(options: &ServeOptions) -> Result<Listening> {
    let (config, config_dir) = load_or_create_config(options)?;
    let location = match &options.database_url {
        Some(url) => StoreLocation::Postgres(url.clone(), options.database_schema.clone()),
        None => StoreLocation::Sqlite(options.data_dir.clone()),
    };
    let store = {
        let location = location.clone();
        tokio::task::spawn_blocking(move || open_store(&location)).await??
    };
    let service = start(&config, &config_dir, &options.data_dir, store).await?;
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("binding {}", options.listen))?;
    Ok(Listening {
        service,
        listener,
        limits: config.server.limits(),
        location,
    })
}

impl Listening {
    /// The address the service answers on.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// The started service's state (to drive it in process as well).
    pub fn state(&self) -> &AppState {
        &self.service.state
    }

    /// Answers requests until `shutdown` resolves and the requests in
    /// flight are finished; returns the service, still running, for the
    /// caller to stop or drop.
    pub async fn serve_until(self, shutdown: impl Future<Output = ()>) -> Result<Service> {
        let local = self.local_addr()?;
        tracing::info!(
            listen = %local,
            origin = self.service.state.sequencer().origin(),
            size = self.service.state.sequencer().latest_checkpoint().size,
            store = ?location_label(&self.location),
            "zkaudit serving"
        );
        let (router, _) =
            crate::api::router(self.service.state.clone(), self.service.max_body_bytes);
        crate::http::serve(
            self.listener,
            router,
            self.limits,
            render_api_error,
            shutdown,
        )
        .await?;
        Ok(self.service)
    }
}

impl Service {
    /// Stops the background tasks and waits for the sequencer to write
    /// what it has queued.
    pub async fn stop(self) {
        for task in self.tasks {
            task.abort();
        }
        drop(self.state);
        let _ = tokio::task::spawn_blocking(move || self.sequencer_thread.join()).await;
    }
}

/// The serve loop's own refusals (overload, over-long URIs, late bodies)
/// in the API's one error shape.
fn render_api_error(status: StatusCode, code: &'static str, message: String) -> Response {
    ApiError::new(status, code, message).into_response()
}

/// Runs `zkaudit serve` until Ctrl-C or SIGTERM.
pub async fn serve(options: ServeOptions) -> Result<()> {
    survive_file_size_limit();
    let listening = listen(&options).await?;
    println!("zkaudit serving on http://{}", listening.local_addr()?);
    let service = listening
        .serve_until(crate::http::shutdown::shutdown_signal())
        .await?;
    service.stop().await;
    tracing::info!("zkaudit stopped");
    Ok(())
}

/// Keeps the process alive when a write goes past its file size limit
/// (`RLIMIT_FSIZE`): by default `SIGXFSZ` kills it, with whatever was in
/// flight. Handled, the write fails with `EFBIG` instead, the batch is
/// refused as a storage fault, and writes resume once the limit is raised.
fn survive_file_size_limit() {
    // SIGXFSZ is 25 on these architectures (not on MIPS or PA-RISC).
    #[cfg(all(
        target_os = "linux",
        any(
            target_arch = "x86_64",
            target_arch = "x86",
            target_arch = "aarch64",
            target_arch = "arm",
            target_arch = "riscv64"
        )
    ))]
    {
        use tokio::signal::unix::{SignalKind, signal};
        const SIGXFSZ: std::os::raw::c_int = 25;
        match signal(SignalKind::from_raw(SIGXFSZ)) {
            Ok(mut signals) => {
                tokio::spawn(async move {
                    while signals.recv().await.is_some() {
                        tracing::warn!("a write went past the file size limit (SIGXFSZ)");
                    }
                });
            }
            Err(e) => tracing::warn!(error = %e, "cannot handle SIGXFSZ"),
        }
    }
}

fn location_label(location: &StoreLocation) -> String {
    match location {
        StoreLocation::Sqlite(dir) => format!("sqlite:{}", dir.display()),
        StoreLocation::Postgres(_, schema) => format!("postgres (schema {schema})"),
    }
}
