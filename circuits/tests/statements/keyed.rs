//! Ballots of statement v3: contests as in v2, with the election's joint
//! key a constant of the circuit. The shape and its id, the fixed-key
//! encryption gadget against the native one, valid ballots, a ciphertext
//! under another key refused (natively and by the circuit, whichever key
//! the statement announces), pinned costs and system, and a Groth16 round
//! trip.

use ark_bn254::Bn254;
use ark_ff::{AdditiveGroup, Field};
use ark_groth16::Groth16;
use ark_r1cs_std::prelude::*;
use ark_snark::SNARK;
use zkaudit_circuits::babyjubjub::constraints::FixedBaseTable;
use zkaudit_circuits::babyjubjub::{BASE8, Point};
use zkaudit_circuits::ballot::constraints::encrypt_points_fixed_key;
use zkaudit_circuits::ballot::contests::{MAX_POINTS, POINT_BITS};
use zkaudit_circuits::ballot::{
    BallotCircuit, BallotPublic, BallotShape, ContestRule, KEYED_DOMAIN_TAG, RANDOMNESS_BITS,
    check, encrypt_ballot, key_tag, public_inputs,
};
use zkaudit_circuits::elgamal::{self, Scalar};
use zkaudit_circuits::{CircuitError, Fr};

use crate::ballot::{Election, assert_false, bits_of, satisfies};
use crate::common::{constraint_system_digest, new_cs, rng, synthesize};
use crate::contests::{assert_groth16_round_trip, contest_parts};

fn v2(depth: usize, attributes: usize, contests: &[usize]) -> BallotShape {
    BallotShape::with_contests(depth, attributes, contests).unwrap()
}

/// An election of the v3 shape of `contests` for its own (random) key.
fn keyed_election(contests: &[usize], seed: u64) -> Election {
    let mut election = Election::new(v2(5, 2, contests), 6, 2, seed);
    election.shape = election
        .shape
        .for_election_key(election.election_key)
        .unwrap();
    election
}

fn rules() -> Vec<ContestRule> {
    vec![
        ContestRule::choices(1, 1),
        ContestRule {
            min: 0,
            max: 4,
            limit: 2,
        },
    ]
}

#[test]
fn keyed_shapes_are_validated_and_named() {
    let key = elgamal::public_key(&Scalar::from(7u64));
    let shape = v2(20, 3, &[4, 8]).for_election_key(key).unwrap();
    assert_eq!(
        shape.id(),
        format!("ballot-d20-a3-c4-c8-k{}", key_tag(&key))
    );
    assert_eq!(key_tag(&key).len(), 32);
    assert!(
        key_tag(&key)
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(shape.version(), 3);
    assert_eq!(v2(20, 3, &[4, 8]).version(), 2);
    assert_eq!(BallotShape::new(20, 3, 4).unwrap().version(), 1);
    // The longest shape's id still fits a logged key's 64-character shape.
    let longest = v2(32, 8, &[4, 4, 4, 4]).for_election_key(key).unwrap();
    assert!(longest.id().len() < 64, "{}", longest.id());
    // Another key, another circuit and another id.
    let other = elgamal::public_key(&Scalar::from(8u64));
    assert_ne!(
        v2(20, 3, &[4, 8]).for_election_key(other).unwrap().id(),
        shape.id()
    );
    // The tag is SHA3-256 of the v3 tag and the key's encoding, truncated.
    use sha3::{Digest, Sha3_256};
    let digest = Sha3_256::new()
        .chain_update(KEYED_DOMAIN_TAG)
        .chain_update(elgamal::encode_point(&key))
        .finalize();
    assert_eq!(key_tag(&key), hex_of(&digest[..16]));

    // No v1 shape is keyed; no weak key is fixed.
    let v1 = BallotShape::new(20, 3, 4).unwrap();
    assert_eq!(
        v1.for_election_key(key),
        Err(CircuitError::KeyedShapeNeedsContests)
    );
    assert_eq!(
        v2(20, 3, &[4]).for_election_key(Point::IDENTITY),
        Err(CircuitError::WeakElectionKey)
    );
    // (0, −1) has order 2: on the curve, outside the subgroup.
    let order_two = Point::new(Fr::ZERO, -Fr::ONE).unwrap();
    for bad in [order_two, key + order_two] {
        assert_eq!(
            v2(20, 3, &[4]).for_election_key(bad),
            Err(CircuitError::ElectionKeyNotInSubgroup)
        );
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `m·B8 + r·PK` with the key's table equals the native encryption for
/// every value a contest may give.
#[test]
fn fixed_key_encryption_matches_native() {
    let key = elgamal::public_key(&Scalar::from(424_242u64));
    let table = FixedBaseTable::new(key, RANDOMNESS_BITS);
    let r = Scalar::from(987_654_321u64);
    for value in 0..=MAX_POINTS {
        let cs = new_cs();
        let value_bits: Vec<Boolean<Fr>> = (0..POINT_BITS)
            .map(|i| Boolean::new_witness(cs.clone(), || Ok((value >> i) & 1 == 1)).unwrap())
            .collect();
        let r_bits = Vec::new_witness(cs.clone(), || Ok(bits_of(&r))).unwrap();
        let encrypted = encrypt_points_fixed_key(&table, &value_bits, &r_bits).unwrap();
        let native = elgamal::encrypt(&key, value, &r);
        assert_eq!(encrypted.c1.value().unwrap(), native.c1, "{value}");
        assert_eq!(encrypted.c2.value().unwrap(), native.c2, "{value}");
        assert!(cs.is_satisfied().unwrap());
    }
}

#[test]
fn valid_ballots_are_accepted_and_the_key_is_not_an_input() {
    let mut election = keyed_election(&[2, 3], 301);
    for choices in [[1, 0, 0, 0, 0], [0, 1, 2, 0, 2], [1, 0, 1, 1, 1]] {
        let (public, witness) = election.ballot_with(rules(), &choices);
        assert_eq!(check(&public, &witness), Ok(()), "{choices:?}");
        assert!(satisfies(&public, &witness), "{choices:?}");
        // v2's inputs without the key's two coordinates.
        let mut unkeyed = public.clone();
        unkeyed.shape.election_key = None;
        assert_eq!(
            public_inputs(&public).len() + 2,
            public_inputs(&unkeyed).len()
        );
    }
}

/// The soundness of fixing the key: a ballot encrypted under any other key
/// is refused, whether the statement announces the election's key or the
/// other one; and over-the-limit values are refused as in v2.
#[test]
fn a_ciphertext_under_another_key_is_refused() {
    let mut election = keyed_election(&[2, 3], 302);
    let (mut public, witness) = election.ballot_with(rules(), &[0, 1, 2, 0, 2]);
    let other_key = elgamal::public_key(&Scalar::from(12_345u64));
    public.ciphertexts = encrypt_ballot(&other_key, &witness.choices, &witness.randomness).unwrap();
    assert_false(
        &public,
        &witness,
        CircuitError::CiphertextMismatch { option: 0 },
    );
    // Announcing the other key: natively a mismatch with the shape, and the
    // circuit (whose key is a constant) still refuses.
    public.election_key = other_key;
    assert_false(&public, &witness, CircuitError::ElectionKeyMismatch);

    let (public, witness) = election.ballot_with(rules(), &[0, 1, 3, 0, 0]);
    assert_false(
        &public,
        &witness,
        CircuitError::ChoiceOverLimit {
            option: 2,
            limit: 2,
        },
    );
}

/// The realistic shape at v3, part by part: v2's eligibility and contests,
/// the key a constant (no on-curve check), `r·PK` by the key's table.
#[test]
fn constraint_counts_are_pinned() {
    let key = elgamal::public_key(&Scalar::from(7u64));
    let shape = v2(20, 3, &[4, 8]).for_election_key(key).unwrap();
    let table = FixedBaseTable::new(key, RANDOMNESS_BITS);
    let parts = contest_parts(shape, |_, bits, randomness| {
        encrypt_points_fixed_key(&table, bits, randomness).unwrap()
    });
    let total = synthesize(BallotCircuit::blank(shape)).num_constraints();

    // 3 predicate set flags; the key is a constant.
    assert_eq!(parts.public, 3);
    assert_eq!(parts.witness, 20 + 12 * 251);
    assert_eq!(parts.eligibility, 7_335 - 1 - 3 - 20);
    assert_eq!(parts.contests, 12 * (5 + 5) + 2 * (5 + 4 * 8));
    // Per option: c1 (748), m·B8 (3 + 6), r·PK by the key's table (748),
    // c2's addition (6), equalities (4).
    assert_eq!(parts.encryption, 12 * (748 + 9 + 748 + 6 + 4));
    assert_eq!(parts.message, 1);
    assert_eq!(total, 28_721);
    assert!(total < 1 << 15);
}

/// The whole v3 constraint system of one key is pinned (do not update the
/// digest: introduce a new statement version).
#[test]
fn constraint_system_is_pinned() {
    let key = elgamal::public_key(&Scalar::from(7u64));
    let shape = v2(4, 2, &[2, 1]).for_election_key(key).unwrap();
    assert_eq!(
        constraint_system_digest(BallotCircuit::blank(shape)),
        "b4c8ed9f18e2ff9f48bba7127c26696747e8fbd5c5ba95aedb6c703572e2e3f2"
    );
    // Another key is another circuit.
    let other = v2(4, 2, &[2, 1])
        .for_election_key(elgamal::public_key(&Scalar::from(8u64)))
        .unwrap();
    assert_ne!(
        constraint_system_digest(BallotCircuit::blank(other)),
        constraint_system_digest(BallotCircuit::blank(shape))
    );
}

/// Setup, prove and verify a v3 ballot with Groth16; the proof does not
/// verify with a changed ciphertext or rule, and the key of another
/// election's circuit does not accept it.
#[test]
fn groth16_round_trip() {
    let mut election = keyed_election(&[2, 3], 303);
    let shape = election.shape;
    let mut rng = rng(304);
    let changes: [fn(&mut BallotPublic); 3] = [
        |p| p.contests[1].limit = 3,
        |p| p.contests[0].min = 0,
        |p| p.ciphertexts[4].c2 = p.ciphertexts[4].c2 + BASE8,
    ];
    let (public, proof, pvk) =
        assert_groth16_round_trip(&mut election, rules(), &[0, 1, 2, 0, 2], &changes, &mut rng);
    // v2's inputs of this shape less the key's two.
    assert_eq!(pvk.vk.gamma_abc_g1.len(), 1 + (4 + 7 * 2) + 3 * 2 + 4 * 5);
    // The circuit of another key (another election of the same contests).
    let other_shape = shape
        .for_election_key(elgamal::public_key(&Scalar::from(99u64)))
        .unwrap();
    let (_, other_vk) =
        Groth16::<Bn254>::circuit_specific_setup(BallotCircuit::blank(other_shape), &mut rng)
            .unwrap();
    let other_pvk = Groth16::<Bn254>::process_vk(&other_vk).unwrap();
    let inputs = public_inputs(&public);
    assert!(!Groth16::<Bn254>::verify_with_processed_vk(&other_pvk, &inputs, &proof).unwrap());
}
