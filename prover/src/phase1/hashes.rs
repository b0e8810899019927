//! The hashes that chain snarkjs phase-1 contributions, bit for bit:
//!
//! - the first challenge: BLAKE2b-512 of the empty message's digest and the
//!   generators in every slot of a new file, uncompressed;
//! - a contribution's response: BLAKE2b-512 of its challenge, its new points
//!   compressed, then its public key uncompressed (the state before the key
//!   is saved in the file);
//! - the next challenge: BLAKE2b-512 of the response and the new points,
//!   uncompressed;
//! - each secret's G2 point `g₂'`: `hashToG2` of BLAKE2b-512(personalisation
//!   byte ‖ challenge ‖ `s·g₁` ‖ `s·x·g₁`).

use ark_bn254::{G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, PrimeField};
use blake2::{Blake2b512, Digest};
use rayon::prelude::*;

use super::blake2b::Blake2bState;
use crate::ceremony::ffjs_rng::{fq_is_negative, fq2_is_negative};
use crate::ceremony::transcript::{Hash64, g1_uncompressed, g2_uncompressed, hash_to_g2};
use crate::iden3::{PowersOfTau, PtauKey, level_points};

/// ffjavascript's compressed G1: `x` big-endian, the top bit set when `y`
/// is negative; `0x40` then zeros at infinity.
pub fn g1_compressed(point: &G1Affine) -> [u8; 32] {
    let mut out = [0u8; 32];
    match point.xy() {
        Some((x, y)) => {
            out.copy_from_slice(&x.into_bigint().to_bytes_be());
            if fq_is_negative(&y) {
                out[0] |= 0x80;
            }
        }
        None => out[0] = 0x40,
    }
    out
}

/// ffjavascript's compressed G2: `x.c1 ‖ x.c0` big-endian, the top bit set
/// when `y` is negative; `0x40` then zeros at infinity.
pub fn g2_compressed(point: &G2Affine) -> [u8; 64] {
    let mut out = [0u8; 64];
    match point.xy() {
        Some((x, y)) => {
            out[..32].copy_from_slice(&x.c1.into_bigint().to_bytes_be());
            out[32..].copy_from_slice(&x.c0.into_bigint().to_bytes_be());
            if fq2_is_negative(&y) {
                out[0] |= 0x80;
            }
        }
        None => out[0] = 0x40,
    }
    out
}

/// Encodes `points` with `encode`, in parallel, one after another.
fn encoded<P: Sync, const N: usize>(points: &[P], encode: fn(&P) -> [u8; N]) -> Vec<u8> {
    points.par_iter().flat_map_iter(encode).collect()
}

/// Feeds the points of sections 2 to 6 into the response hash, compressed.
fn absorb_compressed(file: &PowersOfTau, hasher: &mut Blake2bState) {
    hasher.update(&encoded(&file.tau_g1, g1_compressed));
    hasher.update(&encoded(&file.tau_g2, g2_compressed));
    hasher.update(&encoded(&file.alpha_tau_g1, g1_compressed));
    hasher.update(&encoded(&file.beta_tau_g1, g1_compressed));
    hasher.update(&g2_compressed(&file.beta_g2));
}

/// The response hash's state after `challenge` and the points of `file`
/// (what a contribution saves as its `partialHash`).
pub fn response_state(challenge: &Hash64, file: &PowersOfTau) -> Blake2bState {
    let mut hasher = Blake2bState::new();
    hasher.update(challenge);
    absorb_compressed(file, &mut hasher);
    hasher
}

/// A public key as the response hash takes it: the six G1 points, then
/// the three G2 points, uncompressed.
pub fn key_uncompressed(key: &PtauKey) -> Vec<u8> {
    let mut out = Vec::with_capacity(6 * 64 + 3 * 128);
    for part in key.parts() {
        out.extend_from_slice(&g1_uncompressed(&part.g1_s));
        out.extend_from_slice(&g1_uncompressed(&part.g1_sx));
    }
    for part in key.parts() {
        out.extend_from_slice(&g2_uncompressed(&part.g2_spx));
    }
    out
}

/// The response hash: the saved state, then the public key.
pub fn response_hash(state: &Blake2bState, key: &PtauKey) -> Hash64 {
    let mut hasher = state.clone();
    hasher.update(&key_uncompressed(key));
    hasher.finalize()
}

/// The challenge after a contribution: its response hash, then the points
/// of `file`, uncompressed.
pub fn next_challenge(response: &Hash64, file: &PowersOfTau) -> Hash64 {
    let mut hasher = Blake2b512::new();
    hasher.update(response);
    hasher.update(encoded(&file.tau_g1, g1_uncompressed));
    hasher.update(encoded(&file.tau_g2, g2_uncompressed));
    hasher.update(encoded(&file.alpha_tau_g1, g1_uncompressed));
    hasher.update(encoded(&file.beta_tau_g1, g1_uncompressed));
    hasher.update(g2_uncompressed(&file.beta_g2));
    hasher.finalize().into()
}

/// The challenge of a ceremony's first contribution at `power`: the empty
/// message's digest, then the points of a new file (generators throughout).
pub fn first_challenge(power: u32) -> Hash64 {
    let g1 = g1_uncompressed(&G1Affine::generator());
    let g2 = g2_uncompressed(&G2Affine::generator());
    let n = 1usize << power;
    let mut hasher = Blake2b512::new();
    hasher.update(Blake2b512::digest([]));
    for (point, count) in [
        (&g1[..], level_points(power)),
        (&g2[..], n),
        (&g1[..], n),
        (&g1[..], n),
        (&g2[..], 1),
    ] {
        for _ in 0..count {
            hasher.update(point);
        }
    }
    hasher.finalize().into()
}

/// `g₂'` of one secret: `hashToG2` of BLAKE2b-512(`personalisation` ‖
/// `challenge` ‖ `s·g₁` ‖ `s·x·g₁`), uncompressed (snarkjs' `getG2sp`).
pub fn g2_sp(
    personalisation: u8,
    challenge: &Hash64,
    g1_s: &G1Affine,
    g1_sx: &G1Affine,
) -> G2Affine {
    let mut hasher = Blake2b512::new();
    hasher.update([personalisation]);
    hasher.update(challenge);
    hasher.update(g1_uncompressed(g1_s));
    hasher.update(g1_uncompressed(g1_sx));
    hash_to_g2(&hasher.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::CurveGroup;

    #[test]
    fn compressed_forms_carry_the_sign_of_y() {
        let g = G1Affine::generator();
        let minus_g = (-g.into_group()).into_affine();
        // ffjavascript's generator: x = 1, y = 2 (positive).
        let mut expected = [0u8; 32];
        expected[31] = 1;
        assert_eq!(g1_compressed(&g), expected);
        expected[0] |= 0x80;
        assert_eq!(g1_compressed(&minus_g), expected);
        assert_eq!(g1_compressed(&G1Affine::zero())[0], 0x40);
        let h = G2Affine::generator();
        let minus_h = (-h.into_group()).into_affine();
        assert_eq!(
            g2_compressed(&h)[0] ^ g2_compressed(&minus_h)[0],
            0x80,
            "a point and its negation differ in the sign bit only"
        );
        assert_eq!(g2_compressed(&h)[1..], g2_compressed(&minus_h)[1..]);
    }
}
