//! Why an election record is refused.

use zkaudit_circuits::elgamal::ElGamalError;
use zkaudit_circuits::threshold::ThresholdError;

use super::Phase;
use crate::codec::CodecError;

/// Why an election record is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ElectionError {
    /// The payload is not a canonical encoding.
    #[error("malformed payload: {0}")]
    Malformed(#[from] CodecError),
    /// The election spec breaks a rule.
    #[error("invalid election: {0}")]
    InvalidSpec(String),
    /// A point, scalar or threshold object is invalid.
    #[error("invalid {what}: {reason}")]
    InvalidCrypto {
        /// Which object.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// No election has this id.
    #[error("unknown election {0:?}")]
    UnknownElection(String),
    /// The election id is taken.
    #[error("election {0:?} already exists")]
    ElectionExists(String),
    /// The record is not allowed in the election's current phase.
    #[error("election {election:?} is in phase {phase}, {action} is not allowed")]
    WrongPhase {
        /// The election.
        election: String,
        /// Its phase.
        phase: Phase,
        /// What was attempted.
        action: &'static str,
    },
    /// A ballot stamped after the election's voting window closed.
    #[error(
        "election {election:?} closed for voting at {} ({closes_at_ms} ms), the ballot is stamped {} ({stamped_ms} ms)",
        utc(*closes_at_ms),
        utc(*stamped_ms)
    )]
    CastAfterClose {
        /// The election.
        election: String,
        /// When voting closed (Unix ms).
        closes_at_ms: u64,
        /// The ballot record's timestamp (Unix ms).
        stamped_ms: u64,
    },
    /// An opening stamped before the election's voting window opens.
    #[error(
        "election {election:?} opens for voting at {} ({opens_at_ms} ms), the opening is stamped {} ({stamped_ms} ms)",
        utc(*opens_at_ms),
        utc(*stamped_ms)
    )]
    OpenedEarly {
        /// The election.
        election: String,
        /// When voting opens (Unix ms).
        opens_at_ms: u64,
        /// The opening record's timestamp (Unix ms).
        stamped_ms: u64,
    },
    /// The signer is not who may write this record.
    #[error("{0}")]
    NotAuthorised(String),
    /// A trustee already published this.
    #[error("trustee {trustee} already published its {what}")]
    AlreadyPublished {
        /// The trustee index.
        trustee: u32,
        /// What.
        what: &'static str,
    },
    /// The key ceremony has not produced enough qualified dealers.
    #[error("the key ceremony qualified {qualified} dealers, at least {threshold} are needed")]
    CeremonyIncomplete {
        /// Qualified dealers.
        qualified: usize,
        /// The threshold.
        threshold: u32,
    },
    /// A v3 election's ballot circuit asked for before its joint key
    /// exists.
    #[error("election {0:?} has no joint key yet, and its ballot circuit is made for it")]
    NoJointKey(String),
    /// The nullifier has already voted in this election.
    #[error("this voter has already voted in election {0:?}")]
    AlreadyVoted(String),
    /// A ballot with these ciphertexts was already cast or spoiled.
    #[error("a ballot with these ciphertexts was already cast or spoiled in election {0:?}")]
    FingerprintTaken(String),
    /// The ballot's root is not a logged root of the election's registry.
    #[error("{0}")]
    Ballot(String),
}

/// Unix milliseconds as an RFC 3339 UTC time to the second, for people
/// reading a refusal (the milliseconds stay beside it).
fn utc(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "a time out of range".to_owned())
}

/// Result alias of this module.
pub type ElectionResult<T> = Result<T, ElectionError>;

pub(super) fn crypto(what: &'static str) -> impl Fn(ThresholdError) -> ElectionError {
    move |e| ElectionError::InvalidCrypto {
        what,
        reason: e.to_string(),
    }
}

pub(super) fn point_error(what: &'static str) -> impl Fn(ElGamalError) -> ElectionError {
    move |e| ElectionError::InvalidCrypto {
        what,
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_refusals_give_the_times_in_utc_beside_the_milliseconds() {
        let early = ElectionError::OpenedEarly {
            election: "e4".into(),
            opens_at_ms: 1_796_000_000_500,
            stamped_ms: 1_795_999_999_000,
        };
        assert_eq!(
            early.to_string(),
            "election \"e4\" opens for voting at 2026-11-30T00:53:20Z (1796000000500 ms), the opening is stamped 2026-11-30T00:53:19Z (1795999999000 ms)"
        );
        // A time chrono cannot represent stays in milliseconds.
        let late = ElectionError::CastAfterClose {
            election: "e1".into(),
            closes_at_ms: 1_796_000_000_000,
            stamped_ms: u64::MAX,
        };
        assert!(
            late.to_string().ends_with(&format!(
                "the ballot is stamped a time out of range ({} ms)",
                u64::MAX
            )),
            "{late}"
        );
    }
}
