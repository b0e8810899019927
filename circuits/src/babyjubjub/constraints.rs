//! BabyJubJub point arithmetic in circomlib's coordinates as R1CS gadgets.
//!
//! [`PointVar::add`] is circomlib's `BabyAdd`: six constraints, complete.
//! [`FixedBaseTable`] multiplies a constant base by a scalar given as bits,
//! three bits at a time: each 3-bit window looks up one of eight precomputed
//! multiples (three constraints) and adds it (six), so a 251-bit scalar costs
//! 83·3 + 1 + 83·6 = 748 constraints.
//! [`PointVar::double`] is the dedicated doubling (five constraints) and
//! [`PointVar::scalar_mul_le`] multiplies a variable point by a scalar given
//! as bits, two bits at a time: 2,763 constraints for 251 bits.
//! [`PointVar`] allocates as a witness or an input with an on-curve check
//! (three constraints).

use std::sync::OnceLock;

use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

use super::{BASE8, COEFF_A, COEFF_D, Point};
use crate::Fr;
use crate::constraints::alloc_var;
use crate::identity::SECRET_SCALAR_BITS;

/// A BabyJubJub point in circomlib's coordinates in the constraint system.
///
/// Built from constants and group operations it is on the curve by
/// construction; allocated (as a witness or an input), it is checked to be
/// on the curve. It is *not* checked to be in the prime-order subgroup:
/// statements whose points come from outside (a public key that is a public
/// input) rely on the verifier checking that natively
/// ([`Point::is_in_prime_order_subgroup`]).
#[derive(Clone, Debug)]
pub struct PointVar {
    /// The x coordinate.
    pub x: FpVar<Fr>,
    /// The y coordinate.
    pub y: FpVar<Fr>,
}

impl PointVar {
    /// The constant `point` (no constraints).
    pub fn constant(point: Point) -> Self {
        Self {
            x: FpVar::constant(point.x()),
            y: FpVar::constant(point.y()),
        }
    }

    /// `self + other` by the complete twisted Edwards law: six constraints.
    ///
    /// # Errors
    ///
    /// Whatever synthesis reports.
    pub fn add(&self, other: &Self) -> Result<Self, SynthesisError> {
        let beta = &self.x * &other.y;
        let gamma = &self.y * &other.x;
        let delta = (&self.y - &self.x * COEFF_A) * (&other.x + &other.y);
        let d_tau = &beta * &gamma * COEFF_D;
        // The denominators are never zero for points on the curve (the law is
        // complete), so the unchecked division is sound.
        let x = (&beta + &gamma).mul_by_inverse_unchecked(&(FpVar::one() + &d_tau))?;
        let y =
            (delta + beta * COEFF_A - gamma).mul_by_inverse_unchecked(&(FpVar::one() - d_tau))?;
        Ok(Self { x, y })
    }

    /// `2·self` by the dedicated doubling formula: five constraints.
    ///
    /// `2·(x, y) = (2xy / (a·x² + y²), (y² − a·x²) / (2 − a·x² − y²))` for a
    /// point on the curve; on the curve `a·x² + y² = 1 + d·x²y²` and
    /// `2 − a·x² − y² = 1 − d·x²y²`, which are never zero because `d` is
    /// not a square while `±1` are. The formula agrees with
    /// [`PointVar::add`] only on the curve, which every `PointVar` is.
    ///
    /// # Errors
    ///
    /// Whatever synthesis reports.
    pub fn double(&self) -> Result<Self, SynthesisError> {
        let xy = &self.x * &self.y;
        let ax2 = self.x.square()? * COEFF_A;
        let y2 = self.y.square()?;
        let x = (xy.double()?).mul_by_inverse_unchecked(&(&ax2 + &y2))?;
        let y =
            (&y2 - &ax2).mul_by_inverse_unchecked(&(FpVar::constant(Fr::from(2u64)) - ax2 - y2))?;
        Ok(Self { x, y })
    }

    /// `scalar·self` for the scalar whose little-endian bits are `bits`, any
    /// number of them (an empty slice is the scalar 0).
    ///
    /// Two bits at a time from the top: precompute `2·P` and `3·P` (eleven
    /// constraints), then per 2-bit window double twice (ten), look up one
    /// of `O, P, 2P, 3P` (six) and add it (six). The top window needs no
    /// doubling or addition, and with one bit its lookup is a single choice
    /// (two). For 251 bits: 11 + 2 + 125·22 = 2,763.
    ///
    /// The scalar is the integer the bits spell, not reduced: the caller
    /// decides whether it must be below the subgroup order.
    ///
    /// # Errors
    ///
    /// Whatever synthesis reports.
    pub fn scalar_mul_le(&self, bits: &[Boolean<Fr>]) -> Result<Self, SynthesisError> {
        let identity = Self::constant(Point::IDENTITY);
        if bits.is_empty() {
            return Ok(identity);
        }
        let double = self.double()?;
        let triple = double.add(self)?;
        let table = [identity, self.clone(), double, triple];
        let mut windows = bits.chunks(2).rev();
        let top = windows.next().expect("bits is not empty");
        let mut sum = select_of_four(&table, top)?;
        for window in windows {
            sum = sum.double()?.double()?;
            sum = sum.add(&select_of_four(&table, window)?)?;
        }
        Ok(sum)
    }

    /// `if condition { true_value } else { false_value }`: two constraints
    /// (none if the condition or both points are constant).
    ///
    /// # Errors
    ///
    /// Whatever synthesis reports.
    pub fn select(
        condition: &Boolean<Fr>,
        true_value: &Self,
        false_value: &Self,
    ) -> Result<Self, SynthesisError> {
        Ok(Self {
            x: condition.select(&true_value.x, &false_value.x)?,
            y: condition.select(&true_value.y, &false_value.y)?,
        })
    }

    /// Enforces that the point is on the curve: three constraints
    /// (`x²`, `y²` and `d·x²·y² = a·x² + y² − 1`).
    ///
    /// # Errors
    ///
    /// Whatever synthesis reports.
    pub fn enforce_on_curve(&self) -> Result<(), SynthesisError> {
        let x2 = self.x.square()?;
        let y2 = self.y.square()?;
        (&x2 * COEFF_D).mul_equals(&y2, &(&x2 * COEFF_A + &y2 - Fr::from(1u64)))
    }
}

/// `table[b₀ + 2b₁]` (a missing `b₁` taken as zero) for a table whose first
/// entry is the identity: choose by `b₀` within each pair, then by `b₁`;
/// one constraint per coordinate per choice that is not constant.
fn select_of_four(table: &[PointVar; 4], bits: &[Boolean<Fr>]) -> Result<PointVar, SynthesisError> {
    let b0 = &bits[0];
    let b1 = bits.get(1).cloned().unwrap_or(Boolean::FALSE);
    let low = PointVar::select(b0, &table[1], &table[0])?;
    if b1 == Boolean::FALSE {
        return Ok(low);
    }
    let high = PointVar::select(b0, &table[3], &table[2])?;
    PointVar::select(&b1, &high, &low)
}

alloc_var!(
    /// A constant needs no check (a [`Point`] is on the curve); a witness or
    /// an input is checked to be on the curve ([`PointVar::enforce_on_curve`],
    /// three constraints), not to be in the prime-order subgroup.
    PointVar,
    |cs, value: Result<Point>, mode| {
        if mode == AllocationMode::Constant {
            return Ok(Self::constant(value?));
        }
        let point = Self {
            x: FpVar::new_variable(cs.clone(), || value.map(|point| point.x()), mode)?,
            y: FpVar::new_variable(cs, || value.map(|point| point.y()), mode)?,
        };
        point.enforce_on_curve()?;
        Ok(point)
    }
);

impl GR1CSVar<Fr> for PointVar {
    type Value = Point;

    fn cs(&self) -> ConstraintSystemRef<Fr> {
        self.x.cs().or(self.y.cs())
    }

    /// The assigned point.
    ///
    /// # Errors
    ///
    /// [`SynthesisError::AssignmentMissing`] without assignments,
    /// [`SynthesisError::Unsatisfiable`] if the assignment is not on the
    /// curve.
    fn value(&self) -> Result<Point, SynthesisError> {
        Point::new(self.x.value()?, self.y.value()?).map_err(|_| SynthesisError::Unsatisfiable)
    }
}

impl EqGadget<Fr> for PointVar {
    fn is_eq(&self, other: &Self) -> Result<Boolean<Fr>, SynthesisError> {
        Ok(self.x.is_eq(&other.x)? & self.y.is_eq(&other.y)?)
    }

    fn conditional_enforce_equal(
        &self,
        other: &Self,
        should_enforce: &Boolean<Fr>,
    ) -> Result<(), SynthesisError> {
        self.x.conditional_enforce_equal(&other.x, should_enforce)?;
        self.y.conditional_enforce_equal(&other.y, should_enforce)
    }
}

/// Precomputed multiples of a constant base for in-circuit fixed-base
/// scalar multiplication.
///
/// Window `w` holds `k·8ʷ·base` for `k = 0..8`.
#[derive(Clone, Debug)]
pub struct FixedBaseTable {
    windows: Vec<[Point; 8]>,
}

impl FixedBaseTable {
    /// The number of scalar bits each window covers.
    pub const WINDOW_BITS: usize = 3;

    /// The table of `base` for scalars of up to `scalar_bits` bits.
    pub fn new(base: Point, scalar_bits: usize) -> Self {
        let mut window_base = base;
        let windows = (0..scalar_bits.div_ceil(Self::WINDOW_BITS))
            .map(|_| {
                let mut multiples = [Point::IDENTITY; 8];
                for k in 1..multiples.len() {
                    multiples[k] = multiples[k - 1] + window_base;
                }
                window_base = multiples[4].double();
                multiples
            })
            .collect();
        Self { windows }
    }

    /// The cached table of [`BASE8`] for secret scalars of
    /// [`SECRET_SCALAR_BITS`] bits.
    pub fn base8() -> &'static Self {
        static TABLE: OnceLock<FixedBaseTable> = OnceLock::new();
        TABLE.get_or_init(|| Self::new(BASE8, SECRET_SCALAR_BITS))
    }

    /// The largest number of scalar bits the table covers.
    pub fn scalar_bits(&self) -> usize {
        self.windows.len() * Self::WINDOW_BITS
    }

    /// `scalar·base` for the scalar whose little-endian bits are `bits`:
    /// per 3-bit window three constraints for the lookup and six for the
    /// addition (none for the first window's addition).
    ///
    /// # Errors
    ///
    /// [`SynthesisError::ArityMismatch`] if there are more bits than the
    /// table covers; otherwise whatever synthesis reports.
    pub fn scalar_mul_le(&self, bits: &[Boolean<Fr>]) -> Result<PointVar, SynthesisError> {
        if bits.len() > self.scalar_bits() {
            return Err(SynthesisError::ArityMismatch);
        }
        let mut sum: Option<PointVar> = None;
        for (multiples, window_bits) in self.windows.iter().zip(bits.chunks(Self::WINDOW_BITS)) {
            let term = lookup(multiples, window_bits)?;
            sum = Some(match sum {
                Some(sum) => sum.add(&term)?,
                None => term,
            });
        }
        Ok(sum.unwrap_or_else(|| PointVar::constant(Point::IDENTITY)))
    }
}

/// `multiples[b₀ + 2b₁ + 4b₂]`, missing bits taken as zero: one constraint
/// for `b₀·b₁`, one per coordinate for the choice by `b₂`.
fn lookup(multiples: &[Point; 8], bits: &[Boolean<Fr>]) -> Result<PointVar, SynthesisError> {
    let bit = |i: usize| bits.get(i).cloned().unwrap_or(Boolean::FALSE);
    let (b0, b1, b2) = (bit(0), bit(1), bit(2));
    let b0_and_b1 = FpVar::from(&b0 & &b1);
    let (b0, b1, b2) = (FpVar::from(b0), FpVar::from(b1), FpVar::from(b2));
    // The multilinear interpolation of four constants in (b₀, b₁): linear,
    // given b₀·b₁.
    let select_of_four = |c: [Fr; 4]| {
        &b0 * (c[1] - c[0]) + &b1 * (c[2] - c[0]) + &b0_and_b1 * (c[3] - c[2] - c[1] + c[0]) + c[0]
    };
    let select_of_eight = |c: [Fr; 8]| {
        let low = select_of_four([c[0], c[1], c[2], c[3]]);
        let high = select_of_four([c[4], c[5], c[6], c[7]]);
        &low + &b2 * (high - &low)
    };
    Ok(PointVar {
        x: select_of_eight(multiples.map(|point| point.x())),
        y: select_of_eight(multiples.map(|point| point.y())),
    })
}
