//! Reading OCDS 1.1 releases into what zkaudit logs: a contract record per
//! contract, and per implementation transaction an expenditure to commit.
//!
//! The input is a release package (`{"releases": […]}`) or JSON Lines of
//! releases. Each release's fields are checked where they stand, so an
//! error names the input's own path (`releases[2].contracts[0].value.amount`
//! or `line 3: $.contracts[0]…`). The releases of one contracting process
//! (one `ocid`) are then compiled as OCDS compiles them — in date order,
//! later fields over earlier, arrays of objects merged by `id` — so an
//! amendment's new value or end date is what is logged.
//!
//! | OCDS (compiled release) | zkaudit `contract` |
//! |---|---|
//! | `contracts[].id` | `tender` (1–32 of `[A-Za-z0-9-.]`, unique per agency) |
//! | the names of the `awards[].suppliers` of its `awardID` | `winner`, joined by [`SUPPLIER_SEPARATOR`] |
//! | `contracts[].value`, else the award's | `value`, in minor units of the expected currency, exactly |
//! | `dateSigned`, else the award's `date`, else `period.startDate` | `awarded_day` |
//! | `period.endDate` | `ends_day` |
//! | the documents of the tender, the award and the contract | `documents`: the `id` when it is a SHA3-256 hex digest (as zkaudit exports), else the digest of the document entry's canonical JSON |
//! | `ocid`, `tender.id`, `awardID`, `title`, the currency | `source` ([`ContractSource`]) |
//!
//! `contracts[].implementation.transactions[]` become [`Payment`]s: the
//! caller commits each as a hidden expenditure labelled [`Payment::label`],
//! which is how a re-import recognises what it already logged. Contracts
//! whose status is `pending` or `cancelled` are not logged.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Datelike;
use serde_json::{Map, Value};

use super::fields::{Money, SUPPLIER_SEPARATOR};
use crate::funds::{Contract, ContractSource, MAX_DOCUMENTS, document_digest, is_valid_period};

/// Why an import is refused: where in the input, and what is wrong there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct ImportError {
    /// The offending field's path in the input, e.g.
    /// `releases[1].contracts[0].value.amount`.
    pub path: String,
    /// What is wrong with it.
    pub reason: String,
}

fn refuse<T>(path: &str, reason: impl Into<String>) -> Result<T, ImportError> {
    Err(ImportError {
        path: path.to_owned(),
        reason: reason.into(),
    })
}

/// One release as read, with the path it had in the input.
#[derive(Clone, Debug)]
pub struct SourceRelease {
    /// `releases[i]` (a package), `release` (a lone release) or `line n: $`
    /// (JSON Lines): a field's path continues it, e.g. `line 3:
    /// $.contracts[0].id`.
    pub path: String,
    /// The release.
    pub release: Value,
}

/// A contract to log, with where its compiled release came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedContract {
    /// `ocid …: contracts[id=…]`.
    pub path: String,
    /// The record's payload.
    pub contract: Contract,
}

/// A payment under a contract, to commit as a hidden expenditure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    /// `ocid …: contracts[id=…].implementation.transactions[id=…]`.
    pub path: String,
    /// The contract's id (its zkaudit tender).
    pub contract: String,
    /// The transaction's id.
    pub id: String,
    /// Its day, days since 1970-01-01.
    pub day: u32,
    /// Its amount in minor units.
    pub amount: u64,
}

impl Payment {
    /// The public label the expenditure is logged with: the contract and
    /// the transaction, never the amount.
    pub fn label(&self) -> String {
        format!("ocds:{}/{}", self.contract, self.id)
    }

    /// The calendar quarter of its day, `YYYY-Qn`: the period it is
    /// logged in when the importer is given none.
    pub fn quarter(&self) -> String {
        let date = day_date(self.day);
        format!("{}-Q{}", date.year(), date.month0() / 3 + 1)
    }
}

/// What a package holds for zkaudit, checked and compiled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportPlan {
    /// The contracts, in order of first appearance.
    pub contracts: Vec<PlannedContract>,
    /// Their payments, contract by contract.
    pub payments: Vec<Payment>,
    /// What is deliberately not logged (pending or cancelled contracts).
    pub skipped: Vec<String>,
    /// Contracts named without their award (implementation releases):
    /// they must be logged already.
    pub referenced: Vec<Referenced>,
}

/// A contract an implementation release names without its award.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Referenced {
    /// `ocid …: contracts[id=…].awardID`.
    pub path: String,
    /// The contract's id.
    pub contract: String,
    /// The award it names.
    pub award_id: String,
}

/// The releases of `text`: a release package, or JSON Lines of releases
/// (blank lines ignored).
pub fn read_releases(text: &str) -> Result<Vec<SourceRelease>, ImportError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{')
        && let Ok(package) = serde_json::from_str::<Value>(text)
    {
        if package.get("releases").is_some() {
            let Some(releases) = package["releases"].as_array() else {
                return refuse("releases", "an array of releases");
            };
            return Ok(releases
                .iter()
                .enumerate()
                .map(|(i, release)| SourceRelease {
                    path: format!("releases[{i}]"),
                    release: release.clone(),
                })
                .collect());
        }
        if package.get("ocid").is_some() {
            return Ok(vec![SourceRelease {
                path: "release".into(),
                release: package,
            }]);
        }
        return refuse(
            "(document)",
            "neither a release package (no \"releases\") nor a release (no \"ocid\")",
        );
    }
    let mut releases = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let path = format!("line {}: $", n + 1);
        match serde_json::from_str::<Value>(line) {
            Ok(release) if release.is_object() => releases.push(SourceRelease { path, release }),
            Ok(_) => return refuse(&path, "a release is a JSON object"),
            Err(e) => return refuse(&path, format!("not JSON: {e}")),
        }
    }
    if releases.is_empty() {
        return refuse("(document)", "no releases");
    }
    Ok(releases)
}

/// Checks every release where it stands, compiles each contracting
/// process and plans what to log. Amounts must be in `money`'s currency.
pub fn plan(releases: &[SourceRelease], money: &Money) -> Result<ImportPlan, ImportError> {
    // Check each release, and group them by ocid in order of appearance.
    let mut order: Vec<String> = Vec::new();
    let mut processes: BTreeMap<String, Vec<(i64, usize)>> = BTreeMap::new();
    for (n, source) in releases.iter().enumerate() {
        let date = check_release(&source.path, &source.release, money)?;
        let ocid = source.release["ocid"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if !processes.contains_key(&ocid) {
            order.push(ocid.clone());
        }
        processes.entry(ocid).or_default().push((date, n));
    }
    let mut plan = ImportPlan::default();
    let mut tenders: BTreeMap<String, String> = BTreeMap::new();
    for ocid in order {
        let mut members = processes.remove(&ocid).unwrap_or_default();
        members.sort_by_key(|(date, n)| (*date, *n));
        let mut compiled = Value::Object(Map::new());
        for (_, n) in members {
            merge(&mut compiled, &releases[n].release);
        }
        plan_process(&ocid, &compiled, money, &mut plan, &mut tenders)?;
    }
    Ok(plan)
}

/// One compiled contracting process into `plan`.
fn plan_process(
    ocid: &str,
    compiled: &Value,
    money: &Money,
    plan: &mut ImportPlan,
    tenders: &mut BTreeMap<String, String>,
) -> Result<(), ImportError> {
    let empty = Vec::new();
    let list = |v: &Value| v.as_array().unwrap_or(&empty).clone();
    for contract in list(&compiled["contracts"]) {
        let id = contract["id"].as_str().unwrap_or_default().to_owned();
        let path = format!("ocid {ocid}: contracts[id={id}]");
        let status = contract["status"].as_str().unwrap_or("active");
        if matches!(status, "pending" | "cancelled") {
            plan.skipped.push(format!("{path}: status {status}"));
            continue;
        }
        if let Some(earlier) = tenders.insert(id.clone(), path.clone()) {
            return refuse(&path, format!("the contract id is also used by {earlier}"));
        }
        let award_id = contract["awardID"].as_str().unwrap_or_default();
        let Some(award) = list(&compiled["awards"])
            .into_iter()
            .find(|a| a["id"].as_str() == Some(award_id))
        else {
            // An implementation release names a contract logged before.
            plan.referenced.push(Referenced {
                path: format!("{path}.awardID"),
                contract: id.clone(),
                award_id: award_id.to_owned(),
            });
            plan_payments(&path, &id, &contract, money, plan)?;
            continue;
        };
        let names: Vec<&str> = award["suppliers"]
            .as_array()
            .map(|s| s.iter().filter_map(|p| p["name"].as_str()).collect())
            .unwrap_or_default();
        if names.is_empty() {
            return refuse(
                &format!("ocid {ocid}: awards[id={award_id}].suppliers"),
                "the award names no supplier",
            );
        }
        let value = match contract.get("value").filter(|v| !v.is_null()) {
            Some(value) => value,
            None => award
                .get("value")
                .filter(|v| !v.is_null())
                .ok_or_else(|| ImportError {
                    path: format!("{path}.value"),
                    reason: "neither the contract nor its award has a value".into(),
                })?,
        };
        let value = minor_units(&format!("{path}.value"), value, money)?;
        let awarded = ["dateSigned"]
            .iter()
            .find_map(|f| contract[*f].as_str())
            .or_else(|| award["date"].as_str())
            .or_else(|| contract["period"]["startDate"].as_str())
            .ok_or_else(|| ImportError {
                path: format!("{path}.dateSigned"),
                reason: "no signature date, award date or start date".into(),
            })?;
        let ends = contract["period"]["endDate"]
            .as_str()
            .ok_or_else(|| ImportError {
                path: format!("{path}.period.endDate"),
                reason: "zkaudit logs the contract's end date".into(),
            })?;
        let mut documents = Vec::new();
        for holder in [&compiled["tender"], &award, &contract] {
            for document in list(&holder["documents"]) {
                let digest = document_digest_of(&document);
                if !documents.contains(&digest) {
                    documents.push(digest);
                }
            }
        }
        if documents.len() > MAX_DOCUMENTS {
            return refuse(
                &format!("{path}.documents"),
                format!("at most {MAX_DOCUMENTS} documents per contract with its tender and award"),
            );
        }
        let title = [&contract, &award, &compiled["tender"]]
            .iter()
            .find_map(|v| v["title"].as_str())
            .unwrap_or_default();
        let record = Contract {
            tender: id.clone(),
            winner: names.join(SUPPLIER_SEPARATOR),
            value,
            awarded_day: day_of(&path, awarded)?,
            ends_day: day_of(&format!("{path}.period.endDate"), ends)?,
            documents,
            source: Some(ContractSource {
                ocid: ocid.to_owned(),
                tender_id: compiled["tender"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                award_id: award_id.to_owned(),
                title: title.to_owned(),
                currency: money.currency.clone(),
                decimals: money.decimals as u8,
            }),
        };
        if !is_valid_period(&id) {
            return refuse(
                &format!("{path}.id"),
                "zkaudit contract ids are 1-32 of [A-Za-z0-9-.]",
            );
        }
        Contract::decode(&record.encode()).or_else(|e| refuse(&path, e.to_string()))?;
        plan_payments(&path, &id, &contract, money, plan)?;
        plan.contracts.push(PlannedContract {
            path,
            contract: record,
        });
    }
    Ok(())
}

/// The payments of one compiled contract into `plan`.
fn plan_payments(
    path: &str,
    id: &str,
    contract: &Value,
    money: &Money,
    plan: &mut ImportPlan,
) -> Result<(), ImportError> {
    let empty = Vec::new();
    let transactions = contract["implementation"]["transactions"]
        .as_array()
        .unwrap_or(&empty);
    for transaction in transactions {
        let tx_id = transaction["id"].as_str().unwrap_or_default().to_owned();
        let tx_path = format!("{path}.implementation.transactions[id={tx_id}]");
        let date = transaction["date"].as_str().ok_or_else(|| ImportError {
            path: format!("{tx_path}.date"),
            reason: "a payment needs its date (it picks the period)".into(),
        })?;
        let value = transaction
            .get("value")
            .or_else(|| transaction.get("amount"))
            .ok_or_else(|| ImportError {
                path: format!("{tx_path}.value"),
                reason: "a payment needs its value".into(),
            })?;
        let payment = Payment {
            path: tx_path.clone(),
            contract: id.to_owned(),
            amount: minor_units(&format!("{tx_path}.value"), value, money)?,
            day: day_of(&format!("{tx_path}.date"), date)?,
            id: tx_id,
        };
        if payment.label().len() > 128 {
            return refuse(
                &format!("{tx_path}.id"),
                "too long for a label (128 bytes with the contract id)",
            );
        }
        plan.payments.push(payment);
    }
    Ok(())
}

/// Checks the fields zkaudit reads, where they stand in the input; returns
/// the release's date (Unix seconds) for ordering.
fn check_release(path: &str, release: &Value, money: &Money) -> Result<i64, ImportError> {
    let Some(object) = release.as_object() else {
        return refuse(path, "a release is a JSON object");
    };
    for field in ["ocid", "id", "date"] {
        match object.get(field).and_then(Value::as_str) {
            Some(s) if !s.trim().is_empty() => {}
            _ => return refuse(&format!("{path}.{field}"), "required, a non-empty string"),
        }
    }
    let ocid = object["ocid"].as_str().unwrap_or_default();
    if ocid.len() > 128 || ocid.chars().any(char::is_control) {
        return refuse(
            &format!("{path}.ocid"),
            "at most 128 bytes, no control characters",
        );
    }
    let date = parse_date(
        &format!("{path}.date"),
        object["date"].as_str().unwrap_or_default(),
    )?;
    let field = |name: &str| object.get(name).filter(|v| !v.is_null());
    if let Some(tender) = field("tender") {
        check_documents(&format!("{path}.tender"), tender)?;
    }
    for (i, award) in array(&format!("{path}.awards"), field("awards"))?
        .iter()
        .enumerate()
    {
        let at = format!("{path}.awards[{i}]");
        need_id(&at, award)?;
        if let Some(value) = award.get("value").filter(|v| !v.is_null()) {
            minor_units(&format!("{at}.value"), value, money)?;
        }
        if let Some(date) = award["date"].as_str() {
            parse_date(&format!("{at}.date"), date)?;
        }
        for (j, supplier) in array(&format!("{at}.suppliers"), award.get("suppliers"))?
            .iter()
            .enumerate()
        {
            let name = supplier["name"].as_str().unwrap_or_default();
            if name.is_empty()
                || name.contains(SUPPLIER_SEPARATOR)
                || name.chars().any(char::is_control)
            {
                return refuse(
                    &format!("{at}.suppliers[{j}].name"),
                    format!(
                        "a non-empty name without {SUPPLIER_SEPARATOR:?} or control characters"
                    ),
                );
            }
        }
        check_documents(&at, award)?;
    }
    unique_ids(&format!("{path}.awards"), field("awards"))?;
    for (i, contract) in array(&format!("{path}.contracts"), field("contracts"))?
        .iter()
        .enumerate()
    {
        let at = format!("{path}.contracts[{i}]");
        let id = need_id(&at, contract)?;
        if !is_valid_period(id) {
            return refuse(
                &format!("{at}.id"),
                "zkaudit contract ids are 1-32 of [A-Za-z0-9-.]",
            );
        }
        if let Some(value) = contract.get("value").filter(|v| !v.is_null()) {
            minor_units(&format!("{at}.value"), value, money)?;
        }
        for (name, date) in [
            ("dateSigned", &contract["dateSigned"]),
            ("period.startDate", &contract["period"]["startDate"]),
            ("period.endDate", &contract["period"]["endDate"]),
        ] {
            if let Some(date) = date.as_str() {
                parse_date(&format!("{at}.{name}"), date)?;
            }
        }
        check_documents(&at, contract)?;
        let transactions = contract["implementation"].get("transactions");
        let tx_path = format!("{at}.implementation.transactions");
        for (j, tx) in array(&tx_path, transactions)?.iter().enumerate() {
            let tx_at = format!("{tx_path}[{j}]");
            need_id(&tx_at, tx)?;
            if let Some(value) = tx.get("value").filter(|v| !v.is_null()) {
                minor_units(&format!("{tx_at}.value"), value, money)?;
            }
            if let Some(date) = tx["date"].as_str() {
                parse_date(&format!("{tx_at}.date"), date)?;
            }
        }
        unique_ids(&tx_path, transactions)?;
    }
    unique_ids(&format!("{path}.contracts"), field("contracts"))?;
    Ok(date)
}

fn array<'v>(path: &str, value: Option<&'v Value>) -> Result<&'v [Value], ImportError> {
    match value {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => refuse(path, "an array"),
    }
}

fn need_id<'v>(path: &str, item: &'v Value) -> Result<&'v str, ImportError> {
    match &item["id"] {
        Value::String(id) if !id.is_empty() && !id.chars().any(char::is_control) => Ok(id),
        _ => refuse(&format!("{path}.id"), "required, a non-empty string"),
    }
}

fn unique_ids(path: &str, value: Option<&Value>) -> Result<(), ImportError> {
    let mut seen = BTreeSet::new();
    for (i, item) in array(path, value)?.iter().enumerate() {
        if let Some(id) = item["id"].as_str()
            && !seen.insert(id)
        {
            return refuse(&format!("{path}[{i}].id"), format!("duplicate id {id:?}"));
        }
    }
    Ok(())
}

fn check_documents(path: &str, holder: &Value) -> Result<(), ImportError> {
    let at = format!("{path}.documents");
    for (i, document) in array(&at, holder.get("documents"))?.iter().enumerate() {
        need_id(&format!("{at}[{i}]"), document)?;
    }
    unique_ids(&at, holder.get("documents"))
}

/// A document's digest: its `id` when that is a SHA3-256 digest in hex
/// (zkaudit's exports name documents so), else the SHA3-256 of the entry's
/// canonical JSON (keys sorted, no spaces), which binds its URL and dates.
fn document_digest_of(document: &Value) -> [u8; 32] {
    if let Some(id) = document["id"].as_str() {
        let mut digest = [0u8; 32];
        if id.len() == 64 && hex::decode_to_slice(id, &mut digest).is_ok() {
            return digest;
        }
    }
    document_digest(&serde_json::to_vec(document).unwrap_or_default())
}

/// An OCDS `Value` in exact minor units of `money`'s currency.
fn minor_units(path: &str, value: &Value, money: &Money) -> Result<u64, ImportError> {
    match value["currency"].as_str() {
        Some(c) if c == money.currency => {}
        Some(c) => {
            return refuse(
                &format!("{path}.currency"),
                format!("{c}: this import reads {} amounts", money.currency),
            );
        }
        None => return refuse(&format!("{path}.currency"), "required"),
    }
    let at = format!("{path}.amount");
    let Some(number) = value["amount"].as_number() else {
        return refuse(&at, "required, a number");
    };
    let exact = number.is_u64() || number.is_i64();
    let minor =
        decimal_minor_units(&number.to_string(), money.decimals).map_err(|reason| ImportError {
            path: at.clone(),
            reason,
        })?;
    if !exact && minor > 1 << 53 {
        return refuse(
            &at,
            "a fractional JSON number this large is not exact; give the amount in fewer digits",
        );
    }
    Ok(minor)
}

/// `text` (a JSON number as printed: `12.5`, `1e21`, `-3`) in units of
/// 10^-`decimals`, exactly, or why not.
fn decimal_minor_units(text: &str, decimals: u32) -> Result<u64, String> {
    if text.starts_with('-') {
        return if text.trim_start_matches(['-', '0', '.']).is_empty() {
            Ok(0)
        } else {
            Err(format!(
                "{text}: negative amounts are not payments zkaudit logs"
            ))
        };
    }
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (
            m,
            e.parse::<i32>()
                .map_err(|_| format!("{text}: not a number"))?,
        ),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    // value = digits × 10^(exponent − len(fraction)); in minor units,
    // multiply by 10^decimals.
    let shift = exponent + decimals as i32 - fraction.len() as i32;
    let digits = digits.trim_start_matches('0');
    let (kept, dropped) = if shift >= 0 {
        (format!("{digits}{}", "0".repeat(shift as usize)), "")
    } else {
        let cut = digits.len().saturating_sub((-shift) as usize);
        (digits[..cut].to_owned(), &digits[cut..])
    };
    if dropped.bytes().any(|b| b != b'0') {
        return Err(format!(
            "{text} has more decimal places than the currency's {decimals}"
        ));
    }
    if kept.is_empty() {
        return Ok(0);
    }
    kept.parse::<u64>()
        .map_err(|_| format!("{text} overflows 64-bit minor units"))
}

/// Seconds since 1970 of an OCDS date-time (RFC 3339).
fn parse_date(path: &str, text: &str) -> Result<i64, ImportError> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|d| d.timestamp())
        .or_else(|_| refuse(path, format!("{text:?} is not an RFC 3339 date-time")))
}

/// Days since 1970-01-01 (UTC) of an OCDS date-time.
fn day_of(path: &str, text: &str) -> Result<u32, ImportError> {
    let seconds = parse_date(path, text)?;
    u32::try_from(seconds.div_euclid(86_400))
        .or_else(|_| refuse(path, format!("{text:?} is before 1970")))
}

fn day_date(day: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date")
        + chrono::Days::new(u64::from(day))
}

/// OCDS's merge of a later release into the compiled one: objects merge
/// field by field, `null` removes a field, arrays of objects with ids
/// merge by id, other values and arrays replace.
fn merge(compiled: &mut Value, release: &Value) {
    match (compiled, release) {
        (Value::Object(into), Value::Object(from)) => {
            for (key, value) in from {
                if value.is_null() {
                    into.remove(key);
                } else if let Some(existing) = into.get_mut(key) {
                    merge(existing, value);
                } else {
                    let mut fresh = Value::Object(Map::new());
                    if value.is_object() {
                        merge(&mut fresh, value);
                    } else {
                        fresh = value.clone();
                    }
                    into.insert(key.clone(), fresh);
                }
            }
        }
        (Value::Array(into), Value::Array(from))
            if from
                .iter()
                .all(|v| v.get("id").is_some_and(|id| !id.is_null())) =>
        {
            for item in from {
                match into.iter_mut().find(|v| v.get("id") == item.get("id")) {
                    Some(existing) => merge(existing, item),
                    None => into.push(item.clone()),
                }
            }
        }
        (compiled, release) => *compiled = release.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_exactly_or_refused() {
        assert_eq!(decimal_minor_units("12.5", 2), Ok(1250));
        assert_eq!(decimal_minor_units("12.34", 2), Ok(1234));
        assert_eq!(decimal_minor_units("1e3", 2), Ok(100_000));
        assert_eq!(decimal_minor_units("1.5e-1", 2), Ok(15));
        assert_eq!(decimal_minor_units("0.0", 2), Ok(0));
        assert_eq!(decimal_minor_units("7", 0), Ok(7));
        assert!(
            decimal_minor_units("12.345", 2)
                .unwrap_err()
                .contains("decimal places")
        );
        assert!(
            decimal_minor_units("1e30", 2)
                .unwrap_err()
                .contains("overflows")
        );
        assert!(
            decimal_minor_units("-5", 2)
                .unwrap_err()
                .contains("negative")
        );
        assert_eq!(
            decimal_minor_units("184467440737095516.15", 2),
            Ok(u64::MAX)
        );
        assert!(decimal_minor_units("184467440737095516.16", 2).is_err());
    }

    #[test]
    fn later_releases_override_and_arrays_merge_by_id() {
        let mut compiled = serde_json::json!({});
        merge(
            &mut compiled,
            &serde_json::json!({"a": 1, "c": {"x": 1}, "list": [{"id": "1", "v": 1}], "tag": ["award"]}),
        );
        merge(
            &mut compiled,
            &serde_json::json!({"a": null, "c": {"y": 2}, "list": [{"id": "1", "v": 2}, {"id": "2"}], "tag": ["contract"]}),
        );
        assert_eq!(
            compiled,
            serde_json::json!({"c": {"x": 1, "y": 2}, "list": [{"id": "1", "v": 2}, {"id": "2"}], "tag": ["contract"]})
        );
    }
}
