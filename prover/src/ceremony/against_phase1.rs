//! Checking a phase-2 key against its `.r1cs` and `.ptau` without
//! recomputing it: every query is compared through a random linear
//! combination, so the check costs a few multi-scalar multiplications
//! instead of one scalar multiplication per matrix entry.
//!
//! For random weights `ρ` (128 bits each, drawn after the key is fixed),
//! `Σ ρ_w·A_w = Σ_c (Σ_w ρ_w·a_cw)·[L_c(τ)]₁` holds for every weighting only
//! if every `A_w` is right (a wrong key passes with probability about
//! 2⁻¹²⁸); likewise B₁, B₂, IC, and L and H paired with δ.

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, VariableBaseMSM};
use ark_ff::Zero;
use rand::RngCore;

use super::{CeremonyError, Result, random_weight};
use crate::iden3::{Ptau, R1cs, Zkey, snarkjs_coefficients};

/// Checks that `key` is the phase-2 key of `r1cs` over `ptau` for its
/// own δ: sizes and coefficients, α, β, γ, IC, A, B₁, B₂ exactly as
/// `groth16 setup` would make them, and L and H as the setup's divided by
/// the same δ.
///
/// # Errors
///
/// [`CeremonyError::Phase1`] for an unusable `.ptau`,
/// [`CeremonyError::Changed`] naming the first part that differs.
pub fn check_against_phase1<R: RngCore>(
    r1cs: &R1cs,
    ptau: &Ptau<'_>,
    key: &Zkey,
    rng: &mut R,
) -> Result<()> {
    let n = r1cs.domain_size();
    let power = n.trailing_zeros();
    if !ptau.is_prepared() || power > ptau.power {
        return Err(CeremonyError::Phase1(format!(
            "the circuit needs a .ptau of power {power} prepared for phase 2"
        )));
    }
    let same = |what, ok: bool| {
        if ok {
            Ok(())
        } else {
            Err(CeremonyError::Changed(what))
        }
    };
    same(
        "the circuit's size",
        (key.num_wires(), key.num_public(), key.domain_size())
            == (r1cs.num_wires(), r1cs.num_public, n),
    )?;
    same(
        "the coefficients",
        key.coefficients == snarkjs_coefficients(r1cs),
    )?;
    let pk = &key.pk;
    same("alpha", pk.vk.alpha_g1 == ptau.g1(4, 0, 1, "alpha G1")?[0])?;
    same(
        "beta",
        pk.beta_g1 == ptau.g1(5, 0, 1, "beta G1")?[0]
            && pk.vk.beta_g2 == ptau.g2(6, 0, 1, "beta G2")?[0],
    )?;
    same("gamma", pk.vk.gamma_g2 == G2Affine::generator())?;
    same(
        "the number of points",
        pk.a_query.len() == r1cs.num_wires()
            && pk.b_g1_query.len() == r1cs.num_wires()
            && pk.b_g2_query.len() == r1cs.num_wires()
            && pk.vk.gamma_abc_g1.len() == r1cs.num_public + 1
            && pk.l_query.len() == r1cs.num_witness
            && pk.h_query.len() == n,
    )?;

    let tau_g1 = ptau.lagrange_g1(12, power, "tau G1 (Lagrange)")?;
    let tau_g2 = ptau.lagrange_g2(13, power, "tau G2 (Lagrange)")?;
    let alpha_tau = ptau.lagrange_g1(14, power, "alpha tau G1 (Lagrange)")?;
    let beta_tau = ptau.lagrange_g1(15, power, "beta tau G1 (Lagrange)")?;

    let weights: Vec<Fr> = (0..r1cs.num_wires()).map(|_| random_weight(rng)).collect();
    let public = r1cs.num_public + 1;
    // Per row, Σ ρ_w·m_cw over all wires, the public ones and the rest.
    let rows = |matrix: usize, wires: std::ops::Range<usize>| -> Vec<Fr> {
        let mut out = vec![Fr::zero(); n];
        for (row, terms) in r1cs.matrices[matrix].iter().enumerate() {
            out[row] = terms
                .iter()
                .filter(|(_, w)| wires.contains(w))
                .map(|(c, w)| weights[*w] * c)
                .sum();
        }
        if matrix == 0 {
            // The input rows: `input · 1`.
            for input in (0..public).filter(|w| wires.contains(w)) {
                out[r1cs.num_constraints() + input] += weights[input];
            }
        }
        out
    };
    let all = 0..r1cs.num_wires();
    let (a_all, b_all) = (rows(0, all.clone()), rows(1, all));
    let (a_pub, b_pub, c_pub) = (rows(0, 0..public), rows(1, 0..public), rows(2, 0..public));
    let private = public..r1cs.num_wires();
    let (a_priv, b_priv, c_priv) = (
        rows(0, private.clone()),
        rows(1, private.clone()),
        rows(2, private),
    );

    let g1 = |bases: &[G1Affine], scalars: &[Fr]| {
        G1Projective::msm(bases, scalars).expect("sizes match")
    };
    let g2 = |bases: &[G2Affine], scalars: &[Fr]| {
        G2Projective::msm(bases, scalars).expect("sizes match")
    };
    same("A", g1(&pk.a_query, &weights) == g1(&tau_g1, &a_all))?;
    same("B1", g1(&pk.b_g1_query, &weights) == g1(&tau_g1, &b_all))?;
    same("B2", g2(&pk.b_g2_query, &weights) == g2(&tau_g2, &b_all))?;
    let abc = |a: &[Fr], b: &[Fr], c: &[Fr]| g1(&beta_tau, a) + g1(&alpha_tau, b) + g1(&tau_g1, c);
    same(
        "IC",
        g1(&pk.vk.gamma_abc_g1, &weights[..public]) == abc(&a_pub, &b_pub, &c_pub),
    )?;
    // L = (βA + αB + C)/δ: e(Σ ρ L, δ₂) = e(Σ ρ (βA + αB + C), g₂).
    let g2_generator = G2Affine::generator();
    same(
        "L",
        Bn254::pairing(g1(&pk.l_query, &weights[public..]), pk.vk.delta_g2)
            == Bn254::pairing(abc(&a_priv, &b_priv, &c_priv), g2_generator),
    )?;
    // H: the odd Lagrange points of the doubled domain, over δ.
    let doubled = ptau.lagrange_g1(12, power + 1, "tau G1 (Lagrange, doubled domain)")?;
    let odd: Vec<G1Affine> = doubled.into_iter().skip(1).step_by(2).collect();
    let h_weights: Vec<Fr> = (0..n).map(|_| random_weight(rng)).collect();
    same(
        "H",
        Bn254::pairing(g1(&pk.h_query, &h_weights), pk.vk.delta_g2)
            == Bn254::pairing(g1(&odd, &h_weights), g2_generator),
    )?;
    Ok(())
}
