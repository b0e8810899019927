//! The witness server, `zkaudit witness`.
//!
//! It answers `POST /add-checkpoint` with the protocol's plain-text
//! bodies rather than the API's JSON errors, because witness clients of
//! other implementations parse them: 200 carries the cosignature line(s), 409
//! carries the witness's size as `<size>\n` with content type
//! `text/x.tlog.size`, and other errors carry a one-line explanation (a
//! generic one for the witness's own failures, whose details go to the log).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use zkaudit_ledger::note::{CosignerKey, Zeroizing};
use zkaudit_ledger::witness::{
    FileWitnessState, MAX_REQUEST_BYTES, TLOG_SIZE_CONTENT_TYPE, Witness, WitnessError,
};

use super::{ADD_CHECKPOINT_PATH, COSIGNATURE_CONTENT_TYPE};
use crate::http::ServeLimits;

/// File, inside the witness data directory, holding the witness key.
const WITNESS_KEY_FILE: &str = "witness.key";

/// Directory, inside the witness data directory, holding the per-log state.
const WITNESS_STATE_DIR: &str = "state";

/// The witness's routes: `POST /add-checkpoint`, with request bodies limited
/// to [`MAX_REQUEST_BYTES`] (larger ones get 413).
pub fn router(witness: Arc<Witness>) -> Router {
    Router::new()
        .route(ADD_CHECKPOINT_PATH, post(add_checkpoint))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(witness)
}

/// Runs the witness logic, which fsyncs, off the async runtime.
async fn add_checkpoint(State(witness): State<Arc<Witness>>, body: Bytes) -> Response {
    match tokio::task::spawn_blocking(move || witness.add_checkpoint(&body)).await {
        Ok(Ok(cosignature)) => text_response(StatusCode::OK, COSIGNATURE_CONTENT_TYPE, cosignature),
        Ok(Err(err)) => error_response(&err),
        Err(join_error) => {
            tracing::error!(error = %join_error, "witness task failed");
            internal_error_response()
        }
    }
}

fn text_response(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response {
    (status, [(header::CONTENT_TYPE, content_type)], body.into()).into_response()
}

fn error_response(err: &WitnessError) -> Response {
    if let Some(size) = err.conflict_size() {
        tracing::debug!(error = %err, "add-checkpoint: size conflict");
        return text_response(
            StatusCode::CONFLICT,
            TLOG_SIZE_CONTENT_TYPE,
            format!("{size}\n"),
        );
    }
    let status =
        StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        tracing::error!(error = %err, source = ?std::error::Error::source(err), "add-checkpoint failed");
        return text_response(status, COSIGNATURE_CONTENT_TYPE, "witness error\n");
    }
    tracing::debug!(error = %err, status = status.as_u16(), "add-checkpoint refused");
    text_response(status, COSIGNATURE_CONTENT_TYPE, format!("{err}\n"))
}

fn internal_error_response() -> Response {
    text_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        COSIGNATURE_CONTENT_TYPE,
        "witness error\n",
    )
}

/// `zkaudit witness`: serves a witness for `logs` (Ed25519 verifier keys) on
/// `listen` until Ctrl-C or SIGTERM, within the serve loop's default
/// connection limits.
///
/// `data` holds the witness key (`witness.key`, created with `name` on first
/// start) and the latest cosigned size and root per log (`state/`).
pub async fn serve_witness(
    data: &Path,
    listen: SocketAddr,
    name: &str,
    logs: &[String],
) -> anyhow::Result<()> {
    let key = load_or_create_witness_key(data, name)?;
    let state = FileWitnessState::open(data.join(WITNESS_STATE_DIR))
        .with_context(|| format!("opening witness state in {}", data.display()))?;
    let witness = Witness::new(key, logs, Box::new(state)).context("witness configuration")?;
    let verifier_key = witness.verifier_key_string();
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let local = listener.local_addr()?;
    tracing::info!(listen = %local, verifier_key = %verifier_key, logs = logs.len(), "witness started");
    println!("zkaudit witness on http://{local}{ADD_CHECKPOINT_PATH}");
    println!("witness verifier key: {verifier_key}");
    crate::http::serve(
        listener,
        router(Arc::new(witness)),
        ServeLimits::DEFAULT,
        render_error,
        crate::http::shutdown::shutdown_signal(),
    )
    .await?;
    Ok(())
}

/// The serve loop's own refusals (overload, over-long URIs, late bodies) as
/// the witness's other errors are: one plain-text line.
fn render_error(status: StatusCode, _code: &'static str, message: String) -> Response {
    text_response(status, COSIGNATURE_CONTENT_TYPE, format!("{message}\n"))
}

/// Reads the witness key from `data/witness.key`, or makes one named `name`
/// and writes it there (mode 0600) if the file does not exist.
fn load_or_create_witness_key(data: &Path, name: &str) -> anyhow::Result<CosignerKey> {
    std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
    let path = data.join(WITNESS_KEY_FILE);
    if !path.exists() {
        let key = CosignerKey::generate(name, &mut rand::rngs::OsRng)?;
        crate::keyfile::write_secret_file(&path, &key.to_skey_string())?;
        tracing::info!(path = %path.display(), "created witness key");
        return Ok(key);
    }
    let text = Zeroizing::new(
        std::fs::read_to_string(&path)
            .with_context(|| format!("reading witness key {}", path.display()))?,
    );
    // The error names the file, never its contents.
    let key = CosignerKey::from_skey_str(text.trim())
        .map_err(|err| anyhow::anyhow!("{err}"))
        .with_context(|| format!("{} is not a witness private key", path.display()))?;
    if key.name() != name {
        anyhow::bail!(
            "witness key {} is named {:?}, not {name:?}",
            path.display(),
            key.name()
        );
    }
    Ok(key)
}
