//! The crate's error type.

/// What can go wrong in this crate's native (out-of-circuit) code.
///
/// Gadgets (the `r1cs` feature) report `ark_relations`' `SynthesisError`
/// instead, as arkworks gadgets do.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CircuitError {
    /// Poseidon was asked to hash a number of inputs it has no parameters
    /// for (circomlib's parameters cover 1 to 15 inputs).
    #[error("Poseidon hashes 1 to 15 inputs, not {0}")]
    PoseidonArity(usize),
    /// A leaf index at or beyond the number of leaves in the tree.
    #[error("leaf index {index} is out of range for a tree of {size} leaves")]
    LeafIndexOutOfRange {
        /// The index that was asked for.
        index: usize,
        /// The number of leaves in the tree.
        size: usize,
    },
    /// A Merkle proof's index has bits set beyond its number of siblings, or
    /// it has more siblings than any tree can.
    #[error("Merkle proof index does not fit its siblings")]
    MalformedMerkleProof,
    /// A Merkle proof is longer than the circuit's maximum depth.
    #[error("Merkle proof of depth {depth} exceeds the circuit's maximum depth {max_depth}")]
    MerkleProofTooDeep {
        /// The number of siblings in the proof.
        depth: usize,
        /// The circuit's maximum depth.
        max_depth: usize,
    },
    /// A Merkle proof does not lead from its leaf to its root.
    #[error("Merkle proof does not lead to its root")]
    MerkleRootMismatch,
    /// A coordinate pair that is not a point of BabyJubJub.
    #[error("not a point on BabyJubJub")]
    PointNotOnCurve,
    /// An identity's secret scalar that is not below BabyJubJub's subgroup
    /// order l.
    #[error("secret scalar is not below the BabyJubJub subgroup order")]
    SecretScalarOutOfRange,
    /// A string that is not the canonical decimal form of a field element.
    #[error("not a canonical decimal BN254 scalar field element")]
    InvalidFieldElement,
    /// An eligibility circuit shape outside 1 ≤ depth ≤ 32, 1 ≤ attributes
    /// ≤ 8.
    #[error("no eligibility circuit of depth {depth} with {attributes} attributes")]
    InvalidShape {
        /// The requested maximum tree depth.
        depth: usize,
        /// The requested number of attributes.
        attributes: usize,
    },
    /// A credential with a number of attributes outside 1 to 8.
    #[error("a credential has 1 to 8 attributes, not {0}")]
    AttributeCount(usize),
    /// A statement whose attributes or predicates are not one per attribute
    /// of its shape.
    #[error("expected {expected} attributes or predicates, found {found}")]
    AttributeCountMismatch {
        /// The shape's number of attributes.
        expected: usize,
        /// The number given.
        found: usize,
    },
    /// A circuit path whose number of levels (siblings or path bits) is not
    /// the circuit's maximum depth.
    #[error("circuit path has {found} levels, the circuit has {expected}")]
    PathLengthMismatch {
        /// The circuit's maximum depth.
        expected: usize,
        /// The number of siblings or path bits in the path.
        found: usize,
    },
    /// A set predicate with no value or more than its 4 slots.
    #[error("a set predicate holds 1 to 4 values, not {0}")]
    SetSize(usize),
    /// An attribute that its predicate does not accept.
    #[error("attribute {attribute} does not satisfy its predicate")]
    PredicateFails {
        /// The attribute's position, from 0.
        attribute: usize,
    },
    /// A nullifier that is not the identity's nullifier for the scope.
    #[error("nullifier is not the identity's nullifier for the scope")]
    NullifierMismatch,
    /// A ballot circuit shape with a number of options outside 2 to 8 (one
    /// contest of choices), or over 16 in all (several contests).
    #[error("a ballot cannot have {0} options (2 to 8 choices, or up to 16 over its contests)")]
    BallotOptions(usize),
    /// A ballot layout with no contest or more than four.
    #[error("a ballot has 1 to 4 contests, not {0}")]
    ContestCount(usize),
    /// A contest with no option or more than eight.
    #[error("contest {contest} has {options} options; a contest has 1 to 8")]
    ContestOptions {
        /// The contest's position, from 0.
        contest: usize,
        /// Its number of options.
        options: usize,
    },
    /// A contest rule that is not `1 ≤ limit ≤ 15`, `min ≤ max ≤ limit ·
    /// options`.
    #[error(
        "contest {contest}: {min} to {max} points, at most {limit} per option, do not fit {options} options (1 ≤ limit ≤ 15, min ≤ max ≤ limit · options)"
    )]
    InvalidContestRule {
        /// The contest's position, from 0.
        contest: usize,
        /// The fewest points.
        min: u64,
        /// The most points.
        max: u64,
        /// The most points per option.
        limit: u64,
        /// The contest's number of options.
        options: usize,
    },
    /// Contest rules that are not one per contest of the shape.
    #[error("expected one rule per contest ({expected}), found {found}")]
    ContestRuleCountMismatch {
        /// The shape's number of contests.
        expected: usize,
        /// The number given.
        found: usize,
    },
    /// A value over its contest's per-option limit (the value is not
    /// reported).
    #[error("the value for option {option} is over the limit of {limit}")]
    ChoiceOverLimit {
        /// The option's position on the ballot, from 0.
        option: usize,
        /// The contest's limit.
        limit: u64,
    },
    /// A contest total outside the allowed range (the total is not
    /// reported: it is part of the secret ballot).
    #[error("the total of contest {contest} is not between {min} and {max}")]
    ContestTotalOutOfRange {
        /// The contest's position, from 0.
        contest: usize,
        /// The fewest points allowed.
        min: u64,
        /// The most points allowed.
        max: u64,
    },
    /// A ballot statement whose eligibility part has another shape than the
    /// ballot's.
    #[error("the eligibility statement's shape is not the ballot's")]
    BallotShapeMismatch,
    /// A range of allowed choices that is not `min ≤ max ≤ options`.
    #[error("choices from {min} to {max} do not fit a ballot of {options} options")]
    InvalidChoiceRange {
        /// The fewest choices allowed.
        min: u64,
        /// The most choices allowed.
        max: u64,
        /// The ballot's number of options.
        options: usize,
    },
    /// Ciphertexts, choices or randomness that are not one per option.
    #[error("expected one entry per option ({expected}), found {found}")]
    OptionCountMismatch {
        /// The ballot's number of options.
        expected: usize,
        /// The number given.
        found: usize,
    },
    /// An election key outside BabyJubJub's prime-order subgroup.
    #[error("the election key is not in BabyJubJub's prime-order subgroup")]
    ElectionKeyNotInSubgroup,
    /// A v3 shape (the election key a constant of the circuit) of a v1
    /// layout: only ballots of contests have one.
    #[error("only a ballot of contests can fix the election key in its circuit")]
    KeyedShapeNeedsContests,
    /// The identity as the election key: every ciphertext would show its
    /// value.
    #[error("the election key is the identity, which encrypts nothing")]
    WeakElectionKey,
    /// A statement whose election key is not the one its v3 circuit fixes.
    #[error("the election key is not the one the ballot circuit is made for")]
    ElectionKeyMismatch,
    /// A choice that is neither 0 nor 1 (the value is not reported).
    #[error("the choice for option {option} is neither 0 nor 1")]
    ChoiceNotBinary {
        /// The option's position, from 0.
        option: usize,
    },
    /// A number of choices outside the allowed range (the number itself is
    /// not reported: it is part of the secret ballot).
    #[error("the number of choices is not between {min} and {max}")]
    ChoiceCountOutOfRange {
        /// The fewest choices allowed.
        min: u64,
        /// The most choices allowed.
        max: u64,
    },
    /// A ciphertext that is not the encryption of its choice with its
    /// randomness under the election key.
    #[error("the ciphertext for option {option} does not encrypt its choice")]
    CiphertextMismatch {
        /// The option's position, from 0.
        option: usize,
    },
}

/// `Result` with [`CircuitError`] as the default error.
pub type Result<T, E = CircuitError> = core::result::Result<T, E>;
