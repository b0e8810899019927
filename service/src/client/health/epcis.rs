//! Importing a lot's custody events from a GS1 EPCIS 2.0 document
//! (`zkaudit health import-epcis`): each party logs the events that are
//! theirs to sign.
//!
//! - the maker: `commissioning` → `lot.register`;
//! - the sender: `shipping` → `lot.transfer`, which carries the receiver's
//!   countersignature. So transfers take two steps: the receiver imports
//!   the same document with `countersign_out`, which countersigns every
//!   shipment to them and logs nothing; the sender imports with those
//!   files;
//! - the site: `dispensing` → `lot.administer`; a dispensing it logged
//!   that a later version of the document declares erroneous
//!   (`errorDeclaration`) → `lot.correct`.
//!
//! Events naming another party are left to that party; `receiving` events
//! are part of their shipment's record. The document is validated against
//! GS1's EPCIS 2.0 JSON schema ([`EPCIS_SCHEMA`]) and read whole
//! ([`chain_events`]) before anything is logged.
//!
//! A journal file keeps, per event id, the record logged for it: a re-run
//! resubmits that very record, which the log answers with its existing
//! entry, so nothing is logged twice, and an import interrupted midway is
//! completed by running it again.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zkaudit_ledger::health::epcis::{ChainEvent, chain_events, party};
use zkaudit_ledger::health::{
    DOMAIN, LOT_ADMINISTER, LOT_CORRECT, LOT_REGISTER, LOT_TRANSFER, LotAdminister, LotCorrect,
    LotRegister, LotTransfer, patient_hex,
};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::{Record, RecordSigner};

use super::{CountersignedTransfer, TRANSFER_FORMAT};
use crate::client::Client;
use crate::client::schema::StandardSchema;
use crate::clock::now_ms;

/// GS1's EPCIS 2.0 JSON schema (gs1/EPCIS, commit 2b888bef,
/// `EPCIS-JSON-Schema.json`), unchanged.
pub const EPCIS_SCHEMA: &str = include_str!("epcis-2.0-json-schema.json");
/// Format tag of the import journal.
pub const JOURNAL_FORMAT: &str = "zkaudit-epcis-journal/v1";

/// How to import.
#[derive(Debug)]
pub struct EpcisOptions<'a> {
    /// Countersigned transfers from the receivers of this party's shipments.
    pub countersigned: &'a [CountersignedTransfer],
    /// Countersign the shipments to this party into this folder, and log
    /// nothing.
    pub countersign_out: Option<&'a Path>,
    /// The journal of records logged per event.
    pub journal: &'a Path,
    /// Only say what would be logged.
    pub dry_run: bool,
}

/// What an import did, or would do.
#[derive(Debug, Default)]
pub struct EpcisOutcome {
    /// One line per event.
    pub lines: Vec<String>,
    /// Records logged (or that would be), or transfers countersigned.
    pub done: usize,
    /// Events whose record the journal shows logged before.
    pub already: usize,
}

/// The journal: event id → the record logged for it (base64).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Journal {
    format: String,
    records: BTreeMap<String, String>,
}

impl Journal {
    fn load(path: &Path) -> Result<Self> {
        if !path.exists() {
            return Ok(Self {
                format: JOURNAL_FORMAT.into(),
                records: BTreeMap::new(),
            });
        }
        let journal: Self = serde_json::from_slice(&std::fs::read(path)?)
            .with_context(|| format!("{} is not an EPCIS import journal", path.display()))?;
        if journal.format != JOURNAL_FORMAT {
            bail!("{} is not a {JOURNAL_FORMAT} file", path.display());
        }
        Ok(journal)
    }

    /// Replaces the file atomically.
    fn save(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
    }
}

/// A record of the import: logged by an earlier run, or to sign.
enum Planned {
    Logged(Box<Record>),
    New {
        kind: &'static str,
        timestamp_ms: Option<u64>,
        payload: Vec<u8>,
    },
}

impl Planned {
    fn kind(&self) -> &str {
        match self {
            Self::Logged(record) => record.kind(),
            Self::New { kind, .. } => kind,
        }
    }
}

/// Validates `document` against the EPCIS schema, reads its events, and
/// logs (or countersigns) those that are `key`'s.
pub fn import_epcis(
    client: &Client,
    key: &NoteSigningKey,
    document: &Value,
    options: &EpcisOptions<'_>,
) -> Result<EpcisOutcome> {
    validate_against_schema(document)?;
    let events = chain_events(document)?;
    let me = key.record_key();
    let mine = |named: Option<[u8; 32]>| named.is_none_or(|k| k == *me.as_bytes());
    let mut outcome = EpcisOutcome::default();

    if let Some(dir) = options.countersign_out {
        for event in &events {
            if let ChainEvent::Ship {
                at,
                lot,
                quantity,
                source,
                destination,
            } = event
                && *destination == *me.as_bytes()
            {
                let Some(sender) = source else {
                    bail!(
                        "{}.sourceList: the sender, named by key, is needed to countersign",
                        at.path
                    );
                };
                let sender = zkaudit_ledger::health::parse_patient(&hex::encode(sender))?;
                let timestamp_ms = now_ms();
                let transfer =
                    LotTransfer::countersigned(lot, *quantity, &sender, timestamp_ms, key);
                let file = CountersignedTransfer {
                    format: TRANSFER_FORMAT.into(),
                    sender: patient_hex(&sender),
                    timestamp_ms,
                    payload: hex::encode(transfer.encode()),
                };
                let name = dir.join(format!("countersigned-{}.json", file_name(&at.id)));
                outcome.done += 1;
                if options.dry_run {
                    outcome.lines.push(format!(
                        "would countersign: {} ({quantity} doses of {lot})",
                        at.path
                    ));
                } else {
                    std::fs::create_dir_all(dir)?;
                    std::fs::write(&name, serde_json::to_string_pretty(&file)?)?;
                    outcome.lines.push(format!(
                        "countersigned: {} ({quantity} doses of {lot}) → {} (the sender logs it within the log's freshness window)",
                        at.path,
                        name.display()
                    ));
                }
            }
        }
        return Ok(outcome);
    }

    // Plan every record before logging any.
    let mut journal = Journal::load(options.journal)?;
    // (event id, path, the record: logged before, or to sign as kind,
    // payload and, for a transfer, the time the receiver countersigned).
    let mut planned: Vec<(String, String, Planned)> = Vec::new();
    for event in &events {
        let at = event.at();
        // A dispensing declared erroneous: the site corrects what it logged.
        if let (
            Some(reason),
            ChainEvent::Dispense {
                lot, party: site, ..
            },
        ) = (&at.erroneous, event)
            && mine(*site)
        {
            if reason.is_empty() || reason.len() > 128 || reason.chars().any(char::is_control) {
                bail!(
                    "{}.errorDeclaration.reason: 1-128 bytes, no control characters",
                    at.path
                );
            }
            let Some(given) = journal.records.get(&at.id) else {
                outcome.lines.push(format!(
                    "declared erroneous before it was logged, so not logged: {}",
                    at.path
                ));
                continue;
            };
            let given = Record::decode(&BASE64.decode(given)?)
                .map_err(|e| anyhow!("the journal's record for {} is damaged: {e}", at.id))?;
            let key = format!("{}#errorDeclaration", at.id);
            let correction = match journal.records.get(&key) {
                Some(logged) => {
                    outcome.already += 1;
                    outcome
                        .lines
                        .push(format!("already logged: {} (lot.correct)", at.path));
                    Planned::Logged(Box::new(Record::decode(&BASE64.decode(logged)?).map_err(
                        |e| anyhow!("the journal's record for {key} is damaged: {e}"),
                    )?))
                }
                None => {
                    outcome.done += 1;
                    outcome.lines.push(format!(
                        "{}{} (lot.correct: declared erroneous)",
                        if options.dry_run {
                            "would log: "
                        } else {
                            "logged: "
                        },
                        at.path
                    ));
                    let correct = LotCorrect {
                        lot: lot.clone(),
                        administration: given.id(),
                        reason: reason.clone(),
                    };
                    Planned::New {
                        kind: LOT_CORRECT,
                        timestamp_ms: None,
                        payload: correct.encode(),
                    }
                }
            };
            // The administration first (resubmitted: the log answers with
            // its entry), then its correction.
            planned.push((
                at.id.clone(),
                at.path.clone(),
                Planned::Logged(Box::new(given)),
            ));
            planned.push((key, at.path.clone(), correction));
            continue;
        }
        if let Some(logged) = journal.records.get(&at.id) {
            let record = Record::decode(&BASE64.decode(logged)?)
                .map_err(|e| anyhow!("the journal's record for {} is damaged: {e}", at.id))?;
            outcome.already += 1;
            outcome
                .lines
                .push(format!("already logged: {} ({})", at.path, record.kind()));
            planned.push((
                at.id.clone(),
                at.path.clone(),
                Planned::Logged(Box::new(record)),
            ));
            continue;
        }
        let sign =
            |kind: &'static str, timestamp_ms: Option<u64>, payload: Vec<u8>| -> Result<Planned> {
                Ok(Planned::New {
                    kind,
                    timestamp_ms,
                    payload,
                })
            };
        let record = match event {
            ChainEvent::Commission {
                lot,
                product,
                quantity,
                expiry_ms,
                party: maker,
                ..
            } if mine(*maker) => {
                let register = LotRegister {
                    lot: lot.clone(),
                    product: product.clone(),
                    quantity: *quantity,
                    expiry_ms: *expiry_ms,
                };
                sign(LOT_REGISTER, None, register.encode())?
            }
            ChainEvent::Ship {
                lot,
                quantity,
                source,
                destination,
                ..
            } if source.is_some_and(|s| s == *me.as_bytes()) => {
                let file = options.countersigned.iter().find_map(|file| {
                    let transfer = LotTransfer::decode(&hex::decode(&file.payload).ok()?).ok()?;
                    (file.sender == patient_hex(&me)
                        && transfer.lot == *lot
                        && transfer.quantity == *quantity
                        && transfer.receiver.as_bytes() == destination)
                        .then_some((file, transfer))
                });
                let Some((file, transfer)) = file else {
                    bail!(
                        "{}: shipping {quantity} doses of {lot} to {} needs the receiver's countersignature: \
                         they run `zkaudit health import-epcis --key <their key> --countersign-out DIR` on this \
                         document and send you the file",
                        at.path,
                        party(destination)
                    );
                };
                sign(LOT_TRANSFER, Some(file.timestamp_ms), transfer.encode())?
            }
            ChainEvent::Dispense {
                lot,
                doses,
                party: site,
                ..
            } if mine(*site) => {
                let administer = LotAdminister {
                    lot: lot.clone(),
                    doses: *doses,
                };
                sign(LOT_ADMINISTER, None, administer.encode())?
            }
            ChainEvent::Receive { .. } => {
                outcome
                    .lines
                    .push(format!("part of its shipment's record: {}", at.path));
                continue;
            }
            ChainEvent::Other { step, .. } => {
                outcome
                    .lines
                    .push(format!("not a custody change ({step}): {}", at.path));
                continue;
            }
            _ => {
                outcome
                    .lines
                    .push(format!("another party's event: {}", at.path));
                continue;
            }
        };
        outcome.done += 1;
        outcome.lines.push(format!(
            "{}{} ({})",
            if options.dry_run {
                "would log: "
            } else {
                "logged: "
            },
            at.path,
            record.kind()
        ));
        planned.push((at.id.clone(), at.path.clone(), record));
    }
    if options.dry_run {
        return Ok(outcome);
    }
    // Stamp the new records in the document's order: a record before a
    // countersigned transfer is stamped before the time the receiver
    // signed for (a lot is registered before it ships).
    let mut next = u64::MAX;
    let mut stamped = Vec::with_capacity(planned.len());
    for (id, path, plan) in planned.into_iter().rev() {
        let record = match plan {
            Planned::Logged(record) => *record,
            Planned::New {
                kind,
                timestamp_ms,
                payload,
            } => {
                let at = timestamp_ms.unwrap_or_else(|| now_ms().min(next.saturating_sub(1)));
                Record::signed(client.origin()?, DOMAIN, kind, at, payload, key)?
            }
        };
        next = next.min(record.timestamp_ms());
        stamped.push((id, path, record));
    }
    stamped.reverse();
    let planned = stamped;
    // Journal first, then log: a re-run resubmits the same records.
    for (id, _, record) in &planned {
        journal
            .records
            .entry(id.clone())
            .or_insert_with(|| BASE64.encode(record.encode()));
    }
    journal.save(options.journal)?;
    for (id, path, record) in &planned {
        match client.append(record) {
            Ok(_) => {}
            Err(e) if e.code() == Some("stale_record") => bail!(
                "{path}: its record (journaled for event {id}) was never logged and is now older than \
                 the log's freshness window: remove that entry from {} and import again \
                 (a transfer also needs a fresh countersignature)",
                options.journal.display()
            ),
            Err(e) => {
                return Err(anyhow::Error::from(e)
                    .context(format!("logging {path} (run the import again to finish)")));
            }
        }
    }
    Ok(outcome)
}

/// `document` against GS1's EPCIS 2.0 JSON schema, formats asserted.
fn validate_against_schema(document: &Value) -> Result<()> {
    StandardSchema::compile(EPCIS_SCHEMA, "EPCIS 2.0 JSON schema")?.check(document, "")
}

/// A file-name-safe form of an event id.
fn file_name(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .chars()
        .rev()
        .take(64)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}
