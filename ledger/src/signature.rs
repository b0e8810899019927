//! Ed25519 public keys and signatures, checked strictly: the one place that
//! turns 32 untrusted bytes into a key and decides whether a signature
//! verifies.
//!
//! Plain Ed25519 verification (`[S]B = R + [k]A`, with or without the
//! cofactor) accepts keys that prove nothing: for the identity point
//! `A = 0x01 ‖ 0^31`, the signature `R = identity, S = 0` verifies for every
//! message. So every key read from the outside goes through
//! [`parse_verifying_key`], which refuses
//!
//! * bytes that are not a point on the curve,
//! * non-canonical encodings (a `y` coordinate of `p` or more, or a "negative
//!   zero" `x`): one key has exactly one encoding, as every record has,
//! * small-order (weak) points, under which signatures are forgeable, and
//! * points with a torsion component (outside the prime-order subgroup),
//!   whose signatures verify differently under cofactored and cofactorless
//!   verifiers,
//!
//! and every signature is checked by [`verify`], which uses
//! `ed25519-dalek`'s `verify_strict`: `S` canonical, `R` canonical and not of
//! small order, the key not of small order, and the cofactorless equation.
//! A signature made by an honest signer verifies under both checks, so
//! nothing honest that was accepted before is refused now.

use ed25519_dalek::{Signature, VerifyingKey};

/// Why 32 bytes were refused as an Ed25519 public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The bytes do not decode to a point on the curve.
    #[error("not an Ed25519 public key")]
    NotAPoint,
    /// The bytes decode to a point whose canonical encoding is different
    /// (a `y` coordinate of `p` or more, or the sign bit set on `x = 0`).
    #[error("not the canonical encoding of an Ed25519 public key")]
    NonCanonical,
    /// The point has small order (it is a weak key): signatures under it can
    /// be forged without any secret.
    #[error("a small-order (weak) Ed25519 public key")]
    SmallOrder,
    /// The point has a small-order (torsion) component, so it lies outside
    /// the prime-order subgroup honest keys are in.
    #[error("an Ed25519 public key with a torsion component")]
    TorsionComponent,
}

/// Why a signature was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The key is refused by [`check_verifying_key`]'s small-order rule:
    /// signatures under it prove nothing.
    #[error("the public key is a small-order (weak) point")]
    WeakKey,
    /// The signature does not verify strictly under the key.
    #[error("the signature does not verify")]
    Invalid,
}

/// Parses an Ed25519 public key from untrusted bytes, strictly: a point on
/// the curve, canonically encoded, of neither small order nor with a torsion
/// component.
///
/// The checks cost about as much as verifying a signature (a square root,
/// an inversion and a scalar multiplication), and the same few keys sign
/// most records, so with the `key-cache` feature keys that passed are
/// remembered by their bytes (a bounded cache; refusals are not kept).
pub fn parse_verifying_key(bytes: &[u8; 32]) -> Result<VerifyingKey, KeyError> {
    #[cfg(feature = "key-cache")]
    if let Some(key) = accepted::get(bytes) {
        return Ok(key);
    }
    let key = VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::NotAPoint)?;
    check_verifying_key(&key)?;
    #[cfg(feature = "key-cache")]
    accepted::insert(key);
    Ok(key)
}

/// Checks a key obtained some other way (e.g. from `VerifyingKey::from_bytes`)
/// against the rules of [`parse_verifying_key`].
pub fn check_verifying_key(key: &VerifyingKey) -> Result<(), KeyError> {
    let point = key.to_edwards();
    if point.compress().as_bytes() != key.as_bytes() {
        return Err(KeyError::NonCanonical);
    }
    if key.is_weak() {
        return Err(KeyError::SmallOrder);
    }
    if !point.is_torsion_free() {
        return Err(KeyError::TorsionComponent);
    }
    Ok(())
}

/// Verifies `signature` over `message` under `key`, strictly (see the
/// module documentation). Keys read from untrusted bytes must come from
/// [`parse_verifying_key`]; this check refuses small-order keys again
/// whatever their origin.
pub fn verify(
    key: &VerifyingKey,
    message: &[u8],
    signature: &Signature,
) -> Result<(), VerifyError> {
    if key.is_weak() {
        return Err(VerifyError::WeakKey);
    }
    key.verify_strict(message, signature)
        .map_err(|_| VerifyError::Invalid)
}

/// [`verify`] for a signature given as bytes (e.g. from a signed note):
/// anything but 64 bytes is [`VerifyError::Invalid`].
pub fn verify_slice(
    key: &VerifyingKey,
    message: &[u8],
    signature: &[u8],
) -> Result<(), VerifyError> {
    let signature = Signature::from_slice(signature).map_err(|_| VerifyError::Invalid)?;
    verify(key, message, &signature)
}

#[cfg(feature = "key-cache")]
mod accepted;
#[cfg(test)]
pub(crate) mod forgery;
#[cfg(test)]
mod tests;
