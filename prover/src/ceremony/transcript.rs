//! The hashes that chain snarkjs phase-2 contributions: points in
//! ffjavascript's uncompressed form, BLAKE2b-512 transcripts, and the
//! transcript's G2 point (`hashToG2`), bit for bit as snarkjs 0.7 computes
//! them so that `snarkjs zkey verify` accepts our contributions and we
//! accept theirs.

use ark_bn254::{G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, PrimeField};
use blake2::{Blake2b512, Digest};

use super::ffjs_rng::FfjsRng;
use crate::iden3::Contribution;

/// A BLAKE2b-512 digest.
pub type Hash64 = [u8; 64];

/// ffjavascript's uncompressed G1: `x ‖ y`, each big-endian in standard
/// form; the point at infinity is all zeros.
pub fn g1_uncompressed(point: &G1Affine) -> [u8; 64] {
    let mut out = [0u8; 64];
    if let Some((x, y)) = point.xy() {
        out[..32].copy_from_slice(&x.into_bigint().to_bytes_be());
        out[32..].copy_from_slice(&y.into_bigint().to_bytes_be());
    }
    out
}

/// ffjavascript's uncompressed G2: `x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0`, each
/// big-endian (the byte-reversed little-endian `c0 ‖ c1`); all zeros at
/// infinity.
pub fn g2_uncompressed(point: &G2Affine) -> [u8; 128] {
    let mut out = [0u8; 128];
    if let Some((x, y)) = point.xy() {
        for (i, c) in [x.c1, x.c0, y.c1, y.c0].iter().enumerate() {
            out[i * 32..(i + 1) * 32].copy_from_slice(&c.into_bigint().to_bytes_be());
        }
    }
    out
}

/// Feeds a contribution's public key into `hasher` (snarkjs' `hashPubKey`):
/// δ after it, the proof of knowledge, and its transcript.
pub fn hash_public_key(hasher: &mut Blake2b512, contribution: &Contribution) {
    hasher.update(g1_uncompressed(&contribution.delta_after));
    hasher.update(g1_uncompressed(&contribution.g1_s));
    hasher.update(g1_uncompressed(&contribution.g1_sx));
    hasher.update(g2_uncompressed(&contribution.g2_spx));
    hasher.update(contribution.transcript);
}

/// The hash a contributor publishes to identify their contribution
/// (`snarkjs zkey contribute` prints it as "Contribution Hash").
pub fn contribution_hash(contribution: &Contribution) -> Hash64 {
    let mut hasher = Blake2b512::new();
    hash_public_key(&mut hasher, contribution);
    hasher.finalize().into()
}

/// The transcript a new contribution's proof of knowledge binds: the
/// circuit hash, every earlier contribution, then `s·g₁` and `s·x·g₁`.
pub fn transcript(
    cs_hash: &Hash64,
    earlier: &[Contribution],
    g1_s: &G1Affine,
    g1_sx: &G1Affine,
) -> Hash64 {
    let mut hasher = Blake2b512::new();
    hasher.update(cs_hash);
    for contribution in earlier {
        hash_public_key(&mut hasher, contribution);
    }
    hasher.update(g1_uncompressed(g1_s));
    hasher.update(g1_uncompressed(g1_sx));
    hasher.finalize().into()
}

/// snarkjs' `hashToG2`: the G2 point ffjavascript draws from a ChaCha20
/// stream keyed with the hash.
pub fn hash_to_g2(hash: &Hash64) -> G2Affine {
    FfjsRng::from_hash(hash).g2()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_to_g2_is_a_deterministic_subgroup_point() {
        let a = hash_to_g2(&[7; 64]);
        assert_eq!(a, hash_to_g2(&[7; 64]));
        assert_ne!(a, hash_to_g2(&[8; 64]));
        assert!(a.is_on_curve() && a.is_in_correct_subgroup_assuming_on_curve());
        assert!(!a.is_zero());
    }

    #[test]
    fn uncompressed_forms_are_big_endian() {
        let g1 = g1_uncompressed(&G1Affine::generator());
        assert_eq!(g1[31], 1);
        assert_eq!(g1[63], 2);
        assert_eq!(g1_uncompressed(&G1Affine::zero()), [0; 64]);
    }
}
