//! snarkjs reads our circuits, and its ceremonies' keys prove here.
//!
//! - Our `.r1cs` and `.wtns` exports pass `snarkjs r1cs info` and
//!   `snarkjs wtns check`, and a tampered witness fails the check.
//! - A key from a real snarkjs ceremony over our `.r1cs` (powers of tau with
//!   a contribution, `groth16 setup`, two phase-2 contributions) imports,
//!   proves with snarkjs' QAP reduction, and the proofs verify here and
//!   with `snarkjs groth16 verify`; snarkjs' own proof from our `.wtns`
//!   verifies here. False statements are refused by both.
//! - Keys for another circuit, with a changed byte, truncated, or without
//!   contributions are refused or marked as development keys.
//!
//! Needs Node.js (see `common::snarkjs`).

mod common;

use std::path::Path;

use common::eligibility::eligibility_statement;
use common::snarkjs::{prepared_ptau, snarkjs, snarkjs_ok, snarkjs_verifies};
use common::{Cubic, test_rng};
use zkaudit_circuits::eligibility::constraints::EligibilityCircuit;
use zkaudit_circuits::eligibility::{EligibilityPublic, public_inputs};
use zkaudit_prover::ceremony::{
    CeremonyError, beacon, contribute, contribution_rng, initial_key, verify_ceremony,
    verify_contribution,
};
use zkaudit_prover::iden3::{FormatError, Ptau, R1cs, Zkey, wtns};
use zkaudit_prover::{Fr, KeyCache, ProverError, Reduction, prove};
use zkaudit_verifier::groth16::{self, PreparedKey};
use zkaudit_verifier::snarkjs as json;

/// Runs a snarkjs ceremony over `r1cs` in `dir`: setup, then contributions
/// by `names`; returns the final `.zkey`'s path.
fn snarkjs_ceremony(dir: &Path, r1cs: &R1cs, names: &[&str]) -> std::path::PathBuf {
    std::fs::write(dir.join("circuit.r1cs"), r1cs.to_bytes().unwrap()).unwrap();
    let ptau = prepared_ptau().to_str().unwrap().to_owned();
    snarkjs_ok(
        dir,
        &["groth16", "setup", "circuit.r1cs", &ptau, "key0.zkey"],
    );
    for (i, name) in names.iter().enumerate() {
        snarkjs_ok(
            dir,
            &[
                "zkey",
                "contribute",
                &format!("key{i}.zkey"),
                &format!("key{}.zkey", i + 1),
                &format!("--name={name}"),
                &format!("-e=entropy of {name}"),
            ],
        );
    }
    let last = dir.join(format!("key{}.zkey", names.len()));
    let verified = snarkjs_ok(
        dir,
        &[
            "zkey",
            "verify",
            "circuit.r1cs",
            &ptau,
            last.to_str().unwrap(),
        ],
    );
    assert!(verified.contains("ZKey Ok!"), "{verified}");
    last
}

#[test]
fn snarkjs_reads_our_r1cs_and_checks_our_witnesses() {
    let dir = tempfile::tempdir().unwrap();
    let (shape, public, witness) = eligibility_statement();
    let r1cs = R1cs::of_circuit(EligibilityCircuit::blank(shape)).unwrap();
    std::fs::write(dir.path().join("e.r1cs"), r1cs.to_bytes().unwrap()).unwrap();
    let info = snarkjs_ok(dir.path(), &["r1cs", "info", "e.r1cs"]);
    for line in [
        format!("# of Wires: {}", r1cs.num_wires()),
        format!("# of Constraints: {}", r1cs.num_constraints()),
        format!("# of Public Inputs: {}", r1cs.num_public),
        "# of Outputs: 0".to_owned(),
    ] {
        assert!(info.contains(&line), "{line:?} not in:\n{info}");
    }
    assert_eq!(r1cs.num_public, public_inputs(&public).len());

    let values = wtns::full_assignment(EligibilityCircuit::new(public, witness)).unwrap();
    assert_eq!(values.len(), r1cs.num_wires());
    std::fs::write(dir.path().join("e.wtns"), wtns::to_bytes(&values)).unwrap();
    let checked = snarkjs_ok(dir.path(), &["wtns", "check", "e.r1cs", "e.wtns"]);
    assert!(checked.contains("WITNESS IS CORRECT"), "{checked}");

    // One changed witness value, and a changed public input: refused.
    for index in [values.len() - 1, 1] {
        let mut tampered = values.clone();
        tampered[index] += Fr::from(1u64);
        std::fs::write(dir.path().join("bad.wtns"), wtns::to_bytes(&tampered)).unwrap();
        let out = snarkjs(dir.path(), &["wtns", "check", "e.r1cs", "bad.wtns"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            !out.status.success() || !text.contains("WITNESS IS CORRECT"),
            "snarkjs accepted a tampered witness (wire {index}):\n{text}"
        );
    }
}

#[test]
fn keys_from_a_snarkjs_ceremony_prove_here_and_verify_there() {
    let dir = tempfile::tempdir().unwrap();
    let (shape, public, witness) = eligibility_statement();
    let r1cs = R1cs::of_circuit(EligibilityCircuit::blank(shape)).unwrap();
    let final_zkey = snarkjs_ceremony(dir.path(), &r1cs, &["alice", "bob"]);
    let bytes = std::fs::read(&final_zkey).unwrap();

    let cache = KeyCache::new(dir.path().join("keys"));
    let (keys, manifest) = cache
        .import_zkey(&shape.id(), EligibilityCircuit::blank(shape), &bytes)
        .unwrap();
    assert!(!manifest.development);
    let source = manifest.zkey.clone().unwrap();
    assert_eq!(source.contributions, ["alice", "bob"]);
    assert_eq!(Reduction::of_key(&keys.pk), Reduction::Circom);
    // What we read is what snarkjs exports as the verifying key.
    snarkjs_ok(
        dir.path(),
        &[
            "zkey",
            "export",
            "verificationkey",
            final_zkey.to_str().unwrap(),
            "snarkjs-vk.json",
        ],
    );
    let snarkjs_vk =
        json::import_vk(&std::fs::read_to_string(dir.path().join("snarkjs-vk.json")).unwrap())
            .unwrap();
    assert_eq!(snarkjs_vk, keys.vk);
    // The stored entry loads again, as a ceremony key.
    let reloaded = cache.load(&shape.id()).unwrap().unwrap();
    assert_eq!(reloaded.vk_digest(), keys.vk_digest());

    // Our proof, with snarkjs' reduction, verifies here and there.
    let signals = public_inputs(&public);
    let proof = prove(
        &keys.pk,
        EligibilityCircuit::new(public.clone(), witness.clone()),
        &mut test_rng(51),
    )
    .unwrap();
    groth16::verify(&keys.prepared, &signals, &proof).unwrap();
    let vk_json = json::export_vk(&keys.vk);
    let proof_json = json::export_proof(&proof);
    assert!(snarkjs_verifies(
        dir.path(),
        &vk_json,
        &json::export_public(&signals),
        &proof_json
    ));
    let other_nullifier = public_inputs(&EligibilityPublic {
        nullifier: public.nullifier + Fr::from(1u64),
        ..public.clone()
    });
    assert!(groth16::verify(&keys.prepared, &other_nullifier, &proof).is_err());
    assert!(!snarkjs_verifies(
        dir.path(),
        &vk_json,
        &json::export_public(&other_nullifier),
        &proof_json
    ));

    // snarkjs' own proof from our witness file verifies here.
    let values = wtns::full_assignment(EligibilityCircuit::new(public, witness)).unwrap();
    std::fs::write(dir.path().join("e.wtns"), wtns::to_bytes(&values)).unwrap();
    snarkjs_ok(
        dir.path(),
        &[
            "groth16",
            "prove",
            final_zkey.to_str().unwrap(),
            "e.wtns",
            "sp.json",
            "spub.json",
        ],
    );
    let their_proof =
        json::import_proof(&std::fs::read_to_string(dir.path().join("sp.json")).unwrap()).unwrap();
    let their_signals =
        json::import_public(&std::fs::read_to_string(dir.path().join("spub.json")).unwrap())
            .unwrap();
    assert_eq!(their_signals, signals);
    groth16::verify(
        &PreparedKey::new(keys.vk.clone()).unwrap(),
        &signals,
        &their_proof,
    )
    .unwrap();
    assert!(groth16::verify(&keys.prepared, &other_nullifier, &their_proof).is_err());

    // Importing again would replace the logged key: refused.
    assert!(matches!(
        cache.import_zkey(&shape.id(), EligibilityCircuit::blank(shape), &bytes),
        Err(ProverError::KeysExist(_))
    ));

    // Our writer gives back a file that reads as the same key, and snarkjs
    // still verifies it against the ceremony.
    let zkey = Zkey::from_bytes(&bytes).unwrap();
    let rewritten = zkey.to_bytes();
    assert_eq!(Zkey::from_bytes(&rewritten).unwrap().pk, zkey.pk);
    std::fs::write(dir.path().join("rewritten.zkey"), &rewritten).unwrap();
    let ptau = prepared_ptau().to_str().unwrap().to_owned();
    let verified = snarkjs_ok(
        dir.path(),
        &["zkey", "verify", "circuit.r1cs", &ptau, "rewritten.zkey"],
    );
    assert!(verified.contains("ZKey Ok!"), "{verified}");
}

/// A key's newest contribution.
fn last_contribution(key: &Zkey) -> &zkaudit_prover::iden3::Contribution {
    key.mpc.as_ref().unwrap().contributions.last().unwrap()
}

/// Swaps the first two neighbours that differ (many points are the
/// identity: wires absent from a matrix).
fn swap_distinct<T: PartialEq>(points: &mut [T]) {
    let i = (1..points.len())
        .find(|&i| points[i] != points[i - 1])
        .expect("two different points");
    points.swap(i - 1, i);
}

/// The byte offset of section `id`'s contents in an iden3 file.
fn section_offset(bytes: &[u8], id: u32) -> usize {
    let mut pos = 12;
    loop {
        let sid = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap());
        let len = u64::from_le_bytes(bytes[pos + 4..pos + 12].try_into().unwrap()) as usize;
        if sid == id {
            return pos + 12;
        }
        pos += 12 + len;
    }
}

#[test]
fn zkeys_for_other_circuits_or_damaged_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cubic = R1cs::of_circuit(Cubic::blank()).unwrap();
    let zkey = snarkjs_ceremony(dir.path(), &cubic, &["carol"]);
    let bytes = std::fs::read(&zkey).unwrap();
    let cache = KeyCache::new(dir.path().join("keys"));

    // A key for another circuit.
    let (shape, _, _) = eligibility_statement();
    let err = cache
        .import_zkey(&shape.id(), EligibilityCircuit::blank(shape), &bytes)
        .unwrap_err();
    assert!(
        matches!(
            err,
            ProverError::Format(FormatError::CircuitMismatch { .. })
        ),
        "{err}"
    );

    // One changed byte in an H point, in a coefficient, in delta; a
    // truncated file.
    let h = section_offset(&bytes, 9);
    let mut in_h = bytes.clone();
    in_h[h + 64 + 5] ^= 0x10;
    let coefficients = section_offset(&bytes, 4);
    let mut in_coefficient = bytes.clone();
    in_coefficient[coefficients + 4 + 12] ^= 0x01;
    let header = section_offset(&bytes, 2);
    let mut in_delta = bytes.clone();
    // n8q, q, n8r, r, 3 counts, α₁, β₁, β₂, γ₂, then δ₁.
    in_delta[header + 4 + 32 + 4 + 32 + 12 + 64 + 64 + 128 + 128 + 3] ^= 0x01;
    assert!(Zkey::for_contribution(&in_h).is_err());
    for (damaged, what) in [
        (in_h, "H"),
        (in_coefficient, "coefficient"),
        (in_delta, "delta"),
        (bytes[..bytes.len() - 1].to_vec(), "truncated"),
    ] {
        let err = cache
            .import_zkey("cubic", Cubic::blank(), &damaged)
            .unwrap_err();
        assert!(matches!(err, ProverError::Format(_)), "{what}: {err}");
    }
    assert!(cache.manifest("cubic").unwrap().is_none(), "nothing stored");
    // A contributor checks what their secret multiplies (δ, L, H), not
    // the points they copy (B2 here); whoever accepts the key checks all.
    let b2 = section_offset(&bytes, 7);
    let mut in_b2 = bytes.clone();
    in_b2[b2 + 128 + 9] ^= 0x02;
    assert!(Zkey::from_bytes(&in_b2).is_err());
    assert!(Zkey::for_contribution(&in_b2).is_ok());

    // A key straight from `groth16 setup` (δ = 1) is a development key.
    let setup_only = std::fs::read(dir.path().join("key0.zkey")).unwrap();
    let (_, manifest) = cache
        .import_zkey("cubic", Cubic::blank(), &setup_only)
        .unwrap();
    assert!(manifest.development);

    // The accepted ceremony key proves a true statement, and not a false one.
    let (keys, _) = KeyCache::new(dir.path().join("keys2"))
        .import_zkey("cubic", Cubic::blank(), &bytes)
        .unwrap();
    let circuit = Cubic::new(7);
    let proof = prove(&keys.pk, circuit, &mut test_rng(61)).unwrap();
    groth16::verify(&keys.prepared, &circuit.public_inputs(), &proof).unwrap();
    let mut wrong = circuit.public_inputs();
    wrong[0] += Fr::from(1u64);
    assert!(groth16::verify(&keys.prepared, &wrong, &proof).is_err());
}

/// Contributions made with snarkjs verify here, ours pass `snarkjs zkey
/// verify`, and the two mix in one chain whose key proves.
#[test]
fn phase2_contributions_interoperate_with_snarkjs() {
    use ark_ec::CurveGroup;

    let dir = tempfile::tempdir().unwrap();
    let (shape, public, witness) = eligibility_statement();
    let r1cs = R1cs::of_circuit(EligibilityCircuit::blank(shape)).unwrap();
    snarkjs_ceremony(dir.path(), &r1cs, &["dave"]);
    let read =
        |name: &str| Zkey::from_bytes(&std::fs::read(dir.path().join(name)).unwrap()).unwrap();
    let (initial, after_dave) = (read("key0.zkey"), read("key1.zkey"));
    let mut rng = test_rng(71);

    // Our initial key is snarkjs' `groth16 setup`, circuit hash included.
    let ptau_bytes = std::fs::read(prepared_ptau()).unwrap();
    let ours = initial_key(&r1cs, &Ptau::parse(&ptau_bytes).unwrap()).unwrap();
    assert_eq!(ours.pk, initial.pk);
    assert_eq!(ours.mpc, initial.mpc);
    assert_eq!(ours.coefficients, initial.coefficients);

    // snarkjs' contribution checks out here.
    verify_contribution(&initial, &after_dave, &mut rng).unwrap();

    // Two contributions of ours on top, then one more by snarkjs.
    let (after_erin, erin_hash) =
        contribute(&after_dave, "erin", &mut contribution_rng(b"erin's dice")).unwrap();
    assert_eq!(
        verify_contribution(&after_dave, &after_erin, &mut rng).unwrap(),
        erin_hash
    );
    let (after_frank, _) = contribute(&after_erin, "frank", &mut contribution_rng(b"")).unwrap();
    verify_contribution(&after_erin, &after_frank, &mut rng).unwrap();
    std::fs::write(dir.path().join("key3.zkey"), after_frank.to_bytes()).unwrap();
    let ptau = prepared_ptau().to_str().unwrap().to_owned();
    let verified = snarkjs_ok(
        dir.path(),
        &["zkey", "verify", "circuit.r1cs", &ptau, "key3.zkey"],
    );
    assert!(verified.contains("ZKey Ok!"), "{verified}");
    for name in ["dave", "erin", "frank"] {
        assert!(
            verified.contains(name),
            "snarkjs does not list {name}:\n{verified}"
        );
    }
    snarkjs_ok(
        dir.path(),
        &[
            "zkey",
            "contribute",
            "key3.zkey",
            "key4.zkey",
            "--name=grace",
            "-e=grace",
        ],
    );
    let after_grace = read("key4.zkey");
    verify_contribution(&after_frank, &after_grace, &mut rng).unwrap();

    // The beacon: snarkjs' and ours, from the same public value, give the
    // same key; each verifies on the other side.
    const BEACON: &str = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";
    snarkjs_ok(
        dir.path(),
        &[
            "zkey",
            "beacon",
            "key4.zkey",
            "theirs.zkey",
            BEACON,
            "10",
            "-n=final beacon",
        ],
    );
    let theirs = read("theirs.zkey");
    let (ours, _) = beacon(
        &after_grace,
        "final beacon",
        &hex::decode(BEACON).unwrap(),
        10,
    )
    .unwrap();
    assert_eq!(ours.pk, theirs.pk);
    assert_eq!(ours.mpc, theirs.mpc);
    verify_contribution(&after_grace, &theirs, &mut rng).unwrap();
    std::fs::write(dir.path().join("ours.zkey"), ours.to_bytes()).unwrap();
    let verified = snarkjs_ok(
        dir.path(),
        &["zkey", "verify", "circuit.r1cs", &ptau, "ours.zkey"],
    );
    assert!(verified.contains("ZKey Ok!"), "{verified}");
    // A beacon entry whose key does not follow from its value.
    let (mut fake, _) = contribute(&after_grace, "x", &mut rng).unwrap();
    let last = fake.mpc.as_mut().unwrap().contributions.last_mut().unwrap();
    last.kind = last_contribution(&ours).kind.clone();
    assert!(matches!(
        verify_contribution(&after_grace, &fake, &mut rng),
        Err(CeremonyError::Beacon(_))
    ));
    let after_grace = ours;

    // The whole transcript checks out from the .r1cs and .ptau, and lists
    // who contributed; anything spliced in is found and located.
    let phase1 = Ptau::parse(&ptau_bytes).unwrap();
    let report = verify_ceremony(&r1cs, &phase1, &after_grace, &mut rng).unwrap();
    let names: Vec<_> = report
        .iter()
        .map(|c| c.name.clone().unwrap_or_default())
        .collect();
    assert_eq!(names, ["dave", "erin", "frank", "grace", "final beacon"]);
    assert_eq!(report[1].hash, erin_hash);
    let mut spliced = after_grace.clone();
    let second = &mut spliced.mpc.as_mut().unwrap().contributions[1];
    second.g2_spx = (second.g2_spx * Fr::from(2u64)).into_affine();
    assert!(matches!(
        verify_ceremony(&r1cs, &phase1, &spliced, &mut rng),
        Err(CeremonyError::AtContribution(2, _))
    ));
    let mut other_ic = after_grace.clone();
    other_ic.pk.vk.gamma_abc_g1.swap(0, 1);
    assert_eq!(
        verify_ceremony(&r1cs, &phase1, &other_ic, &mut rng),
        Err(CeremonyError::Changed("IC"))
    );
    for (what, swap) in [
        (
            "A",
            (|k: &mut Zkey| swap_distinct(&mut k.pk.a_query)) as fn(&mut Zkey),
        ),
        ("B2", |k: &mut Zkey| swap_distinct(&mut k.pk.b_g2_query)),
        ("L", |k: &mut Zkey| swap_distinct(&mut k.pk.l_query)),
    ] {
        let mut changed = after_grace.clone();
        swap(&mut changed);
        assert_eq!(
            verify_ceremony(&r1cs, &phase1, &changed, &mut rng),
            Err(CeremonyError::Changed(what))
        );
    }
    let mut stale_h = after_grace.clone();
    stale_h.pk.h_query = after_frank.pk.h_query.clone();
    assert_eq!(
        verify_ceremony(&r1cs, &phase1, &stale_h, &mut rng),
        Err(CeremonyError::Changed("H"))
    );
    let cubic = R1cs::of_circuit(Cubic::blank()).unwrap();
    assert!(matches!(
        verify_ceremony(&cubic, &phase1, &after_grace, &mut rng),
        Err(CeremonyError::Changed(_))
    ));

    // The mixed chain's key proves; snarkjs verifies the proof.
    let cache = KeyCache::new(dir.path().join("keys"));
    let (keys, manifest) = cache
        .import_zkey(
            &shape.id(),
            EligibilityCircuit::blank(shape),
            &after_grace.to_bytes(),
        )
        .unwrap();
    assert_eq!(
        manifest.zkey.unwrap().contributions,
        ["dave", "erin", "frank", "grace", "beacon"]
    );
    let signals = public_inputs(&public);
    let proof = prove(&keys.pk, EligibilityCircuit::new(public, witness), &mut rng).unwrap();
    groth16::verify(&keys.prepared, &signals, &proof).unwrap();
    assert!(snarkjs_verifies(
        dir.path(),
        &json::export_vk(&keys.vk),
        &json::export_public(&signals),
        &json::export_proof(&proof)
    ));
}

/// Each way of cheating at a contribution is refused with its reason.
#[test]
fn dishonest_contributions_are_refused() {
    use ark_ec::{AffineRepr, CurveGroup};
    use zkaudit_prover::ceremony::CeremonyError;
    use zkaudit_prover::ceremony::transcript::{hash_to_g2, transcript};

    let dir = tempfile::tempdir().unwrap();
    let cubic = R1cs::of_circuit(Cubic::blank()).unwrap();
    snarkjs_ceremony(dir.path(), &cubic, &["heidi"]);
    let current = Zkey::from_bytes(&std::fs::read(dir.path().join("key1.zkey")).unwrap()).unwrap();
    let stale = Zkey::from_bytes(&std::fs::read(dir.path().join("key0.zkey")).unwrap()).unwrap();
    let mut rng = test_rng(81);
    let (honest, _) = contribute(&current, "ivan", &mut rng).unwrap();
    verify_contribution(&current, &honest, &mut rng).unwrap();
    let refused = |next: &Zkey, rng: &mut rand_chacha::ChaCha20Rng| {
        verify_contribution(&current, next, rng).unwrap_err()
    };

    // δ reused: a "contribution" with secret 1 (its proof of knowledge is
    // valid, but it adds nothing).
    let mut lazy = current.clone();
    let mpc = lazy.mpc.as_mut().unwrap();
    let g1_s = (ark_bn254::G1Affine::generator() * Fr::from(5u64)).into_affine();
    let t = transcript(&mpc.cs_hash, &mpc.contributions, &g1_s, &g1_s);
    let mut pretend = last_contribution(&honest).clone();
    pretend.delta_after = current.pk.delta_g1;
    pretend.g1_s = g1_s;
    pretend.g1_sx = g1_s;
    pretend.g2_spx = hash_to_g2(&t);
    pretend.transcript = t;
    mpc.contributions.push(pretend);
    assert!(matches!(refused(&lazy, &mut rng), CeremonyError::Delta(_)));

    // A wrong proof of knowledge.
    let mut forged = honest.clone();
    let last = forged
        .mpc
        .as_mut()
        .unwrap()
        .contributions
        .last_mut()
        .unwrap();
    last.g2_spx = (last.g2_spx * Fr::from(2u64)).into_affine();
    assert_eq!(refused(&forged, &mut rng), CeremonyError::ProofOfKnowledge);

    // IC or α changed.
    let mut ic = honest.clone();
    ic.pk.vk.gamma_abc_g1[1] = ic.pk.vk.gamma_abc_g1[0];
    assert_eq!(refused(&ic, &mut rng), CeremonyError::Changed("IC"));
    let mut alpha = honest.clone();
    alpha.pk.vk.alpha_g1 = (alpha.pk.vk.alpha_g1 * Fr::from(3u64)).into_affine();
    assert_eq!(refused(&alpha, &mut rng), CeremonyError::Changed("alpha"));

    // Built on a stale key (the one before heidi's contribution).
    let (on_stale, _) = contribute(&stale, "judy", &mut rng).unwrap();
    assert_eq!(refused(&on_stale, &mut rng), CeremonyError::DoesNotExtend);

    // One stored point swapped (still a valid point), and L left as it was.
    let mut swapped = honest.clone();
    swapped.pk.h_query.swap(0, 1);
    assert_eq!(
        refused(&swapped, &mut rng),
        CeremonyError::QueryNotUpdated("H")
    );
    let mut stale_l = honest.clone();
    stale_l.pk.l_query = current.pk.l_query.clone();
    assert_eq!(
        refused(&stale_l, &mut rng),
        CeremonyError::QueryNotUpdated("L")
    );

    // One byte changed in the stored file: refused when read.
    let mut bytes = honest.to_bytes();
    let h = section_offset(&bytes, 9);
    bytes[h + 7] ^= 0x20;
    assert!(Zkey::from_bytes(&bytes).is_err());
}
