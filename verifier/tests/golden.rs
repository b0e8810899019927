//! Golden fixtures: one bundle of every kind, made by the service before
//! the code was reorganised (commit e8b520a, `zkaudit demo` with small
//! shapes, fetched over the API; see `golden/README.md`).
//!
//! Each must still verify, to the same results, and re-serialise to exactly
//! its bytes: a refactor that changes a wire format, a record encoding or a
//! check fails here. One changed byte in each is rejected.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::VerifyingKey;
use serde::Serialize;
use serde::de::DeserializeOwned;
use zkaudit_circuits::funds::FundsParams;
use zkaudit_ledger::health::AccessVerdict;
use zkaudit_verifier::claim::ClaimBundle;
use zkaudit_verifier::election::ElectionBundle;
use zkaudit_verifier::funds::FundsBundle;
use zkaudit_verifier::health::{Extract, verify_access_log, verify_trace};
use zkaudit_verifier::land::HistoryBundle;

/// The demo log's signed-note verifier key.
const LOG_KEY: &str =
    "zkaudit.localhost/dev-log+10fb0d54+AXmEFbD1F5e/wfF2GoucaiVbBrL1ftehLL0Rf/OERIO0";
/// The demo land registry's key.
const REGISTRAR: &str = "607d6d2fce4f31fbc424f3e5ceb27f1ca3dd966e9d0605f91749e4fb104d0cbe";
/// The patient whose access log is extracted.
const PATIENT: &str = "f2bd39b0735b61f6ecd603242e64d0d1860b68088237000dc8e52ceac0a2711d";
/// The vaccine maker.
const MAKER: &str = "c41080a1ac9c2469b63c36717dd2ab985371cf79737e08f75f82fc7697a28a0b";

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/golden/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// Parses a fixture and checks it re-serialises to exactly its bytes.
fn parse<T: DeserializeOwned + Serialize>(name: &str) -> (String, T) {
    let text = fixture(name);
    let value: T = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        serde_json::to_string(&value).unwrap(),
        text,
        "{name} no longer re-serialises to its bytes"
    );
    (text, value)
}

fn key(hex_key: &str) -> VerifyingKey {
    VerifyingKey::from_bytes(&hex::decode(hex_key).unwrap().try_into().unwrap()).unwrap()
}

/// The fixture with one byte flipped in the payload of its first record
/// (a base64 `record` string under `field`).
fn tamper_record<T: DeserializeOwned>(text: &str, field: &str) -> T {
    let mut value: serde_json::Value = serde_json::from_str(text).unwrap();
    let mut slot = None;
    find_records(&mut value, field, &mut |record| {
        if slot.is_none() {
            slot = Some(record);
        }
    });
    let record = slot.expect("a record to tamper with");
    let mut bytes = BASE64.decode(record.as_str().unwrap()).unwrap();
    let last = bytes.len() - 70; // inside the payload, before the signature
    bytes[last] ^= 0x01;
    *record = serde_json::Value::String(BASE64.encode(bytes));
    serde_json::from_value(value).unwrap()
}

fn find_records<'a>(
    value: &'a mut serde_json::Value,
    field: &str,
    found: &mut dyn FnMut(&'a mut serde_json::Value),
) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k == "record" && v.is_string() {
                    found(v);
                } else if k == field || v.is_object() || v.is_array() {
                    find_records(v, field, found);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                find_records(v, field, found);
            }
        }
        _ => {}
    }
}

#[test]
fn claim_bundle_still_verifies() {
    let (text, bundle) = parse::<ClaimBundle>("claim-bundle");
    let report = bundle
        .verify(LOG_KEY)
        .expect("golden claim bundle verifies");
    assert_eq!(report.index, 324);
    assert_eq!(report.root_version, 160);
    assert!(report.development_key);
    assert_eq!(report.checkpoint_size, 1393);
    let tampered: ClaimBundle = tamper_record(&text, "entries");
    assert!(tampered.verify(LOG_KEY).is_err());
}

#[test]
fn election_bundle_still_verifies() {
    let (text, bundle) = parse::<ElectionBundle>("election-bundle");
    let report = bundle
        .verify(LOG_KEY)
        .expect("golden election bundle verifies");
    assert_eq!(report.election, "budget-vote-61576");
    assert_eq!(report.ballots, 5);
    let counted: u64 = report.results.iter().map(|(_, c)| c.unwrap()).sum();
    assert_eq!(counted, 5);
    assert_eq!(report.trustees_used.len(), 3);
    let tampered: ElectionBundle = tamper_record(&text, "entries");
    assert!(tampered.verify(LOG_KEY).is_err());
}

#[test]
fn funds_bundle_still_verifies() {
    let (text, bundle) = parse::<FundsBundle>("funds-bundle");
    let verified = bundle
        .verify(LOG_KEY, |k| Ok(FundsParams::new(k)))
        .expect("golden funds bundle verifies");
    assert_eq!(verified.items, 40);
    assert_eq!(verified.audits.len(), 1);
    assert!(verified.audits[0].1, "the audit was answered");
    let tampered: FundsBundle = tamper_record(&text, "entries");
    assert!(
        tampered
            .verify(LOG_KEY, |k| Ok(FundsParams::new(k)))
            .is_err()
    );
}

#[test]
fn land_history_still_verifies() {
    let (text, bundle) = parse::<HistoryBundle>("land-history");
    let history = bundle
        .verify(LOG_KEY, &key(REGISTRAR))
        .expect("golden land history verifies");
    assert_eq!(history.events.len(), bundle.events.len());
    assert_eq!(history.parcel.registration.parcel, "P59386-0");
    let tampered: HistoryBundle = tamper_record(&text, "events");
    assert!(tampered.verify(LOG_KEY, &key(REGISTRAR)).is_err());
}

#[test]
fn health_extracts_still_verify() {
    let (text, trace) = parse::<Extract>("health-trace");
    let (_, report) = verify_trace(&trace, LOG_KEY, "LOT-60448").expect("golden trace verifies");
    assert_eq!(report.lot.manufacturer, key(MAKER));
    assert_eq!(report.lot.events, 155);
    assert_eq!(report.lot.administered.values().sum::<u64>(), 3 * 549);
    let tampered: Extract = tamper_record(&text, "entries");
    assert!(verify_trace(&tampered, LOG_KEY, "LOT-60448").is_err());

    let (text, log) = parse::<Extract>("health-access-log");
    let (_, accesses) =
        verify_access_log(&log, LOG_KEY, &key(PATIENT)).expect("golden access log verifies");
    let flagged: Vec<u64> = accesses
        .iter()
        .filter(|a| matches!(a.verdict, AccessVerdict::Flagged { .. }))
        .map(|a| a.index)
        .collect();
    assert_eq!(flagged, [554]);
    assert_eq!(accesses.len(), 2);
    let tampered: Extract = tamper_record(&text, "entries");
    assert!(verify_access_log(&tampered, LOG_KEY, &key(PATIENT)).is_err());
}
