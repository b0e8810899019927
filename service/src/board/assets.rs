//! The board's static files, embedded in the binary: the stylesheet, the
//! page script, the verifier's worker and the WebAssembly verifier built by
//! `build.rs`. Nothing is fetched from anywhere else.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// The WebAssembly verifier (`zkaudit-verifier-wasm`).
pub const VERIFIER_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/verifier.wasm"));

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "board.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/board.css"),
    ),
    (
        "board.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/board.js"),
    ),
    (
        "worker.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/worker.js"),
    ),
    (
        "verifier.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/verifier.js"),
    ),
    ("verifier.wasm", "application/wasm", VERIFIER_WASM),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("assets/favicon.svg"),
    ),
];

/// Each file's entity tag: its SHA-256, computed once.
fn etags() -> &'static [String] {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        FILES
            .iter()
            .map(|(_, _, body)| format!("\"{}\"", hex::encode(&Sha256::digest(body)[..16])))
            .collect()
    })
}

/// `GET /board/assets/{name}`: revalidated on each load (a new build's
/// script and module reach the visitor at once), `304` when unchanged.
pub async fn asset(Path(name): Path<String>, request: HeaderMap) -> Response {
    let Some(position) = FILES.iter().position(|(file, _, _)| *file == name) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let (_, content_type, body) = FILES[position];
    let etag = etags()[position].as_str();
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CACHE_CONTROL, "no-cache"),
        (header::ETAG, etag),
    ];
    let unchanged = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
    if unchanged {
        (StatusCode::NOT_MODIFIED, headers).into_response()
    } else {
        (headers, body).into_response()
    }
}

/// `GET /favicon.ico`: what browsers ask every page of the origin for,
/// the JSON API's included.
pub async fn favicon(request: HeaderMap) -> Response {
    asset(Path("favicon.svg".to_owned()), request).await
}
