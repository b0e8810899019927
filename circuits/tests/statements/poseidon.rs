//! Poseidon: circomlib compatibility, gadget against native, costs.

use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use light_poseidon::{Poseidon, PoseidonHasher};
use zkaudit_circuits::poseidon::constraints::poseidon_hash_var;
use zkaudit_circuits::poseidon::{MAX_INPUTS, poseidon_hash, poseidon_hash_pair};
use zkaudit_circuits::{CircuitError, Fr};

use crate::common::{
    assert_every_witness_is_pinned, fr, fr_from_hex, frs, new_cs, random_frs, rng, vectors,
};

/// `shared/vectors/poseidon-circomlib.json`: outputs of poseidon-lite 0.3.0
/// (circomlib's parameters) for 1 to 12 inputs, including inputs near the
/// modulus.
#[test]
fn matches_poseidon_lite_vectors() {
    let file = vectors("poseidon-circomlib.json");
    assert_eq!(file["source"], "poseidon-lite 0.3.0 (circomlib parameters)");
    let cases = file["vectors"].as_array().unwrap();
    assert!(cases.len() >= 36);
    for case in cases {
        let inputs = frs(&case["inputs"]);
        assert_eq!(
            poseidon_hash(&inputs),
            Ok(fr(&case["output"])),
            "inputs {inputs:?}"
        );
    }
}

/// The two values the toolchain notes give (circomlibjs).
#[test]
fn matches_known_circomlib_values() {
    let one_two = fr_from_hex("0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a");
    let zero_zero =
        fr_from_hex("0x2098f5fb9e239eab3ceac3f27b81e481dc3124d55ffed523a839ee8446b64864");
    assert_eq!(
        poseidon_hash(&[Fr::from(1u64), Fr::from(2u64)]),
        Ok(one_two)
    );
    assert_eq!(poseidon_hash_pair(Fr::from(1u64), Fr::from(2u64)), one_two);
    assert_eq!(
        poseidon_hash_pair(Fr::from(0u64), Fr::from(0u64)),
        zero_zero
    );
}

/// Vectors for 14 inputs (width 15), beyond the shared file: from iden3's
/// go-iden3-crypto `poseidon/poseidon_test.go` (circomlib's parameters).
#[test]
fn matches_go_iden3_crypto_for_fourteen_inputs() {
    let one_to_fourteen: Vec<Fr> = (1..=14u64).map(Fr::from).collect();
    let nine_then_zeros: Vec<Fr> = (1..=14u64)
        .map(|i| Fr::from(if i <= 9 { i } else { 0 }))
        .collect();
    let expected_one_to_fourteen =
        fr(&"8354478399926161176778659061636406690034081872658507739535256090879947077494".into());
    let expected_nine_then_zeros =
        fr(&"5540388656744764564518487011617040650780060800286365721923524861648744699539".into());
    assert_eq!(
        poseidon_hash(&one_to_fourteen),
        Ok(expected_one_to_fourteen)
    );
    assert_eq!(
        poseidon_hash(&nine_then_zeros),
        Ok(expected_nine_then_zeros)
    );
}

/// light-poseidon (an independent implementation with its own tables)
/// agrees for random inputs at every width it supports (1 to 12 inputs).
#[test]
fn matches_light_poseidon_for_random_inputs() {
    let mut rng = rng(1);
    for arity in 1..=12 {
        let mut reference = Poseidon::<Fr>::new_circom(arity).unwrap();
        for _ in 0..3 {
            let inputs = random_frs(&mut rng, arity);
            assert_eq!(poseidon_hash(&inputs), Ok(reference.hash(&inputs).unwrap()));
        }
    }
}

#[test]
fn rejects_unsupported_arities() {
    assert_eq!(poseidon_hash(&[]), Err(CircuitError::PoseidonArity(0)));
    let sixteen = vec![Fr::from(1u64); MAX_INPUTS + 1];
    assert_eq!(
        poseidon_hash(&sixteen),
        Err(CircuitError::PoseidonArity(16))
    );
    assert!(poseidon_hash(&sixteen[..MAX_INPUTS]).is_ok());
    let cs = new_cs();
    assert!(poseidon_hash_var(&[]).is_err());
    let too_many = vec![FpVar::new_witness(cs, || Ok(Fr::from(1u64))).unwrap(); MAX_INPUTS + 1];
    assert!(poseidon_hash_var(&too_many).is_err());
}

/// Allocates `inputs` as witnesses and hashes them in a fresh system.
fn hash_in_circuit(inputs: &[Fr]) -> (FpVar<Fr>, ark_relations::gr1cs::ConstraintSystemRef<Fr>) {
    let cs = new_cs();
    let input_vars: Vec<FpVar<Fr>> = inputs
        .iter()
        .map(|input| FpVar::new_witness(cs.clone(), || Ok(*input)).unwrap())
        .collect();
    (poseidon_hash_var(&input_vars).unwrap(), cs)
}

#[test]
fn gadget_matches_native_at_every_width() {
    let mut rng = rng(2);
    for arity in 1..=MAX_INPUTS {
        let inputs = random_frs(&mut rng, arity);
        let (hash, cs) = hash_in_circuit(&inputs);
        assert_eq!(
            hash.value().unwrap(),
            poseidon_hash(&inputs).unwrap(),
            "arity {arity}"
        );
        assert!(cs.is_satisfied().unwrap());
    }
}

#[test]
fn gadget_matches_native_for_mixed_constant_and_witness_inputs() {
    let mut rng = rng(3);
    let inputs = random_frs(&mut rng, 4);
    let cs = new_cs();
    let vars = vec![
        FpVar::constant(inputs[0]),
        FpVar::new_witness(cs.clone(), || Ok(inputs[1])).unwrap(),
        FpVar::new_input(cs.clone(), || Ok(inputs[2])).unwrap(),
        FpVar::constant(inputs[3]),
    ];
    let hash = poseidon_hash_var(&vars).unwrap();
    assert_eq!(hash.value().unwrap(), poseidon_hash(&inputs).unwrap());
    assert!(cs.is_satisfied().unwrap());
}

#[test]
fn hashing_constants_adds_no_constraints() {
    let hash = poseidon_hash_var(&[
        FpVar::constant(Fr::from(1u64)),
        FpVar::constant(Fr::from(2u64)),
    ])
    .unwrap();
    assert!(hash.is_constant());
    assert_eq!(
        hash.value().unwrap(),
        poseidon_hash_pair(Fr::from(1u64), Fr::from(2u64))
    );
}

/// Pinned costs: (8 full rounds · t − 1) · 3 + partial rounds · 3, the
/// first S-box of the constant capacity element being free.
#[test]
fn constraint_counts_are_pinned() {
    let mut rng = rng(4);
    for (arity, expected) in [(1, 213), (2, 240), (3, 261), (4, 297), (5, 321), (15, 573)] {
        let (_, cs) = hash_in_circuit(&random_frs(&mut rng, arity));
        assert_eq!(cs.num_constraints(), expected, "arity {arity}");
    }
}

/// A public output that differs from the hash makes the system unsatisfied.
#[test]
fn tampered_output_is_unsatisfied() {
    let mut rng = rng(5);
    let inputs = random_frs(&mut rng, 2);
    let expected = poseidon_hash(&inputs).unwrap();
    for (claimed, satisfied) in [(expected, true), (expected + Fr::from(1u64), false)] {
        let (hash, cs) = hash_in_circuit(&inputs);
        let output = FpVar::new_input(cs.clone(), || Ok(claimed)).unwrap();
        hash.enforce_equal(&output).unwrap();
        assert_eq!(cs.is_satisfied().unwrap(), satisfied);
    }
}

/// Every intermediate S-box value is pinned: changing any one witness
/// breaks the system.
#[test]
fn every_witness_is_pinned() {
    let mut rng = rng(6);
    for arity in [1, 2, 5] {
        let (_, cs) = hash_in_circuit(&random_frs(&mut rng, arity));
        assert_every_witness_is_pinned(&cs);
    }
}
