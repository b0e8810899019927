//! Keys that passed [`parse_verifying_key`](super::parse_verifying_key)'s
//! checks, remembered by their bytes so that a key signing many records is
//! checked once. The map from 32 bytes to a checked key is deterministic,
//! so a remembered key is exactly what checking again would give; the
//! cache is bounded, so keys sent to fill it only evict others.

use std::sync::OnceLock;

use ed25519_dalek::VerifyingKey;
use quick_cache::sync::Cache;

/// Keys remembered (about 200 bytes each, so at most about 1.6 MB).
const CAPACITY: usize = 8_192;

fn cache() -> &'static Cache<[u8; 32], VerifyingKey> {
    static ACCEPTED: OnceLock<Cache<[u8; 32], VerifyingKey>> = OnceLock::new();
    ACCEPTED.get_or_init(|| Cache::new(CAPACITY))
}

/// The checked key with these bytes, if it is remembered.
pub(super) fn get(bytes: &[u8; 32]) -> Option<VerifyingKey> {
    cache().get(bytes)
}

/// Remembers a key that passed the checks.
pub(super) fn insert(key: VerifyingKey) {
    cache().insert(key.to_bytes(), key);
}
