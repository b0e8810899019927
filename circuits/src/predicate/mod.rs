//! Predicates on a credential attribute: an integer range and an optional
//! set of accepted values.
//!
//! # Attributes
//!
//! An attribute is an unsigned 64-bit integer. Issuers encode what they
//! certify as such integers:
//!
//! - dates as days since 1970-01-01 (UTC), or as the decimal number
//!   `YYYYMMDD` (both orders dates as integers, so "before" and "after" are
//!   ranges; one registry uses one encoding for each attribute);
//! - region, district and country codes, credential types, vaccine product
//!   codes as numbers from the issuer's published code list;
//! - quantities (an area in m², an amount in cents) as integers.
//!
//! # Predicates
//!
//! [`AttributePredicate`] accepts a value when `min ≤ value ≤ max` and, if it
//! has a set, the value is one of the set's [`SET_SIZE`] values. Common
//! predicates:
//!
//! | claim | predicate on the attribute |
//! |---|---|
//! | equals `v` | [`equals(v)`](AttributePredicate::equals): `[v, v]` |
//! | at least / at most | [`at_least`](AttributePredicate::at_least), [`at_most`](AttributePredicate::at_most) |
//! | not expired at day `T` | `at_least(T)` on the expiry date |
//! | over 18 on day `T` | `at_most(T − 18 years)` on the birth date |
//! | one of a few values | [`one_of(&[…])`](AttributePredicate::one_of) |
//! | no condition | [`any()`](AttributePredicate::any): `[0, 2⁶⁴ − 1]`, no set |
//!
//! A predicate whose `min` exceeds its `max` accepts nothing.
//!
//! The in-circuit check is in `constraints` (with the `r1cs` feature); it
//! also shows that every accepted value, even under
//! [`AttributePredicate::any`], is below 2⁶⁴.

#[cfg(feature = "r1cs")]
pub mod constraints;

use ark_ff::{AdditiveGroup, Field};

use crate::{CircuitError, Fr, Result};

/// The number of values in a set predicate (shorter sets are padded).
pub const SET_SIZE: usize = 4;

/// The number of field elements that encode one predicate:
/// `min, max, set flag, set values…`; see
/// [`AttributePredicate::to_field_elements`].
pub const PREDICATE_FIELD_ELEMENTS: usize = 3 + SET_SIZE;

/// A condition on one attribute: `min ≤ value ≤ max`, and, if `set` is
/// given, `value ∈ set`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AttributePredicate {
    /// The smallest accepted value.
    pub min: u64,
    /// The largest accepted value.
    pub max: u64,
    /// The accepted values, if the predicate restricts to a set; repeat a
    /// value to fill unused slots.
    pub set: Option<[u64; SET_SIZE]>,
}

impl AttributePredicate {
    /// Accepts every value: the range `[0, 2⁶⁴ − 1]` and no set.
    pub const fn any() -> Self {
        Self::between(0, u64::MAX)
    }

    /// Accepts `value` only.
    pub const fn equals(value: u64) -> Self {
        Self::between(value, value)
    }

    /// Accepts `min` and everything above.
    pub const fn at_least(min: u64) -> Self {
        Self::between(min, u64::MAX)
    }

    /// Accepts `max` and everything below.
    pub const fn at_most(max: u64) -> Self {
        Self::between(0, max)
    }

    /// Accepts `min ≤ value ≤ max`; nothing if `min > max`.
    pub const fn between(min: u64, max: u64) -> Self {
        Self {
            min,
            max,
            set: None,
        }
    }

    /// Accepts the given 1 to [`SET_SIZE`] values, padded by repeating the
    /// last one (which accepts the same values).
    ///
    /// # Errors
    ///
    /// [`CircuitError::SetSize`] for no value or more than [`SET_SIZE`].
    pub fn one_of(values: &[u64]) -> Result<Self> {
        let last = match values {
            [.., last] if values.len() <= SET_SIZE => *last,
            _ => return Err(CircuitError::SetSize(values.len())),
        };
        let mut set = [last; SET_SIZE];
        set[..values.len()].copy_from_slice(values);
        Ok(Self {
            set: Some(set),
            ..Self::any()
        })
    }

    /// Whether the predicate accepts `value`.
    pub fn holds(&self, value: u64) -> bool {
        let in_range = self.min <= value && value <= self.max;
        let in_set = self.set.is_none_or(|set| set.contains(&value));
        in_range && in_set
    }

    /// The predicate as field elements, in this order: `min`, `max`, the set
    /// flag (1 with a set, 0 without), then the set's values (all 0 without
    /// a set). This is its part of a statement digest.
    pub fn to_field_elements(&self) -> [Fr; PREDICATE_FIELD_ELEMENTS] {
        let (flag, set) = match self.set {
            Some(values) => (Fr::ONE, values.map(Fr::from)),
            None => (Fr::ZERO, [Fr::ZERO; SET_SIZE]),
        };
        let mut elements = [Fr::ZERO; PREDICATE_FIELD_ELEMENTS];
        elements[0] = Fr::from(self.min);
        elements[1] = Fr::from(self.max);
        elements[2] = flag;
        elements[3..].copy_from_slice(&set);
        elements
    }
}

impl Default for AttributePredicate {
    /// [`AttributePredicate::any`].
    fn default() -> Self {
        Self::any()
    }
}
