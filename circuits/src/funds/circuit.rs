//! The chunk circuit: a fixed number of hidden items, their commitments as
//! public inputs, per-category running totals committed before and after.
//!
//! # Instance layout (one instance column)
//!
//! | row | value |
//! |---|---|
//! | [`COUNT_ROW`] = 0 | number `n` of real items in the chunk (0 ≤ n ≤ chunk size) |
//! | [`BEFORE_ROW`] = 1 | running-totals commitment before the chunk |
//! | [`AFTER_ROW`] = 2 | running-totals commitment after the chunk |
//! | [`ITEMS_ROW`] + i | commitment of item `i` (slots `i ≥ n`: [`padding_commitment`](super::padding_commitment)) |
//!
//! # What the circuit proves
//!
//! For each slot `i`: `Poseidon₂(a + 2⁶⁴·c, s)` equals the slot's public
//! commitment; `a < 2⁶⁴` (six 10-bit lookups and one 4-bit short lookup on
//! the running sum); exactly one of [`MAX_CATEGORIES`] boolean flags is
//! set, at index `c`, and flags of categories the shape does not have are
//! 0 (so `c` is below the shape's categories); a boolean `real` with
//! `real = 0 ⇒ a = 0`, real slots first, and `Σ real = n`; and for every
//! category `j`: `accᵢ[j] = accᵢ₋₁[j] + flagᵢ[j]·aᵢ`. The totals before
//! the first slot and after the last, each with its blinding, hash to the
//! public before and after commitments.
//!
//! # Layout
//!
//! A block of [`MAX_CATEGORIES`] rows per slot (row `j` holds category `j`'s
//! flag and accumulator), after a header block holding the totals before.
//! Poseidon and the range check run in their own columns beside the blocks.
//! The 2¹⁰-row lookup table is loaded by the circuit itself.
//!
//! # Layouts
//!
//! The hashes dominate the rows (41 per item in one Poseidon chip). The
//! [layout](super::FundsLayout) says how many Poseidon chips, each in its own
//! columns, share them: the floor planner places regions of disjoint columns
//! side by side, so with two chips item `i` is hashed by chip `i mod 2`,
//! the totals before by chip 0 and the totals after by chip 1, and the
//! chunk needs half the rows. [`ChunkCircuit`] is the halo2 circuit of one
//! layout; every layout has the same gates, instance and statement.

use ff::{Field, PrimeField};
use halo2_gadgets::poseidon::{
    Hash as PoseidonHash, Pow5Chip, Pow5Config,
    primitives::{ConstantLength, P128Pow5T3},
};
use halo2_gadgets::utilities::lookup_range_check::{LookupRangeCheck, LookupRangeCheckConfig};
use halo2_proofs::{
    circuit::{AssignedCell, Layouter, SimpleFloorPlanner, Value},
    plonk::{
        Advice, Circuit, Column, ConstraintSystem, Constraints, Error, Expression, Fixed, Instance,
        Selector, TableColumn,
    },
    poly::Rotation,
};
use pasta_curves::pallas;

use super::{FundsShape, ItemOpening, MAX_CATEGORIES};

type Fp = pallas::Base;

/// Instance row of the number of real items.
pub const COUNT_ROW: usize = 0;
/// Instance row of the running-totals commitment before the chunk.
pub const BEFORE_ROW: usize = 1;
/// Instance row of the running-totals commitment after the chunk.
pub const AFTER_ROW: usize = 2;
/// Instance row of the first item commitment.
pub const ITEMS_ROW: usize = 3;

/// Bits per lookup word of the range check (the table has 2¹⁰ rows).
const WORD_BITS: usize = 10;
/// Full 10-bit words of an amount; the top 4 bits get a short check.
const FULL_WORDS: usize = 6;
const TOP_BITS: usize = 64 - WORD_BITS * FULL_WORDS;
/// Rows of one slot's block.
const BLOCK: usize = MAX_CATEGORIES;

/// Rows used per item by one Poseidon chip (measured: state load,
/// absorption and one permutation of the Pow5 chip).
const POSEIDON_ROWS_PER_ITEM: usize = 41;
/// Rows of one running-totals hash (9 permutations) with slack.
const POSEIDON_ROWS_TOTALS_HASH: usize = 9 * 41;
/// Rows of one item's range check in the running-sum column: six words
/// and their running sum, then the short check of the top bits.
const RANGE_ROWS_PER_ITEM: usize = FULL_WORDS + 1 + 2;

/// The smallest `k` whose `2^k` rows hold a chunk of `chunk_size` items
/// with `hashers` Poseidon chips: the tallest of each chip's columns (41
/// rows per item it hashes and 369 per totals hash), the slot blocks, the
/// range check and the 2¹⁰-row lookup table, and a few rows halo2 reserves
/// for blinding.
pub fn min_k(chunk_size: usize, hashers: usize) -> u32 {
    const RESERVED: usize = 16;
    let per_chip = chunk_size.div_ceil(hashers) * POSEIDON_ROWS_PER_ITEM
        + 2usize.div_ceil(hashers) * POSEIDON_ROWS_TOTALS_HASH;
    let rows = per_chip
        .max(BLOCK * (chunk_size + 1))
        .max(RANGE_ROWS_PER_ITEM * chunk_size)
        .max(1 << WORD_BITS)
        + RESERVED;
    rows.next_power_of_two().trailing_zeros()
}

/// The columns, selectors and chips of the chunk circuit.
#[derive(Clone, Debug)]
pub struct FundsConfig {
    instance: Column<Instance>,
    amount: Column<Advice>,
    category: Column<Advice>,
    packed: Column<Advice>,
    salt: Column<Advice>,
    real: Column<Advice>,
    count: Column<Advice>,
    flag: Column<Advice>,
    acc: Column<Advice>,
    ones: Column<Advice>,
    cat_index: Column<Fixed>,
    cat_allowed: Column<Fixed>,
    q_item: Selector,
    q_mono: Selector,
    q_cat: Selector,
    q_rest: Selector,
    q_last: Selector,
    table: TableColumn,
    range: LookupRangeCheckConfig<Fp, WORD_BITS>,
    /// One Pow5 chip per hasher of the layout, each in its own columns.
    poseidon: Vec<Pow5Config<Fp, 3, 2>>,
}

/// The witness of one chunk, at the level of field elements (so tests can
/// build witnesses the native types cannot express).
#[derive(Clone)]
pub(crate) struct SlotWitness {
    pub(crate) amount: Fp,
    pub(crate) category: Fp,
    pub(crate) salt: Fp,
    pub(crate) real: Fp,
    pub(crate) flags: [Fp; MAX_CATEGORIES],
}

impl SlotWitness {
    fn from_opening(opening: &ItemOpening, real: bool) -> Self {
        let mut flags = [Fp::ZERO; MAX_CATEGORIES];
        if let Some(flag) = flags.get_mut(usize::from(opening.category)) {
            *flag = Fp::ONE;
        }
        Self {
            amount: Fp::from(opening.amount),
            category: Fp::from(u64::from(opening.category)),
            salt: opening.salt,
            real: Fp::from(u64::from(real)),
            flags,
        }
    }

    /// The slot's packed value `a + 2⁶⁴·c` as the circuit computes it.
    pub(crate) fn packed(&self) -> Fp {
        self.amount + self.category * Fp::from_u128(1 << 64)
    }
}

#[derive(Clone)]
pub(crate) struct ChunkWitness {
    pub(crate) slots: Vec<SlotWitness>,
    pub(crate) before: [Fp; MAX_CATEGORIES],
    pub(crate) before_blinding: Fp,
    pub(crate) after_blinding: Fp,
    /// Tests only: added to one accumulator cell `(slot, category)`.
    pub(crate) acc_tamper: Option<(usize, usize, Fp)>,
}

impl ChunkWitness {
    /// The totals after the chunk, as the circuit accumulates them.
    pub(crate) fn after(&self) -> [Fp; MAX_CATEGORIES] {
        let mut acc = self.before;
        for slot in &self.slots {
            for (total, flag) in acc.iter_mut().zip(slot.flags) {
                *total += flag * slot.amount;
            }
        }
        acc
    }
}

/// One chunk of a period: the statement for one halo2 proof.
///
/// Build it with [`FundsChunkCircuit::new`] to prove, or
/// [`FundsChunkCircuit::for_keygen`] to generate keys; halo2 proves it as
/// the [`ChunkCircuit`] of its shape's layout ([`in_layout!`]).
#[derive(Clone)]
pub struct FundsChunkCircuit {
    shape: FundsShape,
    witness: Option<ChunkWitness>,
}

impl core::fmt::Debug for FundsChunkCircuit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FundsChunkCircuit")
            .field("shape", &self.shape)
            .field("witness", &self.witness.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

impl FundsChunkCircuit {
    /// The circuit without a witness, for key generation.
    pub fn for_keygen(shape: FundsShape) -> Self {
        Self {
            shape,
            witness: None,
        }
    }

    /// The circuit for a chunk of at most `chunk_size` openings (the rest
    /// is padding), starting from `before` totals (one per category)
    /// committed with `before_blinding` and ending with `after_blinding`.
    ///
    /// The caller checks the openings' categories (see
    /// [`category_totals`](super::category_totals)); an out-of-range
    /// category makes an unsatisfied circuit, not a panic.
    ///
    /// # Panics
    ///
    /// If there are more openings than the chunk size or more totals than
    /// [`MAX_CATEGORIES`].
    pub fn new(
        shape: FundsShape,
        openings: &[ItemOpening],
        before: &[Fp],
        before_blinding: Fp,
        after_blinding: Fp,
    ) -> Self {
        assert!(openings.len() <= shape.chunk_size(), "chunk overflow");
        assert!(before.len() <= MAX_CATEGORIES, "at most 16 totals");
        let mut slots: Vec<SlotWitness> = openings
            .iter()
            .map(|opening| SlotWitness::from_opening(opening, true))
            .collect();
        slots.resize(
            shape.chunk_size(),
            SlotWitness::from_opening(&ItemOpening::PADDING, false),
        );
        let mut totals = [Fp::ZERO; MAX_CATEGORIES];
        totals[..before.len()].copy_from_slice(before);
        Self {
            shape,
            witness: Some(ChunkWitness {
                slots,
                before: totals,
                before_blinding,
                after_blinding,
                acc_tamper: None,
            }),
        }
    }

    /// The chunk's shape.
    pub fn shape(&self) -> FundsShape {
        self.shape
    }

    /// The totals after this chunk (the first `categories` entries), if the
    /// circuit has a witness.
    pub fn totals_after(&self) -> Option<Vec<Fp>> {
        self.witness
            .as_ref()
            .map(|w| w.after()[..self.shape.categories()].to_vec())
    }

    #[cfg(test)]
    pub(crate) fn witness_mut(&mut self) -> &mut ChunkWitness {
        self.witness.as_mut().expect("a proving circuit")
    }

    #[cfg(test)]
    pub(crate) fn witness(&self) -> &ChunkWitness {
        self.witness.as_ref().expect("a proving circuit")
    }
}

/// The halo2 circuit of a chunk in the layout with `HASHERS` Poseidon
/// chips ([`FundsLayout::hashers`](super::FundsLayout::hashers)). halo2
/// configures a circuit without its value, so the layout is a type:
/// [`in_layout!`] picks it from the shape. Synthesis refuses a chunk whose
/// shape names another layout.
#[derive(Clone, Debug)]
pub struct ChunkCircuit<const HASHERS: usize>(pub FundsChunkCircuit);

/// Evaluates `$body` with `$c` bound to the [`ChunkCircuit`] of `$circuit`
/// (a [`FundsChunkCircuit`], moved) in its shape's layout.
macro_rules! in_layout {
    ($circuit:expr, |$c:ident| $body:expr) => {{
        let circuit: $crate::funds::circuit::FundsChunkCircuit = $circuit;
        match circuit.shape().layout() {
            $crate::funds::FundsLayout::OneHasher => {
                let $c = $crate::funds::circuit::ChunkCircuit::<1>(circuit);
                $body
            }
            $crate::funds::FundsLayout::TwoHashers => {
                let $c = $crate::funds::circuit::ChunkCircuit::<2>(circuit);
                $body
            }
        }
    }};
}
pub(crate) use in_layout;

impl<const HASHERS: usize> Circuit<Fp> for ChunkCircuit<HASHERS> {
    type Config = FundsConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        Self(FundsChunkCircuit::for_keygen(self.0.shape))
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> FundsConfig {
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        let constants = meta.fixed_column();
        meta.enable_constant(constants);

        let mut advice = || meta.advice_column();
        let [amount, category, packed, salt, real, count, flag, acc, ones] =
            [(); 9].map(|()| advice());
        let running_sum = meta.advice_column();
        let state = [(); 3].map(|()| meta.advice_column());
        let partial_sbox = meta.advice_column();
        for column in [amount, packed, salt, count, acc, ones] {
            meta.enable_equality(column);
        }
        let cat_index = meta.fixed_column();
        let cat_allowed = meta.fixed_column();
        let rc_a = [(); 3].map(|()| meta.fixed_column());
        let rc_b = [(); 3].map(|()| meta.fixed_column());

        let q_item = meta.selector();
        let q_mono = meta.selector();
        let q_cat = meta.selector();
        let q_rest = meta.selector();
        let q_last = meta.selector();
        let table = meta.lookup_table_column();

        let block = Rotation(-(BLOCK as i32));
        let two_64 = Expression::Constant(Fp::from_u128(1 << 64));
        let one = || Expression::Constant(Fp::ONE);

        meta.create_gate("item row", |meta| {
            let q = meta.query_selector(q_item);
            let a = meta.query_advice(amount, Rotation::cur());
            let c = meta.query_advice(category, Rotation::cur());
            let p = meta.query_advice(packed, Rotation::cur());
            let r = meta.query_advice(real, Rotation::cur());
            let n = meta.query_advice(count, Rotation::cur());
            let n_prev = meta.query_advice(count, block);
            let ones_cur = meta.query_advice(ones, Rotation::cur());
            let f = meta.query_advice(flag, Rotation::cur());
            Constraints::with_selector(
                q,
                [
                    ("real is boolean", r.clone() * (one() - r.clone())),
                    ("padding amount is 0", (one() - r.clone()) * a.clone()),
                    ("packing", p - a - c * two_64),
                    ("count", n - n_prev - r),
                    ("flag count starts", ones_cur - f),
                ],
            )
        });

        meta.create_gate("real items first", |meta| {
            let q = meta.query_selector(q_mono);
            let r = meta.query_advice(real, Rotation::cur());
            let r_prev = meta.query_advice(real, block);
            Constraints::with_selector(q, [r * (one() - r_prev)])
        });

        meta.create_gate("category row", |meta| {
            let q = meta.query_selector(q_cat);
            let f = meta.query_advice(flag, Rotation::cur());
            let c = meta.query_advice(category, Rotation::cur());
            let a = meta.query_advice(amount, Rotation::cur());
            let t = meta.query_advice(acc, Rotation::cur());
            let t_prev = meta.query_advice(acc, block);
            let j = meta.query_fixed(cat_index);
            let allowed = meta.query_fixed(cat_allowed);
            Constraints::with_selector(
                q,
                [
                    ("flag is boolean", f.clone() * (one() - f.clone())),
                    ("flag only for the category", f.clone() * (c - j)),
                    (
                        "flag only for the shape's categories",
                        f.clone() * (one() - allowed),
                    ),
                    ("accumulate", t - t_prev - f * a),
                ],
            )
        });

        meta.create_gate("block continues", |meta| {
            let q = meta.query_selector(q_rest);
            let a = meta.query_advice(amount, Rotation::cur());
            let a_prev = meta.query_advice(amount, Rotation::prev());
            let c = meta.query_advice(category, Rotation::cur());
            let c_prev = meta.query_advice(category, Rotation::prev());
            let s = meta.query_advice(ones, Rotation::cur());
            let s_prev = meta.query_advice(ones, Rotation::prev());
            let f = meta.query_advice(flag, Rotation::cur());
            Constraints::with_selector(
                q,
                [
                    ("same amount", a - a_prev),
                    ("same category", c - c_prev),
                    ("flag count", s - s_prev - f),
                ],
            )
        });

        meta.create_gate("exactly one flag", |meta| {
            let q = meta.query_selector(q_last);
            let s = meta.query_advice(ones, Rotation::cur());
            Constraints::with_selector(q, [s - one()])
        });

        let range = LookupRangeCheckConfig::configure(meta, running_sum, table);
        let mut poseidon = vec![Pow5Chip::configure::<P128Pow5T3>(
            meta,
            state,
            partial_sbox,
            rc_a,
            rc_b,
        )];
        // Further chips after every column of the first, so that the
        // one-chip layout's columns (and so its verifying key) are the
        // same as before layouts existed.
        for _ in 1..HASHERS {
            let state = [(); 3].map(|()| meta.advice_column());
            let partial_sbox = meta.advice_column();
            let rc_a = [(); 3].map(|()| meta.fixed_column());
            let rc_b = [(); 3].map(|()| meta.fixed_column());
            poseidon.push(Pow5Chip::configure::<P128Pow5T3>(
                meta,
                state,
                partial_sbox,
                rc_a,
                rc_b,
            ));
        }

        FundsConfig {
            instance,
            amount,
            category,
            packed,
            salt,
            real,
            count,
            flag,
            acc,
            ones,
            cat_index,
            cat_allowed,
            q_item,
            q_mono,
            q_cat,
            q_rest,
            q_last,
            table,
            range,
            poseidon,
        }
    }

    fn synthesize(&self, config: FundsConfig, layouter: impl Layouter<Fp>) -> Result<(), Error> {
        if self.0.shape.layout().hashers() != HASHERS {
            return Err(Error::Synthesis);
        }
        self.0.synthesize(config, layouter)
    }
}

impl FundsChunkCircuit {
    fn synthesize(
        &self,
        config: FundsConfig,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<(), Error> {
        let n_slots = self.shape.chunk_size();
        let categories = self.shape.categories();
        let hasher =
            |i: usize| Pow5Chip::construct(config.poseidon[i % config.poseidon.len()].clone());
        let w = self.witness.as_ref();
        let known = |f: &dyn Fn(&ChunkWitness) -> Fp| match w {
            Some(w) => Value::known(f(w)),
            None => Value::unknown(),
        };

        layouter.assign_table(
            || "10-bit words",
            |mut table| {
                for index in 0..(1 << WORD_BITS) {
                    table.assign_cell(
                        || "word",
                        config.table,
                        index,
                        || Value::known(Fp::from(index as u64)),
                    )?;
                }
                Ok(())
            },
        )?;

        struct SlotCells {
            amount: AssignedCell<Fp, Fp>,
            packed: AssignedCell<Fp, Fp>,
            salt: AssignedCell<Fp, Fp>,
        }

        let (slots, before, after, count) = layouter.assign_region(
            || "items",
            |mut region| {
                // Header block: totals before, count 0.
                let mut before = Vec::with_capacity(BLOCK);
                for j in 0..BLOCK {
                    before.push(region.assign_advice(
                        || "total before",
                        config.acc,
                        j,
                        || known(&|w| w.before[j]),
                    )?);
                }
                region.assign_advice_from_constant(|| "count 0", config.count, 0, Fp::ZERO)?;

                let mut running = w.map(|w| w.before);
                let mut count = Value::known(Fp::ZERO);
                let mut slots = Vec::with_capacity(n_slots);
                let mut after = Vec::new();
                let mut count_cell = None;
                for i in 0..n_slots {
                    let base = BLOCK * (i + 1);
                    let slot = |f: &dyn Fn(&SlotWitness) -> Fp| known(&|w| f(&w.slots[i]));
                    config.q_item.enable(&mut region, base)?;
                    if i > 0 {
                        config.q_mono.enable(&mut region, base)?;
                    }
                    let packed = region.assign_advice(
                        || "packed",
                        config.packed,
                        base,
                        || slot(&|s| s.packed()),
                    )?;
                    let salt =
                        region.assign_advice(|| "salt", config.salt, base, || slot(&|s| s.salt))?;
                    let real = slot(&|s| s.real);
                    region.assign_advice(|| "real", config.real, base, || real)?;
                    count = count + real;
                    let cell = region.assign_advice(|| "count", config.count, base, || count)?;
                    count_cell = Some(cell);

                    let mut amount_cell = None;
                    let mut ones = Value::known(Fp::ZERO);
                    after.clear();
                    for j in 0..BLOCK {
                        let row = base + j;
                        config.q_cat.enable(&mut region, row)?;
                        if j > 0 {
                            config.q_rest.enable(&mut region, row)?;
                        }
                        if j == BLOCK - 1 {
                            config.q_last.enable(&mut region, row)?;
                        }
                        region.assign_fixed(
                            || "category index",
                            config.cat_index,
                            row,
                            || Value::known(Fp::from(j as u64)),
                        )?;
                        region.assign_fixed(
                            || "category allowed",
                            config.cat_allowed,
                            row,
                            || Value::known(Fp::from(u64::from(j < categories))),
                        )?;
                        let a = region.assign_advice(
                            || "amount",
                            config.amount,
                            row,
                            || slot(&|s| s.amount),
                        )?;
                        if j == 0 {
                            amount_cell = Some(a);
                        }
                        region.assign_advice(
                            || "category",
                            config.category,
                            row,
                            || slot(&|s| s.category),
                        )?;
                        let f = slot(&|s| s.flags[j]);
                        region.assign_advice(|| "flag", config.flag, row, || f)?;
                        ones = ones + f;
                        region.assign_advice(|| "flag count", config.ones, row, || ones)?;
                        let total = match (w, running.as_mut()) {
                            (Some(w), Some(running)) => {
                                let s = &w.slots[i];
                                running[j] += s.flags[j] * s.amount;
                                let mut value = running[j];
                                if let Some((ti, tj, delta)) = w.acc_tamper
                                    && (ti, tj) == (i, j)
                                {
                                    value += delta;
                                    running[j] = value;
                                }
                                Value::known(value)
                            }
                            _ => Value::unknown(),
                        };
                        after.push(region.assign_advice(|| "total", config.acc, row, || total)?);
                    }
                    slots.push(SlotCells {
                        amount: amount_cell.expect("a block has rows"),
                        packed,
                        salt,
                    });
                }
                let count_cell = count_cell.expect("a chunk has slots");
                Ok((slots, before, after, count_cell))
            },
        )?;

        let blindings = layouter.assign_region(
            || "blindings",
            |mut region| {
                let before = region.assign_advice(
                    || "blinding before",
                    config.salt,
                    0,
                    || known(&|w| w.before_blinding),
                )?;
                let after = region.assign_advice(
                    || "blinding after",
                    config.salt,
                    1,
                    || known(&|w| w.after_blinding),
                )?;
                Ok([before, after])
            },
        )?;

        layouter.constrain_instance(count.cell(), config.instance, COUNT_ROW)?;
        let [before_blinding, after_blinding] = blindings;
        for (chip, (totals, blinding, row)) in [
            (before, before_blinding, BEFORE_ROW),
            (after, after_blinding, AFTER_ROW),
        ]
        .into_iter()
        .enumerate()
        {
            let mut message = totals;
            message.push(blinding);
            let message: [AssignedCell<Fp, Fp>; MAX_CATEGORIES + 1] =
                message.try_into().expect("16 totals and a blinding");
            let hasher = PoseidonHash::<
                _,
                _,
                P128Pow5T3,
                ConstantLength<{ MAX_CATEGORIES + 1 }>,
                3,
                2,
            >::init(
                hasher(chip), layouter.namespace(|| "totals hash init")
            )?;
            let digest = hasher.hash(layouter.namespace(|| "totals hash"), message)?;
            layouter.constrain_instance(digest.cell(), config.instance, row)?;
        }

        for (i, slot) in slots.into_iter().enumerate() {
            let words = config.range.copy_check(
                layouter.namespace(|| "amount words"),
                slot.amount,
                FULL_WORDS,
                false,
            )?;
            config.range.copy_short_check(
                layouter.namespace(|| "amount top bits"),
                words[FULL_WORDS].clone(),
                TOP_BITS,
            )?;
            let item_hasher = PoseidonHash::<_, _, P128Pow5T3, ConstantLength<2>, 3, 2>::init(
                hasher(i),
                layouter.namespace(|| "item hash init"),
            )?;
            let digest =
                item_hasher.hash(layouter.namespace(|| "item hash"), [slot.packed, slot.salt])?;
            layouter.constrain_instance(digest.cell(), config.instance, ITEMS_ROW + i)?;
        }
        Ok(())
    }
}

/// The public inputs of a chunk, in the instance layout of this module.
pub fn chunk_instance(count: usize, before: Fp, after: Fp, commitments: &[Fp]) -> Vec<Fp> {
    let mut instance = Vec::with_capacity(ITEMS_ROW + commitments.len());
    instance.push(Fp::from(count as u64));
    instance.push(before);
    instance.push(after);
    instance.extend_from_slice(commitments);
    instance
}

/// Items' commitments filled up to the chunk size with the padding
/// commitment.
pub fn padded_commitments(commitments: &[Fp], chunk_size: usize) -> Vec<Fp> {
    let mut padded = commitments.to_vec();
    padded.resize(
        chunk_size.max(commitments.len()),
        super::padding_commitment(),
    );
    padded
}

#[cfg(test)]
mod tests;
