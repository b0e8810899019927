//! The wall clock, as the Unix milliseconds records carry.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current Unix time in milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
