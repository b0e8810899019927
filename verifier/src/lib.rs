//! # zkaudit-verifier
//!
//! The light verifier: checks what the zkaudit log hands out — receipts,
//! checkpoints, cosignatures and consistency between checkpoints — with
//! nothing but the log's public key. No async runtime, no database, no
//! thread pool; builds for `wasm32` so citizens can verify in a browser.
//!
//! [`land`] checks a parcel's title history offline; [`funds`] an agency's
//! proven period report and its spot audits.
//! [`health`] checks a vaccine lot's chain of custody or a patient's access
//! log offline.
//!
//! [`groth16`] verifies Groth16 proofs over BN254 (strict decoding, batch
//! verification) and [`snarkjs`] reads and writes snarkjs's JSON formats.
//!
//! Every check returns `Result<_, VerifyError>`: there is no `bool` to forget.

pub mod claim;
pub mod election;
pub mod evidence;
pub mod funds;
pub mod groth16;
pub mod health;
pub mod land;
pub mod receipt;
pub mod snarkjs;

pub use receipt::{Receipt, VerifiedReceipt};

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
