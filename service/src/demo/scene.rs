//! What every demo scenario shares: its authorities (added to the
//! development config on first use), the service started in process, and
//! the progress bars.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use zkaudit_ledger::note::NoteSigningKey;

use crate::client::Client;
use crate::keyfile::{read_signing_key, write_secret_file};
use crate::server::config::{CONFIG_FILE, create_development_config};

/// The demo authority `name`, granted `kinds`: its key lives beside the
/// config as `<name>.key`; on first use the key is made and the authority
/// added to the config (the development config is made if missing).
pub(crate) fn demo_authority(data: &Path, name: &str, kinds: &[&str]) -> Result<NoteSigningKey> {
    if !data.join(CONFIG_FILE).exists() {
        create_development_config(data)?;
    }
    let path = data.join(format!("{name}.key"));
    if !path.exists() {
        let key = NoteSigningKey::generate(name, &mut rand::rngs::OsRng)?;
        write_secret_file(&path, &key.to_skey_string())?;
        let mut config = std::fs::read_to_string(data.join(CONFIG_FILE))?;
        // Debug-formatted `&str`s are TOML basic strings for these names.
        config.push_str(&format!(
            "\n[[authority]]\nname = {name:?}\nverifier_key = {:?}\nkinds = {kinds:?}\n",
            key.verifier_key_string()
        ));
        std::fs::write(data.join(CONFIG_FILE), config)?;
    }
    read_signing_key(&path)
}

/// What an identity issuer (a civil registry, a title registry, a voter
/// registry) may write: its registries and the credentials in them.
pub(crate) const ISSUER_KINDS: [&str; 3] = [
    "identity/registry.create",
    "identity/credential.issue",
    "identity/credential.revoke",
];

/// An issuer that also opens claim scopes on its own registries.
pub(crate) const ISSUER_AND_SCOPE_KINDS: [&str; 4] = [
    ISSUER_KINDS[0],
    ISSUER_KINDS[1],
    ISSUER_KINDS[2],
    "identity/scope.create",
];

/// One scenario on stage: its banner printed, the service started in
/// process, a client for it, and a run number that keeps this run's ids
/// apart from earlier runs' on the same data directory.
pub(crate) struct Scene {
    started: Instant,
    running: Running,
    /// The client every step of the scenario uses.
    pub(crate) client: Client,
    /// A number unique to this run (milliseconds modulo a million).
    pub(crate) run: u64,
}

impl Scene {
    /// Prints `banner`, starts the service on `data` and connects to it.
    pub(crate) fn open(
        runtime: &tokio::runtime::Runtime,
        data: &Path,
        banner: &str,
    ) -> Result<Self> {
        println!("{banner}");
        let started = Instant::now();
        let running = start_service(runtime, data)?;
        let client = Client::new(&running.base);
        Ok(Self {
            started,
            running,
            client,
            run: crate::clock::now_ms() % 1_000_000,
        })
    }

    /// Seconds since the scene opened.
    pub(crate) fn elapsed_secs(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// The log's verifier key, as the service publishes it.
    pub(crate) fn log_key(&self) -> Result<String> {
        let info = self.client.get_json("/v1/log")?;
        Ok(info["verifier_key"].as_str().context("log key")?.to_owned())
    }

    /// Prints the final log size and the time taken, and stops the service.
    pub(crate) fn close(self, runtime: &tokio::runtime::Runtime) -> Result<()> {
        let info = self.client.get_json("/v1/log")?;
        println!(
            "   log size {}, done in {:.1} s",
            info["size"],
            self.elapsed_secs()
        );
        self.stop(runtime)
    }

    /// Stops the service without a closing line.
    pub(crate) fn stop(self, runtime: &tokio::runtime::Runtime) -> Result<()> {
        let _ = self.running.shutdown.send(());
        runtime.block_on(self.running.task)?;
        Ok(())
    }
}

/// Checks that `result` is a refusal whose message names `code`; returns
/// the message. An acceptance, or a refusal for another reason, is an error.
pub(crate) fn expect_refusal<T>(result: Result<T>, what: &str, code: &str) -> Result<String> {
    match result {
        Ok(_) => bail!("{what} was accepted"),
        Err(e) if format!("{e:#}").contains(code) => Ok(format!("{e:#}")),
        Err(e) => bail!("{what} refused for the wrong reason: {e:#}"),
    }
}

/// A running in-process service.
struct Running {
    base: String,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

fn start_service(runtime: &tokio::runtime::Runtime, data: &Path) -> Result<Running> {
    let options = crate::server::ServeOptions {
        data_dir: data.to_path_buf(),
        config: None,
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: None,
        database_schema: "zkaudit".into(),
    };
    runtime.block_on(async {
        let listening = crate::server::listen(&options).await?;
        let base = format!("http://{}", listening.local_addr()?);
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = listening
                .serve_until(async {
                    let _ = stop.await;
                })
                .await;
        });
        Ok(Running {
            base,
            shutdown,
            task,
        })
    })
}

pub(crate) fn bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {what:<28} [{{bar:30}}] {{pos}}/{{len}} ({{per_sec}})"
        ))
        .expect("static template")
        .progress_chars("=> "),
    );
    bar
}
