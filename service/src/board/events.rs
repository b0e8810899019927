//! `GET /v1/log/events`: the log's new checkpoints as server-sent events,
//! so the board updates live (size, root, the signed note to verify).
//!
//! Each stream polls the sequencer's latest checkpoint (an in-memory read)
//! and sends a `checkpoint` event when it changes, the first at once. A
//! stream ends after [`STREAM_LIFETIME`], before the connection's age limit
//! would cut it, and the browser reconnects by itself; at most
//! [`MAX_STREAMS`] are open at once, so watchers cannot take every
//! connection from writers.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use serde::Serialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::server::error::ApiError;
use crate::server::state::AppState;

/// Streams open at once.
pub const MAX_STREAMS: usize = 256;
/// How long one stream lasts before the browser reconnects.
pub const STREAM_LIFETIME: Duration = Duration::from_secs(240);
const POLL: Duration = Duration::from_millis(500);

/// One `checkpoint` event.
#[derive(Serialize)]
struct CheckpointEvent {
    size: u64,
    root: String,
    note: String,
    /// Per domain, its headline counts (label, value).
    counts: DomainCounts,
}

/// Every domain's headline counts: domain name, then label and value.
pub type DomainCounts = Vec<(&'static str, Vec<(&'static str, u64)>)>;

/// The domains' headline counts at the latest checkpoint, computed once
/// per checkpoint whatever the number of watchers. Blocking (the domains
/// replay new records).
pub fn domain_counts(state: &AppState) -> Arc<DomainCounts> {
    static CACHE: OnceLock<Mutex<(u64, Arc<DomainCounts>)>> = OnceLock::new();
    let size = state.sequencer().latest_checkpoint().size;
    let cache = CACHE.get_or_init(|| Mutex::new((u64::MAX, Arc::new(Vec::new()))));
    let mut cached = cache.lock().unwrap_or_else(|e| e.into_inner());
    if cached.0 != size {
        let counts = state
            .domains()
            .iter()
            .filter_map(|d| {
                let counts = d.board_counts(state).ok()?;
                (!counts.is_empty()).then_some((d.name(), counts))
            })
            .collect();
        *cached = (size, Arc::new(counts));
    }
    cached.1.clone()
}

fn permits() -> Arc<Semaphore> {
    static PERMITS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    PERMITS
        .get_or_init(|| Arc::new(Semaphore::new(MAX_STREAMS)))
        .clone()
}

/// `GET /v1/log/events`.
pub async fn events(State(state): State<AppState>) -> Response {
    let Ok(permit) = permits().try_acquire_owned() else {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            format!("{MAX_STREAMS} event streams are open; poll /v1/log/checkpoint instead"),
        )
        .into_response();
    };
    Sse::new(checkpoints(state, permit))
        .keep_alive(KeepAlive::default())
        .into_response()
}

struct Watch {
    state: AppState,
    last: Option<u64>,
    ends: Instant,
    _permit: OwnedSemaphorePermit,
}

fn checkpoints(
    state: AppState,
    permit: OwnedSemaphorePermit,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let watch = Watch {
        state,
        last: None,
        ends: Instant::now() + STREAM_LIFETIME,
        _permit: permit,
    };
    stream::unfold(watch, |mut watch| async move {
        loop {
            if Instant::now() >= watch.ends {
                return None;
            }
            let size = watch.state.sequencer().latest_checkpoint().size;
            if watch.last != Some(size) {
                let latest = super::latest_checkpoint(&watch.state).await;
                let reader = watch.state.clone();
                let counts = tokio::task::spawn_blocking(move || domain_counts(&reader))
                    .await
                    .unwrap_or_default();
                watch.last = Some(latest.size);
                let event = CheckpointEvent {
                    size: latest.size,
                    root: hex::encode(latest.root),
                    note: String::from_utf8_lossy(&latest.note).into_owned(),
                    counts: counts.as_ref().clone(),
                };
                let event = Event::default()
                    .event("checkpoint")
                    .retry(Duration::from_secs(2))
                    .json_data(event)
                    .unwrap_or_else(|_| Event::default().comment("unencodable"));
                return Some((Ok(event), watch));
            }
            tokio::time::sleep(POLL).await;
        }
    })
}
