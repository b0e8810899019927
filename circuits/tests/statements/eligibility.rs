//! Eligibility: the digest layout, gadget against native, true statements
//! of many kinds, a false statement per constraint family, costs, and a
//! Groth16 round trip.

use ark_bn254::Bn254;
use ark_ff::{AdditiveGroup, Field, PrimeField};
use ark_groth16::Groth16;
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::{ConstraintSynthesizer, SynthesisError};
use ark_snark::SNARK;
use rand_chacha::ChaCha20Rng;
use zkaudit_circuits::babyjubjub::SUBGROUP_ORDER;
use zkaudit_circuits::constraints::StatementShape;
use zkaudit_circuits::eligibility::constraints::{
    EligibilityPublicVar, EligibilityWitnessVar, enforce_eligibility,
};
use zkaudit_circuits::eligibility::{
    AttributePredicate, DOMAIN_TAG, EligibilityCircuit, EligibilityPublic, EligibilityShape,
    EligibilityWitness, check, credential_leaf, message_field, public_inputs,
};
use zkaudit_circuits::identity::Identity;
use zkaudit_circuits::lean_imt::{CircuitPath, LeanImt};
use zkaudit_circuits::poseidon::poseidon_hash;
use zkaudit_circuits::{CircuitError, Fr};

use crate::common::{
    self, assert_changes_are_told_apart, assert_refused, assert_witnesses_are_pinned,
    constraint_system_digest, fr_from_hex, new_cs, part_counter, random_frs, rng, synthesize,
};

/// A holder's attributes; a credential of `A` attributes has the first `A`.
const ATTRIBUTES: [u64; 8] = [
    19_900_415, // birth date, YYYYMMDD
    20_300_101, // credential expiry, YYYYMMDD
    276,        // region code (ISO 3166-1 numeric)
    3,          // credential type
    20_240,     // vaccination date, days since 1970-01-01 (2025-06-01)
    1_001,      // vaccine product code
    0,          // an attribute at the bottom of the range
    u64::MAX,   // and one at the top
];

/// The day the claims are made, YYYYMMDD.
const TODAY: u64 = 20_250_601;

/// The scope of the claims.
const SCOPE: u64 = 2025;

fn shape(depth: usize, attributes: usize) -> EligibilityShape {
    EligibilityShape::new(depth, attributes).unwrap()
}

/// A registry holding one holder's credential among others.
struct Scenario {
    shape: EligibilityShape,
    identity: Identity,
    attributes: Vec<u64>,
    tree: LeanImt,
    index: usize,
}

impl Scenario {
    /// A registry of `size` random credential leaves with the holder's at
    /// `index`.
    fn new(shape: EligibilityShape, size: usize, index: usize, seed: u64) -> Self {
        let mut rng = rng(seed);
        let identity = Identity::random(&mut rng);
        let attributes = ATTRIBUTES[..shape.attributes].to_vec();
        let mut leaves = random_frs(&mut rng, size);
        leaves[index] = credential_leaf(identity.commitment(), &attributes).unwrap();
        Self {
            shape,
            identity,
            attributes,
            tree: LeanImt::from_leaves(&leaves),
            index,
        }
    }

    fn path(&self) -> CircuitPath {
        let proof = self.tree.generate_proof(self.index).unwrap();
        proof.to_circuit_path(self.shape.depth).unwrap()
    }

    fn witness(&self) -> EligibilityWitness {
        EligibilityWitness {
            secret: self.identity.secret_scalar(),
            attributes: self.attributes.clone(),
            path: self.path(),
        }
    }

    /// The honest public parameters for `predicates` and a request.
    fn public(&self, predicates: &[AttributePredicate], request: &[u8]) -> EligibilityPublic {
        let scope = Fr::from(SCOPE);
        EligibilityPublic {
            shape: self.shape,
            root: self.tree.root().unwrap(),
            nullifier: self.identity.nullifier(scope),
            scope,
            message: message_field(request),
            predicates: predicates.to_vec(),
        }
    }

    /// Public parameters with predicates that accept the holder.
    fn honest_public(&self) -> EligibilityPublic {
        self.public(&any(self.shape.attributes), b"request 1")
    }
}

fn any(attributes: usize) -> Vec<AttributePredicate> {
    vec![AttributePredicate::any(); attributes]
}

fn satisfies(public: &EligibilityPublic, witness: &EligibilityWitness) -> bool {
    common::satisfies::<EligibilityShape>(public, witness)
}

/// Asserts that the native check refuses the statement with `error` and
/// that the circuit is not satisfied.
fn assert_false(public: &EligibilityPublic, witness: &EligibilityWitness, error: CircuitError) {
    assert_refused::<EligibilityShape>(check, public, witness, error);
}

/// The circuit, synthesized by hand so that the public input may be any
/// `digest` and the attributes any field elements.
fn satisfies_with(
    digest: Fr,
    public: &EligibilityPublic,
    secret: Fr,
    attributes: &[Fr],
    path: &CircuitPath,
) -> bool {
    let cs = new_cs();
    let digest_var = FpVar::new_input(cs.clone(), || Ok(digest)).unwrap();
    let public_var = EligibilityPublicVar::new_witness(cs.clone(), || Ok(public)).unwrap();
    let witness_var = EligibilityWitnessVar {
        secret: FpVar::new_witness(cs.clone(), || Ok(secret)).unwrap(),
        attributes: Vec::new_witness(cs.clone(), || Ok(attributes)).unwrap(),
        path: AllocVar::new_witness(cs.clone(), || Ok(path)).unwrap(),
    };
    enforce_eligibility(&public_var, &witness_var).unwrap();
    public_var
        .digest()
        .unwrap()
        .enforce_equal(&digest_var)
        .unwrap();
    cs.is_satisfied().unwrap()
}

fn field_attributes(attributes: &[u64]) -> Vec<Fr> {
    attributes.iter().copied().map(Fr::from).collect()
}

#[test]
fn shapes_are_validated_and_named() {
    assert_eq!(shape(20, 3).id(), "eligibility-d20-a3");
    assert_eq!(shape(1, 8).to_string(), "eligibility-d1-a8");
    assert!(EligibilityShape::new(32, 1).is_ok());
    for (depth, attributes) in [(0, 3), (33, 3), (20, 0), (20, 9)] {
        assert_eq!(
            EligibilityShape::new(depth, attributes),
            Err(CircuitError::InvalidShape { depth, attributes })
        );
    }
}

/// `message_field` keeps the first 31 bytes of SHA3-256 (FIPS 202 test
/// vectors for "" and "abc").
#[test]
fn message_field_is_truncated_sha3() {
    let empty = "0xa7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f843";
    let abc = "0x3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe245114315";
    assert_eq!(message_field(b""), fr_from_hex(empty));
    assert_eq!(message_field(b"abc"), fr_from_hex(abc));
    assert_ne!(message_field(b"request 1"), message_field(b"request 2"));
}

/// The digest is the documented chain over the documented elements.
#[test]
fn digest_follows_the_documented_layout() {
    let tag = Fr::from_be_bytes_mod_order(b"zkaudit/eligibility/v1");
    assert_eq!(DOMAIN_TAG, b"zkaudit/eligibility/v1");
    let hash = |inputs: &[Fr]| poseidon_hash(inputs).unwrap();
    let chain = |first: Fr, rest: &[Fr]| [&[first][..], rest].concat();
    for attributes in 1..=8 {
        let scenario = Scenario::new(shape(20, attributes), 3, 1, 40);
        let mut public = scenario.honest_public();
        public.predicates[0] = AttributePredicate {
            min: 5,
            max: 6,
            set: Some([7, 8, 9, 10]),
        };
        let elements = public.digest_elements();
        assert_eq!(elements.len(), 7 + 7 * attributes);
        let header = [
            tag,
            Fr::from(20u64),
            Fr::from(attributes as u64),
            public.root,
            public.nullifier,
            public.scope,
            public.message,
        ];
        assert_eq!(elements[..7], header);
        let first = [5u64, 6, 1, 7, 8, 9, 10].map(Fr::from);
        assert_eq!(elements[7..14], first);
        let expected = match attributes {
            1 => hash(&elements),
            2 | 3 => hash(&chain(hash(&elements[..15]), &elements[15..])),
            8 => {
                let mut running = hash(&elements[..15]);
                for chunk in [15..29, 29..43, 43..57, 57..63] {
                    running = hash(&chain(running, &elements[chunk]));
                }
                running
            }
            _ => continue,
        };
        assert_eq!(public.digest(), expected, "A = {attributes}");
        // The circuit's public inputs are the elements after the constant
        // header (tag, depth, attribute count).
        assert_eq!(public_inputs(&public), elements[3..].to_vec());
    }
}

/// Every parameter changes the digest.
#[test]
fn digest_binds_every_parameter() {
    let scenario = Scenario::new(shape(8, 3), 5, 2, 41);
    let public = scenario.honest_public();
    type Change = fn(&mut EligibilityPublic);
    let changes: [Change; 9] = [
        |public| public.shape.depth += 1,
        |public| public.root += Fr::ONE,
        |public| public.nullifier += Fr::ONE,
        |public| public.scope += Fr::ONE,
        |public| public.message += Fr::ONE,
        |public| public.predicates[2].min += 1,
        |public| public.predicates[1].max -= 1,
        |public| public.predicates[0].set = Some([0; 4]),
        |public| public.predicates.push(AttributePredicate::any()),
    ];
    assert_changes_are_told_apart(&public, &changes, EligibilityPublic::digest);
}

#[test]
fn credential_leaf_is_poseidon_of_commitment_and_attributes() {
    let commitment = Fr::from(12345u64);
    let leaf = credential_leaf(commitment, &[1, 2, 3]).unwrap();
    let expected = poseidon_hash(&[commitment, Fr::from(1u64), Fr::from(2u64), Fr::from(3u64)]);
    assert_eq!(leaf, expected.unwrap());
    assert_eq!(
        credential_leaf(commitment, &[]),
        Err(CircuitError::AttributeCount(0))
    );
    assert_eq!(
        credential_leaf(commitment, &[0; 9]),
        Err(CircuitError::AttributeCount(9))
    );
}

/// The in-circuit digest, leaf, root and nullifier equal the native ones.
#[test]
fn gadget_matches_native() {
    for (depth, attributes, size, index) in [(4, 1, 1, 0), (6, 3, 19, 18), (20, 8, 40, 7)] {
        let scenario = Scenario::new(shape(depth, attributes), size, index, 42);
        let public = scenario.honest_public();
        let witness = scenario.witness();
        let native = witness.derive(public.scope).unwrap();
        assert_eq!(native.root, scenario.tree.root().unwrap());

        let cs = new_cs();
        let public_var = EligibilityPublicVar::new_witness(cs.clone(), || Ok(&public)).unwrap();
        let witness_var = EligibilityWitnessVar::new_witness(cs.clone(), || Ok(&witness)).unwrap();
        let derived = witness_var.derive(&public_var.scope).unwrap();
        assert_eq!(derived.leaf.value().unwrap(), native.leaf);
        assert_eq!(derived.root.value().unwrap(), native.root);
        assert_eq!(derived.nullifier.value().unwrap(), native.nullifier);
        let digest = public_var.digest().unwrap();
        assert_eq!(digest.value().unwrap(), public.digest());
        assert!(cs.is_satisfied().unwrap());
    }
}

/// Predicate mixes on a credential of three attributes (birth date,
/// expiry, region) that the holder satisfies.
fn true_predicate_mixes() -> Vec<Vec<AttributePredicate>> {
    let over_18 = AttributePredicate::at_most(TODAY - 18 * 10_000);
    let not_expired = AttributePredicate::at_least(TODAY);
    vec![
        any(3),
        vec![over_18, not_expired, AttributePredicate::any()],
        vec![
            AttributePredicate::any(),
            AttributePredicate::any(),
            AttributePredicate::equals(276),
        ],
        vec![
            AttributePredicate::between(19_800_101, 19_991_231),
            not_expired,
            AttributePredicate::one_of(&[40, 276, 756]).unwrap(),
        ],
        vec![
            AttributePredicate::equals(19_900_415),
            AttributePredicate::between(20_300_101, 20_300_101),
            AttributePredicate {
                min: 200,
                max: 300,
                set: Some([100, 276, 276, 500]),
            },
        ],
        vec![
            AttributePredicate::one_of(&[19_900_415]).unwrap(),
            AttributePredicate::at_most(u64::MAX),
            AttributePredicate::at_least(0),
        ],
    ]
}

#[test]
fn true_statements_are_satisfied() {
    // Trees from one leaf (depth 0) to 100 leaves (depth 7), all below D.
    let trees = [(1, 0), (2, 1), (5, 4), (33, 32), (100, 57)];
    for (size, index) in trees {
        let scenario = Scenario::new(shape(10, 3), size, index, 43);
        assert_eq!(
            scenario.tree.depth(),
            size.next_power_of_two().trailing_zeros() as usize
        );
        for (mix, predicates) in true_predicate_mixes().iter().enumerate() {
            let public = scenario.public(predicates, format!("request {mix}").as_bytes());
            let witness = scenario.witness();
            assert_eq!(check(&public, &witness), Ok(()), "size {size}, mix {mix}");
            assert!(satisfies(&public, &witness), "size {size}, mix {mix}");
        }
    }
}

/// Eight attributes, including 0 and 2⁶⁴ − 1, in a tree of full depth.
#[test]
fn eight_attributes_at_full_depth_are_satisfied() {
    let scenario = Scenario::new(shape(7, 8), 128, 77, 44);
    assert_eq!(scenario.path().depth, 7);
    let predicates = [
        AttributePredicate::at_most(TODAY - 18 * 10_000),
        AttributePredicate::at_least(TODAY),
        AttributePredicate::one_of(&[276, 40]).unwrap(),
        AttributePredicate::equals(3),
        AttributePredicate::at_most(20_240),
        AttributePredicate::one_of(&[1_001, 1_002, 1_007]).unwrap(),
        AttributePredicate::equals(0),
        AttributePredicate::equals(u64::MAX),
    ];
    let public = scenario.public(&predicates, b"benefit claim");
    assert_eq!(check(&public, &scenario.witness()), Ok(()));
    assert!(satisfies(&public, &scenario.witness()));
}

#[test]
fn wrong_secret_is_unsatisfied() {
    let scenario = Scenario::new(shape(6, 3), 9, 4, 45);
    let public = scenario.honest_public();
    let mut witness = scenario.witness();
    witness.secret = Identity::random(&mut rng(46)).secret_scalar();
    assert_false(&public, &witness, CircuitError::MerkleRootMismatch);

    // s + l has the same public key (so the same leaf) but is refused.
    witness.secret = scenario.identity.secret_scalar() + Fr::from_bigint(SUBGROUP_ORDER).unwrap();
    assert_false(&public, &witness, CircuitError::SecretScalarOutOfRange);
}

#[test]
fn wrong_path_is_unsatisfied() {
    let scenario = Scenario::new(shape(6, 3), 13, 6, 47);
    let public = scenario.honest_public();
    type Tampering = (&'static str, fn(&mut CircuitPath));
    let tamperings: [Tampering; 4] = [
        ("sibling", |path| path.siblings[1] += Fr::ONE),
        ("path bit", |path| path.path_bits[0] = !path.path_bits[0]),
        ("shorter depth", |path| path.depth -= 1),
        ("longer depth", |path| path.depth += 1),
    ];
    for (name, tamper) in tamperings {
        let mut witness = scenario.witness();
        tamper(&mut witness.path);
        assert_eq!(
            check(&public, &witness),
            Err(CircuitError::MerkleRootMismatch),
            "{name}"
        );
        assert!(!satisfies(&public, &witness), "{name}");
    }
    // The leaf of another credential's position.
    let mut witness = scenario.witness();
    witness.path = scenario
        .tree
        .generate_proof(5)
        .unwrap()
        .to_circuit_path(6)
        .unwrap();
    assert_false(&public, &witness, CircuitError::MerkleRootMismatch);
}

/// Revocation sets the leaf to 0: the old root is no longer accepted by the
/// registry, and against the new root neither the old path nor the new one
/// (whose leaf is 0) leads from the holder's credential.
#[test]
fn revoked_credential_is_unsatisfied() {
    let scenario = Scenario::new(shape(6, 3), 11, 3, 48);
    let old_path = scenario.path();
    let mut revoked = scenario.tree.clone();
    revoked.revoke(scenario.index).unwrap();
    let mut public = scenario.honest_public();
    public.root = revoked.root().unwrap();
    let new_path = revoked.generate_proof(scenario.index).unwrap();
    assert_eq!(new_path.leaf, Fr::ZERO);
    for path in [old_path, new_path.to_circuit_path(6).unwrap()] {
        let witness = EligibilityWitness {
            path,
            ..scenario.witness()
        };
        assert_false(&public, &witness, CircuitError::MerkleRootMismatch);
    }
}

#[test]
fn attributes_outside_their_range_are_unsatisfied() {
    let scenario = Scenario::new(shape(6, 3), 4, 0, 49);
    let witness = scenario.witness();
    let [birth, expiry, region] = [ATTRIBUTES[0], ATTRIBUTES[1], ATTRIBUTES[2]];
    let failing = [
        (0, AttributePredicate::at_least(birth + 1)),
        (0, AttributePredicate::at_most(birth - 1)),
        (1, AttributePredicate::at_least(expiry + 1)),
        (1, AttributePredicate::between(expiry + 1, u64::MAX)),
        (2, AttributePredicate::equals(region + 1)),
        (2, AttributePredicate::equals(region - 1)),
        (2, AttributePredicate::between(region + 1, region - 1)),
        (2, AttributePredicate::between(region, region - 1)),
    ];
    for (attribute, predicate) in failing {
        let mut predicates = any(3);
        predicates[attribute] = predicate;
        let public = scenario.public(&predicates, b"request");
        assert_false(
            &public,
            &witness,
            CircuitError::PredicateFails { attribute },
        );
    }
}

#[test]
fn attributes_outside_their_set_are_unsatisfied() {
    let scenario = Scenario::new(shape(6, 3), 4, 2, 50);
    let mut predicates = any(3);
    predicates[2] = AttributePredicate::one_of(&[40, 756, 277, 275]).unwrap();
    let public = scenario.public(&predicates, b"request");
    let failing = CircuitError::PredicateFails { attribute: 2 };
    assert_false(&public, &scenario.witness(), failing);
    // The same values as a range only: in range, accepted.
    predicates[2] = AttributePredicate::between(40, 756);
    let public = scenario.public(&predicates, b"request");
    assert!(satisfies(&public, &scenario.witness()));
}

/// A credential whose attributes are field elements beyond `u64` (which no
/// issuer writes, but a leaf could hold) satisfies no predicate: the range
/// checks leave no wrap-around, not even for `any()`.
#[test]
fn attributes_that_would_wrap_are_unsatisfied() {
    let shape = shape(6, 3);
    let identity = Identity::random(&mut rng(51));
    let two_to_64 = Fr::from(u64::MAX) + Fr::ONE;
    let honest = field_attributes(&ATTRIBUTES[..3]);
    let cases = [
        (-Fr::ONE, AttributePredicate::any()),
        (-Fr::ONE, AttributePredicate::at_most(100)),
        (-Fr::from(5u64), AttributePredicate::at_least(u64::MAX - 3)),
        (two_to_64, AttributePredicate::any()),
        (two_to_64, AttributePredicate::at_least(1)),
        (
            two_to_64 + Fr::from(1000u64),
            AttributePredicate::at_most(1000),
        ),
        (
            Fr::from(1000u64) - two_to_64,
            AttributePredicate::between(1000, 2000),
        ),
    ];
    for (value, predicate) in cases {
        let mut attributes = honest.clone();
        attributes[1] = value;
        let leaf = poseidon_hash(&[&[identity.commitment()][..], &attributes].concat()).unwrap();
        let tree = LeanImt::from_leaves(&[Fr::from(9u64), leaf, Fr::from(10u64)]);
        let path = tree.generate_proof(1).unwrap().to_circuit_path(6).unwrap();
        let mut predicates = any(3);
        predicates[1] = predicate;
        let public = EligibilityPublic {
            shape,
            root: tree.root().unwrap(),
            nullifier: identity.nullifier(Fr::from(SCOPE)),
            scope: Fr::from(SCOPE),
            message: message_field(b"request"),
            predicates,
        };
        let secret = identity.secret_scalar();
        assert!(
            !satisfies_with(public.digest(), &public, secret, &attributes, &path),
            "{value} with {predicate:?}"
        );
        // The same tree with the honest attribute is satisfied.
        attributes[1] = honest[1];
        let leaf = poseidon_hash(&[&[identity.commitment()][..], &attributes].concat()).unwrap();
        let tree = LeanImt::from_leaves(&[Fr::from(9u64), leaf, Fr::from(10u64)]);
        let public = EligibilityPublic {
            root: tree.root().unwrap(),
            predicates: any(3),
            ..public
        };
        assert!(satisfies_with(
            public.digest(),
            &public,
            secret,
            &attributes,
            &path
        ));
    }
}

#[test]
fn wrong_nullifier_is_unsatisfied() {
    let scenario = Scenario::new(shape(6, 3), 6, 5, 52);
    let witness = scenario.witness();
    let mut public = scenario.honest_public();
    public.nullifier += Fr::ONE;
    assert_false(&public, &witness, CircuitError::NullifierMismatch);
    // The nullifier of another scope.
    let mut public = scenario.honest_public();
    public.nullifier = scenario.identity.nullifier(Fr::from(SCOPE + 1));
    assert_false(&public, &witness, CircuitError::NullifierMismatch);
    // Another scope with this scope's nullifier.
    let mut public = scenario.honest_public();
    public.scope += Fr::ONE;
    assert_false(&public, &witness, CircuitError::NullifierMismatch);
}

/// A witness for one set of parameters does not satisfy the digest of
/// another: another message, other predicates, another root or nullifier.
#[test]
fn digest_of_other_parameters_is_unsatisfied() {
    let scenario = Scenario::new(shape(6, 3), 7, 3, 53);
    let public = scenario.honest_public();
    let witness = scenario.witness();
    let (secret, path) = (witness.secret, &witness.path);
    let attributes = field_attributes(&witness.attributes);
    assert!(satisfies_with(
        public.digest(),
        &public,
        secret,
        &attributes,
        path
    ));

    let other_message = EligibilityPublic {
        message: message_field(b"request 2"),
        ..public.clone()
    };
    let mut other_predicates = public.clone();
    other_predicates.predicates[0] = AttributePredicate::at_most(19_900_415);
    let mut other_shape = public.clone();
    other_shape.shape.depth = 7;
    for other in [other_message, other_predicates, other_shape] {
        assert_eq!(check(&other, &witness).is_ok(), other.shape == public.shape);
        assert!(!satisfies_with(
            other.digest(),
            &public,
            secret,
            &attributes,
            path
        ));
    }
}

#[test]
fn mismatched_shapes_are_refused() {
    let scenario = Scenario::new(shape(6, 3), 7, 3, 54);
    let public = scenario.honest_public();
    let witness = scenario.witness();

    let mut fewer_predicates = public.clone();
    fewer_predicates.predicates.pop();
    let mismatch = CircuitError::AttributeCountMismatch {
        expected: 3,
        found: 2,
    };
    assert_eq!(check(&fewer_predicates, &witness), Err(mismatch.clone()));
    let mut more_attributes = witness.clone();
    more_attributes.attributes.push(1);
    let mismatch = CircuitError::AttributeCountMismatch {
        expected: 3,
        found: 4,
    };
    assert_eq!(check(&public, &more_attributes), Err(mismatch));
    let short_path = EligibilityWitness {
        path: scenario
            .tree
            .generate_proof(3)
            .unwrap()
            .to_circuit_path(5)
            .unwrap(),
        ..witness.clone()
    };
    let mismatch = CircuitError::PathLengthMismatch {
        expected: 6,
        found: 5,
    };
    assert_eq!(check(&public, &short_path), Err(mismatch));
    let mut too_deep = witness.clone();
    too_deep.path.depth = 7;
    let too_deep_error = CircuitError::MerkleProofTooDeep {
        depth: 7,
        max_depth: 6,
    };
    assert_eq!(check(&public, &too_deep), Err(too_deep_error));
    assert!(!satisfies(&public, &too_deep));
    let invalid = EligibilityPublic {
        shape: EligibilityShape {
            depth: 6,
            attributes: 9,
        },
        ..public.clone()
    };
    let invalid_error = CircuitError::InvalidShape {
        depth: 6,
        attributes: 9,
    };
    assert_eq!(check(&invalid, &witness), Err(invalid_error));

    // The circuit refuses to synthesize a shape its inputs do not fit.
    let cases = [
        (fewer_predicates, witness.clone()),
        (public.clone(), more_attributes),
        (public.clone(), short_path),
        (invalid, witness),
    ];
    for (public, witness) in cases {
        let circuit = EligibilityCircuit::new(public, witness);
        let result = circuit.generate_constraints(new_cs());
        assert_eq!(result, Err(SynthesisError::ArityMismatch));
    }
}

/// Constraint counts of the parts, at depth 20 with 3 and 8 attributes.
struct Costs {
    path: usize,
    identity: usize,
    leaf: usize,
    membership: usize,
    predicates: usize,
    equalities: usize,
    message: usize,
    total: usize,
}

/// Builds the statement step by step (as `enforce_eligibility` and the
/// circuit do) and counts each part.
fn costs(shape: EligibilityShape) -> Costs {
    use zkaudit_circuits::eligibility::constraints::credential_leaf_var;
    use zkaudit_circuits::identity::constraints::IdentityVar;

    let public = shape.blank_public();
    let witness = shape.placeholder_witness();
    let cs = new_cs();
    let mut count = part_counter(&cs);
    let public_var = EligibilityPublicVar::new_input(cs.clone(), || Ok(&public)).unwrap();
    let flags = count();
    let witness_var = EligibilityWitnessVar::new_witness(cs.clone(), || Ok(&witness)).unwrap();
    let path = count();
    let identity = IdentityVar::new(witness_var.secret.clone()).unwrap();
    let commitment = identity.commitment().unwrap();
    let nullifier = identity.nullifier(&public_var.scope).unwrap();
    let identity_cost = count();
    let leaf = credential_leaf_var(&commitment, &witness_var.attributes).unwrap();
    let leaf_cost = count();
    let root = witness_var.path.root(&leaf).unwrap();
    let membership = count();
    root.enforce_equal(&public_var.root).unwrap();
    nullifier.enforce_equal(&public_var.nullifier).unwrap();
    let equalities = count();
    for (predicate, attribute) in public_var.predicates.iter().zip(&witness_var.attributes) {
        predicate.enforce_holds(attribute).unwrap();
    }
    let predicates = flags + count();
    let _message_squared = public_var.message.square().unwrap();
    let message = count();
    let total = synthesize(EligibilityCircuit::blank(shape)).num_constraints();
    assert_eq!(
        total,
        cs.num_constraints(),
        "the parts add up to the circuit"
    );
    Costs {
        path,
        identity: identity_cost,
        leaf: leaf_cost,
        membership,
        predicates,
        equalities,
        message,
        total,
    }
}

#[test]
fn constraint_counts_are_pinned() {
    let three = costs(shape(20, 3));
    let eight = costs(shape(20, 8));
    for costs in [&three, &eight] {
        // 20 path bits; 244 per level, 19 orderings, 1 for the depth.
        assert_eq!((costs.path, costs.membership), (20, 4_880));
        // Secret bits and bound, public key, commitment, nullifier.
        assert_eq!(costs.identity, 1_730);
        assert_eq!(costs.equalities, 2);
    }
    // Poseidon of 4 inputs (t = 5) and of 9 inputs (t = 10).
    assert_eq!((three.leaf, eight.leaf), (297, 417));
    assert_eq!((three.predicates, eight.predicates), (3 * 135, 8 * 135));
    // The message is squared so the proof binds it.
    assert_eq!((three.message, eight.message), (1, 1));
    // Under 2^13 at (20, 3): the Groth16 domain stays 8,192.
    assert_eq!(three.total, 7_335);
    assert_eq!(eight.total, 8_130);
}

/// The whole constraint system, not only its size, is pinned: a digest of
/// the matrices key generation sees.
///
/// If this fails, the circuit changed: every proving and verifying key made
/// for it (including a ceremony's) no longer matches, and every proof made
/// with them stops verifying. Do not update the digests; introduce a new
/// statement version (a new domain tag and shape id) beside the old one.
#[test]
fn constraint_system_is_pinned() {
    let pinned = [
        (
            shape(20, 3),
            "274b44a579013d649013e4f57d33938084234a19569ed469695d8bd34ac8fafc",
        ),
        (
            shape(20, 8),
            "0166fce289d62a393da818219ae80075f4947c7416735438d343d9c9f2d6d522",
        ),
        (
            shape(4, 3),
            "34afb0b85fc1d51a9a692147f8bbfe7e8c6395e33e61bb686fb2dc1b3f788105",
        ),
    ];
    for (shape, digest) in pinned {
        let found = constraint_system_digest(EligibilityCircuit::blank(shape));
        assert_eq!(found, digest, "{shape}");
    }
}

/// Key generation's blank circuit has the shape of every circuit: same
/// counts (and, in the Groth16 test, a key that proves real statements).
#[test]
fn blank_circuit_has_the_shape_of_a_real_one() {
    let scenario = Scenario::new(shape(5, 4), 17, 16, 55);
    let blank = synthesize(EligibilityCircuit::blank(scenario.shape));
    let real = synthesize(EligibilityCircuit::new(
        scenario.honest_public(),
        scenario.witness(),
    ));
    assert!(real.is_satisfied().unwrap());
    assert!(!blank.is_satisfied().unwrap());
    assert_eq!(blank.num_constraints(), real.num_constraints());
    assert_eq!(blank.num_witness_variables(), real.num_witness_variables());
    assert_eq!(
        blank.num_instance_variables(),
        1 + 4 + 7 * 4,
        "the constant one, root, nullifier, scope, message and 7 per predicate"
    );
}

/// Every parameter and private input is pinned: changing any one of them
/// alone unsatisfies the circuit. (The intermediate witnesses of the parts
/// are covered by the parts' own tests; checking all of them here would take
/// minutes.)
#[test]
fn every_parameter_and_private_input_is_pinned() {
    let scenario = Scenario::new(shape(3, 2), 5, 4, 56);
    let mut predicates = any(2);
    predicates[0] = AttributePredicate {
        min: 19_000_000,
        max: 20_000_000,
        set: Some([1, 19_900_415, 2, 3]),
    };
    let public = scenario.public(&predicates, b"request");
    let witness = scenario.witness();

    // The circuit allocates the parameters, then the private inputs, first.
    let cs = new_cs();
    EligibilityPublicVar::new_witness(cs.clone(), || Ok(&public)).unwrap();
    EligibilityWitnessVar::new_witness(cs.clone(), || Ok(&witness)).unwrap();
    let inputs = cs.num_witness_variables();
    let (depth, attributes) = (3, 2);
    assert_eq!(
        inputs,
        (4 + 7 * attributes) + (1 + attributes + 2 * depth + 1)
    );

    assert_witnesses_are_pinned(
        &synthesize(EligibilityCircuit::new(public, witness)),
        inputs,
    );
}

/// Setup, prove and verify with Groth16; the proof does not verify for
/// another message, other predicates or another nullifier.
#[test]
fn groth16_round_trip() {
    let mut rng: ChaCha20Rng = rng(57);
    let scenario = Scenario::new(shape(4, 3), 9, 8, 58);
    let (pk, vk) = Groth16::<Bn254>::circuit_specific_setup(
        EligibilityCircuit::blank(scenario.shape),
        &mut rng,
    )
    .unwrap();
    let predicates = &true_predicate_mixes()[3];
    let public = scenario.public(predicates, b"claim benefit 42");
    let circuit = EligibilityCircuit::new(public.clone(), scenario.witness());
    let proof = Groth16::<Bn254>::prove(&pk, circuit, &mut rng).unwrap();
    let pvk = Groth16::<Bn254>::process_vk(&vk).unwrap();
    let verify = |public: &EligibilityPublic| {
        Groth16::<Bn254>::verify_with_processed_vk(&pvk, &public_inputs(public), &proof).unwrap()
    };
    assert!(verify(&public));
    assert_eq!(
        vk.gamma_abc_g1.len(),
        1 + 4 + 7 * 3,
        "the constant and 4 + 7·A inputs"
    );
    assert!(
        vk.gamma_abc_g1
            .iter()
            .all(|p| !ark_ec::AffineRepr::is_zero(p)),
        "every public input is bound (no zero verifying-key point)"
    );

    let other_message = EligibilityPublic {
        message: message_field(b"claim benefit 43"),
        ..public.clone()
    };
    let mut other_predicates = public.clone();
    other_predicates.predicates[0] = AttributePredicate::at_most(19_900_101);
    let other_nullifier = EligibilityPublic {
        nullifier: scenario.identity.nullifier(Fr::from(SCOPE + 1)),
        ..public.clone()
    };
    for other in [&other_message, &other_predicates, &other_nullifier] {
        assert!(!verify(other));
    }
}
