//! Write rate limits: per client address and per participant key.
//!
//! Authorities are configured and sign with known keys; the writes anyone
//! can make are those authorised by a participant's own key (consents,
//! custody transfers, doses, trustee records) or by a proof (ballots,
//! claims). An append-only log can never remove what it took, so those
//! writes are metered before anything is checked or stored: per client
//! address (the connection's peer) and per participant key, each a GCRA
//! bucket (the `governor` crate) with a sustained rate and a burst. A
//! refusal is `429 rate_limited` with `Retry-After`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};

use crate::server::error::{ApiError, ApiResult};

/// The `[limits]` section of the config.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Participant and proof writes per second one client address may
    /// sustain (0: unlimited).
    pub client_writes_per_sec: u32,
    /// How many such writes a client may make at once before the rate applies.
    pub client_burst: u32,
    /// Writes per second one participant key may sustain (0: unlimited).
    pub key_writes_per_sec: u32,
    /// How many writes a participant key may make at once.
    pub key_burst: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            client_writes_per_sec: 50,
            client_burst: 500,
            key_writes_per_sec: 20,
            key_burst: 200,
        }
    }
}

/// The address of the client a request came from, as the serve loop
/// records it on each connection; `None` for requests handed to the router
/// in process (tests, benches), which no per-client limit applies to.
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}

/// The write meters of one service.
pub struct WriteLimits {
    per_client: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_key: Option<DefaultKeyedRateLimiter<[u8; 32]>>,
    clock: DefaultClock,
}

fn limiter<K: std::hash::Hash + Eq + Clone>(
    per_sec: u32,
    burst: u32,
) -> Option<DefaultKeyedRateLimiter<K>> {
    let rate = NonZeroU32::new(per_sec)?;
    let burst = NonZeroU32::new(burst).unwrap_or(rate);
    Some(RateLimiter::keyed(
        Quota::per_second(rate).allow_burst(burst),
    ))
}

impl WriteLimits {
    /// Meters as configured.
    pub fn new(config: &LimitsConfig) -> Self {
        Self {
            per_client: limiter(config.client_writes_per_sec, config.client_burst),
            per_key: limiter(config.key_writes_per_sec, config.key_burst),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one participant or proof write from `client`.
    pub fn check_client(&self, client: IpAddr) -> ApiResult<()> {
        self.check(&self.per_client, &client, "this client address")
    }

    /// Counts one write signed by the participant key `key`.
    pub fn check_key(&self, key: &[u8; 32]) -> ApiResult<()> {
        self.check(&self.per_key, key, "this key")
    }

    fn check<K: std::hash::Hash + Eq + Clone>(
        &self,
        limiter: &Option<DefaultKeyedRateLimiter<K>>,
        key: &K,
        who: &str,
    ) -> ApiResult<()> {
        let Some(limiter) = limiter else {
            return Ok(());
        };
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            ApiError::rate_limited(
                format!("too many writes from {who}; try again later"),
                wait.as_secs() + 1,
            )
        })
    }

    /// Shares the meters, and forgets idle buckets every minute for as long
    /// as they are in use.
    pub fn start_forgetting(self) -> std::sync::Arc<Self> {
        let limits = std::sync::Arc::new(self);
        let weak = std::sync::Arc::downgrade(&limits);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                match weak.upgrade() {
                    Some(limits) => limits.forget_idle(),
                    None => break,
                }
            }
        });
        limits
    }

    /// Forgets buckets that are full again, so memory follows the clients
    /// active now, not every address and key ever seen.
    pub fn forget_idle(&self) {
        if let Some(l) = &self.per_client {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.per_key {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_applies_per_client_and_per_key() {
        let limits = WriteLimits::new(&LimitsConfig {
            client_writes_per_sec: 1,
            client_burst: 3,
            key_writes_per_sec: 1,
            key_burst: 2,
        });
        let (a, b) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            limits.check_client(a).unwrap();
        }
        let refused = limits.check_client(a).unwrap_err();
        assert_eq!(refused.code(), "rate_limited");
        // Another client is metered on its own.
        limits.check_client(b).unwrap();
        for _ in 0..2 {
            limits.check_key(&[1; 32]).unwrap();
        }
        assert!(limits.check_key(&[1; 32]).is_err());
        limits.check_key(&[2; 32]).unwrap();
    }

    #[test]
    fn zero_means_unlimited() {
        let limits = WriteLimits::new(&LimitsConfig {
            client_writes_per_sec: 0,
            client_burst: 0,
            key_writes_per_sec: 0,
            key_burst: 0,
        });
        for _ in 0..10_000 {
            limits.check_client("10.0.0.1".parse().unwrap()).unwrap();
            limits.check_key(&[1; 32]).unwrap();
        }
    }
}
