//! The hashes that chain snarkjs phase-2 contributions: points in
//! ffjavascript's uncompressed form, BLAKE2b-512 transcripts, and the
//! transcript's G2 point (`hashToG2`), bit for bit as snarkjs 0.7 computes
//! them so that `snarkjs zkey verify` accepts our contributions and we
//! accept theirs.

use std::sync::LazyLock;

use ark_bn254::{Fq, Fq2, G1Affine, G2Affine, g2};
use ark_ec::short_weierstrass::SWCurveConfig;
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{BigInt, BigInteger, Field, PrimeField, Zero};
use blake2::{Blake2b512, Digest};
use rand::RngCore;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

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

/// snarkjs' `hashToG2`: ChaCha20 keyed with the first 32 bytes of `hash`
/// (as eight big-endian words), then ffjavascript's `G2.fromRng`: draw `x`
/// until `x³ + b` is a square, pick the root whose sign matches a drawn
/// bit, and multiply by the G2 cofactor.
pub fn hash_to_g2(hash: &Hash64) -> G2Affine {
    // ffjavascript's ChaCha takes the key as 32-bit words; rand_chacha reads
    // its seed as little-endian words, so re-encode each word.
    let mut seed = [0u8; 32];
    for (word, chunk) in seed.chunks_exact_mut(4).zip(hash.chunks_exact(4)) {
        let value = u32::from_be_bytes(chunk.try_into().expect("4 bytes"));
        word.copy_from_slice(&value.to_le_bytes());
    }
    let mut rng = ChaCha20Rng::from_seed(seed);
    loop {
        let x = Fq2::new(fq_from_rng(&mut rng), fq_from_rng(&mut rng));
        let greatest = rng.next_u32() & 1 == 1;
        let rhs = x.square() * x + g2::Config::COEFF_B;
        let Some(mut y) = rhs.sqrt() else {
            continue;
        };
        if greatest ^ fq2_is_negative(&y) {
            y = -y;
        }
        return G2Affine::new_unchecked(x, y)
            .mul_bigint(*G2_COFACTOR)
            .into_affine();
    }
}

/// ffjavascript's G2 cofactor, applied by plain scalar multiplication (an
/// optimised cofactor clearing would give another multiple of the point).
static G2_COFACTOR: LazyLock<BigInt<4>> = LazyLock::new(|| {
    let bytes = hex_be("30644e72e131a029b85045b68181585e06ceecda572a2489345f2299c0f9fa8d");
    BigInt::new(std::array::from_fn(|i| {
        u64::from_be_bytes(
            bytes[32 - 8 * (i + 1)..32 - 8 * i]
                .try_into()
                .expect("8 bytes"),
        )
    }))
});

fn hex_be(hex: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex, &mut out).expect("a 64-digit constant");
    out
}

/// `2⁻²⁵⁶ mod q`: ffjavascript's `F.fromRng` output is a Montgomery form.
static MONTGOMERY_R_INV: LazyLock<Fq> = LazyLock::new(|| {
    Fq::from(2u64)
        .pow([256])
        .inverse()
        .expect("2^256 is invertible mod q")
});

/// ffjavascript's `F.fromRng` for BN254's base field: four 64-bit words
/// (each the high then the low 32 bits of the stream), masked to 254 bits,
/// rejected until below `q`; the integer is the element's Montgomery form.
fn fq_from_rng(rng: &mut ChaCha20Rng) -> Fq {
    loop {
        let mut limbs = [0u64; 4];
        for limb in &mut limbs {
            let high = u64::from(rng.next_u32());
            *limb = (high << 32) | u64::from(rng.next_u32());
        }
        limbs[3] &= (1 << 62) - 1;
        if let Some(montgomery) = Fq::from_bigint(BigInt::new(limbs)) {
            return montgomery * *MONTGOMERY_R_INV;
        }
    }
}

/// ffjavascript's sign of an `Fq2`: that of `c1`, or of `c0` if `c1 = 0`;
/// an `Fq` is negative above `(q − 1)/2`.
fn fq2_is_negative(value: &Fq2) -> bool {
    let fq_negative = |v: &Fq| v.into_bigint() > Fq::MODULUS_MINUS_ONE_DIV_TWO;
    if value.c1.is_zero() {
        fq_negative(&value.c0)
    } else {
        fq_negative(&value.c1)
    }
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
