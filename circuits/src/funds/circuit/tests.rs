//! Tests of the funds halo2 circuit: honest chunks satisfy it, tampered witnesses and instances do not.

use chacha20::ChaCha20Rng;
use halo2_proofs::dev::{MockProver, VerifyFailure};
use rand_core_halo2::SeedableRng;

use super::*;
use crate::funds::{
    FundsLayout, category_totals, item_commitment, padding_commitment, poseidon2,
    totals_commitment, totals_to_field,
};

fn shape() -> FundsShape {
    FundsShape::new(4, 3).unwrap()
}

fn openings() -> Vec<ItemOpening> {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    vec![
        ItemOpening::random(125_000, 2, &mut rng),
        ItemOpening::random(u64::MAX, 0, &mut rng),
        ItemOpening::random(99, 2, &mut rng),
    ]
}

fn honest() -> FundsChunkCircuit {
    let before = [Fp::from(10), Fp::from(20), Fp::from(30)];
    FundsChunkCircuit::new(shape(), &openings(), &before, Fp::from(5), Fp::from(6))
}

/// The public inputs the (possibly tampered) witness is consistent
/// with, so only the tampered constraint can fail.
fn instance_of(circuit: &FundsChunkCircuit) -> Vec<Fp> {
    let w = circuit.witness();
    let commitments: Vec<Fp> = w
        .slots
        .iter()
        .map(|s| poseidon2(s.packed(), s.salt))
        .collect();
    let count = w.slots.iter().filter(|s| s.real == Fp::ONE).count();
    let mut after = w.after();
    if let Some((_, j, delta)) = w.acc_tamper {
        after[j] += delta;
    }
    chunk_instance(
        count,
        totals_commitment(&w.before, w.before_blinding),
        totals_commitment(&after, w.after_blinding),
        &commitments,
    )
}

/// halo2's mock prover on `circuit` in its shape's layout, with `2^k` rows.
fn mock(
    circuit: &FundsChunkCircuit,
    k: u32,
    instance: Vec<Fp>,
) -> Result<MockProver<Fp>, halo2_proofs::plonk::Error> {
    in_layout!(circuit.clone(), |c| MockProver::run(k, &c, vec![instance]))
}

/// `circuit` in `layout`.
fn as_layout(circuit: &FundsChunkCircuit, layout: FundsLayout) -> FundsChunkCircuit {
    let mut circuit = circuit.clone();
    circuit.shape = circuit.shape.with_layout(layout);
    circuit
}

/// Runs the mock prover on `circuit` in every layout: the layouts differ
/// in hashing columns only, so they must agree on every witness. Returns
/// the failures of the current layout.
fn run(circuit: &FundsChunkCircuit, instance: Vec<Fp>) -> Result<(), Vec<VerifyFailure>> {
    let outcomes: Vec<Result<(), Vec<VerifyFailure>>> = FundsLayout::ALL
        .into_iter()
        .map(|layout| {
            let circuit = as_layout(circuit, layout);
            mock(&circuit, circuit.shape.k(), instance.clone())
                .expect("synthesis")
                .verify()
        })
        .collect();
    assert!(
        outcomes.iter().all(|o| o.is_ok() == outcomes[0].is_ok()),
        "the layouts disagree: {outcomes:?}"
    );
    let current = FundsLayout::ALL
        .iter()
        .position(|l| *l == FundsLayout::CURRENT)
        .expect("the current layout is one of all");
    outcomes.into_iter().nth(current).expect("one per layout")
}

/// The honest chunk with `tamper` applied to its witness, and the public
/// inputs the tampered witness is consistent with.
fn tampered(tamper: impl FnOnce(&mut ChunkWitness)) -> (FundsChunkCircuit, Vec<Fp>) {
    let mut circuit = honest();
    tamper(circuit.witness_mut());
    let instance = instance_of(&circuit);
    (circuit, instance)
}

/// Asserts the circuit is unsatisfied and every failure is `expected`.
fn assert_fails(circuit: &FundsChunkCircuit, instance: Vec<Fp>, expected: &[&str]) {
    let failures = run(circuit, instance).expect_err("a tampered witness must not satisfy");
    let shown = format!("{failures:?}");
    for name in expected {
        assert!(shown.contains(name), "expected {name:?} in {shown}");
    }
}

/// Asserts the circuit is unsatisfied and every failure is of the kind
/// `kind` accepts.
fn assert_fails_only(
    circuit: &FundsChunkCircuit,
    instance: Vec<Fp>,
    kind: impl Fn(&VerifyFailure) -> bool,
) {
    let failures = run(circuit, instance).unwrap_err();
    assert!(failures.iter().all(kind), "{failures:?}");
}

#[test]
fn honest_chunk_satisfies_and_matches_the_native_totals() {
    let circuit = honest();
    let instance = instance_of(&circuit);
    // The public inputs the prover API derives from the openings alone.
    let ops = openings();
    let mut commitments: Vec<Fp> = ops.iter().map(item_commitment).collect();
    commitments.push(padding_commitment());
    assert_eq!(instance[ITEMS_ROW..], commitments[..]);
    assert_eq!(instance[COUNT_ROW], Fp::from(3));
    let native = category_totals(&ops, 3).unwrap();
    let expected: Vec<Fp> = totals_to_field(&native)
        .iter()
        .zip([10u64, 20, 30])
        .map(|(t, b)| *t + Fp::from(b))
        .collect();
    assert_eq!(circuit.totals_after().unwrap(), expected);
    assert_eq!(run(&circuit, instance), Ok(()));
}

#[test]
fn foreign_commitment_is_rejected() {
    let circuit = honest();
    let mut instance = instance_of(&circuit);
    instance[ITEMS_ROW + 1] = poseidon2(Fp::from(1), Fp::from(2));
    assert_fails_only(&circuit, instance, |f| {
        matches!(f, VerifyFailure::Permutation { .. })
    });
}

#[test]
fn wrong_count_is_rejected() {
    let circuit = honest();
    let mut instance = instance_of(&circuit);
    instance[COUNT_ROW] = Fp::from(4);
    let failures = run(&circuit, instance).unwrap_err();
    assert!(matches!(
        failures[..],
        [VerifyFailure::Permutation { .. }, ..]
    ));
}

#[test]
fn amount_of_2_pow_64_fails_the_range_check() {
    let (circuit, instance) = tampered(|w| w.slots[0].amount = Fp::from_u128(1 << 64));
    assert_fails_only(&circuit, instance, |f| {
        matches!(f, VerifyFailure::Lookup { .. })
    });
}

#[test]
fn wrapped_negative_amount_fails_the_range_check() {
    // "−1": p − 1 would subtract one unit from category 2.
    let (circuit, instance) = tampered(|w| w.slots[2].amount = -Fp::ONE);
    assert_fails_only(&circuit, instance, |f| {
        matches!(f, VerifyFailure::Lookup { .. })
    });
}

#[test]
fn two_flags_are_rejected() {
    let (circuit, instance) = tampered(|w| w.slots[0].flags[1] = Fp::ONE);
    assert_fails(
        &circuit,
        instance,
        &["flag only for the category", "exactly one flag"],
    );
}

#[test]
fn no_flag_is_rejected() {
    let (circuit, instance) = tampered(|w| w.slots[0].flags = [Fp::ZERO; MAX_CATEGORIES]);
    assert_fails(&circuit, instance, &["exactly one flag"]);
}

#[test]
fn non_boolean_flag_is_rejected() {
    let (circuit, instance) = tampered(|w| {
        // Flags 2 and −1 still sum to 1.
        w.slots[1].flags[0] = Fp::from(2);
        w.slots[1].flags[1] = -Fp::ONE;
    });
    assert_fails(&circuit, instance, &["flag is boolean"]);
}

#[test]
fn category_out_of_range_is_rejected() {
    // Category 3 in a 3-category shape, with its flag set.
    let (circuit, instance) = tampered(|w| {
        w.slots[0].category = Fp::from(3);
        w.slots[0].flags = [Fp::ZERO; MAX_CATEGORIES];
        w.slots[0].flags[3] = Fp::ONE;
    });
    assert_fails(
        &circuit,
        instance,
        &["flag only for the shape's categories"],
    );
    // Category 16, beyond every flag.
    let (circuit, instance) = tampered(|w| {
        w.slots[0].category = Fp::from(16);
        w.slots[0].flags = [Fp::ZERO; MAX_CATEGORIES];
    });
    assert_fails(&circuit, instance, &["exactly one flag"]);
}

#[test]
fn wrong_accumulator_is_rejected() {
    let (circuit, instance) = tampered(|w| w.acc_tamper = Some((1, 0, Fp::ONE)));
    assert_fails(&circuit, instance, &["accumulate"]);
}

#[test]
fn padding_with_an_amount_is_rejected() {
    let (circuit, instance) = tampered(|w| {
        assert_eq!(w.slots[3].real, Fp::ZERO);
        w.slots[3].amount = Fp::from(500);
    });
    assert_fails(&circuit, instance, &["padding amount is 0"]);
}

#[test]
fn padding_before_a_real_item_is_rejected() {
    let (circuit, instance) = tampered(|w| w.slots.swap(1, 3));
    assert_fails(&circuit, instance, &["real items first"]);
}

#[test]
fn non_boolean_real_is_rejected() {
    // real = 2 on the last real slot, count claims one more item.
    let (circuit, instance) = tampered(|w| w.slots[2].real = Fp::from(2));
    assert_fails(&circuit, instance, &["real is boolean"]);
}

#[test]
fn k_fits_the_rows() {
    // Poseidon's ~40 rows per item and chip dominate; pin the formula
    // against the floor planner at a shape where they exceed the 2¹⁰-row
    // table, in both layouts.
    let shape = FundsShape::new(64, 16).unwrap();
    let openings: Vec<ItemOpening> = (0..64)
        .map(|i| ItemOpening {
            amount: i,
            category: (i % 16) as u16,
            salt: Fp::from(i + 1),
        })
        .collect();
    let circuit = FundsChunkCircuit::new(shape, &openings, &[], Fp::ZERO, Fp::ONE);
    let instance = instance_of(&circuit);
    for (layout, k) in [(FundsLayout::OneHasher, 12), (FundsLayout::TwoHashers, 11)] {
        let circuit = as_layout(&circuit, layout);
        assert_eq!(circuit.shape.k(), k, "{layout:?}");
        assert_eq!(
            mock(&circuit, k, instance.clone()).unwrap().verify(),
            Ok(()),
            "{layout:?}"
        );
        assert!(
            mock(&circuit, k - 1, instance.clone()).is_err(),
            "{layout:?}"
        );
    }
    assert_eq!(FundsShape::new(4, 3).unwrap().k(), 11);
}

/// The rows the floor planner uses, from halo2's cost model.
fn rows_used(shape: FundsShape) -> usize {
    let cost = in_layout!(FundsChunkCircuit::for_keygen(shape), |circuit| format!(
        "{:?}",
        halo2_proofs::dev::CircuitCost::<pasta_curves::vesta::Point, _>::measure(20, &circuit)
    ));
    // `max_rows` is only exposed through `Debug`.
    let rest = &cost[cost.find("max_rows: ").expect("max_rows") + 10..];
    rest[..rest.find(',').expect("a field")]
        .parse()
        .expect("a number")
}

/// The production shape needs `k` = 16 in the one-chip layout and `k` = 15
/// in the two-chip one (half the rows, so about half the prover's work),
/// and [`min_k`]'s estimate bounds the floor planner's rows in both.
#[test]
fn production_shape_needs_k_16_with_one_hasher_and_k_15_with_two() {
    for (layout, k) in [(FundsLayout::OneHasher, 16), (FundsLayout::TwoHashers, 15)] {
        let shape = FundsShape::PRODUCTION.with_layout(layout);
        let rows = rows_used(shape);
        assert_eq!(shape.k(), k, "{layout:?}");
        assert!(
            rows > 1 << (k - 1) && rows + 16 <= 1 << k,
            "{layout:?}: {rows} rows"
        );
        let hashers = layout.hashers();
        for n in [1, 64, 1024] {
            let used = rows_used(FundsShape::new(n, 16).unwrap().with_layout(layout));
            let estimate = (n.div_ceil(hashers) * POSEIDON_ROWS_PER_ITEM
                + 2usize.div_ceil(hashers) * POSEIDON_ROWS_TOTALS_HASH)
                .max(BLOCK * (n + 1))
                .max(1 << WORD_BITS);
            assert!(used <= estimate, "{layout:?}, {n}: {used} > {estimate}");
        }
    }
    assert_eq!(FundsShape::PRODUCTION.layout(), FundsLayout::CURRENT);
}

/// A chunk laid out in another layout than its shape names is refused at
/// synthesis: a key could otherwise carry the wrong layout's label.
#[test]
fn a_chunk_in_another_layout_than_its_shape_is_refused() {
    let circuit = honest();
    assert_eq!(circuit.shape.layout(), FundsLayout::TwoHashers);
    let instance = instance_of(&circuit);
    let k = circuit.shape.k();
    assert!(
        MockProver::run(
            k,
            &ChunkCircuit::<1>(circuit.clone()),
            vec![instance.clone()]
        )
        .is_err()
    );
    assert!(
        MockProver::run(k, &ChunkCircuit::<2>(circuit), vec![instance])
            .unwrap()
            .verify()
            .is_ok()
    );
}
