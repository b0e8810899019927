//! Public funds: hidden line items, proven per-category totals.
//!
//! An agency logs each expenditure as a hiding commitment
//! [`item_commitment`] to an [`ItemOpening`] (amount in minor units,
//! category, salt). For a period it publishes per-category totals, a final
//! blinding factor and a [`PeriodProof`]: a chain of halo2 (IPA over Pasta,
//! no trusted setup) chunk proofs that the commitments logged for the period,
//! in log order, open to amounts in `[0, 2⁶⁴)` whose per-category sums are
//! the published totals.
//!
//! - this module: the native reference (commitments, totals, encodings);
//! - [`circuit`]: the halo2 chunk circuit and its instance layout;
//! - parameters and keys, with no trusted setup: [`FundsParams`],
//!   [`FundsProvingKey`], [`FundsVerifyingKey`] (their tests pin the
//!   verifying keys);
//! - planning a period apart from proving it, for provers on other
//!   machines: [`plan`] ([`plan_period`], [`ChunkJob`]);
//! - proving and verifying: [`prove_period`], [`verify_period`], and for a
//!   report logged in several records [`verify_chunk_run`] and
//!   [`verify_period_from`].
//!
//! # Hashing
//!
//! All hashes are halo2_gadgets' Poseidon `P128Pow5T3` over the Pallas base
//! field with `ConstantLength` domains:
//!
//! - item: `Poseidon₂(amount + 2⁶⁴·category, salt)`;
//! - running totals: `Poseidon₁₇(t₀, …, t₁₅, blinding)`, totals of categories
//!   the shape does not have are 0.
//!
//! The packing `amount + 2⁶⁴·category` is injective: the amount is below
//! 2⁶⁴ (range-checked in circuit) and the category below
//! [`MAX_CATEGORIES`] ≤ 2¹⁶, so the packed value is below 2⁸⁰, far under the
//! Pallas modulus (≈ 2²⁵⁴), and `(amount, category)` is its unique base-2⁶⁴
//! digit pair. One packed input instead of two keeps the item hash to a
//! single Poseidon permutation (rate 2).
//!
//! # No trusted setup
//!
//! IPA parameters are generated deterministically from `k`
//! ([`FundsParams::new`]); keys are generated deterministically from the
//! parameters and the circuit shape. A verifier regenerates both itself;
//! the on-disk cache ([`FundsParams::load_or_create`]) only saves time.
//! Because the verifying key is regenerated from the circuit's code, the
//! code *is* the key: the tests pin the verifying keys, so that no change
//! to the circuit, however harmless it looks, silently invalidates the
//! reports logged with the old one.
//!
//! # Chaining
//!
//! A period of `m` items is proved in `max(1, ⌈m / chunk size⌉)` chunks.
//! Chunk 0 starts from [`initial_totals_commitment`] (all-zero totals,
//! blinding 0); chunk `k` starts from the commitment chunk `k − 1` ended
//! with, each intermediate commitment with a fresh random blinding, so
//! per-chunk sums stay hidden; the last chunk ends with
//! [`totals_commitment`] of the published totals under the published final
//! blinding. All chunks but the last are full; the verifier takes the items
//! of each chunk from the log itself.
//!
//! # Encoding of a [`PeriodProof`]
//!
//! ```text
//! "zkfunds" and layout version    8 bytes: "zkfunds1" (one hasher),
//!                                 "zkfunds2" (two hashers)
//! chunk size                      u32 little-endian (1..=2¹⁶)
//! categories                      u8 (1..=16)
//! number of chunks m              u32 little-endian (1..=2²⁰)
//! m times:
//!   before commitment             32 bytes, canonical Pallas base element
//!   after commitment              32 bytes, canonical
//!   proof length ℓ                u32 little-endian (1..=2²⁰)
//!   halo2 proof                   ℓ bytes (Blake2b transcript)
//! ```
//!
//! Nothing may follow; [`PeriodProof::from_bytes`] rejects every deviation
//! ([`MAX_CHUNKS`], [`MAX_CHUNK_PROOF_BYTES`]).
//!
//! # Circuit versions
//!
//! The magic's last character names the [`FundsLayout`] the chunks were
//! proved in, and the verifier uses that layout's key. New proofs use
//! [`FundsLayout::CURRENT`] (version 2, `k` = 15 for 1,024 items); proofs
//! of version 1 (`k` = 16), logged before it, verify as they always did.
//! Both versions prove the same statement over the same public inputs, so
//! accepting either is as sound as the weaker, and both are sound. A
//! period's report is proved in one layout: the ledger refuses a report
//! part in another layout than the parts before it.

pub mod circuit;
mod error;
#[cfg(test)]
mod fixtures;
mod keys;
pub mod plan;
mod proof;
mod reader;

use core::fmt;

use ff::PrimeField;
use halo2_gadgets::poseidon::primitives::{ConstantLength, Hash, P128Pow5T3};
pub use pasta_curves::pallas;

pub use error::{FundsError, Result};
pub use keys::{FundsParams, FundsProvingKey, FundsVerifyingKey};
pub use plan::{ChunkJob, PeriodPlan, plan_period, prove_period};
pub use proof::{
    ChainStart, ChunkProof, MAX_CHUNK_PROOF_BYTES, MAX_CHUNKS, PeriodProof, PeriodReport,
    verify_chunk_run, verify_period, verify_period_from,
};

/// The largest number of categories a circuit shape may have; running
/// totals always commit to this many totals.
pub const MAX_CATEGORIES: usize = 16;

/// The largest number of items in one chunk.
pub const MAX_CHUNK_SIZE: usize = 1 << 16;

/// The largest number of items one period proof may cover (keeps every
/// total far below the field modulus: 2³⁰ · 2⁶⁴ = 2⁹⁴).
pub const MAX_PERIOD_ITEMS: usize = 1 << 30;

/// One expenditure's opening: what the agency keeps, the log holds only
/// [`item_commitment`] of it.
///
/// `Debug` shows the category only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ItemOpening {
    /// Amount in minor units (e.g. cents).
    pub amount: u64,
    /// Category or contract index, below the shape's number of categories.
    pub category: u16,
    /// Uniformly random salt that hides the amount.
    pub salt: pallas::Base,
}

impl fmt::Debug for ItemOpening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemOpening")
            .field("amount", &"<hidden>")
            .field("category", &self.category)
            .field("salt", &"<hidden>")
            .finish()
    }
}

impl ItemOpening {
    /// An opening with a fresh random salt.
    pub fn random(amount: u64, category: u16, mut rng: impl rand_core_halo2::Rng) -> Self {
        use ff::Field;
        Self {
            amount,
            category,
            salt: pallas::Base::random(&mut rng),
        }
    }

    /// The opening that fills unused slots of a chunk: amount 0, category 0,
    /// salt 0.
    pub const PADDING: Self = Self {
        amount: 0,
        category: 0,
        salt: pallas::Base::zero(),
    };
}

/// How the chunk circuit lays out its rows: one version of the circuit.
///
/// Every layout proves the same statement with the same public inputs; they
/// differ in columns and rows, so each has its own verifying key. A proof
/// names its layout (the last character of its magic, see the
/// [module documentation](self)) and is checked with that layout's key, so
/// that reports logged under an older layout keep verifying.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FundsLayout {
    /// Version 1: one Poseidon chip hashes every item and both running
    /// totals (41 rows per item: `k` = 16 for 1,024 items).
    OneHasher,
    /// Version 2: two Poseidon chips in their own columns share the hashes
    /// (about 20.5 rows per item: `k` = 15 for 1,024 items, half the rows
    /// of version 1).
    TwoHashers,
}

impl FundsLayout {
    /// The layout new proofs are made in.
    pub const CURRENT: Self = Self::TwoHashers;

    /// Every layout, oldest first.
    pub const ALL: [Self; 2] = [Self::OneHasher, Self::TwoHashers];

    /// The layout's version number (1, 2): the last character of the
    /// period-proof and job magics.
    pub const fn version(self) -> u8 {
        match self {
            Self::OneHasher => 1,
            Self::TwoHashers => 2,
        }
    }

    /// The layout of version `version`, if there is one.
    pub fn from_version(version: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.version() == version)
    }

    /// Number of Poseidon chips, each in its own columns.
    pub const fn hashers(self) -> usize {
        match self {
            Self::OneHasher => 1,
            Self::TwoHashers => 2,
        }
    }
}

/// A circuit shape: items per chunk, number of categories and the layout
/// (circuit version) the chunk is proved in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FundsShape {
    chunk_size: usize,
    categories: usize,
    layout: FundsLayout,
}

impl FundsShape {
    /// The production shape: 1,024 items per chunk, 16 categories, in the
    /// current layout.
    pub const PRODUCTION: Self = Self {
        chunk_size: 1024,
        categories: 16,
        layout: FundsLayout::CURRENT,
    };

    /// A shape with `chunk_size` items per chunk and `categories`
    /// categories (1 ≤ categories ≤ [`MAX_CATEGORIES`], 1 ≤ chunk size ≤
    /// [`MAX_CHUNK_SIZE`]), in the [current layout](FundsLayout::CURRENT).
    pub fn new(chunk_size: usize, categories: usize) -> Result<Self> {
        if !(1..=MAX_CHUNK_SIZE).contains(&chunk_size)
            || !(1..=MAX_CATEGORIES).contains(&categories)
        {
            return Err(FundsError::InvalidShape {
                chunk_size,
                categories,
            });
        }
        Ok(Self {
            chunk_size,
            categories,
            layout: FundsLayout::CURRENT,
        })
    }

    /// The same chunk size and categories in `layout`.
    pub const fn with_layout(self, layout: FundsLayout) -> Self {
        Self { layout, ..self }
    }

    /// The layout (circuit version) chunks are proved in.
    pub const fn layout(&self) -> FundsLayout {
        self.layout
    }

    /// Items per chunk.
    pub const fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// Number of categories.
    pub const fn categories(&self) -> usize {
        self.categories
    }

    /// The number of chunks a period of `items` items is proved in: one per
    /// started chunk, and one (all padding) for an empty period.
    pub const fn chunks_for(&self, items: usize) -> usize {
        if items == 0 {
            1
        } else {
            items.div_ceil(self.chunk_size)
        }
    }

    /// The circuit's size parameter: the chunk circuit has `2^k` rows.
    pub fn k(&self) -> u32 {
        circuit::min_k(self.chunk_size, self.layout.hashers())
    }
}

/// Packs amount and category into one field element: `amount + 2⁶⁴·category`
/// (injective, see the module documentation).
pub fn pack(amount: u64, category: u16) -> pallas::Base {
    pallas::Base::from_u128(u128::from(amount) | (u128::from(category) << 64))
}

/// An item's commitment: `Poseidon₂(amount + 2⁶⁴·category, salt)`.
pub fn item_commitment(opening: &ItemOpening) -> pallas::Base {
    poseidon2(pack(opening.amount, opening.category), opening.salt)
}

/// The commitment that stands for an unused slot of a chunk:
/// [`item_commitment`] of [`ItemOpening::PADDING`].
pub fn padding_commitment() -> pallas::Base {
    item_commitment(&ItemOpening::PADDING)
}

pub(crate) fn poseidon2(a: pallas::Base, b: pallas::Base) -> pallas::Base {
    Hash::<pallas::Base, P128Pow5T3, ConstantLength<2>, 3, 2>::init().hash([a, b])
}

/// The running-totals commitment `Poseidon₁₇(t₀, …, t₁₅, blinding)`; totals
/// beyond `totals.len()` are 0.
///
/// # Panics
///
/// If `totals` has more than [`MAX_CATEGORIES`] entries.
pub fn totals_commitment(totals: &[pallas::Base], blinding: pallas::Base) -> pallas::Base {
    assert!(totals.len() <= MAX_CATEGORIES, "at most 16 totals");
    let mut message = [pallas::Base::zero(); MAX_CATEGORIES + 1];
    message[..totals.len()].copy_from_slice(totals);
    message[MAX_CATEGORIES] = blinding;
    Hash::<pallas::Base, P128Pow5T3, ConstantLength<{ MAX_CATEGORIES + 1 }>, 3, 2>::init()
        .hash(message)
}

/// The commitment every period's first chunk starts from: all-zero totals,
/// blinding 0.
pub fn initial_totals_commitment() -> pallas::Base {
    totals_commitment(&[], pallas::Base::zero())
}

/// The totals as field elements (a `u128` is below the modulus).
pub fn totals_to_field(totals: &[u128]) -> Vec<pallas::Base> {
    totals.iter().map(|t| pallas::Base::from_u128(*t)).collect()
}

/// Per-category sums of the openings' amounts, one per category of the
/// shape; [`FundsError::CategoryOutOfRange`] for an item whose category is
/// not below `categories`.
pub fn category_totals(openings: &[ItemOpening], categories: usize) -> Result<Vec<u128>> {
    let mut totals = vec![0u128; categories];
    for (item, opening) in openings.iter().enumerate() {
        let slot = totals.get_mut(usize::from(opening.category)).ok_or(
            FundsError::CategoryOutOfRange {
                item,
                category: opening.category,
                categories,
            },
        )?;
        // At most 2³⁰ items of < 2⁶⁴ each: no overflow.
        *slot += u128::from(opening.amount);
    }
    Ok(totals)
}

/// The canonical 32-byte little-endian encoding of a Pallas base field
/// element.
pub fn field_to_bytes(element: &pallas::Base) -> [u8; 32] {
    element.to_repr()
}

/// Decodes [`field_to_bytes`] strictly: bytes at or above the modulus are
/// [`FundsError::NonCanonicalField`].
pub fn field_from_bytes(bytes: &[u8; 32]) -> Result<pallas::Base> {
    Option::from(pallas::Base::from_repr(*bytes)).ok_or(FundsError::NonCanonicalField)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ff::Field;

    #[test]
    fn packing_is_injective_on_its_domain() {
        assert_eq!(pack(5, 0), pallas::Base::from(5));
        assert_eq!(
            pack(u64::MAX, 1) + pallas::Base::one(),
            pallas::Base::from_u128(1 << 65)
        );
        assert_ne!(pack(0, 1), pack(u64::MAX, 0));
        let a = ItemOpening {
            amount: 7,
            category: 1,
            salt: pallas::Base::from(9),
        };
        let b = ItemOpening { category: 2, ..a };
        assert_ne!(item_commitment(&a), item_commitment(&b));
        assert_ne!(
            item_commitment(&a),
            item_commitment(&ItemOpening { amount: 8, ..a })
        );
    }

    #[test]
    fn category_totals_sum_per_category_and_reject_foreign_categories() {
        let salt = pallas::Base::ONE;
        let item = |amount, category| ItemOpening {
            amount,
            category,
            salt,
        };
        let items = [item(u64::MAX, 1), item(u64::MAX, 1), item(3, 0)];
        assert_eq!(
            category_totals(&items, 3),
            Ok(vec![3, 2 * u128::from(u64::MAX), 0])
        );
        assert_eq!(
            category_totals(&items, 1),
            Err(FundsError::CategoryOutOfRange {
                item: 0,
                category: 1,
                categories: 1
            })
        );
    }

    #[test]
    fn field_encoding_is_strict() {
        let x = -pallas::Base::ONE;
        assert_eq!(field_from_bytes(&field_to_bytes(&x)), Ok(x));
        // p itself, and 2²⁵⁶ − 1, are not canonical.
        let mut p = field_to_bytes(&x);
        p[0] += 1;
        assert_eq!(field_from_bytes(&p), Err(FundsError::NonCanonicalField));
        assert_eq!(
            field_from_bytes(&[0xff; 32]),
            Err(FundsError::NonCanonicalField)
        );
    }

    #[test]
    fn debug_hides_amount_and_salt() {
        let opening = ItemOpening {
            amount: 123_456_789,
            category: 3,
            salt: pallas::Base::from(987_654_321),
        };
        let shown = format!("{opening:?}");
        assert!(!shown.contains("123456789") && !shown.contains("3ade68b1"));
        assert!(shown.contains("category: 3"));
    }

    #[test]
    fn shapes_are_bounded() {
        assert!(FundsShape::new(0, 1).is_err());
        assert!(FundsShape::new(1, 0).is_err());
        assert!(FundsShape::new(1, 17).is_err());
        assert!(FundsShape::new(MAX_CHUNK_SIZE + 1, 1).is_err());
        let shape = FundsShape::new(4, 3).unwrap();
        assert_eq!(
            (
                shape.chunks_for(0),
                shape.chunks_for(4),
                shape.chunks_for(5)
            ),
            (1, 1, 2)
        );
    }
}
