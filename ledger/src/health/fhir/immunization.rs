//! A FHIR `Immunization` as the attributes of a vaccination credential:
//! the issuer (a public-health authority) issues from the record the
//! vaccinating site already wrote, and the holder keeps the same values in
//! their wallet.
//!
//! | registry attribute | `Immunization` (R5; R4's names accepted) | value |
//! |---|---|---|
//! | `product` | `vaccineCode.coding[]`: the first numeric code (CVX, SNOMED CT) | the code |
//! | `dose` | `protocolApplied[0].doseNumber` (R4 `doseNumberPositiveInt`) | the dose number, ≥ 1 |
//! | `date` | `occurrenceDateTime` | `YYYYMMDD` |
//! | `expiry` | `expirationDate` (of the lot) | `YYYYMMDD` |
//!
//! Only a `completed` immunization is a vaccination: `not-done` and
//! `entered-in-error` are refused. A registry attribute with no mapping
//! is refused too, rather than guessed.

use serde_json::Value;

use super::terms::{FhirInputError, refuse};

/// The registry attributes an `Immunization` fills.
pub const IMMUNIZATION_ATTRIBUTES: [&str; 4] = ["product", "dose", "date", "expiry"];

/// The values of `schema`'s attributes (a registry's, in leaf order) that
/// `immunization` states (see the module table).
pub fn immunization_attributes(
    immunization: &Value,
    schema: &[String],
) -> Result<Vec<u64>, FhirInputError> {
    if immunization["resourceType"] != "Immunization" {
        return refuse("resourceType", "must be \"Immunization\"");
    }
    match immunization["status"].as_str() {
        Some("completed") => {}
        other => {
            return refuse(
                "Immunization.status",
                format!(
                    "{}: only a completed immunization is a vaccination",
                    other.unwrap_or("missing")
                ),
            );
        }
    }
    schema
        .iter()
        .map(|attribute| match attribute.as_str() {
            "product" => product(immunization),
            "dose" => dose(immunization),
            "date" => day_number(
                "Immunization.occurrenceDateTime",
                &immunization["occurrenceDateTime"],
            ),
            "expiry" => day_number(
                "Immunization.expirationDate",
                &immunization["expirationDate"],
            ),
            other => refuse(
                format!("(registry attribute {other:?})"),
                format!(
                    "no Immunization element maps to it; known: {}",
                    IMMUNIZATION_ATTRIBUTES.join(", ")
                ),
            ),
        })
        .collect()
}

fn product(immunization: &Value) -> Result<u64, FhirInputError> {
    let codings = immunization["vaccineCode"]["coding"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    codings
        .iter()
        .filter_map(|c| c["code"].as_str())
        .find(|code| {
            !code.is_empty() && code.len() <= 19 && code.bytes().all(|b| b.is_ascii_digit())
        })
        .and_then(|code| code.parse().ok())
        .map_or_else(
            || {
                refuse(
                    "Immunization.vaccineCode.coding",
                    "no numeric vaccine code (CVX or SNOMED CT) to use as the product",
                )
            },
            Ok,
        )
}

fn dose(immunization: &Value) -> Result<u64, FhirInputError> {
    let applied = &immunization["protocolApplied"][0];
    let (path, value) = match applied.get("doseNumber") {
        Some(v) => ("Immunization.protocolApplied[0].doseNumber", v),
        None => (
            "Immunization.protocolApplied[0].doseNumberPositiveInt",
            &applied["doseNumberPositiveInt"],
        ),
    };
    let number = match value {
        Value::String(s) => s.parse::<u64>().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    };
    number
        .filter(|n| *n >= 1)
        .map_or_else(|| refuse(path, "the dose number, a positive integer"), Ok)
}

/// A FHIR date or dateTime as the number `YYYYMMDD` (the date as written,
/// in the time zone it was recorded in).
fn day_number(path: &str, value: &Value) -> Result<u64, FhirInputError> {
    let text = value.as_str().unwrap_or_default();
    let date = text.get(..10).unwrap_or_default();
    let valid_rest = text.len() == 10 || chrono::DateTime::parse_from_rfc3339(text).is_ok();
    match chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d") {
        Ok(day) if valid_rest => {
            use chrono::Datelike;
            Ok(day.year() as u64 * 10_000 + u64::from(day.month()) * 100 + u64::from(day.day()))
        }
        _ => refuse(
            path,
            format!("{text:?}: a full date (YYYY-MM-DD) is required"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn an_immunization_fills_the_registry_attributes() {
        let immunization = json!({
            "resourceType": "Immunization",
            "status": "completed",
            "vaccineCode": { "coding": [
                { "system": "urn:oid:1.2.36.1.2001.1005.17", "code": "COMIRNATY" },
                { "system": "http://hl7.org/fhir/sid/cvx", "code": "208" },
            ] },
            "occurrenceDateTime": "2026-03-01T10:30:00+01:00",
            "expirationDate": "2026-09-30",
            "protocolApplied": [{ "doseNumber": "2" }],
        });
        assert_eq!(
            immunization_attributes(
                &immunization,
                &schema(&["product", "dose", "date", "expiry"])
            ),
            Ok(vec![208, 2, 20_260_301, 20_260_930])
        );
        let refused = |edit: &dyn Fn(&mut Value), schema_names: &[&str], path: &str| {
            let mut broken = immunization.clone();
            edit(&mut broken);
            let error = immunization_attributes(&broken, &schema(schema_names)).unwrap_err();
            assert!(error.path.contains(path), "{error}");
        };
        refused(
            &|i| i["status"] = json!("not-done"),
            &["dose"],
            "Immunization.status",
        );
        refused(
            &|i| i["vaccineCode"]["coding"][1]["code"] = json!("X208"),
            &["product"],
            "Immunization.vaccineCode.coding",
        );
        refused(
            &|i| i["protocolApplied"][0]["doseNumber"] = json!("second"),
            &["dose"],
            "doseNumber",
        );
        refused(
            &|i| i["occurrenceDateTime"] = json!("2026-03"),
            &["date"],
            "Immunization.occurrenceDateTime",
        );
        refused(&|_| {}, &["age"], "registry attribute \"age\"");
    }
}
