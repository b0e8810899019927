//! Many G1 points times one scalar — what a contribution does to every L
//! and H point (by `δ⁻¹`) — faster than one independent multiplication per
//! point.
//!
//! The scalar is split once with BN254's GLV endomorphism (`k = k₁ + k₂·λ`,
//! each half about 128 bits) and each half recoded once in width-4 NAF; each
//! point then needs its odd multiples `P, 3P, 5P, 7P` (and their
//! endomorphism images, one field multiplication each), normalised to affine
//! for all points of a chunk at once, then 128 doublings and about 52 mixed
//! additions. arkworks' `Affine * Fr` does neither the split nor the
//! recoding (about 254 doublings and 127 additions per point), and its
//! projective GLV redoes both per point with projective additions.
//! Written here because no arkworks API multiplies a batch by one scalar.

use ark_bn254::{Fr, G1Affine, G1Projective, g1::Config};
use ark_ec::scalar_mul::glv::GLVConfig;
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup};
use ark_ff::{BigInteger, PrimeField};
use rayon::prelude::*;
use zeroize::Zeroize;

/// The NAF window: digits are odd and below `2^(WINDOW−1)` in absolute
/// value, so each point needs `2^(WINDOW−2)` odd multiples.
const WINDOW: usize = 4;
/// Odd multiples per point.
const MULTIPLES: usize = 1 << (WINDOW - 2);
/// Points handled (tables normalised) together.
const CHUNK: usize = 1024;

/// `k·P` for every `P` in `points`, in parallel; equal to `P * k` point by
/// point. The recoded scalar is zeroised before returning (it is a secret
/// when `k` is one).
pub fn mul_by_fixed_scalar(points: &[G1Affine], k: Fr) -> Vec<G1Affine> {
    let ((positive1, k1), (positive2, k2)) = Config::scalar_decomposition(k);
    let mut naf1 = k1.into_bigint().find_wnaf(WINDOW).expect("a valid window");
    let mut naf2 = k2.into_bigint().find_wnaf(WINDOW).expect("a valid window");
    let digits = naf1.len().max(naf2.len());
    naf1.resize(digits, 0);
    naf2.resize(digits, 0);
    let product: Vec<G1Projective> = points
        .par_chunks(CHUNK)
        .flat_map_iter(|chunk| {
            // Odd multiples of ±P (the sign of k₁), affine for the chunk.
            let mut table = Vec::with_capacity(chunk.len() * MULTIPLES);
            for point in chunk {
                let base = if positive1 { *point } else { -*point };
                let double = base.into_group().double();
                let mut multiple = base.into_group();
                for _ in 0..MULTIPLES {
                    table.push(multiple);
                    multiple += double;
                }
            }
            let table = G1Projective::normalize_batch(&table);
            let mut out = Vec::with_capacity(chunk.len());
            for odd in table.chunks_exact(MULTIPLES) {
                // φ of ±jP is ±j·φ(P); flip to the sign of k₂.
                let image: [G1Affine; MULTIPLES] = std::array::from_fn(|j| {
                    let mapped = Config::endomorphism_affine(&odd[j]);
                    if positive1 == positive2 {
                        mapped
                    } else {
                        -mapped
                    }
                });
                let mut sum = G1Projective::default();
                for i in (0..digits).rev() {
                    sum.double_in_place();
                    add_digit(&mut sum, naf1[i], odd);
                    add_digit(&mut sum, naf2[i], &image);
                }
                out.push(sum);
            }
            out
        })
        .collect();
    naf1.zeroize();
    naf2.zeroize();
    G1Projective::normalize_batch(&product)
}

/// Adds `digit·B` to `sum`, with `odd[j] = (2j + 1)·B`.
fn add_digit(sum: &mut G1Projective, digit: i64, odd: &[G1Affine]) {
    match digit {
        0 => {}
        d if d > 0 => *sum += odd[(d as usize - 1) / 2],
        d => *sum -= odd[((-d) as usize - 1) / 2],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::PrimeGroup;
    use ark_ff::{UniformRand, Zero};
    use rand::SeedableRng;

    #[test]
    fn equals_one_multiplication_per_point() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let mut points: Vec<G1Affine> = (0..2_100)
            .map(|_| (G1Projective::generator() * Fr::rand(&mut rng)).into_affine())
            .collect();
        points[17] = G1Affine::zero();
        points[18] = G1Affine::generator();
        points[19] = -G1Affine::generator();
        let mut scalars = vec![Fr::from(1u64), -Fr::from(1u64), Fr::from(2u64), Fr::zero()];
        scalars.extend((0..6).map(|_| Fr::rand(&mut rng)));
        for k in scalars {
            let expected: Vec<G1Affine> = points.iter().map(|p| (*p * k).into_affine()).collect();
            assert_eq!(mul_by_fixed_scalar(&points, k), expected, "scalar {k}");
        }
        assert!(mul_by_fixed_scalar(&[], Fr::from(5u64)).is_empty());
    }
}
