//! Attribute predicates as an R1CS gadget.
//!
//! # Range
//!
//! `min ≤ value ≤ max` is enforced as two 64-bit decompositions: of
//! `value − min` and of `max − value`. With `min` and `max` below 2⁶⁴ this is
//! exact over the integers, with no wrap-around past the field modulus `p`,
//! for any field element `value`:
//!
//! - `value − min = u` with `0 ≤ u < 2⁶⁴` makes `value` the integer
//!   `min + u < 2⁶⁵ < p`, at least `min`;
//! - then `max − value` is an integer in `(−2⁶⁵, 2⁶⁴)`; a negative one is
//!   `p − |max − value| > 2⁶⁴` in the field and has no 64-bit decomposition,
//!   so `value ≤ max`.
//!
//! So `value` is an integer in `[min, max]`, hence below 2⁶⁴: the value needs
//! no range check of its own, and even [`AttributePredicate::any`] enforces
//! that the value is a `u64`. The gadget does not range-check `min` and
//! `max`: they must be bound to an [`AttributePredicate`] (whose fields are
//! `u64`) by the statement, as constants, as public inputs, or as witnesses
//! hashed into a public digest (what the eligibility statement does).
//!
//! # Set
//!
//! `value ∈ {s₁, s₂, s₃, s₄}` if the set flag is on: `flag · ∏ (value − sᵢ)
//! = 0`. The flag is allocated as a [`Boolean`], so constrained to 0 or 1.
//!
//! # Cost
//!
//! Per predicate: 2 × 65 for the range (64 bits and their sum each), 3 for
//! the product, 1 for the conditional zero and 1 for the flag's booleanity:
//! 135 constraints.

use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::SynthesisError;

use super::{AttributePredicate, PREDICATE_FIELD_ELEMENTS, SET_SIZE};
use crate::Fr;
use crate::constraints::alloc_var;

/// The number of bits of an attribute.
pub const ATTRIBUTE_BITS: usize = 64;

/// An [`AttributePredicate`] in the constraint system.
///
/// `min` and `max` are trusted to be below 2⁶⁴ (see the module
/// documentation).
#[derive(Clone, Debug)]
pub struct AttributePredicateVar {
    /// The smallest accepted value.
    pub min: FpVar<Fr>,
    /// The largest accepted value.
    pub max: FpVar<Fr>,
    /// Whether the value must also be in `set`.
    pub set_enabled: Boolean<Fr>,
    /// The accepted values when `set_enabled` (all 0 otherwise).
    pub set: [FpVar<Fr>; SET_SIZE],
}

alloc_var!(
    /// Allocates `min`, `max`, the set flag (as a constrained boolean) and
    /// the set's values (0 without a set), as in
    /// [`AttributePredicate::to_field_elements`].
    AttributePredicateVar,
    |cs, predicate: Result<AttributePredicate>, mode| {
        let min = FpVar::new_variable(cs.clone(), || predicate.map(|p| Fr::from(p.min)), mode)?;
        let max = FpVar::new_variable(cs.clone(), || predicate.map(|p| Fr::from(p.max)), mode)?;
        let set_enabled =
            Boolean::new_variable(cs.clone(), || predicate.map(|p| p.set.is_some()), mode)?;
        // Without a set, the slots are 0, as in `to_field_elements`.
        let set_values = predicate.map(|p| p.set.unwrap_or_default().map(Fr::from));
        let set: [FpVar<Fr>; SET_SIZE] =
            AllocVar::<[Fr; SET_SIZE], Fr>::new_variable(cs, || set_values, mode)?;
        Ok(Self {
            min,
            max,
            set_enabled,
            set,
        })
    }
);

impl AttributePredicateVar {
    /// Enforces that the predicate accepts `value`: 135 constraints.
    ///
    /// # Errors
    ///
    /// Whatever synthesis reports.
    pub fn enforce_holds(&self, value: &FpVar<Fr>) -> Result<(), SynthesisError> {
        enforce_in_range(value, &self.min, &self.max)?;
        enforce_in_set_if(value, &self.set, &self.set_enabled)
    }

    /// The predicate's field elements, in the order of
    /// [`AttributePredicate::to_field_elements`].
    pub fn to_field_elements(&self) -> [FpVar<Fr>; PREDICATE_FIELD_ELEMENTS] {
        let [s0, s1, s2, s3] = self.set.clone();
        [
            self.min.clone(),
            self.max.clone(),
            FpVar::from(self.set_enabled.clone()),
            s0,
            s1,
            s2,
            s3,
        ]
    }
}

/// Enforces `min ≤ value ≤ max` as integers, for `min` and `max` below 2⁶⁴
/// and any field element `value` (which is then below 2⁶⁴ too): 130
/// constraints.
///
/// # Errors
///
/// Whatever synthesis reports.
pub fn enforce_in_range(
    value: &FpVar<Fr>,
    min: &FpVar<Fr>,
    max: &FpVar<Fr>,
) -> Result<(), SynthesisError> {
    enforce_fits_in_attribute_bits(&(value - min))?;
    enforce_fits_in_attribute_bits(&(max - value))
}

/// Enforces that `value` is an integer below 2⁶⁴: 65 constraints (64
/// booleans and their weighted sum).
///
/// # Errors
///
/// Whatever synthesis reports.
pub fn enforce_fits_in_attribute_bits(value: &FpVar<Fr>) -> Result<(), SynthesisError> {
    let (_bits, _zero) = value.to_bits_le_with_top_bits_zero(ATTRIBUTE_BITS)?;
    Ok(())
}

/// Enforces `value ∈ set` when `enabled`: `enabled · ∏ (value − sᵢ) = 0`,
/// one constraint per set value.
///
/// # Errors
///
/// Whatever synthesis reports.
pub fn enforce_in_set_if(
    value: &FpVar<Fr>,
    set: &[FpVar<Fr>],
    enabled: &Boolean<Fr>,
) -> Result<(), SynthesisError> {
    let mut differences = set.iter().map(|member| value - member);
    let Some(first) = differences.next() else {
        // The empty set accepts nothing.
        return enabled.enforce_equal(&Boolean::FALSE);
    };
    let product = differences.fold(first, |product, difference| product * difference);
    product.conditional_enforce_equal(&FpVar::zero(), enabled)
}
