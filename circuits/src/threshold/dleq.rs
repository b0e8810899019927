//! Chaum–Pedersen proofs of discrete-log equality.
//!
//! For public points `G, H, X, Y` the prover shows it knows `x` with
//! `X = x·G` and `Y = x·H`, without revealing `x`. Made non-interactive
//! with a [`Transcript`] that binds the caller's context (election id,
//! trustee index, option index…), so a proof made for one purpose does not
//! verify for another:
//!
//! - prover: random `w` (hedged: hashed with the secret and statement), `A = w·G`, `B = w·H`,
//!   `c = challenge(context, G, H, X, Y, A, B)`, `s = w − c·x`;
//! - verifier: `A' = s·G + c·X`, `B' = s·H + c·Y`, accepts iff
//!   `challenge(context, G, H, X, Y, A', B') = c`.
//!
//! The proof is `(c, s)`, 64 bytes: two 32-byte big-endian scalars.

use ark_std::rand::{CryptoRng, RngCore};

use super::transcript::Transcript;
use super::{Result, ThresholdError, read_u32};
use crate::babyjubjub::{BASE8, Point};
use crate::elgamal::{
    self, POINT_BYTES, Scalar, check_length, decode_point, decode_scalar, encode_point,
    encode_scalar, from_projective,
};

/// The length of an encoded [`DleqProof`].
pub const DLEQ_PROOF_BYTES: usize = 64;

/// The length of a [`ProvenPoint`]'s encoding.
pub(crate) const PROVEN_POINT_BYTES: usize = 8 + POINT_BYTES + DLEQ_PROOF_BYTES;

/// The transcript's protocol label.
const PROTOCOL: &[u8] = b"zkaudit/chaum-pedersen/v1";

/// A Chaum–Pedersen proof that `log_G X = log_H Y`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DleqProof {
    /// The Fiat–Shamir challenge `c`.
    pub challenge: Scalar,
    /// The response `s = w − c·x`.
    pub response: Scalar,
}

impl DleqProof {
    /// Proves that `secret·g` and `secret·h` have the same discrete log,
    /// bound to `context`.
    pub fn prove(
        rng: &mut (impl RngCore + CryptoRng),
        context: &[u8],
        g: &Point,
        h: &Point,
        secret: &Scalar,
    ) -> Self {
        let (x, y) = (elgamal::mul(g, secret), elgamal::mul(h, secret));
        let nonce = hedged_nonce(rng, context, secret, [g, h, &x, &y]);
        let (a, b) = (elgamal::mul(g, &nonce), elgamal::mul(h, &nonce));
        let challenge = challenge(context, [g, h, &x, &y, &a, &b]);
        Self {
            challenge,
            response: nonce - challenge * secret,
        }
    }

    /// Checks the proof that `log_g x = log_h y`, bound to `context`.
    ///
    /// # Errors
    ///
    /// [`ThresholdError::PointNotInSubgroup`] if a point is outside the
    /// prime-order subgroup (the proof means nothing there),
    /// [`ThresholdError::InvalidProof`] if the proof does not verify.
    pub fn verify(&self, context: &[u8], g: &Point, h: &Point, x: &Point, y: &Point) -> Result<()> {
        // B8 (the usual `g`) is known to be in the subgroup; each check
        // costs a scalar multiplication by `l`.
        if ![g, h, x, y]
            .iter()
            .all(|point| **point == BASE8 || point.is_in_prime_order_subgroup())
        {
            return Err(ThresholdError::PointNotInSubgroup);
        }
        let a = g.to_ark() * self.response + x.to_ark() * self.challenge;
        let b = h.to_ark() * self.response + y.to_ark() * self.challenge;
        let (a, b) = (from_projective(&a), from_projective(&b));
        if challenge(context, [g, h, x, y, &a, &b]) == self.challenge {
            Ok(())
        } else {
            Err(ThresholdError::InvalidProof)
        }
    }

    /// The 64-byte encoding `challenge ‖ response`.
    pub fn to_bytes(&self) -> [u8; DLEQ_PROOF_BYTES] {
        let mut bytes = [0u8; DLEQ_PROOF_BYTES];
        bytes[..32].copy_from_slice(&encode_scalar(&self.challenge));
        bytes[32..].copy_from_slice(&encode_scalar(&self.response));
        bytes
    }

    /// Decodes untrusted bytes strictly: exactly 64 bytes, two canonical
    /// scalars.
    ///
    /// # Errors
    ///
    /// [`ThresholdError::ElGamal`] with the length or scalar error.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        check_length(bytes, DLEQ_PROOF_BYTES)?;
        Ok(Self {
            challenge: decode_scalar(&bytes[..32])?,
            response: decode_scalar(&bytes[32..])?,
        })
    }
}

/// A point published with its Chaum–Pedersen proof under two indices: what
/// a partial decryption (trustee, option, share) and a complaint (dealer,
/// recipient, Diffie–Hellman point) both are on the wire, as
/// `index₁ (u32 BE) ‖ index₂ (u32 BE) ‖ point (64) ‖ proof (64)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ProvenPoint {
    /// The two indices, in encoding order.
    pub(crate) indices: [u32; 2],
    /// The point.
    pub(crate) point: Point,
    /// Its proof.
    pub(crate) proof: DleqProof,
}

impl ProvenPoint {
    /// The [`PROVEN_POINT_BYTES`]-byte encoding.
    pub(crate) fn to_bytes(self) -> [u8; PROVEN_POINT_BYTES] {
        let mut bytes = [0u8; PROVEN_POINT_BYTES];
        bytes[0..4].copy_from_slice(&self.indices[0].to_be_bytes());
        bytes[4..8].copy_from_slice(&self.indices[1].to_be_bytes());
        bytes[8..72].copy_from_slice(&encode_point(&self.point));
        bytes[72..].copy_from_slice(&self.proof.to_bytes());
        bytes
    }

    /// Decodes untrusted bytes strictly: the length, then the point (in the
    /// prime-order subgroup), then the proof; the indices are the caller's
    /// to check.
    ///
    /// # Errors
    ///
    /// [`ThresholdError::ElGamal`] for a wrong length or a bad point or
    /// scalar.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self> {
        check_length(bytes, PROVEN_POINT_BYTES)?;
        Ok(Self {
            indices: [read_u32(&bytes[0..4]), read_u32(&bytes[4..8])],
            point: decode_point(&bytes[8..72])?,
            proof: DleqProof::from_bytes(&bytes[72..])?,
        })
    }
}

/// The nonce `w`, hashed from fresh randomness together with the secret and
/// the statement, so that a weak or repeated RNG output alone never repeats
/// `w` across statements (which would reveal the secret).
fn hedged_nonce(
    rng: &mut (impl RngCore + CryptoRng),
    context: &[u8],
    secret: &Scalar,
    points: [&Point; 4],
) -> Scalar {
    let mut randomness = [0u8; 32];
    rng.fill_bytes(&mut randomness);
    let mut transcript = Transcript::new(b"zkaudit/chaum-pedersen-nonce/v1");
    transcript.append(b"randomness", &randomness);
    transcript.append_scalar(b"secret", secret);
    transcript.append(b"context", context);
    for point in points {
        transcript.append_point(b"point", point);
    }
    transcript.challenge_scalar(b"nonce")
}

fn challenge(context: &[u8], points: [&Point; 6]) -> Scalar {
    let mut transcript = Transcript::new(PROTOCOL);
    transcript.append(b"context", context);
    for (label, point) in [b"G", b"H", b"X", b"Y", b"A", b"B"].iter().zip(points) {
        transcript.append_point(*label, point);
    }
    transcript.challenge_scalar(b"c")
}

#[cfg(test)]
mod tests {
    use ark_ff::{AdditiveGroup, Field, UniformRand};
    use rand_chacha::ChaCha20Rng;
    use rand_chacha::rand_core::SeedableRng;

    use super::*;
    use crate::Fr;
    use crate::elgamal::{base_mul, mul};

    #[test]
    fn proofs_verify_and_false_statements_do_not() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let x = Scalar::rand(&mut rng);
        let h = base_mul(&Scalar::rand(&mut rng));
        let (big_x, big_y) = (base_mul(&x), mul(&h, &x));
        let proof = DleqProof::prove(&mut rng, b"ctx", &BASE8, &h, &x);
        assert_eq!(proof.verify(b"ctx", &BASE8, &h, &big_x, &big_y), Ok(()));
        assert_eq!(DleqProof::from_bytes(&proof.to_bytes()), Ok(proof));

        let invalid = Err(ThresholdError::InvalidProof);
        // Wrong context.
        assert_eq!(proof.verify(b"ctx2", &BASE8, &h, &big_x, &big_y), invalid);
        // False statement: Y is not x·H.
        let wrong_y = big_y + BASE8;
        assert_eq!(proof.verify(b"ctx", &BASE8, &h, &big_x, &wrong_y), invalid);
        // A proof for a false statement made by a prover with two different
        // logs does not verify either.
        let x2 = x + Scalar::ONE;
        let cheat = DleqProof::prove(&mut rng, b"ctx", &BASE8, &h, &x2);
        assert_eq!(cheat.verify(b"ctx", &BASE8, &h, &big_x, &big_y), invalid);
        // Swapped bases.
        assert_eq!(proof.verify(b"ctx", &h, &BASE8, &big_x, &big_y), invalid);
        // Tampered proof.
        let mut tampered = proof;
        tampered.response += Scalar::ONE;
        assert_eq!(tampered.verify(b"ctx", &BASE8, &h, &big_x, &big_y), invalid);
        let mut tampered = proof;
        tampered.challenge += Scalar::ONE;
        assert_eq!(tampered.verify(b"ctx", &BASE8, &h, &big_x, &big_y), invalid);
        // A point outside the subgroup.
        let order2 = Point::new(Fr::ZERO, -Fr::ONE).unwrap();
        assert_eq!(
            proof.verify(b"ctx", &BASE8, &h, &big_x, &(big_y + order2)),
            Err(ThresholdError::PointNotInSubgroup)
        );
        // Non-canonical encodings.
        assert!(DleqProof::from_bytes(&[0xff; 64]).is_err());
        assert!(DleqProof::from_bytes(&proof.to_bytes()[..63]).is_err());
    }

    /// The layout partial decryptions and complaints share: indices, point
    /// and proof at their documented offsets, decoded strictly in order.
    #[test]
    fn proven_points_encode_at_the_documented_offsets() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let x = Scalar::rand(&mut rng);
        let proven = ProvenPoint {
            indices: [7, 0x0102_0304],
            point: base_mul(&x),
            proof: DleqProof::prove(&mut rng, b"ctx", &BASE8, &BASE8, &x),
        };
        let bytes = proven.to_bytes();
        assert_eq!(bytes.len(), 136);
        assert_eq!(bytes[..8], [0, 0, 0, 7, 1, 2, 3, 4]);
        assert_eq!(bytes[8..72], encode_point(&proven.point));
        assert_eq!(bytes[72..], proven.proof.to_bytes());
        assert_eq!(ProvenPoint::from_bytes(&bytes), Ok(proven));

        let elgamal = |error| Err(ThresholdError::ElGamal(error));
        assert_eq!(
            ProvenPoint::from_bytes(&bytes[1..]),
            elgamal(elgamal::ElGamalError::Length {
                expected: 136,
                found: 135
            })
        );
        let mut small_order = bytes;
        small_order[8..72].copy_from_slice(&encode_point(&Point::new(Fr::ZERO, -Fr::ONE).unwrap()));
        assert_eq!(
            ProvenPoint::from_bytes(&small_order),
            elgamal(elgamal::ElGamalError::PointNotInSubgroup)
        );
        let mut bad_proof = bytes;
        bad_proof[72..104].fill(0xff);
        assert_eq!(
            ProvenPoint::from_bytes(&bad_proof),
            elgamal(elgamal::ElGamalError::NonCanonicalScalar)
        );
    }
}
