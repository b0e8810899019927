//! What verified evidence establishes: these records, decoded and
//! signature-checked, are at these indices of the log whose checkpoint is
//! given; and the lookups domain verifiers make on them.

use ed25519_dalek::VerifyingKey;
use zkaudit_ledger::note::{Checkpoint, parse_verifier_key};
use zkaudit_ledger::record::{Author, Record};

use super::entry::LogEntry;
use crate::error::malformed;
use crate::log::verify_logged_record;
use crate::{Result, VerifyError};

/// How a kind of evidence lists its entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Strictly increasing indices, so that an index names one record
    /// (checked by [`Evidence::verify`](crate::Evidence::verify)).
    Increasing,
    /// As the operator listed them; the domain's rules check the order.
    AsListed,
}

/// What verified evidence establishes.
#[derive(Clone, Debug)]
pub struct VerifiedEvidence {
    /// The checkpoint, signature-checked.
    pub checkpoint: Checkpoint,
    /// The log's own record-signing key (the checkpoint key), for records
    /// the log writes itself (registry roots, circuit keys, authority sets).
    pub log_key: VerifyingKey,
    /// `(index, record)` in the evidence's order, records decoded and
    /// signature-checked.
    pub entries: Vec<(u64, Record)>,
}

impl VerifiedEvidence {
    /// Checks `entries` against `checkpoint` (already opened with
    /// `log_vkey`): each record's encoding and signature and its audit path
    /// to the checkpoint's root, and with [`Order::Increasing`] that
    /// indices strictly increase. The one check every kind of evidence
    /// runs on its entries.
    pub(crate) fn check(
        checkpoint: Checkpoint,
        log_vkey: &str,
        entries: &[LogEntry],
        order: Order,
    ) -> Result<Self> {
        let log_key = *parse_verifier_key(log_vkey)
            .map_err(|e| malformed("log key", e.to_string()))?
            .public_key();
        let mut records = Vec::with_capacity(entries.len());
        let mut previous: Option<u64> = None;
        for entry in entries {
            if order == Order::Increasing && previous.is_some_and(|p| p >= entry.index) {
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
            records.push((entry.index, record));
        }
        Ok(Self {
            checkpoint,
            log_key,
            entries: records,
        })
    }

    /// The record at `index`, or an error naming what was expected there.
    pub fn record(&self, index: u64, what: &'static str) -> Result<&Record> {
        self.entries
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, record)| record)
            .ok_or_else(|| {
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
        if !self.is_log_record(record, domain, kind) {
            return Err(VerifyError::Mismatch(format!(
                "entry {index} ({what}) is not signed by the log's key"
            )));
        }
        Ok(record)
    }

    /// Whether `record` is of `domain/kind` and written by the log itself.
    pub fn is_log_record(&self, record: &Record, domain: &str, kind: &str) -> bool {
        is_log_record(&self.log_key, record, domain, kind)
    }
}

/// Whether `record` is of `domain/kind` and written by the log whose
/// record-signing key is `log_key` (for records outside a bundle's
/// evidence, e.g. a mirror's).
pub(crate) fn is_log_record(
    log_key: &VerifyingKey,
    record: &Record,
    domain: &str,
    kind: &str,
) -> bool {
    record.domain() == domain
        && record.kind() == kind
        && record.author() == Author::Ed25519(*log_key)
}
