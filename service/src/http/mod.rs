//! The one HTTP serve loop of `zkaudit serve`, `zkaudit witness` and the
//! in-process service of the demo and the tests: hyper's HTTP/1.1
//! connections over a tokio listener, with the limits a public-facing
//! server needs and axum's `serve` lacks.
//!
//! * a request head (request line and headers) must arrive within
//!   [`ServeLimits::header_read_timeout`], and an idle keep-alive connection is
//!   closed when its next request does not start within the same time;
//! * a request body must be complete within [`ServeLimits::body_timeout`] of its
//!   head, or the request is answered `408 body_timeout` and the connection
//!   closed;
//! * a connection is closed after its current request once it is
//!   [`ServeLimits::max_connection_age`] old (keep-alive expiry), and dropped if
//!   still busy at twice that age (a client that never reads its answer);
//! * at most [`ServeLimits::max_connections`] connections are served at once;
//!   up to [`ServeLimits::max_overflow_connections`] more are accepted only to
//!   be answered `503 overloaded` with `Retry-After` and closed; with both
//!   full, accepting pauses until a connection ends (the kernel's backlog
//!   holds the rest), and accept errors such as running out of file
//!   descriptors back off instead of spinning or stopping the server;
//! * a request whose URI is longer than [`ServeLimits::max_uri_bytes`] is
//!   answered `414 uri_too_long`.
//!
//! The errors this layer answers itself are rendered by the caller's
//! [`RenderError`], so each server keeps its one error shape (the API's
//! JSON, the witness's plain text). A URI longer than hyper's own limit of
//! 65,534 bytes, and a request head larger than hyper's read buffer
//! (about 400 KiB), are refused by hyper before any service runs, with a
//! bare `414` or `431` and no body.
//!
//! Shutdown is graceful: once the shutdown future resolves the listener
//! closes, idle connections close, and requests in flight are finished
//! before [`serve`] returns.

mod connections;
mod guard;
mod limits;
pub mod shutdown;

pub use self::connections::serve;
pub use self::limits::{OVERLOADED_RETRY_AFTER_SECS, RenderError, ServeLimits};
