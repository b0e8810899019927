//! Groth16 verification, strict decoding and snarkjs JSON compatibility.
//!
//! The vector in `shared/vectors/snarkjs-groth16/` was made by snarkjs 0.7.6
//! for a circom depth-20 Poseidon membership statement (see its README):
//! verifying it with our verifier proves the JSON mapping, and exporting our
//! import back reproduces the files.

use std::num::NonZeroU128;
use std::path::PathBuf;

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{One, PrimeField};
use ark_groth16::{Proof, VerifyingKey};
use ark_serialize::CanonicalSerialize;
use serde_json::Value;
use zkaudit_verifier::VerifyError;
use zkaudit_verifier::groth16::{
    PROOF_BYTES, PreparedKey, WeightedProof, decode_field, decode_field_decimal, decode_proof,
    decode_vk, encode_field, encode_field_decimal, encode_proof, encode_vk, locate_invalid, verify,
    verify_batch, verify_weighted, vk_digest,
};
use zkaudit_verifier::snarkjs::{self, G2Json, ProofJson, VerificationKeyJson};

const R: &str = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
const Q: &str = "21888242871839275222246405745257275088696311157297823662689037894645226208583";

fn vector(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/vectors/snarkjs-groth16")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Vector {
    vk: VerifyingKey<Bn254>,
    proof: Proof<Bn254>,
    public: Vec<Fr>,
}

fn load_vector() -> Vector {
    Vector {
        vk: snarkjs::import_vk(&vector("vk.json")).expect("vk.json imports"),
        proof: snarkjs::import_proof(&vector("proof.json")).expect("proof.json imports"),
        public: snarkjs::import_public(&vector("public.json")).expect("public.json imports"),
    }
}

fn prepared(vk: &VerifyingKey<Bn254>) -> PreparedKey {
    PreparedKey::new(vk.clone()).expect("valid key")
}

fn is_malformed(result: Result<impl std::fmt::Debug, VerifyError>) -> bool {
    matches!(result, Err(VerifyError::Malformed { .. }))
}

/// An on-curve G2 point outside the prime-order subgroup.
fn g2_outside_subgroup() -> G2Affine {
    (1u64..)
        .filter_map(|i| {
            G2Affine::get_point_from_x_unchecked(Fq2::new(Fq::from(i), Fq::one()), true)
        })
        .find(|p| !p.is_in_correct_subgroup_assuming_on_curve())
        .expect("the twist has a large cofactor")
}

// ---------------------------------------------------------------------------
// snarkjs vector
// ---------------------------------------------------------------------------

#[test]
fn snarkjs_vector_verifies() {
    let v = load_vector();
    assert_eq!(v.public.len(), 3);
    assert_eq!(
        v.public[2],
        Fr::from(7u64),
        "scope is the last public signal"
    );
    let key = prepared(&v.vk);
    assert_eq!(key.num_public_inputs(), 3);
    verify(&key, &v.public, &v.proof).expect("snarkjs proof verifies");
}

#[test]
fn snarkjs_vector_exports_back_identically() {
    let v = load_vector();
    let json = |s: &str| serde_json::from_str::<Value>(s).unwrap();
    // Includes vk_alphabeta_12 = e(α, β): our Fq12 coordinate order is snarkjs's.
    assert_eq!(json(&snarkjs::export_vk(&v.vk)), json(&vector("vk.json")));
    assert_eq!(
        json(&snarkjs::export_proof(&v.proof)),
        json(&vector("proof.json"))
    );
    assert_eq!(
        json(&snarkjs::export_public(&v.public)),
        json(&vector("public.json"))
    );
}

#[test]
fn snarkjs_vector_digest_is_pinned() {
    // Our digest of the vector's key; changes only if the encoding changes.
    let v = load_vector();
    assert_eq!(
        hex::encode(vk_digest(&v.vk)),
        "f0a7e10d882b135c46c742e167c13a0083063504b4f3c2088e4872cbfd876b52",
        "vk digest of shared/vectors/snarkjs-groth16/vk.json"
    );
}

#[test]
fn tampered_public_signal_is_rejected() {
    let v = load_vector();
    let key = prepared(&v.vk);
    for i in 0..v.public.len() {
        let mut public = v.public.clone();
        public[i] += Fr::one();
        assert!(
            matches!(
                verify(&key, &public, &v.proof),
                Err(VerifyError::Groth16 { .. })
            ),
            "signal {i}"
        );
    }
    // Order matters.
    let mut swapped = v.public.clone();
    swapped.swap(0, 1);
    assert!(verify(&key, &swapped, &v.proof).is_err());
    // So does the count.
    assert!(matches!(
        verify(&key, &v.public[..2], &v.proof),
        Err(VerifyError::PublicInputCount {
            expected: 3,
            got: 2
        })
    ));
    let tampered: Vec<String> = serde_json::from_str(&vector("public.json")).unwrap();
    let mut tampered = tampered;
    tampered[2] = "8".into();
    let public = snarkjs::public_from_strings(&tampered).unwrap();
    assert!(verify(&key, &public, &v.proof).is_err());
}

#[test]
fn tampered_proof_coordinates_are_rejected() {
    let v = load_vector();
    let key = prepared(&v.vk);
    let original: ProofJson = serde_json::from_str(&vector("proof.json")).unwrap();

    // A changed coordinate leaves the curve: the import refuses it.
    let mut p = original.clone();
    p.pi_a[0] = bump(&p.pi_a[0]);
    assert!(is_malformed(p.to_proof()));
    let mut p = original.clone();
    p.pi_b[1][1] = bump(&p.pi_b[1][1]);
    assert!(is_malformed(p.to_proof()));

    // Fq2 order: [c0, c1]. Swapped, B is no longer a valid point.
    let mut p = original.clone();
    for coordinate in &mut p.pi_b[..2] {
        coordinate.swap(0, 1);
    }
    assert!(is_malformed(p.to_proof()));

    // Valid points, wrong proof: −A, and A and C swapped.
    let mut proof = v.proof.clone();
    proof.a = -proof.a;
    assert!(matches!(
        verify(&key, &v.public, &proof),
        Err(VerifyError::Groth16 { .. })
    ));
    let mut proof = v.proof.clone();
    std::mem::swap(&mut proof.a, &mut proof.c);
    assert!(verify(&key, &v.public, &proof).is_err());
}

/// The decimal of `x + 1` for a base field element `x`.
fn bump(decimal: &str) -> String {
    let value: Fq = decimal.parse().unwrap();
    (value + Fq::one()).into_bigint().to_string()
}

#[test]
fn snarkjs_import_is_strict() {
    let vk_json: VerificationKeyJson = serde_json::from_str(&vector("vk.json")).unwrap();
    let proof_json: ProofJson = serde_json::from_str(&vector("proof.json")).unwrap();
    assert!(vk_json.to_vk().is_ok() && proof_json.to_proof().is_ok());

    let mut bad = vk_json.clone();
    bad.protocol = "plonk".into();
    assert!(is_malformed(bad.to_vk()));
    let mut bad = vk_json.clone();
    bad.curve = "bls12381".into();
    assert!(is_malformed(bad.to_vk()));
    let mut bad = vk_json.clone();
    bad.n_public = 2;
    assert!(is_malformed(bad.to_vk()));
    let mut bad = vk_json.clone();
    bad.ic.clear();
    bad.n_public = 0;
    assert!(is_malformed(bad.to_vk()));
    let mut bad = vk_json.clone();
    bad.vk_alphabeta_12.as_mut().unwrap()[1][2][0] = "5".into();
    assert!(is_malformed(bad.to_vk()));
    // vk_alphabeta_12 is optional (recomputed when exporting).
    let mut without = vk_json.clone();
    without.vk_alphabeta_12 = None;
    assert_eq!(without.to_vk().unwrap(), vk_json.to_vk().unwrap());
    // Not normalized to z = 1.
    let mut bad = vk_json.clone();
    bad.vk_alpha_1[2] = "2".into();
    assert!(is_malformed(bad.to_vk()));
    let mut bad = vk_json.clone();
    bad.vk_gamma_2[2] = ["1".into(), "1".into()];
    assert!(is_malformed(bad.to_vk()));
    // Non-canonical decimals.
    let x = &vk_json.ic[1][0];
    for bad_decimal in [
        format!(" {x}"),
        format!("0{x}"),
        format!("+{x}"),
        format!("-{x}"),
        String::new(),
        Q.to_string(),
    ] {
        let mut bad = vk_json.clone();
        bad.ic[1][0] = bad_decimal.clone();
        assert!(is_malformed(bad.to_vk()), "{bad_decimal:?}");
    }
    // Unknown fields and non-string numbers.
    let mut value: Value = serde_json::from_str(&vector("proof.json")).unwrap();
    value["extra"] = Value::from(1);
    assert!(is_malformed(snarkjs::import_proof(&value.to_string())));
    let mut value: Value = serde_json::from_str(&vector("proof.json")).unwrap();
    value["pi_a"][2] = Value::from(1);
    assert!(is_malformed(snarkjs::import_proof(&value.to_string())));
    let mut bad = proof_json.clone();
    bad.protocol = "fflonk".into();
    assert!(is_malformed(bad.to_proof()));
    // rapidsnark omits "curve".
    let mut rapidsnark = proof_json.clone();
    rapidsnark.curve = None;
    assert_eq!(
        rapidsnark.to_proof().unwrap(),
        proof_json.to_proof().unwrap()
    );

    // public.json
    assert!(snarkjs::import_public(r#"["1","2"]"#).is_ok());
    for bad in [
        r#"[1]"#,
        r#"["01"]"#,
        r#"{"a":"1"}"#,
        &format!(r#"["{R}"]"#),
    ] {
        assert!(is_malformed(snarkjs::import_public(bad)), "{bad}");
    }
}

#[test]
fn snarkjs_points_at_infinity_and_subgroup() {
    assert_eq!(snarkjs::g1_to_json(&G1Affine::identity()), ["0", "1", "0"]);
    assert_eq!(
        snarkjs::g1_from_json("p", &["0".into(), "1".into(), "0".into()]).unwrap(),
        G1Affine::identity()
    );
    assert!(snarkjs::g1_from_json("p", &["1".into(), "1".into(), "0".into()]).is_err());
    let inf = snarkjs::g2_to_json(&G2Affine::identity());
    assert_eq!(
        snarkjs::g2_from_json("p", &inf).unwrap(),
        G2Affine::identity()
    );
    let g = G2Affine::generator();
    assert_eq!(
        snarkjs::g2_from_json("p", &snarkjs::g2_to_json(&g)).unwrap(),
        g
    );

    // On the twist, outside the subgroup: snarkjs would accept it, we don't.
    let outside: G2Json = snarkjs::g2_to_json(&g2_outside_subgroup());
    let err = snarkjs::g2_from_json("p", &outside).unwrap_err();
    assert!(err.to_string().contains("subgroup"), "{err}");
}

// ---------------------------------------------------------------------------
// Binary encodings
// ---------------------------------------------------------------------------

#[test]
fn proof_bytes_round_trip_and_are_strict() {
    let v = load_vector();
    let bytes = encode_proof(&v.proof);
    assert_eq!(bytes.len(), PROOF_BYTES);
    assert_eq!(decode_proof(&bytes).unwrap(), v.proof);

    // Lengths.
    assert!(is_malformed(decode_proof(&bytes[..PROOF_BYTES - 1])));
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert!(is_malformed(decode_proof(&longer)));

    // The infinity flag on A with a non-zero x: not the canonical encoding.
    let mut flagged = bytes;
    flagged[31] |= 0x40;
    assert!(is_malformed(decode_proof(&flagged)));

    // An x coordinate of A at or above the base field modulus.
    let mut too_big = bytes;
    too_big[..32].copy_from_slice(&[0xff; 32]);
    too_big[31] = 0x3f;
    assert!(is_malformed(decode_proof(&too_big)));

    // B on the twist but outside the prime-order subgroup.
    let mut outside = bytes;
    g2_outside_subgroup()
        .serialize_compressed(&mut outside[32..96])
        .unwrap();
    let err = decode_proof(&outside).unwrap_err();
    assert!(matches!(err, VerifyError::Malformed { .. }), "{err}");

    // Flipping any byte never yields an accepted different proof that verifies.
    let key = prepared(&v.vk);
    for i in (0..PROOF_BYTES).step_by(7) {
        let mut flipped = bytes;
        flipped[i] ^= 0x01;
        if let Ok(proof) = decode_proof(&flipped) {
            assert!(verify(&key, &v.public, &proof).is_err(), "byte {i}");
        }
    }
}

#[test]
fn vk_bytes_round_trip_and_are_strict() {
    let v = load_vector();
    let bytes = encode_vk(&v.vk);
    assert_eq!(bytes.len(), 32 + 3 * 64 + 8 + 32 * 4);
    assert_eq!(decode_vk(&bytes).unwrap(), v.vk);
    assert!(is_malformed(decode_vk(&bytes[..bytes.len() - 1])));
    let mut longer = bytes.clone();
    longer.extend([0u8; 32]);
    assert!(is_malformed(decode_vk(&longer)));
    let mut bad_len = bytes.clone();
    bad_len[224] = 9;
    assert!(is_malformed(decode_vk(&bad_len)));
    // Too few bytes for even the fixed part.
    assert!(is_malformed(decode_vk(&[])));

    // The digest binds every part of the key.
    let digest = vk_digest(&v.vk);
    assert_eq!(prepared(&v.vk).digest(), digest);
    let mut other = v.vk.clone();
    other.gamma_abc_g1.pop();
    assert_ne!(vk_digest(&other), digest);
    let mut other = v.vk.clone();
    other.delta_g2 = (other.delta_g2 + other.delta_g2).into_affine();
    assert_ne!(vk_digest(&other), digest);
}

#[test]
fn prepared_key_rejects_unusable_keys() {
    let v = load_vector();
    let mut no_ic = v.vk.clone();
    no_ic.gamma_abc_g1.clear();
    assert!(is_malformed(PreparedKey::new(no_ic)));
    let mut zero_delta = v.vk.clone();
    zero_delta.delta_g2 = G2Affine::identity();
    assert!(is_malformed(PreparedKey::new(zero_delta)));
    let mut outside = v.vk.clone();
    outside.gamma_g2 = g2_outside_subgroup();
    assert!(is_malformed(PreparedKey::new(outside)));
}

#[test]
fn field_elements_are_canonical() {
    let minus_one = -Fr::one();
    assert_eq!(decode_field(&encode_field(&minus_one)).unwrap(), minus_one);
    assert_eq!(
        encode_field_decimal(&minus_one),
        "21888242871839275222246405745257275088548364400416034343698204186575808495616"
    );
    assert_eq!(decode_field_decimal("0").unwrap(), Fr::from(0u64));
    assert_eq!(decode_field_decimal("7").unwrap(), Fr::from(7u64));
    assert_eq!(
        decode_field_decimal(&encode_field_decimal(&minus_one)).unwrap(),
        minus_one
    );
    // The modulus itself, as bytes and as decimal.
    let modulus_bytes = {
        let mut b = [0u8; 32];
        for (chunk, limb) in b.chunks_exact_mut(8).zip(Fr::MODULUS.0) {
            chunk.copy_from_slice(&limb.to_le_bytes());
        }
        b
    };
    assert!(is_malformed(decode_field(&modulus_bytes)));
    assert!(is_malformed(decode_field(&[0xff; 32])));
    assert!(is_malformed(decode_field(&[0; 31])));
    assert!(is_malformed(decode_field(&[0; 33])));
    for bad in [
        "",
        "00",
        "01",
        "-1",
        "+1",
        " 1",
        "1 ",
        "1_0",
        "0x10",
        "1e3",
        R,
        "115792089237316195423570985008687907853269984665640564039457584007913129639936",
        &"9".repeat(78),
    ] {
        assert!(is_malformed(decode_field_decimal(bad)), "{bad:?}");
    }
}

// ---------------------------------------------------------------------------
// Batches (of the one vector proof and tampered copies)
// ---------------------------------------------------------------------------

/// The vector's proof as a batch item, then two tampered copies: one with
/// an input changed, one with `C` negated.
fn batch_items(v: &Vector) -> [(Vec<Fr>, Proof<Bn254>); 3] {
    let good = (v.public.clone(), v.proof.clone());
    let mut wrong_input = good.clone();
    wrong_input.0[1] += Fr::one();
    let mut wrong_proof = good.clone();
    wrong_proof.1.c = -wrong_proof.1.c;
    [good, wrong_input, wrong_proof]
}

#[test]
fn batches_verify_and_locate_invalid_proofs() {
    let v = load_vector();
    let key = prepared(&v.vk);
    let [good, wrong_input, wrong_proof] = batch_items(&v);
    let wrong_count = (v.public[..2].to_vec(), v.proof.clone());

    assert!(verify_batch(&key, &[]).is_ok());
    assert!(verify_batch(&key, std::slice::from_ref(&good)).is_ok());
    assert!(verify_batch(&key, &vec![good.clone(); 9]).is_ok());
    assert!(locate_invalid(&key, &vec![good.clone(); 9]).is_empty());

    let mut items = vec![good.clone(); 11];
    items[3] = wrong_input.clone();
    match verify_batch(&key, &items) {
        Err(VerifyError::BatchRejected { invalid }) => assert_eq!(invalid, [3]),
        other => panic!("{other:?}"),
    }
    assert_eq!(locate_invalid(&key, &items), [3]);

    items[0] = wrong_proof;
    items[10] = wrong_count;
    items[7] = wrong_input;
    let err = verify_batch(&key, &items).unwrap_err();
    assert!(matches!(&err, VerifyError::BatchRejected { invalid } if invalid == &[0, 3, 7, 10]));
    assert_eq!(
        err.to_string(),
        "groth16 batch rejected: proofs [0, 3, 7, 10] do not verify"
    );
    assert_eq!(locate_invalid(&key, &items), [0, 3, 7, 10]);

    // All invalid.
    let all_bad = vec![
        (
            v.public.clone(),
            Proof {
                a: v.proof.c,
                ..v.proof.clone()
            }
        );
        5
    ];
    assert_eq!(locate_invalid(&key, &all_bad), [0, 1, 2, 3, 4]);
}

#[test]
fn batch_of_two_invalid_proofs_that_cancel_is_rejected() {
    // Two proofs whose errors cancel under equal weights (A₁ = A + D,
    // A₂ = A − D) must not pass: the weights differ, Fiat–Shamir or secret.
    let v = load_vector();
    let key = prepared(&v.vk);
    let d = G1Affine::generator();
    let mut p1 = v.proof.clone();
    p1.a = (p1.a + d).into_affine();
    let mut p2 = v.proof.clone();
    p2.a = (p2.a - d).into_affine();
    let items = vec![(v.public.clone(), p1), (v.public.clone(), p2)];
    assert!(matches!(
        verify_batch(&key, &items),
        Err(VerifyError::BatchRejected { invalid }) if invalid == [0, 1]
    ));
    assert!(matches!(
        verify_weighted(&key, &weighted(&key, &items)),
        Err(VerifyError::BatchRejected { invalid }) if invalid == [0, 1]
    ));
}

// ---------------------------------------------------------------------------
// Batches with secret weights (the service's path)
// ---------------------------------------------------------------------------

/// Weights `(inputs, proof)` with distinct arbitrary weights, as a caller
/// drawing them at random would.
fn weighted(key: &PreparedKey, items: &[(Vec<Fr>, Proof<Bn254>)]) -> Vec<WeightedProof> {
    items
        .iter()
        .enumerate()
        .map(|(i, (inputs, proof))| {
            let weight = NonZeroU128::new(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834 ^ i as u128)
                .expect("nonzero");
            WeightedProof::new(key, inputs, proof, weight).expect("right input count")
        })
        .collect()
}

#[test]
fn weighted_batches_verify_and_locate_invalid_proofs() {
    let v = load_vector();
    let key = prepared(&v.vk);
    let [good, wrong_input, wrong_proof] = batch_items(&v);

    assert!(verify_weighted(&key, &[]).is_ok());
    assert!(verify_weighted(&key, &weighted(&key, std::slice::from_ref(&good))).is_ok());
    assert!(verify_weighted(&key, &weighted(&key, &vec![good.clone(); 9])).is_ok());

    // A single weighted check is exact: a lone false proof fails.
    assert!(matches!(
        verify_weighted(&key, &weighted(&key, std::slice::from_ref(&wrong_input))),
        Err(VerifyError::BatchRejected { invalid }) if invalid == [0]
    ));

    let mut items = vec![good.clone(); 11];
    items[3] = wrong_input.clone();
    items[0] = wrong_proof;
    items[7] = wrong_input;
    let err = verify_weighted(&key, &weighted(&key, &items)).unwrap_err();
    assert!(matches!(&err, VerifyError::BatchRejected { invalid } if invalid == &[0, 3, 7]));
    // The same verdicts as the Fiat–Shamir path.
    assert_eq!(locate_invalid(&key, &items), [0, 3, 7]);

    // A wrong number of inputs cannot be weighted.
    assert!(matches!(
        WeightedProof::new(&key, &v.public[..2], &v.proof, NonZeroU128::MIN),
        Err(VerifyError::PublicInputCount { .. })
    ));
}

#[test]
fn weighted_proofs_of_another_key_are_refused() {
    let v = load_vector();
    let key = prepared(&v.vk);
    // A key with the same shape and another `α`: the proof does not verify
    // under it, and a proof weighted under it is refused by `key`.
    let mut other_vk = v.vk.clone();
    other_vk.alpha_g1 = (other_vk.alpha_g1 + G1Affine::generator()).into_affine();
    let other = prepared(&other_vk);
    let good = (v.public.clone(), v.proof.clone());
    let mut proofs = weighted(&key, &vec![good.clone(); 3]);
    proofs[1] = weighted(&other, std::slice::from_ref(&good)).remove(0);
    assert_eq!(proofs[1].key_digest(), other.digest());
    // Its debug form names the key, never the secret weight.
    let shown = format!("{:?}", proofs[1]);
    assert!(shown.contains(&hex::encode(other.digest())), "{shown}");
    assert!(!shown.contains("weight:"), "{shown}");
    assert!(matches!(
        verify_weighted(&key, &proofs),
        Err(VerifyError::BatchRejected { invalid }) if invalid == [1]
    ));
    assert!(verify_weighted(&other, &weighted(&other, &[good])).is_err());
}
