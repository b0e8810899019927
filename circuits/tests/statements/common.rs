//! Helpers shared by the statement tests.

use std::path::PathBuf;

use ark_ff::{AdditiveGroup, BigInteger, Field, PrimeField, UniformRand};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, OptimizationGoal, SynthesisMode,
};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use serde_json::Value;
use sha3::{Digest, Sha3_256};
use zkaudit_circuits::constraints::{StatementCircuit, StatementShape};
use zkaudit_circuits::{CircuitError, Fr, fr_from_decimal};

/// Loads `shared/vectors/<name>`: the repository's `main/` sits beside
/// `shared/`.
pub fn vectors(name: &str) -> Value {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "..",
        "shared",
        "vectors",
        name,
    ]
    .iter()
    .collect();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
    serde_json::from_str(&text).expect("test vectors are JSON")
}

/// A field element from a JSON decimal string.
pub fn fr(value: &Value) -> Fr {
    fr_from_decimal(value.as_str().expect("field elements are strings")).expect("canonical decimal")
}

/// A list of field elements from a JSON array of decimal strings.
pub fn frs(value: &Value) -> Vec<Fr> {
    value.as_array().expect("an array").iter().map(fr).collect()
}

/// A field element from a `0x`-prefixed hexadecimal string.
pub fn fr_from_hex(hex: &str) -> Fr {
    let digits = hex.strip_prefix("0x").expect("0x prefix");
    digits.chars().fold(Fr::ZERO, |acc, digit| {
        acc * Fr::from(16u64) + Fr::from(u64::from(digit.to_digit(16).expect("hex digit")))
    })
}

/// A deterministic RNG, one stream per test.
pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// `count` random field elements.
pub fn random_frs(rng: &mut ChaCha20Rng, count: usize) -> Vec<Fr> {
    (0..count).map(|_| Fr::rand(rng)).collect()
}

/// A fresh constraint system in proving mode.
pub fn new_cs() -> ConstraintSystemRef<Fr> {
    ConstraintSystem::<Fr>::new_ref()
}

/// Counts the constraints each part of a statement adds to `cs`: every call
/// returns the number added since the previous one.
pub fn part_counter(cs: &ConstraintSystemRef<Fr>) -> impl FnMut() -> usize {
    let cs = cs.clone();
    let mut counted = 0;
    move || {
        let part = cs.num_constraints() - counted;
        counted = cs.num_constraints();
        part
    }
}

/// Synthesizes `circuit` into a fresh constraint system.
pub fn synthesize(circuit: impl ConstraintSynthesizer<Fr>) -> ConstraintSystemRef<Fr> {
    let cs = new_cs();
    circuit.generate_constraints(cs.clone()).unwrap();
    cs
}

/// Whether the statement's circuit is satisfied by `public` and `witness`.
pub fn satisfies<S: StatementShape>(public: &S::Public, witness: &S::Witness) -> bool {
    let circuit = StatementCircuit::<S>::new(public.clone(), witness.clone());
    synthesize(circuit).is_satisfied().unwrap()
}

/// Asserts that the statement's native `check` refuses it with `error` and
/// that its circuit is not satisfied.
pub fn assert_refused<S: StatementShape>(
    check: fn(&S::Public, &S::Witness) -> Result<(), CircuitError>,
    public: &S::Public,
    witness: &S::Witness,
    error: CircuitError,
) {
    assert_eq!(check(public, witness), Err(error.clone()));
    assert!(!satisfies::<S>(public, witness), "{error}");
}

/// Asserts that `cs` is satisfied, and that changing any single witness
/// value makes it unsatisfied: every witness is pinned by some constraint.
pub fn assert_every_witness_is_pinned(cs: &ConstraintSystemRef<Fr>) {
    assert_witnesses_are_pinned(cs, usize::MAX);
}

/// [`assert_every_witness_is_pinned`] for the first `count` witnesses only
/// (a statement's parameters and private inputs, which it allocates first).
pub fn assert_witnesses_are_pinned(cs: &ConstraintSystemRef<Fr>, count: usize) {
    assert!(
        cs.is_satisfied().unwrap(),
        "the honest witness must satisfy"
    );
    // Inline the linear combinations and drop their cached values, so that
    // every check re-evaluates the constraints from the witness.
    cs.finalize();
    let mut system = cs.borrow_mut().unwrap();
    system.assignments.lc_assignment.clear();
    let witness_count = system.num_witness_variables;
    for index in 0..count.min(witness_count) {
        system.assignments.witness_assignment[index] += Fr::ONE;
        let satisfied = system.is_satisfied().unwrap();
        system.assignments.witness_assignment[index] -= Fr::ONE;
        assert!(
            !satisfied,
            "witness {index} of {witness_count} is not pinned"
        );
    }
    assert!(system.is_satisfied().unwrap());
}

/// Asserts that `digest` tells `value` and each of its `changes` apart: no
/// two of them have the same digest.
pub fn assert_changes_are_told_apart<T: Clone>(
    value: &T,
    changes: &[fn(&mut T)],
    digest: impl Fn(&T) -> Fr,
) {
    let mut digests = vec![digest(value)];
    for change in changes {
        let mut changed = value.clone();
        change(&mut changed);
        digests.push(digest(&changed));
    }
    let distinct: std::collections::HashSet<_> = digests.iter().collect();
    assert_eq!(distinct.len(), digests.len());
}

/// SHA3-256 (hex) of the constraint system `circuit` synthesizes as Groth16
/// key generation does it (setup mode, optimised for constraints, then
/// finalised): the numbers of instance and witness variables, then every
/// predicate's matrices row by row (coefficients little-endian, variable
/// indices). Equal digests mean the same circuit, hence the same keys.
pub fn constraint_system_digest(circuit: impl ConstraintSynthesizer<Fr>) -> String {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    circuit.generate_constraints(cs.clone()).unwrap();
    cs.finalize();
    let mut hasher = Sha3_256::new();
    let mut count = |n: usize| hasher.update((n as u64).to_le_bytes());
    count(cs.num_instance_variables());
    count(cs.num_witness_variables());
    for (label, matrices) in cs.to_matrices().unwrap() {
        hasher.update((label.len() as u64).to_le_bytes());
        hasher.update(label.as_bytes());
        hasher.update((matrices.len() as u64).to_le_bytes());
        for matrix in matrices {
            hasher.update((matrix.len() as u64).to_le_bytes());
            for row in matrix {
                hasher.update((row.len() as u64).to_le_bytes());
                for (coefficient, index) in row {
                    hasher.update(coefficient.into_bigint().to_bytes_le());
                    hasher.update((index as u64).to_le_bytes());
                }
            }
        }
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
