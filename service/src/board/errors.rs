//! Errors as pages. A visitor who follows a stale link (an election, a
//! parcel or a lot that does not exist, a mistyped path) gets a board page
//! that says what is missing, with the board's navigation, not the JSON
//! error the API gives machines. Board routes always answer in HTML; any
//! other path answers in HTML only to a browser navigating to it (it asks
//! for `text/html`), and an API path (`/v1/…`) always in JSON.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::server::error::not_found_fallback;
use crate::server::state::AppState;

use super::page::{Section, page};
use super::{config, set_security_headers};

/// Largest error body read back to show its message.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Middleware on the board's routes: a JSON error becomes an error page,
/// with the same status and message.
pub async fn as_pages(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let section = Section::of_path(request.uri().path());
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|kind| kind.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || !is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let message = axum::body::to_bytes(body, MAX_ERROR_BODY)
        .await
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|error| error["error"]["message"].as_str().map(str::to_owned));
    let mut page = error_page(&state, section, status, message.as_deref());
    if let Some(retry) = parts.headers.get(header::RETRY_AFTER) {
        page.headers_mut()
            .insert(header::RETRY_AFTER, retry.clone());
    }
    page
}

/// The router's fallback (no route matched): a page for a browser, the
/// API's JSON error for everyone else.
pub async fn fallback(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let wants_page = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_page && !uri.path().starts_with("/v1/") {
        let mut page = error_page(&state, Section::Elsewhere, StatusCode::NOT_FOUND, None);
        set_security_headers(page.headers_mut());
        return page;
    }
    not_found_fallback().await.into_response()
}

/// A page saying why the visitor's page cannot be shown, with `status`.
fn error_page(
    state: &AppState,
    section: Section,
    status: StatusCode,
    message: Option<&str>,
) -> Response {
    let (title, advice) = if status == StatusCode::NOT_FOUND {
        (
            "Not found",
            "Nothing on this log has that name. The link may be mistyped, or point at a record on another log.",
        )
    } else if status.is_client_error() {
        (
            "This page cannot be shown",
            "The address asks for something the board cannot show.",
        )
    } else {
        (
            "The board could not answer",
            "The server failed to build this page; the log itself is unaffected. Try again shortly.",
        )
    };
    let body = html! {
        p class="notice" role="alert" {
            @if let Some(message) = message { (capitalised(message)) "." } @else { (advice) }
        }
        @if message.is_some() { p { (advice) } }
        p {
            @if section == Section::Elsewhere {
                a href="/" { "Back to the log" }
            } @else {
                a href=(section.path()) { "Back to " (section.label()) }
            }
        }
    };
    let mut response = page(&config(state), section, title, body).into_response();
    *response.status_mut() = status;
    response
}

fn capitalised(message: &str) -> String {
    let mut chars = message.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
