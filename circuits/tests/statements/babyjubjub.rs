//! BabyJubJub in circomlib coordinates: curve facts, the isomorphism to
//! ark-ed-on-bn254, the gadgets.

use ark_ec::{AffineRepr, CurveGroup};
use ark_ed_on_bn254::{EdwardsAffine, EdwardsProjective};
use ark_ff::{AdditiveGroup, BigInteger, Field, PrimeField, UniformRand};
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use zkaudit_circuits::babyjubjub::constraints::{FixedBaseTable, PointVar};
use zkaudit_circuits::babyjubjub::{BASE8, COEFF_A, COEFF_D, Point, SUBGROUP_ORDER};
use zkaudit_circuits::{CircuitError, Fr};

use crate::common::{new_cs, rng};

/// `k·Base8` for a random `k < l`, and `k` itself.
fn random_multiple(rng: &mut rand_chacha::ChaCha20Rng) -> (ark_ed_on_bn254::Fr, Point) {
    let scalar = ark_ed_on_bn254::Fr::rand(rng);
    (scalar, BASE8.mul_bigint(scalar.into_bigint()))
}

#[test]
fn base8_generates_the_prime_order_subgroup() {
    assert_eq!(Point::new(BASE8.x(), BASE8.y()), Ok(BASE8));
    assert!(BASE8.is_in_prime_order_subgroup());
    assert_eq!(BASE8.mul_bigint(SUBGROUP_ORDER), Point::IDENTITY);
    let mut l_minus_one = SUBGROUP_ORDER;
    l_minus_one.sub_with_borrow(&1u64.into());
    assert_eq!(BASE8.mul_bigint(l_minus_one), -BASE8);
    assert_eq!(SUBGROUP_ORDER.num_bits(), 251);
}

#[test]
fn off_curve_points_are_rejected() {
    assert_eq!(
        Point::new(Fr::ONE, Fr::ONE),
        Err(CircuitError::PointNotOnCurve)
    );
    assert_eq!(
        Point::new(BASE8.x(), BASE8.y() + Fr::ONE),
        Err(CircuitError::PointNotOnCurve)
    );
    assert_eq!(Point::new(Fr::ZERO, Fr::ONE), Ok(Point::IDENTITY));
    // (0, -1) has order 2: on the curve, outside the prime-order subgroup.
    let two_torsion = Point::new(Fr::ZERO, -Fr::ONE).unwrap();
    assert!(!two_torsion.is_in_prime_order_subgroup());
    assert_eq!(two_torsion.double(), Point::IDENTITY);
}

#[test]
fn addition_is_a_group_law() {
    let mut rng = rng(20);
    let (_, p) = random_multiple(&mut rng);
    let (_, q) = random_multiple(&mut rng);
    assert_eq!(p + q, q + p);
    assert_eq!(p + Point::IDENTITY, p);
    assert_eq!(p + -p, Point::IDENTITY);
    assert_eq!(p.double(), p.mul_bigint([2u64]));
    assert!(Point::new((p + q).x(), (p + q).y()).is_ok());
}

/// `x_ark = x · √a` maps circomlib's curve onto ark-ed-on-bn254's and
/// commutes with addition and scalar multiplication.
#[test]
fn isomorphism_to_ark_ed_on_bn254() {
    let mut rng = rng(21);
    let base8_ark = BASE8.to_ark();
    assert!(base8_ark.is_on_curve());
    assert!(base8_ark.is_in_correct_subgroup_assuming_on_curve());
    assert_eq!(Point::IDENTITY.to_ark(), EdwardsAffine::zero());
    assert_eq!(Point::from_ark(&EdwardsAffine::zero()), Point::IDENTITY);
    assert_eq!(
        Point::from_ark(&EdwardsAffine::generator()).to_ark(),
        EdwardsAffine::generator()
    );
    for _ in 0..4 {
        let (scalar, p) = random_multiple(&mut rng);
        let (_, q) = random_multiple(&mut rng);
        assert_eq!((base8_ark * scalar).into_affine(), p.to_ark());
        assert_eq!((p.to_ark() + q.to_ark()).into_affine(), (p + q).to_ark());
        assert_eq!(Point::from_ark(&p.to_ark()), p);
        let random_ark = EdwardsProjective::rand(&mut rng).into_affine();
        assert!(Point::new(Point::from_ark(&random_ark).x(), random_ark.y).is_ok());
    }
    // The coefficients of the two models are related by a.
    let ark_d: Fr =
        <ark_ed_on_bn254::EdwardsConfig as ark_ec::twisted_edwards::TECurveConfig>::COEFF_D;
    assert_eq!(ark_d * COEFF_A, COEFF_D);
}

#[test]
fn gadget_addition_matches_native_in_six_constraints() {
    let mut rng = rng(22);
    let (_, p) = random_multiple(&mut rng);
    let (_, q) = random_multiple(&mut rng);
    for (left, right) in [(p, q), (p, p), (p, -p), (p, Point::IDENTITY)] {
        let cs = new_cs();
        let allocate = |point: Point| PointVar {
            x: FpVar::new_witness(cs.clone(), || Ok(point.x())).unwrap(),
            y: FpVar::new_witness(cs.clone(), || Ok(point.y())).unwrap(),
        };
        let sum = allocate(left).add(&allocate(right)).unwrap();
        assert_eq!(sum.value().unwrap(), left + right);
        assert!(cs.is_satisfied().unwrap());
        assert_eq!(cs.num_constraints(), 6);
    }
}

/// Little-endian bits of `scalar` as witnesses.
fn scalar_bits(
    cs: &ark_relations::gr1cs::ConstraintSystemRef<Fr>,
    scalar: impl BigInteger,
    count: usize,
) -> Vec<Boolean<Fr>> {
    let bits = scalar.to_bits_le();
    (0..count)
        .map(|i| Boolean::new_witness(cs.clone(), || Ok(bits[i])).unwrap())
        .collect()
}

#[test]
fn fixed_base_multiplication_matches_native() {
    let mut rng = rng(23);
    let table = FixedBaseTable::base8();
    assert_eq!(table.scalar_bits(), 252);
    let mut all_ones = ark_ed_on_bn254::Fr::from(2u64).pow([251]).into_bigint();
    all_ones.sub_with_borrow(&1u64.into());
    let scalars = [
        0u64.into(),
        1u64.into(),
        (-ark_ed_on_bn254::Fr::ONE).into_bigint(),
        all_ones,
        ark_ed_on_bn254::Fr::rand(&mut rng).into_bigint(),
        ark_ed_on_bn254::Fr::rand(&mut rng).into_bigint(),
    ];
    for scalar in scalars {
        let cs = new_cs();
        let bits = scalar_bits(&cs, scalar, 251);
        let product = table.scalar_mul_le(&bits).unwrap();
        assert_eq!(
            product.value().unwrap(),
            BASE8.mul_bigint(scalar),
            "{scalar}"
        );
        assert!(cs.is_satisfied().unwrap());
        // 251 booleans, 83 three-bit windows (3 + 6, the first without an
        // addition) and a two-bit window (1 + 6).
        assert_eq!(cs.num_constraints(), 251 + 83 * 9 - 6 + 7);
        assert_eq!(cs.num_constraints(), 999);
    }
}

#[test]
fn fixed_base_tables_cover_any_base() {
    let mut rng = rng(24);
    let (_, base) = random_multiple(&mut rng);
    let table = FixedBaseTable::new(base, 10);
    assert_eq!(table.scalar_bits(), 12);
    let cs = new_cs();
    for scalar in [0u64, 1, 5, 1023] {
        let bits = scalar_bits(&cs, ark_ff::BigInt::<4>::from(scalar), 10);
        let product = table.scalar_mul_le(&bits).unwrap();
        assert_eq!(product.value().unwrap(), base.mul_bigint([scalar]));
    }
    assert!(cs.is_satisfied().unwrap());
    let too_many = vec![Boolean::FALSE; 13];
    assert!(table.scalar_mul_le(&too_many).is_err());
    let no_bits = table.scalar_mul_le(&[]).unwrap();
    assert_eq!(no_bits.value().unwrap(), Point::IDENTITY);
}

#[test]
fn tampered_sum_is_unsatisfied() {
    let mut rng = rng(25);
    let (_, p) = random_multiple(&mut rng);
    let cs = new_cs();
    let p_var = PointVar {
        x: FpVar::new_witness(cs.clone(), || Ok(p.x())).unwrap(),
        y: FpVar::new_witness(cs.clone(), || Ok(p.y())).unwrap(),
    };
    let doubled = p_var.add(&p_var).unwrap();
    let claimed = PointVar::constant(p.double() + BASE8);
    doubled.enforce_equal(&claimed).unwrap();
    assert!(!cs.is_satisfied().unwrap());
}

/// A point outside the prime-order subgroup: `k·Base8` plus the point
/// `(0, −1)` of order 2.
fn point_with_torsion(rng: &mut rand_chacha::ChaCha20Rng) -> Point {
    let (_, p) = random_multiple(rng);
    let torsion = Point::new(Fr::ZERO, -Fr::ONE).unwrap();
    let q = p + torsion;
    assert!(!q.is_in_prime_order_subgroup());
    q
}

fn witness_point(cs: &ark_relations::gr1cs::ConstraintSystemRef<Fr>, point: Point) -> PointVar {
    PointVar::new_witness(cs.clone(), || Ok(point)).unwrap()
}

#[test]
fn gadget_doubling_matches_native_in_five_constraints() {
    let mut rng = rng(26);
    let (_, p) = random_multiple(&mut rng);
    let two_torsion = Point::new(Fr::ZERO, -Fr::ONE).unwrap();
    let cases = [
        p,
        -p,
        Point::IDENTITY,
        two_torsion,
        point_with_torsion(&mut rng),
    ];
    for point in cases {
        let cs = new_cs();
        let point_var = witness_point(&cs, point);
        let before = cs.num_constraints();
        let doubled = point_var.double().unwrap();
        assert_eq!(cs.num_constraints() - before, 5);
        assert_eq!(doubled.value().unwrap(), point.double());
        assert_eq!(
            doubled.value().unwrap(),
            point_var.add(&point_var).unwrap().value().unwrap()
        );
        assert!(cs.is_satisfied().unwrap());
    }
}

/// Allocation checks the curve equation in three constraints, constants
/// cost nothing.
#[test]
fn allocated_points_are_on_the_curve() {
    let mut rng = rng(27);
    let (_, p) = random_multiple(&mut rng);
    for mode in [AllocationMode::Witness, AllocationMode::Input] {
        let cs = new_cs();
        let allocated = PointVar::new_variable(cs.clone(), || Ok(p), mode).unwrap();
        assert_eq!(allocated.value().unwrap(), p);
        assert_eq!(cs.num_constraints(), 3);
        assert!(cs.is_satisfied().unwrap());
    }
    let cs = new_cs();
    PointVar::new_constant(cs.clone(), BASE8).unwrap();
    assert_eq!(cs.num_constraints(), 0);

    // Off-curve coordinates, smuggled in through the on-curve check's
    // inputs: the check fails.
    for (x, y) in [
        (p.x(), p.y() + Fr::ONE),
        (Fr::ONE, Fr::ONE),
        (Fr::ZERO, Fr::ZERO),
    ] {
        let cs = new_cs();
        let point = PointVar {
            x: FpVar::new_witness(cs.clone(), || Ok(x)).unwrap(),
            y: FpVar::new_witness(cs.clone(), || Ok(y)).unwrap(),
        };
        point.enforce_on_curve().unwrap();
        assert!(!cs.is_satisfied().unwrap(), "({x}, {y})");
    }
}

/// Variable-base multiplication equals the native one for edge scalars
/// (0, 1, l − 1, l, 2²⁵¹ − 1) and random ones, on subgroup points and on a
/// point with a torsion component (the scalar is not reduced mod l).
#[test]
fn variable_base_multiplication_matches_native() {
    let mut rng = rng(28);
    let mut l_minus_one = SUBGROUP_ORDER;
    l_minus_one.sub_with_borrow(&1u64.into());
    let mut all_ones = ark_ed_on_bn254::Fr::from(2u64).pow([251]).into_bigint();
    all_ones.sub_with_borrow(&1u64.into());
    let scalars = [
        0u64.into(),
        1u64.into(),
        2u64.into(),
        l_minus_one,
        SUBGROUP_ORDER,
        all_ones,
        ark_ed_on_bn254::Fr::rand(&mut rng).into_bigint(),
    ];
    let (_, p) = random_multiple(&mut rng);
    let bases = [p, BASE8, Point::IDENTITY, point_with_torsion(&mut rng)];
    for base in bases {
        for scalar in scalars {
            let cs = new_cs();
            let base_var = witness_point(&cs, base);
            let bits = scalar_bits(&cs, scalar, 251);
            let before = cs.num_constraints();
            let product = base_var.scalar_mul_le(&bits).unwrap();
            assert_eq!(
                product.value().unwrap(),
                base.mul_bigint(scalar),
                "{scalar}"
            );
            assert!(cs.is_satisfied().unwrap());
            // 2P and 3P (5 + 6), the top one-bit window (2), then 125
            // windows of two doublings, a lookup and an addition.
            assert_eq!(cs.num_constraints() - before, 11 + 2 + 125 * 22);
            assert_eq!(cs.num_constraints() - before, 2_763);
        }
    }
    assert_eq!(p.mul_bigint(l_minus_one), -p);
    assert_eq!(p.mul_bigint(SUBGROUP_ORDER), Point::IDENTITY);
}

/// Short and odd scalars: every 5-bit scalar, and no bits at all.
#[test]
fn variable_base_multiplication_handles_any_bit_count() {
    let mut rng = rng(29);
    let (_, p) = random_multiple(&mut rng);
    let cs = new_cs();
    let base = witness_point(&cs, p);
    for count in 1..=5 {
        for scalar in 0..1u64 << count {
            let bits = scalar_bits(&cs, ark_ff::BigInt::<4>::from(scalar), count);
            let product = base.scalar_mul_le(&bits).unwrap();
            assert_eq!(product.value().unwrap(), p.mul_bigint([scalar]));
        }
    }
    assert_eq!(
        base.scalar_mul_le(&[]).unwrap().value().unwrap(),
        Point::IDENTITY
    );
    assert!(cs.is_satisfied().unwrap());
}

/// A wrong claimed product, or a product of other bits, is unsatisfied.
#[test]
fn tampered_variable_base_product_is_unsatisfied() {
    let mut rng = rng(30);
    let (scalar, p) = random_multiple(&mut rng);
    let expected = p.mul_bigint(scalar.into_bigint());
    for claimed in [
        expected,
        expected + BASE8,
        -expected,
        p.mul_bigint((scalar + ark_ed_on_bn254::Fr::ONE).into_bigint()),
    ] {
        let cs = new_cs();
        let base = witness_point(&cs, p);
        let bits = scalar_bits(&cs, scalar.into_bigint(), 251);
        let product = base.scalar_mul_le(&bits).unwrap();
        product.enforce_equal(&PointVar::constant(claimed)).unwrap();
        assert_eq!(cs.is_satisfied().unwrap(), claimed == expected);
    }
    // An intermediate witness changed: every witness of a small
    // multiplication is pinned.
    let cs = new_cs();
    let base = witness_point(&cs, p);
    let bits = scalar_bits(&cs, ark_ff::BigInt::<4>::from(0b1011_0110u64), 8);
    let product = base.scalar_mul_le(&bits).unwrap();
    product
        .enforce_equal(&PointVar::constant(p.mul_bigint([0b1011_0110u64])))
        .unwrap();
    crate::common::assert_every_witness_is_pinned(&cs);
}
