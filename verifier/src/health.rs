//! Health extracts: a lot's chain of custody or a patient's access log as
//! the service hands it out, checked offline.
//!
//! An [`Extract`] is a set of log entries with inclusion proofs against one
//! signed checkpoint. [`Extract::verify`] checks the checkpoint signature,
//! every record's encoding and signature, and every inclusion proof;
//! [`verify_trace`] and [`verify_access_log`] then replay the health rules
//! of `zkaudit_ledger::health` over the proven entries.
//!
//! Inclusion proves each listed entry is in the log. That the list is
//! *complete* rests on the operator's index; an auditor who wants to
//! check completeness replays the whole log (its tiles) with the same
//! rules.

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use zkaudit_ledger::health::{self, AuditedAccess, HealthError, TraceReport};
use zkaudit_ledger::note::Checkpoint;
use zkaudit_ledger::record::Record;

use crate::VerifyError;
use crate::log::{open_checkpoint, verify_logged_record};

/// Format tag of extracts.
pub const EXTRACT_FORMAT: &str = "zkaudit-extract/v1";
/// Most entries an extract may carry.
pub const MAX_EXTRACT_ENTRIES: usize = 100_000;

/// Why an extract does not check out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HealthCheckError {
    /// The log proofs fail (checkpoint, record signature, inclusion).
    #[error("log proof: {0}")]
    Log(#[from] VerifyError),
    /// The proven entries break a health rule.
    #[error("health rule: {0}")]
    Rule(#[from] HealthError),
}

/// Log entries with inclusion proofs against one checkpoint (JSON).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Extract {
    /// Always [`EXTRACT_FORMAT`].
    pub format: String,
    /// The signed checkpoint every proof is against (signed-note text).
    pub checkpoint: String,
    /// The entries, in log order.
    pub entries: Vec<ExtractEntry>,
}

/// One entry of an [`Extract`].
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExtractEntry {
    /// Log index.
    pub index: u64,
    /// The logged record (the leaf), base64.
    pub record: String,
    /// Inclusion proof against the extract's checkpoint, hex hashes.
    pub inclusion_proof: Vec<String>,
}

/// What a verified extract establishes: these records are at these indices
/// of the log whose checkpoint is given.
#[derive(Clone, Debug)]
pub struct VerifiedExtract {
    /// The checkpoint, signature-checked.
    pub checkpoint: Checkpoint,
    /// `(index, record)`, records decoded and signature-checked.
    pub entries: Vec<(u64, Record)>,
}

impl Extract {
    /// Checks the checkpoint against the log's signed-note verifier key and
    /// every entry's record and inclusion proof.
    pub fn verify(&self, log_vkey: &str) -> Result<VerifiedExtract, VerifyError> {
        let malformed = |what, reason: String| VerifyError::Malformed { what, reason };
        if self.format != EXTRACT_FORMAT {
            return Err(malformed("format", format!("expected {EXTRACT_FORMAT}")));
        }
        if self.entries.len() > MAX_EXTRACT_ENTRIES {
            return Err(malformed("entries", "too many".into()));
        }
        let checkpoint = open_checkpoint(self.checkpoint.as_bytes(), log_vkey)?;
        let mut entries = Vec::with_capacity(self.entries.len());
        for e in &self.entries {
            let record = verify_logged_record(&checkpoint, e.index, &e.record, &e.inclusion_proof)?;
            entries.push((e.index, record));
        }
        Ok(VerifiedExtract {
            checkpoint,
            entries,
        })
    }
}

/// Verifies a lot's chain of custody offline: the log proofs, then the
/// supply-chain rules (registration first, countersignatures, order,
/// quantities, expiry).
pub fn verify_trace(
    extract: &Extract,
    log_vkey: &str,
    lot: &str,
) -> Result<(VerifiedExtract, TraceReport), HealthCheckError> {
    let verified = extract.verify(log_vkey)?;
    let report = health::verify_trace(lot, &verified.entries)?;
    Ok((verified, report))
}

/// Verifies a patient's access log offline: the log proofs, then the
/// consent rules; returns every access with its verdict (flagged or not).
pub fn verify_access_log(
    extract: &Extract,
    log_vkey: &str,
    patient: &VerifyingKey,
) -> Result<(VerifiedExtract, Vec<AuditedAccess>), HealthCheckError> {
    let verified = extract.verify(log_vkey)?;
    let audit = health::audit_access(patient, &verified.entries)?;
    Ok((verified, audit))
}
