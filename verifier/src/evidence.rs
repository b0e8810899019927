//! Log evidence: a set of logged records, each with an inclusion proof
//! against one signed checkpoint.
//!
//! Every offline bundle (a claim, an election, a parcel's history, a lot's
//! chain of custody) carries its records this way: one checkpoint, signed by
//! the log, and for each record its index and the RFC 9162 audit path to
//! that checkpoint's root. [`LogEvidence::verify`] checks all of it and
//! hands back the decoded, signature-checked records by index, so a
//! domain's verifier only has to check its own rules on them.

use std::collections::BTreeMap;

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use zkaudit_ledger::note::{Checkpoint, parse_verifier_key};
use zkaudit_ledger::record::{Author, Record};

use crate::error::malformed;
use crate::log::{open_checkpoint, verify_logged_record};
use crate::{Result, VerifyError};

/// Format tag of log evidence.
pub const EVIDENCE_FORMAT: &str = "zkaudit-evidence/v1";

/// Records with inclusion proofs against one checkpoint (JSON).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LogEvidence {
    /// Always [`EVIDENCE_FORMAT`].
    pub format: String,
    /// The signed checkpoint (signed-note text) every proof is against.
    pub checkpoint: String,
    /// The records, in increasing index order.
    pub entries: Vec<EvidenceEntry>,
}

/// One logged record and its audit path.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EvidenceEntry {
    /// The entry's index.
    pub index: u64,
    /// The logged record (the leaf), base64.
    pub record: String,
    /// Inclusion proof against the evidence's checkpoint, hex hashes.
    pub inclusion_proof: Vec<String>,
}

/// What verified evidence establishes.
#[derive(Clone, Debug)]
pub struct VerifiedEvidence {
    /// The checkpoint, signature-checked.
    pub checkpoint: Checkpoint,
    /// The log's own record-signing key (the checkpoint key), for records
    /// the log writes itself (registry roots, circuit keys, authority sets).
    pub log_key: VerifyingKey,
    records: BTreeMap<u64, Record>,
}

impl VerifiedEvidence {
    /// The record at `index`, or an error naming what was expected there.
    pub fn record(&self, index: u64, what: &'static str) -> Result<&Record> {
        self.records.get(&index).ok_or_else(|| {
            VerifyError::Mismatch(format!(
                "the evidence holds no entry {index} (expected the {what} there)"
            ))
        })
    }

    /// The record at `index`, checked to be of `domain/kind`.
    pub fn record_of_kind(
        &self,
        index: u64,
        domain: &str,
        kind: &str,
        what: &'static str,
    ) -> Result<&Record> {
        let record = self.record(index, what)?;
        if record.domain() != domain || record.kind() != kind {
            return Err(VerifyError::Mismatch(format!(
                "entry {index} is a {} record, not the {what} ({domain}/{kind})",
                record.qualified_kind()
            )));
        }
        Ok(record)
    }

    /// The record at `index`, checked to be of `domain/kind` and written by
    /// the log itself.
    pub fn log_record(
        &self,
        index: u64,
        domain: &str,
        kind: &str,
        what: &'static str,
    ) -> Result<&Record> {
        let record = self.record_of_kind(index, domain, kind, what)?;
        if record.author() != Author::Ed25519(self.log_key) {
            return Err(VerifyError::Mismatch(format!(
                "entry {index} ({what}) is not signed by the log's key"
            )));
        }
        Ok(record)
    }

    /// All records, by index.
    pub fn records(&self) -> &BTreeMap<u64, Record> {
        &self.records
    }
}

impl LogEvidence {
    /// Checks the checkpoint's signature under `log_vkey`, every record's
    /// encoding and signature, and every inclusion proof against the
    /// checkpoint's root. Indices must be strictly increasing.
    pub fn verify(&self, log_vkey: &str) -> Result<VerifiedEvidence> {
        if self.format != EVIDENCE_FORMAT {
            return Err(malformed("format", format!("expected {EVIDENCE_FORMAT}")));
        }
        let checkpoint = open_checkpoint(self.checkpoint.as_bytes(), log_vkey)?;
        let log_key = *parse_verifier_key(log_vkey)
            .map_err(|e| malformed("log key", e.to_string()))?
            .public_key();
        let mut records = BTreeMap::new();
        let mut previous: Option<u64> = None;
        for entry in &self.entries {
            if previous.is_some_and(|p| p >= entry.index) {
                return Err(malformed(
                    "evidence",
                    format!("entry {} is out of order or repeated", entry.index),
                ));
            }
            previous = Some(entry.index);
            let record = verify_logged_record(
                &checkpoint,
                entry.index,
                &entry.record,
                &entry.inclusion_proof,
            )?;
            records.insert(entry.index, record);
        }
        Ok(VerifiedEvidence {
            checkpoint,
            log_key,
            records,
        })
    }
}
