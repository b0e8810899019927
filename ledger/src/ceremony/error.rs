//! Why a ceremony record is refused.

use crate::codec::CodecError;

/// Why a ceremony record is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CeremonyError {
    /// The payload is not a canonical encoding.
    #[error("malformed payload: {0}")]
    Malformed(#[from] CodecError),
    /// A field breaks a rule (id syntax, key encoding, beacon range…).
    #[error("invalid {0}")]
    Invalid(String),
    /// Not a ceremony kind.
    #[error("unknown ceremony record kind {0:?}")]
    UnknownKind(String),
    /// Ceremony records are signed.
    #[error("ceremony records must be signed")]
    Unsigned,
    /// The ceremony id is taken.
    #[error("ceremony {0:?} already exists")]
    Exists(String),
    /// Another ceremony for this shape is still open.
    #[error("ceremony {open:?} for shape {shape:?} is still open")]
    ShapeBusy {
        /// The shape.
        shape: String,
        /// The open ceremony.
        open: String,
    },
    /// No ceremony has this id.
    #[error("unknown ceremony {0:?}")]
    Unknown(String),
    /// The ceremony is finalised: it takes no more steps.
    #[error("ceremony {0:?} is finalised")]
    Finalised(String),
    /// The step has another number than the next one.
    #[error("ceremony {ceremony:?} expects step {expected}, not {got}")]
    WrongNumber {
        /// The ceremony.
        ceremony: String,
        /// The number the next step must have.
        expected: u32,
        /// The number in the record.
        got: u32,
    },
    /// The step extends another key than the ceremony's current one.
    #[error("the step does not extend ceremony {0:?}'s current key (it was built on a stale key)")]
    StaleKey(String),
    /// The contributor is not on the ceremony's list.
    #[error("this key is not on ceremony {0:?}'s list of contributors")]
    NotInvited(String),
    /// Only the authority that started a ceremony finalises it.
    #[error("only the authority that started ceremony {0:?} may finalise it")]
    NotCoordinator(String),
    /// A beacon alone is public: someone must have contributed before it.
    #[error("ceremony {0:?} has no contribution yet; a beacon alone keeps no secret")]
    NoContribution(String),
}

/// Result alias of the ceremony domain.
pub type CeremonyResult<T> = std::result::Result<T, CeremonyError>;
