//! Semaphore v4 identities as R1CS gadgets.
//!
//! [`IdentityVar::new`] range-checks the secret and derives the public key;
//! the commitment and the nullifier are only available from it, so no
//! statement can use a secret that was not checked to be below `l`.
//!
//! Costs: the secret's 251 bits (252), the bound `s ≤ l − 1` on them (250),
//! the fixed-base multiplication (748), and 240 for each of the commitment
//! and the nullifier: 1,730 in all.

use ark_ff::{BigInteger, Field, PrimeField};
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::SynthesisError;

use super::SECRET_SCALAR_BITS;
use crate::Fr;
use crate::babyjubjub::constraints::{FixedBaseTable, PointVar};
use crate::poseidon::constraints::poseidon_hash_var;

/// An identity in the constraint system: a secret checked to be below `l`
/// and its public key.
#[derive(Clone, Debug)]
pub struct IdentityVar {
    secret_scalar: FpVar<Fr>,
    public_key: PointVar,
}

impl IdentityVar {
    /// The identity of `secret_scalar`: enforces `secret_scalar < l` and
    /// computes the public key `secret_scalar·Base8`.
    ///
    /// # Errors
    ///
    /// Whatever synthesis reports.
    pub fn new(secret_scalar: FpVar<Fr>) -> Result<Self, SynthesisError> {
        let (bits, _) = secret_scalar.to_bits_le_with_top_bits_zero(SECRET_SCALAR_BITS)?;
        let largest_scalar = (-ark_ed_on_bn254::Fr::ONE).into_bigint();
        enforce_at_most_le(&bits, &largest_scalar.to_bits_le())?;
        let public_key = FixedBaseTable::base8().scalar_mul_le(&bits)?;
        Ok(Self {
            secret_scalar,
            public_key,
        })
    }

    /// The secret scalar.
    pub fn secret_scalar(&self) -> &FpVar<Fr> {
        &self.secret_scalar
    }

    /// The public key `secret·Base8` in circomlib coordinates.
    pub fn public_key(&self) -> &PointVar {
        &self.public_key
    }

    /// The identity commitment `Poseidon(pk.x, pk.y)`: 240 constraints.
    ///
    /// # Errors
    ///
    /// Whatever synthesis reports.
    pub fn commitment(&self) -> Result<FpVar<Fr>, SynthesisError> {
        poseidon_hash_var(&[self.public_key.x.clone(), self.public_key.y.clone()])
    }

    /// The nullifier for `scope`, `Poseidon(scope, secret)`: 240 constraints.
    ///
    /// # Errors
    ///
    /// Whatever synthesis reports.
    pub fn nullifier(&self, scope: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
        poseidon_hash_var(&[scope.clone(), self.secret_scalar.clone()])
    }
}

/// Enforces that the little-endian `bits` read as an integer are at most the
/// constant whose little-endian bits are `bound`.
///
/// Scans from the top keeping `equal_so_far` (the bits above equal the
/// bound's): where the bound has a 1 it becomes `equal_so_far ∧ bit` (one
/// constraint, none while it is a constant), where the bound has a 0 the bit
/// must be 0 while `equal_so_far` holds (one constraint). The first bit that
/// differs from the bound, from the top, is thus a 0 where the bound has a 1.
/// Nothing is left to check below the bound's lowest 0.
fn enforce_at_most_le(bits: &[Boolean<Fr>], bound: &[bool]) -> Result<(), SynthesisError> {
    let bound_bit = |i: usize| bound.get(i).copied().unwrap_or(false);
    let Some(lowest_zero) = (0..bits.len()).find(|&i| !bound_bit(i)) else {
        return Ok(());
    };
    let mut equal_so_far = Boolean::TRUE;
    for i in (lowest_zero..bits.len()).rev() {
        if bound_bit(i) {
            equal_so_far = &equal_so_far & &bits[i];
        } else {
            bits[i].conditional_enforce_equal(&Boolean::FALSE, &equal_so_far)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use ark_relations::gr1cs::ConstraintSystem;

    use super::*;

    /// Every 6-bit value against every 6-bit bound: satisfied exactly when
    /// value ≤ bound.
    #[test]
    fn at_most_is_exact_for_all_small_values() {
        const WIDTH: usize = 6;
        let to_bits = |n: u64| (0..WIDTH).map(|i| (n >> i) & 1 == 1).collect::<Vec<_>>();
        for bound in 0..1u64 << WIDTH {
            for value in 0..1u64 << WIDTH {
                let cs = ConstraintSystem::<Fr>::new_ref();
                let bits = to_bits(value)
                    .into_iter()
                    .map(|bit| Boolean::new_witness(cs.clone(), || Ok(bit)).unwrap())
                    .collect::<Vec<_>>();
                enforce_at_most_le(&bits, &to_bits(bound)).unwrap();
                assert_eq!(
                    cs.is_satisfied().unwrap(),
                    value <= bound,
                    "{value} ≤ {bound}"
                );
            }
        }
    }

    /// A bound shorter than the bits forces the extra top bits to zero.
    #[test]
    fn bits_beyond_the_bound_must_be_zero() {
        for (value, satisfied) in [(0b0011u8, true), (0b0100, false), (0b1000, false)] {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let bits = (0..4)
                .map(|i| Boolean::new_witness(cs.clone(), || Ok((value >> i) & 1 == 1)).unwrap())
                .collect::<Vec<_>>();
            enforce_at_most_le(&bits, &[true, true]).unwrap();
            assert_eq!(cs.is_satisfied().unwrap(), satisfied, "{value:#b}");
        }
    }
}
