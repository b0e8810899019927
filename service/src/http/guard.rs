//! What every request goes through before the server's routes: URIs over
//! the limit are refused, and a request body must arrive in time.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::Response;
use hyper::body::{Frame, SizeHint};

use super::limits::RenderError;

/// What [`guard`] needs to know.
#[derive(Clone)]
pub(super) struct Guard {
    /// Longest URI served, in bytes.
    pub(super) max_uri_bytes: usize,
    /// Time allowed for a request body, from its head.
    pub(super) body_timeout: Duration,
    /// Renders the refusals.
    pub(super) render: RenderError,
}

/// Refuses over-long URIs with `414 uri_too_long`, and answers a request
/// whose body does not arrive within the body timeout `408 body_timeout`
/// (closing the connection, whose unread rest cannot be trusted).
pub(super) async fn guard(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let uri_len = uri_len(request.uri());
    if uri_len > guard.max_uri_bytes {
        return (guard.render)(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!(
                "the request URI has {uri_len} bytes; at most {} are served",
                guard.max_uri_bytes
            ),
        );
    }
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let expired = Arc::new(AtomicBool::new(false));
    let request = request.map(|body| {
        Body::new(DeadlineBody {
            inner: body,
            deadline: Box::pin(tokio::time::sleep(guard.body_timeout)),
            expired: expired.clone(),
        })
    });
    let response = next.run(request).await;
    if !expired.load(Ordering::Relaxed) {
        return response;
    }
    let mut response = (guard.render)(
        StatusCode::REQUEST_TIMEOUT,
        "body_timeout",
        format!(
            "the request body did not arrive within {} s",
            guard.body_timeout.as_secs_f64()
        ),
    );
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The URI's length as it was written on the request line.
fn uri_len(uri: &Uri) -> usize {
    uri.scheme_str().map_or(0, |s| s.len() + "://".len())
        + uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path_and_query().map_or(0, |p| p.as_str().len())
}

/// The body timeout passed before the body ended.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
struct BodyTimedOut;

/// A request body that fails once its deadline passes.
struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
    expired: Arc<AtomicBool>,
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.expired.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_length_counts_what_the_request_line_carried() {
        assert_eq!(uri_len(&"/v1/log?x=1".parse().unwrap()), 11);
        assert_eq!(uri_len(&"http://a.b/c".parse().unwrap()), 12);
        assert_eq!(uri_len(&"*".parse().unwrap()), 1);
    }
}
