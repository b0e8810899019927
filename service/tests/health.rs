//! Health end to end through the service and the `zkaudit` binary: record
//! commitments, patient consent and the flagged access audit; a vaccine
//! lot's chain of custody with its attacks; vaccination credentials proved
//! privately with the identity domain's eligibility proofs.

mod common;

use common::deploy::Deployment;
use common::fhir::{fhir_validates, fhir_validator};
use common::identity::{Issuer, claim, prove_eligibility};
use common::*;
use zkaudit_ledger::health::{
    ACCESS, AccessEvent, CONSENT_GRANT, CONSENT_REVOKE, ConsentRevoke, DOMAIN, LOT_ADMINISTER,
    LOT_REGISTER, LOT_TRANSFER, LotAdminister, LotRegister, LotTransfer, MAX_QUANTITY,
    RECORD_COMMIT, RecordCommit, ciphertext_digest, patient_hex,
};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::{Record, RecordSigner};
use zkaudit_verifier::health::{Extract, HealthCheckError, verify_access_log, verify_trace};

/// The origin of the log these tests run.
const LOG: &str = "test.zkaudit/health";

const DAY: u64 = 86_400_000;

/// A server with a hospital (0), a manufacturer (1) and a public-health
/// authority (2), plus key files for a patient (3), a distributor (4) and
/// two sites (5, 6), none of them authorities.
fn start() -> Deployment {
    Deployment::start(
        66,
        LOG,
        &[
            ("hospital", &["health/record.commit", "health/access"]),
            ("manufacturer", &["health/lot.register"]),
            (
                "public-health",
                &[
                    "identity/registry.create",
                    "identity/credential.issue",
                    "identity/scope.create",
                ],
            ),
            ("patient", &[]),
            ("distributor", &[]),
            ("site-a", &[]),
            ("site-b", &[]),
        ],
    )
}

/// Appends a health record of `kind` by `key`, dated `at`; returns the
/// status and the error code, if any.
fn post(
    server: &ServerProcess,
    key: &NoteSigningKey,
    kind: &str,
    at: u64,
    payload: Vec<u8>,
) -> (u16, String) {
    let record = Record::signed(LOG, DOMAIN, kind, at, payload, key).unwrap();
    let (status, body) = server.post_record(&record);
    let code = body["error"]["code"].as_str().unwrap_or("").to_owned();
    (status, code)
}

/// `health lot`: `key` registers `lot` of VAX-A, `quantity` doses, for 90 days.
fn lot<'a>(key: &'a str, lot: &'a str, quantity: &'a str) -> [&'a str; 12] {
    [
        "health",
        "lot",
        "--key",
        key,
        "--lot",
        lot,
        "--product",
        "VAX-A",
        "--quantity",
        quantity,
        "--expires-in-days",
        "90",
    ]
}

/// `health administer`: `key`'s site gives `doses` doses of `lot`.
fn administer<'a>(key: &'a str, lot: &'a str, doses: &'a str) -> [&'a str; 8] {
    [
        "health",
        "administer",
        "--key",
        key,
        "--lot",
        lot,
        "--doses",
        doses,
    ]
}

#[test]
fn consent_and_access_audit() {
    let st = start();
    let server = &st.server;
    let (hospital, patient) = (&*st.parties[0].key, &*st.parties[3].key);
    let patient_file = s(&st.parties[3].file);
    let patient_id = ok(&["health", "key-id", "--key", patient_file])
        .trim()
        .to_owned();
    assert_eq!(patient_id, patient_hex(&patient.record_key()));

    // The hospital commits a record version: only digests leave its machine.
    let encrypted = st.path("chart.enc");
    std::fs::write(&encrypted, b"opaque ciphertext bytes").unwrap();
    let salts = [st.path("chart.v1.salt"), st.path("chart.v3.salt")];
    let hospital_key = s(&st.parties[0].file);
    // `health <command>` by the hospital on version `version` of chart 7.
    let on_chart = |command: &'static str, version: &'static str| {
        vec![
            "health",
            command,
            "--key",
            hospital_key,
            "--record",
            "chart-7",
            "--version",
            version,
            "--patient",
            patient_id.as_str(),
        ]
    };
    let record_args = |version: &'static str| {
        let mut a = on_chart("record", version);
        a.extend_from_slice(&[
            "--file",
            s(&encrypted),
            "--salt-out",
            s(&salts[usize::from(version != "1")]),
        ]);
        a
    };
    server.ok(&record_args("1"));
    let err = server.fails(&record_args("3"));
    assert!(err.contains("version_out_of_sequence"), "{err}");
    // The salt stays on the hospital's machine; the log has only the digests.
    let salt_hex = std::fs::read_to_string(&salts[0]).unwrap();
    let (_, entry) = server.get_json("/v1/log/entries/0");
    assert!(!entry.to_string().contains(salt_hex.trim()));
    // Only an authority granted health/record.commit may commit.
    let forged = RecordCommit {
        patient: patient.record_key(),
        record: "chart-7".into(),
        version: 2,
        ciphertext_sha3: ciphertext_digest(b"x"),
        commitment: [0; 32],
    };
    assert_eq!(
        post(server, patient, RECORD_COMMIT, now_ms(), forged.encode()),
        (403, "not_authorised".into())
    );

    // The patient grants with their own key; a consent can't be granted twice.
    let grant = |id: &'static str, grantee: &'static str| {
        [
            "health",
            "consent",
            "grant",
            "--key",
            patient_file,
            "--consent",
            id,
            "--grantee",
            grantee,
            "--purpose",
            "treatment",
        ]
    };
    server.ok(&[&grant("gp", "dr-gp")[..], &["--days", "30"]].concat());
    server.ok(&[&grant("er", "dr-er")[..], &["--days", "30"]].concat());
    let again = server.fails(&grant("gp", "dr-x"));
    assert!(again.contains("already_used"), "{again}");
    // Nobody but the patient can revoke the patient's consent.
    let revoke_gp = ConsentRevoke {
        consent: "gp".into(),
    }
    .encode();
    assert_eq!(
        post(
            server,
            hospital,
            CONSENT_REVOKE,
            now_ms(),
            revoke_gp.clone()
        ),
        (422, "unknown_consent".into())
    );
    // An unsigned consent is refused.
    let unsigned = Record::unsigned(LOG, DOMAIN, CONSENT_GRANT, now_ms(), vec![]).unwrap();
    assert_eq!(server.post_record(&unsigned).0, 403);

    let access = |who: &str, version: &'static str| {
        let mut a = on_chart("access", version);
        a.extend_from_slice(&["--accessor", who, "--purpose", "treatment"]);
        server.run(&a)
    };
    assert!(access("dr-gp", "1").status.success()); // consented
    assert!(access("dr-nosy", "1").status.success()); // logged, but flagged
    let ghost = access("dr-gp", "2");
    assert!(String::from_utf8_lossy(&ghost.stderr).contains("unknown_record"));
    // A patient can't log accesses (not an authority).
    let fake_access = AccessEvent {
        patient: patient.record_key(),
        record: "chart-7".into(),
        version: 1,
        accessor: "dr-gp".into(),
        purpose: "treatment".into(),
        at_ms: now_ms(),
    };
    assert_eq!(
        post(server, patient, ACCESS, now_ms(), fake_access.encode()).0,
        403
    );
    server.ok(&[
        "health",
        "consent",
        "revoke",
        "--key",
        patient_file,
        "--consent",
        "gp",
    ]);
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert!(access("dr-gp", "1").status.success()); // after revocation: flagged
    assert!(access("dr-er", "1").status.success()); // still consented

    // The patient's access log, verified offline by the CLI.
    let report = server.ok(&[
        "health",
        "access-log",
        "--patient",
        patient_file,
        "--log-key",
        &st.log_vkey,
        "--out",
        s(&st.path("extract.json")),
    ]);
    assert!(report.contains("4 accesses, 2 flagged"), "{report}");
    assert!(
        report.contains("dr-nosy") && report.contains("had been revoked"),
        "{report}"
    );
    let (_, flagged) = server.get_json("/v1/health/flagged");
    assert_eq!(flagged["indices"].as_array().unwrap().len(), 2);

    // The extract is checked offline; tampering or a foreign log key is caught.
    let extract: Extract =
        serde_json::from_str(&std::fs::read_to_string(st.path("extract.json")).unwrap()).unwrap();
    let (_, audit) = verify_access_log(&extract, &st.log_vkey, &patient.record_key()).unwrap();
    assert_eq!(audit.len(), 4);
    let flagged_count = audit
        .iter()
        .filter(|a| {
            matches!(
                a.verdict,
                zkaudit_ledger::health::AccessVerdict::Flagged { .. }
            )
        })
        .count();
    assert_eq!(flagged_count, 2);
    // An operator hiding the patient's grant is caught: the revocation then
    // names a consent that does not exist.
    let mut dropped = extract.clone();
    dropped.entries.remove(1);
    assert!(matches!(
        verify_access_log(&dropped, &st.log_vkey, &patient.record_key()),
        Err(HealthCheckError::Rule(_))
    ));
    let mut tampered = extract.clone();
    tampered.entries[0].inclusion_proof[0] = "00".repeat(32);
    assert!(matches!(
        verify_access_log(&tampered, &st.log_vkey, &patient.record_key()),
        Err(HealthCheckError::Log(_))
    ));
    let other = NoteSigningKey::generate("impostor", &mut rand::rngs::OsRng).unwrap();
    assert!(
        verify_access_log(
            &extract,
            &other.verifier_key_string(),
            &patient.record_key()
        )
        .is_err()
    );
    // As HL7 FHIR R5, from the CLI (verified first) and the API, valid by
    // fhir.resources: four AuditEvents (two flagged: severity alert), the
    // two consents (gp revoked: inactive), a Provenance per logged record
    // carrying its log evidence.
    let printed = server.ok(&[
        "health",
        "access-log",
        "--patient",
        patient_file,
        "--log-key",
        &st.log_vkey,
        "--fhir",
    ]);
    let (status, served) = server.get_json(&format!(
        "/v1/health/patients/{}/fhir",
        patient_hex(&patient.record_key())
    ));
    assert_eq!(status, 200, "{served}");
    let printed: serde_json::Value = serde_json::from_str(&printed).unwrap();
    for (name, bundle) in [("printed", &printed), ("served", &served)] {
        let of = |kind: &str| -> Vec<&serde_json::Value> {
            bundle["entry"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| &e["resource"])
                .filter(|r| r["resourceType"] == kind)
                .collect()
        };
        let events = of("AuditEvent");
        assert_eq!(events.len(), 4, "{name}");
        let alerts = events.iter().filter(|e| e["severity"] == "alert").count();
        assert_eq!(alerts, 2, "{name}");
        let consents = of("Consent");
        let status: Vec<&str> = consents
            .iter()
            .map(|c| c["status"].as_str().unwrap())
            .collect();
        assert!(
            status.contains(&"inactive") && status.contains(&"active"),
            "{status:?}"
        );
        let provenance = of("Provenance");
        assert_eq!(
            provenance.len(),
            extract.entries.len() - 1,
            "one per record but the commit"
        );
        for p in provenance {
            let parts = p["extension"][0]["extension"].as_array().unwrap();
            let index: u64 = parts[0]["valueInteger64"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            let entry = extract.entries.iter().find(|e| e.index == index).unwrap();
            let proof: Vec<&str> = parts
                .iter()
                .filter(|x| x["url"] == "inclusionProof")
                .map(|x| x["valueString"].as_str().unwrap())
                .collect();
            assert_eq!(proof, entry.inclusion_proof, "{name}: entry {index}");
        }
        let file = st.path(&format!("fhir-{name}.json"));
        std::fs::write(&file, bundle.to_string()).unwrap();
        fhir_validates(&file);
    }
    // The validator is really applied: an AuditEvent without the time it
    // was recorded (required) is refused.
    let mut broken = served.clone();
    let event = broken["entry"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["resource"]["resourceType"] == "AuditEvent")
        .unwrap();
    event["resource"]
        .as_object_mut()
        .unwrap()
        .remove("recorded");
    let file = st.path("fhir-broken.json");
    std::fs::write(&file, broken.to_string()).unwrap();
    assert!(
        !fhir_validator()
            .arg(&file)
            .output()
            .unwrap()
            .status
            .success()
    );

    // Another patient's log holds none of these.
    let (_, empty) = server.get_json(&format!(
        "/v1/health/patients/{}/access-log",
        patient_hex(&st.parties[4].key.record_key())
    ));
    assert!(empty["accesses"].as_array().unwrap().is_empty());
    let (status, _) = server.get_json("/v1/health/patients/zz/access-log");
    assert_eq!(status, 400);
}

#[test]
fn supply_chain_trace_and_attacks() {
    let st = start();
    let server = &st.server;
    let id = |i: usize| patient_hex(&st.parties[i].key.record_key());
    let key = |i: usize| s(&st.parties[i].file);
    let t = |name: &str| st.path(name);

    server.ok(&lot(key(1), "LOT-1", "1000"));
    // Only the manufacturer registers lots; lot numbers are unique; quantities bounded.
    let err = server.fails(&lot(key(4), "LOT-2", "10"));
    assert!(err.contains("not_authorised"), "{err}");
    let err = server.fails(&lot(key(1), "LOT-1", "10"));
    assert!(err.contains("already_used"), "{err}");
    let huge = (MAX_QUANTITY + 1).to_string();
    let err = server.fails(&lot(key(1), "LOT-3", &huge));
    assert!(err.contains("quantity overflow"), "{err}");

    // manufacturer → distributor (600) → site A (250), site B (300), via the
    // two-step countersign / send flow.
    let ship = |from: usize, to: usize, lot: &str, q: &str, file: &str| {
        ok(&[
            "health",
            "transfer",
            "countersign",
            "--key",
            key(to),
            "--sender",
            &id(from),
            "--lot",
            lot,
            "--quantity",
            q,
            "--out",
            s(&t(file)),
        ]);
        server.run(&[
            "health",
            "transfer",
            "send",
            "--key",
            key(from),
            s(&t(file)),
        ])
    };
    assert!(ship(1, 4, "LOT-1", "600", "t1.json").status.success());
    assert!(ship(4, 5, "LOT-1", "250", "t2.json").status.success());
    assert!(ship(4, 6, "LOT-1", "300", "t3.json").status.success());
    // Diversion: the distributor has 50 left.
    let over = ship(4, 5, "LOT-1", "51", "t4.json");
    assert!(String::from_utf8_lossy(&over.stderr).contains("over_quantity"));
    // Counterfeit: a lot nobody registered.
    let fake = ship(4, 5, "FAKE-9", "10", "t5.json");
    assert!(String::from_utf8_lossy(&fake.stderr).contains("unknown_lot"));
    // Sites may pass stock on (B holds 300).
    let onward = ship(6, 5, "LOT-1", "1", "t6.json");
    assert!(String::from_utf8_lossy(&onward.stdout).contains("logged"));
    // Wrong signer: site B sends from a lot it holds none of.
    server.ok(&lot(key(1), "LOT-2", "5"));
    let not_holder = ship(6, 5, "LOT-2", "1", "t7.json");
    assert!(String::from_utf8_lossy(&not_holder.stderr).contains("not_holder"));
    // A sender who alters the countersigned quantity.
    let (m, d) = (&*st.parties[1].key, &*st.parties[4].key);
    let at = now_ms();
    let mut altered = LotTransfer::countersigned("LOT-1", 10, &m.record_key(), at, d);
    altered.quantity = 100;
    assert_eq!(
        post(server, m, LOT_TRANSFER, at, altered.encode()),
        (403, "bad_countersignature".into())
    );
    // Quantity overflow at the receiver.
    let big = LotRegister {
        lot: "BIG".into(),
        product: "VAX-A".into(),
        quantity: MAX_QUANTITY,
        expiry_ms: now_ms() + DAY,
    };
    assert_eq!(post(server, m, LOT_REGISTER, now_ms(), big.encode()).0, 201);
    let a = now_ms();
    let all = LotTransfer::countersigned("BIG", MAX_QUANTITY, &m.record_key(), a, d);
    assert_eq!(post(server, m, LOT_TRANSFER, a, all.encode()).0, 201);
    let more = LotRegister {
        lot: "BIG-2".into(),
        ..big.clone()
    };
    assert_eq!(
        post(server, m, LOT_REGISTER, now_ms(), more.encode()).0,
        201
    );

    // Sites administer; not beyond their stock.
    for (site, doses) in [(5, "100"), (6, "299")] {
        server.ok(&administer(key(site), "LOT-1", doses));
    }
    let err = server.fails(&administer(key(6), "LOT-1", "1"));
    assert!(err.contains("not_holder"), "{err}");
    let err = server.fails(&administer(key(5), "LOT-1", "152"));
    assert!(err.contains("over_quantity"), "{err}");
    let err = server.fails(&administer(key(5), "NOPE", "1"));
    assert!(err.contains("unknown_lot"), "{err}");

    // The whole chain, checked offline by the CLI and by the verifier crate.
    let trace = |lot: &'static str| ["health", "trace", lot, "--log-key", st.log_vkey.as_str()];
    let report = server.ok(&[
        &trace("LOT-1")[..],
        &[
            "--manufacturer",
            id(1).as_str(),
            "--out",
            s(&t("trace.json")),
        ],
    ]
    .concat());
    assert!(
        report.contains("4 transfers and 2 administrations (399 doses)"),
        "{report}"
    );
    let err = server.fails(&[&trace("LOT-1")[..], &["--manufacturer", id(4).as_str()]].concat());
    assert!(err.contains("not the manufacturer"), "{err}");
    let err = server.fails(&trace("FAKE-9"));
    assert!(err.contains("unknown lot"), "{err}");

    // What a misbehaving operator might let through is caught offline.
    let extract: Extract =
        serde_json::from_str(&std::fs::read_to_string(t("trace.json")).unwrap()).unwrap();
    let (verified, report) = verify_trace(&extract, &st.log_vkey, "LOT-1").unwrap();
    let site_a = &*st.parties[5].key;
    assert_eq!(report.lot.held_by(&site_a.record_key()), 151);
    let size = server.log_size();
    let mut entries = verified.entries.clone();
    let at = now_ms();
    let diverted = LotTransfer::countersigned("LOT-1", 500, &site_a.record_key(), at, d);
    entries.push((
        size,
        Record::signed(LOG, DOMAIN, LOT_TRANSFER, at, diverted.encode(), site_a).unwrap(),
    ));
    let err = zkaudit_ledger::health::verify_trace("LOT-1", &entries).unwrap_err();
    assert!(err.to_string().contains("transfer of 500"), "{err}");
    let mut late = verified.entries.clone();
    let expired_at = report.lot.spec.expiry_ms;
    let dose = LotAdminister {
        lot: "LOT-1".into(),
        doses: 1,
    };
    late.push((
        size,
        Record::signed(
            LOG,
            DOMAIN,
            LOT_ADMINISTER,
            expired_at,
            dose.encode(),
            site_a,
        )
        .unwrap(),
    ));
    let err = zkaudit_ledger::health::verify_trace("LOT-1", &late).unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
    let mut reordered = extract.clone();
    reordered.entries.swap(1, 2);
    assert!(matches!(
        verify_trace(&reordered, &st.log_vkey, "LOT-1"),
        Err(HealthCheckError::Rule(_))
    ));
    // The chain as GS1 EPCIS 2.0, from the CLI (verified first) and the
    // API, valid by GS1's schema: 1 commissioning, 4 transfers (shipping
    // and receiving each), 2 administrations; every event on its entry.
    let schema: serde_json::Value = serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/vectors/standards/epcis-2.0-json-schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let epcis = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let printed = server.ok(&[&trace("LOT-1")[..], &["--epcis"]].concat());
    let (status, served) = server.get_json("/v1/health/lots/LOT-1/epcis");
    assert_eq!(status, 200, "{served}");
    for document in [serde_json::from_str(&printed).unwrap(), served] {
        let errors: Vec<String> = epcis
            .iter_errors(&document)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            document["epcisHeader"]["zkaudit:checkpoint"],
            extract.checkpoint
        );
        let events = document["epcisBody"]["eventList"].as_array().unwrap();
        let steps: Vec<&str> = events
            .iter()
            .map(|e| e["bizStep"].as_str().unwrap())
            .collect();
        assert_eq!(steps.len(), 11, "{steps:?}");
        assert_eq!(steps[0], "commissioning");
        assert_eq!(steps.iter().filter(|s| **s == "dispensing").count(), 2);
        for event in events {
            let index = event["zkaudit:logIndex"].as_u64().unwrap();
            let entry = extract.entries.iter().find(|e| e.index == index).unwrap();
            assert_eq!(
                event["zkaudit:inclusionProof"],
                serde_json::json!(entry.inclusion_proof)
            );
        }
    }
    let answer = agent()
        .get(&format!("{}/v1/health/lots/LOT-1/epcis", server.base))
        .call()
        .unwrap();
    assert_eq!(
        answer.headers().get("content-type").unwrap(),
        "application/ld+json"
    );
    assert_eq!(server.get_json("/v1/health/lots/FAKE-9/epcis").0, 404);
    let err = server.fails(&[&trace("FAKE-9")[..], &["--epcis"]].concat());
    assert!(err.contains("unknown lot"), "{err}");

    // Route: the lot's state.
    let (status, lot) = server.get_json("/v1/health/lots/LOT-1");
    assert_eq!((status, lot["events"].as_u64()), (200, Some(7)));
    assert_eq!(server.get_json("/v1/health/lots/FAKE-9").0, 404);
}

#[test]
fn vaccination_credentials_prove_privately() {
    let st = start();
    let server = &st.server;
    let t = |name: &str| st.path(name);
    let issuer = Issuer::new(server, s(&st.parties[2].file));
    issuer.create_registry(
        "vaccination",
        "product,dose,date",
        &[
            "--title",
            "Vaccination credentials",
            "--depth",
            "10",
            "--window-changes",
            "4",
            "--window-secs",
            "0",
        ],
    );
    // (product, dose, date yyyymmdd): products 1 and 2 are approved.
    let citizens = [
        ("ana", [1u64, 2, 20_260_301]),
        ("ben", [1, 1, 20_260_301]), // one dose
        ("cy", [9, 3, 20_260_301]),  // unapproved product
        ("dee", [2, 2, 20_260_501]), // too late
    ];
    for (name, attrs) in citizens {
        let a: Vec<String> = attrs.iter().map(u64::to_string).collect();
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        issuer.enrol("vaccination", &t(&format!("{name}.json")), &a);
    }
    issuer.create_scope(
        "travel-2026",
        "Vaccinated before 2026-04-01",
        "vaccination",
        &["product in 1,2", "dose>=2", "date<=20260401"],
    );
    let prove = |who: &str| {
        prove_eligibility(
            server,
            &t(&format!("{who}.json")),
            "travel-2026",
            "boarding pass 1",
            &t(&format!("{who}-claim.json")),
            &t("holder-keys"),
        )
    };
    assert_ran(&prove("ana"));
    claim(server, &t("ana-claim.json"), &t("ana-receipt.json"), &[]);
    let report = ok(&[
        "verify",
        s(&t("ana-receipt.json")),
        "--log-key",
        &st.log_vkey,
    ]);
    assert!(report.contains("identity/claim"), "{report}");
    // The claim reveals neither the product, the dose nor the date.
    let claim = std::fs::read_to_string(t("ana-claim.json")).unwrap();
    assert!(!claim.contains("20260301"));
    for who in ["ben", "cy", "dee"] {
        let out = prove(who);
        assert!(!out.status.success(), "{who} proved without qualifying");
        assert!(String::from_utf8_lossy(&out.stderr).contains("does not satisfy"));
    }
}
