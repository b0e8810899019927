//! The Poseidon permutation as an R1CS gadget.
//!
//! The gadget follows the native permutation step for step. The S-box costs
//! three constraints per element that is not a constant (x², x⁴, x⁵); round
//! constants and the MDS matrix are linear and free. The capacity element
//! starts as the constant 0, so its first S-box is free too: a 2-input hash
//! costs (8·3 − 1)·3 + 57·3 = 240 constraints.

use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::SynthesisError;

use super::PoseidonParams;
use crate::Fr;

/// Hashes 1 to [`MAX_INPUTS`](super::MAX_INPUTS) variables in-circuit, with
/// the same result as [`poseidon_hash`](super::poseidon_hash).
///
/// The constraint system is the inputs'; with only constant inputs the
/// result is a constant and no constraint is added.
///
/// # Errors
///
/// [`SynthesisError::ArityMismatch`] for no inputs or more than
/// [`MAX_INPUTS`](super::MAX_INPUTS); otherwise whatever synthesis reports.
pub fn poseidon_hash_var(inputs: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
    let params = PoseidonParams::for_arity(inputs.len()).ok_or(SynthesisError::ArityMismatch)?;
    let mut state = Vec::with_capacity(params.width());
    state.push(FpVar::zero());
    state.extend_from_slice(inputs);
    permute(params, &mut state)?;
    Ok(state.swap_remove(0))
}

fn permute(params: &PoseidonParams, state: &mut [FpVar<Fr>]) -> Result<(), SynthesisError> {
    for (round, constants) in params.round_constants().iter().enumerate() {
        add_round_constants(state, constants);
        if params.is_full_round(round) {
            for element in state.iter_mut() {
                *element = sbox(element)?;
            }
        } else {
            state[0] = sbox(&state[0])?;
        }
        mix(state, params.mds());
    }
    Ok(())
}

fn add_round_constants(state: &mut [FpVar<Fr>], constants: &[Fr]) {
    for (element, constant) in state.iter_mut().zip(constants) {
        *element += *constant;
    }
}

/// The S-box `x ↦ x⁵`: three constraints, none for a constant.
fn sbox(element: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    let square = element.square()?;
    Ok(square.square()? * element)
}

/// Multiplies the state by the MDS matrix (linear: no constraints).
fn mix(state: &mut [FpVar<Fr>], mds: &[Vec<Fr>]) {
    let mixed: Vec<FpVar<Fr>> = mds
        .iter()
        .map(|row| row.iter().zip(state.iter()).map(|(m, s)| s * *m).sum())
        .collect();
    state.clone_from_slice(&mixed);
}
