//! Small test circuits (never the production statements).

#![allow(dead_code)]

use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError, Variable};
use ark_relations::lc;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkaudit_prover::Fr;

pub mod eligibility;
pub mod snarkjs;

/// "I know `x` with `x² = a` and `x³ + x + 5 = b`": two public inputs
/// `[a, b]`, so their order matters. Three constraints.
#[derive(Clone, Copy, Debug)]
pub struct Cubic {
    /// The witness; `None` for setup.
    pub x: Option<Fr>,
}

impl Cubic {
    /// A circuit without assignment, for setup.
    pub fn blank() -> Self {
        Self { x: None }
    }

    /// The circuit for `x`.
    pub fn new(x: u64) -> Self {
        Self {
            x: Some(Fr::from(x)),
        }
    }

    /// The public inputs `[x², x³ + x + 5]`.
    pub fn public_inputs(&self) -> Vec<Fr> {
        let x = self.x.expect("assigned");
        vec![x * x, x * x * x + x + Fr::from(5u64)]
    }
}

impl ConstraintSynthesizer<Fr> for Cubic {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let x_value = self.x.ok_or(SynthesisError::AssignmentMissing);
        let x = cs.new_witness_variable(|| x_value)?;
        let a = cs.new_input_variable(|| x_value.map(|x| x * x))?;
        let b = cs.new_input_variable(|| x_value.map(|x| x * x * x + x + Fr::from(5u64)))?;
        let x3 = cs.new_witness_variable(|| x_value.map(|x| x * x * x))?;
        cs.enforce_r1cs_constraint(|| lc!() + x, || lc!() + x, || lc!() + a)?;
        cs.enforce_r1cs_constraint(|| lc!() + a, || lc!() + x, || lc!() + x3)?;
        cs.enforce_r1cs_constraint(
            || lc!() + x3 + x + (Fr::from(5u64), Variable::one()),
            || lc!() + Variable::one(),
            || lc!() + b,
        )?;
        Ok(())
    }
}

/// A multiplication chain `xᵢ₊₁ = xᵢ · xᵢ + 1` of `steps` constraints (every
/// variable in both the A and B columns, like Poseidon's S-boxes); the last
/// value is the one public input. For timing.
#[derive(Clone, Copy, Debug)]
pub struct MulChain {
    /// Number of multiplications.
    pub steps: usize,
    /// The witness `x₀`; `None` for setup.
    pub x: Option<Fr>,
}

impl MulChain {
    /// The public input for `x₀ = x`.
    pub fn output(steps: usize, x: Fr) -> Fr {
        (0..steps).fold(x, |acc, _| acc * acc + Fr::from(1u64))
    }
}

impl ConstraintSynthesizer<Fr> for MulChain {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let x0_value = self.x.ok_or(SynthesisError::AssignmentMissing);
        let out = cs.new_input_variable(|| x0_value.map(|x| Self::output(self.steps, x)))?;
        let x0 = cs.new_witness_variable(|| x0_value)?;
        let mut acc = x0;
        let mut acc_value = x0_value;
        for step in 0..self.steps {
            let next_value = acc_value.map(|a| a * a + Fr::from(1u64));
            let next = if step + 1 == self.steps {
                out
            } else {
                cs.new_witness_variable(|| next_value)?
            };
            cs.enforce_r1cs_constraint(
                || lc!() + acc,
                || lc!() + acc,
                || lc!() + next + (-Fr::from(1u64), Variable::one()),
            )?;
            acc = next;
            acc_value = next_value;
        }
        Ok(())
    }
}

/// A deterministic RNG for tests.
pub fn test_rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}
