//! Criterion benchmarks over the whole of zkaudit; see `benches/` and
//! BENCHMARKS.md. This library only holds helpers the benches share.

use ed25519_dalek::SigningKey;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;
use zkaudit_ledger::sequencer::Pending;

/// The origin of the log [`log_key`] signs for.
pub const BENCH_LOG: &str = "bench.zkaudit/log";

/// A deterministic log key.
pub fn log_key() -> NoteSigningKey {
    let key = SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(1));
    NoteSigningKey::from_signing_key(BENCH_LOG, key).expect("valid key name")
}

/// A deterministic key named `name`, drawn from `seed`.
pub fn named_key(name: &str, seed: u64) -> NoteSigningKey {
    let key = SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(seed));
    NoteSigningKey::from_signing_key(name, key).expect("valid key name")
}

/// `n` distinct signed notice records of about `payload_len` bytes, as pending entries.
pub fn pending_notices(start: u64, n: u64, payload_len: usize) -> Vec<Pending> {
    let author = SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(2));
    (start..start + n)
        .map(|i| {
            let mut payload = format!("notice {i} ").into_bytes();
            payload.resize(payload_len, b'.');
            let record = Record::signed(
                BENCH_LOG,
                "ledger",
                "notice",
                1_700_000_000_000 + i,
                payload,
                &author,
            )
            .expect("valid record");
            Pending::new(&record).topic(b"ledger/notice".to_vec())
        })
        .collect()
}

/// PostgreSQL URL for benches (same default as the tests).
pub fn postgres_url() -> String {
    std::env::var("ZKAUDIT_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test".into())
}
