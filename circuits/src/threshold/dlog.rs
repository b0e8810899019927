//! Bounded discrete logarithm base `B8` by baby-step giant-step.
//!
//! A tally decrypts to `m·B8`; [`DlogTable`] finds `m` with
//! `0 ≤ m ≤ bound` in about `2·√bound` group operations, after a table of
//! `⌈√(bound + 1)⌉` baby steps that can be reused for every option.
//! Points are compared by the x coordinate of `ark-ed-on-bn254`'s affine
//! model, which is unique in the prime-order subgroup (`(x, y)` and
//! `(x, −y)` differ by the point of order 2); every hit is then confirmed
//! by the full point.

use std::collections::HashMap;

use ark_ec::{AffineRepr, CurveGroup};
use ark_ed_on_bn254::{EdwardsAffine, EdwardsProjective};
use ark_ff::Zero;

use super::{Result, ThresholdError};
use crate::babyjubjub::{BASE8, Point};
use crate::elgamal::Scalar;

/// The largest bound a table may have (2³⁶, a table of 2¹⁸ entries).
pub const MAX_BOUND: u64 = 1 << 36;

/// Giant steps normalised together (one inversion per batch).
const GIANT_BATCH: usize = 64;

/// A baby-step table for discrete logs base `B8` up to a bound.
#[derive(Clone, Debug)]
pub struct DlogTable {
    bound: u64,
    step: u64,
    /// x coordinate (Montgomery limbs, ark model) of `j·B8` → `j`, for
    /// `0 ≤ j < step`.
    baby: HashMap<[u64; 4], u64>,
    /// `step·B8`.
    giant: EdwardsProjective,
}

impl DlogTable {
    /// The table for logs `0 ≤ m ≤ bound`.
    ///
    /// # Errors
    ///
    /// [`ThresholdError::DlogBoundTooLarge`] above [`MAX_BOUND`].
    pub fn new(bound: u64) -> Result<Self> {
        if bound > MAX_BOUND {
            return Err(ThresholdError::DlogBoundTooLarge(bound));
        }
        // ⌈√(bound + 1)⌉ baby steps, so step² > bound.
        let step = (1u64..).find(|s| s * s > bound).expect("bound ≤ 2³⁶");
        let base = BASE8.to_ark().into_group();
        let mut multiples = Vec::with_capacity(step as usize);
        let mut acc = EdwardsProjective::zero();
        for _ in 0..step {
            multiples.push(acc);
            acc += base;
        }
        let baby = EdwardsProjective::normalize_batch(&multiples)
            .iter()
            .enumerate()
            .map(|(j, point)| (key(point), j as u64))
            .collect();
        Ok(Self {
            bound,
            step,
            baby,
            giant: acc,
        })
    }

    /// The largest log the table finds.
    pub fn bound(&self) -> u64 {
        self.bound
    }

    /// The `m` with `m·B8 = point` and `0 ≤ m ≤ bound`, if there is one.
    pub fn solve(&self, point: &Point) -> Option<u64> {
        let target = point.to_ark();
        let giant_steps = self.bound / self.step + 1;
        let mut current = target.into_group();
        let mut batch = Vec::with_capacity(GIANT_BATCH);
        let mut first = 0u64;
        while first < giant_steps {
            batch.clear();
            let count = (giant_steps - first).min(GIANT_BATCH as u64);
            for _ in 0..count {
                batch.push(current);
                current -= self.giant;
            }
            let affine = EdwardsProjective::normalize_batch(&batch);
            for (offset, candidate) in affine.iter().enumerate() {
                if let Some(&j) = self.baby.get(&key(candidate)) {
                    let m = (first + offset as u64) * self.step + j;
                    if m <= self.bound && confirm(&target, m) {
                        return Some(m);
                    }
                }
            }
            first += count;
        }
        None
    }
}

/// The `m` with `m·B8 = point` and `0 ≤ m ≤ bound`, building a table for
/// this one search (use [`DlogTable`] for several).
///
/// # Errors
///
/// [`ThresholdError::DlogBoundTooLarge`] above [`MAX_BOUND`].
pub fn discrete_log(point: &Point, bound: u64) -> Result<Option<u64>> {
    Ok(DlogTable::new(bound)?.solve(point))
}

fn key(point: &EdwardsAffine) -> [u64; 4] {
    point.x.0.0
}

/// Whether `m·B8` is `target` (the x coordinate alone does not tell a
/// subgroup point from its sum with the point of order 2, which the target
/// may be if it was never checked; runs once per hit).
fn confirm(target: &EdwardsAffine, m: u64) -> bool {
    (BASE8.to_ark() * Scalar::from(m)).into_affine() == *target
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elgamal::{encode_message, public_key};

    #[test]
    fn finds_logs_within_the_bound_only() {
        let bound = 1_000_000;
        let table = DlogTable::new(bound).unwrap();
        assert_eq!(table.bound(), bound);
        for m in [0, 1, 2, 999, 1000, 1001, 123_456, bound - 1, bound] {
            assert_eq!(table.solve(&encode_message(m)), Some(m), "{m}");
        }
        assert_eq!(table.solve(&encode_message(bound + 1)), None);
        assert_eq!(table.solve(&encode_message(3 * bound)), None);
        // A point with an unknown, huge log.
        assert_eq!(table.solve(&public_key(&Scalar::from(u64::MAX))), None);
        // −B8 = (l − 1)·B8 is out of range, though it shares y with B8.
        assert_eq!(table.solve(&-BASE8), None);
        // Small bounds, including 0 and perfect squares.
        for bound in [0, 1, 3, 4, 15, 16] {
            let table = DlogTable::new(bound).unwrap();
            for m in 0..=bound {
                assert_eq!(table.solve(&encode_message(m)), Some(m));
            }
            assert_eq!(table.solve(&encode_message(bound + 1)), None);
        }
        assert_eq!(discrete_log(&encode_message(77), 100), Ok(Some(77)));
        assert_eq!(
            DlogTable::new(MAX_BOUND + 1).map(|t| t.bound()),
            Err(ThresholdError::DlogBoundTooLarge(MAX_BOUND + 1))
        );
    }
}
