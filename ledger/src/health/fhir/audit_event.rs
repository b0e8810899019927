//! A hospital's FHIR `AuditEvent` of a patient read, as the `access`
//! record it logs: the inverse of the export's IHE BALP patient read.
//!
//! | `AuditEvent` (R5) | `access` |
//! |---|---|
//! | `patient.identifier` of system [`PATIENT_SYSTEM`] | `patient` (the pseudonymous key, hex) |
//! | `entity[].what.reference` `Type/id/_history/version` (a vread), or `what.display` `record id version n` (as zkaudit exports) | `record`, `version` |
//! | the requesting `agent[]` (`requestor: true`, else the first): `who.identifier.value`, else `who.display` | `accessor` |
//! | `authorization[0].coding[0].code` (purpose of use, e.g. `TREAT`) | `purpose` |
//! | `occurredDateTime`, else `recorded` | `at_ms` |
//!
//! Only successful reads are accesses: `action` must be `R` when present
//! and an `outcome` of `error` or `fatal` is refused (no data was
//! disclosed). Errors name the offending element as a FHIRPath, e.g.
//! `AuditEvent.agent[0].who`.

use serde_json::Value;

use super::terms::{FhirInputError, PATIENT_SYSTEM, refuse};
use crate::health::records::check_id;
use crate::health::{AccessEvent, parse_patient};

/// The `access` an `AuditEvent` of a patient read describes (see the
/// module table).
pub fn access_from_audit_event(event: &Value) -> Result<AccessEvent, FhirInputError> {
    if event["resourceType"] != "AuditEvent" {
        return refuse("resourceType", "must be \"AuditEvent\"");
    }
    if let Some(action) = event.get("action")
        && action != "R"
    {
        return refuse(
            "AuditEvent.action",
            format!("{action}: only reads (R) are logged as accesses"),
        );
    }
    if let Some(code) = event["outcome"]["code"]["code"].as_str()
        && matches!(code, "error" | "fatal")
    {
        return refuse(
            "AuditEvent.outcome.code",
            format!("{code}: a failed read disclosed nothing and is not an access"),
        );
    }
    let identifier = &event["patient"]["identifier"];
    if identifier["system"] != PATIENT_SYSTEM {
        return refuse(
            "AuditEvent.patient.identifier.system",
            format!("must be {PATIENT_SYSTEM} (patients are their pseudonymous keys)"),
        );
    }
    let patient = parse_patient(identifier["value"].as_str().unwrap_or_default())
        .or_else(|e| refuse("AuditEvent.patient.identifier.value", e.to_string()))?;
    let (record, version) = read_entity(event)?;
    let (agent_path, agent) = requestor(event)?;
    let who = &agent["who"];
    let accessor = who["identifier"]["value"]
        .as_str()
        .or_else(|| who["display"].as_str())
        .unwrap_or_default();
    checked_id(&format!("{agent_path}.who"), "accessor", accessor)?;
    let purpose = event["authorization"][0]["coding"][0]["code"]
        .as_str()
        .unwrap_or_default();
    checked_id(
        "AuditEvent.authorization[0].coding[0].code",
        "purpose",
        purpose,
    )?;
    let (time_path, time) = match event["occurredDateTime"].as_str() {
        Some(t) => ("AuditEvent.occurredDateTime", t),
        None => (
            "AuditEvent.recorded",
            event["recorded"].as_str().unwrap_or_default(),
        ),
    };
    let at_ms = chrono::DateTime::parse_from_rfc3339(time)
        .ok()
        .and_then(|t| u64::try_from(t.timestamp_millis()).ok())
        .map_or_else(
            || refuse(time_path, format!("{time:?} is not an instant after 1970")),
            Ok,
        )?;
    Ok(AccessEvent {
        patient,
        record: record.to_owned(),
        version,
        accessor: accessor.to_owned(),
        purpose: purpose.to_owned(),
        at_ms,
    })
}

/// The record version read: the first entity whose `what` names one.
fn read_entity(event: &Value) -> Result<(&str, u32), FhirInputError> {
    let Some(entities) = event["entity"].as_array().filter(|e| !e.is_empty()) else {
        return refuse("AuditEvent.entity", "the record version read is required");
    };
    for (i, entity) in entities.iter().enumerate() {
        let path = format!("AuditEvent.entity[{i}].what");
        let what = &entity["what"];
        let named = if let Some(reference) = what["reference"].as_str() {
            // [Type/]id/_history/version
            let parts: Vec<&str> = reference.rsplitn(4, '/').collect();
            match parts.as_slice() {
                [version, "_history", id, ..] => Some((*id, *version)),
                _ => {
                    return refuse(
                        format!("{path}.reference"),
                        format!(
                            "{reference:?}: expected Type/id/_history/version (the version read)"
                        ),
                    );
                }
            }
        } else {
            what["display"].as_str().and_then(|d| {
                let rest = d.strip_prefix("record ")?;
                let (id, version) = rest.split_once(" version ")?;
                Some((id, version))
            })
        };
        if let Some((id, version)) = named {
            checked_id(&path, "record id", id)?;
            let version = version.parse::<u32>().ok().filter(|v| *v > 0).map_or_else(
                || {
                    refuse(
                        path.clone(),
                        format!("version {version:?}: a positive integer"),
                    )
                },
                Ok,
            )?;
            return Ok((id, version));
        }
    }
    refuse(
        "AuditEvent.entity",
        "no entity names the record version read (what.reference Type/id/_history/n)",
    )
}

/// The agent who asked: `requestor: true`, else the first.
fn requestor(event: &Value) -> Result<(String, &Value), FhirInputError> {
    let Some(agents) = event["agent"].as_array().filter(|a| !a.is_empty()) else {
        return refuse("AuditEvent.agent", "who read the record is required");
    };
    let i = agents
        .iter()
        .position(|a| a["requestor"] == true)
        .unwrap_or(0);
    Ok((format!("AuditEvent.agent[{i}]"), &agents[i]))
}

fn checked_id(path: &str, field: &'static str, id: &str) -> Result<(), FhirInputError> {
    check_id(field, id).or_else(|_| {
        refuse(
            path,
            format!("{field} {id:?}: 1-64 bytes of [A-Za-z0-9._@-]"),
        )
    })
}
