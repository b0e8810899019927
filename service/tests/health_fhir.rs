//! A hospital submits accesses as FHIR `AuditEvent`s (IHE BALP patient
//! reads): one at a time through `POST /v1/health/fhir/AuditEvent`, or a
//! `Bundle` through `zkaudit health import-fhir`, read whole before
//! anything is sent. The accesses join the patient's audit (consented or
//! flagged), come back out as FHIR that `fhir.resources` accepts, and are
//! never logged twice. Forged, tampered, malformed and unauthorised
//! submissions are refused with the element's FHIRPath, and change
//! nothing. Vaccination credentials are issued from FHIR `Immunization`s.

mod common;

use common::deploy::Deployment;
use common::fhir::fhir_validates;
use common::identity::{Issuer, claim, prove_eligibility};
use common::*;
use serde_json::{Value, json};
use zkaudit_ledger::health::fhir::{PATIENT_SYSTEM, access_from_audit_event};
use zkaudit_ledger::health::{ACCESS, DOMAIN, patient_hex};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::{Record, RecordSigner};
use zkaudit_service::client::Client;
use zkaudit_service::client::health::submit_audit_event;

const LOG: &str = "test.zkaudit/health-fhir";

/// An IHE BALP patient read of `reference` by `who` for `purpose`.
fn read_event(patient: &str, reference: &str, who: &str, purpose: &str, at: &str) -> Value {
    json!({
        "resourceType": "AuditEvent",
        "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest" }] }],
        "code": { "coding": [{ "system": "http://hl7.org/fhir/restful-interaction", "code": "vread" }] },
        "action": "R",
        "occurredDateTime": at,
        "recorded": at,
        "authorization": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": purpose }] }],
        "patient": { "identifier": { "system": PATIENT_SYSTEM, "value": patient } },
        "agent": [
            { "who": { "identifier": { "system": "urn:oid:2.16.840.1.113883.4.6", "value": who } }, "requestor": true },
            { "who": { "display": "EHR server" }, "requestor": false },
        ],
        "source": { "observer": { "display": "St. Mary's EHR" } },
        "entity": [{ "what": { "reference": reference } }],
    })
}

/// POSTs `event` with explicit signature headers.
fn post_event(st: &Deployment, event: &Value, headers: &[(&str, String)]) -> (u16, Value) {
    let mut request = agent()
        .post(format!("{}/v1/health/fhir/AuditEvent", st.base()))
        .header("content-type", "application/fhir+json");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let mut response = request.send(event.to_string()).unwrap();
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The headers signing `access_of` as `key`'s access record, now.
fn headers_for(key: &NoteSigningKey, access_of: &Value) -> Vec<(&'static str, String)> {
    let access = access_from_audit_event(access_of).unwrap();
    let record = Record::signed(LOG, DOMAIN, ACCESS, now_ms(), access.encode(), key).unwrap();
    vec![
        ("zkaudit-author", hex::encode(key.public_key().as_bytes())),
        ("zkaudit-timestamp", record.timestamp_ms().to_string()),
        (
            "zkaudit-signature",
            hex::encode(record.signature().unwrap().to_bytes()),
        ),
    ]
}

#[test]
fn accesses_arrive_as_fhir_audit_events() {
    let st = Deployment::start(
        67,
        LOG,
        &[
            ("hospital", &["health/record.commit", "health/access"]),
            ("patient", &[]),
        ],
    );
    let server = &st.server;
    let (hospital, patient) = (st.key("hospital"), st.key("patient"));
    let patient_id = patient_hex(&patient.record_key());
    let encrypted = st.path("chart.enc");
    std::fs::write(&encrypted, b"opaque ciphertext").unwrap();
    for version in ["1", "2"] {
        server.ok(&[
            "health",
            "record",
            "--key",
            st.key_file("hospital"),
            "--patient",
            &patient_id,
            "--record",
            "chart-9",
            "--version",
            version,
            "--file",
            s(&encrypted),
            "--salt-out",
            s(&st.path(&format!("chart-9.v{version}.salt"))),
        ]);
    }
    server.ok(&[
        "health",
        "consent",
        "grant",
        "--key",
        st.key_file("patient"),
        "--consent",
        "ward",
        "--grantee",
        "dr.ward@stmarys.example",
        "--purpose",
        "TREAT",
        "--days",
        "30",
    ]);

    // A Bundle of three reads, valid FHIR R5 by fhir.resources: two
    // consented, one by a clerk for billing (flagged).
    // Reads after the consent, before they are submitted.
    let base = now_ms();
    std::thread::sleep(std::time::Duration::from_millis(50));
    let at = |ms: u64| {
        chrono::DateTime::from_timestamp_millis((base + ms) as i64)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    };
    let events = [
        read_event(
            &patient_id,
            "DocumentReference/chart-9/_history/1",
            "dr.ward@stmarys.example",
            "TREAT",
            &at(1),
        ),
        read_event(
            &patient_id,
            "DocumentReference/chart-9/_history/2",
            "dr.ward@stmarys.example",
            "TREAT",
            &at(2),
        ),
        read_event(
            &patient_id,
            "DocumentReference/chart-9/_history/2",
            "clerk.7@stmarys.example",
            "HPAYMT",
            &at(3),
        ),
    ];
    let bundle = json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": events.iter().map(|e| json!({ "resource": e })).collect::<Vec<_>>(),
    });
    let bundle_file = st.path("audit-events.json");
    std::fs::write(&bundle_file, bundle.to_string()).unwrap();
    fhir_validates(&bundle_file);
    let import = |file: &std::path::Path, extra: &[&str]| {
        server.run(
            &[
                &[
                    "health",
                    "import-fhir",
                    "--key",
                    st.key_file("hospital"),
                    s(file),
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

    let before = server.log_size();
    let dry = stdout(import(&bundle_file, &["--dry-run"]));
    assert!(dry.contains("would log: Bundle.entry[2].resource: clerk.7@stmarys.example read record chart-9 version 2"), "{dry}");
    assert!(
        dry.contains("3 access(es) would be logged (dry run)"),
        "{dry}"
    );
    assert_eq!(server.log_size(), before);
    let done = stdout(import(&bundle_file, &[]));
    assert!(
        done.contains("3 access(es) logged, 0 already logged"),
        "{done}"
    );
    assert_eq!(server.log_size(), before + 3);
    let again = stdout(import(&bundle_file, &[]));
    assert!(
        again.contains("0 access(es) logged, 3 already logged"),
        "{again}"
    );
    assert_eq!(server.log_size(), before + 3);

    // They join the patient's audit: the clerk's billing read is flagged.
    let (_, log) = server.get_json(&format!("/v1/health/patients/{patient_id}/access-log"));
    let accesses = log["accesses"].as_array().unwrap();
    assert_eq!(accesses.len(), 3, "{log}");
    assert_eq!(accesses[0]["consent"], "ward");
    assert_eq!(accesses[1]["version"], 2);
    assert!(
        !accesses[2]["flagged"].as_str().unwrap().is_empty(),
        "{log}"
    );
    assert_eq!(accesses[2]["accessor"], "clerk.7@stmarys.example");
    assert_eq!(accesses[2]["purpose"], "HPAYMT");
    let at_ms = chrono::DateTime::parse_from_rfc3339(&at(3))
        .unwrap()
        .timestamp_millis();
    assert_eq!(accesses[2]["at_ms"].as_i64().unwrap(), at_ms);
    // And come back out as FHIR, valid, carrying what came in.
    let (status, exported) = server.get_json(&format!("/v1/health/patients/{patient_id}/fhir"));
    assert_eq!(status, 200);
    let file = st.path("exported.json");
    std::fs::write(&file, exported.to_string()).unwrap();
    fhir_validates(&file);
    let out: Vec<&Value> = exported["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == "AuditEvent")
        .collect();
    assert_eq!(out.len(), 3);
    assert_eq!(
        out[2]["agent"][0]["who"]["display"],
        "clerk.7@stmarys.example"
    );
    assert_eq!(out[2]["authorization"][0]["coding"][0]["code"], "HPAYMT");
    assert_eq!(out[2]["severity"], "alert");
    assert_eq!(
        out[1]["entity"][0]["what"]["display"],
        "record chart-9 version 2"
    );
    // The export reads back as the same accesses (the display form).
    for (sent, back) in events.iter().zip(&out) {
        assert_eq!(
            access_from_audit_event(sent).unwrap(),
            access_from_audit_event(back).unwrap()
        );
    }

    // One event through the API, signed by the hospital's client; resent
    // with the same headers it is the same entry.
    let fourth = read_event(
        &patient_id,
        "DocumentReference/chart-9/_history/1",
        "dr.ward@stmarys.example",
        "TREAT",
        &at(4),
    );
    let client = Client::new(st.base());
    let receipt = submit_audit_event(&client, &hospital, &fourth).unwrap();
    assert_eq!(receipt.index, before + 3);
    let headers = headers_for(&hospital, &fourth);
    let (status, first) = post_event(&st, &fourth, &headers);
    assert_eq!(status, 201, "{first}");
    let (status, again) = post_event(&st, &fourth, &headers);
    assert_eq!((status, &again["index"]), (200, &first["index"]), "{again}");

    // Refusals: each names what is wrong, and nothing is logged.
    let size = server.log_size();
    let refused = |event: &Value, headers: &[(&str, String)], status: u16, needle: &str| {
        let (got, body) = post_event(&st, event, headers);
        assert_eq!(got, status, "{needle}: {body}");
        assert!(body.to_string().contains(needle), "{needle}: {body}");
        assert_eq!(server.log_size(), size);
    };
    // The signature signs another read than the one submitted.
    let mut tampered = fourth.clone();
    tampered["entity"][0]["what"]["reference"] = json!("DocumentReference/chart-9/_history/2");
    refused(&tampered, &headers, 403, "bad_signature");
    let mut other_time = fourth.clone();
    other_time["occurredDateTime"] = json!(at(5));
    refused(&other_time, &headers, 403, "bad_signature");
    // A patient may not log accesses, however well signed.
    refused(
        &fourth,
        &headers_for(&patient, &fourth),
        403,
        "not_authorised",
    );
    // A version never committed.
    let ghost = read_event(
        &patient_id,
        "DocumentReference/chart-9/_history/5",
        "dr.ward@stmarys.example",
        "TREAT",
        &at(1),
    );
    refused(
        &ghost,
        &headers_for(&hospital, &ghost),
        422,
        "unknown_record",
    );
    // Malformed headers.
    refused(&fourth, &headers[..2], 400, "zkaudit-signature: required");
    let mut padded = headers.clone();
    padded[1].1 = format!("0{}", padded[1].1);
    refused(&fourth, &padded, 400, "canonical decimal");
    // Not a read zkaudit logs: the FHIRPath of the element.
    let edit = |path: &str, value: Value, needle: &str| {
        let mut event = fourth.clone();
        let pointer: Vec<&str> = path.split('/').collect();
        let mut target = &mut event;
        for part in &pointer[..pointer.len() - 1] {
            target = match part.parse::<usize>() {
                Ok(i) => &mut target[i],
                Err(_) => &mut target[*part],
            };
        }
        target[pointer[pointer.len() - 1]] = value;
        refused(&event, &headers, 400, needle);
    };
    edit("action", json!("U"), "AuditEvent.action");
    edit(
        "patient/identifier/system",
        json!("urn:oid:1.2.3"),
        "AuditEvent.patient.identifier.system",
    );
    edit(
        "patient/identifier/value",
        json!("00".repeat(32)),
        "AuditEvent.patient.identifier.value",
    );
    edit(
        "entity/0/what/reference",
        json!("DocumentReference/chart-9"),
        "AuditEvent.entity[0].what.reference",
    );
    edit(
        "agent/0/who/identifier/value",
        json!("dr ward"),
        "AuditEvent.agent[0].who",
    );
    edit(
        "authorization/0/coding/0/code",
        json!(""),
        "AuditEvent.authorization[0].coding[0].code",
    );
    edit(
        "occurredDateTime",
        json!("yesterday"),
        "AuditEvent.occurredDateTime",
    );
    edit("resourceType", json!("Consent"), "resourceType");
    let (status, body) = post_event(&st, &json!([1, 2]), &headers);
    assert_eq!(status, 400, "{body}");

    // A bundle with one bad entry, or a Consent, logs nothing at all.
    let mut broken = bundle.clone();
    broken["entry"][1]["resource"]["entity"][0]["what"]["reference"] = json!("chart-9");
    broken["entry"][0]["resource"]["occurredDateTime"] = json!(at(6));
    let file = st.path("broken.json");
    std::fs::write(&file, broken.to_string()).unwrap();
    let out = import(&file, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && stderr.contains("Bundle.entry[1].resource.entity[0].what.reference"),
        "{stderr}"
    );
    let mut consent = bundle.clone();
    consent["entry"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "resource": { "resourceType": "Consent", "status": "active" } }));
    std::fs::write(&file, consent.to_string()).unwrap();
    let out = import(&file, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && stderr.contains("Bundle.entry[3].resource: a Consent is signed by its patient"),
        "{stderr}"
    );
    assert_eq!(server.log_size(), size);
}

/// A vaccination record as the vaccinating site's system writes it.
fn immunization(status: &str, cvx: &str, dose: &str, date: &str) -> Value {
    json!({
        "resourceType": "Immunization",
        "status": status,
        "vaccineCode": { "coding": [{ "system": "http://hl7.org/fhir/sid/cvx", "code": cvx }] },
        "patient": { "reference": "Patient/example" },
        "occurrenceDateTime": date,
        "lotNumber": "EW0182",
        "expirationDate": "2026-12-31",
        "protocolApplied": [{ "doseNumber": dose }],
    })
}

#[test]
fn vaccination_credentials_are_issued_from_fhir_immunizations() {
    let st = Deployment::start(
        68,
        LOG,
        &[(
            "public-health",
            &[
                "identity/registry.create",
                "identity/credential.issue",
                "identity/scope.create",
            ],
        )],
    );
    let server = &st.server;
    let t = |name: &str| st.path(name);
    let issuer = Issuer::new(server, st.key_file("public-health"));
    issuer.create_registry(
        "vaccination",
        "product,dose,date",
        &[
            "--depth",
            "10",
            "--window-changes",
            "4",
            "--window-secs",
            "0",
        ],
    );
    issuer.create_scope(
        "travel-2026",
        "Two doses of an approved vaccine before 2026-04-01",
        "vaccination",
        &["product in 208,217", "dose>=2", "date<=20260401"],
    );
    // The site's records, valid FHIR R5: the issuer issues from them and
    // each holder keeps the same values.
    let from_fhir = |who: &str, record: &Value| {
        let file = t(&format!("{who}-immunization.json"));
        std::fs::write(&file, record.to_string()).unwrap();
        fhir_validates(&file);
        let wallet = t(&format!("{who}.json"));
        let commitment = ok(&["id", "new", "--wallet", s(&wallet)]).trim().to_owned();
        let issue = [
            "issuer",
            "issue",
            "--key",
            st.key_file("public-health"),
            "--registry",
            "vaccination",
            "--commitment",
            &commitment,
            "--from-fhir",
            s(&file),
        ];
        (server.run(&issue), wallet, file)
    };
    let (issued, ana, ana_record) = from_fhir(
        "ana",
        &immunization("completed", "208", "2", "2026-03-01T10:30:00+01:00"),
    );
    assert!(
        issued.status.success(),
        "{}",
        String::from_utf8_lossy(&issued.stderr)
    );
    server.ok(&[
        "id",
        "add-credential",
        "--wallet",
        s(&ana),
        "--registry",
        "vaccination",
        "--from-fhir",
        s(&ana_record),
    ]);
    let wallet = std::fs::read_to_string(&ana).unwrap();
    assert!(
        wallet.contains("20260301"),
        "the wallet keeps the values the issuer used"
    );
    let proved = prove_eligibility(
        server,
        &ana,
        "travel-2026",
        "boarding pass 1",
        &t("ana-claim.json"),
        &t("keys"),
    );
    assert!(
        proved.status.success(),
        "{}",
        String::from_utf8_lossy(&proved.stderr)
    );
    claim(server, &t("ana-claim.json"), &t("ana-receipt.json"), &[]);

    // One dose: issued, but it does not satisfy the scope.
    let (issued, ben, ben_record) =
        from_fhir("ben", &immunization("completed", "208", "1", "2026-03-01"));
    assert!(issued.status.success());
    server.ok(&[
        "id",
        "add-credential",
        "--wallet",
        s(&ben),
        "--registry",
        "vaccination",
        "--from-fhir",
        s(&ben_record),
    ]);
    let proved = prove_eligibility(
        server,
        &ben,
        "travel-2026",
        "boarding pass 2",
        &t("ben-claim.json"),
        &t("keys"),
    );
    assert!(!proved.status.success());
    assert!(String::from_utf8_lossy(&proved.stderr).contains("does not satisfy"));

    // A vaccination not done, or with no numeric code, issues nothing.
    let size = server.log_size();
    for (who, record, path) in [
        (
            "cy",
            immunization("not-done", "208", "2", "2026-03-01"),
            "Immunization.status",
        ),
        (
            "dee",
            immunization("completed", "COMIRNATY", "2", "2026-03-01"),
            "Immunization.vaccineCode.coding",
        ),
    ] {
        let (issued, _, _) = from_fhir(who, &record);
        let stderr = String::from_utf8_lossy(&issued.stderr);
        assert!(
            !issued.status.success() && stderr.contains(path),
            "{who}: {stderr}"
        );
    }
    assert_eq!(server.log_size(), size);
}
