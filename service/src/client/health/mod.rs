//! The health domain as the parties' systems use it: accesses submitted as
//! the FHIR `AuditEvent`s a hospital's systems already write, custody
//! transfers countersigned, and a lot's events imported from GS1 EPCIS
//! ([`epcis`]).

pub mod epcis;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zkaudit_ledger::health::fhir::access_from_audit_event;
use zkaudit_ledger::health::{ACCESS, AccessEvent, DOMAIN, patient_hex};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_verifier::Receipt;

use super::Client;
use crate::domains::health::{AUTHOR_HEADER, AccessLogView, SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// Format tag of countersigned-transfer files.
pub const TRANSFER_FORMAT: &str = "zkaudit-health-transfer/v1";

/// A countersigned transfer, as the receiver hands it to the sender.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountersignedTransfer {
    /// [`TRANSFER_FORMAT`].
    pub format: String,
    /// The sender's key, hex.
    pub sender: String,
    /// The record time the receiver signed for, Unix ms.
    pub timestamp_ms: u64,
    /// The transfer payload, hex.
    pub payload: String,
}

/// Submits one `AuditEvent` to `POST /v1/health/fhir/AuditEvent`, with
/// `key`'s signature over the access record the log reads from it.
pub fn submit_audit_event(client: &Client, key: &NoteSigningKey, event: &Value) -> Result<Receipt> {
    let access = access_from_audit_event(event)?;
    let record = client.sign(key, DOMAIN, ACCESS, access.encode())?;
    let signature = record.signature().expect("a signed record has a signature");
    let headers = [
        (AUTHOR_HEADER, hex::encode(key.public_key().as_bytes())),
        (TIMESTAMP_HEADER, record.timestamp_ms().to_string()),
        (SIGNATURE_HEADER, hex::encode(signature.to_bytes())),
    ];
    Ok(client.post_fhir("/v1/health/fhir/AuditEvent", &headers, event)?)
}

/// What a FHIR import did, or would do.
#[derive(Debug, Default)]
pub struct FhirImport {
    /// One line per event: logged (or to log) or already logged.
    pub lines: Vec<String>,
    /// Events logged (or that would be).
    pub logged: usize,
    /// Events whose access is already in the log.
    pub already: usize,
}

/// The `AuditEvent`s of `document` (one `AuditEvent`, or a `Bundle` of
/// them), each read as an access; the paths of the entries as FHIRPaths.
/// Any entry that is not an `AuditEvent` zkaudit logs refuses the whole
/// document.
pub fn audit_events(document: &Value) -> Result<Vec<(String, Value, AccessEvent)>> {
    let events: Vec<(String, &Value)> = match document["resourceType"].as_str() {
        Some("AuditEvent") => vec![("AuditEvent".into(), document)],
        Some("Bundle") => {
            let Some(entries) = document["entry"].as_array() else {
                bail!("Bundle.entry: no entries");
            };
            let mut events = Vec::new();
            for (i, entry) in entries.iter().enumerate() {
                let resource = &entry["resource"];
                match resource["resourceType"].as_str() {
                    Some("AuditEvent") => {
                        events.push((format!("Bundle.entry[{i}].resource"), resource))
                    }
                    Some("Consent") => bail!(
                        "Bundle.entry[{i}].resource: a Consent is signed by its patient with their own key \
                         (`zkaudit health consent grant`), never imported by the hospital the audit holds to account"
                    ),
                    other => bail!(
                        "Bundle.entry[{i}].resource.resourceType: {}: only AuditEvents are imported",
                        other.unwrap_or("missing")
                    ),
                }
            }
            events
        }
        other => bail!(
            "resourceType: {}: an AuditEvent or a Bundle of them",
            other.unwrap_or("missing")
        ),
    };
    events
        .into_iter()
        .map(|(path, event)| {
            let access = access_from_audit_event(event).map_err(|e| {
                anyhow::anyhow!("{}: {}", e.path.replacen("AuditEvent", &path, 1), e.reason)
            })?;
            Ok((path, event.clone(), access))
        })
        .collect()
}

/// Reads every `AuditEvent` of `document` first (nothing is sent unless
/// all are accesses zkaudit logs), skips those whose access is already in
/// the patient's log, and submits the rest.
pub fn import_audit_events(
    client: &Client,
    key: &NoteSigningKey,
    document: &Value,
    dry_run: bool,
) -> Result<FhirImport> {
    let events = audit_events(document)?;
    let mut outcome = FhirImport::default();
    let mut logs: std::collections::BTreeMap<String, AccessLogView> = Default::default();
    let mut pending = Vec::new();
    for (path, event, access) in events {
        let patient = patient_hex(&access.patient);
        if !logs.contains_key(&patient) {
            let log = client.get(&format!("/v1/health/patients/{patient}/access-log"))?;
            logs.insert(patient.clone(), log);
        }
        let logged = logs[&patient].accesses.iter().find(|a| {
            a.record == access.record
                && a.version == access.version
                && a.accessor == access.accessor
                && a.purpose == access.purpose
                && a.at_ms == access.at_ms
        });
        if let Some(logged) = logged {
            outcome.already += 1;
            outcome
                .lines
                .push(format!("already logged: {path} at index {}", logged.index));
        } else if pending
            .iter()
            .any(|(_, _, a): &(String, Value, AccessEvent)| *a == access)
        {
            bail!("{path}: the same access twice in one document");
        } else {
            pending.push((path, event, access));
        }
    }
    outcome.logged = pending.len();
    for (path, event, access) in pending {
        let what = format!(
            "{path}: {} read record {} version {}",
            access.accessor, access.record, access.version
        );
        if dry_run {
            outcome.lines.push(format!("would log: {what}"));
        } else {
            let receipt = submit_audit_event(client, key, &event)?;
            outcome
                .lines
                .push(format!("logged: {what} at index {}", receipt.index));
        }
    }
    Ok(outcome)
}
