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

/// Runs snarkjs 0.7.6 from `target/snarkjs-tools` (the prover's snarkjs
/// tests install it) in `dir`, as a user runs it (Node.js start-up
/// included); returns how long it took, panicking if it failed.
pub fn snarkjs(dir: &std::path::Path, args: &[&str]) -> std::time::Duration {
    let cli = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the benches crate sits in the workspace")
        .join("target/snarkjs-tools/node_modules/snarkjs/build/cli.cjs");
    let start = std::time::Instant::now();
    let out = std::process::Command::new("node")
        .arg(cli)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("node runs");
    let elapsed = start.elapsed();
    assert!(
        out.status.success(),
        "snarkjs {args:?}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    elapsed
}

/// The median of three runs of `run`.
pub fn median_of_3(mut run: impl FnMut() -> std::time::Duration) -> std::time::Duration {
    let mut times = [run(), run(), run()];
    times.sort();
    times[1]
}
