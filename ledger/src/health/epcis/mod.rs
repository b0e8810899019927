//! GS1 EPCIS 2.0 for the vaccine chain: a lot's chain of custody as an
//! EPCIS document (JSON-LD), the form a distributor's or a regulator's
//! traceability system reads.
//!
//! Each supply-chain record becomes the events GS1's Core Business
//! Vocabulary (CBV 2.0) names for it:
//!
//! | record | events |
//! |---|---|
//! | `lot.register` | `ObjectEvent` `ADD`, `commissioning`, `active`; the lot number and expiry as ILMD (`cbvmda:lotNumber`, `cbvmda:itemExpirationDate`); the manufacturer as owning and possessing party |
//! | `lot.transfer` | `ObjectEvent` `OBSERVE`, `shipping`, `in_transit`, sender as source, receiver as destination; then `receiving`, `active` (the receiver countersigned the same record) |
//! | `lot.administer` | `ObjectEvent` `OBSERVE`, `dispensing`, `dispensed`, the site as the possessing party |
//! | `lot.correct` | an `errorDeclaration` on the administration it corrects: its time, the CBV reason (`did_not_occur`, `incorrect_data`) when it is one, and the correction's own log evidence (`zkaudit:correction…`) |
//!
//! Quantities are doses (no unit of measure: a count). The lot is named as
//! a class of objects (`epcClass`): a GS1 Digital Link
//! (`https://id.gs1.org/01/{GTIN}/10/{lot}`) when the product code is a
//! GTIN, else `urn:zkaudit:lot:{product}:{lot}`. Parties are their
//! Ed25519 keys, `urn:zkaudit:party:ed25519:{hex}`.
//!
//! Every event carries its log evidence in the `zkaudit:` extension
//! namespace ([`NAMESPACE`]): the entry's index (`zkaudit:logIndex`), the
//! record's id (`zkaudit:recordId`), the RFC 9162 leaf hash of its
//! encoding (`zkaudit:leafHash`, what the inclusion proof proves; the
//! record is served at `/v1/log/entries/{index}`), the record's author
//! (`zkaudit:signedBy`) and, when known, the inclusion proof against the
//! document's checkpoint (`zkaudit:inclusionProof`, hex hashes, RFC 9162),
//! which the document header carries (`zkaudit:checkpoint`). An EPCIS
//! system that ignores the extension still reads the chain; one that
//! understands it can check each event against the log.

mod read;
mod terms;

pub use read::{ChainEvent, EpcisInputError, chain_events};
pub use terms::{lot_class, party};

use serde_json::{Map, Value, json};

use super::checks::verify_trace;
use super::lots::{LotAdminister, LotCorrect, LotRegister, LotTransfer};
use super::{HealthResult, LOT_ADMINISTER, LOT_CORRECT, LOT_REGISTER, LOT_TRANSFER};
pub use crate::export::LogEvidence;
use crate::export::{date, timestamp, uri_part};
use crate::merkle::leaf_hash;
use crate::record::{Author, Record};

/// The EPCIS 2.0 JSON-LD context.
pub const EPCIS_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld";
/// The namespace of zkaudit's extension fields (the `zkaudit:` prefix).
pub const NAMESPACE: &str = "urn:zkaudit:epcis:";
/// The EPCIS schema version documents declare.
pub const SCHEMA_VERSION: &str = "2.0";

/// The EPCIS document of a lot's chain: `entries` are `(log index,
/// record)` of every record about the lot in log order (as a verified
/// extract holds them); `created_ms` the document's creation time (Unix
/// ms). The chain is checked first with [`verify_trace`]: a chain that
/// breaks a rule is refused, never exported as if it held.
pub fn chain_document(
    lot: &str,
    entries: &[(u64, Record)],
    evidence: Option<LogEvidence<'_>>,
    created_ms: u64,
) -> HealthResult<Value> {
    verify_trace(lot, entries)?;
    let mut product = None;
    let mut events = Vec::new();
    for (index, record) in entries {
        let proof = evidence.and_then(|e| e.proofs.get(index));
        let mut push = |mut event: Map<String, Value>, step: Option<&str>| {
            let id = hex::encode(record.id());
            let event_id = match step {
                Some(step) => format!("urn:zkaudit:record:{id}:{step}"),
                None => format!("urn:zkaudit:record:{id}"),
            };
            event.insert("eventID".into(), event_id.into());
            event.insert("zkaudit:logIndex".into(), (*index).into());
            event.insert("zkaudit:recordId".into(), id.into());
            event.insert(
                "zkaudit:leafHash".into(),
                hex::encode(leaf_hash(&record.encode())).into(),
            );
            if let Author::Ed25519(key) = record.author() {
                event.insert("zkaudit:signedBy".into(), party(key.as_bytes()).into());
            }
            if let Some(proof) = proof {
                event.insert("zkaudit:inclusionProof".into(), json!(proof));
            }
            events.push(Value::Object(event));
        };
        let time = timestamp(record.timestamp_ms());
        match record.kind() {
            LOT_REGISTER => {
                let register = LotRegister::decode(record.payload())?;
                let class = lot_class(&register.product, &register.lot);
                let maker = author(record);
                let mut event = object_event(&time, "ADD", "commissioning", "active");
                event.insert(
                    "quantityList".into(),
                    json!([{ "epcClass": class, "quantity": register.quantity }]),
                );
                event.insert(
                    "destinationList".into(),
                    json!([
                        { "type": "owning_party", "destination": maker },
                        { "type": "possessing_party", "destination": maker },
                    ]),
                );
                event.insert(
                    "ilmd".into(),
                    json!({
                        "cbvmda:lotNumber": register.lot,
                        "cbvmda:itemExpirationDate": date(register.expiry_ms),
                    }),
                );
                push(event, None);
                product = Some(class);
            }
            LOT_TRANSFER => {
                let transfer = LotTransfer::decode(record.payload())?;
                let class = class_of(&product, lot);
                let (sender, receiver) = (author(record), party(transfer.receiver.as_bytes()));
                let quantity = json!([{ "epcClass": class, "quantity": transfer.quantity }]);
                // One record, both signatures: the sender ships, the
                // receiver receives, the same doses between the same parties.
                for (step, disposition) in [("shipping", "in_transit"), ("receiving", "active")] {
                    let mut event = object_event(&time, "OBSERVE", step, disposition);
                    event.insert("quantityList".into(), quantity.clone());
                    event.insert(
                        "sourceList".into(),
                        json!([{ "type": "possessing_party", "source": sender }]),
                    );
                    event.insert(
                        "destinationList".into(),
                        json!([{ "type": "possessing_party", "destination": receiver }]),
                    );
                    push(event, Some(step));
                }
            }
            LOT_ADMINISTER => {
                let administer = LotAdminister::decode(record.payload())?;
                let class = class_of(&product, lot);
                let mut event = object_event(&time, "OBSERVE", "dispensing", "dispensed");
                event.insert(
                    "quantityList".into(),
                    json!([{ "epcClass": class, "quantity": administer.doses }]),
                );
                event.insert(
                    "sourceList".into(),
                    json!([{ "type": "possessing_party", "source": author(record) }]),
                );
                push(event, None);
            }
            LOT_CORRECT => {
                let correct = LotCorrect::decode(record.payload())?;
                let target = hex::encode(correct.administration);
                let mut declaration = json!({
                    "declarationTime": time,
                    "zkaudit:correctionLogIndex": index,
                    "zkaudit:correctionRecordId": hex::encode(record.id()),
                    "zkaudit:correctionLeafHash": hex::encode(leaf_hash(&record.encode())),
                    "zkaudit:reason": correct.reason,
                });
                if matches!(correct.reason.as_str(), "did_not_occur" | "incorrect_data")
                    || correct.reason.starts_with("https://")
                {
                    declaration["reason"] = correct.reason.clone().into();
                }
                if let Some(proof) = evidence.and_then(|e| e.proofs.get(index)) {
                    declaration["zkaudit:correctionInclusionProof"] = json!(proof);
                }
                // The chain was verified: the corrected administration is
                // an earlier event of this document.
                if let Some(event) = events
                    .iter_mut()
                    .find(|e| e["zkaudit:recordId"] == target.as_str())
                {
                    event["errorDeclaration"] = declaration;
                }
            }
            _ => {}
        }
    }
    let mut document = json!({
        "@context": [EPCIS_CONTEXT, { "zkaudit": NAMESPACE }],
        "type": "EPCISDocument",
        "schemaVersion": SCHEMA_VERSION,
        "creationDate": timestamp(created_ms),
        "epcisBody": { "eventList": events },
    });
    if let Some(evidence) = evidence {
        document["epcisHeader"] = json!({ "zkaudit:checkpoint": evidence.checkpoint });
    }
    Ok(document)
}

/// An `ObjectEvent` with the fields every event of the chain has.
fn object_event(time: &str, action: &str, step: &str, disposition: &str) -> Map<String, Value> {
    let Value::Object(event) = json!({
        "type": "ObjectEvent",
        "eventTime": time,
        "recordTime": time,
        "eventTimeZoneOffset": "+00:00",
        "action": action,
        "bizStep": step,
        "disposition": disposition,
    }) else {
        unreachable!("a JSON object literal")
    };
    event
}

/// The lot's class of objects, from its registration, or (a chain whose
/// registration is not in the entries) from the lot number alone.
fn class_of(product: &Option<String>, lot: &str) -> String {
    product
        .clone()
        .unwrap_or_else(|| format!("urn:zkaudit:lot:{}", uri_part(lot)))
}

fn author(record: &Record) -> Value {
    match record.author() {
        Author::Ed25519(key) => party(key.as_bytes()).into(),
        Author::None => "urn:zkaudit:party:unknown".into(),
    }
}
