use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};

use super::forgery::{
    FORGED_SIGNATURE, IDENTITY_KEY, NON_CANONICAL_KEY, identity_r_signature, small_order_keys,
    torsion_key,
};
use super::*;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

#[test]
fn honest_keys_parse_and_their_signatures_verify() {
    for seed in 0..16 {
        let key = key(seed);
        let public = parse_verifying_key(key.verifying_key().as_bytes()).unwrap();
        assert_eq!(public, key.verifying_key());
        let sig = key.sign(b"message");
        assert_eq!(verify(&public, b"message", &sig), Ok(()));
        assert_eq!(verify_slice(&public, b"message", &sig.to_bytes()), Ok(()));
        assert_eq!(
            verify(&public, b"messagf", &sig),
            Err(VerifyError::Invalid),
            "a signature over another message verifies"
        );
        assert_eq!(
            verify_slice(&public, b"message", &sig.to_bytes()[..63]),
            Err(VerifyError::Invalid)
        );
    }
}

#[test]
fn every_small_order_key_is_refused() {
    let keys = small_order_keys();
    assert_eq!(keys.len(), 8);
    assert!(keys.contains(&IDENTITY_KEY));
    for bytes in keys {
        assert_eq!(parse_verifying_key(&bytes), Err(KeyError::SmallOrder));
    }
}

#[test]
fn non_canonical_encodings_are_refused() {
    // y = p + 3 decodes (to the point with y = 3) but is not its encoding.
    let lax = VerifyingKey::from_bytes(&NON_CANONICAL_KEY).unwrap();
    assert!(!lax.is_weak());
    assert_eq!(
        parse_verifying_key(&NON_CANONICAL_KEY),
        Err(KeyError::NonCanonical)
    );
    // The identity with the sign bit set: "negative zero".
    let mut negative_zero = IDENTITY_KEY;
    negative_zero[31] |= 0x80;
    assert!(VerifyingKey::from_bytes(&negative_zero).is_ok());
    assert_eq!(
        parse_verifying_key(&negative_zero),
        Err(KeyError::NonCanonical)
    );
    // An honest key with the sign bit flipped is its (canonical) negation.
    let mut negated = key(1).verifying_key().to_bytes();
    negated[31] ^= 0x80;
    assert!(parse_verifying_key(&negated).is_ok());
}

#[test]
fn keys_with_a_torsion_component_are_refused() {
    let bytes = torsion_key(&key(1));
    let lax = VerifyingKey::from_bytes(&bytes).unwrap();
    assert!(!lax.is_weak());
    assert_eq!(parse_verifying_key(&bytes), Err(KeyError::TorsionComponent));
    assert_eq!(check_verifying_key(&lax), Err(KeyError::TorsionComponent));
}

#[test]
fn bytes_off_the_curve_are_refused() {
    // y = 2 has no x on the curve.
    let mut bytes = [0u8; 32];
    bytes[0] = 2;
    assert_eq!(parse_verifying_key(&bytes), Err(KeyError::NotAPoint));
}

#[test]
fn the_identity_forgery_verifies_laxly_and_is_refused_strictly() {
    let weak = VerifyingKey::from_bytes(&IDENTITY_KEY).unwrap();
    let forged = Signature::from_bytes(&FORGED_SIGNATURE);
    for message in [&b""[..], b"anything at all"] {
        assert!(weak.verify(message, &forged).is_ok(), "the lax check");
        assert_eq!(verify(&weak, message, &forged), Err(VerifyError::WeakKey));
    }
}

#[test]
fn a_small_order_r_is_refused_under_an_honest_key() {
    let key = key(3);
    let sig = identity_r_signature(&key, b"message");
    assert!(
        key.verifying_key().verify(b"message", &sig).is_ok(),
        "the lax check"
    );
    assert_eq!(
        verify(&key.verifying_key(), b"message", &sig),
        Err(VerifyError::Invalid)
    );
}

#[test]
fn a_remembered_key_is_the_key_and_refusals_are_refused_every_time() {
    // Parsed twice (the second time from the cache when the feature is
    // on), an honest key is the same key; a torsion key next to it, and
    // the same key with its torsion component, are refused both times.
    let honest = key(7).verifying_key();
    let torsion = torsion_key(&key(7));
    for _ in 0..2 {
        assert_eq!(parse_verifying_key(honest.as_bytes()), Ok(honest));
        assert_eq!(
            parse_verifying_key(&torsion),
            Err(KeyError::TorsionComponent)
        );
        assert_eq!(
            parse_verifying_key(&IDENTITY_KEY),
            Err(KeyError::SmallOrder)
        );
    }
}
