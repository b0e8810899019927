//! Fuzzing the verifier's parsers: Groth16 proofs, keys and field elements
//! (binary and decimal), snarkjs's JSON, hex hashes, and every JSON document
//! the verifier is handed (receipts, claim, election, funds and land
//! bundles, health extracts), parsed and verified.
//!
//! Seeds are the golden bundles (`tests/golden`), what they carry (ballot
//! and claim proofs, circuit keys), the snarkjs vectors in
//! `shared/vectors/snarkjs-groth16` and a receipt made from a golden entry.
//! The JSON documents are also mutated value by value, so the edits reach
//! the checks behind the JSON parser. The harness framework is the
//! ledger's (`ledger/tests/fuzz/mod.rs`, invariants and
//! `ZKAUDIT_FUZZ_CASES` there).

#[path = "../../ledger/tests/fuzz/mod.rs"]
mod fuzz;

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::VerifyingKey;
use fuzz::{Target, golden_bundles, golden_records};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use zkaudit_circuits::funds::{FundsError, FundsParams};
use zkaudit_ledger::election::{BALLOT, Ballot};
use zkaudit_ledger::identity::{CIRCUIT_KEY, CLAIM, CircuitKey, Claim};
use zkaudit_ledger::record::Record;
use zkaudit_verifier::claim::ClaimBundle;
use zkaudit_verifier::election::ElectionBundle;
use zkaudit_verifier::funds::FundsBundle;
use zkaudit_verifier::groth16::{
    decode_field, decode_field_decimal, decode_proof, decode_vk, encode_field,
    encode_field_decimal, encode_proof, encode_vk,
};
use zkaudit_verifier::health::{Extract, verify_access_log, verify_trace};
use zkaudit_verifier::land::HistoryBundle;
use zkaudit_verifier::snarkjs::{
    export_proof, export_public, export_vk, import_proof, import_public, import_vk,
};
use zkaudit_verifier::{LogEvidence, RECEIPT_FORMAT, Receipt, parse_hash};

/// Cases per property by default (the bundle targets verify what parses:
/// they run a quarter of this, the funds bundle a tenth).
const CASES: u32 = 1000;

/// The demo log's signed-note verifier key.
const LOG_KEY: &str =
    "zkaudit.localhost/dev-log+10fb0d54+AXmEFbD1F5e/wfF2GoucaiVbBrL1ftehLL0Rf/OERIO0";

/// The golden bundle `name`.
fn bundle(name: &str) -> String {
    golden_bundles()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no golden bundle {name}"))
        .1
}

/// A shared vector of snarkjs 0.7.6 (`shared/vectors/snarkjs-groth16`).
fn snarkjs(file: &str) -> String {
    let path = format!(
        "{}/../../shared/vectors/snarkjs-groth16/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// The golden payloads of `domain/kind`, decoded.
fn golden_payloads<T, E: Debug>(kind: &str, decode: impl Fn(&[u8]) -> Result<T, E>) -> Vec<T> {
    golden_records()
        .iter()
        .map(|bytes| Record::decode(bytes).expect("golden records decode"))
        .filter(|r| r.kind() == kind)
        .map(|r| decode(r.payload()).expect("golden payloads decode"))
        .collect()
}

/// A JSON document of type `T`: what parses re-serialises to a document
/// that parses to the same value, and `verify` never panics. Accepted
/// means verified.
fn document<T: DeserializeOwned + Serialize + PartialEq + Clone + Debug, V, E>(
    name: &str,
    seeds: Vec<String>,
    verify: impl Fn(&T) -> Result<V, E> + 'static,
) -> Target {
    Target::json(name, seeds, move |text| {
        let Ok(value) = serde_json::from_str::<T>(text) else {
            return Ok(false);
        };
        let again = serde_json::to_string(&value).expect("documents serialise");
        prop_assert_eq!(serde_json::from_str::<T>(&again).ok(), Some(value.clone()));
        Ok(verify(&value).is_ok())
    })
}

/// A snarkjs JSON format: what imports exports to JSON that imports to the
/// same value.
fn snarkjs_target<T: PartialEq + Debug, E>(
    name: &str,
    seed: String,
    import: impl Fn(&str) -> Result<T, E> + 'static,
    export: impl Fn(&T) -> String + 'static,
) -> Target {
    Target::json(name, vec![seed], move |text| {
        let Ok(value) = import(text) else {
            return Ok(false);
        };
        prop_assert_eq!(import(&export(&value)).ok(), Some(value));
        Ok(true)
    })
}

#[test]
fn groth16_encodings_are_canonical_and_never_panic() {
    let mut proofs: Vec<Vec<u8>> = golden_payloads(BALLOT, Ballot::decode)
        .into_iter()
        .map(|b| b.proof)
        .chain(
            golden_payloads(CLAIM, Claim::decode)
                .into_iter()
                .map(|c| c.proof),
        )
        .collect();
    let snarkjs_proof = import_proof(&snarkjs("proof.json")).expect("the snarkjs proof");
    proofs.push(encode_proof(&snarkjs_proof).to_vec());
    let mut keys: Vec<Vec<u8>> = golden_payloads(CIRCUIT_KEY, CircuitKey::decode)
        .into_iter()
        .map(|k| k.vk)
        .collect();
    keys.push(encode_vk(
        &import_vk(&snarkjs("vk.json")).expect("the snarkjs key"),
    ));
    let public = import_public(&snarkjs("public.json")).expect("the snarkjs signals");
    let fields = public.iter().map(|x| encode_field(x).to_vec()).collect();
    let decimals = public.iter().map(encode_field_decimal).collect();
    let targets = vec![
        Target::codec("groth16 proof", proofs, decode_proof, |p| {
            encode_proof(p).to_vec()
        }),
        Target::codec("groth16 verifying key", keys, decode_vk, encode_vk),
        Target::codec("field element", fields, decode_field, |x| {
            encode_field(x).to_vec()
        }),
        Target::text(
            "field element (decimal)",
            decimals,
            decode_field_decimal,
            encode_field_decimal,
        ),
        // Documented as lowercase or uppercase: canonical up to case.
        Target::new(
            "hex hash",
            vec![b"ab".repeat(32), b"0F".repeat(32)],
            |text| {
                let Ok(hash) = std::str::from_utf8(text).map(|s| parse_hash("hash", s)) else {
                    return Ok(false);
                };
                let Ok(hash) = hash else { return Ok(false) };
                prop_assert_eq!(hex::encode(hash).into_bytes(), text.to_ascii_lowercase());
                Ok(true)
            },
        ),
    ];
    fuzz::fuzz(file!(), targets, fuzz::cases(CASES), 1200);
}

#[test]
fn snarkjs_json_is_canonical_and_never_panics() {
    let targets = vec![
        snarkjs_target(
            "snarkjs verifying key",
            snarkjs("vk.json"),
            import_vk,
            export_vk,
        ),
        snarkjs_target(
            "snarkjs proof",
            snarkjs("proof.json"),
            import_proof,
            export_proof,
        ),
        snarkjs_target(
            "snarkjs public signals",
            snarkjs("public.json"),
            import_public,
            |p| export_public(p),
        ),
    ];
    fuzz::fuzz(file!(), targets, fuzz::cases(CASES), 1200);
}

/// A receipt for the first entry of the golden claim bundle's evidence.
fn golden_receipt() -> String {
    #[derive(serde::Deserialize)]
    struct WithEvidence {
        evidence: LogEvidence,
    }
    let evidence = serde_json::from_str::<WithEvidence>(&bundle("claim-bundle"))
        .expect("the golden claim bundle")
        .evidence;
    let entry = &evidence.entries[0];
    let record = BASE64.decode(&entry.record).expect("base64");
    let receipt = Receipt {
        format: RECEIPT_FORMAT.into(),
        origin: "zkaudit.localhost/dev-log".into(),
        index: entry.index,
        record_id: hex::encode(Record::decode(&record).expect("a record").id()),
        record: entry.record.clone(),
        inclusion_proof: entry.inclusion_proof.clone(),
        checkpoint: evidence.checkpoint,
        duplicate: false,
    };
    serde_json::to_string(&receipt).expect("serialises")
}

fn key(hex_key: &str) -> VerifyingKey {
    VerifyingKey::from_bytes(&hex::decode(hex_key).unwrap().try_into().unwrap()).unwrap()
}

#[test]
fn receipts_and_bundles_never_panic() {
    let registrar = key("607d6d2fce4f31fbc424f3e5ceb27f1ca3dd966e9d0605f91749e4fb104d0cbe");
    let patient = key("f2bd39b0735b61f6ecd603242e64d0d1860b68088237000dc8e52ceac0a2711d");
    let targets = vec![
        document("receipt", vec![golden_receipt()], |r: &Receipt| {
            r.verify(LOG_KEY)
        }),
        document(
            "claim bundle",
            vec![bundle("claim-bundle")],
            |b: &ClaimBundle| b.verify(LOG_KEY),
        ),
        document(
            "election bundle",
            vec![bundle("election-bundle")],
            |b: &ElectionBundle| b.verify(LOG_KEY),
        ),
        document(
            "land history",
            vec![bundle("land-history")],
            move |b: &HistoryBundle| b.verify(LOG_KEY, &registrar),
        ),
        document(
            "health trace",
            vec![bundle("health-trace")],
            |e: &Extract| verify_trace(e, LOG_KEY, "LOT-60448"),
        ),
        document(
            "health access log",
            vec![bundle("health-access-log")],
            move |e: &Extract| verify_access_log(e, LOG_KEY, &patient),
        ),
    ];
    fuzz::fuzz(file!(), targets, fuzz::cases(CASES) / 4, 1200);
}

#[test]
fn funds_bundles_never_panic() {
    // IPA parameters take seconds to make: once per circuit size.
    let params: Mutex<HashMap<u32, FundsParams>> = Mutex::new(HashMap::new());
    let params_for = move |k: u32| {
        let mut cache = params.lock().expect("not poisoned");
        Ok::<_, FundsError>(
            cache
                .entry(k)
                .or_insert_with(|| FundsParams::new(k))
                .clone(),
        )
    };
    let targets = vec![document(
        "funds bundle",
        vec![bundle("funds-bundle")],
        move |b: &FundsBundle| b.verify(LOG_KEY, &params_for),
    )];
    fuzz::fuzz(file!(), targets, fuzz::cases(CASES) / 10, 1200);
}
