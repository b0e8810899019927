//! The Groth16 phase-2 ceremony against snarkjs, in the same run: one
//! contribution (read the key, contribute, write it) and the full check of
//! a 10-contribution transcript, for the eligibility (2^13) and ballot
//! (2^15) shapes.
//!
//! Needs a phase-1 file prepared for phase 2 of power ≥ 15 at
//! `$ZKAUDIT_BENCH_PTAU` (default `target/ptau/pot15.ptau`), made once with
//! snarkjs (about 15 minutes on 2 cores):
//!
//! ```sh
//! S="node target/snarkjs-tools/node_modules/snarkjs/build/cli.cjs"
//! $S powersoftau new bn128 15 p0.ptau && $S powersoftau contribute p0.ptau p1.ptau -e=x \
//!   && $S powersoftau prepare phase2 p1.ptau target/ptau/pot15.ptau
//! ```
//!
//! and snarkjs 0.7.6 in `target/snarkjs-tools` (the prover's snarkjs tests
//! install it). snarkjs runs as a process (Node.js start-up included, as a
//! user runs it); it is timed 3 times per operation, median printed, since
//! one `zkey verify` of the ballot key takes minutes. `cargo bench -p
//! zkaudit-benches --bench ceremony`

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use zkaudit_benches::{median_of_3, snarkjs};
use zkaudit_circuits::ballot::BallotShape;
use zkaudit_circuits::ballot::constraints::BallotCircuit;
use zkaudit_circuits::eligibility::{EligibilityCircuit, EligibilityShape};
use zkaudit_prover::ceremony::{contribute, verify_ceremony, verify_contribution};
use zkaudit_prover::iden3::{Ptau, R1cs, Zkey};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn ptau_path() -> PathBuf {
    std::env::var_os("ZKAUDIT_BENCH_PTAU")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/ptau/pot15.ptau"))
}

/// A shape's r1cs, its snarkjs initial key and a 10-contribution key made
/// here, in `dir`.
struct Shape {
    name: &'static str,
    dir: tempfile::TempDir,
    r1cs: R1cs,
    initial: Zkey,
    tenth: Zkey,
}

fn shape(name: &'static str, r1cs: R1cs) -> Shape {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("circuit.r1cs"), r1cs.to_bytes().unwrap()).unwrap();
    let ptau = ptau_path();
    snarkjs(
        dir.path(),
        &[
            "groth16",
            "setup",
            "circuit.r1cs",
            ptau.to_str().unwrap(),
            "key0.zkey",
        ],
    );
    let initial = Zkey::from_bytes(&std::fs::read(dir.path().join("key0.zkey")).unwrap()).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let mut key = initial.clone();
    for i in 0..10 {
        key = contribute(&key, &format!("contributor {i}"), &mut rng)
            .unwrap()
            .0;
    }
    std::fs::write(dir.path().join("key10.zkey"), key.to_bytes()).unwrap();
    Shape {
        name,
        dir,
        r1cs,
        initial,
        tenth: key,
    }
}

fn ceremony(c: &mut Criterion) {
    let ptau_bytes = std::fs::read(ptau_path()).expect("the prepared .ptau (see the file's doc)");
    let shapes = [
        shape(
            "eligibility-d20-a3",
            R1cs::of_circuit(EligibilityCircuit::blank(
                EligibilityShape::new(20, 3).unwrap(),
            ))
            .unwrap(),
        ),
        shape(
            "ballot-d20-a3-o4",
            R1cs::of_circuit(BallotCircuit::blank(BallotShape::new(20, 3, 4).unwrap())).unwrap(),
        ),
    ];
    let mut group = c.benchmark_group("ceremony");
    group.sample_size(10);
    for s in &shapes {
        let dir = s.dir.path();
        let key0 = dir.join("key0.zkey");
        // Contribute as a user does: read the key, contribute, write it.
        group.bench_function(format!("{}/contribute (zkaudit)", s.name), |b| {
            let mut rng = ChaCha20Rng::seed_from_u64(9);
            b.iter(|| {
                let key = Zkey::for_contribution(&std::fs::read(&key0).unwrap()).unwrap();
                let (next, _) = contribute(&key, "bench", &mut rng).unwrap();
                std::fs::write(dir.join("ours.zkey"), next.to_bytes()).unwrap();
            })
        });
        let (one, _) = contribute(&s.initial, "one", &mut ChaCha20Rng::seed_from_u64(3)).unwrap();
        group.bench_function(
            format!("{}/verify one contribution (zkaudit)", s.name),
            |b| {
                let mut rng = ChaCha20Rng::seed_from_u64(11);
                b.iter(|| verify_contribution(&s.initial, &one, &mut rng).unwrap())
            },
        );
        group.bench_function(
            format!("{}/verify 10-contribution ceremony (zkaudit)", s.name),
            |b| {
                let mut rng = ChaCha20Rng::seed_from_u64(13);
                b.iter(|| {
                    let key =
                        Zkey::from_bytes(&std::fs::read(dir.join("key10.zkey")).unwrap()).unwrap();
                    let ptau = Ptau::parse(&ptau_bytes).unwrap();
                    verify_ceremony(&s.r1cs, &ptau, &key, &mut rng).unwrap()
                })
            },
        );
        assert_eq!(s.tenth.contributions(), 10);
    }
    group.finish();

    // snarkjs on the same files, in the same run.
    let ptau = ptau_path();
    for s in &shapes {
        let dir = s.dir.path();
        let contribute = median_of_3(|| {
            snarkjs(
                dir,
                &["zkey", "contribute", "key0.zkey", "theirs.zkey", "-e=bench"],
            )
        });
        let verify = median_of_3(|| {
            snarkjs(
                dir,
                &[
                    "zkey",
                    "verify",
                    "circuit.r1cs",
                    ptau.to_str().unwrap(),
                    "key10.zkey",
                ],
            )
        });
        println!(
            "ceremony/{}/snarkjs: zkey contribute {:.2} s, zkey verify (10 contributions) {:.2} s (median of 3)",
            s.name,
            contribute.as_secs_f64(),
            verify.as_secs_f64()
        );
    }
}

criterion_group!(benches, ceremony);
criterion_main!(benches);
