//! ffjavascript's deterministic draws, bit for bit: its ChaCha20 stream
//! (keyed with eight 32-bit words) and the `fromRng` of its fields and
//! curves. snarkjs derives a transcript's G2 point and a beacon's secret
//! with them, so a verifier has to draw exactly the same values.

use std::sync::LazyLock;

use ark_bn254::{Fq, Fq2, G1Affine, G2Affine, g1, g2};
use ark_ec::short_weierstrass::SWCurveConfig;
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{BigInt, Field, PrimeField, Zero};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::iden3::montgomery_r;

/// ffjavascript's `ChaCha` as a draw source.
pub struct FfjsRng(ChaCha20Rng);

impl FfjsRng {
    /// Keyed with the first 32 bytes of `hash` read as eight big-endian
    /// words (snarkjs' `hashToG2` and `rngFromBeaconParams`).
    pub fn from_hash(hash: &[u8]) -> Self {
        // rand_chacha reads its seed as little-endian words: re-encode.
        let mut seed = [0u8; 32];
        for (word, chunk) in seed.chunks_exact_mut(4).zip(hash[..32].chunks_exact(4)) {
            let value = u32::from_be_bytes(chunk.try_into().expect("4 bytes"));
            word.copy_from_slice(&value.to_le_bytes());
        }
        Self(ChaCha20Rng::from_seed(seed))
    }

    fn next_u64(&mut self) -> u64 {
        let high = u64::from(self.0.next_u32());
        (high << 32) | u64::from(self.0.next_u32())
    }

    fn next_bool(&mut self) -> bool {
        self.0.next_u32() & 1 == 1
    }

    /// `F.fromRng` of a 254-bit field: four 64-bit words (high half
    /// first), masked to 254 bits, redrawn until below the modulus; the
    /// integer is the element's Montgomery form, so the element is it
    /// divided by `2²⁵⁶`.
    pub fn field<F: PrimeField<BigInt = BigInt<4>>>(&mut self) -> F {
        debug_assert_eq!(F::MODULUS_BIT_SIZE, 254);
        loop {
            let mut limbs = [0u64; 4];
            for limb in &mut limbs {
                *limb = self.next_u64();
            }
            limbs[3] &= (1 << 62) - 1;
            if let Some(montgomery) = F::from_bigint(BigInt::new(limbs)) {
                return montgomery / montgomery_r::<F>();
            }
        }
    }

    /// `G1.fromRng`: draw `x` and a sign bit until `x³ + b` is a square,
    /// take the root with that sign (BN254's G1 has cofactor 1).
    pub fn g1(&mut self) -> G1Affine {
        loop {
            let x = self.field::<Fq>();
            let greatest = self.next_bool();
            let Some(y) = (x.square() * x + g1::Config::COEFF_B).sqrt() else {
                continue;
            };
            let y = if greatest ^ fq_is_negative(&y) { -y } else { y };
            return G1Affine::new_unchecked(x, y);
        }
    }

    /// `G2.fromRng`: as [`g1`](Self::g1) over `Fq2` (`c0` then `c1`), then
    /// multiplied by the cofactor.
    pub fn g2(&mut self) -> G2Affine {
        loop {
            let x = Fq2::new(self.field::<Fq>(), self.field::<Fq>());
            let greatest = self.next_bool();
            let Some(y) = (x.square() * x + g2::Config::COEFF_B).sqrt() else {
                continue;
            };
            let y = if greatest ^ fq2_is_negative(&y) {
                -y
            } else {
                y
            };
            return G2Affine::new_unchecked(x, y)
                .mul_bigint(*G2_COFACTOR)
                .into_affine();
        }
    }
}

/// ffjavascript's G2 cofactor, applied by plain scalar multiplication (an
/// optimised cofactor clearing gives another multiple of the point).
static G2_COFACTOR: LazyLock<BigInt<4>> = LazyLock::new(|| {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(
        "30644e72e131a029b85045b68181585e06ceecda572a2489345f2299c0f9fa8d",
        &mut bytes,
    )
    .expect("a 64-digit constant");
    BigInt::new(std::array::from_fn(|i| {
        u64::from_be_bytes(
            bytes[32 - 8 * (i + 1)..32 - 8 * i]
                .try_into()
                .expect("8 bytes"),
        )
    }))
});

/// An `Fq` is negative above `(q − 1)/2`.
pub(crate) fn fq_is_negative(value: &Fq) -> bool {
    value.into_bigint() > Fq::MODULUS_MINUS_ONE_DIV_TWO
}

/// An `Fq2` has the sign of `c1`, or of `c0` if `c1 = 0`.
pub(crate) fn fq2_is_negative(value: &Fq2) -> bool {
    if value.c1.is_zero() {
        fq_is_negative(&value.c0)
    } else {
        fq_is_negative(&value.c1)
    }
}
