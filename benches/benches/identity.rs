//! Eligibility proofs at depth 20 with 3 predicates: constraints, setup,
//! prove, single and batch verification, batch-prover throughput and key sizes.
//!
//! `cargo bench -p zkaudit-benches --bench identity`

use ark_groth16::r1cs_to_qap::LibsnarkReduction;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use ark_serialize::CanonicalSerialize;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use zkaudit_circuits::Fr;
use zkaudit_circuits::eligibility::{
    EligibilityCircuit, EligibilityPublic, EligibilityShape, EligibilityWitness, credential_leaf,
    message_field, public_inputs,
};
use zkaudit_circuits::identity::Identity;
use zkaudit_circuits::lean_imt::LeanImt;
use zkaudit_circuits::predicate::AttributePredicate;
use zkaudit_prover::{prove, prove_batch, setup_development};
use zkaudit_verifier::groth16::{PreparedKey, verify, verify_batch};

const DEPTH: usize = 20;
const BATCH: usize = 64;

/// A registry of `members` credentials and `count` true statements about distinct holders.
fn statements(count: usize) -> Vec<EligibilityCircuit> {
    let shape = EligibilityShape::new(DEPTH, 3).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    let holders: Vec<(Identity, [u64; 3])> = (0..count.max(1000))
        .map(|i| {
            (
                Identity::random(&mut rng),
                [19_700_101 + i as u64, 1 + (i % 3) as u64, 20_300_101],
            )
        })
        .collect();
    let leaves: Vec<Fr> = holders
        .iter()
        .map(|(id, attrs)| credential_leaf(id.commitment(), attrs).unwrap())
        .collect();
    let tree = LeanImt::from_leaves(&leaves);
    let root = tree.root().unwrap();
    let scope = message_field(b"bench scope");
    let predicates = vec![
        AttributePredicate::at_most(20_080_101),
        AttributePredicate::one_of(&[1, 2, 3]).unwrap(),
        AttributePredicate::at_least(20_270_101),
    ];
    (0..count)
        .map(|i| {
            let (identity, attrs) = &holders[i];
            EligibilityCircuit {
                public: EligibilityPublic {
                    shape,
                    root,
                    nullifier: identity.nullifier(scope),
                    scope,
                    message: message_field(format!("request {i}").as_bytes()),
                    predicates: predicates.clone(),
                },
                witness: Some(EligibilityWitness {
                    secret: identity.secret_scalar(),
                    attributes: attrs.to_vec(),
                    path: tree
                        .generate_proof(i)
                        .unwrap()
                        .to_circuit_path(DEPTH)
                        .unwrap(),
                }),
            }
        })
        .collect()
}

fn eligibility(c: &mut Criterion) {
    let shape = EligibilityShape::new(DEPTH, 3).unwrap();
    let cs = ConstraintSystem::<Fr>::new_ref();
    EligibilityCircuit::blank(shape)
        .generate_constraints(cs.clone())
        .unwrap();
    println!("{}: {} constraints", shape.id(), cs.num_constraints());

    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let mut group = c.benchmark_group(format!("eligibility d{DEPTH} a3, 3 predicates"));
    group.sample_size(10);
    group.bench_function("setup", |b| {
        b.iter(|| setup_development(EligibilityCircuit::blank(shape), &mut rng).unwrap())
    });
    let (pk, vk) = setup_development(EligibilityCircuit::blank(shape), &mut rng).unwrap();
    println!(
        "proving key {} bytes compressed, {} uncompressed; verifying key {} bytes",
        pk.compressed_size(),
        pk.uncompressed_size(),
        vk.compressed_size()
    );
    let key = PreparedKey::new(vk).unwrap();
    let circuits = statements(BATCH);
    let one = circuits[0].clone();
    group.bench_function("prove", |b| {
        b.iter(|| prove(&pk, one.clone(), &mut rng).unwrap())
    });
    // The old path in the same run: a key for arkworks' default reduction
    // (what `setup_development` made before snarkjs' reduction).
    let libsnark_pk = ark_groth16::Groth16::<ark_bn254::Bn254, LibsnarkReduction>::generate_random_parameters_with_reduction(
        EligibilityCircuit::blank(shape),
        &mut rng,
    )
    .unwrap();
    group.bench_function("prove (arkworks' reduction, before)", |b| {
        b.iter(|| prove(&libsnark_pk, one.clone(), &mut rng).unwrap())
    });

    let proofs = prove_batch(&pk, circuits.clone(), [9; 32]).unwrap();
    let items: Vec<(Vec<Fr>, _)> = circuits
        .iter()
        .map(|c| public_inputs(&c.public))
        .zip(proofs)
        .collect();
    group.bench_function("verify (prepared key)", |b| {
        b.iter(|| verify(&key, &items[0].0, &items[0].1).unwrap())
    });
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function(format!("verify batch of {BATCH}"), |b| {
        b.iter(|| verify_batch(&key, &items).unwrap())
    });
    let eight = circuits[..8].to_vec();
    group.throughput(Throughput::Elements(8));
    group.bench_function("batch prover, 8 proofs (rayon)", |b| {
        b.iter(|| prove_batch(&pk, eight.clone(), [3; 32]).unwrap())
    });
    group.finish();
}

criterion_group!(benches, eligibility);
criterion_main!(benches);
