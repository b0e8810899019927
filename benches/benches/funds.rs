//! Public-funds totals (halo2, IPA over Pasta): keygen, proving and
//! verifying one 1,024-item × 16-category chunk, proof size, and a
//! 20,000-item period proved in parallel chunks end to end — in the
//! current layout (version 2, two Poseidon chips, `k` = 15) and, in the
//! same run, the old one (version 1, one chip, `k` = 16) as the anchor.
//!
//! `cargo bench -p zkaudit-benches --bench funds`
//!
//! Proving takes seconds, so proving and the period are timed by hand
//! (printed to stderr; a chunk three times, the median shown); criterion
//! samples verification. `ZKAUDIT_BENCH_FUNDS_PERIOD=<items>` sets the
//! period's size (0 skips it).

use std::time::{Duration, Instant};

use chacha20::ChaCha20Rng;
use chacha20::rand_core::SeedableRng;
use criterion::{Criterion, criterion_group, criterion_main};
use zkaudit_circuits::funds::{
    FundsLayout, FundsParams, FundsProvingKey, FundsShape, ItemOpening, PeriodReport,
    item_commitment, pallas, prove_period, verify_period,
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
    let period_items = std::env::var("ZKAUDIT_BENCH_FUNDS_PERIOD")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let mut group = c.benchmark_group("funds");
    group.sample_size(10);
    for layout in [FundsLayout::CURRENT, FundsLayout::OneHasher] {
        let shape = FundsShape::PRODUCTION.with_layout(layout);
        let name = format!("v{}", layout.version());
        let k = shape.k();
        let cache = std::env::temp_dir().join(format!("zkaudit-funds-ipa-k{k}.params"));
        let start = Instant::now();
        let params = FundsParams::load_or_create(&cache, k).unwrap();
        eprintln!(
            "{name}: params k = {k}: {:?} (cache {})",
            start.elapsed(),
            cache.display()
        );
        let start = Instant::now();
        let pk = FundsProvingKey::generate(&params, shape).unwrap();
        eprintln!("{name}: keygen (vk + pk): {:?}", start.elapsed());
        let vk = pk.verifying_key();
        let mut rng = ChaCha20Rng::seed_from_u64(11);

        // One chunk: 1,024 items × 16 categories, proved three times.
        let items = openings(shape.chunk_size(), &mut rng);
        let log: Vec<pallas::Base> = items.iter().map(item_commitment).collect();
        let mut times: Vec<Duration> = Vec::new();
        let mut report = None;
        for _ in 0..3 {
            let start = Instant::now();
            report = Some(prove_period(&items, &pk, &params, &mut rng).unwrap());
            times.push(start.elapsed());
        }
        times.sort();
        let report = report.expect("proved");
        eprintln!(
            "{name}: prove 1,024 items × 16 categories: median {:?} of {times:?}; proof {} bytes (period encoding {} bytes)",
            times[1],
            report.proof.chunks[0].proof.len(),
            report.proof.to_bytes().len()
        );
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
        group.bench_function(format!("{name} verify 1,024 items x 16 categories"), |b| {
            b.iter(|| verify(&log, &report))
        });

        // A period (20,000 items: 20 chunks), proved in parallel.
        if period_items == 0 {
            continue;
        }
        let items = openings(period_items, &mut rng);
        let log: Vec<pallas::Base> = items.iter().map(item_commitment).collect();
        let start = Instant::now();
        let report = prove_period(&items, &pk, &params, &mut rng).unwrap();
        eprintln!(
            "{name}: prove {period_items}-item period ({} chunks): {:?}; encoding {} bytes",
            report.proof.chunks.len(),
            start.elapsed(),
            report.proof.to_bytes().len()
        );
        group.bench_function(
            format!("{name} verify {period_items}-item period (batched)"),
            |b| b.iter(|| verify(&log, &report)),
        );
    }
    group.finish();
}

criterion_group!(benches, funds);
criterion_main!(benches);
