//! Why a land record or a parcel's history is refused.

use crate::codec::CodecError;

/// Why a land record or history is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LandError {
    /// The payload is not a canonical encoding.
    #[error("malformed payload: {0}")]
    Malformed(#[from] CodecError),
    /// A field breaks a rule (id syntax, key encoding, zero area…).
    #[error("invalid {0}")]
    Invalid(String),
    /// The record's kind is not a land kind or does not match its terms.
    #[error("record kind {0:?} does not match its payload")]
    KindMismatch(String),
    /// Land records are signed by the registrar.
    #[error("land records must be signed by the registrar")]
    Unsigned,
    /// No parcel has this id.
    #[error("unknown parcel {0:?}")]
    UnknownParcel(String),
    /// The parcel id is taken.
    #[error("parcel {0:?} is already registered")]
    ParcelExists(String),
    /// The record is not signed by the registrar that registered the parcel.
    #[error("only the registrar of parcel {0:?} may record its events")]
    NotRegistrar(String),
    /// The terms are for another title version than the next one.
    #[error(
        "stale terms for parcel {parcel:?}: they are for version {got}, the next is {expected}"
    )]
    StaleVersion {
        /// The parcel.
        parcel: String,
        /// The version the next event must have.
        expected: u64,
        /// The version in the terms.
        got: u64,
    },
    /// The terms name another previous event than the title's latest.
    #[error("the terms for parcel {0:?} do not follow its latest event")]
    WrongPrevious(String),
    /// A party's signature over the terms is missing or does not verify.
    #[error("the {0}'s signature over the terms does not verify")]
    BadSignature(&'static str),
    /// The parcel has active liens; they must be released first.
    #[error("parcel {parcel:?} has {liens} active lien(s); the lienholder must release them first")]
    UnderLien {
        /// The parcel.
        parcel: String,
        /// Active liens.
        liens: usize,
    },
    /// No active lien has this id.
    #[error("parcel {0:?} has no such active lien")]
    UnknownLien(String),
    /// The buyer already owns the parcel.
    #[error("the buyer already owns parcel {0:?}")]
    SameOwner(String),
    /// The credential change a record carries does not match the title.
    #[error("the title credential change does not match the title: {0}")]
    CredentialMismatch(&'static str),
    /// A history is empty, or mixes parcels.
    #[error("history: {0}")]
    History(String),
}

/// Result alias of the land domain.
pub type LandResult<T> = std::result::Result<T, LandError>;
