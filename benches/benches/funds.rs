//! Public-funds totals (halo2, IPA over Pasta): keygen, proving and
//! verifying one 1,024-item × 16-category chunk, proof size, and a
//! 20,000-item period proved in parallel chunks end to end.
//!
//! `cargo bench -p zkaudit-benches --bench funds`
//!
//! Proving takes seconds, so proving and the period are timed once
//! (printed to stderr); criterion samples verification.

use std::time::Instant;

use chacha20::ChaCha20Rng;
use chacha20::rand_core::SeedableRng;
use criterion::{Criterion, criterion_group, criterion_main};
use zkaudit_circuits::funds::{
    FundsParams, FundsProvingKey, FundsShape, ItemOpening, PeriodReport, item_commitment, pallas,
    prove_period, verify_period,
};

/// Items of a period: varied amounts over all 16 categories.
fn openings(count: usize, rng: &mut ChaCha20Rng) -> Vec<ItemOpening> {
    (0..count)
        .map(|i| {
            let amount = 1_000 + (i as u64).wrapping_mul(7_919) % 10_000_000;
            ItemOpening::random(amount, (i % 16) as u16, &mut *rng)
        })
        .collect()
}

fn funds(c: &mut Criterion) {
    let shape = FundsShape::PRODUCTION;
    let k = shape.k();
    let cache = std::env::temp_dir().join(format!("zkaudit-funds-ipa-k{k}.params"));
    let start = Instant::now();
    let params = FundsParams::load_or_create(&cache, k).unwrap();
    eprintln!(
        "params k = {k}: {:?} (cache {})",
        start.elapsed(),
        cache.display()
    );
    let start = Instant::now();
    let pk = FundsProvingKey::generate(&params, shape).unwrap();
    eprintln!("keygen (vk + pk): {:?}", start.elapsed());
    let vk = pk.verifying_key();
    let mut rng = ChaCha20Rng::seed_from_u64(11);

    // One chunk: 1,024 items × 16 categories.
    let items = openings(shape.chunk_size(), &mut rng);
    let log: Vec<pallas::Base> = items.iter().map(item_commitment).collect();
    let start = Instant::now();
    let report = prove_period(&items, &pk, &params, &mut rng).unwrap();
    eprintln!(
        "prove 1,024 items × 16 categories: {:?}; proof {} bytes (period encoding {} bytes)",
        start.elapsed(),
        report.proof.chunks[0].proof.len(),
        report.proof.to_bytes().len()
    );
    let mut group = c.benchmark_group("funds");
    group.sample_size(10);
    // Verifies a proved period against its logged commitments.
    let verify = |log: &[pallas::Base], report: &PeriodReport| {
        verify_period(
            log,
            &report.totals,
            report.final_blinding,
            &report.proof,
            &params,
            &vk,
        )
        .unwrap()
    };
    group.bench_function("verify 1,024 items x 16 categories", |b| {
        b.iter(|| verify(&log, &report))
    });

    // A 20,000-item period: 20 chunks, proved in parallel
    // (`ZKAUDIT_BENCH_FUNDS_PERIOD=<items>` sets another size, 0 skips it).
    let period_items = std::env::var("ZKAUDIT_BENCH_FUNDS_PERIOD")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    if period_items == 0 {
        group.finish();
        return;
    }
    let items = openings(period_items, &mut rng);
    let log: Vec<pallas::Base> = items.iter().map(item_commitment).collect();
    let start = Instant::now();
    let report = prove_period(&items, &pk, &params, &mut rng).unwrap();
    eprintln!(
        "prove {period_items}-item period ({} chunks): {:?}; encoding {} bytes",
        report.proof.chunks.len(),
        start.elapsed(),
        report.proof.to_bytes().len()
    );
    group.bench_function(
        format!("verify {period_items}-item period (batched)"),
        |b| b.iter(|| verify(&log, &report)),
    );
    group.finish();
}

criterion_group!(benches, funds);
criterion_main!(benches);
