//! Receipts: the log's answer to a write, checkable offline.
//!
//! A receipt carries the logged record, its index, an inclusion proof and
//! the signed checkpoint the proof is against. [`Receipt::verify`] checks
//! the record's encoding and signature, that its leaf is at `index` under
//! the checkpoint's root, and the log's signature on the checkpoint.
//! [`verify_extension`] checks that a later checkpoint extends an earlier
//! one (RFC 9162 consistency), which is how a holder of an old receipt
//! learns the log has not rewritten history since.

use serde::{Deserialize, Serialize};
use zkaudit_ledger::merkle::{self, Hash};
use zkaudit_ledger::note::{self, Checkpoint};
use zkaudit_ledger::record::Record;

use crate::{Result, VerifyError};

/// Format tag of receipts.
pub const RECEIPT_FORMAT: &str = "zkaudit-receipt/v1";

/// A receipt as the service returns it (JSON).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Always [`RECEIPT_FORMAT`].
    pub format: String,
    /// The log's origin.
    pub origin: String,
    /// The entry's index.
    pub index: u64,
    /// SHA3-256 record id, hex.
    pub record_id: String,
    /// The logged record (the leaf), base64.
    pub record: String,
    /// Inclusion proof against `checkpoint`, hex hashes.
    pub inclusion_proof: Vec<String>,
    /// The signed checkpoint (signed-note text).
    pub checkpoint: String,
    /// True when the record had been logged before this request.
    pub duplicate: bool,
}

/// What a verified receipt establishes.
#[derive(Clone, Debug)]
pub struct VerifiedReceipt {
    /// The logged record, decoded and signature-checked.
    pub record: Record,
    /// Its index.
    pub index: u64,
    /// The checkpoint it is included in, signature-checked.
    pub checkpoint: Checkpoint,
}

impl Receipt {
    /// Checks the receipt against the log's signed-note verifier key.
    pub fn verify(&self, log_vkey: &str) -> Result<VerifiedReceipt> {
        if self.format != RECEIPT_FORMAT {
            return Err(malformed("format", format!("expected {RECEIPT_FORMAT}")));
        }
        let checkpoint = open_checkpoint(self.checkpoint.as_bytes(), log_vkey)?;
        if checkpoint.origin != self.origin {
            return Err(VerifyError::Mismatch(format!(
                "receipt names origin {:?} but its checkpoint is for {:?}",
                self.origin, checkpoint.origin
            )));
        }
        let record = crate::evidence::verify_logged_record(
            &checkpoint,
            self.index,
            &self.record,
            &self.inclusion_proof,
        )?;
        if hex::encode(record.id()) != self.record_id {
            return Err(VerifyError::Mismatch(
                "record_id is not the id of the record".into(),
            ));
        }
        Ok(VerifiedReceipt {
            record,
            index: self.index,
            checkpoint,
        })
    }
}

/// Opens a signed checkpoint with the log's verifier key.
pub fn open_checkpoint(note_text: &[u8], log_vkey: &str) -> Result<Checkpoint> {
    note::open_checkpoint(note_text, log_vkey)
        .map_err(|e| VerifyError::Signature(format!("checkpoint: {e}")))
}

/// Checks that the signed checkpoint `newer` extends `older` (both signed by
/// the log), given the RFC 9162 consistency proof between their sizes.
pub fn verify_extension(
    older: &[u8],
    newer: &[u8],
    consistency_proof: &[String],
    log_vkey: &str,
) -> Result<(Checkpoint, Checkpoint)> {
    let old = open_checkpoint(older, log_vkey)?;
    let new = open_checkpoint(newer, log_vkey)?;
    if old.origin != new.origin {
        return Err(VerifyError::Mismatch(
            "checkpoints of different logs".into(),
        ));
    }
    let proof = parse_hashes("consistency proof", consistency_proof)?;
    merkle::verify_consistency(old.size, new.size, &old.root, &new.root, &proof).map_err(
        |source| VerifyError::Proof {
            what: "consistency proof",
            source,
        },
    )?;
    Ok((old, new))
}

/// Checks that at least `quorum` of `witness_vkeys` cosigned the checkpoint note.
pub fn verify_quorum(note_text: &[u8], witness_vkeys: &[String], quorum: usize) -> Result<usize> {
    let verified = note::verify_cosignatures(note_text, witness_vkeys)
        .map_err(|e| VerifyError::Signature(format!("cosignature: {e}")))?;
    if verified.len() < quorum {
        return Err(VerifyError::Quorum {
            got: verified.len(),
            required: quorum,
        });
    }
    Ok(verified.len())
}

/// Parses hex hashes strictly (64 lowercase or uppercase hex digits each).
pub fn parse_hashes(what: &'static str, hashes: &[String]) -> Result<Vec<Hash>> {
    if hashes.len() > 64 {
        return Err(malformed(what, "more than 64 hashes".into()));
    }
    hashes.iter().map(|h| parse_hash(what, h)).collect()
}

/// Parses one hex hash.
pub fn parse_hash(what: &'static str, h: &str) -> Result<Hash> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(h, &mut out).map_err(|e| malformed(what, format!("{e} in {h:?}")))?;
    Ok(out)
}

fn malformed(what: &'static str, reason: String) -> VerifyError {
    VerifyError::Malformed { what, reason }
}
