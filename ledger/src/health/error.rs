//! Why a health record is refused, or an offline check fails.

use crate::codec::CodecError;

/// Why a health record is refused, or a check fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HealthError {
    /// The payload is not a canonical encoding.
    #[error("malformed payload: {0}")]
    Malformed(#[from] CodecError),
    /// A field breaks its rule (id syntax, zero quantity, bad key…).
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// Health records must be signed.
    #[error("health records must be signed by their author")]
    Unsigned,
    /// Only the site that logged an administration may correct it.
    #[error("only the site that logged the administration may declare it erroneous")]
    NotTheSite,
    /// A record version out of sequence.
    #[error("record {record:?} is at version {current}; the next version is {}", current + 1)]
    VersionOutOfSequence {
        /// The record id.
        record: String,
        /// Its latest logged version (0: none).
        current: u32,
    },
    /// An access names a record version that was never committed.
    #[error("no committed record {record:?} version {version} for this patient")]
    UnknownRecord {
        /// The record id.
        record: String,
        /// The version.
        version: u32,
    },
    /// A consent signed by a key no hospital has named as a patient: only
    /// a patient with a committed record may grant consent, so that fresh
    /// keys cannot fill the append-only log with grants.
    #[error(
        "no committed record names this key as a patient; a patient may grant consent once a hospital has committed one of their records"
    )]
    UnknownPatient,
    /// The consent id is taken for this patient.
    #[error("consent {0:?} already exists")]
    ConsentExists(String),
    /// No such consent of this patient (or already revoked).
    #[error("patient has no live consent {0:?}")]
    UnknownConsent(String),
    /// A lot that was never registered: counterfeit or mistyped.
    #[error("unknown lot {0:?}: never registered by a manufacturer")]
    UnknownLot(String),
    /// The lot number is taken.
    #[error("lot {0:?} is already registered")]
    LotExists(String),
    /// A sender or site moves more than it holds.
    #[error("{action} of {requested} from lot {lot:?} but the holder has only {held}")]
    OverQuantity {
        /// `"transfer"` or `"administration"`.
        action: &'static str,
        /// The lot.
        lot: String,
        /// Units requested.
        requested: u64,
        /// Units the holder has.
        held: u64,
    },
    /// A quantity above [`MAX_QUANTITY`](super::MAX_QUANTITY) or a sum that would overflow.
    #[error("quantity overflow: {0}")]
    QuantityOverflow(String),
    /// Doses administered at or after the lot's expiry.
    #[error("lot {lot:?} expired at {expiry_ms} ms; administration at {at_ms} ms")]
    Expired {
        /// The lot.
        lot: String,
        /// Its expiry.
        expiry_ms: u64,
        /// The administration time.
        at_ms: u64,
    },
    /// The receiver's countersignature does not verify.
    #[error("the receiver's countersignature does not verify")]
    BadCountersignature,
    /// Events out of order (time before the lot or the holder's stock existed, or log order broken).
    #[error("out of order: {0}")]
    OutOfOrder(String),
    /// An entry in a trace or access log that does not belong there.
    #[error("foreign entry: {0}")]
    Foreign(String),
    /// A check failed at a given log entry.
    #[error("log entry {index}: {source}")]
    AtEntry {
        /// The entry's log index.
        index: u64,
        /// What failed.
        source: Box<HealthError>,
    },
}

/// Result alias of the health domain.
pub type HealthResult<T> = std::result::Result<T, HealthError>;

pub(super) fn invalid<T>(field: &'static str, reason: impl Into<String>) -> HealthResult<T> {
    Err(HealthError::Invalid {
        field,
        reason: reason.into(),
    })
}
