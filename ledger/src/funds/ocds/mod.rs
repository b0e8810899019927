//! Open Contracting Data Standard 1.1 for procurement: a contract — its
//! award, its value and documents, and what was paid under it — as an OCDS
//! release, in a release package a portal that speaks OCDS reads as it
//! is.
//!
//! | zkaudit | OCDS |
//! |---|---|
//! | the agency (the contract's signer) | `parties[]` with roles `buyer`, `payer`; `buyer` |
//! | `contract.tender` | `tender.id`, `contracts[].id`; the `ocid` is `{prefix}-{agency key, 16 hex}-{tender}` |
//! | `contract.winner` | `parties[]` with roles `supplier`, `payee`; `awards[].suppliers` |
//! | `contract.value`, award and end days | `awards[].value`, `awards[].date`, `contracts[].value`, `dateSigned`, `period` |
//! | `contract.documents` (SHA3-256 digests) | `contracts[].documents[]`, the digest as the `id` |
//! | each reported period's proven total of the category bound to the contract | `contracts[].implementation.transactions[]` (`id` = the period) |
//! | an imported contract's `source` (see [`plan`]) | its own `ocid`, `tender.id`, award id, `contracts[].title` and currency |
//! | the log entries of the contract and of each report, with inclusion proofs against a signed checkpoint | the `zkaudit` extension ([`EXTENSION`], [`EXTENSION_RELEASE_SCHEMA`]) |
//!
//! Amounts are kept in minor units; OCDS values are in major units with a
//! currency, so the publisher says which ([`Money`]). The exact proven
//! totals stay in the extension as decimal strings.

mod fields;
mod import;

pub use fields::{Money, SUPPLIER_SEPARATOR};
pub use import::{
    ImportError, ImportPlan, Payment, PlannedContract, Referenced, SourceRelease, plan,
    read_releases,
};

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::book::ContractEntry;
use super::{Contract, FundsRuleError, Report};
use crate::export::{LogEvidence, timestamp};
use crate::merkle::leaf_hash;
use crate::record::Record;

/// The OCDS version releases follow.
pub const OCDS_VERSION: &str = "1.1";
/// The `zkaudit` extension's metadata (`extension.json`).
pub const EXTENSION: &str = include_str!("extension.json");
/// The `zkaudit` extension's patch to the release schema
/// (`release-schema.json`).
pub const EXTENSION_RELEASE_SCHEMA: &str = include_str!("release-schema.json");
/// The ocid prefix used when the publisher names none. Publishers register
/// their own with the Open Contracting Partnership.
pub const DEFAULT_OCID_PREFIX: &str = "ocds-zkaudt";

/// Who publishes and how: what every release and package states.
#[derive(Clone, Debug)]
pub struct Publication<'a> {
    /// The package's own URI.
    pub uri: &'a str,
    /// The publisher's name.
    pub publisher: &'a str,
    /// Where the `zkaudit` extension's `extension.json` is served.
    pub extension_url: &'a str,
    /// The registered ocid prefix.
    pub ocid_prefix: &'a str,
    /// How amounts are published.
    pub money: &'a Money,
    /// When the package is published (Unix ms).
    pub published_ms: u64,
}

/// One contract to export.
#[derive(Clone, Copy, Debug)]
pub struct ContractExport<'a> {
    /// The agency's key.
    pub agency: &'a [u8; 32],
    /// The agency's authority name, if the log names it.
    pub agency_name: Option<&'a str>,
    /// The contract and its payments, as the book holds them.
    pub entry: &'a ContractEntry,
    /// The records of the contract and of every report paying under it, by
    /// log index.
    pub records: &'a BTreeMap<u64, Record>,
    /// Their inclusion proofs, when the export carries them.
    pub evidence: Option<LogEvidence<'a>>,
}

/// Why a contract cannot be exported.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum OcdsError {
    /// A record the export needs was not given.
    #[error("the record at log index {0} is missing from the export's input")]
    MissingRecord(u64),
    /// A record is not what the book says it is.
    #[error("log index {index}: {source}")]
    Record {
        /// Where.
        index: u64,
        /// Why.
        source: FundsRuleError,
    },
    /// The record given for the contract holds another contract.
    #[error("the record at log index {0} is not the contract the book holds there")]
    NotTheContract(u64),
}

/// The OCDS release of one contract (see the module table).
pub fn contract_release(
    export: &ContractExport<'_>,
    publication: &Publication<'_>,
) -> Result<Value, OcdsError> {
    let entry = export.entry;
    let record = |index: u64| {
        export
            .records
            .get(&index)
            .ok_or(OcdsError::MissingRecord(index))
    };
    let contract_record = record(entry.index)?;
    let contract =
        Contract::decode(contract_record.payload()).map_err(|source| OcdsError::Record {
            index: entry.index,
            source,
        })?;
    if contract != entry.contract {
        return Err(OcdsError::NotTheContract(entry.index));
    }
    let c = &contract;
    let agency_hex = hex::encode(export.agency);
    let buyer = json!({
        "id": format!("zkaudit-agency-{}", &agency_hex[..16]),
        "name": export.agency_name.map_or_else(|| format!("agency {}", &agency_hex[..16]), str::to_owned),
    });
    let suppliers: Vec<Value> = c
        .winner
        .split(SUPPLIER_SEPARATOR)
        .map(|name| json!({ "id": format!("supplier-{name}"), "name": name }))
        .collect();
    let source_money;
    let (ocid, tender_id, award_id, money) = match &c.source {
        Some(source) => {
            source_money = Money {
                currency: source.currency.clone(),
                decimals: source.decimals.into(),
            };
            let tender_id = if source.tender_id.is_empty() {
                c.tender.clone()
            } else {
                source.tender_id.clone()
            };
            (
                source.ocid.clone(),
                tender_id,
                source.award_id.clone(),
                &source_money,
            )
        }
        None => (
            format!(
                "{}-{}-{}",
                publication.ocid_prefix,
                &agency_hex[..16],
                c.tender
            ),
            c.tender.clone(),
            format!("{}-award", c.tender),
            publication.money,
        ),
    };
    // One payee per transaction: the first supplier (OCDS names one).
    let supplier = &suppliers[0];

    let mut latest = contract_record.timestamp_ms();
    let mut transactions = Vec::new();
    let mut payments = Vec::new();
    for (period, report_index, total) in &entry.payments {
        let report_record = record(*report_index)?;
        Report::decode(report_record.payload()).map_err(|source| OcdsError::Record {
            index: *report_index,
            source,
        })?;
        latest = latest.max(report_record.timestamp_ms());
        transactions.push(json!({
            "id": period,
            "date": timestamp(report_record.timestamp_ms()),
            "value": money.value(*total),
            "payer": buyer,
            "payee": supplier,
        }));
        payments.push(json!({
            "period": period,
            "report": entry_evidence(*report_index, report_record, export.evidence),
            "provenTotal": total.to_string(),
        }));
    }

    let day = |day: u32| timestamp(u64::from(day) * 86_400_000);
    let mut tags = vec!["award", "contract"];
    if !transactions.is_empty() {
        tags.push("implementation");
    }
    let last_index = entry.payments.last().map_or(entry.index, |p| p.1);
    let mut parties_buyer = buyer.clone();
    parties_buyer["roles"] = json!(["buyer", "payer"]);
    parties_buyer["identifier"] = json!({ "scheme": "X-ZKAUDIT-ED25519", "id": agency_hex });
    let mut parties = vec![parties_buyer];
    for supplier in &suppliers {
        let mut party = supplier.clone();
        party["roles"] = json!(["supplier", "payee"]);
        parties.push(party);
    }
    let mut contract_json = json!({
        "id": c.tender,
        "awardID": award_id,
        "status": "active",
        "value": money.value(c.value.into()),
        "dateSigned": day(c.awarded_day),
        "period": { "startDate": day(c.awarded_day), "endDate": day(c.ends_day) },
        "documents": c.documents.iter().enumerate().map(|(i, digest)| json!({
            "id": hex::encode(digest),
            "title": format!("document {}", i + 1),
            "description": "SHA3-256 digest of the document as signed; the document itself is published by the buyer",
        })).collect::<Vec<_>>(),
        "implementation": { "transactions": transactions },
    });
    if let Some(title) = c
        .source
        .as_ref()
        .map(|s| &s.title)
        .filter(|t| !t.is_empty())
    {
        contract_json["title"] = json!(title);
    }
    Ok(json!({
        "ocid": ocid,
        "id": format!("{}-{last_index}", c.tender),
        "date": timestamp(latest),
        "tag": tags,
        "initiationType": "tender",
        "parties": parties,
        "buyer": buyer,
        "tender": { "id": tender_id },
        "awards": [{
            "id": award_id,
            "status": "active",
            "date": day(c.awarded_day),
            "value": money.value(c.value.into()),
            "suppliers": suppliers,
        }],
        "contracts": [contract_json],
        "zkaudit": {
            "checkpoint": export.evidence.map(|e| e.checkpoint),
            "contract": entry_evidence(entry.index, contract_record, export.evidence),
            "payments": payments,
        },
    }))
}

/// A release package of `releases`, declaring the `zkaudit` extension.
pub fn release_package(releases: Vec<Value>, publication: &Publication<'_>) -> Value {
    json!({
        "uri": publication.uri,
        "version": OCDS_VERSION,
        "extensions": [publication.extension_url],
        "publishedDate": timestamp(publication.published_ms),
        "publisher": { "name": publication.publisher },
        "releases": releases,
    })
}

/// A log entry in the extension: index, record id, leaf hash and, if
/// known, its inclusion proof.
fn entry_evidence(index: u64, record: &Record, evidence: Option<LogEvidence<'_>>) -> Value {
    let mut entry = json!({
        "logIndex": index,
        "recordId": hex::encode(record.id()),
        "leafHash": hex::encode(leaf_hash(&record.encode())),
    });
    if let Some(proof) = evidence.and_then(|e| e.proofs.get(&index)) {
        entry["inclusionProof"] = json!(proof);
    }
    entry
}
