//! Setup, proving, batch proving and batch verification with small test
//! circuits.

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use ark_relations::gr1cs::SynthesisError;
use common::{Cubic, MulChain, test_rng};
use zkaudit_prover::{
    Fr, PreparedKey, ProverError, prove, prove_batch, prove_batch_with_progress, setup_development,
};
use zkaudit_verifier::VerifyError;
use zkaudit_verifier::groth16::{decode_proof, encode_proof, locate_invalid, verify, verify_batch};

fn cubic_keys() -> (
    zkaudit_prover::ProvingKey<zkaudit_prover::Bn254>,
    PreparedKey,
) {
    let (pk, vk) = setup_development(Cubic::blank(), &mut test_rng(1)).unwrap();
    assert_eq!(pk.vk, vk);
    (pk, PreparedKey::new(vk).unwrap())
}

#[test]
fn setup_prove_verify_round_trip() {
    let (pk, key) = cubic_keys();
    assert_eq!(key.num_public_inputs(), 2);
    let circuit = Cubic::new(3);
    let public = circuit.public_inputs();
    assert_eq!(public, [Fr::from(9u64), Fr::from(35u64)]);
    let proof = prove(&pk, circuit, &mut test_rng(2)).unwrap();
    verify(&key, &public, &proof).unwrap();

    // Through the compact binary form.
    let decoded = decode_proof(&encode_proof(&proof)).unwrap();
    verify(&key, &public, &decoded).unwrap();

    // Wrong statements.
    assert!(matches!(
        verify(&key, &[public[1], public[0]], &proof),
        Err(VerifyError::Groth16 { .. })
    ));
    assert!(matches!(
        verify(&key, &public[..1], &proof),
        Err(VerifyError::PublicInputCount {
            expected: 2,
            got: 1
        })
    ));
    // Another key for the same shape rejects the proof.
    let (_, other_vk) = setup_development(Cubic::blank(), &mut test_rng(9)).unwrap();
    let other = PreparedKey::new(other_vk).unwrap();
    assert_ne!(other.digest(), key.digest());
    assert!(verify(&other, &public, &proof).is_err());
}

#[test]
fn proving_without_a_witness_fails_cleanly() {
    let (pk, _) = cubic_keys();
    assert!(matches!(
        prove(&pk, Cubic::blank(), &mut test_rng(2)),
        Err(ProverError::Synthesis(SynthesisError::AssignmentMissing))
    ));
    let circuits = vec![Cubic::new(1), Cubic::new(2), Cubic::blank(), Cubic::new(4)];
    match prove_batch(&pk, circuits, [7; 32]) {
        Err(ProverError::BatchItem { index: 2, source }) => {
            assert!(matches!(
                *source,
                ProverError::Synthesis(SynthesisError::AssignmentMissing)
            ))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn batch_prove_then_batch_verify() {
    let (pk, key) = cubic_keys();
    let circuits: Vec<Cubic> = (0..8).map(|i| Cubic::new(10 + i)).collect();
    let publics: Vec<Vec<Fr>> = circuits.iter().map(Cubic::public_inputs).collect();

    let done = AtomicUsize::new(0);
    let seen = Mutex::new(Vec::new());
    let proofs = prove_batch_with_progress(&pk, circuits.clone(), [3; 32], |i| {
        done.fetch_add(1, Ordering::Relaxed);
        seen.lock().unwrap().push(i);
    })
    .unwrap();
    assert_eq!(done.load(Ordering::Relaxed), 8);
    let mut seen = seen.into_inner().unwrap();
    seen.sort_unstable();
    assert_eq!(seen, (0..8).collect::<Vec<_>>());

    let items: Vec<_> = publics
        .iter()
        .cloned()
        .zip(proofs.iter().cloned())
        .collect();
    for (public, proof) in &items {
        verify(&key, public, proof).unwrap();
    }
    verify_batch(&key, &items).unwrap();
    assert!(locate_invalid(&key, &items).is_empty());

    // Reproducible from the seed, and the seed matters.
    assert_eq!(prove_batch(&pk, circuits.clone(), [3; 32]).unwrap(), proofs);
    let reseeded = prove_batch(&pk, circuits, [4; 32]).unwrap();
    assert!(reseeded.iter().zip(&proofs).all(|(a, b)| a != b));
}

#[test]
fn batch_with_a_bad_proof_is_rejected_and_located() {
    let (pk, key) = cubic_keys();
    let circuits: Vec<Cubic> = (0..8).map(|i| Cubic::new(100 + i)).collect();
    let publics: Vec<Vec<Fr>> = circuits.iter().map(Cubic::public_inputs).collect();
    let proofs = prove_batch(&pk, circuits, [5; 32]).unwrap();
    let mut items: Vec<_> = publics.into_iter().zip(proofs).collect();

    // One wrong public input.
    items[5].0[1] += Fr::from(1u64);
    match verify_batch(&key, &items) {
        Err(VerifyError::BatchRejected { invalid }) => assert_eq!(invalid, [5]),
        other => panic!("{other:?}"),
    }
    assert_eq!(locate_invalid(&key, &items), [5]);

    // A proof of another statement swapped in, and a wrong input count.
    items[0].1 = items[1].1.clone();
    items[7].0.pop();
    assert_eq!(locate_invalid(&key, &items), [0, 5, 7]);
    assert!(matches!(
        verify_batch(&key, &items),
        Err(VerifyError::BatchRejected { invalid }) if invalid == [0, 5, 7]
    ));
}

#[test]
fn chain_circuit_proves() {
    // The timing circuit, small here; `measure` runs it at ~5k constraints.
    let steps = 64;
    let (pk, vk) = setup_development(MulChain { steps, x: None }, &mut test_rng(6)).unwrap();
    let key = PreparedKey::new(vk).unwrap();
    let x = Fr::from(3u64);
    let proof = prove(&pk, MulChain { steps, x: Some(x) }, &mut test_rng(7)).unwrap();
    verify(&key, &[MulChain::output(steps, x)], &proof).unwrap();
    assert!(verify(&key, &[MulChain::output(steps, x + Fr::from(1u64))], &proof).is_err());
}

#[test]
fn downloaded_proving_keys_are_checked_before_use() {
    use ark_ec::{AffineRepr, CurveGroup};
    use ark_serialize::CanonicalSerialize;

    let (pk, _) = cubic_keys();
    let bytes = |pk: &zkaudit_prover::ProvingKey<zkaudit_prover::Bn254>| {
        let mut out = Vec::new();
        pk.serialize_uncompressed(&mut out).unwrap();
        out
    };
    let read = zkaudit_prover::read_untrusted_proving_key(&bytes(&pk)).unwrap();
    assert_eq!(read.vk, pk.vk);

    // β in G1 that does not match the verifying key's β in G2.
    let mut wrong = pk.clone();
    wrong.beta_g1 = (wrong.beta_g1 + ark_bn254::G1Affine::generator()).into_affine();
    let err = zkaudit_prover::read_untrusted_proving_key(&bytes(&wrong)).unwrap_err();
    assert!(err.to_string().contains("inconsistent"), "{err}");
    // Likewise δ.
    let mut wrong = pk.clone();
    wrong.delta_g1 = (wrong.delta_g1 + wrong.delta_g1).into_affine();
    let err = zkaudit_prover::read_untrusted_proving_key(&bytes(&wrong)).unwrap_err();
    assert!(err.to_string().contains("inconsistent"), "{err}");
    // A point off the curve anywhere in the key.
    let mut encoded = bytes(&pk);
    let last = encoded.len() - 1;
    encoded[last] ^= 1;
    assert!(zkaudit_prover::read_untrusted_proving_key(&encoded).is_err());
    // Truncated.
    assert!(zkaudit_prover::read_untrusted_proving_key(&bytes(&pk)[..100]).is_err());
}

/// Keys made before the switch to snarkjs' reduction (arkworks' default,
/// an H query one point shorter) are recognised and still prove; new keys
/// use snarkjs' reduction. A false statement fails under both.
#[test]
fn keys_of_either_reduction_prove() {
    use ark_groth16::Groth16;
    use ark_groth16::r1cs_to_qap::LibsnarkReduction;
    use zkaudit_prover::Reduction;

    let before = Groth16::<zkaudit_prover::Bn254, LibsnarkReduction>::generate_random_parameters_with_reduction(
        Cubic::blank(),
        &mut test_rng(21),
    )
    .unwrap();
    let (now, _) = cubic_keys();
    assert_eq!(Reduction::of_key(&before), Reduction::Libsnark);
    assert_eq!(Reduction::of_key(&now), Reduction::Circom);
    assert_eq!(before.h_query.len() + 1, now.h_query.len());

    for pk in [&before, &now] {
        let key = PreparedKey::new(pk.vk.clone()).unwrap();
        let circuit = Cubic::new(5);
        let public = circuit.public_inputs();
        let proof = prove(pk, circuit, &mut test_rng(22)).unwrap();
        verify(&key, &public, &proof).unwrap();
        assert!(verify(&key, &[public[0], public[1] + Fr::from(1u64)], &proof).is_err());
    }
}
