//! The verifier's one error type, and the small helpers its checks use to
//! build it.

/// Why a verification failed. Messages say what was checked and what was wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// An encoding (hex, base64, JSON, note) is malformed.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// Which field.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A signature or note does not verify.
    #[error("signature check failed: {0}")]
    Signature(String),
    /// A Merkle proof does not verify.
    #[error("{what} does not verify: {source}")]
    Proof {
        /// Which proof.
        what: &'static str,
        /// The underlying proof failure.
        source: zkaudit_ledger::merkle::ProofError,
    },
    /// Two things that must agree don't (e.g. origin, record id).
    #[error("mismatch: {0}")]
    Mismatch(String),
    /// A Groth16 proof does not verify.
    #[error("groth16 proof rejected: {reason}")]
    Groth16 {
        /// What failed.
        reason: String,
    },
    /// A Groth16 proof came with the wrong number of public inputs.
    #[error("groth16 verifying key expects {expected} public inputs, got {got}")]
    PublicInputCount {
        /// Public inputs of the verifying key.
        expected: usize,
        /// Public inputs given.
        got: usize,
    },
    /// A batch of Groth16 proofs was rejected; `invalid` lists the proofs
    /// (indices into the batch) that do not verify on their own.
    #[error("groth16 batch rejected: proofs {invalid:?} do not verify")]
    BatchRejected {
        /// Sorted indices of the invalid proofs.
        invalid: Vec<usize>,
    },
    /// A public-funds period proof or its encoding was rejected.
    #[error("funds report rejected: {0}")]
    Funds(zkaudit_circuits::funds::FundsError),
    /// Too few witnesses cosigned.
    #[error("only {got} of the required {required} witness cosignatures verify")]
    Quorum {
        /// Valid cosignatures from the listed witnesses.
        got: usize,
        /// Required.
        required: usize,
    },
}

/// Result alias of the verifier.
pub type Result<T, E = VerifyError> = std::result::Result<T, E>;

/// A malformed-encoding error for `what`.
pub(crate) fn malformed(what: &'static str, reason: String) -> VerifyError {
    VerifyError::Malformed { what, reason }
}

/// `Ok` if a document's `format` tag is `expected`.
pub(crate) fn expect_format(format: &str, expected: &str) -> Result<()> {
    if format == expected {
        Ok(())
    } else {
        Err(malformed("format", format!("expected {expected}")))
    }
}

/// Maps a decoding error of `what` to [`VerifyError::Malformed`].
pub(crate) fn malformed_as<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> VerifyError {
    move |e| VerifyError::Malformed {
        what,
        reason: e.to_string(),
    }
}

/// A mismatch between two things that must agree.
pub(crate) fn mismatch(reason: impl Into<String>) -> VerifyError {
    VerifyError::Mismatch(reason.into())
}

/// `Ok` if `condition` holds, else a [`VerifyError::Mismatch`] saying `reason`.
pub(crate) fn ensure(condition: bool, reason: impl FnOnce() -> String) -> Result<()> {
    if condition {
        Ok(())
    } else {
        Err(VerifyError::Mismatch(reason()))
    }
}
