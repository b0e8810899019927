//! Phase 1 (powers of tau) against snarkjs, in the same run, on a file of
//! power 11: one contribution, the beacon, `prepare phase2` and `verify`
//! of the prepared file, each as a user runs it (read the file, work, write
//! the result).
//!
//! snarkjs 0.7.6 must be in `target/snarkjs-tools` (the prover's snarkjs
//! tests install it); it runs as a process (Node.js start-up included), timed
//! 3 times per operation, median printed. `cargo bench -p zkaudit-benches
//! --bench phase1`

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use zkaudit_benches::{median_of_3, snarkjs};
use zkaudit_prover::iden3::PowersOfTau;
use zkaudit_prover::phase1::{
    beacon, contribute, new_powers_of_tau, prepare_phase2, verify_powers_of_tau,
};

const POWER: u32 = 11;

fn read(path: &PathBuf) -> PowersOfTau {
    PowersOfTau::from_bytes(&std::fs::read(path).unwrap()).unwrap()
}

fn phase1(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let (one, _) = contribute(&new_powers_of_tau(POWER).unwrap(), "one", &mut rng).unwrap();
    std::fs::write(d.join("one.ptau"), one.to_bytes()).unwrap();
    let prepared = prepare_phase2(&one);
    std::fs::write(d.join("prepared.ptau"), prepared.to_bytes()).unwrap();

    let mut group = c.benchmark_group("phase1");
    group.sample_size(10);
    group.bench_function(format!("power {POWER}/contribute (zkaudit)"), |b| {
        b.iter(|| {
            let file = read(&d.join("one.ptau"));
            let (next, _) = contribute(&file, "bench", &mut rng).unwrap();
            std::fs::write(d.join("ours.ptau"), next.to_bytes()).unwrap();
        })
    });
    group.bench_function(format!("power {POWER}/beacon (zkaudit)"), |b| {
        b.iter(|| {
            let file = read(&d.join("one.ptau"));
            let (next, _) = beacon(&file, "bench", &[1, 2, 3], 10).unwrap();
            std::fs::write(d.join("ours.ptau"), next.to_bytes()).unwrap();
        })
    });
    group.bench_function(format!("power {POWER}/prepare phase2 (zkaudit)"), |b| {
        b.iter(|| {
            let file = read(&d.join("one.ptau"));
            std::fs::write(d.join("ours.ptau"), prepare_phase2(&file).to_bytes()).unwrap();
        })
    });
    group.bench_function(format!("power {POWER}/verify prepared (zkaudit)"), |b| {
        b.iter(|| {
            let file = read(&d.join("prepared.ptau"));
            verify_powers_of_tau(&file, &mut rng).unwrap()
        })
    });
    group.finish();

    let contribute = median_of_3(|| {
        snarkjs(
            d,
            &[
                "powersoftau",
                "contribute",
                "one.ptau",
                "theirs.ptau",
                "-e=bench",
            ],
        )
    });
    let beacon = median_of_3(|| {
        snarkjs(
            d,
            &[
                "powersoftau",
                "beacon",
                "one.ptau",
                "theirs.ptau",
                "010203",
                "10",
            ],
        )
    });
    let prepare = median_of_3(|| {
        snarkjs(
            d,
            &[
                "powersoftau",
                "prepare",
                "phase2",
                "one.ptau",
                "theirs.ptau",
            ],
        )
    });
    let verify = median_of_3(|| snarkjs(d, &["powersoftau", "verify", "prepared.ptau"]));
    println!(
        "phase1/power {POWER}/snarkjs: contribute {:.2} s, beacon {:.2} s, prepare phase2 {:.2} s, \
         verify prepared {:.2} s (median of 3)",
        contribute.as_secs_f64(),
        beacon.as_secs_f64(),
        prepare.as_secs_f64(),
        verify.as_secs_f64()
    );
}

criterion_group!(benches, phase1);
criterion_main!(benches);
