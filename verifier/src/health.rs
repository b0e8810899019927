//! Health extracts: a lot's chain of custody or a patient's access log as
//! the service hands it out, checked offline.
//!
//! An [`Extract`] is log evidence of its own kind ([`ExtractKind`]): log
//! entries with inclusion proofs against one signed checkpoint.
//! [`Extract::verify`] checks the checkpoint signature,
//! every record's encoding and signature, and every inclusion proof;
//! [`verify_trace`] and [`verify_access_log`] then replay the health rules
//! of `zkaudit_ledger::health` over the proven entries.
//!
//! Inclusion proves each listed entry is in the log. That the list is
//! *complete* rests on the operator's index; an auditor who wants to
//! check completeness replays the whole log (its tiles) with the same
//! rules.

use ed25519_dalek::VerifyingKey;
use zkaudit_ledger::health::{self, AuditedAccess, HealthError, TraceReport};

use crate::VerifyError;
use crate::evidence::{Evidence, EvidenceKind, Order, VerifiedEvidence, proofs_by_index};

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

/// The kind of a health extract: [`EXTRACT_FORMAT`], at most
/// [`MAX_EXTRACT_ENTRIES`] entries, listed in log order (which the health
/// rules check, not the log proofs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtractKind {}

impl EvidenceKind for ExtractKind {
    const FORMAT: &'static str = EXTRACT_FORMAT;
    const ORDER: Order = Order::AsListed;
    const MAX_ENTRIES: Option<usize> = Some(MAX_EXTRACT_ENTRIES);
}

/// Log entries with inclusion proofs against one checkpoint (JSON): the
/// evidence shape, as a health extract.
pub type Extract = Evidence<ExtractKind>;

/// What a verified extract establishes: these records are at these indices
/// of the log whose checkpoint is given.
pub type VerifiedExtract = VerifiedEvidence;

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

/// A lot's chain as a GS1 EPCIS 2.0 document
/// ([`zkaudit_ledger::health::epcis`]), each event with its log evidence
/// from `extract`: the entry's inclusion proof against the extract's
/// checkpoint, which the document's header carries. `records` are the
/// extract's entries decoded (verified, for a document made offline); a
/// chain that breaks a rule is refused.
pub fn trace_epcis(
    extract: &Extract,
    records: &[(u64, zkaudit_ledger::record::Record)],
    lot: &str,
    created_ms: u64,
) -> Result<serde_json::Value, HealthError> {
    let proofs = proofs_by_index(&extract.entries);
    let evidence = zkaudit_ledger::export::LogEvidence {
        checkpoint: &extract.checkpoint,
        proofs: &proofs,
    };
    health::epcis::chain_document(lot, records, Some(evidence), created_ms)
}

/// A patient's access log and consents as a FHIR R5 `Bundle`
/// ([`zkaudit_ledger::health::fhir`]), each record's `Provenance` with its
/// log evidence from `extract`. `records` are the extract's entries
/// decoded (verified, for a bundle made offline).
pub fn access_fhir(
    extract: &Extract,
    records: &[(u64, zkaudit_ledger::record::Record)],
    patient: &VerifyingKey,
    created_ms: u64,
) -> Result<serde_json::Value, HealthError> {
    let proofs = proofs_by_index(&extract.entries);
    let evidence = zkaudit_ledger::export::LogEvidence {
        checkpoint: &extract.checkpoint,
        proofs: &proofs,
    };
    health::fhir::access_bundle(patient, records, Some(evidence), created_ms)
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
