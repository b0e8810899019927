//! Importing OCDS 1.1 releases (`zkaudit funds import-ocds`): a realistic
//! package of tenders, awards, an amended contract, a consortium and a
//! pending contract; then JSON Lines of implementation releases whose
//! transactions become hidden expenditures, proven in a report and
//! exported again as OCDS, which the standard's schema accepts and which
//! carries every public field the import read.
//!
//! Re-imports log nothing twice; a dry run logs nothing; broken packages
//! (schema violations, closed-codelist codes, overflowing or too precise
//! amounts, another currency, duplicate ids, ids zkaudit cannot hold) are
//! refused with the offending field's path, and the log does not change.

mod common;

use std::path::{Path, PathBuf};

use common::deploy::Deployment;
use common::ocds::assert_ocds_valid;
use serde_json::{Value, json};
use sha3::{Digest, Sha3_256};
use zkaudit_service::domains::funds::{ContractView, PeriodView};

const LOG: &str = "test.zkaudit/funds-ocds";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/funds")
        .join(name)
}

struct Import<'a> {
    st: &'a Deployment,
    openings: String,
}

impl Import<'_> {
    fn run(&self, file: &Path, extra: &[&str]) -> std::process::Output {
        let args = [
            &[
                "funds",
                "import-ocds",
                "--key",
                self.st.key_file("ministry"),
                "--currency",
                "EUR",
                "--openings",
                &self.openings,
                file.to_str().unwrap(),
            ][..],
            extra,
        ]
        .concat();
        self.st.server.run(&args)
    }

    fn ok(&self, file: &Path, extra: &[&str]) -> String {
        let out = self.run(file, extra);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The import of `document` is refused naming `path` and `reason`,
    /// and the log does not change.
    fn refused(&self, name: &str, document: &str, path: &str, reason: &str) {
        let file = self.st.path(name);
        std::fs::write(&file, document).unwrap();
        let before = self.st.server.log_size();
        let out = self.run(&file, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name} was imported");
        assert!(
            stderr.contains(path) && stderr.contains(reason),
            "{name}: expected {path:?} and {reason:?} in: {stderr}"
        );
        assert_eq!(self.st.server.log_size(), before, "{name} changed the log");
    }
}

fn get<T: serde::de::DeserializeOwned>(st: &Deployment, path: &str) -> T {
    let (status, body) = st.server.get_json(path);
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_value(body).unwrap()
}

fn day(date: &str) -> u32 {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as u32
}

#[test]
fn an_ocds_package_imports_once_proves_and_exports_back() {
    let st = Deployment::start(71, LOG, &[("ministry", &["funds/*"])]);
    let import = Import {
        st: &st,
        openings: st.path("openings.json").to_str().unwrap().to_owned(),
    };
    let contracts = fixture("ocds-contracts.json");
    let payments = fixture("ocds-implementation.jsonl");
    let package: Value = serde_json::from_slice(&std::fs::read(&contracts).unwrap()).unwrap();
    // The fixture itself is valid OCDS, by the standard's schema.
    assert_ocds_valid(&package);
    let agency = hex::encode(st.key("ministry").public_key().as_bytes());

    // A dry run says what would be logged and logs nothing.
    let start = st.server.log_size();
    let dry = import.ok(&contracts, &["--dry-run"]);
    assert!(
        dry.contains("would log: contract C-2027-001 (Acme Roads Ltd, value 9500050"),
        "{dry}"
    );
    assert!(dry.contains("would log: contract C-2027-014"), "{dry}");
    assert!(
        dry.contains(
            "not logged: ocid ocds-213czf-000-00003: contracts[id=C-2027-020]: status pending"
        ),
        "{dry}"
    );
    assert!(
        dry.contains("2 record(s) would be logged (dry run)"),
        "{dry}"
    );
    assert_eq!(st.server.log_size(), start);

    let out = import.ok(&contracts, &[]);
    assert!(
        out.contains("2 record(s) logged, 0 already logged"),
        "{out}"
    );
    assert_eq!(st.server.log_size(), start + 2);
    // The amendment (later by date, earlier in no order) is what counts.
    let a4: ContractView = get(&st, &format!("/v1/funds/contracts/{agency}/C-2027-001"));
    assert_eq!(a4.value, 9_500_050);
    assert_eq!(a4.winner, "Acme Roads Ltd");
    assert_eq!(a4.awarded_day, day("2027-01-25"));
    assert_eq!(a4.ends_day, day("2028-03-31"));
    let source = a4.source.as_ref().unwrap();
    assert_eq!(
        (
            source.ocid.as_str(),
            source.tender_id.as_str(),
            source.award_id.as_str()
        ),
        ("ocds-213czf-000-00001", "T-2027-001", "A-2027-001")
    );
    assert_eq!(source.title, "A4 resurfacing contract");
    // Documents: the tender notice and the signed contract, each bound by
    // the SHA3-256 of its entry's canonical JSON.
    let entry_digest =
        |doc: &Value| hex::encode(Sha3_256::digest(serde_json::to_vec(doc).unwrap()));
    assert_eq!(
        a4.documents,
        vec![
            entry_digest(&package["releases"][0]["tender"]["documents"][0]),
            entry_digest(&package["releases"][1]["contracts"][0]["documents"][0]),
        ]
    );
    let bridges: ContractView = get(&st, &format!("/v1/funds/contracts/{agency}/C-2027-014"));
    assert_eq!(bridges.winner, "Northern Bridges plc; Survey Partners LLP");
    assert_eq!(bridges.value, 2_500_050);
    let (status, _) = st
        .server
        .get_json(&format!("/v1/funds/contracts/{agency}/C-2027-020"));
    assert_eq!(status, 404, "a pending contract is not logged");

    // Re-importing logs nothing.
    let again = import.ok(&contracts, &[]);
    assert!(
        again.contains("0 record(s) logged, 2 already logged"),
        "{again}"
    );
    assert_eq!(st.server.log_size(), start + 2);

    // Payments need an open budget binding a category to their contract.
    let before = st.server.log_size();
    let out = import.run(&payments, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("no budget for period 2027-Q1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 1: $.contracts[id=C-2027-001]")
            || stderr.contains("contracts[id=C-2027-001].implementation"),
        "{stderr}"
    );
    assert_eq!(st.server.log_size(), before);
    st.server.ok(&[
        "funds",
        "budget",
        "--key",
        st.key_file("ministry"),
        "--period",
        "2027-Q1",
        "--chunk-size",
        "4",
        "--category",
        "roads=10000000@C-2027-001",
        "--category",
        "inspections=10000000@C-2027-014",
    ]);
    let out = import.ok(&payments, &[]);
    assert!(
        out.contains("3 record(s) logged, 0 already logged"),
        "{out}"
    );
    let out = import.ok(&payments, &[]);
    assert!(
        out.contains("0 record(s) logged, 3 already logged"),
        "{out}"
    );
    let period: PeriodView = get(&st, &format!("/v1/funds/periods/{agency}/2027-Q1"));
    let labels: Vec<&str> = period
        .expenditures
        .iter()
        .map(|i| i.label.as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "ocds:C-2027-001/TX-001",
            "ocds:C-2027-001/TX-002",
            "ocds:C-2027-014/TX-101"
        ]
    );
    // The amounts stay off the log: only the openings file has them.
    let openings = std::fs::read_to_string(&import.openings).unwrap();
    assert!(openings.contains("\"amount\": 1250025"), "{openings}");

    // The agency proves the period; the export speaks of the contract as
    // its source did, with the proven total paid.
    st.server.ok(&[
        "funds",
        "report",
        "--key",
        st.key_file("ministry"),
        "--period",
        "2027-Q1",
        "--openings",
        &import.openings,
        "--params-dir",
        st.data.to_str().unwrap(),
    ]);
    let export = st.server.ok(&[
        "funds",
        "export-ocds",
        "--agency",
        &agency,
        "--tender",
        "C-2027-001",
    ]);
    let exported: Value = serde_json::from_str(&export).unwrap();
    assert_ocds_valid(&exported);
    let release = &exported["releases"][0];
    assert_eq!(release["ocid"], "ocds-213czf-000-00001");
    assert_eq!(release["tender"]["id"], "T-2027-001");
    assert_eq!(release["awards"][0]["id"], "A-2027-001");
    assert_eq!(
        release["awards"][0]["suppliers"][0]["name"],
        "Acme Roads Ltd"
    );
    let contract = &release["contracts"][0];
    assert_eq!(contract["id"], "C-2027-001");
    assert_eq!(contract["title"], "A4 resurfacing contract");
    assert_eq!(
        contract["value"],
        json!({"amount": 95000.5, "currency": "EUR"})
    );
    assert_eq!(contract["dateSigned"], "2027-01-25T00:00:00.000Z");
    assert_eq!(contract["period"]["endDate"], "2028-03-31T00:00:00.000Z");
    assert_eq!(contract["documents"].as_array().unwrap().len(), 2);
    let paid = &contract["implementation"]["transactions"][0];
    assert_eq!(paid["id"], "2027-Q1");
    assert_eq!(
        paid["value"],
        json!({"amount": 42500.25, "currency": "EUR"})
    );
    let consortium = st.server.ok(&[
        "funds",
        "export-ocds",
        "--agency",
        &agency,
        "--tender",
        "C-2027-014",
    ]);
    let consortium: Value = serde_json::from_str(&consortium).unwrap();
    assert_ocds_valid(&consortium);
    let suppliers = &consortium["releases"][0]["awards"][0]["suppliers"];
    assert_eq!(suppliers[1]["name"], "Survey Partners LLP");

    // A payment into a reported (closed) period is refused whole.
    let late = r#"{"ocid":"ocds-213czf-000-00002","id":"late","date":"2027-03-30T00:00:00Z","tag":["implementation"],"initiationType":"tender","contracts":[{"id":"C-2027-014","awardID":"A-2027-014","implementation":{"transactions":[{"id":"TX-102","date":"2027-03-29T00:00:00Z","value":{"amount":5,"currency":"EUR"}}]}}]}"#;
    import.refused(
        "late.jsonl",
        late,
        "contracts[id=C-2027-014].implementation.transactions[id=TX-102]",
        "already reported",
    );

    // Broken packages: the path of the offending field, and no change.
    let broken = |edit: &dyn Fn(&mut Value)| {
        let mut p = package.clone();
        edit(&mut p);
        serde_json::to_string(&p).unwrap()
    };
    import.refused(
        "codelist.json",
        &broken(&|p| p["releases"][1]["contracts"][0]["status"] = json!("signed")),
        "releases[1].contracts[0].status",
        "OCDS 1.1 release schema",
    );
    import.refused(
        "schema.json",
        &broken(&|p| p["releases"][1]["awards"][0]["value"]["amount"] = json!("ninety thousand")),
        "releases[1].awards[0].value.amount",
        "OCDS 1.1 release schema",
    );
    import.refused(
        "overflow.json",
        &broken(&|p| p["releases"][1]["contracts"][0]["value"]["amount"] = json!(1e30)),
        "releases[1].contracts[0].value.amount",
        "overflows",
    );
    import.refused(
        "precision.json",
        &broken(&|p| p["releases"][2]["contracts"][0]["value"]["amount"] = json!(25000.505)),
        "releases[2].contracts[0].value.amount",
        "decimal places",
    );
    import.refused(
        "currency.json",
        &broken(&|p| p["releases"][2]["awards"][0]["value"]["currency"] = json!("USD")),
        "releases[2].awards[0].value.currency",
        "USD",
    );
    import.refused(
        "duplicate.json",
        &broken(&|p| {
            let doc = p["releases"][0]["tender"]["documents"][0].clone();
            p["releases"][0]["tender"]["documents"]
                .as_array_mut()
                .unwrap()
                .push(doc);
        }),
        "releases[0].tender.documents[1].id",
        "duplicate id",
    );
    import.refused(
        "long-id.json",
        &broken(&|p| {
            p["releases"][2]["contracts"][0]["id"] = json!("ocds-213czf-000-00002-contract-0001")
        }),
        "releases[2].contracts[0].id",
        "1-32 of [A-Za-z0-9-.]",
    );
    import.refused(
        "shared-id.json",
        &broken(&|p| p["releases"][2]["contracts"][0]["id"] = json!("C-2027-001")),
        "contracts[id=C-2027-001]",
        "also used by",
    );
    import.refused(
        "lost-award.json",
        &broken(&|p| p["releases"][2]["contracts"][0]["awardID"] = json!("A-0")),
        "contracts[id=C-2027-014].awardID",
        "no award \"A-0\"",
    );
    import.refused("not-json.jsonl", "{\"ocid\": \n", "line 1", "not JSON");
    // An amendment after the contract is logged is refused, not merged.
    import.refused(
        "amended.json",
        &broken(&|p| p["releases"][3]["contracts"][0]["value"]["amount"] = json!(99000)),
        "C-2027-001",
        "other terms",
    );
}
