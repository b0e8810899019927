//! Phase 1 made here is phase 1 to snarkjs, and the other way round.
//!
//! - A file made and contributed to here, then by snarkjs, then here again,
//!   finished with a beacon and prepared here, passes
//!   `snarkjs powersoftau verify`, and our verifier accepts every stage.
//! - Our beacon and our Lagrange sections are exactly snarkjs' (same
//!   input, same output): the transcript hashes, the saved hash state, the
//!   key derivation and the inverse FFT over the curve agree bit for bit.
//! - snarkjs' own prepared file passes our verifier.
//! - Tampered files — a point off the powers, a forged proof of knowledge,
//!   a changed challenge, a damaged Lagrange level, a beacon that does not
//!   follow from its value — are refused by our verifier, and by snarkjs.
//!
//! Needs Node.js (see `common::snarkjs`).

mod common;

use std::path::Path;

use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup};
use common::snarkjs::{prepared_ptau, snarkjs, snarkjs_ok};
use common::test_rng;
use zkaudit_prover::iden3::{ContributionKind, PowersOfTau};
use zkaudit_prover::phase1::blake2b::Blake2bState;
use zkaudit_prover::phase1::{
    Phase1Error, beacon, contribute, new_powers_of_tau, prepare_phase2, verify_powers_of_tau,
};

const POWER: u32 = 5;

fn write(dir: &Path, name: &str, file: &PowersOfTau) {
    std::fs::write(dir.join(name), file.to_bytes()).unwrap();
}

fn read(dir: &Path, name: &str) -> PowersOfTau {
    PowersOfTau::from_bytes(&std::fs::read(dir.join(name)).unwrap()).unwrap()
}

/// `snarkjs powersoftau verify` on `name`: whether it says the file is OK.
fn snarkjs_accepts(dir: &Path, name: &str) -> bool {
    let out = snarkjs(dir, &["powersoftau", "verify", name]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let ok = out.status.success() && text.contains("Powers of Tau Ok!");
    assert!(
        ok || text.contains("ERROR") || text.contains("rror"),
        "snarkjs failed for another reason:\n{text}"
    );
    ok
}

/// Two files equal but for stale bytes in the saved hash states (snarkjs
/// saves its whole buffer; the state is the same).
fn assert_same_file(ours: &PowersOfTau, theirs: &PowersOfTau) {
    let normalise = |file: &PowersOfTau| {
        let mut file = file.clone();
        for c in &mut file.contributions {
            c.partial_hash = Blake2bState::from_partial_hash(&c.partial_hash)
                .unwrap()
                .to_partial_hash();
        }
        file
    };
    assert!(normalise(ours) == normalise(theirs), "the files differ");
}

#[test]
fn phase_one_made_here_passes_snarkjs_and_snarkjs_files_pass_here() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let mut rng = test_rng(5);

    // Ours, then snarkjs', then ours.
    let fresh = new_powers_of_tau(POWER).unwrap();
    assert_eq!(
        verify_powers_of_tau(&fresh, &mut rng),
        Err(Phase1Error::NoContributions)
    );
    let (first, _) = contribute(&fresh, "ada", &mut rng).unwrap();
    write(dir, "pot1.ptau", &first);
    assert!(snarkjs_accepts(dir, "pot1.ptau"));
    snarkjs_ok(
        dir,
        &[
            "powersoftau",
            "contribute",
            "pot1.ptau",
            "pot2.ptau",
            "--name=grace (snarkjs)",
            "-e=grace's entropy",
        ],
    );
    let second = read(dir, "pot2.ptau");
    let report = verify_powers_of_tau(&second, &mut rng).unwrap();
    assert_eq!(report.contributions.len(), 2);
    assert_eq!(
        report.contributions[1].name.as_deref(),
        Some("grace (snarkjs)")
    );
    let (third, response) = contribute(&second, "edsger", &mut rng).unwrap();
    let report = verify_powers_of_tau(&third, &mut rng).unwrap();
    assert_eq!(report.contributions[2].response_hash, response);

    // The beacon: ours and snarkjs' give the same file.
    write(dir, "pot3.ptau", &third);
    let beacon_hex = "0102030405060708090a0b0c0d0e0f10";
    let (beaconed, _) = beacon(
        &third,
        "final beacon",
        &hex::decode(beacon_hex).unwrap(),
        10,
    )
    .unwrap();
    snarkjs_ok(
        dir,
        &[
            "powersoftau",
            "beacon",
            "pot3.ptau",
            "pot4-snarkjs.ptau",
            beacon_hex,
            "10",
            "-n=final beacon",
        ],
    );
    assert_same_file(&beaconed, &read(dir, "pot4-snarkjs.ptau"));
    write(dir, "pot4.ptau", &beaconed);
    assert!(snarkjs_accepts(dir, "pot4.ptau"));

    // Prepared for phase 2: ours and snarkjs' Lagrange sections agree, and
    // snarkjs verifies ours.
    let prepared = prepare_phase2(&beaconed);
    write(dir, "pot-final.ptau", &prepared);
    snarkjs_ok(
        dir,
        &[
            "powersoftau",
            "prepare",
            "phase2",
            "pot4.ptau",
            "pot-final-snarkjs.ptau",
        ],
    );
    assert_same_file(&prepared, &read(dir, "pot-final-snarkjs.ptau"));
    assert!(snarkjs_accepts(dir, "pot-final.ptau"));
    let report = verify_powers_of_tau(&prepared, &mut rng).unwrap();
    assert!(report.prepared);
    assert_eq!(report.contributions.len(), 4);
    assert!(matches!(
        report.contributions[3].kind,
        ContributionKind::Beacon {
            iterations_exp: 10,
            ..
        }
    ));

    // snarkjs' own prepared file (power 12) passes here.
    let theirs = PowersOfTau::from_bytes(&std::fs::read(prepared_ptau()).unwrap()).unwrap();
    assert!(verify_powers_of_tau(&theirs, &mut rng).unwrap().prepared);

    tampering_is_refused(dir, &prepared);
}

fn tampering_is_refused(dir: &Path, good: &PowersOfTau) {
    let mut rng = test_rng(5);
    let double = |p: ark_bn254::G1Affine| (p.into_group().double()).into_affine();

    // A point off the powers.
    let mut bad = good.clone();
    bad.tau_g1[7] = double(bad.tau_g1[7]);
    assert!(matches!(
        verify_powers_of_tau(&bad, &mut rng),
        Err(Phase1Error::Powers(_))
    ));
    write(dir, "bad-powers.ptau", &bad);
    assert!(!snarkjs_accepts(dir, "bad-powers.ptau"));

    // A forged proof of knowledge in the first contribution.
    let mut bad = good.clone();
    bad.contributions[0].key.alpha.g1_sx = double(bad.contributions[0].key.alpha.g1_sx);
    assert_eq!(
        verify_powers_of_tau(&bad, &mut rng),
        Err(Phase1Error::AtContribution(
            1,
            "the proof of knowledge of alpha fails"
        ))
    );
    write(dir, "bad-key.ptau", &bad);
    assert!(!snarkjs_accepts(dir, "bad-key.ptau"));

    // A changed challenge breaks the chain at the next contribution.
    let mut bad = good.clone();
    bad.contributions[1].next_challenge[0] ^= 1;
    assert!(matches!(
        verify_powers_of_tau(&bad, &mut rng),
        Err(Phase1Error::AtContribution(3, _))
    ));
    write(dir, "bad-challenge.ptau", &bad);
    assert!(!snarkjs_accepts(dir, "bad-challenge.ptau"));

    // The beacon's value changed after the fact.
    let mut bad = good.clone();
    if let ContributionKind::Beacon { hash, .. } = &mut bad.contributions[3].kind {
        hash[0] ^= 1;
    }
    assert_eq!(
        verify_powers_of_tau(&bad, &mut rng),
        Err(Phase1Error::AtContribution(
            4,
            "its key does not follow from its beacon"
        ))
    );
    write(dir, "bad-beacon.ptau", &bad);
    assert!(!snarkjs_accepts(dir, "bad-beacon.ptau"));

    // A damaged saved hash state (snarkjs does not check it; we do).
    let mut bad = good.clone();
    bad.contributions[3].partial_hash[130] ^= 1;
    assert!(matches!(
        verify_powers_of_tau(&bad, &mut rng),
        Err(Phase1Error::Transcript(_))
    ));

    // A damaged Lagrange level.
    let mut bad = good.clone();
    let lagrange = bad.lagrange.as_mut().unwrap();
    lagrange.alpha_tau_g1[9] = double(lagrange.alpha_tau_g1[9]);
    assert_eq!(
        verify_powers_of_tau(&bad, &mut rng),
        Err(Phase1Error::Lagrange {
            series: "alpha·tau·g1",
            level: 3
        })
    );
    write(dir, "bad-lagrange.ptau", &bad);
    assert!(!snarkjs_accepts(dir, "bad-lagrange.ptau"));

    // Bytes that are not a point: the file header (12 bytes), the header
    // section (12 + 44), section 2's header (12), then τ³·g₁'s x.
    let mut bytes = good.to_bytes();
    bytes[12 + 56 + 12 + 3 * 64 + 5] ^= 0x55;
    assert!(PowersOfTau::from_bytes(&bytes).is_err());
}
