//! What every demo scenario shares: its authorities (added to the
//! development config on first use), the service started in process, and
//! the progress bars.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use zkaudit_ledger::note::NoteSigningKey;

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

/// A running in-process service.
pub(crate) struct Running {
    pub(crate) base: String,
    pub(crate) shutdown: tokio::sync::oneshot::Sender<()>,
    pub(crate) task: tokio::task::JoinHandle<()>,
}

pub(crate) fn start_service(runtime: &tokio::runtime::Runtime, data: &Path) -> Result<Running> {
    let options = crate::server::ServeOptions {
        data_dir: data.to_path_buf(),
        config: None,
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: None,
        database_schema: "zkaudit".into(),
    };
    runtime.block_on(async {
        let (config, config_dir) = crate::server::load_or_create_config(&options)?;
        let store =
            crate::server::open_store(&crate::server::StoreLocation::Sqlite(data.to_path_buf()))?;
        let service = crate::server::start(&config, &config_dir, data, store).await?;
        let (router, _) = crate::api::router(service.state.clone(), service.max_body_bytes);
        let listener = tokio::net::TcpListener::bind(options.listen).await?;
        let base = format!("http://{}", listener.local_addr()?);
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stop.await;
                })
                .await;
            drop(service);
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
