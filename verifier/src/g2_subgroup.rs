//! Membership in BN254's G2 (the prime-order subgroup of the twist
//! `E'(F_p²)`) with one 63-bit scalar multiplication.
//!
//! Every Groth16 proof carries a G2 point `B`, and BN254's G2 has a large
//! cofactor, so each proof decoded from untrusted bytes needs this test.
//! arkworks 0.6 tests `ψ(P) = [6x²]P`, a 127-bit multiplication: about
//! 165 µs on this project's machine, the largest part of decoding a ballot
//! or a bundle's proofs. Dai, Lin, Zhao and Zhou ("Fast subgroup membership
//! testing for G1, G2 and GT on pairing-friendly curves", eprint 2022/348)
//! show that on BN curves
//!
//! ```text
//! P ∈ G2  ⇔  [x+1]P + ψ([x]P) + ψ²([x]P) = ψ³([2x]P)
//! ```
//!
//! where `x` is the curve's parameter (`4965661367192848881` for BN254):
//! one multiplication by a 63-bit scalar and four endomorphisms, under half
//! the cost (gnark-crypto tests BN254's G2 the same way). No crate offers
//! it over arkworks' types, hence these few lines; the tests hold it to the
//! definition, `[r]P = O`, on points in and out of the subgroup.
//!
//! `ψ` is the untwist–Frobenius–twist endomorphism
//! `(x, y) ↦ (x̄·ξ^((p−1)/3), ȳ·ξ^((p−1)/2))` with `ξ = 9 + u`, whose
//! constants arkworks publishes as `TWIST_MUL_BY_Q_X` and `_Y`.

use ark_bn254::{Config, G2Affine, G2Projective};
use ark_ec::AffineRepr;
use ark_ec::bn::BnConfig;
use ark_ff::{AdditiveGroup, Field};

/// `ψ(P)`, on Jacobian coordinates: conjugation is a field automorphism,
/// so `(X : Y : Z) ↦ (X̄·c_x : Ȳ·c_y : Z̄)` represents `ψ` of `(X/Z², Y/Z³)`.
fn psi(p: &G2Projective) -> G2Projective {
    let mut q = *p;
    q.x.frobenius_map_in_place(1);
    q.y.frobenius_map_in_place(1);
    q.z.frobenius_map_in_place(1);
    q.x *= Config::TWIST_MUL_BY_Q_X;
    q.y *= Config::TWIST_MUL_BY_Q_Y;
    q
}

/// Whether `p`, a point on the twist, lies in G2. The identity does.
pub(crate) fn in_g2_assuming_on_curve(p: &G2Affine) -> bool {
    // From the affine point: the multiplication's additions are mixed.
    let xp = p.mul_bigint(Config::X);
    let psi_xp = psi(&xp);
    let left = xp + p + psi_xp + psi(&psi_xp);
    let right = psi(&psi(&psi(&xp.double())));
    left == right
}

#[cfg(test)]
mod tests {
    use ark_bn254::{Fq2, Fr};
    use ark_ec::{CurveGroup, PrimeGroup};
    use ark_ff::{PrimeField, UniformRand, Zero};
    use rand_chacha::ChaCha20Rng;
    use rand_chacha::rand_core::SeedableRng;

    use super::*;

    /// The definition: `[r]P = O`.
    fn by_definition(p: &G2Affine) -> bool {
        p.mul_bigint(Fr::MODULUS).is_zero()
    }

    /// A point of the twist, almost surely outside G2.
    fn on_twist(rng: &mut ChaCha20Rng) -> G2Affine {
        loop {
            let x = Fq2::rand(rng);
            if let Some(p) = G2Affine::get_point_from_x_unchecked(x, bool::rand(rng)) {
                assert!(p.is_on_curve());
                return p;
            }
        }
    }

    #[test]
    fn agrees_with_the_definition_in_and_out_of_the_subgroup() {
        let mut rng = ChaCha20Rng::seed_from_u64(2_022_348);
        let mut outside = 0;
        for _ in 0..64 {
            let inside = G2Projective::rand(&mut rng).into_affine();
            assert!(by_definition(&inside));
            assert!(in_g2_assuming_on_curve(&inside));

            let any = on_twist(&mut rng);
            assert_eq!(in_g2_assuming_on_curve(&any), by_definition(&any));
            outside += usize::from(!by_definition(&any));

            // A subgroup point plus a cofactor component is outside.
            let mixed = (inside.into_group() + any.into_group()).into_affine();
            assert_eq!(in_g2_assuming_on_curve(&mixed), by_definition(&mixed));
        }
        assert!(outside > 60, "the sample should be mostly outside G2");
        assert!(in_g2_assuming_on_curve(&G2Affine::zero()));
        assert!(in_g2_assuming_on_curve(&G2Affine::generator()));
        assert!(!in_g2_assuming_on_curve(&on_twist(&mut rng)));
    }

    #[test]
    fn psi_acts_on_g2_as_multiplication_by_p() {
        // On G2, ψ is the eigenvalue p mod r: the check above relies on it.
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let p = G2Projective::rand(&mut rng);
        assert_eq!(psi(&p), p.mul_bigint(ark_bn254::Fq::MODULUS));
    }
}
