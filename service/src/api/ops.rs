//! Operations: health, metrics and the OpenAPI document.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::server::state::AppState;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(metrics))
}

/// Health report.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `"ok"` when the store answers and accepts writes; otherwise what is
    /// wrong (`"store unavailable"`, `"writes refused: disk full"`).
    pub status: String,
    /// Size of the latest checkpoint.
    pub size: u64,
    /// `"ok"`, or the storage fault refusing writes since the last batch
    /// (`"disk full"`, `"storage I/O error"`, `"database unreachable"`).
    pub writes: String,
}

#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let size = state.sequencer().latest_checkpoint().size;
    let probe = state.clone();
    let store_ok = tokio::task::spawn_blocking(move || {
        probe
            .sequencer()
            .store()
            .with_reader(&mut |r| r.size().map(|_| ()))
            .is_ok()
    })
    .await
    .unwrap_or(false);
    let write_fault = state.write_health().current();
    let status = if store_ok && write_fault.is_none() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Health {
        status: match (store_ok, write_fault) {
            (false, _) => "store unavailable".into(),
            (true, Some(fault)) => format!("writes refused: {fault}"),
            (true, None) => "ok".into(),
        },
        size,
        writes: write_fault.map_or_else(|| "ok".into(), |f| f.to_string()),
    };
    (status, Json(body))
}

#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics().render(),
    )
}
