//! Our proofs verify with the real snarkjs: export key, proof and public
//! signals as snarkjs JSON and run `snarkjs groth16 verify`.
//!
//! Needs Node.js (see `common::snarkjs`).

mod common;

use common::snarkjs::snarkjs_verifies;
use common::{Cubic, test_rng};
use zkaudit_prover::{Fr, prove, setup_development};
use zkaudit_verifier::snarkjs;

#[test]
fn snarkjs_verifies_our_proofs() {
    let (pk, vk) = setup_development(Cubic::blank(), &mut test_rng(31)).unwrap();
    let circuit = Cubic::new(12_345);
    let public = circuit.public_inputs();
    let proof = prove(&pk, circuit, &mut test_rng(32)).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let vk_json = snarkjs::export_vk(&vk);
    let proof_json = snarkjs::export_proof(&proof);
    assert!(snarkjs_verifies(
        dir.path(),
        &vk_json,
        &snarkjs::export_public(&public),
        &proof_json
    ));

    // A tampered public signal, and the signals swapped.
    let mut tampered = public.clone();
    tampered[1] += Fr::from(1u64);
    assert!(!snarkjs_verifies(
        dir.path(),
        &vk_json,
        &snarkjs::export_public(&tampered),
        &proof_json
    ));
    assert!(!snarkjs_verifies(
        dir.path(),
        &vk_json,
        &snarkjs::export_public(&[public[1], public[0]]),
        &proof_json
    ));
    // Our import reads back what snarkjs accepted.
    assert_eq!(snarkjs::import_vk(&vk_json).unwrap(), vk);
    assert_eq!(snarkjs::import_proof(&proof_json).unwrap(), proof);
}

/// A real eligibility proof (the production statement, at a small depth):
/// snarkjs accepts it with its public signals and refuses it for another
/// nullifier or another message.
#[test]
fn snarkjs_verifies_an_eligibility_proof() {
    use common::eligibility::eligibility_statement;
    use zkaudit_circuits::eligibility::constraints::EligibilityCircuit;
    use zkaudit_circuits::eligibility::{EligibilityPublic, message_field, public_inputs};

    let (shape, public, witness) = eligibility_statement();
    let mut rng = test_rng(43);
    let (pk, vk) = setup_development(EligibilityCircuit::blank(shape), &mut test_rng(42)).unwrap();
    let proof = prove(
        &pk,
        EligibilityCircuit::new(public.clone(), witness),
        &mut rng,
    )
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let (vk_json, proof_json) = (snarkjs::export_vk(&vk), snarkjs::export_proof(&proof));
    let signals = public_inputs(&public);
    assert!(snarkjs_verifies(
        dir.path(),
        &vk_json,
        &snarkjs::export_public(&signals),
        &proof_json
    ));
    for tampered in [
        EligibilityPublic {
            nullifier: public.nullifier + Fr::from(1u64),
            ..public.clone()
        },
        EligibilityPublic {
            message: message_field(b"application 7782"),
            ..public.clone()
        },
    ] {
        assert!(!snarkjs_verifies(
            dir.path(),
            &vk_json,
            &snarkjs::export_public(&public_inputs(&tampered)),
            &proof_json
        ));
    }
}
