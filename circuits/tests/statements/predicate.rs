//! Attribute predicates: the helpers, gadget against native over edge
//! values, values that would wrap around the field, costs.

use ark_ff::{AdditiveGroup, Field};
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::ConstraintSystemRef;
use zkaudit_circuits::predicate::constraints::AttributePredicateVar;
use zkaudit_circuits::predicate::{AttributePredicate, SET_SIZE};
use zkaudit_circuits::{CircuitError, Fr};

use crate::common::{assert_every_witness_is_pinned, new_cs};

/// 2⁶⁴ as a field element.
fn two_to_64() -> Fr {
    Fr::from(u64::MAX) + Fr::ONE
}

/// The predicate allocated as public inputs and `value` as a witness, with
/// the predicate enforced on it.
fn enforce(predicate: AttributePredicate, value: Fr) -> ConstraintSystemRef<Fr> {
    let cs = new_cs();
    let predicate_var = AttributePredicateVar::new_input(cs.clone(), || Ok(predicate)).unwrap();
    let value_var = FpVar::new_witness(cs.clone(), || Ok(value)).unwrap();
    predicate_var.enforce_holds(&value_var).unwrap();
    cs
}

fn accepts(predicate: AttributePredicate, value: Fr) -> bool {
    enforce(predicate, value).is_satisfied().unwrap()
}

#[test]
fn helpers_build_the_documented_ranges() {
    let cases = [
        (AttributePredicate::any(), (0, u64::MAX)),
        (AttributePredicate::equals(7), (7, 7)),
        (AttributePredicate::at_least(7), (7, u64::MAX)),
        (AttributePredicate::at_most(7), (0, 7)),
        (AttributePredicate::between(3, 9), (3, 9)),
    ];
    for (predicate, (min, max)) in cases {
        assert_eq!(
            (predicate.min, predicate.max, predicate.set),
            (min, max, None)
        );
    }
    assert_eq!(AttributePredicate::default(), AttributePredicate::any());
}

#[test]
fn one_of_pads_by_repeating_the_last_value() {
    let cases: [(&[u64], [u64; SET_SIZE]); 4] = [
        (&[5], [5, 5, 5, 5]),
        (&[5, 9], [5, 9, 9, 9]),
        (&[5, 9, 1], [5, 9, 1, 1]),
        (&[5, 9, 1, 0], [5, 9, 1, 0]),
    ];
    for (values, padded) in cases {
        let predicate = AttributePredicate::one_of(values).unwrap();
        assert_eq!(predicate.set, Some(padded));
        assert_eq!((predicate.min, predicate.max), (0, u64::MAX));
    }
    assert_eq!(
        AttributePredicate::one_of(&[]),
        Err(CircuitError::SetSize(0))
    );
    assert_eq!(
        AttributePredicate::one_of(&[1, 2, 3, 4, 5]),
        Err(CircuitError::SetSize(5))
    );
}

#[test]
fn holds_is_range_and_set() {
    let adult = AttributePredicate::at_most(20_070_601);
    assert!(adult.holds(19_900_415) && adult.holds(20_070_601));
    assert!(!adult.holds(20_070_602));
    let valid = AttributePredicate::at_least(20_250_601);
    assert!(valid.holds(20_300_101) && !valid.holds(20_250_531));
    let empty = AttributePredicate::between(10, 5);
    assert!((0..20).all(|value| !empty.holds(value)));
    let regions = AttributePredicate {
        min: 100,
        ..AttributePredicate::one_of(&[40, 276, 756]).unwrap()
    };
    assert!(regions.holds(276) && regions.holds(756));
    assert!(!regions.holds(40), "in the set but below the range");
    assert!(!regions.holds(250));
    assert!(AttributePredicate::any().holds(0) && AttributePredicate::any().holds(u64::MAX));
}

#[test]
fn field_elements_are_min_max_flag_and_set() {
    let with_set = AttributePredicate {
        min: 2,
        max: 3,
        set: Some([4, 5, 6, 7]),
    };
    let expected = [2u64, 3, 1, 4, 5, 6, 7].map(Fr::from);
    assert_eq!(with_set.to_field_elements(), expected);
    let without = AttributePredicate::between(2, 3);
    let expected = [2u64, 3, 0, 0, 0, 0, 0].map(Fr::from);
    assert_eq!(without.to_field_elements(), expected);
    // A set of zeros is still distinct from no set.
    let zeros = AttributePredicate::one_of(&[0]).unwrap();
    assert_ne!(
        zeros.to_field_elements(),
        AttributePredicate::any().to_field_elements()
    );
}

/// The gadget accepts exactly what `holds` accepts, over edge values of
/// every kind of predicate.
#[test]
fn gadget_matches_holds_on_edge_values() {
    let predicates = [
        AttributePredicate::any(),
        AttributePredicate::equals(0),
        AttributePredicate::equals(u64::MAX),
        AttributePredicate::equals(1000),
        AttributePredicate::at_least(1000),
        AttributePredicate::at_least(u64::MAX),
        AttributePredicate::at_most(1000),
        AttributePredicate::at_most(0),
        AttributePredicate::between(999, 1001),
        AttributePredicate::between(1001, 999),
        AttributePredicate::between(u64::MAX, 0),
        AttributePredicate::one_of(&[0, 1000, u64::MAX]).unwrap(),
        AttributePredicate {
            min: 1000,
            max: 2000,
            set: Some([999, 1000, 2000, 2001]),
        },
    ];
    let values = [
        0,
        1,
        998,
        999,
        1000,
        1001,
        1002,
        2000,
        2001,
        1 << 63,
        u64::MAX - 1,
        u64::MAX,
    ];
    for predicate in predicates {
        for value in values {
            assert_eq!(
                accepts(predicate, Fr::from(value)),
                predicate.holds(value),
                "{predicate:?} on {value}"
            );
        }
    }
}

/// Field elements that are not `u64` values fail every predicate, even
/// `any()`: nothing wraps around the modulus.
#[test]
fn values_beyond_u64_are_rejected() {
    let p_minus = |k: u64| -Fr::from(k);
    let beyond = [
        two_to_64(),
        two_to_64() + Fr::ONE,
        two_to_64() + Fr::from(1000u64),
        two_to_64() + two_to_64(),
        p_minus(1),
        p_minus(1000),
        // min − 2⁶⁴ and max + 2⁶⁴ for the ranges below.
        Fr::from(1000u64) - two_to_64(),
        Fr::from(2000u64) + two_to_64(),
        Fr::from(2u64).pow([200]),
    ];
    let predicates = [
        AttributePredicate::any(),
        AttributePredicate::at_least(1000),
        AttributePredicate::at_most(2000),
        AttributePredicate::between(1000, 2000),
        AttributePredicate::at_least(u64::MAX),
    ];
    for predicate in predicates {
        for value in beyond {
            assert!(!accepts(predicate, value), "{predicate:?} on {value}");
        }
    }
}

#[test]
fn set_flag_switches_membership() {
    let set = AttributePredicate::one_of(&[40, 276]).unwrap();
    assert!(accepts(set, Fr::from(276u64)));
    assert!(!accepts(set, Fr::from(277u64)));
    let no_set = AttributePredicate {
        set: None,
        ..AttributePredicate::any()
    };
    assert!(accepts(no_set, Fr::from(277u64)));
}

/// Pinned cost: two 64-bit decompositions (65 each), the product of the
/// four differences (3), the conditional zero (1) and the flag (1).
#[test]
fn constraint_count_is_pinned() {
    let cs = new_cs();
    let predicate = AttributePredicateVar::new_witness(cs.clone(), || {
        Ok(AttributePredicate::one_of(&[1, 2]).unwrap())
    })
    .unwrap();
    let allocation = cs.num_constraints();
    let value = FpVar::new_witness(cs.clone(), || Ok(Fr::from(2u64))).unwrap();
    predicate.enforce_holds(&value).unwrap();
    assert!(cs.is_satisfied().unwrap());
    assert_eq!(allocation, 1, "the set flag's booleanity");
    assert_eq!(cs.num_constraints(), 2 * 65 + 3 + 1 + 1);
    assert_eq!(cs.num_constraints(), 135);
}

#[test]
fn every_witness_is_pinned() {
    let predicate = AttributePredicate {
        min: 10,
        max: 1 << 40,
        set: Some([11, 12, 13, 1 << 33]),
    };
    assert_every_witness_is_pinned(&enforce(predicate, Fr::from(1u64 << 33)));
    assert_every_witness_is_pinned(&enforce(AttributePredicate::any(), Fr::ZERO));
}
