//! # zkaudit-verifier
//!
//! The light verifier: checks what the zkaudit log hands out — receipts,
//! checkpoints and their consistency, witness cosignatures, and every
//! domain's offline bundle — with nothing but the log's public key. No
//! async runtime, no database, no thread pool; it builds for `wasm32`, so
//! the web board verifies in the visitor's browser with the same code as
//! the CLI.
//!
//! ## Layout
//!
//! The log's own proofs at the bottom, one evidence shape above them, each
//! domain's bundle check on top; imports point down only.
//!
//! | module | owns |
//! |---|---|
//! | `log` | signed checkpoints ([`open_checkpoint`]), consistency between them ([`verify_extension`]), witness quorums ([`verify_quorum`]), hex hashes ([`parse_hashes`]), and the one per-record check (decoding, signature, audit path) that receipts and evidence share |
//! | `receipt` | the log's answer to a write, [`Receipt`] |
//! | `evidence` | the one shape every bundle carries its records in: [`LogEntry`]s with inclusion proofs against one checkpoint ([`Evidence`] of a kind: [`LogEvidence`] inside bundles, [`health::Extract`]); verified into [`VerifiedEvidence`], with the lookups the domains make — records by index and kind, the authority set in force and what it grants |
//! | [`claim`] | eligibility-claim bundles, and [`claim::claim_statement`], the claim's public statement the service builds too |
//! | [`election`] | whole elections: replayed rules, ballots (batch-verified), tally |
//! | [`funds`] | an agency's period: budget, commitments, the proven report, spot audits |
//! | [`land`] | a parcel's title history |
//! | [`ceremony`] | a Groth16 ceremony's transcript: who contributed, in which order, and the circuit key it produced |
//! | [`health`] | a vaccine lot's chain of custody, a patient's access log |
//! | [`groth16`] | Groth16 over BN254: strict decoding, single and batch verification |
//! | [`snarkjs`] | snarkjs's JSON formats for keys, proofs and public inputs |
//! | [`explain`] | what a verification established, in words: the one report the CLI prints and the web board shows |
//!
//! Every check returns `Result<_, VerifyError>`: there is no `bool` to forget.

mod error;
mod evidence;
mod g2_subgroup;
mod log;
mod receipt;

pub mod ceremony;
pub mod claim;
pub mod election;
pub mod explain;
pub mod funds;
pub mod groth16;
pub mod health;
pub mod land;
pub mod snarkjs;

pub use error::{Result, VerifyError};
pub use evidence::{
    Bundled, EVIDENCE_FORMAT, Evidence, EvidenceKind, LogEntry, LogEvidence, Order,
    VerifiedEvidence,
};
pub use log::{open_checkpoint, parse_hash, parse_hashes, verify_extension, verify_quorum};
pub use receipt::{RECEIPT_FORMAT, Receipt, VerifiedReceipt};
