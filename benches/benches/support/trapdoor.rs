//! A development Groth16 setup's trapdoor, for benches that need many
//! valid ballots: whoever holds a setup's toxic waste makes a valid proof
//! for any statement in about a millisecond (which is why production keys
//! come from a ceremony). The verifier cannot tell such a proof from an
//! honest one, so what a bench measures downstream — the service's checks,
//! a bundle's verification — is exactly what honest ballots cost.

#![allow(
    dead_code,
    reason = "each bench compiles this module; not all use every helper"
)]

use ark_bn254::{Bn254, G1Projective, G2Projective};
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::{Field, UniformRand};
use ark_groth16::{Proof, VerifyingKey};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use zkaudit_circuits::Fr;

/// The trapdoor of a Groth16 setup: its toxic waste and generators. Whoever
/// holds it makes a valid proof for any statement (which is why production
/// keys come from a ceremony).
pub struct Trapdoor {
    alpha: Fr,
    beta: Fr,
    gamma: Fr,
    delta: Fr,
    g1: G1Projective,
    g2: G2Projective,
    vk: VerifyingKey<Bn254>,
}

impl Trapdoor {
    /// The trapdoor of the development setup that made `vk` from a
    /// `ChaCha20Rng` seeded with `seed` (`setup_development`, directly or
    /// through the key cache): the setup's randomness drawn again the way
    /// arkworks draws it (α, β, γ, δ, then the generators), and checked
    /// against the verifying key.
    pub fn rederive(seed: u64, vk: VerifyingKey<Bn254>) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let [alpha, beta, gamma, delta] = [(); 4].map(|_| Fr::rand(&mut rng));
        let (g1, g2) = (G1Projective::rand(&mut rng), G2Projective::rand(&mut rng));
        assert_eq!(vk.alpha_g1, (g1 * alpha).into_affine(), "α re-derived");
        assert_eq!(vk.beta_g2, (g2 * beta).into_affine(), "β re-derived");
        assert_eq!(vk.gamma_g2, (g2 * gamma).into_affine(), "γ re-derived");
        assert_eq!(vk.delta_g2, (g2 * delta).into_affine(), "δ re-derived");
        Self {
            alpha,
            beta,
            gamma,
            delta,
            g1,
            g2,
            vk,
        }
    }

    /// A valid proof for `inputs`: with `A = a·g₁`, `B = b·g₂` for random
    /// `a`, `b` and `L = IC₀ + Σ xᵢ·ICᵢ₊₁`, the verification equation
    /// `e(A, B) = e(α, β)·e(L, γ)·e(C, δ)` holds for
    /// `C = δ⁻¹·((ab − αβ)·g₁ − γ·L)`.
    pub fn prove(&self, inputs: &[Fr], rng: &mut ChaCha20Rng) -> Proof<Bn254> {
        let (a, b) = (Fr::rand(rng), Fr::rand(rng));
        let l = self.vk.gamma_abc_g1[0]
            + G1Projective::msm(&self.vk.gamma_abc_g1[1..], inputs).unwrap();
        let c = (self.g1 * (a * b - self.alpha * self.beta) - l * self.gamma)
            * self.delta.inverse().unwrap();
        Proof {
            a: (self.g1 * a).into_affine(),
            b: (self.g2 * b).into_affine(),
            c: c.into_affine(),
        }
    }
}
