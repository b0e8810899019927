//! Ballots: the digest layout, gadget against native, valid ballots, a
//! cheating voter per constraint family, costs, and a Groth16 round trip.

use ark_bn254::Bn254;
use ark_ff::{AdditiveGroup, BigInteger, Field, PrimeField, UniformRand};
use ark_groth16::Groth16;
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::{ConstraintSynthesizer, SynthesisError};
use ark_snark::SNARK;
use rand_chacha::ChaCha20Rng;
use zkaudit_circuits::babyjubjub::{BASE8, Point, SUBGROUP_ORDER};
use zkaudit_circuits::ballot::constraints::{
    BallotPublicVar, BallotWitnessVar, encrypt_var, enforce_ballot, enforce_choices,
};
use zkaudit_circuits::ballot::{
    BallotCircuit, BallotLayout, BallotPublic, BallotShape, BallotWitness, ContestRule, DOMAIN_TAG,
    RANDOMNESS_BITS, check, encrypt_ballot, public_inputs,
};
use zkaudit_circuits::constraints::StatementShape;
use zkaudit_circuits::elgamal::{self, Ciphertext, Scalar};
use zkaudit_circuits::eligibility::constraints::EligibilityWitnessVar;
use zkaudit_circuits::eligibility::{
    AttributePredicate, EligibilityPublic, EligibilityWitness, credential_leaf, message_field,
};
use zkaudit_circuits::identity::Identity;
use zkaudit_circuits::lean_imt::LeanImt;
use zkaudit_circuits::poseidon::poseidon_hash;
use zkaudit_circuits::{CircuitError, Fr};

use crate::common::{
    self, assert_changes_are_told_apart, assert_refused, assert_witnesses_are_pinned,
    constraint_system_digest, new_cs, part_counter, random_frs, rng, synthesize,
};

/// The voter's attributes: birth date (YYYYMMDD), region, credential expiry.
const ATTRIBUTES: [u64; 3] = [19_900_415, 276, 20_300_101];

fn shape(depth: usize, attributes: usize, options: usize) -> BallotShape {
    BallotShape::new(depth, attributes, options).unwrap()
}

/// An election with its registry, key and one voter.
pub(crate) struct Election {
    pub(crate) shape: BallotShape,
    identity: Identity,
    tree: LeanImt,
    index: usize,
    pub(crate) election_key: Point,
    scope: Fr,
    rng: ChaCha20Rng,
}

impl Election {
    /// A registry of `size` credential leaves with the voter's at `index`.
    pub(crate) fn new(shape: BallotShape, size: usize, index: usize, seed: u64) -> Self {
        let mut rng = rng(seed);
        let identity = Identity::random(&mut rng);
        let mut leaves = random_frs(&mut rng, size);
        leaves[index] = credential_leaf(identity.commitment(), self_attributes(shape)).unwrap();
        let election_key = elgamal::public_key(&Scalar::rand(&mut rng));
        Self {
            shape,
            identity,
            tree: LeanImt::from_leaves(&leaves),
            index,
            election_key,
            scope: message_field(b"election 2026-05-01"),
            rng,
        }
    }

    /// Predicates the voter meets: born before 2008, region 276 or 250.
    fn predicates(&self) -> Vec<AttributePredicate> {
        let mut predicates = vec![
            AttributePredicate::at_most(20_080_101),
            AttributePredicate::one_of(&[276, 250]).unwrap(),
            AttributePredicate::at_least(20_260_501),
        ];
        predicates.truncate(self.shape.eligibility.attributes);
        predicates
    }

    fn eligibility_public(&self) -> EligibilityPublic {
        EligibilityPublic {
            shape: self.shape.eligibility,
            root: self.tree.root().unwrap(),
            nullifier: self.identity.nullifier(self.scope),
            scope: self.scope,
            message: message_field(b"ballot"),
            predicates: self.predicates(),
        }
    }

    fn eligibility_witness(&self) -> EligibilityWitness {
        let proof = self.tree.generate_proof(self.index).unwrap();
        EligibilityWitness {
            secret: self.identity.secret_scalar(),
            attributes: self_attributes(self.shape).to_vec(),
            path: proof.to_circuit_path(self.shape.eligibility.depth).unwrap(),
        }
    }

    fn randomness(&mut self) -> Vec<Scalar> {
        (0..self.shape.options())
            .map(|_| Scalar::rand(&mut self.rng))
            .collect()
    }

    /// A ballot of `choices` (encrypted with fresh randomness, whatever the
    /// values) with `min..=max` choices allowed.
    fn ballot(&mut self, choices: &[u64], min: u64, max: u64) -> (BallotPublic, BallotWitness) {
        self.ballot_with(vec![ContestRule::choices(min, max)], choices)
    }

    /// A ballot of `choices` (encrypted with fresh randomness, whatever the
    /// values) under the contest rules `contests`.
    pub(crate) fn ballot_with(
        &mut self,
        contests: Vec<ContestRule>,
        choices: &[u64],
    ) -> (BallotPublic, BallotWitness) {
        let randomness = self.randomness();
        let ciphertexts = choices
            .iter()
            .zip(&randomness)
            .map(|(&choice, r)| elgamal::encrypt(&self.election_key, choice, r))
            .collect();
        let public = BallotPublic {
            shape: self.shape,
            eligibility: self.eligibility_public(),
            election_key: self.election_key,
            contests,
            ciphertexts,
        };
        let witness = BallotWitness {
            eligibility: self.eligibility_witness(),
            choices: choices.to_vec(),
            randomness,
        };
        (public, witness)
    }

    /// A valid ballot for the second option of one-of-`O`.
    fn honest(&mut self) -> (BallotPublic, BallotWitness) {
        let mut choices = vec![0; self.shape.options()];
        choices[1] = 1;
        self.ballot(&choices, 1, 1)
    }
}

fn self_attributes(shape: BallotShape) -> &'static [u64] {
    &ATTRIBUTES[..shape.eligibility.attributes]
}

pub(crate) fn satisfies(public: &BallotPublic, witness: &BallotWitness) -> bool {
    common::satisfies::<BallotShape>(public, witness)
}

/// Asserts that the native check refuses the ballot with `error` and that
/// the circuit is not satisfied.
pub(crate) fn assert_false(public: &BallotPublic, witness: &BallotWitness, error: CircuitError) {
    assert_refused::<BallotShape>(check, public, witness, error);
}

/// The circuit, synthesized by hand so that the choices may be any field
/// elements and the randomness any 251 bits.
pub(crate) fn satisfies_with(
    public: &BallotPublic,
    eligibility: &EligibilityWitness,
    choices: &[Fr],
    randomness_bits: &[Vec<bool>],
) -> bool {
    let cs = new_cs();
    let public_var = BallotPublicVar::new_input(cs.clone(), || Ok(public)).unwrap();
    let witness_var = BallotWitnessVar {
        eligibility: EligibilityWitnessVar::new_witness(cs.clone(), || Ok(eligibility)).unwrap(),
        choices: Vec::new_witness(cs.clone(), || Ok(choices)).unwrap(),
        randomness: randomness_bits
            .iter()
            .map(|bits| Vec::new_witness(cs.clone(), || Ok(bits.as_slice())).unwrap())
            .collect(),
    };
    enforce_ballot(&public_var, &witness_var).unwrap();
    cs.is_satisfied().unwrap()
}

pub(crate) fn bits_of(scalar: &Scalar) -> Vec<bool> {
    scalar.into_bigint().to_bits_le()[..RANDOMNESS_BITS].to_vec()
}

#[test]
fn shapes_are_validated_and_named() {
    assert_eq!(shape(20, 3, 4).id(), "ballot-d20-a3-o4");
    assert_eq!(shape(4, 1, 2).to_string(), "ballot-d4-a1-o2");
    assert!(BallotShape::new(32, 8, 8).is_ok());
    for options in [0, 1, 9] {
        assert_eq!(
            BallotShape::new(20, 3, options),
            Err(CircuitError::BallotOptions(options))
        );
    }
    assert_eq!(
        BallotShape::new(0, 3, 4),
        Err(CircuitError::InvalidShape {
            depth: 0,
            attributes: 3
        })
    );
}

/// The digest is the documented chain over the documented elements.
#[test]
fn digest_follows_the_documented_layout() {
    let mut election = Election::new(shape(20, 3, 4), 5, 2, 60);
    let (public, _) = election.honest();
    assert_eq!(DOMAIN_TAG, b"zkaudit/ballot/v1");
    let elements = public.digest_elements();
    assert_eq!(elements.len(), 2 + (7 + 7 * 3) + 4 + 4 * 4);
    assert_eq!(elements.len(), 50);
    let tag = Fr::from_be_bytes_mod_order(b"zkaudit/ballot/v1");
    assert_eq!(elements[..2], [tag, Fr::from(4u64)]);
    assert_eq!(elements[2..30], public.eligibility.digest_elements());
    let key = public.election_key;
    assert_eq!(
        elements[30..34],
        [key.x(), key.y(), Fr::from(1u64), Fr::from(1u64)]
    );
    for (i, ciphertext) in public.ciphertexts.iter().enumerate() {
        let coordinates = [
            ciphertext.c1.x(),
            ciphertext.c1.y(),
            ciphertext.c2.x(),
            ciphertext.c2.y(),
        ];
        assert_eq!(elements[34 + 4 * i..38 + 4 * i], coordinates);
    }
    let hash = |inputs: &[Fr]| poseidon_hash(inputs).unwrap();
    let mut running = hash(&elements[..15]);
    for chunk in [15..29, 29..43, 43..50] {
        running = hash(&[&[running][..], &elements[chunk]].concat());
    }
    assert_eq!(public.digest(), running);
    // The public inputs are the elements without the shape's constants
    // (the ballot's tag and O, the eligibility tag, D and A).
    let inputs = public_inputs(&public);
    assert_eq!(inputs.len(), 45);
    assert_eq!(inputs[..], [&elements[5..30], &elements[30..]].concat()[..]);
}

/// Every parameter changes the digest.
#[test]
fn digest_binds_every_parameter() {
    let mut election = Election::new(shape(6, 2, 3), 5, 2, 61);
    let (public, _) = election.honest();
    type Change = fn(&mut BallotPublic);
    let changes: [Change; 11] = [
        |public| public.shape.layout = BallotLayout::Choices(4),
        |public| public.eligibility.root += Fr::ONE,
        |public| public.eligibility.nullifier += Fr::ONE,
        |public| public.eligibility.scope += Fr::ONE,
        |public| public.eligibility.message += Fr::ONE,
        |public| public.eligibility.predicates[1].max -= 1,
        |public| public.election_key = BASE8,
        |public| public.contests[0].min = 0,
        |public| public.contests[0].max = 2,
        |public| public.ciphertexts.swap(0, 2),
        |public| public.ciphertexts[1].c2 = public.ciphertexts[1].c2 + BASE8,
    ];
    assert_changes_are_told_apart(&public, &changes, BallotPublic::digest);
}

/// The in-circuit encryption and digest equal the native ones.
#[test]
fn gadget_matches_native() {
    for (depth, attributes, options, seed) in [(4, 1, 2, 62), (6, 3, 5, 63)] {
        let mut election = Election::new(shape(depth, attributes, options), 9, 4, seed);
        let choices: Vec<u64> = (0..options as u64).map(|i| i % 2).collect();
        let (public, witness) = election.ballot(&choices, 0, options as u64);
        assert_eq!(check(&public, &witness), Ok(()));
        let cs = new_cs();
        let public_var = BallotPublicVar::new_witness(cs.clone(), || Ok(&public)).unwrap();
        let witness_var = BallotWitnessVar::new_witness(cs.clone(), || Ok(&witness)).unwrap();
        for (i, ciphertext) in public.ciphertexts.iter().enumerate() {
            let encrypted = encrypt_var(
                &public_var.election_key,
                &witness_var.choices[i],
                &witness_var.randomness[i],
            )
            .unwrap();
            assert_eq!(encrypted.c1.value().unwrap(), ciphertext.c1);
            assert_eq!(encrypted.c2.value().unwrap(), ciphertext.c2);
        }
        assert_eq!(
            public_var.digest().unwrap().value().unwrap(),
            public.digest()
        );
        assert!(cs.is_satisfied().unwrap());
        assert!(satisfies(&public, &witness));
    }
}

#[test]
fn encrypt_ballot_is_elgamal_per_option() {
    let mut election = Election::new(shape(4, 1, 3), 2, 0, 64);
    let randomness = election.randomness();
    let key = election.election_key;
    let ciphertexts = encrypt_ballot(&key, &[1, 0, 1], &randomness).unwrap();
    for (i, choice) in [1, 0, 1].into_iter().enumerate() {
        assert_eq!(
            ciphertexts[i],
            elgamal::encrypt(&key, choice, &randomness[i])
        );
    }
    // Values of cumulative voting are encrypted as they are; over 15, no
    // ballot could prove them.
    assert_eq!(
        encrypt_ballot(&key, &[1, 15, 0], &randomness).unwrap()[1],
        elgamal::encrypt(&key, 15, &randomness[1])
    );
    assert_eq!(
        encrypt_ballot(&key, &[1, 16, 0], &randomness),
        Err(CircuitError::ChoiceOverLimit {
            option: 1,
            limit: 15
        })
    );
    assert_eq!(
        encrypt_ballot(&key, &[1, 0], &randomness),
        Err(CircuitError::OptionCountMismatch {
            expected: 2,
            found: 3
        })
    );
}

/// Every choice pattern of a 3-option ballot within its range is accepted.
#[test]
fn valid_ballots_are_accepted() {
    let mut election = Election::new(shape(4, 2, 3), 6, 5, 65);
    let cases: [(&[u64], u64, u64); 6] = [
        (&[0, 0, 0], 0, 3),
        (&[1, 0, 0], 1, 1),
        (&[0, 0, 1], 0, 1),
        (&[1, 1, 0], 1, 2),
        (&[1, 0, 1], 2, 2),
        (&[1, 1, 1], 0, 3),
    ];
    for (choices, min, max) in cases {
        let (public, witness) = election.ballot(choices, min, max);
        assert_eq!(check(&public, &witness), Ok(()), "{choices:?}");
        assert!(satisfies(&public, &witness), "{choices:?}");
    }
}

/// `Σ choices ∈ [min, max]`, exhaustively for three options and every range
/// up to 5, and no field wrap-around: "negative" bounds and differences are
/// refused.
#[test]
fn choice_count_range_is_exact_and_does_not_wrap() {
    let enforce = |choices: &[Fr], min: Fr, max: Fr| {
        let cs = new_cs();
        let choices = Vec::new_witness(cs.clone(), || Ok(choices)).unwrap();
        let min = FpVar::new_witness(cs.clone(), || Ok(min)).unwrap();
        let max = FpVar::new_witness(cs.clone(), || Ok(max)).unwrap();
        enforce_choices(&choices, &min, &max).unwrap();
        cs.is_satisfied().unwrap()
    };
    for pattern in 0..8u64 {
        let choices: Vec<Fr> = (0..3).map(|i| Fr::from((pattern >> i) & 1)).collect();
        let count = pattern.count_ones() as u64;
        for min in 0..=5u64 {
            for max in 0..=5u64 {
                let expected = min <= count && count <= max;
                let satisfied = enforce(&choices, Fr::from(min), Fr::from(max));
                assert_eq!(satisfied, expected, "{pattern:03b} in [{min}, {max}]");
            }
        }
    }
    let (one, zero) = ([Fr::ONE, Fr::ZERO], Fr::ZERO);
    let minus = |n: u64| -Fr::from(n);
    // A choice of 2, or of −1 offset by an extra 1, keeps the count at 1.
    assert!(!enforce(&[Fr::from(2u64), zero], zero, Fr::from(2u64)));
    assert!(!enforce(&[minus(1), Fr::from(2u64)], Fr::ONE, Fr::ONE));
    // A bound near the modulus would let a difference wrap around.
    assert!(!enforce(&one, minus(1), Fr::ONE));
    assert!(!enforce(&one, zero, minus(1)));
    assert!(!enforce(&one, Fr::from(16u64), Fr::from(16u64)));
    assert!(enforce(&one, Fr::ONE, Fr::from(15u64)));
}

#[test]
fn two_choices_over_the_maximum_are_refused() {
    let mut election = Election::new(shape(6, 3, 4), 7, 3, 66);
    let (public, witness) = election.ballot(&[1, 0, 1, 0], 1, 1);
    let error = CircuitError::ChoiceCountOutOfRange { min: 1, max: 1 };
    assert_false(&public, &witness, error);
}

#[test]
fn fewer_choices_than_the_minimum_are_refused() {
    let mut election = Election::new(shape(6, 3, 4), 7, 3, 67);
    let (public, witness) = election.ballot(&[0, 0, 1, 0], 2, 3);
    let error = CircuitError::ChoiceCountOutOfRange { min: 2, max: 3 };
    assert_false(&public, &witness, error);
    let (public, witness) = election.ballot(&[0, 0, 0, 0], 1, 4);
    let error = CircuitError::ChoiceCountOutOfRange { min: 1, max: 4 };
    assert_false(&public, &witness, error);
}

/// A choice of 2 (two votes for one option) encrypted honestly.
#[test]
fn a_choice_of_two_is_refused() {
    let mut election = Election::new(shape(6, 3, 4), 7, 3, 68);
    let (public, witness) = election.ballot(&[0, 2, 0, 0], 0, 2);
    assert_false(
        &public,
        &witness,
        CircuitError::ChoiceNotBinary { option: 1 },
    );
}

/// A "negative" choice `p − 1` (an encryption of `−B8`) that offsets an
/// extra 1, so that the count stays within range: refused. (Only a field
/// element can say −1, so there is no native counterpart.)
#[test]
fn a_negative_choice_is_refused() {
    let mut election = Election::new(shape(6, 3, 4), 7, 3, 69);
    let key = election.election_key;
    let (honest, witness) = election.ballot(&[1, 0, 0, 0], 1, 1);
    let bits: Vec<Vec<bool>> = witness.randomness.iter().map(bits_of).collect();
    let field = |choices: [u64; 4]| choices.map(Fr::from);
    // The harness accepts the honest ballot.
    assert!(satisfies_with(
        &honest,
        &witness.eligibility,
        &field([1, 0, 0, 0]),
        &bits
    ));
    // Choices 1, 1, −1, 0: two votes, one "negative" vote, a count of 1.
    let mut cheating = honest.clone();
    cheating.ciphertexts[1] = elgamal::encrypt(&key, 1, &witness.randomness[1]);
    cheating.ciphertexts[2].c2 = elgamal::mul(&key, &witness.randomness[2]) + -BASE8;
    let choices = [Fr::ONE, Fr::ONE, -Fr::ONE, Fr::ZERO];
    assert!(!satisfies_with(
        &cheating,
        &witness.eligibility,
        &choices,
        &bits
    ));
}

#[test]
fn a_ciphertext_under_another_key_is_refused() {
    let mut election = Election::new(shape(6, 3, 4), 7, 3, 70);
    let (mut public, witness) = election.honest();
    let other_key = elgamal::public_key(&Scalar::from(12345u64));
    public.ciphertexts = encrypt_ballot(&other_key, &witness.choices, &witness.randomness).unwrap();
    assert_false(
        &public,
        &witness,
        CircuitError::CiphertextMismatch { option: 0 },
    );
    // Announcing the other key instead: a valid statement about another
    // election, whose digest differs.
    let mut other_election = public.clone();
    other_election.election_key = other_key;
    assert_eq!(check(&other_election, &witness), Ok(()));
    assert_ne!(other_election.digest(), public.digest());
}

#[test]
fn a_ciphertext_that_is_not_the_public_one_is_refused() {
    let mut election = Election::new(shape(6, 3, 4), 7, 3, 71);
    let (public, witness) = election.honest();
    type Change = fn(&mut Vec<Ciphertext>);
    let changes: [Change; 4] = [
        |ciphertexts| ciphertexts.swap(0, 1),
        |ciphertexts| ciphertexts[3].c1 = ciphertexts[3].c1 + BASE8,
        |ciphertexts| ciphertexts[2].c2 = ciphertexts[2].c2 + BASE8,
        |ciphertexts| ciphertexts[1] = ciphertexts[1].add(&ciphertexts[0]),
    ];
    let options = [0, 3, 2, 1];
    for (change, option) in changes.into_iter().zip(options) {
        let mut tampered = public.clone();
        change(&mut tampered.ciphertexts);
        assert_false(
            &tampered,
            &witness,
            CircuitError::CiphertextMismatch { option },
        );
    }
}

/// Randomness of 251 bits at or above `l` gives the same ciphertext as its
/// residue (the soundness note in the module documentation): accepted, and
/// an honest encryption.
#[test]
fn unreduced_randomness_encrypts_the_same() {
    let mut election = Election::new(shape(4, 1, 2), 3, 1, 72);
    let (public, witness) = election.ballot(&[1, 0], 1, 1);
    let mut bits: Vec<Vec<bool>> = witness.randomness.iter().map(bits_of).collect();
    let small = Scalar::from(7u64);
    let mut public = public;
    public.ciphertexts[0] = elgamal::encrypt(&public.election_key, 1, &small);
    let mut unreduced = SUBGROUP_ORDER;
    unreduced.add_with_carry(&7u64.into());
    bits[0] = unreduced.to_bits_le()[..RANDOMNESS_BITS].to_vec();
    assert!(unreduced.to_bits_le()[RANDOMNESS_BITS..].iter().all(|b| !b));
    let choices = [Fr::ONE, Fr::ZERO];
    assert!(satisfies_with(
        &public,
        &witness.eligibility,
        &choices,
        &bits
    ));
}

#[test]
fn a_foreign_registry_root_is_refused() {
    let mut election = Election::new(shape(6, 3, 4), 7, 3, 73);
    let (mut public, witness) = election.honest();
    let other = LeanImt::from_leaves(&random_frs(&mut rng(74), 7));
    public.eligibility.root = other.root().unwrap();
    assert_false(&public, &witness, CircuitError::MerkleRootMismatch);
}

#[test]
fn a_wrong_nullifier_or_scope_is_refused() {
    let mut election = Election::new(shape(6, 3, 4), 7, 3, 75);
    let (honest, witness) = election.honest();
    let mut public = honest.clone();
    public.eligibility.nullifier += Fr::ONE;
    assert_false(&public, &witness, CircuitError::NullifierMismatch);
    // Another election's scope with this election's nullifier.
    let mut public = honest.clone();
    public.eligibility.scope = message_field(b"election 2027");
    assert_false(&public, &witness, CircuitError::NullifierMismatch);
}

#[test]
fn an_unmet_predicate_is_refused() {
    let mut election = Election::new(shape(6, 3, 4), 7, 3, 76);
    let (mut public, witness) = election.honest();
    public.eligibility.predicates[1] = AttributePredicate::equals(250);
    assert_false(
        &public,
        &witness,
        CircuitError::PredicateFails { attribute: 1 },
    );
}

/// What the acceptor checks natively: shapes, range, key subgroup.
#[test]
fn invalid_public_parameters_are_refused() {
    let mut election = Election::new(shape(4, 3, 3), 4, 1, 77);
    let (public, witness) = election.honest();
    let with = |change: fn(&mut BallotPublic)| {
        let mut changed = public.clone();
        change(&mut changed);
        check(&changed, &witness)
    };
    let range = |min, max| CircuitError::InvalidChoiceRange {
        min,
        max,
        options: 3,
    };
    assert_eq!(with(|public| public.contests[0].max = 4), Err(range(1, 4)));
    assert_eq!(with(|public| public.contests[0].min = 2), Err(range(2, 1)));
    // The key plus the point of order 2: on the curve, not in the subgroup.
    assert_eq!(
        with(|public| {
            public.election_key = public.election_key + Point::new(Fr::ZERO, -Fr::ONE).unwrap()
        }),
        Err(CircuitError::ElectionKeyNotInSubgroup)
    );
    assert_eq!(
        with(|public| public.ciphertexts.pop().map(|_| ()).unwrap()),
        Err(CircuitError::OptionCountMismatch {
            expected: 3,
            found: 2
        })
    );
    assert_eq!(
        with(|public| public.eligibility.shape.depth = 5),
        Err(CircuitError::BallotShapeMismatch)
    );
    assert_eq!(
        with(|public| public.shape.layout = BallotLayout::Choices(9)),
        Err(CircuitError::BallotOptions(9))
    );
    let mut short = witness.clone();
    short.randomness.pop();
    assert_eq!(
        check(&public, &short),
        Err(CircuitError::OptionCountMismatch {
            expected: 3,
            found: 2
        })
    );
    // The circuit refuses to synthesize parameters or witnesses that do not
    // fit its shape.
    let mut fewer = public.clone();
    fewer.ciphertexts.pop();
    for (public, witness) in [(fewer, witness.clone()), (public.clone(), short)] {
        let result = BallotCircuit::new(public, witness).generate_constraints(new_cs());
        assert_eq!(result, Err(SynthesisError::ArityMismatch));
    }
}

#[test]
fn witness_debug_hides_the_ballot() {
    let mut election = Election::new(shape(4, 1, 2), 2, 0, 78);
    let (_, witness) = election.ballot(&[1, 0], 1, 1);
    let printed = format!("{witness:?}");
    assert_eq!(printed, "BallotWitness { options: 2, .. }");
    assert!(!printed.contains(&witness.randomness[0].to_string()));
}

/// Builds the statement step by step (as the circuit does) and counts each
/// part at depth 20, 3 attributes, 4 options.
#[test]
fn constraint_counts_are_pinned() {
    use zkaudit_circuits::eligibility::constraints::enforce_eligibility;

    let shape = shape(20, 3, 4);
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
    enforce_choices(
        &witness_var.choices,
        &public_var.contests[0].min,
        &public_var.contests[0].max,
    )
    .unwrap();
    let choices = count();
    for i in 0..4 {
        let encrypted = encrypt_var(
            &public_var.election_key,
            &witness_var.choices[i],
            &witness_var.randomness[i],
        )
        .unwrap();
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
    let message_cost = count();
    let total = synthesize(BallotCircuit::blank(shape)).num_constraints();
    assert_eq!(
        total,
        cs.num_constraints(),
        "the parts add up to the circuit"
    );

    // 3 predicate set flags (booleans) and the election key on the curve.
    assert_eq!(public_cost, 3 + 3);
    // 20 path bits and 4 × 251 randomness bits.
    assert_eq!(witness_cost, 20 + 4 * 251);
    // The eligibility circuit without its message squaring, set flags and
    // path bits.
    assert_eq!(eligibility, 7_335 - 1 - 3 - 20);
    // Booleanity of 4 choices, four 4-bit decompositions.
    assert_eq!(choices, 4 + 4 * 5);
    // Per option: c1 (748), r·PK (2,763), c2's addition (6), equalities (4).
    assert_eq!(encryption, 4 * (748 + 2_763 + 6 + 4));
    // The otherwise unused message input, squared.
    assert_eq!(message_cost, 1);
    assert_eq!(total, 22_450);
    assert!(total < 1 << 15);
}

/// The whole constraint system, not only its size, is pinned: a digest of
/// the matrices key generation sees.
///
/// If this fails, the circuit changed: every proving and verifying key made
/// for it (including a ceremony's) no longer matches, and every ballot
/// proved with them stops verifying. Do not update the digests; introduce a
/// new statement version (a new domain tag and shape id) beside the old one.
#[test]
fn constraint_system_is_pinned() {
    let pinned = [
        (
            shape(20, 3, 4),
            "bcbf01b8858d6769f24268edc66c7f8a557eb5c9aed66999e99300e766cd857f",
        ),
        (
            shape(4, 2, 2),
            "94c40d83557d719f6d72fcdb83e4f750b23311328effa39fe323ff614c2caebd",
        ),
    ];
    for (shape, digest) in pinned {
        let found = constraint_system_digest(BallotCircuit::blank(shape));
        assert_eq!(found, digest, "{shape}");
    }
}

/// Key generation's blank circuit has the shape of every circuit, with
/// the statement's parameters as public inputs.
#[test]
fn blank_circuit_has_the_shape_of_a_real_one() {
    let mut election = Election::new(shape(5, 2, 3), 17, 16, 79);
    let (public, witness) = election.ballot(&[0, 1, 1], 1, 2);
    let blank = synthesize(BallotCircuit::blank(election.shape));
    let real = synthesize(BallotCircuit::new(public, witness));
    assert!(real.is_satisfied().unwrap());
    assert!(!blank.is_satisfied().unwrap());
    assert_eq!(blank.num_constraints(), real.num_constraints());
    assert_eq!(blank.num_witness_variables(), real.num_witness_variables());
    // The constant one, 4 + 7·2 eligibility inputs, key, min, max, 4 per option.
    assert_eq!(blank.num_instance_variables(), 1 + 18 + 4 + 4 * 3);
}

/// Setup, prove and verify with Groth16; the proof does not verify for a
/// changed ciphertext coordinate, another election key or another root.
#[test]
fn groth16_round_trip() {
    let mut election = Election::new(shape(4, 2, 2), 9, 8, 80);
    let mut rng = rng(81);
    let (pk, vk) =
        Groth16::<Bn254>::circuit_specific_setup(BallotCircuit::blank(election.shape), &mut rng)
            .unwrap();
    assert_eq!(vk.gamma_abc_g1.len(), 1 + 18 + 4 + 4 * 2);
    let (public, witness) = election.ballot(&[1, 0], 1, 1);
    let proof = Groth16::<Bn254>::prove(&pk, BallotCircuit::new(public.clone(), witness), &mut rng)
        .unwrap();
    let pvk = Groth16::<Bn254>::process_vk(&vk).unwrap();
    let verify = |public: &BallotPublic| {
        Groth16::<Bn254>::verify_with_processed_vk(&pvk, &public_inputs(public), &proof).unwrap()
    };
    assert!(verify(&public));

    let mut other_coordinate = public.clone();
    other_coordinate.ciphertexts[0].c2 = other_coordinate.ciphertexts[0].c2 + BASE8;
    let mut other_key = public.clone();
    other_key.election_key = elgamal::public_key(&Scalar::from(99u64));
    let mut other_root = public.clone();
    other_root.eligibility.root += Fr::ONE;
    let mut other_range = public.clone();
    other_range.contests[0].max = 2;
    for other in [&other_coordinate, &other_key, &other_root, &other_range] {
        assert!(!verify(other));
    }
}

/// Every parameter and private input is pinned: changing any one of them
/// alone unsatisfies the circuit. (The parts' intermediate witnesses are
/// covered by the parts' own tests.)
#[test]
fn every_parameter_and_private_input_is_pinned() {
    let mut election = Election::new(shape(3, 1, 2), 5, 4, 82);
    let (public, witness) = election.ballot(&[0, 1], 0, 2);

    // The circuit allocates the parameters, then the private inputs, first.
    let cs = new_cs();
    BallotPublicVar::new_witness(cs.clone(), || Ok(&public)).unwrap();
    BallotWitnessVar::new_witness(cs.clone(), || Ok(&witness)).unwrap();
    let inputs = cs.num_witness_variables();
    // Eligibility parameters (4 + 7), key and its two squares, min, max,
    // 4 coordinates per ciphertext; randomness bits, secret, attribute,
    // path (2 per level and the depth), choices.
    assert_eq!(inputs, (4 + 7) + 4 + 2 + 8 + (2 * 251 + 1 + 1 + 7 + 2));

    assert_witnesses_are_pinned(&synthesize(BallotCircuit::new(public, witness)), inputs);
}
