//! The accept loop and the life of each connection.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, StatusCode, header};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::{Layer as _, ServiceExt as _};

use super::guard::{Guard, guard};
use super::limits::{OVERLOADED_RETRY_AFTER_SECS, RenderError, ServeLimits};

/// Longest wait for the request head of a connection that is only to be
/// answered `503` (never longer than the header read timeout).
const OVERFLOW_HEAD_TIMEOUT: Duration = Duration::from_secs(2);

/// First and longest pause after an accept error.
const ACCEPT_BACKOFF: (Duration, Duration) = (Duration::from_millis(10), Duration::from_secs(1));

/// Serves `router` on `listener` within `limits` until `shutdown` resolves,
/// then stops accepting, lets the requests in flight finish and returns.
/// Errors this layer answers itself are rendered by `render`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    render: RenderError,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let guarded = axum::middleware::from_fn_with_state(
        Guard {
            max_uri_bytes: limits.max_uri_bytes,
            body_timeout: limits.body_timeout,
            render,
        },
        guard,
    )
    .layer(router);

    let mut served = http1::Builder::new();
    served
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let mut overflow = http1::Builder::new();
    overflow
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout.min(OVERFLOW_HEAD_TIMEOUT))
        .keep_alive(false);

    let slots = Slots::new(&limits);
    // Dropped at shutdown: every connection then finishes gracefully.
    let (stop_tx, stop_rx) = watch::channel(());
    let mut backoff = AcceptBackoff::default();
    let mut saturated = false;
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            biased;
            () = &mut shutdown => break,
            slot = slots.next() => slot,
        };
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    backoff.failed(&error).await;
                    continue;
                }
            },
        };
        backoff.succeeded();
        let slot = slots.upgrade(slot);
        match slot {
            Slot::Served(permit) => {
                saturated = false;
                // Each request carries its connection's peer, as axum's
                // `ConnectInfo` (what per-client limits key on).
                let service = TowerToHyperService::new(guarded.clone().map_request(
                    move |request: Request<Incoming>| {
                        let mut request = request.map(Body::new);
                        request.extensions_mut().insert(ConnectInfo(peer));
                        request
                    },
                ));
                let connection = served.serve_connection(TokioIo::new(stream), service);
                tokio::spawn(run_connection(
                    connection,
                    limits.max_connection_age,
                    stop_rx.clone(),
                    permit,
                ));
            }
            Slot::Overflow(permit) => {
                if !saturated {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "connection limit reached: answering 503 to new connections"
                    );
                    saturated = true;
                }
                tokio::spawn(answer_overloaded(&overflow, stream, render, permit));
            }
        }
    }
    drop(listener);
    drop(stop_tx);
    drop(stop_rx);
    slots.drained().await;
    Ok(())
}

/// Serves one connection until it ends, closing it gracefully when the
/// server shuts down or the connection grows too old.
async fn run_connection<S>(
    connection: http1::Connection<TokioIo<TcpStream>, S>,
    max_age: Duration,
    mut stop: watch::Receiver<()>,
    permit: OwnedSemaphorePermit,
) where
    S: hyper::service::HttpService<Incoming, ResBody = Body>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    tokio::pin!(connection);
    let aged = tokio::time::sleep(max_age);
    tokio::pin!(aged);
    let stopping = tokio::select! {
        result = connection.as_mut() => {
            log_end(result);
            drop(permit);
            return;
        }
        _ = stop.changed() => true,
        () = &mut aged => false,
    };
    connection.as_mut().graceful_shutdown();
    if stopping {
        log_end(connection.await);
    } else {
        match tokio::time::timeout(max_age, connection).await {
            Ok(result) => log_end(result),
            Err(_) => tracing::debug!("dropped a connection still busy at twice its maximum age"),
        }
    }
    drop(permit);
}

fn log_end(result: hyper::Result<()>) {
    if let Err(error) = result {
        tracing::debug!(%error, "connection ended with an error");
    }
}

/// Answers every request of `stream` (at most one: keep-alive is off)
/// `503 overloaded` with `Retry-After`, then closes it.
fn answer_overloaded(
    builder: &http1::Builder,
    stream: TcpStream,
    render: RenderError,
    permit: OwnedSemaphorePermit,
) -> impl Future<Output = ()> + use<> {
    let service = hyper::service::service_fn(move |_request: Request<Incoming>| async move {
        let mut response = render(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "the server is at its connection limit; retry later".to_owned(),
        );
        let headers = response.headers_mut();
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from(OVERLOADED_RETRY_AFTER_SECS),
        );
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        Ok::<_, Infallible>(response)
    });
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    async move {
        log_end(connection.await);
        drop(permit);
    }
}

/// What an accepted connection may use.
enum Slot {
    /// One of the connections served.
    Served(OwnedSemaphorePermit),
    /// One of the connections only answered `503`.
    Overflow(OwnedSemaphorePermit),
}

/// The connection slots: served ones, and overflow ones answered `503`.
struct Slots {
    served: Arc<Semaphore>,
    overflow: Arc<Semaphore>,
    limits: (u32, u32),
}

impl Slots {
    fn new(limits: &ServeLimits) -> Self {
        let served = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX >> 3);
        let overflow = u32::try_from(limits.max_overflow_connections).unwrap_or(u32::MAX >> 3);
        Self {
            served: Arc::new(Semaphore::new(served as usize)),
            overflow: Arc::new(Semaphore::new(overflow as usize)),
            limits: (served, overflow),
        }
    }

    /// A free slot, served ones first; waits while all are taken.
    async fn next(&self) -> Slot {
        if let Ok(permit) = self.served.clone().try_acquire_owned() {
            return Slot::Served(permit);
        }
        if let Ok(permit) = self.overflow.clone().try_acquire_owned() {
            return Slot::Overflow(permit);
        }
        tokio::select! {
            Ok(permit) = self.served.clone().acquire_owned() => Slot::Served(permit),
            Ok(permit) = self.overflow.clone().acquire_owned() => Slot::Overflow(permit),
            else => unreachable!("the connection semaphores are never closed"),
        }
    }

    /// `slot`, or a served slot in its place if one came free meanwhile.
    fn upgrade(&self, slot: Slot) -> Slot {
        match slot {
            Slot::Overflow(permit) => match self.served.clone().try_acquire_owned() {
                Ok(served) => Slot::Served(served),
                Err(_) => Slot::Overflow(permit),
            },
            served => served,
        }
    }

    /// Resolves once every connection has ended.
    async fn drained(&self) {
        let _ = self.served.acquire_many(self.limits.0).await;
        let _ = self.overflow.acquire_many(self.limits.1).await;
    }
}

/// Pauses after accept errors, longer after each in a row, so running out
/// of file descriptors neither spins the loop nor stops the server.
#[derive(Default)]
struct AcceptBackoff {
    failures: u32,
}

impl AcceptBackoff {
    async fn failed(&mut self, error: &io::Error) {
        if matches!(
            error.kind(),
            io::ErrorKind::ConnectionAborted
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionRefused
                | io::ErrorKind::Interrupted
        ) {
            // The peer gave up before we accepted: nothing is wrong here.
            return;
        }
        if self.failures == 0 {
            tracing::error!(%error, "accept error: pausing before accepting again");
        }
        let pause = backoff_pause(self.failures);
        self.failures = self.failures.saturating_add(1);
        tokio::time::sleep(pause).await;
    }

    fn succeeded(&mut self) {
        if self.failures > 0 {
            tracing::info!(failures = self.failures, "accepting again");
            self.failures = 0;
        }
    }
}

/// The pause after `failures` accept errors in a row (and one more).
fn backoff_pause(failures: u32) -> Duration {
    ACCEPT_BACKOFF
        .0
        .saturating_mul(1 << failures.min(7))
        .min(ACCEPT_BACKOFF.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_errors_back_off_up_to_a_second() {
        assert_eq!(backoff_pause(0), Duration::from_millis(10));
        assert_eq!(backoff_pause(1), Duration::from_millis(20));
        assert_eq!(backoff_pause(6), Duration::from_millis(640));
        assert_eq!(backoff_pause(7), Duration::from_secs(1));
        assert_eq!(backoff_pause(u32::MAX), Duration::from_secs(1));
    }
}
