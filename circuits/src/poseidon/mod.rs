//! Poseidon over BN254 with circomlib's parameters.
//!
//! The hash of `n` inputs (1 ≤ n ≤ 15) permutes a state of width `t = n + 1`
//! that starts as `[0, inputs…]`, and is `state[0]` afterwards, so outputs
//! equal circomlib's `Poseidon(n)`, circomlibjs and poseidon-lite bit for bit.
//! Each round adds the round constants, applies the S-box `x⁵` (to every
//! element in the 4 + 4 full rounds around the partial rounds, to element 0
//! in a partial round) and multiplies by the MDS matrix.
//!
//! circomlib's round constants and MDS matrices are what the Grain LFSR of the
//! Poseidon reference script generates for a 254-bit field, 8 full rounds and
//! circomlib's partial rounds per width, skipping no matrix; arkworks
//! implements that generator as `find_poseidon_ark_and_mds`. They are
//! generated on first use of a width and cached. (`light-poseidon` ships the
//! same tables but only up to 12 inputs; the tests check that they agree.)
//!
//! arkworks' Poseidon `CRH`/`TwoToOneCRH` output `state[1]` and are not
//! circomlib-compatible; this module does not use them.

#[cfg(feature = "r1cs")]
pub mod constraints;

use std::sync::OnceLock;

use ark_crypto_primitives::sponge::poseidon::find_poseidon_ark_and_mds;
use ark_ff::{AdditiveGroup, Field, PrimeField};

use crate::{CircuitError, Fr, Result};

/// The largest number of inputs one Poseidon hash takes.
pub const MAX_INPUTS: usize = 15;

/// The widest permutation (`MAX_INPUTS` plus the capacity element).
const MAX_WIDTH: usize = MAX_INPUTS + 1;

/// Rounds with the S-box on every element, half before and half after the
/// partial rounds.
const FULL_ROUNDS: usize = 8;

/// circomlib's partial rounds for widths 2 to 16.
const CIRCOMLIB_PARTIAL_ROUNDS: [usize; MAX_INPUTS] =
    [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64];

/// Hashes 1 to [`MAX_INPUTS`] field elements as circomlib's `Poseidon(n)`.
///
/// # Errors
///
/// [`CircuitError::PoseidonArity`] for no inputs or more than
/// [`MAX_INPUTS`].
pub fn poseidon_hash(inputs: &[Fr]) -> Result<Fr> {
    let params =
        PoseidonParams::for_arity(inputs.len()).ok_or(CircuitError::PoseidonArity(inputs.len()))?;
    Ok(params.hash(inputs))
}

/// Hashes two field elements, `Poseidon(left, right)`: the node hash of
/// Merkle trees such as the LeanIMT.
pub fn poseidon_hash_pair(left: Fr, right: Fr) -> Fr {
    PoseidonParams::for_arity(2)
        .expect("Poseidon has parameters for two inputs")
        .hash(&[left, right])
}

/// The parameters of one Poseidon width.
#[derive(Debug)]
pub(crate) struct PoseidonParams {
    /// Round constants, one row of `width` constants per round.
    round_constants: Vec<Vec<Fr>>,
    /// The `width × width` MDS matrix, by rows.
    mds: Vec<Vec<Fr>>,
}

impl PoseidonParams {
    /// The cached parameters for hashing `arity` inputs, if there are any.
    pub(crate) fn for_arity(arity: usize) -> Option<&'static Self> {
        static CACHE: [OnceLock<PoseidonParams>; MAX_INPUTS] =
            [const { OnceLock::new() }; MAX_INPUTS];
        let slot = CACHE.get(arity.checked_sub(1)?)?;
        Some(slot.get_or_init(|| Self::circomlib(arity)))
    }

    /// circomlib's parameters for hashing `arity` inputs (1 to 15).
    fn circomlib(arity: usize) -> Self {
        let partial_rounds = CIRCOMLIB_PARTIAL_ROUNDS[arity - 1];
        let (round_constants, mds) = find_poseidon_ark_and_mds::<Fr>(
            Fr::MODULUS_BIT_SIZE.into(),
            arity,
            FULL_ROUNDS as u64,
            partial_rounds as u64,
            0,
        );
        debug_assert_eq!(round_constants.len(), FULL_ROUNDS + partial_rounds);
        Self {
            round_constants,
            mds,
        }
    }

    /// The state width `t`: the number of inputs plus one.
    pub(crate) fn width(&self) -> usize {
        self.mds.len()
    }

    /// The round constants of each round, in order.
    pub(crate) fn round_constants(&self) -> &[Vec<Fr>] {
        &self.round_constants
    }

    /// The MDS matrix, by rows.
    pub(crate) fn mds(&self) -> &[Vec<Fr>] {
        &self.mds
    }

    /// Whether round `round` applies the S-box to every element (`true`) or
    /// only to element 0 (`false`).
    pub(crate) fn is_full_round(&self, round: usize) -> bool {
        let half = FULL_ROUNDS / 2;
        round < half || round >= self.round_constants.len() - half
    }

    /// circomlib's hash: `state[0]` after permuting `[0, inputs…]`.
    fn hash(&self, inputs: &[Fr]) -> Fr {
        debug_assert_eq!(inputs.len() + 1, self.width());
        let mut buffer = [Fr::ZERO; MAX_WIDTH];
        let state = &mut buffer[..self.width()];
        state[1..].copy_from_slice(inputs);
        self.permute(state);
        state[0]
    }

    fn permute(&self, state: &mut [Fr]) {
        for (round, constants) in self.round_constants().iter().enumerate() {
            add_round_constants(state, constants);
            if self.is_full_round(round) {
                state.iter_mut().for_each(sbox);
            } else {
                sbox(&mut state[0]);
            }
            mix(state, self.mds());
        }
    }
}

fn add_round_constants(state: &mut [Fr], constants: &[Fr]) {
    for (element, constant) in state.iter_mut().zip(constants) {
        *element += constant;
    }
}

/// The S-box `x ↦ x⁵`.
fn sbox(element: &mut Fr) {
    let square = element.square();
    *element *= square.square();
}

/// Multiplies the state by the MDS matrix.
fn mix(state: &mut [Fr], mds: &[Vec<Fr>]) {
    let mut mixed = [Fr::ZERO; MAX_WIDTH];
    for (output, row) in mixed.iter_mut().zip(mds) {
        *output = row.iter().zip(state.iter()).map(|(m, s)| *m * s).sum();
    }
    state.copy_from_slice(&mixed[..state.len()]);
}

#[cfg(test)]
mod tests {
    use light_poseidon::parameters::bn254_x5::get_poseidon_parameters;

    use super::*;

    /// The Grain LFSR's constants equal the tables light-poseidon ships
    /// (generated with the Poseidon reference script) at every width it
    /// covers: two independent derivations of circomlib's parameters.
    #[test]
    fn parameters_match_light_poseidon_tables() {
        for arity in 1..=12 {
            let ours = PoseidonParams::for_arity(arity).unwrap();
            let width = u8::try_from(arity + 1).unwrap();
            let theirs = get_poseidon_parameters::<Fr>(width).unwrap();
            assert_eq!(theirs.partial_rounds, CIRCOMLIB_PARTIAL_ROUNDS[arity - 1]);
            assert_eq!(theirs.full_rounds, FULL_ROUNDS);
            assert_eq!(ours.round_constants().concat(), theirs.ark, "arity {arity}");
            assert_eq!(ours.mds(), theirs.mds.as_slice(), "arity {arity}");
        }
    }

    #[test]
    fn full_rounds_surround_the_partial_rounds() {
        let params = PoseidonParams::for_arity(2).unwrap();
        let full: Vec<bool> = (0..65).map(|round| params.is_full_round(round)).collect();
        assert!(full[..4].iter().all(|&f| f));
        assert!(full[4..61].iter().all(|&f| !f));
        assert!(full[61..].iter().all(|&f| f));
    }

    #[test]
    fn arities_outside_one_to_fifteen_have_no_parameters() {
        assert!(PoseidonParams::for_arity(0).is_none());
        assert!(PoseidonParams::for_arity(16).is_none());
        assert_eq!(PoseidonParams::for_arity(15).unwrap().width(), 16);
    }
}
