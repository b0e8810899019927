//! A Fiat–Shamir transcript over SHA3-256.
//!
//! Every message is absorbed as `len(label) ‖ label ‖ len(bytes) ‖ bytes`
//! with little-endian `u64` lengths, after a fixed prefix and the protocol
//! label, so two different sequences of messages never hash the same way
//! and transcripts of different protocols never collide.
//!
//! A challenge absorbs its own label, then takes 64 bytes
//! `SHA3-256(state ‖ 0x00) ‖ SHA3-256(state ‖ 0x01)` and reduces them
//! modulo `l` (a wide reduction, so the bias is about `2⁻²⁶⁰`). The
//! challenge is absorbed back, so successive challenges differ.

use ark_ff::PrimeField;
use sha3::{Digest, Sha3_256};

use crate::babyjubjub::Point;
use crate::elgamal::{Scalar, encode_point, encode_scalar};

/// The prefix absorbed before anything else.
const DOMAIN: &[u8] = b"zkaudit/transcript/v1";

/// A Fiat–Shamir transcript: absorbs labelled messages, squeezes scalars.
///
/// `Debug` shows nothing of the absorbed messages, which may be derived from
/// secrets (Diffie–Hellman points).
#[derive(Clone)]
pub struct Transcript {
    hasher: Sha3_256,
}

impl core::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Transcript { .. }")
    }
}

impl Transcript {
    /// A transcript for the protocol named `protocol`.
    pub fn new(protocol: &[u8]) -> Self {
        let mut transcript = Self {
            hasher: Sha3_256::new(),
        };
        transcript.append(DOMAIN, protocol);
        transcript
    }

    /// Absorbs `bytes` under `label`, both length-prefixed.
    pub fn append(&mut self, label: &[u8], bytes: &[u8]) {
        self.hasher.update((label.len() as u64).to_le_bytes());
        self.hasher.update(label);
        self.hasher.update((bytes.len() as u64).to_le_bytes());
        self.hasher.update(bytes);
    }

    /// Absorbs a trustee, dealer or option index, big-endian.
    pub fn append_u32(&mut self, label: &[u8], value: u32) {
        self.append(label, &value.to_be_bytes());
    }

    /// Absorbs a point in its 64-byte encoding.
    pub fn append_point(&mut self, label: &[u8], point: &Point) {
        self.append(label, &encode_point(point));
    }

    /// Absorbs a scalar in its 32-byte encoding.
    pub fn append_scalar(&mut self, label: &[u8], scalar: &Scalar) {
        self.append(label, &encode_scalar(scalar));
    }

    /// A challenge scalar derived from everything absorbed so far and
    /// `label`; the challenge is then absorbed too.
    pub fn challenge_scalar(&mut self, label: &[u8]) -> Scalar {
        self.append(b"challenge", label);
        let mut wide = [0u8; 64];
        for (counter, half) in wide.chunks_exact_mut(32).enumerate() {
            let mut hasher = self.hasher.clone();
            hasher.update([counter as u8]);
            half.copy_from_slice(&hasher.finalize());
        }
        let challenge = Scalar::from_le_bytes_mod_order(&wide);
        self.append_scalar(b"challenge value", &challenge);
        challenge
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenge(protocol: &[u8], messages: &[(&[u8], &[u8])]) -> Scalar {
        let mut t = Transcript::new(protocol);
        for (label, bytes) in messages {
            t.append(label, bytes);
        }
        t.challenge_scalar(b"c")
    }

    #[test]
    fn challenges_depend_on_every_message_and_its_framing() {
        let base = challenge(b"p", &[(b"a", b"xy")]);
        assert_eq!(base, challenge(b"p", &[(b"a", b"xy")]));
        // Different protocol, label, bytes, or split of the same bytes.
        assert_ne!(base, challenge(b"q", &[(b"a", b"xy")]));
        assert_ne!(base, challenge(b"p", &[(b"b", b"xy")]));
        assert_ne!(base, challenge(b"p", &[(b"a", b"xz")]));
        assert_ne!(base, challenge(b"p", &[(b"a", b"x"), (b"", b"y")]));
        assert_ne!(base, challenge(b"p", &[(b"ax", b"y")]));
        assert_ne!(base, challenge(b"p", &[]));
        // Successive challenges differ, and depend on their label.
        let mut t = Transcript::new(b"p");
        let (c1, c2) = (t.challenge_scalar(b"c"), t.challenge_scalar(b"c"));
        assert_ne!(c1, c2);
        let mut u = Transcript::new(b"p");
        assert_ne!(u.challenge_scalar(b"d"), c1);
        assert_eq!(format!("{t:?}"), "Transcript { .. }");
    }
}
