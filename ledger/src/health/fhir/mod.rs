//! HL7 FHIR (R5) for the health audit: a patient's access log and consents
//! as a FHIR `Bundle`, the resources a hospital's systems and auditors
//! already read.
//!
//! | record | resource |
//! |---|---|
//! | `consent.grant` | `Consent` (`decision` permit, the grantee, purpose and end; `status` `inactive` once revoked) |
//! | `consent.revoke` | updates that `Consent` |
//! | `access` | `AuditEvent` after IHE Basic Audit Log Patterns' patient read: category `rest`, code `read`, action `R`, the accessor as agent, the purpose as `authorization`, the record version as entity; an access no consent covered has severity `alert` and says why in `outcome` |
//! | each of them | a `Provenance` targeting the resource, with the log evidence |
//!
//! Patients are their pseudonymous keys (an identifier of system
//! [`PATIENT_SYSTEM`]), never names. The log evidence of each record —
//! log index, record id, RFC 9162 leaf hash, inclusion proof and the
//! signed checkpoint it is against — is one extension ([`EVIDENCE_URL`])
//! on its `Provenance`. `record.commit` entries are the record versions
//! the accesses name; they are not resources of their own here.
//!
//! The other way, a hospital submits accesses as `AuditEvent`s
//! ([`access_from_audit_event`]). Consents are not imported: a patient
//! signs their own consents, so that the hospital the audit holds to
//! account cannot write one after the fact to cover an access.
//! Vaccination credentials are issued from FHIR `Immunization`s
//! ([`immunization_attributes`]).

mod audit_event;
mod immunization;
mod terms;

pub use audit_event::access_from_audit_event;
pub use immunization::{IMMUNIZATION_ATTRIBUTES, immunization_attributes};
pub use terms::{FhirInputError, PATIENT_SYSTEM};

use serde_json::{Value, json};

use super::checks::audit_access;
use super::records::{AccessEvent, ConsentGrant, ConsentRevoke, patient_hex};
use super::{ACCESS, AccessVerdict, CONSENT_GRANT, CONSENT_REVOKE, HealthResult};
use crate::export::{LogEvidence, timestamp};
use crate::merkle::leaf_hash;
use crate::record::Record;

/// The extension carrying a record's log evidence on its `Provenance`.
pub const EVIDENCE_URL: &str = "urn:zkaudit:fhir:log-evidence";

/// The patient's access log and consents as a FHIR R5 `Bundle` of type
/// `collection`: `entries` are `(log index, record)` of every care record
/// about the patient in log order (as a verified extract holds them),
/// replayed first with [`audit_access`] (a log that breaks a rule is
/// refused); `created_ms` is the bundle's timestamp.
pub fn access_bundle(
    patient: &ed25519_dalek::VerifyingKey,
    entries: &[(u64, Record)],
    evidence: Option<LogEvidence<'_>>,
    created_ms: u64,
) -> HealthResult<Value> {
    let audited = audit_access(patient, entries)?;
    let subject =
        json!({ "identifier": { "system": PATIENT_SYSTEM, "value": patient_hex(patient) } });
    let mut consents: Vec<(String, Value)> = Vec::new();
    let mut others: Vec<Value> = Vec::new();
    let mut provenances = Vec::new();
    for (index, record) in entries {
        let target = match record.kind() {
            CONSENT_GRANT => {
                let grant = ConsentGrant::decode(record.payload())?;
                let id = resource_id("consent", &grant.consent);
                let mut provision = json!({
                    "period": { "end": timestamp(grant.valid_until_ms) },
                    "actor": [{
                        "role": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP", "display": "information recipient" }] },
                        "reference": { "display": grant.grantee },
                    }],
                    "purpose": [{ "system": "urn:zkaudit:purpose", "code": grant.purpose }],
                });
                if let Some(chart) = &grant.record {
                    provision["data"] = json!([{ "meaning": "instance", "reference": { "display": format!("record {chart}") } }]);
                }
                let day = timestamp(record.timestamp_ms())[..10].to_owned();
                consents.push((
                    grant.consent.clone(),
                    json!({
                        "resourceType": "Consent",
                        "id": id,
                        "identifier": [{ "system": "urn:zkaudit:consent", "value": grant.consent }],
                        "status": "active",
                        "subject": subject,
                        "date": day,
                        "grantor": [subject],
                        "grantee": [{ "display": grant.grantee }],
                        "decision": "permit",
                        "provision": [provision],
                    }),
                ));
                format!("Consent/{id}")
            }
            CONSENT_REVOKE => {
                let revoke = ConsentRevoke::decode(record.payload())?;
                if let Some((_, consent)) = consents.iter_mut().find(|(c, _)| *c == revoke.consent)
                {
                    consent["status"] = "inactive".into();
                }
                format!("Consent/{}", resource_id("consent", &revoke.consent))
            }
            ACCESS => {
                let access = AccessEvent::decode(record.payload())?;
                let verdict = audited
                    .iter()
                    .find(|a| a.index == *index)
                    .map(|a| &a.verdict);
                let id = format!("access-{index}");
                others.push(audit_event(&id, &access, verdict, &subject, record));
                format!("AuditEvent/{id}")
            }
            _ => continue,
        };
        provenances.push(provenance(*index, record, &target, evidence));
    }
    let resources = consents
        .into_iter()
        .map(|(_, consent)| consent)
        .chain(others)
        .chain(provenances);
    Ok(json!({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": timestamp(created_ms),
        "entry": resources.map(|resource| json!({
            "fullUrl": format!("urn:zkaudit:fhir:{}/{}", resource["resourceType"].as_str().unwrap_or_default(), resource["id"].as_str().unwrap_or_default()),
            "resource": resource,
        })).collect::<Vec<_>>(),
    }))
}

/// An access as IHE BALP's patient read.
fn audit_event(
    id: &str,
    access: &AccessEvent,
    verdict: Option<&AccessVerdict>,
    subject: &Value,
    record: &Record,
) -> Value {
    // Every logged read succeeded; a flagged one says why it should not have.
    let (severity, detail) = match verdict {
        Some(AccessVerdict::Consented { consent }) => (
            "informational",
            Some(format!("covered by consent {consent}")),
        ),
        Some(AccessVerdict::Flagged { reason }) => (
            "alert",
            Some(format!(
                "FLAGGED: no valid consent covered this access: {reason}"
            )),
        ),
        None => ("informational", None),
    };
    let mut outcome = json!({ "code": { "system": "http://terminology.hl7.org/CodeSystem/audit-event-outcome", "code": "0", "display": "Success" } });
    if let Some(detail) = detail {
        outcome["detail"] = json!([{ "text": detail }]);
    }
    json!({
        "resourceType": "AuditEvent",
        "id": id,
        "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest", "display": "Restful Operation" }] }],
        "code": { "coding": [{ "system": "http://hl7.org/fhir/restful-interaction", "code": "read", "display": "read" }] },
        "action": "R",
        "severity": severity,
        "occurredDateTime": timestamp(access.at_ms),
        "recorded": timestamp(record.timestamp_ms()),
        "outcome": outcome,
        "authorization": [{ "coding": [{ "system": "urn:zkaudit:purpose", "code": access.purpose }] }],
        "patient": subject,
        "agent": [{ "who": { "display": access.accessor }, "requestor": true }],
        "source": { "observer": { "display": "the hospital that logged the access" } },
        "entity": [{
            "what": { "display": format!("record {} version {}", access.record, access.version) },
            "role": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "4", "display": "Domain Resource" }] },
        }],
    })
}

/// The `Provenance` of the resource a logged record made or changed, with
/// the record's log evidence.
fn provenance(
    index: u64,
    record: &Record,
    target: &str,
    evidence: Option<LogEvidence<'_>>,
) -> Value {
    let mut parts = vec![
        json!({ "url": "logIndex", "valueInteger64": index.to_string() }),
        json!({ "url": "recordId", "valueString": hex::encode(record.id()) }),
        json!({ "url": "leafHash", "valueString": hex::encode(leaf_hash(&record.encode())) }),
    ];
    if let Some(evidence) = evidence {
        parts.push(json!({ "url": "checkpoint", "valueString": evidence.checkpoint }));
        for hash in evidence.proofs.get(&index).into_iter().flatten() {
            parts.push(json!({ "url": "inclusionProof", "valueString": hash }));
        }
    }
    json!({
        "resourceType": "Provenance",
        "id": format!("entry-{index}"),
        "extension": [{ "url": EVIDENCE_URL, "extension": parts }],
        "target": [{ "reference": target }],
        "recorded": timestamp(record.timestamp_ms()),
        "activity": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation", "code": if record.kind() == CONSENT_REVOKE { "UPDATE" } else { "CREATE" } }] },
        "agent": [{ "who": { "display": format!("zkaudit log entry {index} ({})", record.qualified_kind()) } }],
    })
}

/// A FHIR resource id from a zkaudit name: `[A-Za-z0-9-.]{1,64}`.
fn resource_id(prefix: &str, name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut id = format!("{prefix}-{cleaned}");
    id.truncate(64);
    id
}
