//! The HTTP API: routes, the OpenAPI document generated from the handlers,
//! and the middleware every request goes through.

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware;
use axum::middleware::Next;
use axum::response::Response;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::server::state::AppState;

pub mod log;
pub mod ops;
pub mod tiles;

/// Top-level OpenAPI metadata; paths come from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "zkaudit",
        description = "Zero-knowledge verifiable audit log for public services."
    ),
    tags(
        (name = "log", description = "The tamper-evident log"),
        (name = "operations", description = "Health and metrics")
    )
)]
pub struct ApiDoc;

/// The complete router and the OpenAPI document describing it.
pub fn router(state: AppState, max_body_bytes: usize) -> (Router, utoipa::openapi::OpenApi) {
    let mut api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(log::routes())
        .merge(ops::routes());
    for domain in state.domains() {
        api = api.merge(domain.clone().routes());
    }
    let (router, doc) = api.split_for_parts();
    let doc_json = doc.clone();
    let router = router
        .merge(tiles::routes())
        .route(
            "/openapi.json",
            axum::routing::get(move || async move { axum::Json(doc_json) }),
        )
        .fallback(crate::server::error::not_found_fallback)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state);
    (router, doc)
}

/// Records request latency and logs each request.
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status();
    let class = format!("{}xx", status.as_u16() / 100);
    state
        .metrics()
        .http_latency
        .with_label_values(&[method.as_str(), &class])
        .observe(elapsed.as_secs_f64());
    tracing::info!(%method, %path, status = status.as_u16(), micros = elapsed.as_micros() as u64, "request");
    response
}
