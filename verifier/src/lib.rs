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

mod error;
mod evidence;
mod log;

pub mod claim;
pub mod election;
pub mod funds;
pub mod groth16;
pub mod health;
pub mod land;
mod receipt;
pub mod snarkjs;

pub use error::{Result, VerifyError};
pub use evidence::{
    Bundled, EVIDENCE_FORMAT, Evidence, EvidenceKind, LogEntry, LogEvidence, Order,
    VerifiedEvidence,
};
pub use log::{
    open_checkpoint, parse_hash, parse_hashes, verify_extension, verify_logged_record,
    verify_quorum,
};
pub use receipt::{RECEIPT_FORMAT, Receipt, VerifiedReceipt};
