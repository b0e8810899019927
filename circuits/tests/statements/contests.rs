//! Ballots of several contests (statement v2): the layout, valid ballots of
//! plurality, approval and cumulative contests, a cheating voter per
//! constraint family (over the maximum, under the minimum, over the
//! per-option limit, a negative value, a value for an option the ballot
//! does not have, a rule that wraps around), pinned costs, and a Groth16
//! round trip.

use ark_bn254::Bn254;
use ark_ff::{AdditiveGroup, Field, PrimeField};
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof};
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::{ConstraintSynthesizer, SynthesisError};
use ark_snark::SNARK;
use zkaudit_circuits::babyjubjub::BASE8;
use zkaudit_circuits::babyjubjub::constraints::PointVar;
use zkaudit_circuits::ballot::constraints::{
    BallotPublicVar, BallotWitnessVar, CiphertextVar, ContestRuleVar, encrypt_points_var,
    enforce_contest,
};
use zkaudit_circuits::ballot::contests::{MAX_POINTS, POINT_BITS};
use zkaudit_circuits::ballot::{
    BallotCircuit, BallotPublic, BallotShape, BallotWitness, CONTESTS_DOMAIN_TAG, ContestRule,
    ContestSizes, check, public_inputs,
};
use zkaudit_circuits::constraints::StatementShape;
use zkaudit_circuits::elgamal::{self, Scalar};
use zkaudit_circuits::{CircuitError, Fr};

use crate::ballot::{Election, assert_false, bits_of, satisfies, satisfies_with};
use crate::common::{
    assert_changes_are_told_apart, assert_witnesses_are_pinned, constraint_system_digest, new_cs,
    part_counter, rng, synthesize,
};

fn shape(depth: usize, attributes: usize, contests: &[usize]) -> BallotShape {
    BallotShape::with_contests(depth, attributes, contests).unwrap()
}

/// A mayor (one of 3), a council (approve up to 2 of 4) and cumulative
/// points (up to 3 per option, 5 in all, of 2 options).
fn three_contests() -> (BallotShape, Vec<ContestRule>) {
    let rules = vec![
        ContestRule::choices(1, 1),
        ContestRule::choices(0, 2),
        ContestRule {
            min: 0,
            max: 5,
            limit: 3,
        },
    ];
    (shape(5, 2, &[3, 4, 2]), rules)
}

#[test]
fn layouts_are_validated_and_named() {
    assert_eq!(shape(20, 3, &[4, 8]).id(), "ballot-d20-a3-c4-c8");
    assert_eq!(shape(4, 1, &[1]).to_string(), "ballot-d4-a1-c1");
    assert_eq!(shape(20, 3, &[4, 8]).options(), 12);
    assert_eq!(shape(20, 3, &[4, 8]).contest_ranges(), [0..4, 4..12]);
    assert!(BallotShape::with_contests(32, 8, &[8, 8]).is_ok());
    assert!(BallotShape::with_contests(20, 3, &[4, 4, 4, 4]).is_ok());
    assert_eq!(ContestSizes::new(&[]), Err(CircuitError::ContestCount(0)));
    assert_eq!(
        ContestSizes::new(&[2; 5]),
        Err(CircuitError::ContestCount(5))
    );
    for options in [0, 9] {
        assert_eq!(
            ContestSizes::new(&[2, options]),
            Err(CircuitError::ContestOptions {
                contest: 1,
                options
            })
        );
    }
    assert_eq!(
        ContestSizes::new(&[8, 8, 1]),
        Err(CircuitError::BallotOptions(17))
    );
    // A v2 shape of one contest is another statement than the v1 shape of
    // the same options.
    let v1 = BallotShape::new(4, 1, 3).unwrap();
    let v2 = shape(4, 1, &[3]);
    assert_ne!(v1, v2);
    assert_ne!(v1.id(), v2.id());
}

#[test]
fn contest_rules_are_validated() {
    let (shape, rules) = three_contests();
    let mut election = Election::new(shape, 6, 2, 200);
    let (public, witness) = election.ballot_with(rules, &[0, 1, 0, 1, 1, 0, 0, 2, 3]);
    assert_eq!(check(&public, &witness), Ok(()));
    let with = |change: fn(&mut BallotPublic)| {
        let mut changed = public.clone();
        change(&mut changed);
        check(&changed, &witness)
    };
    let invalid = |contest, min, max, limit, options| {
        Err(CircuitError::InvalidContestRule {
            contest,
            min,
            max,
            limit,
            options,
        })
    };
    // Over limit · options, min over max, a limit of 0 or over 15.
    assert_eq!(with(|p| p.contests[2].max = 7), invalid(2, 0, 7, 3, 2));
    assert_eq!(with(|p| p.contests[1].min = 3), invalid(1, 3, 2, 1, 4));
    assert_eq!(with(|p| p.contests[0].limit = 0), invalid(0, 1, 1, 0, 3));
    assert_eq!(with(|p| p.contests[2].limit = 16), invalid(2, 0, 5, 16, 2));
    assert_eq!(
        with(|p| p.contests.truncate(2)),
        Err(CircuitError::ContestRuleCountMismatch {
            expected: 3,
            found: 2
        })
    );
}

/// The layout's digest: the v2 tag, the number of contests and each one's
/// options, then as v1 with `min, max, limit` per contest.
#[test]
fn digest_follows_the_documented_layout() {
    let (shape, rules) = three_contests();
    let mut election = Election::new(shape, 6, 2, 201);
    let (public, _) = election.ballot_with(rules, &[0, 1, 0, 1, 1, 0, 0, 2, 3]);
    let elements = public.digest_elements();
    let tag = Fr::from_be_bytes_mod_order(CONTESTS_DOMAIN_TAG);
    assert_eq!(CONTESTS_DOMAIN_TAG, b"zkaudit/ballot/v2");
    assert_eq!(elements[0], tag);
    assert_eq!(elements[1..5], [3u64, 3, 4, 2].map(Fr::from));
    let eligibility = public.eligibility.digest_elements();
    let rules_at = 5 + eligibility.len() + 2;
    assert_eq!(elements[5..5 + eligibility.len()], eligibility[..]);
    let rules: Vec<Fr> = [1u64, 1, 1, 0, 2, 1, 0, 5, 3].map(Fr::from).to_vec();
    assert_eq!(elements[rules_at..rules_at + 9], rules[..]);
    assert_eq!(elements.len(), rules_at + 9 + 4 * 9);
    // The public inputs: the eligibility inputs, the key, the rules and the
    // ciphertexts, without the shape's constants.
    let inputs = public_inputs(&public);
    assert_eq!(inputs.len(), (4 + 7 * 2) + 2 + 3 * 3 + 4 * 9);
    assert_eq!(inputs[inputs.len() - 36 - 9..inputs.len() - 36], rules[..]);
}

/// Every parameter, including each rule's limit and the layout, changes
/// the digest.
#[test]
fn digest_binds_every_parameter() {
    let (shape, rules) = three_contests();
    let mut election = Election::new(shape, 6, 2, 202);
    let (public, _) = election.ballot_with(rules, &[1, 0, 0, 0, 0, 0, 0, 1, 1]);
    type Change = fn(&mut BallotPublic);
    let changes: [Change; 8] = [
        |p| p.shape = BallotShape::with_contests(5, 2, &[4, 3, 2]).unwrap(),
        |p| p.shape = BallotShape::with_contests(5, 2, &[3, 4, 1, 1]).unwrap(),
        |p| p.contests[0].min = 0,
        |p| p.contests[1].max = 1,
        |p| p.contests[2].limit = 4,
        |p| p.contests.swap(0, 1),
        |p| p.ciphertexts.swap(3, 4),
        |p| p.eligibility.nullifier += Fr::ONE,
    ];
    assert_changes_are_told_apart(&public, &changes, BallotPublic::digest);
}

/// `m·B8 + r·PK` by the table equals the native encryption for every value
/// a contest may give.
#[test]
fn encryption_of_points_matches_native() {
    let key = elgamal::public_key(&Scalar::from(424_242u64));
    let r = Scalar::from(987_654_321u64);
    for value in 0..=MAX_POINTS {
        let cs = new_cs();
        let key_var = PointVar::new_witness(cs.clone(), || Ok(key)).unwrap();
        let value_bits: Vec<Boolean<Fr>> = (0..POINT_BITS)
            .map(|i| Boolean::new_witness(cs.clone(), || Ok((value >> i) & 1 == 1)).unwrap())
            .collect();
        let r_bits = Vec::new_witness(cs.clone(), || Ok(bits_of(&r))).unwrap();
        let encrypted = encrypt_points_var(&key_var, &value_bits, &r_bits).unwrap();
        let native = elgamal::encrypt(&key, value, &r);
        assert_eq!(encrypted.c1.value().unwrap(), native.c1, "{value}");
        assert_eq!(encrypted.c2.value().unwrap(), native.c2, "{value}");
        assert!(cs.is_satisfied().unwrap());
    }
}

#[test]
fn valid_ballots_are_accepted() {
    let (shape, rules) = three_contests();
    let mut election = Election::new(shape, 6, 2, 203);
    let cases: [[u64; 9]; 4] = [
        // Mayor 2, no council, no points (both blank contests allowed).
        [0, 1, 0, 0, 0, 0, 0, 0, 0],
        // Mayor 1, two councillors, 3 + 2 points.
        [1, 0, 0, 1, 0, 0, 1, 3, 2],
        // Mayor 3, one councillor, 2 + 3 points.
        [0, 0, 1, 0, 0, 1, 0, 2, 3],
        // Mayor 1, one councillor, 1 point.
        [1, 0, 0, 0, 1, 0, 0, 0, 1],
    ];
    for choices in cases {
        let (public, witness) = election.ballot_with(rules.clone(), &choices);
        assert_eq!(check(&public, &witness), Ok(()), "{choices:?}");
        assert!(satisfies(&public, &witness), "{choices:?}");
    }
}

#[test]
fn over_a_contest_maximum_is_refused() {
    let (shape, rules) = three_contests();
    let mut election = Election::new(shape, 6, 2, 204);
    // Two mayors.
    let (public, witness) = election.ballot_with(rules.clone(), &[1, 1, 0, 0, 0, 0, 0, 0, 0]);
    let error = CircuitError::ContestTotalOutOfRange {
        contest: 0,
        min: 1,
        max: 1,
    };
    assert_false(&public, &witness, error);
    // Three councillors.
    let (public, witness) = election.ballot_with(rules.clone(), &[1, 0, 0, 1, 1, 1, 0, 0, 0]);
    let error = CircuitError::ContestTotalOutOfRange {
        contest: 1,
        min: 0,
        max: 2,
    };
    assert_false(&public, &witness, error);
    // 3 + 3 points where 5 are allowed.
    let (public, witness) = election.ballot_with(rules, &[1, 0, 0, 0, 0, 0, 0, 3, 3]);
    let error = CircuitError::ContestTotalOutOfRange {
        contest: 2,
        min: 0,
        max: 5,
    };
    assert_false(&public, &witness, error);
}

#[test]
fn under_a_contest_minimum_is_refused() {
    let (shape, rules) = three_contests();
    let mut election = Election::new(shape, 6, 2, 205);
    let (public, witness) = election.ballot_with(rules, &[0, 0, 0, 1, 0, 0, 0, 1, 0]);
    let error = CircuitError::ContestTotalOutOfRange {
        contest: 0,
        min: 1,
        max: 1,
    };
    assert_false(&public, &witness, error);
}

/// Points over the per-option limit, with the contest's total in range:
/// 4 points where 3 are the most (total 4 ≤ 5), and 2 votes for one
/// councillor (total 2 ≤ 2).
#[test]
fn over_the_per_option_limit_is_refused() {
    let (shape, rules) = three_contests();
    let mut election = Election::new(shape, 6, 2, 206);
    let (public, witness) = election.ballot_with(rules.clone(), &[1, 0, 0, 0, 0, 0, 0, 4, 0]);
    let error = CircuitError::ChoiceOverLimit {
        option: 7,
        limit: 3,
    };
    assert_false(&public, &witness, error);
    let (public, witness) = election.ballot_with(rules, &[1, 0, 0, 0, 2, 0, 0, 0, 0]);
    let error = CircuitError::ChoiceOverLimit {
        option: 4,
        limit: 1,
    };
    assert_false(&public, &witness, error);
}

/// A "negative" value offsets an extra point, so that the total stays in
/// range: 3 + 3 − 1 = 5 points. Refused. (Only a field element can say −1,
/// so there is no native counterpart.)
#[test]
fn a_negative_value_is_refused() {
    let (shape, rules) = (
        shape(4, 1, &[3]),
        vec![ContestRule {
            min: 0,
            max: 5,
            limit: 3,
        }],
    );
    let mut election = Election::new(shape, 4, 1, 207);
    let key = election.election_key;
    let (honest, witness) = election.ballot_with(rules, &[3, 2, 0]);
    let bits: Vec<Vec<bool>> = witness.randomness.iter().map(bits_of).collect();
    let field = |values: [u64; 3]| values.map(Fr::from);
    assert!(satisfies_with(
        &honest,
        &witness.eligibility,
        &field([3, 2, 0]),
        &bits
    ));
    let mut cheating = honest.clone();
    cheating.ciphertexts[1] = elgamal::encrypt(&key, 3, &witness.randomness[1]);
    cheating.ciphertexts[2].c2 = elgamal::mul(&key, &witness.randomness[2]) + -BASE8;
    let values = [Fr::from(3u64), Fr::from(3u64), -Fr::ONE];
    assert!(!satisfies_with(
        &cheating,
        &witness.eligibility,
        &values,
        &bits
    ));
}

/// A ballot cannot carry a value for an option it does not have: an extra
/// ciphertext or value is refused natively and by synthesis, and a verifier
/// with the shape's key takes exactly its number of inputs; a value moved
/// past a contest's last option lands in the next contest and is held to
/// that contest's rule.
#[test]
fn a_value_for_a_nonexistent_option_is_refused() {
    let (shape, rules) = three_contests();
    let mut election = Election::new(shape, 6, 2, 208);
    let (public, witness) = election.ballot_with(rules.clone(), &[1, 0, 0, 0, 0, 0, 0, 0, 1]);
    let mut extra = public.clone();
    let extra_ciphertext = elgamal::encrypt(&extra.election_key, 1, &Scalar::from(5u64));
    extra.ciphertexts.push(extra_ciphertext);
    let mut extra_witness = witness.clone();
    extra_witness.choices.push(1);
    extra_witness.randomness.push(Scalar::from(5u64));
    assert_eq!(
        check(&extra, &extra_witness),
        Err(CircuitError::OptionCountMismatch {
            expected: 9,
            found: 10
        })
    );
    let result = BallotCircuit::new(extra, extra_witness).generate_constraints(new_cs());
    assert_eq!(result, Err(SynthesisError::ArityMismatch));
    // A fourth mayor: the first councillor's slot, where the council
    // contest's total then counts it, and the mayor contest has none.
    let (public, witness) = election.ballot_with(rules, &[0, 0, 0, 1, 0, 0, 0, 0, 1]);
    let error = CircuitError::ContestTotalOutOfRange {
        contest: 0,
        min: 1,
        max: 1,
    };
    assert_false(&public, &witness, error);
}

/// `enforce_contest` is exact for every value pair, limit and range up to
/// small bounds, and rules near the modulus do not wrap around.
#[test]
fn contest_range_is_exact_and_does_not_wrap() {
    let enforce = |values: &[Fr], min: Fr, max: Fr, limit: Fr| {
        let cs = new_cs();
        let values = Vec::new_witness(cs.clone(), || Ok(values)).unwrap();
        let field = |value: Fr| FpVar::new_witness(cs.clone(), || Ok(value)).unwrap();
        let rule = ContestRuleVar {
            min: field(min),
            max: field(max),
            limit: field(limit),
        };
        enforce_contest(&values, &rule).unwrap();
        cs.is_satisfied().unwrap()
    };
    for a in 0..=4u64 {
        for b in 0..=4u64 {
            for limit in 0..=4u64 {
                for min in 0..=8u64 {
                    for max in [0, 1, 3, 4, 5, 8] {
                        let expected = a <= limit && b <= limit && (min..=max).contains(&(a + b));
                        let values = [Fr::from(a), Fr::from(b)];
                        let found = enforce(&values, min.into(), max.into(), limit.into());
                        assert_eq!(found, expected, "{a}+{b} ≤ {limit}, in [{min}, {max}]");
                    }
                }
            }
        }
    }
    let minus = |n: u64| -Fr::from(n);
    let (one, two) = (Fr::ONE, Fr::from(2u64));
    // A limit or bound near the modulus, or over the bits.
    assert!(!enforce(&[one, one], Fr::ZERO, two, minus(1)));
    assert!(!enforce(&[one, one], minus(1), two, one));
    assert!(!enforce(&[one, one], Fr::ZERO, minus(1), one));
    assert!(!enforce(&[one, one], Fr::ZERO, two, Fr::from(16u64)));
    assert!(!enforce(&[one, one], Fr::ZERO, Fr::from(128u64), one));
    // A value of 16 is out of 4 bits even under a "limit" of 16.
    assert!(!enforce(
        &[Fr::from(16u64), Fr::ZERO],
        Fr::ZERO,
        Fr::from(20u64),
        Fr::from(16u64)
    ));
    assert!(enforce(
        &[Fr::from(15u64), Fr::ZERO],
        Fr::ZERO,
        Fr::from(15u64),
        Fr::from(15u64)
    ));
}

/// The constraints of a statement of contests (v2 or v3), part by part.
pub(crate) struct ContestParts {
    /// Allocating the parameters.
    pub(crate) public: usize,
    /// Allocating the witness.
    pub(crate) witness: usize,
    /// The eligibility statement.
    pub(crate) eligibility: usize,
    /// Every contest's rule.
    pub(crate) contests: usize,
    /// Every option's encryption, equated with its public ciphertext.
    pub(crate) encryption: usize,
    /// The message squared.
    pub(crate) message: usize,
}

/// Builds the statement of `shape` step by step, each option encrypted by
/// `encrypt(parameters, value bits, randomness bits)`, counts each part,
/// and checks that the parts add up to the circuit.
pub(crate) fn contest_parts(
    shape: BallotShape,
    encrypt: impl Fn(&BallotPublicVar, &[Boolean<Fr>], &[Boolean<Fr>]) -> CiphertextVar,
) -> ContestParts {
    use zkaudit_circuits::eligibility::constraints::enforce_eligibility;

    let public = shape.blank_public();
    let witness = shape.placeholder_witness();
    let cs = new_cs();
    let mut count = part_counter(&cs);
    let public_var = BallotPublicVar::new_input(cs.clone(), || Ok(&public)).unwrap();
    let public_cost = count();
    let witness_var = BallotWitnessVar::new_witness(cs.clone(), || Ok(&witness)).unwrap();
    let witness_cost = count();
    enforce_eligibility(&public_var.eligibility, &witness_var.eligibility).unwrap();
    let eligibility = count();
    let mut value_bits = Vec::new();
    for (rule, range) in public_var.contests.iter().zip(shape.contest_ranges()) {
        value_bits.extend(enforce_contest(&witness_var.choices[range], rule).unwrap());
    }
    let contests = count();
    for (i, bits) in value_bits.iter().enumerate() {
        let encrypted = encrypt(&public_var, bits, &witness_var.randomness[i]);
        encrypted
            .c1
            .enforce_equal(&public_var.ciphertexts[i].c1)
            .unwrap();
        encrypted
            .c2
            .enforce_equal(&public_var.ciphertexts[i].c2)
            .unwrap();
    }
    let encryption = count();
    let _ = public_var.eligibility.message.square().unwrap();
    let message = count();
    assert_eq!(
        synthesize(BallotCircuit::blank(shape)).num_constraints(),
        cs.num_constraints(),
        "the parts add up to the circuit"
    );
    ContestParts {
        public: public_cost,
        witness: witness_cost,
        eligibility,
        contests,
        encryption,
        message,
    }
}

/// Counts each part of the v2 statement at the realistic shape: depth 20,
/// 3 attributes, contests of 4 and 8 options.
#[test]
fn constraint_counts_are_pinned() {
    let shape = shape(20, 3, &[4, 8]);
    let parts = contest_parts(shape, |public, bits, randomness| {
        encrypt_points_var(&public.election_key, bits, randomness).unwrap()
    });
    let total = synthesize(BallotCircuit::blank(shape)).num_constraints();

    // 3 predicate set flags and the election key on the curve.
    assert_eq!(parts.public, 3 + 3);
    // 20 path bits and 12 × 251 randomness bits.
    assert_eq!(parts.witness, 20 + 12 * 251);
    assert_eq!(parts.eligibility, 7_335 - 1 - 3 - 20);
    // Per option: the value and limit − value in 4 bits (5 each); per
    // contest: the limit in 4 bits, min, max and the total's distances to
    // them in 7 bits (8 each).
    assert_eq!(parts.contests, 12 * (5 + 5) + 2 * (5 + 4 * 8));
    // Per option: c1 (748), m·B8 (3 + 6), r·PK (2,763), c2's addition (6),
    // equalities (4).
    assert_eq!(parts.encryption, 12 * (748 + 9 + 2_763 + 6 + 4));
    assert_eq!(parts.message, 1);
    assert_eq!(total, 52_904);
    assert!(total < 1 << 16);
}

/// The whole v2 constraint system is pinned (see the v1 test of the same
/// name: do not update these digests, introduce a new statement version).
#[test]
fn constraint_system_is_pinned() {
    let pinned = [
        (
            shape(20, 3, &[4, 8]),
            "f02e73cd505ac7b255d468f0d2c69052ede485ad80aa64db84d939279d3aa368",
        ),
        (
            shape(4, 2, &[2, 1]),
            "f2a41ec87db05c1bc6ef2fb4376557cc0abc7d3a745d605406de486e7515286f",
        ),
    ];
    for (shape, digest) in pinned {
        let found = constraint_system_digest(BallotCircuit::blank(shape));
        assert_eq!(found, digest, "{shape}");
    }
}

/// Every parameter and private input is pinned in a v2 ballot.
#[test]
fn every_parameter_and_private_input_is_pinned() {
    let shape = shape(3, 1, &[2, 1]);
    let rules = vec![
        ContestRule::choices(1, 1),
        ContestRule {
            min: 0,
            max: 2,
            limit: 2,
        },
    ];
    let mut election = Election::new(shape, 5, 4, 209);
    let (public, witness) = election.ballot_with(rules, &[0, 1, 2]);
    let cs = new_cs();
    BallotPublicVar::new_witness(cs.clone(), || Ok(&public)).unwrap();
    BallotWitnessVar::new_witness(cs.clone(), || Ok(&witness)).unwrap();
    let inputs = cs.num_witness_variables();
    // Eligibility parameters (4 + 7), key and its two squares, 3 per rule,
    // 4 coordinates per ciphertext; randomness bits, secret, attribute,
    // path (2 per level and the depth), values.
    assert_eq!(inputs, (4 + 7) + 4 + 2 * 3 + 12 + (3 * 251 + 1 + 1 + 7 + 3));
    assert_witnesses_are_pinned(&synthesize(BallotCircuit::new(public, witness)), inputs);
}

/// A Groth16 proof of `election`'s ballot of `choices` under `rules` and
/// the processed key it verifies under.
pub(crate) type RoundTrip = (BallotPublic, Proof<Bn254>, PreparedVerifyingKey<Bn254>);

/// Sets up keys for `election`'s shape, proves its ballot of `choices`
/// under `rules`, and asserts that the proof verifies and that every
/// change of `changes` to the statement makes it fail.
pub(crate) fn assert_groth16_round_trip(
    election: &mut Election,
    rules: Vec<ContestRule>,
    choices: &[u64],
    changes: &[fn(&mut BallotPublic)],
    rng: &mut rand_chacha::ChaCha20Rng,
) -> RoundTrip {
    let circuit = BallotCircuit::blank(election.shape);
    let (pk, vk) = Groth16::<Bn254>::circuit_specific_setup(circuit, rng).unwrap();
    let (public, witness) = election.ballot_with(rules, choices);
    let proof =
        Groth16::<Bn254>::prove(&pk, BallotCircuit::new(public.clone(), witness), rng).unwrap();
    let pvk = Groth16::<Bn254>::process_vk(&vk).unwrap();
    let verify = |public: &BallotPublic| {
        Groth16::<Bn254>::verify_with_processed_vk(&pvk, &public_inputs(public), &proof).unwrap()
    };
    assert!(verify(&public));
    for change in changes {
        let mut other = public.clone();
        change(&mut other);
        assert!(!verify(&other));
    }
    (public, proof, pvk)
}

/// Setup, prove and verify a ballot of two contests with Groth16; the proof
/// does not verify under another rule (a higher limit, a wider range) or
/// with a changed ciphertext.
#[test]
fn groth16_round_trip() {
    let shape = shape(4, 1, &[2, 3]);
    let rules = vec![
        ContestRule::choices(1, 1),
        ContestRule {
            min: 0,
            max: 4,
            limit: 2,
        },
    ];
    let mut election = Election::new(shape, 9, 8, 210);
    let changes: [fn(&mut BallotPublic); 4] = [
        |p| p.contests[1].limit = 3,
        |p| p.contests[1].max = 3,
        |p| p.contests[0].min = 0,
        |p| p.ciphertexts[4].c2 = p.ciphertexts[4].c2 + BASE8,
    ];
    let (_, _, pvk) = assert_groth16_round_trip(
        &mut election,
        rules,
        &[0, 1, 2, 0, 2],
        &changes,
        &mut rng(211),
    );
    assert_eq!(pvk.vk.gamma_abc_g1.len(), 1 + 11 + 2 + 3 * 2 + 4 * 5);
}

/// The witness's `Debug` hides the values whatever the layout.
#[test]
fn witness_debug_hides_the_ballot() {
    let (shape, rules) = three_contests();
    let mut election = Election::new(shape, 6, 2, 212);
    let (_, witness): (BallotPublic, BallotWitness) =
        election.ballot_with(rules, &[1, 0, 0, 0, 0, 0, 0, 3, 2]);
    assert_eq!(format!("{witness:?}"), "BallotWitness { options: 9, .. }");
}
