//! Health end to end through the service and the `zkaudit` binary: record
//! commitments, patient consent and the flagged access audit; a vaccine
//! lot's chain of custody with its attacks; vaccination credentials proved
//! privately with the identity domain's eligibility proofs.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use zkaudit_ledger::health::{
    ACCESS, AccessEvent, CONSENT_GRANT, CONSENT_REVOKE, ConsentRevoke, DOMAIN, LOT_ADMINISTER,
    LOT_REGISTER, LOT_TRANSFER, LotAdminister, LotRegister, LotTransfer, MAX_QUANTITY,
    RECORD_COMMIT, RecordCommit, ciphertext_digest, patient_hex,
};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::{Record, RecordSigner};
use zkaudit_verifier::health::{Extract, HealthCheckError, verify_access_log, verify_trace};

const DAY: u64 = 86_400_000;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

struct Setup {
    tmp: tempfile::TempDir,
    server: ServerProcess,
    keys: Vec<(NoteSigningKey, PathBuf)>,
    log_key: String,
}

/// A server with a hospital (0), a manufacturer (1) and a public-health
/// authority (2), plus key files for a patient (3), a distributor (4) and
/// two sites (5, 6), none of them authorities.
fn start() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let mut rng =
        <rand_chacha::ChaCha20Rng as rand_chacha::rand_core::SeedableRng>::seed_from_u64(66);
    let log = NoteSigningKey::generate("test.zkaudit/health", &mut rng).unwrap();
    std::fs::write(data.join("log.key"), log.to_skey_string().as_bytes()).unwrap();
    let names = [
        "hospital",
        "manufacturer",
        "public-health",
        "patient",
        "distributor",
        "site-a",
        "site-b",
    ];
    let keys: Vec<_> = names
        .iter()
        .map(|name| {
            let key = NoteSigningKey::generate(name, &mut rng).unwrap();
            let path = tmp.path().join(format!("{name}.key"));
            std::fs::write(&path, key.to_skey_string().as_bytes()).unwrap();
            (key, path)
        })
        .collect();
    let authority = |i: usize, kinds: &str| {
        format!(
            "\n[[authority]]\nname = \"{}\"\nverifier_key = \"{}\"\nkinds = [{kinds}]\n",
            names[i],
            keys[i].0.verifier_key_string()
        )
    };
    std::fs::write(
        data.join("zkaudit.toml"),
        format!(
            "[log]\nkey_file = \"log.key\"\n{}{}{}",
            authority(0, "\"health/record.commit\", \"health/access\""),
            authority(1, "\"health/lot.register\""),
            authority(
                2,
                "\"identity/registry.create\", \"identity/credential.issue\", \"identity/scope.create\""
            ),
        ),
    )
    .unwrap();
    let server = ServerProcess::start(&data, &[]);
    let (_, info) = get_json(&agent(), &format!("{}/v1/log", server.base));
    let log_key = info["verifier_key"].as_str().unwrap().to_owned();
    Setup {
        tmp,
        server,
        keys,
        log_key,
    }
}

fn post(base: &str, key: &NoteSigningKey, kind: &str, at: u64, payload: Vec<u8>) -> (u16, String) {
    let record = Record::signed(DOMAIN, kind, at, payload, key).unwrap();
    let (status, body) = post_record(&agent(), base, &record);
    let code = body["error"]["code"].as_str().unwrap_or("").to_owned();
    (status, code)
}

fn log_size(base: &str) -> u64 {
    get_json(&agent(), &format!("{base}/v1/log")).1["size"]
        .as_u64()
        .unwrap()
}

#[test]
fn consent_and_access_audit() {
    let st = start();
    let base = st.server.base.as_str();
    let (hospital, patient) = (&st.keys[0].0, &st.keys[3].0);
    let patient_id = ok(&["health", "key-id", "--key", s(&st.keys[3].1)])
        .trim()
        .to_owned();
    assert_eq!(patient_id, patient_hex(&patient.record_key()));

    // The hospital commits a record version: only digests leave its machine.
    let encrypted = st.tmp.path().join("chart.enc");
    std::fs::write(&encrypted, b"opaque ciphertext bytes").unwrap();
    let salts = [
        st.tmp.path().join("chart.v1.salt"),
        st.tmp.path().join("chart.v3.salt"),
    ];
    let hospital_key = s(&st.keys[0].1);
    let common = ["--patient", patient_id.as_str(), "--server", base];
    let record_args = |version: &'static str| {
        let mut a = vec![
            "health",
            "record",
            "--key",
            hospital_key,
            "--record",
            "chart-7",
            "--version",
            version,
            "--file",
            s(&encrypted),
            "--salt-out",
            s(&salts[usize::from(version != "1")]),
        ];
        a.extend_from_slice(&common);
        a
    };
    ok(&record_args("1"));
    let err = fails(&record_args("3"));
    assert!(err.contains("version_out_of_sequence"), "{err}");
    // The salt stays on the hospital's machine; the log has only the digests.
    let salt_hex = std::fs::read_to_string(&salts[0]).unwrap();
    let (_, entry) = get_json(&agent(), &format!("{base}/v1/log/entries/0"));
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
        post(base, patient, RECORD_COMMIT, now_ms(), forged.encode()),
        (403, "not_authorised".into())
    );

    // The patient grants with their own key; a consent can't be granted twice.
    let grant = |id: &str, grantee: &str| {
        ok(&[
            "health",
            "consent",
            "grant",
            "--key",
            s(&st.keys[3].1),
            "--consent",
            id,
            "--grantee",
            grantee,
            "--purpose",
            "treatment",
            "--days",
            "30",
            "--server",
            base,
        ])
    };
    grant("gp", "dr-gp");
    grant("er", "dr-er");
    let again = fails(&[
        "health",
        "consent",
        "grant",
        "--key",
        s(&st.keys[3].1),
        "--consent",
        "gp",
        "--grantee",
        "dr-x",
        "--purpose",
        "treatment",
        "--server",
        base,
    ]);
    assert!(again.contains("already_used"), "{again}");
    // Nobody but the patient can revoke the patient's consent.
    let revoke_gp = ConsentRevoke {
        consent: "gp".into(),
    }
    .encode();
    assert_eq!(
        post(base, hospital, CONSENT_REVOKE, now_ms(), revoke_gp.clone()),
        (422, "unknown_consent".into())
    );
    // An unsigned consent is refused.
    let unsigned = Record::unsigned(DOMAIN, CONSENT_GRANT, now_ms(), vec![]).unwrap();
    assert_eq!(post_record(&agent(), base, &unsigned).0, 403);

    let access = |who: &str, version: &str| {
        let mut a = vec![
            "health",
            "access",
            "--key",
            hospital_key,
            "--record",
            "chart-7",
            "--version",
            version,
            "--accessor",
            who,
            "--purpose",
            "treatment",
        ];
        a.extend_from_slice(&common);
        zkaudit(&a)
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
        post(base, patient, ACCESS, now_ms(), fake_access.encode()).0,
        403
    );
    ok(&[
        "health",
        "consent",
        "revoke",
        "--key",
        s(&st.keys[3].1),
        "--consent",
        "gp",
        "--server",
        base,
    ]);
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert!(access("dr-gp", "1").status.success()); // after revocation: flagged
    assert!(access("dr-er", "1").status.success()); // still consented

    // The patient's access log, verified offline by the CLI.
    let report = ok(&[
        "health",
        "access-log",
        "--patient",
        s(&st.keys[3].1),
        "--log-key",
        &st.log_key,
        "--server",
        base,
        "--out",
        s(&st.tmp.path().join("extract.json")),
    ]);
    assert!(report.contains("4 accesses, 2 flagged"), "{report}");
    assert!(
        report.contains("dr-nosy") && report.contains("had been revoked"),
        "{report}"
    );
    let (_, flagged) = get_json(&agent(), &format!("{base}/v1/health/flagged"));
    assert_eq!(flagged["indices"].as_array().unwrap().len(), 2);

    // The extract is checked offline; tampering or a foreign log key is caught.
    let extract: Extract =
        serde_json::from_str(&std::fs::read_to_string(st.tmp.path().join("extract.json")).unwrap())
            .unwrap();
    let (_, audit) = verify_access_log(&extract, &st.log_key, &patient.record_key()).unwrap();
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
        verify_access_log(&dropped, &st.log_key, &patient.record_key()),
        Err(HealthCheckError::Rule(_))
    ));
    let mut tampered = extract.clone();
    tampered.entries[0].inclusion_proof[0] = "00".repeat(32);
    assert!(matches!(
        verify_access_log(&tampered, &st.log_key, &patient.record_key()),
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
    // Another patient's log holds none of these.
    let (_, empty) = get_json(
        &agent(),
        &format!(
            "{base}/v1/health/patients/{}/access-log",
            patient_hex(&st.keys[4].0.record_key())
        ),
    );
    assert!(empty["accesses"].as_array().unwrap().is_empty());
    let (status, _) = get_json(
        &agent(),
        &format!("{base}/v1/health/patients/zz/access-log"),
    );
    assert_eq!(status, 400);
}

#[test]
fn supply_chain_trace_and_attacks() {
    let st = start();
    let base = st.server.base.as_str();
    let id = |i: usize| patient_hex(&st.keys[i].0.record_key());
    let key = |i: usize| s(&st.keys[i].1);
    let t = |name: &str| st.tmp.path().join(name);

    ok(&[
        "health",
        "lot",
        "--key",
        key(1),
        "--lot",
        "LOT-1",
        "--product",
        "VAX-A",
        "--quantity",
        "1000",
        "--expires-in-days",
        "90",
        "--server",
        base,
    ]);
    // Only the manufacturer registers lots; lot numbers are unique; quantities bounded.
    let err = fails(&[
        "health",
        "lot",
        "--key",
        key(4),
        "--lot",
        "LOT-2",
        "--product",
        "VAX-A",
        "--quantity",
        "10",
        "--expires-in-days",
        "90",
        "--server",
        base,
    ]);
    assert!(err.contains("not_authorised"), "{err}");
    let err = fails(&[
        "health",
        "lot",
        "--key",
        key(1),
        "--lot",
        "LOT-1",
        "--product",
        "VAX-A",
        "--quantity",
        "10",
        "--expires-in-days",
        "90",
        "--server",
        base,
    ]);
    assert!(err.contains("already_used"), "{err}");
    let huge = (MAX_QUANTITY + 1).to_string();
    let err = fails(&[
        "health",
        "lot",
        "--key",
        key(1),
        "--lot",
        "LOT-3",
        "--product",
        "VAX-A",
        "--quantity",
        &huge,
        "--expires-in-days",
        "90",
        "--server",
        base,
    ]);
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
        zkaudit(&[
            "health",
            "transfer",
            "send",
            "--key",
            key(from),
            s(&t(file)),
            "--server",
            base,
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
    ok(&[
        "health",
        "lot",
        "--key",
        key(1),
        "--lot",
        "LOT-2",
        "--product",
        "VAX-A",
        "--quantity",
        "5",
        "--expires-in-days",
        "90",
        "--server",
        base,
    ]);
    let not_holder = ship(6, 5, "LOT-2", "1", "t7.json");
    assert!(String::from_utf8_lossy(&not_holder.stderr).contains("not_holder"));
    // A sender who alters the countersigned quantity.
    let (m, d) = (&st.keys[1].0, &st.keys[4].0);
    let at = now_ms();
    let mut altered = LotTransfer::countersigned("LOT-1", 10, &m.record_key(), at, d);
    altered.quantity = 100;
    assert_eq!(
        post(base, m, LOT_TRANSFER, at, altered.encode()),
        (403, "bad_countersignature".into())
    );
    // Quantity overflow at the receiver.
    let big = LotRegister {
        lot: "BIG".into(),
        product: "VAX-A".into(),
        quantity: MAX_QUANTITY,
        expiry_ms: now_ms() + DAY,
    };
    assert_eq!(post(base, m, LOT_REGISTER, now_ms(), big.encode()).0, 201);
    let a = now_ms();
    let all = LotTransfer::countersigned("BIG", MAX_QUANTITY, &m.record_key(), a, d);
    assert_eq!(post(base, m, LOT_TRANSFER, a, all.encode()).0, 201);
    let more = LotRegister {
        lot: "BIG-2".into(),
        ..big.clone()
    };
    assert_eq!(post(base, m, LOT_REGISTER, now_ms(), more.encode()).0, 201);

    // Sites administer; not beyond their stock.
    for (site, doses) in [(5, "100"), (6, "299")] {
        ok(&[
            "health",
            "administer",
            "--key",
            key(site),
            "--lot",
            "LOT-1",
            "--doses",
            doses,
            "--server",
            base,
        ]);
    }
    let err = fails(&[
        "health",
        "administer",
        "--key",
        key(6),
        "--lot",
        "LOT-1",
        "--doses",
        "1",
        "--server",
        base,
    ]);
    assert!(err.contains("not_holder"), "{err}");
    let err = fails(&[
        "health",
        "administer",
        "--key",
        key(5),
        "--lot",
        "LOT-1",
        "--doses",
        "152",
        "--server",
        base,
    ]);
    assert!(err.contains("over_quantity"), "{err}");
    let err = fails(&[
        "health",
        "administer",
        "--key",
        key(5),
        "--lot",
        "NOPE",
        "--doses",
        "1",
        "--server",
        base,
    ]);
    assert!(err.contains("unknown_lot"), "{err}");

    // The whole chain, checked offline by the CLI and by the verifier crate.
    let report = ok(&[
        "health",
        "trace",
        "LOT-1",
        "--manufacturer",
        &id(1),
        "--log-key",
        &st.log_key,
        "--server",
        base,
        "--out",
        s(&t("trace.json")),
    ]);
    assert!(
        report.contains("4 transfers and 2 administrations (399 doses)"),
        "{report}"
    );
    let err = fails(&[
        "health",
        "trace",
        "LOT-1",
        "--manufacturer",
        &id(4),
        "--log-key",
        &st.log_key,
        "--server",
        base,
    ]);
    assert!(err.contains("not the manufacturer"), "{err}");
    let err = fails(&[
        "health",
        "trace",
        "FAKE-9",
        "--log-key",
        &st.log_key,
        "--server",
        base,
    ]);
    assert!(err.contains("unknown lot"), "{err}");

    // What a misbehaving operator might let through is caught offline.
    let extract: Extract =
        serde_json::from_str(&std::fs::read_to_string(t("trace.json")).unwrap()).unwrap();
    let (verified, report) = verify_trace(&extract, &st.log_key, "LOT-1").unwrap();
    assert_eq!(report.lot.held_by(&st.keys[5].0.record_key()), 151);
    let size = log_size(base);
    let mut entries = verified.entries.clone();
    let at = now_ms();
    let diverted = LotTransfer::countersigned("LOT-1", 500, &st.keys[5].0.record_key(), at, d);
    entries.push((
        size,
        Record::signed(DOMAIN, LOT_TRANSFER, at, diverted.encode(), &st.keys[5].0).unwrap(),
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
            DOMAIN,
            LOT_ADMINISTER,
            expired_at,
            dose.encode(),
            &st.keys[5].0,
        )
        .unwrap(),
    ));
    let err = zkaudit_ledger::health::verify_trace("LOT-1", &late).unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
    let mut reordered = extract.clone();
    reordered.entries.swap(1, 2);
    assert!(matches!(
        verify_trace(&reordered, &st.log_key, "LOT-1"),
        Err(HealthCheckError::Rule(_))
    ));
    // Route: the lot's state.
    let (status, lot) = get_json(&agent(), &format!("{base}/v1/health/lots/LOT-1"));
    assert_eq!((status, lot["events"].as_u64()), (200, Some(7)));
    assert_eq!(
        get_json(&agent(), &format!("{base}/v1/health/lots/FAKE-9")).0,
        404
    );
}

#[test]
fn vaccination_credentials_prove_privately() {
    let st = start();
    let base = st.server.base.as_str();
    let t = |name: &str| st.tmp.path().join(name);
    let issuer = s(&st.keys[2].1);
    ok(&[
        "issuer",
        "create-registry",
        "--key",
        issuer,
        "--id",
        "vaccination",
        "--title",
        "Vaccination credentials",
        "--attributes",
        "product,dose,date",
        "--depth",
        "10",
        "--window-changes",
        "4",
        "--window-secs",
        "0",
        "--server",
        base,
    ]);
    // (product, dose, date yyyymmdd): products 1 and 2 are approved.
    let citizens = [
        ("ana", [1u64, 2, 20_260_301]),
        ("ben", [1, 1, 20_260_301]), // one dose
        ("cy", [9, 3, 20_260_301]),  // unapproved product
        ("dee", [2, 2, 20_260_501]), // too late
    ];
    for (name, attrs) in citizens {
        let wallet = t(&format!("{name}.json"));
        let commitment = ok(&["id", "new", "--wallet", s(&wallet)]).trim().to_owned();
        let a: Vec<String> = attrs.iter().map(u64::to_string).collect();
        ok(&[
            "issuer",
            "issue",
            "--key",
            issuer,
            "--registry",
            "vaccination",
            "--commitment",
            &commitment,
            "--attr",
            &a[0],
            "--attr",
            &a[1],
            "--attr",
            &a[2],
            "--server",
            base,
        ]);
        ok(&[
            "id",
            "add-credential",
            "--wallet",
            s(&wallet),
            "--registry",
            "vaccination",
            "--attr",
            &a[0],
            "--attr",
            &a[1],
            "--attr",
            &a[2],
        ]);
    }
    ok(&[
        "issuer",
        "create-scope",
        "--key",
        issuer,
        "--id",
        "travel-2026",
        "--title",
        "Vaccinated before 2026-04-01",
        "--registry",
        "vaccination",
        "--predicate",
        "product in 1,2",
        "--predicate",
        "dose>=2",
        "--predicate",
        "date<=20260401",
        "--server",
        base,
    ]);
    let prove = |who: &str| {
        zkaudit(&[
            "prove",
            "eligibility",
            "--wallet",
            s(&t(&format!("{who}.json"))),
            "--scope",
            "travel-2026",
            "--message",
            "boarding pass 1",
            "--out",
            s(&t(&format!("{who}-claim.json"))),
            "--keys",
            s(&t("holder-keys")),
            "--server",
            base,
        ])
    };
    let out = prove("ana");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    ok(&[
        "claim",
        s(&t("ana-claim.json")),
        "--out",
        s(&t("ana-receipt.json")),
        "--server",
        base,
    ]);
    let report = ok(&[
        "verify",
        s(&t("ana-receipt.json")),
        "--log-key",
        &st.log_key,
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
