//! A lot's chain imported from a GS1 EPCIS 2.0 document, the form a
//! distributor's traceability system emits (`zkaudit health import-epcis`):
//! each party logs its own events — the maker the commissioning, each
//! sender its shipment with the receiver's countersignature (two steps),
//! the site its dispensing — and the log's EPCIS export of the lot
//! validates against GS1's schema and carries every custody fact of the
//! input, and a later version's `errorDeclaration` of a dispensing is
//! logged as the site's correction. Re-runs log nothing twice; broken
//! documents (schema violations, corrections of shipments, bad quantities, unknown lot names, duplicate events) are
//! refused with the element's path, and change nothing.

mod common;

use std::path::Path;

use common::deploy::Deployment;
use common::*;
use serde_json::{Value, json};
use zkaudit_ledger::health::epcis::party;
use zkaudit_ledger::record::RecordSigner;

const LOG: &str = "test.zkaudit/health-epcis";
const GTIN: &str = "09506000134352";
const LOT: &str = "EW0182";

fn schema_validator() -> jsonschema::Validator {
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

fn event(
    id: &str,
    time: &str,
    action: &str,
    step: &str,
    disposition: &str,
    quantity: u64,
) -> Value {
    json!({
        "type": "ObjectEvent",
        "eventID": format!("urn:uuid:{id}"),
        "eventTime": time,
        "eventTimeZoneOffset": "+01:00",
        "action": action,
        "bizStep": step,
        "disposition": disposition,
        "quantityList": [{ "epcClass": format!("https://id.gs1.org/01/{GTIN}/10/{LOT}"), "quantity": quantity }],
    })
}

#[test]
fn a_lot_arrives_as_epcis_party_by_party() {
    let st = Deployment::start(
        69,
        LOG,
        &[
            ("maker", &["health/lot.register"]),
            ("distributor", &[]),
            ("site", &[]),
        ],
    );
    let server = &st.server;
    let name = |who: &str| party(st.key(who).record_key().as_bytes());
    let (maker, distributor, site) = (name("maker"), name("distributor"), name("site"));
    let between = |mut e: Value, from: &str, to: &str| {
        e["sourceList"] = json!([{ "type": "possessing_party", "source": from }]);
        e["destinationList"] = json!([{ "type": "possessing_party", "destination": to }]);
        e
    };
    let mut commissioning = event(
        "7f9b0a2e-0000-4000-8000-000000000001",
        "2026-12-01T08:00:00.000+01:00",
        "ADD",
        "commissioning",
        "active",
        1000,
    );
    commissioning["destinationList"] = json!([{ "type": "owning_party", "destination": maker }]);
    commissioning["ilmd"] =
        json!({ "cbvmda:lotNumber": LOT, "cbvmda:itemExpirationDate": "2027-06-30" });
    let mut dispensing = event(
        "7f9b0a2e-0000-4000-8000-000000000007",
        "2026-12-04T09:00:00.000+01:00",
        "OBSERVE",
        "dispensing",
        "dispensed",
        200,
    );
    dispensing["sourceList"] = json!([{ "type": "possessing_party", "source": site }]);
    let document = json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-12-04T12:00:00.000+01:00",
        "epcisBody": { "eventList": [
            commissioning,
            between(event("7f9b0a2e-0000-4000-8000-000000000002", "2026-12-02T08:00:00.000+01:00", "OBSERVE", "shipping", "in_transit", 600), &maker, &distributor),
            between(event("7f9b0a2e-0000-4000-8000-000000000003", "2026-12-02T15:00:00.000+01:00", "OBSERVE", "receiving", "active", 600), &maker, &distributor),
            event("7f9b0a2e-0000-4000-8000-000000000004", "2026-12-02T16:00:00.000+01:00", "OBSERVE", "inspecting", "active", 600),
            between(event("7f9b0a2e-0000-4000-8000-000000000005", "2026-12-03T08:00:00.000+01:00", "OBSERVE", "https://ref.gs1.org/cbv/BizStep-shipping", "in_transit", 250), &distributor, &site),
            between(event("7f9b0a2e-0000-4000-8000-000000000006", "2026-12-03T11:00:00.000+01:00", "OBSERVE", "receiving", "active", 250), &distributor, &site),
            dispensing,
        ] },
    });
    let validator = schema_validator();
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "the fixture is valid EPCIS: {errors:#?}");
    let file = st.path("lot.jsonld");
    std::fs::write(&file, document.to_string()).unwrap();
    let import = |who: &str, doc: &Path, extra: &[&str]| {
        let journal = st.path(&format!("{who}-journal.json"));
        server.run(
            &[
                &[
                    "health",
                    "import-epcis",
                    "--key",
                    st.key_file(who),
                    s(doc),
                    "--journal",
                    s(&journal),
                ][..],
                extra,
            ]
            .concat(),
        )
    };
    let stdout = |out: std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let refused = |out: std::process::Output, needle: &str| {
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !out.status.success() && stderr.contains(needle),
            "{needle}: {stderr}"
        );
    };
    let start = server.log_size();

    // Broken documents: refused with the path, nothing logged.
    let broken = |name: &str, edit: &dyn Fn(&mut Value), needle: &str| {
        let mut doc = document.clone();
        edit(&mut doc);
        let path = st.path(name);
        std::fs::write(&path, doc.to_string()).unwrap();
        refused(import("maker", &path, &[]), needle);
        assert_eq!(server.log_size(), start, "{name}");
    };
    broken(
        "correction.jsonld",
        &|d| d["epcisBody"]["eventList"][1]["errorDeclaration"] = json!({ "declarationTime": "2026-12-04T10:00:00.000+01:00", "reason": "incorrect_data" }),
        "epcisBody.eventList[1].errorDeclaration",
    );
    broken(
        "schema.jsonld",
        &|d| d["epcisBody"]["eventList"][1]["action"] = json!("JUMP"),
        "EPCIS 2.0 JSON schema",
    );
    broken(
        "quantity.jsonld",
        &|d| d["epcisBody"]["eventList"][0]["quantityList"][0]["quantity"] = json!(0),
        "epcisBody.eventList[0].quantityList[0].quantity",
    );
    broken(
        "class.jsonld",
        &|d| {
            d["epcisBody"]["eventList"][6]["quantityList"][0]["epcClass"] =
                json!("urn:example:vaccine")
        },
        "epcisBody.eventList[6].quantityList[0].epcClass",
    );
    broken(
        "duplicate.jsonld",
        &|d| {
            d["epcisBody"]["eventList"][6]["eventID"] =
                json!("urn:uuid:7f9b0a2e-0000-4000-8000-000000000001")
        },
        "epcisBody.eventList[6].eventID",
    );
    broken(
        "expiry.jsonld",
        &|d| {
            d["epcisBody"]["eventList"][0]["ilmd"]
                .as_object_mut()
                .unwrap()
                .remove("cbvmda:itemExpirationDate");
        },
        "cbvmda:itemExpirationDate",
    );
    // A shipment without the receiver's countersignature is not logged,
    // and neither is anything else of the document.
    refused(
        import("maker", &file, &[]),
        "needs the receiver's countersignature",
    );
    assert_eq!(server.log_size(), start);

    // Step one: each receiver countersigns the shipments to them.
    let countersigned = |who: &str| {
        let dir = st.path(&format!("{who}-countersigned"));
        let out = stdout(import(who, &file, &["--countersign-out", s(&dir)]));
        assert!(out.contains("1 event(s) countersigned"), "{out}");
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1);
        files[0].clone()
    };
    let (to_distributor, to_site) = (countersigned("distributor"), countersigned("site"));
    assert_eq!(server.log_size(), start, "countersigning logs nothing");

    // Step two: each party logs its own events, in the chain's order.
    let dry = stdout(import(
        "maker",
        &file,
        &["--countersigned", s(&to_distributor), "--dry-run"],
    ));
    assert!(
        dry.contains("would log: epcisBody.eventList[0] (lot.register)"),
        "{dry}"
    );
    assert_eq!(server.log_size(), start);
    let out = stdout(import(
        "maker",
        &file,
        &["--countersigned", s(&to_distributor)],
    ));
    assert!(out.contains("2 event(s) logged"), "{out}");
    assert!(
        out.contains("another party's event: epcisBody.eventList[4]"),
        "{out}"
    );
    assert!(
        out.contains("not a custody change (inspecting): epcisBody.eventList[3]"),
        "{out}"
    );
    let out = stdout(import(
        "distributor",
        &file,
        &["--countersigned", s(&to_site)],
    ));
    assert!(out.contains("1 event(s) logged"), "{out}");
    let out = stdout(import("site", &file, &[]));
    assert!(out.contains("1 event(s) logged"), "{out}");
    assert_eq!(server.log_size(), start + 4);
    // Re-runs log nothing twice.
    let again = stdout(import(
        "maker",
        &file,
        &["--countersigned", s(&to_distributor)],
    ));
    assert!(
        again.contains("0 event(s) logged, 2 already logged"),
        "{again}"
    );
    let again = stdout(import("site", &file, &[]));
    assert!(
        again.contains("0 event(s) logged, 1 already logged"),
        "{again}"
    );
    assert_eq!(server.log_size(), start + 4);

    // A later version of the document declares the dispensing erroneous
    // (200 doses were 150): the site logs the correction and the
    // corrective event; nobody else may correct it, and nothing twice.
    let mut corrected = document.clone();
    corrected["epcisBody"]["eventList"][6]["errorDeclaration"] = json!({
        "declarationTime": "2026-12-04T10:00:00.000+01:00",
        "reason": "incorrect_data",
        "correctiveEventIDs": ["urn:uuid:7f9b0a2e-0000-4000-8000-000000000008"],
    });
    let mut corrective = event(
        "7f9b0a2e-0000-4000-8000-000000000008",
        "2026-12-04T09:00:00.000+01:00",
        "OBSERVE",
        "dispensing",
        "dispensed",
        150,
    );
    corrective["sourceList"] = json!([{ "type": "possessing_party", "source": site }]);
    corrected["epcisBody"]["eventList"]
        .as_array_mut()
        .unwrap()
        .push(corrective);
    let errors: Vec<String> = validator
        .iter_errors(&corrected)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let corrected_file = st.path("lot-corrected.jsonld");
    std::fs::write(&corrected_file, corrected.to_string()).unwrap();
    let out = stdout(import("site", &corrected_file, &[]));
    assert!(
        out.contains("logged: epcisBody.eventList[6] (lot.correct: declared erroneous)"),
        "{out}"
    );
    assert!(out.contains("2 event(s) logged"), "{out}");
    let again = stdout(import("site", &corrected_file, &[]));
    assert!(again.contains("0 event(s) logged"), "{again}");
    assert_eq!(server.log_size(), start + 6);
    let (_, lot) = server.get_json(&format!("/v1/health/lots/{LOT}"));
    let site_hex = hex::encode(st.key("site").record_key().as_bytes());
    assert_eq!(lot["holdings"][&site_hex], 100, "{lot}");
    assert_eq!(lot["administered"][&site_hex], 150, "{lot}");
    // The correction names the administration; the distributor may not
    // correct the site's, and the site may not correct it twice.
    let (_, entry) = server.get_json(&format!("/v1/log/entries/{}", start + 4));
    let correction_payload = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        entry["payload"].as_str().unwrap(),
    )
    .unwrap();
    let correction = zkaudit_ledger::health::LotCorrect::decode(&correction_payload).unwrap();
    for (who, status, code) in [
        ("distributor", 403, "not_the_site"),
        ("site", 422, "already declared erroneous"),
    ] {
        let record = zkaudit_ledger::record::Record::signed(
            LOG,
            "health",
            "lot.correct",
            now_ms(),
            correction.encode(),
            &*st.key(who),
        )
        .unwrap();
        let (got, body) = server.post_record(&record);
        assert_eq!(got, status, "{who}: {body}");
        assert!(body.to_string().contains(code), "{who}: {body}");
    }
    assert_eq!(server.log_size(), start + 6);

    // The log's own EPCIS export: valid, and every custody fact is there.
    let (status, exported) = server.get_json(&format!("/v1/health/lots/{LOT}/epcis"));
    assert_eq!(status, 200, "{exported}");
    let errors: Vec<String> = validator
        .iter_errors(&exported)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let events = exported["epcisBody"]["eventList"].as_array().unwrap();
    let facts: Vec<(String, u64)> = events
        .iter()
        .map(|e| {
            (
                e["bizStep"].as_str().unwrap().to_owned(),
                e["quantityList"][0]["quantity"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("commissioning", 1000),
        ("shipping", 600),
        ("receiving", 600),
        ("shipping", 250),
        ("receiving", 250),
        ("dispensing", 200),
        ("dispensing", 150),
    ];
    assert_eq!(facts, expected.map(|(s, q)| (s.to_owned(), q)));
    assert_eq!(
        events[0]["quantityList"][0]["epcClass"],
        format!("https://id.gs1.org/01/{GTIN}/10/{LOT}")
    );
    assert_eq!(events[0]["ilmd"]["cbvmda:lotNumber"], LOT);
    assert_eq!(events[0]["ilmd"]["cbvmda:itemExpirationDate"], "2027-06-30");
    assert_eq!(events[3]["sourceList"][0]["source"], distributor);
    assert_eq!(events[3]["destinationList"][0]["destination"], site);
    assert_eq!(events[5]["sourceList"][0]["source"], site);
    let declaration = &events[5]["errorDeclaration"];
    assert_eq!(declaration["reason"], "incorrect_data", "{declaration}");
    assert_eq!(declaration["zkaudit:correctionLogIndex"], start + 4);
    assert!(events[6].get("errorDeclaration").is_none());
    // And the chain, correction included, verifies offline.
    let trace = server.ok(&["health", "trace", LOT, "--log-key", &st.log_vkey]);
    assert!(
        trace.contains(
            "2 transfers and 2 administrations (150 doses; 1 declared erroneous and not counted)"
        ),
        "{trace}"
    );
}
