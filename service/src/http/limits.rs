//! The limits of a server and how it renders the errors it answers itself.

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::Response;

/// Renders an error this layer answers itself (`status`, stable `code`,
/// human-readable message) in the server's own error shape.
pub type RenderError = fn(StatusCode, &'static str, String) -> Response;

/// `Retry-After` of the `503 overloaded` answer, in seconds.
pub const OVERLOADED_RETRY_AFTER_SECS: u64 = 2;

/// The connection limits of a server.
#[derive(Clone, Debug)]
pub struct ServeLimits {
    /// Time allowed for a request head to arrive; also how long an idle
    /// keep-alive connection waits for its next request.
    pub header_read_timeout: Duration,
    /// Time allowed for a request body to arrive, counted from its head.
    pub body_timeout: Duration,
    /// A connection is closed after its current request once this old; one
    /// still busy at twice this age is dropped.
    pub max_connection_age: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// Connections accepted beyond `max_connections` only to be answered
    /// `503 overloaded`; with these full too, accepting pauses.
    pub max_overflow_connections: usize,
    /// Longest request URI served, in bytes.
    pub max_uri_bytes: usize,
}

impl ServeLimits {
    /// Defaults for a server on the public internet.
    pub const DEFAULT: Self = Self {
        header_read_timeout: Duration::from_secs(10),
        body_timeout: Duration::from_secs(30),
        max_connection_age: Duration::from_secs(300),
        max_connections: 1024,
        max_overflow_connections: 64,
        max_uri_bytes: 8 * 1024,
    };
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
