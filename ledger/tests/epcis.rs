//! A lot's chain of custody as a GS1 EPCIS 2.0 document, validated against
//! GS1's own JSON schema (`shared/vectors/standards/epcis-2.0-json-schema.json`,
//! formats asserted) by the `jsonschema` crate — an implementation nobody
//! here wrote — and read back: the events in log order with the Core
//! Business Vocabulary's steps, the doses, the parties and the log
//! evidence of each. A chain that breaks a rule is refused.

use std::collections::BTreeMap;

use ed25519_dalek::SigningKey;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use serde_json::{Value, json};
use zkaudit_ledger::health::epcis::{LogEvidence, chain_document, lot_class, party};
use zkaudit_ledger::health::{
    DOMAIN, HealthError, LOT_ADMINISTER, LOT_REGISTER, LOT_TRANSFER, LotAdminister, LotRegister,
    LotTransfer,
};
use zkaudit_ledger::record::Record;

const LOG: &str = "zkaudit.test/epcis";
const T0: u64 = 1_800_000_000_000;
const DAY: u64 = 86_400_000;

fn key(seed: u64) -> SigningKey {
    SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(seed))
}

fn record(k: &SigningKey, kind: &str, at: u64, payload: Vec<u8>) -> Record {
    Record::signed(LOG, DOMAIN, kind, at, payload, k).unwrap()
}

/// manufacturer → distributor (600) → site (250) → 200 doses given.
fn chain(product: &str, lot: &str) -> (Vec<(u64, Record)>, [SigningKey; 3]) {
    let (m, d, s) = (key(1), key(2), key(3));
    let register = LotRegister {
        lot: lot.into(),
        product: product.into(),
        quantity: 1000,
        expiry_ms: T0 + 30 * DAY,
    };
    let to_distributor = LotTransfer::countersigned(lot, 600, &m.verifying_key(), T0 + 1000, &d);
    let to_site = LotTransfer::countersigned(lot, 250, &d.verifying_key(), T0 + 2000, &s);
    let given = LotAdminister {
        lot: lot.into(),
        doses: 200,
    };
    let entries = vec![
        (3, record(&m, LOT_REGISTER, T0, register.encode())),
        (
            7,
            record(&m, LOT_TRANSFER, T0 + 1000, to_distributor.encode()),
        ),
        (9, record(&d, LOT_TRANSFER, T0 + 2000, to_site.encode())),
        (12, record(&s, LOT_ADMINISTER, T0 + 3000, given.encode())),
    ];
    (entries, [m, d, s])
}

/// GS1's schema, with `format` asserted (URIs, times).
fn validator() -> jsonschema::Validator {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/standards/epcis-2.0-json-schema.json"
    );
    let schema: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn assert_valid(validator: &jsonschema::Validator, document: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{document:#}");
}

#[test]
fn a_lots_chain_is_a_valid_epcis_document_with_its_log_evidence() {
    let (entries, [m, d, s]) = chain("VAX-A", "LOT@7.B");
    let proofs: BTreeMap<u64, Vec<String>> = entries
        .iter()
        .map(|(i, _)| (*i, vec![hex::encode([*i as u8; 32])]))
        .collect();
    let evidence = LogEvidence {
        checkpoint: "zkaudit.test/epcis\n13\nroot\n",
        proofs: &proofs,
    };
    let document = chain_document("LOT@7.B", &entries, Some(evidence), T0 + 5000).unwrap();
    let validator = validator();
    assert_valid(&validator, &document);

    assert_eq!(document["type"], "EPCISDocument");
    assert_eq!(document["creationDate"], "2027-01-15T08:00:05.000Z");
    assert_eq!(
        document["epcisHeader"]["zkaudit:checkpoint"],
        evidence.checkpoint
    );
    let events = document["epcisBody"]["eventList"].as_array().unwrap();
    let steps: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["bizStep"].as_str().unwrap(),
                e["disposition"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("ADD", "commissioning", "active"),
            ("OBSERVE", "shipping", "in_transit"),
            ("OBSERVE", "receiving", "active"),
            ("OBSERVE", "shipping", "in_transit"),
            ("OBSERVE", "receiving", "active"),
            ("OBSERVE", "dispensing", "dispensed"),
        ]
    );
    // One class for the lot (the lot number percent-encoded), the doses.
    let class = "urn:zkaudit:lot:VAX-A:LOT%407.B";
    let doses: Vec<u64> = events
        .iter()
        .map(|e| {
            assert_eq!(e["quantityList"][0]["epcClass"], class);
            e["quantityList"][0]["quantity"].as_u64().unwrap()
        })
        .collect();
    assert_eq!(doses, [1000, 600, 600, 250, 250, 200]);
    let commissioning = &events[0];
    assert_eq!(commissioning["ilmd"]["cbvmda:lotNumber"], "LOT@7.B");
    assert_eq!(
        commissioning["ilmd"]["cbvmda:itemExpirationDate"],
        "2027-02-14"
    );
    assert_eq!(
        commissioning["destinationList"][0]["destination"],
        party(m.verifying_key().as_bytes())
    );
    // The second shipment: the distributor to the site, signed by the distributor.
    let shipped = &events[3];
    assert_eq!(
        shipped["sourceList"][0]["source"],
        party(d.verifying_key().as_bytes())
    );
    assert_eq!(
        shipped["destinationList"][0]["destination"],
        party(s.verifying_key().as_bytes())
    );
    assert_eq!(
        shipped["zkaudit:signedBy"],
        party(d.verifying_key().as_bytes())
    );
    assert_eq!(events[5]["eventTime"], "2027-01-15T08:00:03.000Z");
    // Every event names its log entry, record and inclusion proof.
    let indices: Vec<u64> = events
        .iter()
        .map(|e| e["zkaudit:logIndex"].as_u64().unwrap())
        .collect();
    assert_eq!(indices, [3, 7, 7, 9, 9, 12]);
    for (event, index) in events.iter().zip(indices) {
        let (_, record) = entries.iter().find(|(i, _)| *i == index).unwrap();
        assert_eq!(event["zkaudit:recordId"], hex::encode(record.id()));
        assert_eq!(
            event["zkaudit:inclusionProof"][0],
            hex::encode([index as u8; 32])
        );
    }
    let ids: std::collections::HashSet<&str> = events
        .iter()
        .map(|e| e["eventID"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), events.len(), "event ids are unique");

    // The schema is really applied: a made-up step, a time that is no
    // time, an extension field that is no URI are each refused.
    for (field, value) in [
        ("bizStep", json!("teleporting")),
        ("eventTime", json!("yesterday")),
        ("not a uri", json!(1)),
    ] {
        let mut broken = document.clone();
        broken["epcisBody"]["eventList"][1][field] = value;
        assert!(!validator.is_valid(&broken), "{field} accepted");
    }

    // Without evidence: still valid EPCIS, no header.
    let bare = chain_document("LOT@7.B", &entries, None, T0).unwrap();
    assert_valid(&validator, &bare);
    assert!(bare.get("epcisHeader").is_none());
}

#[test]
fn a_gtin_product_is_named_by_its_gs1_digital_link() {
    assert_eq!(
        lot_class("09506000134352", "A1"),
        "https://id.gs1.org/01/09506000134352/10/A1"
    );
    assert_eq!(
        lot_class("9506000134352", "A1"),
        "https://id.gs1.org/01/09506000134352/10/A1"
    );
    assert_eq!(lot_class("VAX-A", "A1"), "urn:zkaudit:lot:VAX-A:A1");
    let (entries, _) = chain("09506000134352", "A1");
    let document = chain_document("A1", &entries, None, T0).unwrap();
    assert_valid(&validator(), &document);
    assert_eq!(
        document["epcisBody"]["eventList"][5]["quantityList"][0]["epcClass"],
        "https://id.gs1.org/01/09506000134352/10/A1"
    );
}

#[test]
fn a_chain_that_breaks_a_rule_is_not_exported() {
    let (mut entries, [_, d, s]) = chain("VAX-A", "L1");
    // The distributor ships more than it still holds.
    let over = LotTransfer::countersigned("L1", 500, &d.verifying_key(), T0 + 4000, &s);
    entries.push((20, record(&d, LOT_TRANSFER, T0 + 4000, over.encode())));
    let err = chain_document("L1", &entries, None, T0).unwrap_err();
    assert!(
        matches!(err, HealthError::AtEntry { index: 20, .. }),
        "{err}"
    );
    // No registration: a counterfeit lot.
    let (entries, _) = chain("VAX-A", "L1");
    let err = chain_document("L1", &entries[1..], None, T0).unwrap_err();
    let HealthError::AtEntry { index: 7, source } = err else {
        panic!("{err}")
    };
    assert!(matches!(*source, HealthError::UnknownLot(_)), "{source}");
}
