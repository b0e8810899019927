//! Ballot proofs at depth 20, 3 attributes: one contest of 4 choices (v1),
//! and the realistic shape of two contests of 4 and 8 options (a mayor and
//! a council), both with the key a public input (v2) and with the circuit
//! made for the election's key (v3, group `…-c4-c8-keyed`), in the same
//! run: constraints, one Groth16 proof
//! (development setup), the witness synthesis inside it, the public inputs
//! a verifier rebuilds, one verification, and a batch of 64.
//!
//! `cargo bench -p zkaudit-benches --bench ballot`

use std::time::Instant;

use ark_ff::UniformRand;
use ark_groth16::r1cs_to_qap::LibsnarkReduction;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use criterion::{Criterion, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use zkaudit_circuits::Fr;
use zkaudit_circuits::ballot::{
    BallotCircuit, BallotPublic, BallotShape, BallotWitness, ContestRule, check, encrypt_ballot,
    public_inputs,
};
use zkaudit_circuits::elgamal::{self, Scalar};
use zkaudit_circuits::eligibility::{
    EligibilityPublic, EligibilityWitness, credential_leaf, message_field,
};
use zkaudit_circuits::identity::Identity;
use zkaudit_circuits::lean_imt::LeanImt;
use zkaudit_circuits::predicate::AttributePredicate;
use zkaudit_prover::{prove, setup_development};
use zkaudit_verifier::groth16::{
    PreparedKey, WeightedProof, verify, verify_batch, verify_weighted,
};

const DEPTH: usize = 20;
const ATTRIBUTES: usize = 3;
const VOTERS: usize = 1000;

/// A true ballot statement: one of 1,000 registered voters gives `choices`
/// under `contests`.
fn ballot(
    shape: BallotShape,
    contests: &[ContestRule],
    choices: &[u64],
    rng: &mut ChaCha20Rng,
) -> BallotCircuit {
    let voters: Vec<(Identity, [u64; ATTRIBUTES])> = (0..VOTERS)
        .map(|i| {
            let attributes = [19_700_101 + i as u64, 276, 20_300_101];
            (Identity::random(rng), attributes)
        })
        .collect();
    let leaves: Vec<Fr> = voters
        .iter()
        .map(|(id, attrs)| credential_leaf(id.commitment(), attrs).unwrap())
        .collect();
    let tree = LeanImt::from_leaves(&leaves);
    let scope = message_field(b"bench election");
    // Drawn whatever the shape, so that every shape's draws stay in order.
    let drawn_key = elgamal::public_key(&Scalar::rand(rng));
    let election_key = shape.election_key.unwrap_or(drawn_key);
    let (identity, attributes) = &voters[17];
    let choices = choices.to_vec();
    let randomness: Vec<Scalar> = choices.iter().map(|_| Scalar::rand(rng)).collect();
    let public = BallotPublic {
        shape,
        eligibility: EligibilityPublic {
            shape: shape.eligibility,
            root: tree.root().unwrap(),
            nullifier: identity.nullifier(scope),
            scope,
            message: message_field(b"ballot"),
            predicates: vec![
                AttributePredicate::at_most(20_080_101),
                AttributePredicate::one_of(&[276, 250]).unwrap(),
                AttributePredicate::at_least(20_260_501),
            ],
        },
        election_key,
        contests: contests.to_vec(),
        ciphertexts: encrypt_ballot(&election_key, &choices, &randomness).unwrap(),
    };
    let witness = BallotWitness {
        eligibility: EligibilityWitness {
            secret: identity.secret_scalar(),
            attributes: attributes.to_vec(),
            path: tree
                .generate_proof(17)
                .unwrap()
                .to_circuit_path(DEPTH)
                .unwrap(),
        },
        choices,
        randomness,
    };
    check(&public, &witness).unwrap();
    BallotCircuit::new(public, witness)
}

fn ballots(c: &mut Criterion) {
    // v1: one of 4 options.
    let shape = BallotShape::new(DEPTH, ATTRIBUTES, 4).unwrap();
    bench_shape(c, shape, &[ContestRule::choices(1, 1)], &[0, 0, 1, 0], true);
    // v2: a mayor (one of 4) and a council (approve up to 3 of 8).
    let shape = BallotShape::with_contests(DEPTH, ATTRIBUTES, &[4, 8]).unwrap();
    let rules = [ContestRule::choices(1, 1), ContestRule::choices(0, 3)];
    let choices = [0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0];
    bench_shape(c, shape, &rules, &choices, false);
    // v3: the same contests, the circuit made for one election's key.
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let election_key = elgamal::public_key(&Scalar::rand(&mut rng));
    let keyed = shape.for_election_key(election_key).unwrap();
    bench_shape(c, keyed, &rules, &choices, false);
}

/// The benchmarks of one shape; `with_old_reduction` adds the prover with
/// arkworks' own reduction, the path before snarkjs' (the anchor).
fn bench_shape(
    c: &mut Criterion,
    shape: BallotShape,
    rules: &[ContestRule],
    choices: &[u64],
    with_old_reduction: bool,
) {
    let cs = ConstraintSystem::<Fr>::new_ref();
    BallotCircuit::blank(shape)
        .generate_constraints(cs.clone())
        .unwrap();
    println!(
        "{}: {} constraints, {} public inputs",
        shape.id(),
        cs.num_constraints(),
        cs.num_instance_variables() - 1
    );

    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let started = Instant::now();
    let (pk, vk) = setup_development(BallotCircuit::blank(shape), &mut rng).unwrap();
    println!("development setup: {:.2?} (once)", started.elapsed());
    let key = PreparedKey::new(vk).unwrap();
    let circuit = ballot(shape, rules, choices, &mut rng);
    let inputs = public_inputs(&circuit.public);
    let proof = prove(&pk, circuit.clone(), &mut rng).unwrap();
    verify(&key, &inputs, &proof).unwrap();

    // A v3 id ends in the key's tag; the group is named by the contests.
    let name = match shape.election_key {
        Some(_) => {
            let unkeyed = BallotShape {
                election_key: None,
                ..shape
            };
            format!("{unkeyed}-keyed")
        }
        None => shape.id(),
    };
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    group.bench_function("prove", |b| {
        b.iter(|| prove(&pk, circuit.clone(), &mut rng).unwrap())
    });
    if with_old_reduction {
        // The old path in the same run: a key for arkworks' default
        // reduction (what `setup_development` made before snarkjs').
        let libsnark_pk = ark_groth16::Groth16::<ark_bn254::Bn254, LibsnarkReduction>::generate_random_parameters_with_reduction(
            BallotCircuit::blank(shape),
            &mut rng,
        )
        .unwrap();
        group.bench_function("prove (arkworks' reduction, before)", |b| {
            b.iter(|| prove(&libsnark_pk, circuit.clone(), &mut rng).unwrap())
        });
    }
    group.bench_function("synthesize with witness (part of prove)", |b| {
        b.iter(|| {
            let cs = ConstraintSystem::<Fr>::new_ref();
            circuit.clone().generate_constraints(cs.clone()).unwrap();
            cs
        })
    });
    group.bench_function("public inputs (native, the verifier's)", |b| {
        b.iter(|| public_inputs(&circuit.public))
    });
    group.bench_function("verify (prepared key)", |b| {
        b.iter(|| verify(&key, &inputs, &proof).unwrap())
    });
    // 64 ballots: 4 distinct voters' proofs, each appearing 16 times (a
    // batch weighs every item independently, so repeats cost the same).
    let distinct: Vec<_> = (0..4)
        .map(|_| {
            let circuit = ballot(shape, rules, choices, &mut rng);
            let inputs = public_inputs(&circuit.public);
            (inputs, prove(&pk, circuit, &mut rng).unwrap())
        })
        .collect();
    let batch: Vec<_> = (0..64).map(|i| distinct[i % 4].clone()).collect();
    group.bench_function("verify a batch of 64", |b| {
        b.iter(|| verify_batch(&key, &batch).unwrap())
    });
    // The service's path: each proof weighted as it arrives (secret weight,
    // `r·A`, `B` prepared), then the batch itself.
    let weight = |i: usize| std::num::NonZeroU128::new(u128::MAX - i as u128).unwrap();
    group.bench_function("weigh one proof (service, as it arrives)", |b| {
        b.iter(|| WeightedProof::new(&key, &inputs, &proof, weight(0)).unwrap())
    });
    let weighted: Vec<_> = batch
        .iter()
        .enumerate()
        .map(|(i, (inputs, proof))| WeightedProof::new(&key, inputs, proof, weight(i)).unwrap())
        .collect();
    group.bench_function("verify a weighted batch of 64 (weighed before)", |b| {
        b.iter(|| verify_weighted(&key, &weighted).unwrap())
    });
    group.finish();
}

criterion_group!(benches, ballots);
criterion_main!(benches);
