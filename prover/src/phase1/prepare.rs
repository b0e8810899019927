//! Preparing a phase-1 file for phase 2 (snarkjs' `powersoftau prepare
//! phase2`): each series in the Lagrange basis of every domain `2^p`,
//! `Lᵢ(τ)·g = (1/n)·Σⱼ ω^(−ij)·τʲ·g` — the inverse FFT of the powers, over
//! the curve.

use ark_bn254::Fr;
use ark_ec::{AffineRepr, CurveGroup};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};

use crate::iden3::{LagrangeSections, PowersOfTau};

/// `file` with its Lagrange sections (recomputed if present). Phase 2
/// ([`initial_key`](crate::ceremony::initial_key)) reads them.
pub fn prepare_phase2(file: &PowersOfTau) -> PowersOfTau {
    let lagrange = LagrangeSections {
        tau_g1: levels(&file.tau_g1, file.power + 1),
        tau_g2: levels(&file.tau_g2, file.power),
        alpha_tau_g1: levels(&file.alpha_tau_g1, file.power),
        beta_tau_g1: levels(&file.beta_tau_g1, file.power),
    };
    PowersOfTau {
        lagrange: Some(lagrange),
        ..file.clone()
    }
}

/// Levels `0..=top` of `powers` in the Lagrange basis, concatenated; a
/// level longer than `powers` takes the missing powers as zero (the top
/// level of `τ·g₁`, as snarkjs does).
fn levels<P: AffineRepr<ScalarField = Fr>>(powers: &[P], top: u32) -> Vec<P> {
    let mut out = Vec::with_capacity((1usize << (top + 1)) - 1);
    for level in 0..=top {
        let n = 1usize << level;
        let mut series: Vec<P::Group> = powers.iter().take(n).map(|p| p.into_group()).collect();
        series.resize(n, P::Group::default());
        let domain = Radix2EvaluationDomain::<Fr>::new(n).expect("a power-of-two domain");
        out.extend(P::Group::normalize_batch(&domain.ifft(&series)));
    }
    out
}
