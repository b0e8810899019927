//! Semaphore v4 identities: @semaphore-protocol/identity compatibility,
//! gadget against native, the secret's range, costs.

use ark_ff::{BigInteger, PrimeField};
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::ConstraintSystemRef;
use zkaudit_circuits::babyjubjub::{Point, SUBGROUP_ORDER};
use zkaudit_circuits::identity::Identity;
use zkaudit_circuits::identity::constraints::IdentityVar;
use zkaudit_circuits::{CircuitError, Fr};

use crate::common::{assert_every_witness_is_pinned, fr, new_cs, rng, vectors};

/// `l` as a BN254 scalar field element.
fn subgroup_order() -> Fr {
    Fr::from_bigint(SUBGROUP_ORDER).unwrap()
}

/// `shared/vectors/semaphore-identity.json`: identities made by
/// @semaphore-protocol/identity 4.14.3 (secret scalar, public key in
/// circomlib coordinates, commitment).
#[test]
fn matches_semaphore_identity_vectors() {
    let file = vectors("semaphore-identity.json");
    assert_eq!(file["source"], "@semaphore-protocol/identity 4.14.3");
    let identities = file["identities"].as_array().unwrap();
    assert!(!identities.is_empty());
    for case in identities {
        let identity = Identity::from_secret_scalar(fr(&case["secret_scalar"])).unwrap();
        let public_key =
            Point::new(fr(&case["public_key"][0]), fr(&case["public_key"][1])).unwrap();
        assert_eq!(identity.public_key(), public_key);
        assert_eq!(identity.commitment(), fr(&case["commitment"]));
    }
}

#[test]
fn secret_scalars_must_be_below_the_subgroup_order() {
    let l = subgroup_order();
    for secret in [l, l + Fr::from(1u64), -Fr::from(1u64)] {
        assert_eq!(
            Identity::from_secret_scalar(secret),
            Err(CircuitError::SecretScalarOutOfRange)
        );
    }
    let largest = Identity::from_secret_scalar(l - Fr::from(1u64)).unwrap();
    let one = Identity::from_secret_scalar(Fr::from(1u64)).unwrap();
    assert_eq!(largest.public_key(), -one.public_key());
    assert!(Identity::from_secret_scalar(Fr::from(0u64)).is_ok());
}

#[test]
fn random_identities_are_valid_and_distinct() {
    let mut rng = rng(30);
    let first = Identity::random(&mut rng);
    let second = Identity::random(&mut rng);
    assert_ne!(first.commitment(), second.commitment());
    assert!(first.secret_scalar().into_bigint() < SUBGROUP_ORDER);
    assert!(first.public_key().is_in_prime_order_subgroup());
}

#[test]
fn nullifier_is_poseidon_of_scope_and_secret() {
    let mut rng = rng(31);
    let identity = Identity::random(&mut rng);
    let scope = Fr::from(2024u64);
    let expected =
        zkaudit_circuits::poseidon::poseidon_hash(&[scope, identity.secret_scalar()]).unwrap();
    assert_eq!(identity.nullifier(scope), expected);
    assert_ne!(
        identity.nullifier(scope),
        identity.nullifier(scope + Fr::from(1u64))
    );
}

#[test]
fn debug_does_not_show_the_secret() {
    let identity = Identity::from_secret_scalar(Fr::from(123456789u64)).unwrap();
    let shown = format!("{identity:?}");
    assert!(!shown.contains("123456789"), "{shown}");
    assert!(shown.contains("public_key"));
}

/// The identity statement: a witness secret whose commitment and nullifier
/// for a public scope equal public values.
struct Statement {
    cs: ConstraintSystemRef<Fr>,
    commitment: FpVar<Fr>,
    nullifier: FpVar<Fr>,
    public_key: Point,
}

fn prove_identity(secret: Fr, scope: Fr, commitment: Fr, nullifier: Fr) -> Statement {
    let cs = new_cs();
    let commitment_input = FpVar::new_input(cs.clone(), || Ok(commitment)).unwrap();
    let scope_input = FpVar::new_input(cs.clone(), || Ok(scope)).unwrap();
    let nullifier_input = FpVar::new_input(cs.clone(), || Ok(nullifier)).unwrap();
    let secret_var = FpVar::new_witness(cs.clone(), || Ok(secret)).unwrap();
    let identity = IdentityVar::new(secret_var).unwrap();
    let computed_commitment = identity.commitment().unwrap();
    let computed_nullifier = identity.nullifier(&scope_input).unwrap();
    computed_commitment
        .enforce_equal(&commitment_input)
        .unwrap();
    computed_nullifier.enforce_equal(&nullifier_input).unwrap();
    let public_key = identity.public_key().value().unwrap();
    Statement {
        cs,
        commitment: computed_commitment,
        nullifier: computed_nullifier,
        public_key,
    }
}

#[test]
fn gadget_matches_native() {
    let mut rng = rng(32);
    let file = vectors("semaphore-identity.json");
    let vector_secrets = file["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| fr(&case["secret_scalar"]));
    let random_secrets = (0..2).map(|_| Identity::random(&mut rng).secret_scalar());
    let edge_secrets = [
        Fr::from(0u64),
        Fr::from(1u64),
        subgroup_order() - Fr::from(1u64),
    ];
    let scope = Fr::from(77u64);
    for secret in vector_secrets.chain(random_secrets).chain(edge_secrets) {
        let identity = Identity::from_secret_scalar(secret).unwrap();
        let statement = prove_identity(
            secret,
            scope,
            identity.commitment(),
            identity.nullifier(scope),
        );
        assert_eq!(statement.public_key, identity.public_key());
        assert_eq!(statement.commitment.value().unwrap(), identity.commitment());
        assert_eq!(
            statement.nullifier.value().unwrap(),
            identity.nullifier(scope)
        );
        assert!(statement.cs.is_satisfied().unwrap(), "secret {secret}");
    }
}

#[test]
fn wrong_secret_or_scope_is_unsatisfied() {
    let mut rng = rng(33);
    let identity = Identity::random(&mut rng);
    let other = Identity::random(&mut rng);
    let scope = Fr::from(5u64);
    let (commitment, nullifier) = (identity.commitment(), identity.nullifier(scope));

    let honest = prove_identity(identity.secret_scalar(), scope, commitment, nullifier);
    assert!(honest.cs.is_satisfied().unwrap());
    let wrong_secret = prove_identity(other.secret_scalar(), scope, commitment, nullifier);
    assert!(!wrong_secret.cs.is_satisfied().unwrap());
    let wrong_scope = prove_identity(
        identity.secret_scalar(),
        scope + Fr::from(1u64),
        commitment,
        nullifier,
    );
    assert!(!wrong_scope.cs.is_satisfied().unwrap());
    let wrong_commitment = prove_identity(
        identity.secret_scalar(),
        scope,
        commitment + Fr::from(1u64),
        nullifier,
    );
    assert!(!wrong_commitment.cs.is_satisfied().unwrap());
}

/// `s + l` has the same public key as `s` but another nullifier: the range
/// check is what stops a second claim per scope.
#[test]
fn secret_plus_subgroup_order_is_unsatisfied() {
    let small = Identity::from_secret_scalar(Fr::from(987654321u64)).unwrap();
    let alias = small.secret_scalar() + subgroup_order();
    assert!(
        alias.into_bigint().num_bits() <= 251,
        "the alias fits in 251 bits"
    );
    let scope = Fr::from(1u64);
    let alias_nullifier = zkaudit_circuits::poseidon::poseidon_hash_pair(scope, alias);
    let statement = prove_identity(alias, scope, small.commitment(), alias_nullifier);
    assert_eq!(statement.public_key, small.public_key(), "same key");
    assert!(!statement.cs.is_satisfied().unwrap(), "yet rejected");

    for out_of_range in [subgroup_order(), -Fr::from(1u64)] {
        let statement = prove_identity(out_of_range, scope, Fr::from(0u64), Fr::from(0u64));
        assert!(!statement.cs.is_satisfied().unwrap());
    }
}

/// Pinned costs: the identity (bits, range, public key), the commitment,
/// the nullifier.
#[test]
fn constraint_counts_are_pinned() {
    let cs = new_cs();
    let secret = FpVar::new_witness(cs.clone(), || Ok(Fr::from(42u64))).unwrap();
    let identity = IdentityVar::new(secret).unwrap();
    let for_identity = cs.num_constraints();
    let _commitment = identity.commitment().unwrap();
    let for_commitment = cs.num_constraints() - for_identity;
    let scope = FpVar::new_input(cs.clone(), || Ok(Fr::from(1u64))).unwrap();
    let _nullifier = identity.nullifier(&scope).unwrap();
    let for_nullifier = cs.num_constraints() - for_identity - for_commitment;
    assert!(cs.is_satisfied().unwrap());
    // 251 bits and their sum (252), the bound s ≤ l − 1 (250), the
    // fixed-base multiplication (748).
    assert_eq!(for_identity, 252 + 250 + 748);
    assert_eq!((for_commitment, for_nullifier), (240, 240));
    assert_eq!(cs.num_constraints(), 1730);
}

#[test]
fn every_witness_is_pinned() {
    let mut rng = rng(34);
    let identity = Identity::random(&mut rng);
    let scope = Fr::from(9u64);
    let statement = prove_identity(
        identity.secret_scalar(),
        scope,
        identity.commitment(),
        identity.nullifier(scope),
    );
    assert_every_witness_is_pinned(&statement.cs);
}
