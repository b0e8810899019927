//! The HTTP API: routes, the OpenAPI document generated from the handlers,
//! and the middleware every request goes through.

use std::borrow::Cow;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
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
    let (router, mut doc) = api.split_for_parts();
    declare_error_shape(&mut doc);
    let doc_json = doc.clone();
    let mut board = crate::board::routes(&state);
    for domain in state.domains() {
        board = board.merge(crate::board::with_headers(domain.clone().board(), &state));
    }
    let router = router
        .merge(board)
        .route(
            "/v1/log/events",
            axum::routing::get(crate::board::events::events),
        )
        .merge(tiles::routes())
        .route(
            "/openapi.json",
            axum::routing::get(move || async move { axum::Json(doc_json) }),
        )
        .fallback(crate::board::errors::fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state);
    (router, doc)
}

/// Declares the one error shape as every operation's `default` answer:
/// whatever a request gets besides the answers its handler lists (a
/// malformed path or query, an oversized body, a wrong method, overload)
/// is an [`ErrorBody`](crate::server::error::ErrorBody), and a client
/// generated from the document can read it.
fn declare_error_shape(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let error = ResponseBuilder::new()
        .description("Any other answer: the error shape, with a machine-readable code")
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build();
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            operation
                .responses
                .responses
                .entry("default".to_owned())
                .or_insert_with(|| error.clone().into());
        }
    }
}

/// Records request latency and logs each request.
///
/// Everything taken from the request is bounded: the method becomes one of
/// a fixed set of labels and the logged path is cut short, so no client can
/// mint metric series or write kilobytes into the log with one request.
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = method_label(request.method());
    let path = loggable_path(request.uri().path()).into_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status();
    state
        .metrics()
        .http_latency
        .with_label_values(&[method, status_class(status)])
        .observe(elapsed.as_secs_f64());
    tracing::info!(method, %path, status = status.as_u16(), micros = elapsed.as_micros() as u64, "request");
    response
}

/// A known path asked with a method it does not take.
async fn method_not_allowed(method: Method) -> crate::server::error::ApiError {
    crate::server::error::ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "this path does not take {}; see /openapi.json",
            method_label(&method)
        ),
    )
}

/// The method as a metric label and log field, from a fixed set.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

/// The status class as a metric label, from a fixed set.
fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

/// At most this many characters of a request path reach a log line.
const LOGGED_PATH_CHARS: usize = 160;

/// The path as logged: cut to [`LOGGED_PATH_CHARS`] characters.
fn loggable_path(path: &str) -> Cow<'_, str> {
    match path.char_indices().nth(LOGGED_PATH_CHARS) {
        None => Cow::Borrowed(path),
        Some((end, _)) => Cow::Owned(format!("{}… ({} bytes)", &path[..end], path.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_from_a_fixed_set() {
        let long = Method::from_bytes("X".repeat(60_000).as_bytes()).unwrap();
        assert_eq!(method_label(&long), "other");
        assert_eq!(method_label(&Method::from_bytes(b"GETX").unwrap()), "other");
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(status_class(StatusCode::from_u16(599).unwrap()), "5xx");
        assert_eq!(status_class(StatusCode::NOT_FOUND), "4xx");
    }

    #[test]
    fn logged_paths_are_bounded() {
        assert_eq!(loggable_path("/v1/log"), "/v1/log");
        let long = format!("/{}", "é".repeat(10_000));
        let logged = loggable_path(&long);
        assert!(logged.chars().count() < LOGGED_PATH_CHARS + 40, "{logged}");
        assert!(logged.ends_with("(20001 bytes)"), "{logged}");
    }
}
