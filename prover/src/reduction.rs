//! The R1CS-to-QAP reduction snarkjs uses for Groth16 `.zkey` files, and the
//! choice between it and arkworks' default.
//!
//! Both reductions put constraint `i` at `ωⁱ` of the size-`n` domain
//! (`n = 2^⌈log₂(constraints + public inputs + 1)⌉`, `ω` the same root of
//! unity in arkworks and ffjavascript) and add one constraint
//! `input · 1 = 0` per public input, so their A, B, C, IC and L queries are
//! the same. They differ in the H query, i.e. in where the quotient
//! `h = (a·b − c)/z` is evaluated:
//!
//! - arkworks' [`LibsnarkReduction`] evaluates on the coset `g·D` and
//!   interpolates `h`'s `n − 1` coefficients: the H query holds `τⁱ·z(τ)/δ`
//!   for `i < n − 1`.
//! - snarkjs evaluates `p = a·b − c` (degree ≤ 2n − 2) on the odd powers of
//!   a `2n`-th root of unity `ω₂ₙ` and keeps those `n` values. `p` vanishes
//!   on the even powers (they are `D`), so
//!   `p(τ) = Σⱼ p(ω₂ₙ^(2j+1))·L₂ⱼ₊₁(τ)` with `L` the Lagrange basis of the
//!   doubled domain: its H query holds `L₂ⱼ₊₁(τ)/δ`, and `h(τ)·z(τ)/δ`
//!   comes out without interpolating or dividing by `z`.
//!
//! A proving key fits one reduction only; [`Reduction::of_key`] tells which
//! from the length of its H query. Written here because ark-circom's
//! `CircomReduction` (the known reference) pulls in a WebAssembly runtime and
//! does not build against arkworks 0.6; the maths follows snarkjs'
//! `groth16_prove.js` and `zkey_new.js`.

use ark_bn254::Bn254;
use ark_ff::PrimeField;
use ark_groth16::ProvingKey;
use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP, evaluate_constraint};
use ark_poly::EvaluationDomain;
use ark_relations::gr1cs::{ConstraintSystemRef, Matrix, SynthesisError};
use rayon::prelude::*;

/// snarkjs' reduction: the H query on the odd coset of the doubled domain.
/// Keys made or imported with it are `.zkey`-compatible.
#[derive(Clone, Copy, Debug, Default)]
pub struct CircomReduction;

impl R1CSToQAP for CircomReduction {
    #[allow(clippy::type_complexity)]
    fn instance_map_with_evaluation<F: PrimeField, D: EvaluationDomain<F>>(
        cs: ConstraintSystemRef<F>,
        t: &F,
    ) -> Result<(Vec<F>, Vec<F>, Vec<F>, F, usize, usize), SynthesisError> {
        // The A, B, C polynomials are the same in both reductions.
        LibsnarkReduction::instance_map_with_evaluation::<F, D>(cs, t)
    }

    fn witness_map_from_matrices<F: PrimeField, D: EvaluationDomain<F>>(
        matrices: &[Matrix<F>],
        num_inputs: usize,
        num_constraints: usize,
        full_assignment: &[F],
    ) -> Result<Vec<F>, SynthesisError> {
        let domain =
            D::new(num_constraints + num_inputs).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let n = domain.size();
        let (a_matrix, b_matrix) = match matrices {
            [a, b, ..] => (a, b),
            _ => return Err(SynthesisError::Unsatisfiable),
        };

        // a, b on D: the constraints, then one `input · 1` row per input.
        let mut a = vec![F::zero(); n];
        let mut b = vec![F::zero(); n];
        a[..num_constraints]
            .par_iter_mut()
            .zip(b[..num_constraints].par_iter_mut())
            .zip(a_matrix.par_iter().zip(b_matrix.par_iter()))
            .for_each(|((a, b), (a_row, b_row))| {
                *a = evaluate_constraint(a_row, full_assignment);
                *b = evaluate_constraint(b_row, full_assignment);
            });
        a[num_constraints..num_constraints + num_inputs]
            .copy_from_slice(&full_assignment[..num_inputs]);
        // c = a·b on D for a satisfying assignment (snarkjs computes it so
        // too; an unsatisfied one gives a proof that fails to verify); the
        // input rows have b = 0.
        let mut c: Vec<F> = a
            .par_iter()
            .zip(b.par_iter())
            .map(|(a, b)| *a * b)
            .collect();

        // Move a, b, c from D to the odd coset ω₂ₙ·D.
        let shift = D::new(2 * n)
            .ok_or(SynthesisError::PolynomialDegreeTooLarge)?
            .element(1);
        for values in [&mut a, &mut b, &mut c] {
            domain.ifft_in_place(values);
            D::distribute_powers(values, shift);
            domain.fft_in_place(values);
        }
        // p = a·b − c there (p is 0 on D itself).
        Ok(a.into_par_iter()
            .zip(b)
            .zip(c)
            .map(|((a, b), c)| a * b - c)
            .collect())
    }

    fn h_query_scalars<F: PrimeField, D: EvaluationDomain<F>>(
        max_power: usize,
        t: F,
        _zt: F,
        delta_inverse: F,
    ) -> Result<Vec<F>, SynthesisError> {
        // `max_power = n − 1`. The Lagrange basis of the doubled domain at τ,
        // over δ, is the inverse FFT of τ⁰ … τ^(2n−1) over δ; keep the odd
        // members.
        let mut scalars: Vec<F> = (0..2 * (max_power + 1))
            .into_par_iter()
            .map(|i| delta_inverse * t.pow([i as u64]))
            .collect();
        let doubled = D::new(scalars.len()).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        doubled.ifft_in_place(&mut scalars);
        Ok(scalars.into_iter().skip(1).step_by(2).collect())
    }
}

/// Which R1CS-to-QAP reduction a proving key was made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduction {
    /// arkworks' default; keys made by `zkaudit setup` before the switch to
    /// snarkjs' reduction. Its H query has `n − 1` points.
    Libsnark,
    /// snarkjs' ([`CircomReduction`]); every key made or imported now. Its
    /// H query has `n` points.
    Circom,
}

impl Reduction {
    /// The reduction `pk` fits: the H query of a domain of size `n` (a power
    /// of two) has `n` points under snarkjs' reduction and `n − 1` under
    /// arkworks' (for `n ≥ 2`).
    pub fn of_key(pk: &ProvingKey<Bn254>) -> Self {
        if pk.h_query.len().is_power_of_two() {
            Self::Circom
        } else {
            Self::Libsnark
        }
    }
}
