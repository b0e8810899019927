//! Keys and signatures an attacker would send, for the tests of every place
//! a signature is checked.

use curve25519_dalek::Scalar;
use curve25519_dalek::constants::EIGHT_TORSION;
use ed25519_dalek::{Signature, SigningKey};
use sha2::{Digest, Sha512};

use crate::codec::Writer;
use crate::record::RECORD_VERSION;

/// The identity point `0x01 ‖ 0^31`, the weak key of the forgery.
pub(crate) const IDENTITY_KEY: [u8; 32] = identity_encoding();

/// `R = identity, S = 0`: verifies under [`IDENTITY_KEY`] for every message
/// in the lax check.
pub(crate) const FORGED_SIGNATURE: [u8; 64] = {
    let mut sig = [0u8; 64];
    sig[0] = 1;
    sig
};

/// The point with `y = 3` encoded as `y = p + 3`: on the curve, of large
/// order, and not canonically encoded.
pub(crate) const NON_CANONICAL_KEY: [u8; 32] = {
    let mut key = [0xff; 32];
    key[0] = 0xf0;
    key[31] = 0x7f;
    key
};

const fn identity_encoding() -> [u8; 32] {
    let mut key = [0u8; 32];
    key[0] = 1;
    key
}

/// The encodings of all eight small-order points.
pub(crate) fn small_order_keys() -> Vec<[u8; 32]> {
    EIGHT_TORSION
        .iter()
        .map(|point| point.compress().to_bytes())
        .collect()
}

/// `key`'s public point plus a point of order 8: a valid, canonical
/// encoding outside the prime-order subgroup.
pub(crate) fn torsion_key(key: &SigningKey) -> [u8; 32] {
    (key.verifying_key().to_edwards() + EIGHT_TORSION[1])
        .compress()
        .to_bytes()
}

/// A signature by `key` over `message` with `R = identity` and
/// `S = k·a`: the lax check accepts it (`[S]B = [k]A = R + [k]A`), the strict
/// check refuses its small-order `R`.
pub(crate) fn identity_r_signature(key: &SigningKey, message: &[u8]) -> Signature {
    let r = identity_encoding();
    let mut h = Sha512::new();
    h.update(r);
    h.update(key.verifying_key().as_bytes());
    h.update(message);
    let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    let s = k * key.to_scalar();
    let mut bytes = [0u8; 64];
    bytes[..32].copy_from_slice(&r);
    bytes[32..].copy_from_slice(s.as_bytes());
    Signature::from_bytes(&bytes)
}

/// The log the forged records of [`raw_record`] name.
pub(crate) const FORGERY_LOG: &str = "zkaudit.test/forgery";

/// The encoding of a `domain/kind` record for [`FORGERY_LOG`] by the raw
/// author `key` with the raw signature `sig`, as an attacker would send it.
pub(crate) fn raw_record(
    domain: &str,
    kind: &str,
    key: &[u8; 32],
    sig: &[u8; 64],
    payload: &[u8],
) -> Vec<u8> {
    let mut w = Writer::new();
    w.u8(RECORD_VERSION).str(FORGERY_LOG).str(domain).str(kind);
    w.u8(1).fixed(key).u64(1_700_000_000_000).bytes(payload);
    w.u8(1).fixed(sig);
    w.finish()
}
