//! BabyJubJub in circomlib's coordinates.
//!
//! circomlib (and so Semaphore, circomlibjs, `@zk-kit/baby-jubjub`) writes
//! BabyJubJub as the twisted Edwards curve `a·x² + y² = 1 + d·x²·y²` with
//! `a = 168700`, `d = 168696` over the BN254 scalar field. Points here are in
//! those coordinates, so they compare directly with circom circuits and
//! JavaScript libraries, and the arithmetic is the complete twisted Edwards
//! addition law (`a` is a square and `d` is not, so it has no exceptions).
//!
//! `ark-ed-on-bn254` uses the isomorphic model with `a = 1` and
//! `d = 168696 / 168700`; [`Point::to_ark`] and [`Point::from_ark`] convert
//! with `x_ark = x · √168700`, `y` unchanged, fixing √168700 as the smaller of
//! the two square roots (as integers). Convert with these functions only, so
//! every part of zkaudit uses the same root.
//!
//! The curve has order `8·l`; [`BASE8`] generates the subgroup of prime order
//! `l` ([`SUBGROUP_ORDER`]).

#[cfg(feature = "r1cs")]
pub mod constraints;

use core::ops::{Add, Neg};
use std::sync::OnceLock;

use ark_ec::AffineRepr;
use ark_ed_on_bn254::EdwardsAffine;
use ark_ff::{AdditiveGroup, BitIteratorBE, Field, MontFp, PrimeField};

use crate::{CircuitError, Fr, Result};

/// circomlib's curve coefficient `a`.
pub const COEFF_A: Fr = MontFp!("168700");

/// circomlib's curve coefficient `d`.
pub const COEFF_D: Fr = MontFp!("168696");

/// circomlib's `Base8`: the generator of the prime-order subgroup that
/// Semaphore and circomlib's `BabyPbk` use.
pub const BASE8: Point = Point {
    x: MontFp!("5299619240641551281634865583518297030282874472190772894086521144482721001553"),
    y: MontFp!("16950150798460657717958625567821834550301663161624707787222815936182638968203"),
};

/// The order `l` of the prime-order subgroup, equal to the modulus of
/// `ark_ed_on_bn254::Fr`.
pub const SUBGROUP_ORDER: <Fr as PrimeField>::BigInt = <ark_ed_on_bn254::Fr as PrimeField>::MODULUS;

/// A point of BabyJubJub in circomlib's coordinates, always on the curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Point {
    x: Fr,
    y: Fr,
}

impl Point {
    /// The neutral element `(0, 1)`.
    pub const IDENTITY: Self = Self {
        x: Fr::ZERO,
        y: Fr::ONE,
    };

    /// The point `(x, y)`.
    ///
    /// # Errors
    ///
    /// [`CircuitError::PointNotOnCurve`] if `(x, y)` is not on the curve.
    /// The point may still be outside the prime-order subgroup: check
    /// [`Point::is_in_prime_order_subgroup`] for untrusted points.
    pub fn new(x: Fr, y: Fr) -> Result<Self> {
        let (x2, y2) = (x.square(), y.square());
        let on_curve = COEFF_A * x2 + y2 == Fr::ONE + COEFF_D * x2 * y2;
        if on_curve {
            Ok(Self { x, y })
        } else {
            Err(CircuitError::PointNotOnCurve)
        }
    }

    /// The x coordinate.
    pub fn x(&self) -> Fr {
        self.x
    }

    /// The y coordinate.
    pub fn y(&self) -> Fr {
        self.y
    }

    /// `2·self`.
    pub fn double(&self) -> Self {
        *self + *self
    }

    /// `scalar·self`, for a scalar given by its little-endian limbs (as
    /// `BigInteger::as_ref` gives them).
    pub fn mul_bigint(&self, scalar: impl AsRef<[u64]>) -> Self {
        BitIteratorBE::without_leading_zeros(scalar).fold(Self::IDENTITY, |acc, bit| {
            let doubled = acc.double();
            if bit { doubled + *self } else { doubled }
        })
    }

    /// Whether the point is in the subgroup of prime order `l`.
    pub fn is_in_prime_order_subgroup(&self) -> bool {
        self.to_ark().is_in_correct_subgroup_assuming_on_curve()
    }

    /// The same point in `ark-ed-on-bn254`'s model (`a = 1`).
    pub fn to_ark(&self) -> EdwardsAffine {
        EdwardsAffine::new_unchecked(self.x * sqrt_coeff_a(), self.y)
    }

    /// The point of `ark-ed-on-bn254`'s model in circomlib's coordinates.
    pub fn from_ark(point: &EdwardsAffine) -> Self {
        if point.is_zero() {
            return Self::IDENTITY;
        }
        let sqrt_a_inverse = sqrt_coeff_a().inverse().expect("√a is not zero");
        Self {
            x: point.x * sqrt_a_inverse,
            y: point.y,
        }
    }
}

impl Add for Point {
    type Output = Self;

    /// The complete twisted Edwards addition, as circomlib's `BabyAdd`.
    fn add(self, other: Self) -> Self {
        let beta = self.x * other.y;
        let gamma = self.y * other.x;
        let delta = (self.y - COEFF_A * self.x) * (other.x + other.y);
        let d_tau = COEFF_D * beta * gamma;
        // Both denominators are non-zero for points on the curve: the law is
        // complete because `a` is a square and `d` is not.
        let x = (beta + gamma) * (Fr::ONE + d_tau).inverse().expect("complete addition");
        let y = (delta + COEFF_A * beta - gamma)
            * (Fr::ONE - d_tau).inverse().expect("complete addition");
        Self { x, y }
    }
}

impl Neg for Point {
    type Output = Self;

    fn neg(self) -> Self {
        Self {
            x: -self.x,
            y: self.y,
        }
    }
}

/// The fixed square root of `a` that maps circomlib's x to arkworks' x.
fn sqrt_coeff_a() -> Fr {
    static SQRT_A: OnceLock<Fr> = OnceLock::new();
    *SQRT_A.get_or_init(|| {
        let root = COEFF_A
            .sqrt()
            .expect("168700 is a square in the BN254 scalar field");
        if root.into_bigint() <= (-root).into_bigint() {
            root
        } else {
            -root
        }
    })
}
