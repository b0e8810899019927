//! An EPCIS 2.0 document's custody events, read as the vaccine chain's
//! records: the inverse of the export.
//!
//! | EPCIS `ObjectEvent` | chain event |
//! |---|---|
//! | `ADD`, bizStep `commissioning`: ILMD `cbvmda:lotNumber`, `cbvmda:itemExpirationDate`, `quantityList[0]` | [`ChainEvent::Commission`] (`lot.register`) |
//! | `OBSERVE`, `shipping`: `sourceList` and `destinationList` possessing parties | [`ChainEvent::Ship`] (`lot.transfer`, countersigned by the destination) |
//! | `OBSERVE`, `receiving` | [`ChainEvent::Receive`]: the same transfer record, nothing of its own |
//! | `OBSERVE`, `dispensing`: the source's possessing party | [`ChainEvent::Dispense`] (`lot.administer`) |
//!
//! The lot is `quantityList[0].epcClass` (a GS1 Digital Link or
//! `urn:zkaudit:lot:…`); parties are `urn:zkaudit:party:ed25519:{key}`.
//! Quantities are whole doses. bizSteps may be written short
//! (`shipping`) or as CBV URIs. Other bizSteps (inspecting, storing…) are
//! not custody changes and are [`ChainEvent::Other`]. A dispensing event
//! carrying an `errorDeclaration` is read as declared erroneous
//! ([`EventAt::erroneous`]: the site logs a `lot.correct`); other events
//! cannot be declared erroneous in the log and are refused.
//! Every error names its path, e.g. `epcisBody.eventList[3].quantityList[0].quantity`.

use serde_json::Value;
use sha3::{Digest, Sha3_256};

use super::terms::{parse_lot_class, parse_party};

/// Why an EPCIS document is not read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct EpcisInputError {
    /// The element's path, e.g. `epcisBody.eventList[2].bizStep`.
    pub path: String,
    /// What is wrong with it.
    pub reason: String,
}

fn refuse<T>(path: impl Into<String>, reason: impl Into<String>) -> Result<T, EpcisInputError> {
    Err(EpcisInputError {
        path: path.into(),
        reason: reason.into(),
    })
}

/// One event of the document, with its path and identity: its `eventID`,
/// or the SHA3-256 of its canonical JSON when it has none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainEvent {
    /// A lot's commissioning by its maker.
    Commission {
        /// Path and identity.
        at: EventAt,
        /// Lot number.
        lot: String,
        /// Product code.
        product: String,
        /// Doses.
        quantity: u64,
        /// Expiry, Unix ms (end of the expiry day, UTC).
        expiry_ms: u64,
        /// The maker, if named by key.
        party: Option<[u8; 32]>,
    },
    /// Doses shipped from one party to another.
    Ship {
        /// Path and identity.
        at: EventAt,
        /// Lot number.
        lot: String,
        /// Doses.
        quantity: u64,
        /// The sender, if named by key.
        source: Option<[u8; 32]>,
        /// The receiver (named by key: they countersign).
        destination: [u8; 32],
    },
    /// Doses received: part of the shipment's record.
    Receive {
        /// Path and identity.
        at: EventAt,
    },
    /// Doses given at a site.
    Dispense {
        /// Path and identity.
        at: EventAt,
        /// Lot number.
        lot: String,
        /// Doses.
        doses: u64,
        /// The site, if named by key.
        party: Option<[u8; 32]>,
    },
    /// An event that is not a custody change (the bizStep is named).
    Other {
        /// Path and identity.
        at: EventAt,
        /// Its bizStep.
        step: String,
    },
}

/// Where an event is and which it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventAt {
    /// `epcisBody.eventList[i]`.
    pub path: String,
    /// Its `eventID`, or `sha3-256:{hex}` of its canonical JSON.
    pub id: String,
    /// The reason of its `errorDeclaration`, if the event is declared
    /// erroneous (`unspecified` when the declaration gives none).
    pub erroneous: Option<String>,
}

impl ChainEvent {
    /// Where the event is and which it is.
    pub fn at(&self) -> &EventAt {
        match self {
            Self::Commission { at, .. }
            | Self::Ship { at, .. }
            | Self::Receive { at }
            | Self::Dispense { at, .. }
            | Self::Other { at, .. } => at,
        }
    }
}

/// The events of an EPCIS 2.0 document (see the module table).
pub fn chain_events(document: &Value) -> Result<Vec<ChainEvent>, EpcisInputError> {
    if document["type"] != "EPCISDocument" {
        return refuse("type", "must be \"EPCISDocument\"");
    }
    let Some(list) = document["epcisBody"]["eventList"].as_array() else {
        return refuse("epcisBody.eventList", "an array of events is required");
    };
    let mut seen = std::collections::BTreeSet::new();
    let mut events = Vec::with_capacity(list.len());
    for (i, event) in list.iter().enumerate() {
        let path = format!("epcisBody.eventList[{i}]");
        let id = match event["eventID"].as_str() {
            Some(id) => id.to_owned(),
            None => format!(
                "sha3-256:{}",
                hex::encode(Sha3_256::digest(
                    serde_json::to_vec(event).unwrap_or_default()
                ))
            ),
        };
        if !seen.insert(id.clone()) {
            return refuse(format!("{path}.eventID"), format!("duplicate event {id:?}"));
        }
        let erroneous = event.get("errorDeclaration").map(|declaration| {
            declaration["reason"]
                .as_str()
                .unwrap_or("unspecified")
                .to_owned()
        });
        let read = read_event(
            EventAt {
                path,
                id,
                erroneous,
            },
            event,
        )?;
        if read.at().erroneous.is_some() && !matches!(read, ChainEvent::Dispense { .. }) {
            return refuse(
                format!("{}.errorDeclaration", read.at().path),
                "only administrations (dispensing) can be declared erroneous in the log",
            );
        }
        events.push(read);
    }
    Ok(events)
}

fn read_event(at: EventAt, event: &Value) -> Result<ChainEvent, EpcisInputError> {
    let path = at.path.clone();
    let step = biz_step(event["bizStep"].as_str().unwrap_or_default());
    let custody = matches!(
        step.as_str(),
        "commissioning" | "shipping" | "receiving" | "dispensing"
    );
    if !custody {
        return Ok(ChainEvent::Other { at, step });
    }
    if event["type"] != "ObjectEvent" {
        return refuse(
            format!("{path}.type"),
            format!("a {step} event of the vaccine chain is an ObjectEvent"),
        );
    }
    let expected_action = if step == "commissioning" {
        "ADD"
    } else {
        "OBSERVE"
    };
    if event["action"] != expected_action {
        return refuse(
            format!("{path}.action"),
            format!("a {step} event is action {expected_action}"),
        );
    }
    if step == "receiving" {
        return Ok(ChainEvent::Receive { at });
    }
    let quantity_path = format!("{path}.quantityList[0]");
    let item = &event["quantityList"][0];
    let quantity = match &item["quantity"] {
        Value::Number(n) => n.as_u64().filter(|q| *q > 0),
        _ => None,
    }
    .map_or_else(
        || {
            refuse(
                format!("{quantity_path}.quantity"),
                "a whole number of doses, at least 1",
            )
        },
        Ok,
    )?;
    if item.get("uom").is_some() {
        return refuse(
            format!("{quantity_path}.uom"),
            "doses are counted: no unit of measure",
        );
    }
    let class = item["epcClass"].as_str().unwrap_or_default();
    let Some((product, lot)) = parse_lot_class(class) else {
        return refuse(
            format!("{quantity_path}.epcClass"),
            format!(
                "{class:?}: a lot as https://id.gs1.org/01/{{GTIN}}/10/{{lot}} or urn:zkaudit:lot:{{product}}:{{lot}}"
            ),
        );
    };
    let party_in = |list: &str, field: &str| -> Result<Option<[u8; 32]>, EpcisInputError> {
        let Some(entries) = event[list].as_array() else {
            return Ok(None);
        };
        for (j, entry) in entries.iter().enumerate() {
            if entry["type"] == "possessing_party" || entry["type"] == "owning_party" {
                let name = entry[field].as_str().unwrap_or_default();
                return match parse_party(name) {
                    Some(key) => Ok(Some(key)),
                    None if name.starts_with("urn:zkaudit:") => refuse(
                        format!("{path}.{list}[{j}].{field}"),
                        format!("{name:?}: urn:zkaudit:party:ed25519:{{64 hex}}"),
                    ),
                    None => Ok(None),
                };
            }
        }
        Ok(None)
    };
    Ok(match step.as_str() {
        "commissioning" => {
            let ilmd = &event["ilmd"];
            let lot_number = ilmd["cbvmda:lotNumber"].as_str().unwrap_or(&lot);
            if lot_number != lot {
                return refuse(
                    format!("{path}.ilmd.cbvmda:lotNumber"),
                    format!("{lot_number:?} is not the lot {lot:?} of the epcClass"),
                );
            }
            let expiry = ilmd["cbvmda:itemExpirationDate"]
                .as_str()
                .unwrap_or_default();
            let Ok(day) = chrono::NaiveDate::parse_from_str(expiry, "%Y-%m-%d") else {
                return refuse(
                    format!("{path}.ilmd.cbvmda:itemExpirationDate"),
                    "the lot's expiry date (YYYY-MM-DD) is required",
                );
            };
            let end_of_day = day
                .and_hms_milli_opt(23, 59, 59, 999)
                .map(|t| t.and_utc().timestamp_millis());
            let Some(expiry_ms) = end_of_day.and_then(|ms| u64::try_from(ms).ok()) else {
                return refuse(
                    format!("{path}.ilmd.cbvmda:itemExpirationDate"),
                    "before 1970",
                );
            };
            ChainEvent::Commission {
                at,
                lot,
                product,
                quantity,
                expiry_ms,
                party: party_in("destinationList", "destination")?,
            }
        }
        "shipping" => {
            let Some(destination) = party_in("destinationList", "destination")? else {
                return refuse(
                    format!("{path}.destinationList"),
                    "the receiver, named by key (urn:zkaudit:party:ed25519:…): they countersign the transfer",
                );
            };
            ChainEvent::Ship {
                at,
                lot,
                quantity,
                source: party_in("sourceList", "source")?,
                destination,
            }
        }
        _ => ChainEvent::Dispense {
            at,
            lot,
            doses: quantity,
            party: party_in("sourceList", "source")?,
        },
    })
}

/// A bizStep's CBV name, whether written short or as a URI.
fn biz_step(step: &str) -> String {
    step.strip_prefix("urn:epcglobal:cbv:bizstep:")
        .or_else(|| step.strip_prefix("https://ref.gs1.org/cbv/BizStep-"))
        .unwrap_or(step)
        .to_owned()
}
