//! Why an iden3 binary file was refused.

/// A malformed, non-canonical or mismatched `.r1cs`, `.wtns` or `.zkey`
/// file. Every check runs before anything is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The first four bytes are not the expected magic.
    #[error("not a .{expected} file (wrong magic bytes)")]
    Magic {
        /// The expected file type, e.g. `zkey`.
        expected: &'static str,
    },
    /// A file version this reader does not know.
    #[error("unsupported .{file} version {found}")]
    Version {
        /// The file type.
        file: &'static str,
        /// The version in the file.
        found: u32,
    },
    /// The file ends inside a header, a section or a value.
    #[error("truncated file: it ends inside {what}")]
    Truncated {
        /// What was being read.
        what: &'static str,
    },
    /// A section the format requires is absent or appears twice.
    #[error("section {id} is {problem}")]
    Section {
        /// The section id.
        id: u32,
        /// `missing` or `duplicated`.
        problem: &'static str,
    },
    /// Bytes left over at the end of a section.
    #[error("{what} has {extra} unexpected trailing bytes")]
    TrailingBytes {
        /// The section.
        what: &'static str,
        /// How many bytes are left.
        extra: usize,
    },
    /// A field other than BN254's, or a field element of the wrong width.
    #[error("{what} is not over BN254")]
    WrongField {
        /// Which header.
        what: &'static str,
    },
    /// A field element at or above its modulus.
    #[error("{what} holds a non-canonical field element")]
    NonCanonical {
        /// Which value.
        what: &'static str,
    },
    /// A point that is not on its curve.
    #[error("{what} point {index} is not on the curve")]
    NotOnCurve {
        /// The section.
        what: &'static str,
        /// The point's index in it.
        index: usize,
    },
    /// A point outside the prime-order subgroup.
    #[error("{what} point {index} is not in the prime-order subgroup")]
    NotInSubgroup {
        /// The section.
        what: &'static str,
        /// The point's index in it.
        index: usize,
    },
    /// A protocol or feature this reader does not support.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    /// The file is for another circuit than the one it is used with.
    #[error("the file does not fit the circuit: {what} is {found}, the circuit has {expected}")]
    CircuitMismatch {
        /// What differs.
        what: &'static str,
        /// The circuit's value.
        expected: String,
        /// The file's value.
        found: String,
    },
    /// A count in the file exceeds what any supported circuit needs.
    #[error("{what} is {found}, more than the supported {limit}")]
    TooLarge {
        /// What was counted.
        what: &'static str,
        /// The count in the file.
        found: u64,
        /// The limit.
        limit: u64,
    },
}
