//! The public-funds statement's error type.

/// What can go wrong when committing, proving, encoding or verifying a
/// period's per-category totals.
///
/// No variant carries an amount, a salt or a blinding factor.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FundsError {
    /// A chunk shape outside 1 ≤ chunk size ≤ [`MAX_CHUNK_SIZE`](super::MAX_CHUNK_SIZE),
    /// 1 ≤ categories ≤ [`MAX_CATEGORIES`](super::MAX_CATEGORIES).
    #[error("no funds circuit with chunks of {chunk_size} items and {categories} categories")]
    InvalidShape {
        /// The requested number of items per chunk.
        chunk_size: usize,
        /// The requested number of categories.
        categories: usize,
    },
    /// An item whose category is not below the shape's number of categories.
    #[error("item {item} has category {category}, the period has {categories} categories")]
    CategoryOutOfRange {
        /// The item's position in the period, from 0.
        item: usize,
        /// The item's category.
        category: u16,
        /// The shape's number of categories.
        categories: usize,
    },
    /// Published totals that are not one per category of the shape.
    #[error("expected {expected} published totals, found {found}")]
    TotalsCount {
        /// The shape's number of categories.
        expected: usize,
        /// The number of totals given.
        found: usize,
    },
    /// A period with more items than one report may hold.
    #[error("a period holds at most {max} items, not {found}")]
    TooManyItems {
        /// The largest number of items per period.
        max: usize,
        /// The number of items given.
        found: usize,
    },
    /// Bytes that are not the canonical little-endian encoding of a Pallas
    /// base field element (at or above the modulus).
    #[error("not a canonical Pallas field element")]
    NonCanonicalField,
    /// A period proof whose bytes do not follow its encoding.
    #[error("malformed period proof: {0}")]
    MalformedProof(&'static str),
    /// A period proof made for another circuit shape than the verifying key's.
    #[error("proof is for another circuit shape than the verifying key")]
    ShapeMismatch,
    /// A period proof whose number of chunk proofs does not cover the logged
    /// items (one chunk per started `chunk_size` items, at least one).
    #[error("period of {items} items needs {expected} chunk proofs, found {found}")]
    ChunkCount {
        /// The number of logged items.
        items: usize,
        /// The number of chunks those items need.
        expected: usize,
        /// The number of chunk proofs in the period proof.
        found: usize,
    },
    /// A chunk whose running-totals commitment before it is not the one
    /// after the previous chunk (or, for chunk 0, the all-zero totals with
    /// blinding 0).
    #[error("chunk {chunk} does not start from the running totals the previous chunk ended with")]
    ChainBroken {
        /// The chunk's position, from 0.
        chunk: usize,
    },
    /// The last chunk's running-totals commitment does not open to the
    /// published totals with the published final blinding.
    #[error("the proven totals are not the published totals")]
    TotalsMismatch,
    /// A chunk proof that does not verify against the logged commitments of
    /// its chunk.
    #[error("chunk {chunk}'s proof does not verify")]
    ChunkProofInvalid {
        /// The chunk's position, from 0.
        chunk: usize,
    },
    /// An encoded chunk job does not decode (the reason holds no witness
    /// value).
    #[error("malformed chunk job: {0}")]
    MalformedJob(&'static str),
    /// A chunk proof handed back for a planned period is not the one its
    /// plan asks for: wrong count, or other running-totals commitments.
    #[error("chunk {chunk}'s proof is not for the planned chunk")]
    NotThePlannedChunk {
        /// The chunk's position, from 0.
        chunk: usize,
    },
    /// halo2 failed to synthesize, key or prove a circuit (the message is
    /// halo2's and holds no witness value).
    #[error("halo2: {0}")]
    Halo2(String),
    /// Reading or writing cached parameters failed.
    #[error("parameter cache: {0}")]
    Io(String),
}

/// `Result` with [`FundsError`] as the default error.
pub type Result<T, E = FundsError> = core::result::Result<T, E>;
