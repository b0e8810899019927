//! Receipts: the log's answer to a write, checkable offline.
//!
//! A receipt carries the logged record, its index, an inclusion proof and
//! the signed checkpoint the proof is against. [`Receipt::verify`] checks
//! the record's encoding and signature, that its leaf is at `index` under
//! the checkpoint's root, and the log's signature on the checkpoint.
//! [`verify_extension`](crate::verify_extension) then shows a later
//! checkpoint extends the receipt's.

use serde::{Deserialize, Serialize};
use zkaudit_ledger::note::Checkpoint;
use zkaudit_ledger::record::Record;

use crate::error::expect_format;
use crate::log::{open_checkpoint_of, verify_logged_record};
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
        expect_format(&self.format, RECEIPT_FORMAT)?;
        let checkpoint = open_checkpoint_of(
            self.checkpoint.as_bytes(),
            log_vkey,
            &self.origin,
            "receipt",
        )?;
        let record =
            verify_logged_record(&checkpoint, self.index, &self.record, &self.inclusion_proof)?;
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
