//! A parcel and its history in the shape of ISO 19152 LADM (the Land
//! Administration Domain Model), as JSON: what a land registry's own
//! systems are modelled on.
//!
//! | LADM class | from |
//! |---|---|
//! | `LA_SpatialUnit` | the parcel id, its district and official area (`area_m2`); zkaudit keeps no geometry, so the spatial unit is a reference |
//! | `LA_BAUnit` (basic administrative unit) | the parcel's title, one per parcel |
//! | `LA_Party` | every key that held a right or a restriction, and the registrar (role `conveyancer`) |
//! | `LA_Right` (type `ownership`, share 1/1) | the registration and each transfer; it ends at the next transfer |
//! | `LA_Mortgage` (an `LA_Restriction`, type `mortgage`) | each `lien.register`, with its amount and mortgagee; it ends at its `lien.release` |
//! | `LA_AdministrativeSource` | each logged event: its kind, acceptance time, the parties' signatures, document digests, and its log evidence |
//!
//! Every class is versioned as LADM's `VersionedObject`:
//! `beginLifespanVersion` and `endLifespanVersion` (absent while current)
//! are the times of the events that began and ended it. Every right,
//! restriction and source names the log entry it comes from
//! (`logIndex`, `recordId`, `leafHash`, and `inclusionProof` against the
//! document's `checkpoint` when given).

use std::collections::BTreeMap;

use ed25519_dalek::VerifyingKey;
use serde_json::{Value, json};

use super::checks::verify_history;
use super::records::{Action, ParcelRegistration, TitleEvent};
use super::{LandResult, PARCEL_REGISTER};
use crate::export::{LogEvidence, timestamp};
use crate::merkle::leaf_hash;
use crate::record::Record;

/// The LADM edition the mapping follows.
pub const LADM_EDITION: &str = "ISO 19152:2012";

/// The parcel's LADM document: `events` are `(log index, record)` of its
/// whole history, registration first (as a verified history bundle holds
/// them). The history is checked first with [`verify_history`] against
/// `registrar`: a broken chain is refused, never exported.
pub fn parcel_document(
    parcel: &str,
    registrar: &VerifyingKey,
    events: &[(u64, Record)],
    evidence: Option<LogEvidence<'_>>,
) -> LandResult<Value> {
    verify_history(parcel, registrar, events)?;
    let party = |key: &[u8; 32]| format!("urn:zkaudit:party:ed25519:{}", hex::encode(key));
    let mut parties: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    parties
        .entry(party(registrar.as_bytes()))
        .or_default()
        .push("conveyancer");
    let mut rights: Vec<Value> = Vec::new();
    let mut mortgages: Vec<Value> = Vec::new();
    let mut sources = Vec::new();
    let mut spatial_unit = Value::Null;
    let baunit = format!("baunit:{parcel}");

    for (index, record) in events {
        let time = timestamp(record.timestamp_ms());
        let id = hex::encode(record.id());
        let mut source = json!({
            "sID": format!("source:{id}"),
            "type": record.kind(),
            "acceptance": time,
            "logIndex": index,
            "recordId": id,
            "leafHash": hex::encode(leaf_hash(&record.encode())),
        });
        if let Some(proof) = evidence.and_then(|e| e.proofs.get(index)) {
            source["inclusionProof"] = json!(proof);
        }
        let origin = json!({ "logIndex": index, "source": format!("source:{id}") });
        if record.kind() == PARCEL_REGISTER {
            let registration = ParcelRegistration::decode(record.payload())?;
            spatial_unit = json!({
                "suID": format!("su:{parcel}"),
                "label": parcel,
                "extAddressID": { "district": registration.district },
                "area": [{ "type": "officialArea", "areaSize": registration.area_m2, "unit": "m2" }],
                "beginLifespanVersion": time,
            });
            source["documents"] = json!(
                registration
                    .documents
                    .iter()
                    .map(hex::encode)
                    .collect::<Vec<_>>()
            );
            let owner = party(&registration.owner);
            parties.entry(owner.clone()).or_default().push("owner");
            rights.push(ownership(&id, &owner, &time, &origin));
        } else {
            let event = TitleEvent::decode(record.payload())?;
            source["signatures"] =
                json!(event.signatures.iter().map(hex::encode).collect::<Vec<_>>());
            source["version"] = event.terms.version.into();
            match &event.terms.action {
                Action::Transfer {
                    new_owner, price, ..
                } => {
                    if let Some(current) = rights
                        .iter_mut()
                        .rev()
                        .find(|r| r["endLifespanVersion"].is_null())
                    {
                        current["endLifespanVersion"] = time.clone().into();
                    }
                    let owner = party(new_owner);
                    parties.entry(owner.clone()).or_default().push("owner");
                    let mut right = ownership(&id, &owner, &time, &origin);
                    if let Some(price) = price {
                        right["price"] = (*price).into();
                    }
                    rights.push(right);
                }
                Action::Lien { lienholder, amount } => {
                    let holder = party(lienholder);
                    parties.entry(holder.clone()).or_default().push("mortgagee");
                    mortgages.push(json!({
                        "rID": format!("rrr:{id}"),
                        "class": "LA_Mortgage",
                        "type": "mortgage",
                        "amount": amount,
                        "mortgagee": holder,
                        "party": holder,
                        "unit": baunit,
                        "beginLifespanVersion": time,
                        "endLifespanVersion": Value::Null,
                        "origin": origin,
                    }));
                }
                Action::Release { lien } => {
                    let released = format!("rrr:{}", hex::encode(lien));
                    if let Some(mortgage) =
                        mortgages.iter_mut().find(|m| m["rID"] == released.as_str())
                    {
                        mortgage["endLifespanVersion"] = time.clone().into();
                        mortgage["endedBy"] = origin.clone();
                    }
                }
            }
        }
        sources.push(source);
    }
    let rrr: Vec<Value> = rights
        .into_iter()
        .chain(mortgages)
        .map(|mut r| {
            // Current: no end.
            if let Some(fields) = r.as_object_mut()
                && fields["endLifespanVersion"].is_null()
            {
                fields.remove("endLifespanVersion");
            }
            r
        })
        .collect();
    let mut document = json!({
        "ladm": LADM_EDITION,
        "baUnit": {
            "uID": baunit,
            "name": parcel,
            "type": "basicPropertyUnit",
            "spatialUnits": [format!("su:{parcel}")],
        },
        "spatialUnit": spatial_unit,
        "parties": parties.into_iter().map(|(pid, mut roles)| {
            roles.dedup();
            json!({ "pID": pid, "role": roles })
        }).collect::<Vec<_>>(),
        "rrr": rrr,
        "sources": sources,
    });
    if let Some(evidence) = evidence {
        document["checkpoint"] = evidence.checkpoint.into();
    }
    Ok(document)
}

/// An ownership right, whole, for `owner`, made by the record `id` at
/// `time`.
fn ownership(id: &str, owner: &str, time: &str, origin: &Value) -> Value {
    json!({
        "rID": format!("rrr:{id}"),
        "class": "LA_Right",
        "type": "ownership",
        "share": { "numerator": 1, "denominator": 1 },
        "party": owner,
        "beginLifespanVersion": time,
        "endLifespanVersion": Value::Null,
        "origin": origin,
    })
}
