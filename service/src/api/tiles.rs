//! The C2SP `tlog-tiles` read path: `/checkpoint`, `/tile/<L>/<N>[.p/<W>]`
//! and `/tile/entries/<N>[.p/<W>]`.
//!
//! Tiles never change once they exist (a partial tile is a different path
//! from the full one), so they are served as immutable and cacheable by any
//! CDN; only `/checkpoint` changes.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use zkaudit_ledger::tiles;
use zkaudit_ledger::tiles::{TILE_WIDTH, TilePath};

use crate::server::blocking::{blocking, blocking_api};
use crate::server::error::{ApiError, ApiResult, AppPath};
use crate::server::state::AppState;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Routes of this module (C2SP paths, outside `/v1`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/checkpoint", get(checkpoint))
        .route("/tile/{*path}", get(tile))
}

async fn checkpoint(State(state): State<AppState>) -> ApiResult<Response> {
    let size = state.sequencer().latest_checkpoint().size;
    let cp = blocking(move || state.sequencer().store().checkpoint(size))
        .await?
        .ok_or_else(|| ApiError::internal("latest checkpoint missing from store"))?;
    let mut response = cp.note.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

async fn tile(
    State(state): State<AppState>,
    AppPath(path): AppPath<String>,
) -> ApiResult<Response> {
    let tile = TilePath::parse(&format!("tile/{path}"))
        .map_err(|e| ApiError::not_found(format!("not a tile path: {e}")))?;
    let size = state.sequencer().latest_checkpoint().size;
    let body = match tile {
        TilePath::Hash {
            level,
            index,
            width,
        } => {
            check_exists(tiles::tile_width_at(size, level, index), width)?;
            let positions = tiles::hash_tile_positions(level, index, width, size)
                .map_err(|e| ApiError::not_found(e.to_string()))?;
            // A complete tile may have to be read from the store.
            blocking_api(move || {
                state.sequencer().with_tree(|tree, _| {
                    let hashes = tree.tile_hashes(level, positions.start, positions.end)?;
                    Ok(hashes.as_flattened().to_vec())
                })
            })
            .await?
        }
        TilePath::Entries { index, width } => {
            check_exists(tiles::tile_width_at(size, 0, index), width)?;
            let start = index * TILE_WIDTH as u64;
            let end = start + u64::from(width);
            let entries = blocking(move || {
                let mut out = Vec::new();
                state.sequencer().store().with_reader(&mut |r| {
                    out = r.entries(start, end)?;
                    Ok(())
                })?;
                Ok(out)
            })
            .await?;
            let leaves: Vec<&[u8]> = entries.iter().map(|e| e.leaf.as_slice()).collect();
            tiles::encode_entry_bundle(&leaves).map_err(ApiError::internal)?
        }
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    Ok(response)
}

/// A tile of `width` exists if the tree has at least that many hashes at its
/// position: a full tile once complete, and every partial width up to the
/// current one (older partial tiles stay valid forever).
fn check_exists(available: Option<u16>, width: u16) -> ApiResult<()> {
    match available {
        Some(have) if width <= have => Ok(()),
        _ => Err(ApiError::not_found("this tile does not exist (yet)")),
    }
}
