//! The public bulletin board: the log and every domain's public record as
//! web pages, verified in the visitor's browser.
//!
//! Pages are rendered here, on the server, from the same state the JSON API
//! serves, so the record is readable without JavaScript. The page's script
//! (`assets/board.js`) verifies it in the browser with
//! `zkaudit-verifier-wasm` — `zkaudit verify`'s own checks compiled to
//! WebAssembly, embedded at build time (`build.rs`) — in a Web Worker. It
//! remembers the last checkpoint this browser saw and checks on every
//! visit that the log's new one extends it: a rollback or a fork shown to
//! this visitor is reported with both signed checkpoints as evidence.
//!
//! | module | owns |
//! |---|---|
//! | `page` | the layout every page shares, the keys the script verifies against |
//! | `assets` | the stylesheet, the scripts and the WebAssembly verifier |
//! | `home` | `/`: the log, its witnesses and authorities |
//! | `check` | `/check`: any receipt or bundle, checked in the browser |
//! | `events` | `/v1/log/events`: new checkpoints as server-sent events |
//! | `errors` | error pages: a missing record or path, in words |
//!
//! Each domain renders its own pages (`domains/*/board.rs`) with `page`.
//! Every board answer carries a strict Content-Security-Policy: scripts,
//! styles and connections from this origin only, WebAssembly allowed, no
//! inline script, no frames.

use axum::Router;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware;
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use zkaudit_ledger::store::StoredCheckpoint;

use crate::server::blocking::blocking;
use crate::server::state::AppState;

pub mod assets;
mod check;
pub mod errors;
pub mod events;
mod home;
pub mod page;

pub use page::{BoardConfig, Section, page};

/// The policy every board page is served with.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
     worker-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The headers every board answer carries.
const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
];

/// The board's own routes (domains add theirs with [`with_headers`]).
pub fn routes(state: &AppState) -> Router<AppState> {
    with_headers(
        Router::new()
            .route("/", get(home::home))
            .route("/check", get(check::check))
            .route("/board/assets/{name}", get(assets::asset))
            .route("/favicon.ico", get(assets::favicon)),
        state,
    )
}

/// Adds to `router`'s answers the board's security headers, error pages
/// for its errors, and gzip for browsers that take it (the verifier module
/// shrinks to about a third).
pub fn with_headers(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let mut router = router.layer(middleware::from_fn_with_state(
        state.clone(),
        errors::as_pages,
    ));
    for (name, value) in SECURITY_HEADERS {
        router = router.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ));
    }
    router.layer(CompressionLayer::new().gzip(true))
}

/// Sets the board's security headers on an answer built outside its
/// routes (the error page of an unknown path).
pub fn set_security_headers(headers: &mut HeaderMap) {
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// The keys the page's script verifies against, from the server's state.
pub fn config(state: &AppState) -> BoardConfig {
    let sequencer = state.sequencer();
    BoardConfig {
        origin: sequencer.origin().to_owned(),
        log_key: sequencer.verifier_key(),
        witnesses: state.witness_keys().to_vec(),
    }
}

/// The latest checkpoint with the witness cosignatures gathered so far
/// (the store's copy), or the sequencer's own if the store cannot say.
pub async fn latest_checkpoint(state: &AppState) -> StoredCheckpoint {
    let latest = state.sequencer().latest_checkpoint();
    let size = latest.size;
    let reader = state.clone();
    blocking(move || reader.sequencer().store().checkpoint(size))
        .await
        .ok()
        .flatten()
        .unwrap_or(latest)
}
