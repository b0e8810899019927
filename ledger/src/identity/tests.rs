//! Unit tests of the identity domain: payload codecs, the registry
//! lifecycle and root window, refused changes, scopes, keys and claims.

use super::*;
use crate::codec::fr_to_bytes;
use crate::record::{Record, TEST_LOG};
use ed25519_dalek::SigningKey;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use zkaudit_circuits::Fr;
use zkaudit_circuits::poseidon::poseidon_hash;
use zkaudit_circuits::predicate::AttributePredicate;

fn key(seed: u64) -> SigningKey {
    SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(seed))
}

fn spec() -> RegistrySpec {
    RegistrySpec {
        id: "national-id".into(),
        title: "National ID".into(),
        attributes: vec!["birth_date".into(), "region".into()],
        depth: 20,
        window_changes: 2,
        window_secs: 0,
    }
}

fn signed(kind: &str, payload: Vec<u8>, k: &SigningKey, t: u64) -> Record {
    Record::signed(TEST_LOG, DOMAIN, kind, t, payload, k).unwrap()
}

fn issue(commitment: u64, attrs: Vec<u64>) -> Vec<u8> {
    CredentialIssue {
        registry: "national-id".into(),
        commitment: fr_to_bytes(&Fr::from(commitment)),
        attributes: attrs,
    }
    .encode()
}

/// Applies `records` as if logged at consecutive indices, logging roots
/// the way the service does.
fn replay(book: &mut RegistryBook, records: &[Record], log: &SigningKey) {
    for record in records {
        let index = book.applied_up_to();
        book.apply(index, record);
        for root in book.pending_roots() {
            let index = book.applied_up_to();
            book.apply(
                index,
                &signed(REGISTRY_ROOT, root.encode(), log, 1_000 + index),
            );
        }
    }
}

/// A book whose log is `log`, where `issuer` has created the `spec()`
/// registry (and the log has logged its root).
fn created_registry(issuer: &SigningKey, log: &SigningKey) -> RegistryBook {
    let mut book = RegistryBook::new(log.verifying_key());
    replay(
        &mut book,
        &[signed(REGISTRY_CREATE, spec().encode(), issuer, 0)],
        log,
    );
    book
}

#[test]
fn payloads_round_trip_strictly() {
    let s = spec();
    assert_eq!(RegistrySpec::decode(&s.encode()).unwrap(), s);
    let i = CredentialIssue::decode(&issue(5, vec![1, 2])).unwrap();
    assert_eq!(i.encode(), issue(5, vec![1, 2]));
    let mut trailing = s.encode();
    trailing.push(0);
    assert!(RegistrySpec::decode(&trailing).is_err());
    let mut bad = issue(5, vec![1, 2]);
    bad[2 + 11..2 + 11 + 32].copy_from_slice(&[0xff; 32]);
    assert_eq!(
        CredentialIssue::decode(&bad),
        Err(IdentityError::NonCanonicalField("commitment"))
    );
}

#[test]
fn registry_lifecycle_and_root_window() {
    let issuer = key(1);
    let log = key(9);
    let mut book = RegistryBook::new(log.verifying_key());
    replay(
        &mut book,
        &[
            signed(REGISTRY_CREATE, spec().encode(), &issuer, 0),
            signed(CREDENTIAL_ISSUE, issue(11, vec![19_900_101, 7]), &issuer, 1),
        ],
        &log,
    );
    let reg = book.get("national-id").unwrap();
    let first_root = reg.root().unwrap();
    assert_eq!(reg.version(), 1);
    assert!(reg.root_is_logged());
    assert!(reg.accepts(&first_root, 10_000));

    // A second credential and a revocation: two more changes.
    replay(
        &mut book,
        &[
            signed(CREDENTIAL_ISSUE, issue(12, vec![20_100_101, 7]), &issuer, 2),
            signed(
                CREDENTIAL_REVOKE,
                CredentialRevoke {
                    registry: "national-id".into(),
                    leaf_index: 0,
                }
                .encode(),
                &issuer,
                3,
            ),
        ],
        &log,
    );
    let reg = book.get("national-id").unwrap();
    assert_eq!(reg.version(), 3);
    assert_eq!(reg.leaves()[0], Fr::from(0u64));
    // Window of 2 changes: the first root is no longer accepted.
    assert!(!reg.accepts(&first_root, 10_000));
    assert!(reg.accepts(&reg.root().unwrap(), 10_000));
    // The leaf matches Poseidon(commitment, attributes).
    let expected =
        poseidon_hash(&[Fr::from(12u64), Fr::from(20_100_101u64), Fr::from(7u64)]).unwrap();
    assert_eq!(reg.leaves()[1], expected);
}

#[test]
fn the_root_window_is_the_last_changes_or_the_last_seconds_within_the_history() {
    let spec = RegistrySpec {
        window_changes: 3,
        window_secs: 60,
        ..spec()
    };
    let now = 1_000_000;
    // By count: roots with fewer than 3 loggings after them.
    assert!(spec.root_in_window(2, 0, now));
    assert!(!spec.root_in_window(3, 0, now));
    // By time: logged at most 60 s before now, whatever came after.
    assert!(spec.root_in_window(100, now - 60_000, now));
    assert!(!spec.root_in_window(100, now - 60_001, now));
    // Neither once the registry's history has moved past the root.
    assert!(!spec.root_in_window(ROOT_HISTORY, now, now));
    let wide = RegistrySpec {
        window_changes: u32::MAX,
        ..spec.clone()
    };
    assert!(wide.root_in_window(ROOT_HISTORY - 1, 0, now));
    assert!(!wide.root_in_window(ROOT_HISTORY, 0, now));
    // A window longer than the clock saturates instead of wrapping.
    let long = RegistrySpec {
        window_secs: u64::MAX,
        ..spec
    };
    assert!(long.root_in_window(100, 0, now));
}

#[test]
fn invalid_changes_are_refused_and_skipped() {
    let issuer = key(1);
    let other = key(2);
    let log = key(9);
    let mut book = created_registry(&issuer, &log);
    let by_other = signed(CREDENTIAL_ISSUE, issue(1, vec![1, 2]), &other, 1);
    assert_eq!(
        book.check(&by_other),
        Err(IdentityError::NotIssuer("national-id".into()))
    );
    let wrong_count = signed(CREDENTIAL_ISSUE, issue(1, vec![1]), &issuer, 1);
    assert!(matches!(
        book.check(&wrong_count),
        Err(IdentityError::AttributeCount { .. })
    ));
    let again = signed(REGISTRY_CREATE, spec().encode(), &issuer, 5);
    assert!(matches!(
        book.check(&again),
        Err(IdentityError::RegistryExists(_))
    ));
    let revoke_nothing = signed(
        CREDENTIAL_REVOKE,
        CredentialRevoke {
            registry: "national-id".into(),
            leaf_index: 0,
        }
        .encode(),
        &issuer,
        6,
    );
    assert!(matches!(
        book.check(&revoke_nothing),
        Err(IdentityError::NoSuchCredential { .. })
    ));
    // Replaying refused changes changes nothing.
    replay(
        &mut book,
        &[by_other, wrong_count, again, revoke_nothing],
        &log,
    );
    assert_eq!(book.get("national-id").unwrap().version(), 0);
}

#[test]
fn a_root_record_that_does_not_match_the_changes_is_ignored() {
    let issuer = key(1);
    let log = key(9);
    let mut book = RegistryBook::new(log.verifying_key());
    book.apply(0, &signed(REGISTRY_CREATE, spec().encode(), &issuer, 0));
    book.apply(
        1,
        &signed(CREDENTIAL_ISSUE, issue(11, vec![1, 2]), &issuer, 1),
    );
    // The right root, but signed by the issuer instead of the log.
    let root = book.pending_roots().pop().unwrap();
    book.apply(2, &signed(REGISTRY_ROOT, root.encode(), &issuer, 2));
    assert!(!book.get("national-id").unwrap().root_is_logged());
    let forged = RegistryRoot {
        registry: "national-id".into(),
        version: 1,
        size: 1,
        root: fr_to_bytes(&Fr::from(42u64)),
        change_index: 1,
    };
    book.apply(3, &signed(REGISTRY_ROOT, forged.encode(), &log, 3));
    let reg = book.get("national-id").unwrap();
    assert!(!reg.root_is_logged());
    assert!(!reg.accepts(&Fr::from(42u64), 0));
    assert_eq!(book.pending_roots().len(), 1);
}

#[test]
fn scopes_keys_and_claims() {
    let issuer = key(1);
    let office = key(3);
    let log = key(9);
    let mut book = created_registry(&issuer, &log);
    let scope = ScopeSpec {
        id: "heating-2027".into(),
        title: "Heating allowance".into(),
        registry: "national-id".into(),
        predicates: vec![
            AttributePredicate::at_most(20_080_101),
            AttributePredicate::one_of(&[7, 8]).unwrap(),
        ],
        circuit_key: None,
    };
    assert_eq!(ScopeSpec::decode(&scope.encode()).unwrap(), scope);
    let record = signed(SCOPE_CREATE, scope.encode(), &office, 1);
    assert_eq!(book.check(&record), Ok("national-id".into()));
    replay(&mut book, std::slice::from_ref(&record), &log);
    assert_eq!(book.scope("heating-2027"), Some(&scope));
    assert!(matches!(
        book.check(&record),
        Err(IdentityError::ScopeExists(_))
    ));
    let mut short = scope.clone();
    short.id = "other".into();
    short.predicates.pop();
    assert!(matches!(
        book.check(&signed(SCOPE_CREATE, short.encode(), &office, 2)),
        Err(IdentityError::AttributeCount { .. })
    ));
    assert_ne!(scope.scope_field(), scope_field("heating-2028"));
    assert_ne!(
        claim_message_field("heating-2027", b"application 1"),
        claim_message_field("heating-2027", b"application 2")
    );

    // Keys: only the log's first record per shape counts.
    let k = CircuitKey {
        shape: "eligibility-d20-a2".into(),
        vk_digest: [1; 32],
        vk: vec![2; 100],
        development: true,
        ceremony: None,
    };
    assert_eq!(CircuitKey::decode(&k.encode()).unwrap(), k);
    // A ceremony key carries its ceremony; the field is absent otherwise
    // (older records keep their bytes), and never 0 or on a development key.
    let from_ceremony = CircuitKey {
        development: false,
        ceremony: Some(KeyCeremony {
            id: "eligibility-2027".into(),
            contributions: 7,
            final_key: [3; 32],
        }),
        ..k.clone()
    };
    let bytes = from_ceremony.encode();
    assert_eq!(CircuitKey::decode(&bytes).unwrap(), from_ceremony);
    assert!(
        bytes.starts_with(
            &CircuitKey {
                ceremony: None,
                ..from_ceremony.clone()
            }
            .encode()
        )
    );
    let mut absent_as_zero = k.encode();
    absent_as_zero.push(0);
    assert!(CircuitKey::decode(&absent_as_zero).is_err());
    let development = CircuitKey {
        development: true,
        ..from_ceremony
    };
    assert!(CircuitKey::decode(&development.encode()).is_err());
    let forged = CircuitKey {
        vk_digest: [9; 32],
        ..k.clone()
    };
    book.apply(10, &signed(CIRCUIT_KEY, forged.encode(), &issuer, 10));
    assert!(book.circuit_key(&k.shape).is_none());
    book.apply(11, &signed(CIRCUIT_KEY, k.encode(), &log, 11));
    book.apply(12, &signed(CIRCUIT_KEY, forged.encode(), &log, 12));
    assert_eq!(book.circuit_key(&k.shape), Some(&(k, 11)));

    // A scope naming its key: only a logged, non-development key with that
    // digest will do (the named digest encodes after the predicates).
    let named = |digest: [u8; 32]| ScopeSpec {
        id: "named-2027".into(),
        circuit_key: Some(digest),
        ..scope.clone()
    };
    assert_eq!(
        ScopeSpec::decode(&named([1; 32]).encode()).unwrap(),
        named([1; 32])
    );
    assert!(
        named([1; 32]).encode().starts_with(
            &ScopeSpec {
                circuit_key: None,
                ..named([1; 32])
            }
            .encode()
        )
    );
    let not_logged = |book: &RegistryBook, digest| {
        book.check(&signed(SCOPE_CREATE, named(digest).encode(), &office, 13))
    };
    // The logged key is a development key.
    assert_eq!(
        not_logged(&book, [1; 32]),
        Err(IdentityError::KeyNotLogged {
            shape: "eligibility-d20-a2".into()
        })
    );
    let mut ceremony_book = created_registry(&issuer, &log);
    ceremony_book.apply(
        5,
        &signed(CIRCUIT_KEY, from_ceremony_key().encode(), &log, 5),
    );
    assert_eq!(
        not_logged(&ceremony_book, [1; 32]),
        Ok("national-id".into())
    );
    assert!(matches!(
        not_logged(&ceremony_book, [2; 32]),
        Err(IdentityError::KeyNotLogged { .. })
    ));

    // Claims decode strictly.
    let claim = Claim {
        scope: "heating-2027".into(),
        root: fr_to_bytes(&Fr::from(5u64)),
        nullifier: fr_to_bytes(&Fr::from(6u64)),
        message: b"application 1".to_vec(),
        vk_digest: [1; 32],
        proof: vec![0; 128],
    };
    assert_eq!(Claim::decode(&claim.encode()).unwrap(), claim);
    let mut bad = claim.clone();
    bad.nullifier = [0xff; 32];
    assert_eq!(
        Claim::decode(&bad.encode()),
        Err(IdentityError::NonCanonicalField("nullifier"))
    );
}

/// A ceremony's key for the shape `eligibility-d20-a2`, digest `[1; 32]`.
fn from_ceremony_key() -> CircuitKey {
    CircuitKey {
        shape: "eligibility-d20-a2".into(),
        vk_digest: [1; 32],
        vk: vec![2; 100],
        development: false,
        ceremony: Some(KeyCeremony {
            id: "eligibility-2027".into(),
            contributions: 3,
            final_key: [3; 32],
        }),
    }
}
