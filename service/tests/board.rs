//! The public board in a real headless Chromium (Debian's `chromium`,
//! driven by `tests/board/browser.mjs` with puppeteer-core): on a log with
//! a tallied election, every page loads without console errors and with no
//! axe-core WCAG 2.1 A/AA violation; "Verify this election" runs the whole
//! bundle check in the browser (WebAssembly) and succeeds; a voter's
//! receipt is found counted; a receipt checks (pasted, or dropped as a
//! file) and a tampered one fails; a bundle with one changed byte fails
//! with its reason; a funds report checked a second time uses the IPA
//! parameters the browser kept from the first; a missing record or path
//! is an HTML page to a browser and JSON to a machine; a browser that
//! remembers a checkpoint of another history with the same key reports a
//! fork, and one that remembers a longer history a rollback, each with the
//! two signed checkpoints as evidence. Screenshots go to
//! `target/board-screenshots/`.
//!
//! Needs Node.js and npm (puppeteer-core and axe-core are installed once
//! into `target/board-tools`) and Chromium (`ZKAUDIT_CHROMIUM`, default
//! `/usr/bin/chromium`); `.ci/run` installs both.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::deploy::Deployment;
use common::identity::Issuer;
use common::*;

const TOOLS: &[&str] = &["puppeteer-core@25.19.0", "axe-core@4.14.1"];
const LOG: &str = "test.zkaudit/board";
const SEED: u64 = 81;

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// `target/board-tools` with the pinned npm packages, installed on first use
/// into a staging folder renamed into place.
fn browser_tools() -> PathBuf {
    let tools = workspace().join("target/board-tools");
    let marker = tools.join(format!("installed-{}", TOOLS.join("-")));
    if !marker.exists() {
        let staging = tools.with_file_name(format!("board-tools.staging-{}", std::process::id()));
        std::fs::create_dir_all(&staging).unwrap();
        let npm = Command::new("npm")
            .arg("install")
            .arg("--prefix")
            .arg(&staging)
            .args(TOOLS)
            .args(["--no-audit", "--no-fund"])
            .output()
            .expect("the board test needs npm on the PATH");
        assert!(
            npm.status.success(),
            "npm install {TOOLS:?} failed:\n{}",
            String::from_utf8_lossy(&npm.stderr)
        );
        std::fs::write(staging.join(marker.file_name().unwrap()), b"").unwrap();
        let _ = std::fs::remove_dir_all(&tools);
        std::fs::rename(&staging, &tools).unwrap();
    }
    tools
}

fn chromium() -> String {
    let path = std::env::var("ZKAUDIT_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&path).exists(),
        "the board test needs Chromium at {path} (apt-get install chromium, or set ZKAUDIT_CHROMIUM)"
    );
    path
}

/// The roles of both histories.
const ROLES: &[common::deploy::Role] = &[
    ("voter-registry", &["identity/*"]),
    ("commission", &["election/*"]),
    ("notary", &["ledger/*"]),
    ("ministry", &["funds/*"]),
    ("audit-office", &["funds/audit.request"]),
    (
        "land-registry",
        &[
            "land/*",
            "identity/registry.create",
            "identity/credential.issue",
            "identity/credential.revoke",
        ],
    ),
    ("manufacturer", &["health/lot.register"]),
];

/// `zkaudit <args>` against the deployment, funds parameters cached in
/// its data directory; its standard output.
fn run(st: &Deployment, args: &[&str]) -> String {
    let out = zkaudit_env(
        args,
        &[
            ("ZKAUDIT_SERVER", st.base().as_ref()),
            ("ZKAUDIT_PARAMS_DIR", st.data.as_os_str()),
        ],
    );
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A ministry's reported period (a contract, two categories, five hidden
/// expenditures, an answered audit); the period page's path.
fn funds_period(st: &Deployment) -> String {
    let m = st.key_file("ministry");
    let openings = st.path("openings.json");
    let document = st.path("contract.txt");
    std::fs::write(&document, b"the signed contract").unwrap();
    run(
        st,
        &[
            "funds",
            "contract",
            "--key",
            m,
            "--tender",
            "T-1",
            "--winner",
            "Acme Roads Ltd",
            "--value",
            "5000",
            "--awarded",
            "2027-01-10",
            "--ends",
            "2027-06-30",
            "--document",
            s(&document),
        ],
    );
    run(
        st,
        &[
            "funds",
            "budget",
            "--key",
            m,
            "--period",
            "2027-Q1",
            "--chunk-size",
            "4",
            "--category",
            "roads=100000",
            "--category",
            "bridge=5000@T-1",
        ],
    );
    for (amount, category) in [(1200, "0"), (900, "1"), (350, "0"), (4100, "1"), (10, "0")] {
        run(
            st,
            &[
                "funds",
                "record",
                "--key",
                m,
                "--period",
                "2027-Q1",
                "--amount",
                &amount.to_string(),
                "--category",
                category,
                "--label",
                "invoice",
                "--openings",
                s(&openings),
            ],
        );
    }
    run(
        st,
        &[
            "funds",
            "report",
            "--key",
            m,
            "--period",
            "2027-Q1",
            "--openings",
            s(&openings),
        ],
    );
    let agency = hex::encode(st.key("ministry").public_key().as_bytes());
    std::thread::sleep(std::time::Duration::from_millis(600));
    let requested = run(
        st,
        &[
            "funds",
            "audit",
            "request",
            "--key",
            st.key_file("audit-office"),
            "--agency",
            &agency,
            "--period",
            "2027-Q1",
            "--sample",
            "1",
            "--item",
            "4",
        ],
    );
    let id = requested.split_whitespace().nth(2).unwrap().to_owned();
    run(
        st,
        &[
            "funds",
            "audit",
            "answer",
            "--key",
            m,
            "--request",
            &id,
            "--openings",
            s(&openings),
        ],
    );
    format!("/funds/{agency}/2027-Q1")
}

/// A parcel registered and sold (signed by owner, buyer and registrar);
/// its page's path.
fn land_parcel(st: &Deployment) -> String {
    let reg = st.key_file("land-registry");
    Issuer::new(&st.server, reg).create_registry(
        "titles",
        "district,area_m2",
        &[
            "--title",
            "Land titles",
            "--depth",
            "4",
            "--window-changes",
            "16",
            "--window-secs",
            "3600",
        ],
    );
    let mut keys = Vec::new();
    for who in ["owner", "buyer"] {
        let file = st.path(&format!("{who}.key"));
        ok(&["keygen", "--name", who, "--out", s(&file)]);
        keys.push(ok(&["land", "pubkey", "--key", s(&file)]).trim().to_owned());
    }
    st.server.ok(&[
        "land",
        "register",
        "--key",
        reg,
        "--parcel",
        "D3-1",
        "--district",
        "3",
        "--area",
        "1200",
        "--doc",
        &"ab".repeat(32),
        "--registry",
        "titles",
        "--owner",
        &keys[0],
        "--owner-commitment",
        "77",
    ]);
    let terms = st.path("terms.json");
    st.server.ok(&[
        "land",
        "transfer",
        "--parcel",
        "D3-1",
        "--to",
        &keys[1],
        "--to-commitment",
        "88",
        "--price",
        "5000",
        "--out",
        s(&terms),
    ]);
    for who in ["owner", "buyer"] {
        ok(&[
            "land",
            "sign",
            s(&terms),
            "--key",
            s(&st.path(&format!("{who}.key"))),
        ]);
    }
    st.server.ok(&["land", "submit", s(&terms), "--key", reg]);
    "/land/D3-1".into()
}

/// A vaccine lot registered and partly administered; its page's path.
fn health_lot(st: &Deployment) -> String {
    let key = st.key_file("manufacturer");
    st.server.ok(&[
        "health",
        "lot",
        "--key",
        key,
        "--lot",
        "LOT-7",
        "--product",
        "VAX-A",
        "--quantity",
        "500",
        "--expires-in-days",
        "90",
    ]);
    st.server.ok(&[
        "health",
        "administer",
        "--key",
        key,
        "--lot",
        "LOT-7",
        "--doses",
        "20",
    ]);
    "/health/lots/LOT-7".into()
}

/// A tallied 2-of-2 election with three voters; returns voter 1's ballot
/// receipt (JSON).
fn tallied_election(st: &Deployment) -> String {
    let t = |name: &str| st.path(name);
    let server = &st.server;
    let registry = Issuer::new(server, st.key_file("voter-registry"));
    registry.create_registry("roll", "age", &["--depth", "4"]);
    for voter in 1..=3 {
        registry.enrol("roll", &t(&format!("voter{voter}.json")), &["30"]);
    }
    for i in 1..=2 {
        ok(&[
            "trustee",
            "keygen",
            "--name",
            &format!("trustee-{i}"),
            "--out",
            s(&t(&format!("trustee{i}.key"))),
            "--public-out",
            s(&t(&format!("trustee{i}.pub.json"))),
        ]);
    }
    let com = st.key_file("commission");
    server.ok(&[
        "election",
        "create",
        "--key",
        com,
        "--id",
        "mayor",
        "--title",
        "Mayor of Testville",
        "--contest",
        "Mayor: Ada, Ben, Cleo; min=1",
        "--contest",
        "Budget: parks, roads; max=3; limit=2",
        "--registry",
        "roll",
        "--predicate",
        "age>=18",
        "--threshold",
        "2",
        "--trustee",
        s(&t("trustee1.pub.json")),
        "--trustee",
        s(&t("trustee2.pub.json")),
    ]);
    let phase = |to: &str| server.ok(&["election", "phase", "--key", com, "mayor", to]);
    let trustee = |command: &str, i: usize| {
        server.ok(&[
            "trustee",
            command,
            "--key",
            s(&t(&format!("trustee{i}.key"))),
            "--election",
            "mayor",
        ])
    };
    phase("key-ceremony");
    for i in 1..=2 {
        trustee("deal", i);
    }
    for i in 1..=2 {
        trustee("check", i);
    }
    phase("open");
    for (voter, mayor, budget) in [
        (1, "Ada", "parks=2"),
        (2, "Ben", "roads"),
        (3, "Ada", "roads=2"),
    ] {
        server.ok(&[
            "vote",
            "--wallet",
            s(&t(&format!("voter{voter}.json"))),
            "--election",
            "mayor",
            "--choose",
            &format!("Mayor:{mayor}"),
            "--choose",
            &format!("Budget:{budget}"),
            "--keys",
            s(&t("voter-keys")),
            "--out",
            s(&t(&format!("ballot{voter}.json"))),
        ]);
    }
    phase("closed");
    for i in 1..=2 {
        trustee("decrypt", i);
    }
    std::fs::read_to_string(t("ballot1.json")).unwrap()
}

/// A `ledger/notice` by the notary; its receipt (JSON).
fn notice(st: &Deployment, text: &str) -> serde_json::Value {
    let (status, receipt) = st.post(
        &st.key("notary"),
        "ledger",
        "notice",
        text.as_bytes().to_vec(),
    );
    assert_eq!(status, 201, "{receipt}");
    receipt
}

/// A page for the browser to visit: its name (the screenshot's) and the
/// verification panel to run on it, if any.
fn page(st: &Deployment, path: &str, name: &str, verify: Option<&str>) -> serde_json::Value {
    serde_json::json!({ "base": st.base(), "path": path, "name": name, "verify": verify })
}

/// The log's current checkpoint as the board's script remembers one.
fn remembered(st: &Deployment) -> serde_json::Value {
    let (_, checkpoint) = st.server.get_json("/v1/log/checkpoint");
    serde_json::json!({
        "size": checkpoint["size"],
        "root": checkpoint["root"],
        "note": checkpoint["note"],
        "log_key": st.log_vkey,
        "at": "an earlier visit",
    })
}

#[test]
fn board_in_a_real_browser() {
    let tools = browser_tools();
    let chromium = chromium();
    let screenshots = workspace().join("target/board-screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();

    // Another history under the same log key, a few entries long, then
    // longer than the real one will be.
    let other = Deployment::start(SEED, LOG, ROLES);
    notice(&other, "a history nobody else was shown");
    let forked = remembered(&other);

    let st = Deployment::start(SEED, LOG, ROLES);
    let ballot_receipt = tallied_election(&st);
    let period_page = funds_period(&st);
    let parcel_page = land_parcel(&st);
    let lot_page = health_lot(&st);
    let receipt = notice(&st, "the board test's notice");
    let size = st.server.log_size();
    // Each notice says something new: two identical notices stamped in
    // the same millisecond are one record, answered as a duplicate.
    for n in 0.. {
        if other.server.log_size() > size + 8 {
            break;
        }
        notice(&other, &format!("entry {n} of the other history"));
    }
    let longer = remembered(&other);

    // The election's page says, loudly, that its ballots are proved under
    // a development key.
    let mut answer = agent()
        .get(&format!("{}/elections/mayor", st.base()))
        .call()
        .unwrap();
    let html = answer.body_mut().read_to_string().unwrap();
    assert!(
        html.contains("<dt>Ballot circuit key</dt><dd>DEVELOPMENT setup"),
        "{html}"
    );

    // Every board page carries the strict policy; nothing inline may run.
    for path in ["/", "/check", "/elections/mayor", "/board/assets/board.js"] {
        let answer = agent().get(&format!("{}{path}", st.base())).call().unwrap();
        let policy = answer
            .headers()
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            policy.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{path}: {policy}"
        );
        assert!(policy.contains("default-src 'none'"), "{path}: {policy}");
        assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
        assert_eq!(
            answer.headers().get("x-content-type-options").unwrap(),
            "nosniff"
        );
    }
    // Every machine-readable link on the board's pages answers (the JSON
    // API, bundles, OCDS, EPCIS, LADM).
    let mut links = std::collections::BTreeSet::new();
    for path in [
        "/",
        "/elections/mayor",
        period_page.as_str(),
        parcel_page.as_str(),
        lot_page.as_str(),
        "/identity",
    ] {
        let mut answer = agent().get(&format!("{}{path}", st.base())).call().unwrap();
        let html = answer.body_mut().read_to_string().unwrap();
        for href in html.split("href=\"").skip(1) {
            let link = href.split('"').next().unwrap().replace("&amp;", "&");
            if link.starts_with("/v1/") {
                links.insert(link);
            }
        }
    }
    for wanted in ["/v1/funds/ocds/periods/", "/ladm", "/epcis", "/bundle"] {
        assert!(
            links.iter().any(|l| l.contains(wanted)),
            "{wanted}: {links:?}"
        );
    }
    for link in &links {
        let answer = agent().get(&format!("{}{link}", st.base())).call().unwrap();
        assert_eq!(answer.status(), 200, "{link}");
    }

    // A missing record or path: a board page that says so (with the same
    // status and the board's headers) to a browser; JSON to machines.
    let browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    for (path, status, says) in [
        ("/elections/no-such-election", 404, "No election"),
        ("/funds/no-agency/2026-Q1", 400, "cannot be shown"),
        ("/land/NOPE-1", 404, "Not found"),
        ("/health/lots/NOPE", 404, "Not found"),
        ("/no/such/page", 404, "Nothing on this log has that name"),
    ] {
        let mut answer = agent()
            .get(&format!("{}{path}", st.base()))
            .header("accept", browser_accept)
            .call()
            .unwrap();
        assert_eq!(answer.status(), status, "{path}");
        let kind = answer
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(kind.starts_with("text/html"), "{path}: {kind}");
        assert!(
            answer.headers().contains_key("content-security-policy"),
            "{path}"
        );
        let body = answer.body_mut().read_to_string().unwrap();
        assert!(body.contains("<h1>"), "{path}: {body}");
        assert!(body.contains(says), "{path}: {says:?} missing: {body}");
    }
    for path in ["/no/such/page", "/v1/no/such/route"] {
        let mut answer = agent().get(&format!("{}{path}", st.base())).call().unwrap();
        assert_eq!(answer.status(), 404, "{path}");
        let error: serde_json::Value = answer.body_mut().read_json().unwrap();
        assert_eq!(error["error"]["code"], "not_found", "{path}: {error}");
    }
    let mut answer = agent()
        .get(&format!("{}/v1/no/such/route", st.base()))
        .header("accept", browser_accept)
        .call()
        .unwrap();
    let error: serde_json::Value = answer.body_mut().read_json().unwrap();
    assert_eq!(
        error["error"]["code"], "not_found",
        "the API answers JSON: {error}"
    );

    let mut tampered_receipt = receipt.clone();
    let index = receipt["index"].as_u64().unwrap();
    tampered_receipt["index"] = (index ^ 1).into();
    let (_, bundle) = st.server.get_json("/v1/elections/mayor/bundle");
    let mut tampered_bundle = bundle.clone();
    let entries = tampered_bundle["evidence"]["entries"]
        .as_array_mut()
        .unwrap();
    let last = entries.last_mut().unwrap();
    let mut record = BASE64.decode(last["record"].as_str().unwrap()).unwrap();
    let n = record.len();
    record[n - 3] ^= 0x01;
    last["record"] = BASE64.encode(&record).into();

    let plan = serde_json::json!({
        "tools": tools,
        "chromium": chromium,
        "base": st.base(),
        "origin": LOG,
        "screenshots": screenshots,
        "pages": [
            page(&st, "/", "log", None),
            page(&st, "/check", "check", None),
            page(&st, "/elections", "elections", None),
            page(&st, "/elections/mayor", "election", None),
            page(&st, "/funds", "funds", None),
            page(&st, &period_page, "funds-period", Some("funds")),
            page(&st, "/land", "land", None),
            page(&st, &parcel_page, "parcel", Some("land")),
            page(&st, "/health", "health", None),
            page(&st, &lot_page, "lot", Some("trace")),
            page(&st, "/identity", "identity", None),
        ],
        "election_page": "/elections/mayor",
        "funds_page": period_page,
        "ballot_receipt": ballot_receipt,
        "documents": {
            "receipt": receipt.to_string(),
            "tampered_receipt": tampered_receipt.to_string(),
            "tampered_bundle": tampered_bundle.to_string(),
        },
        "remembered": { "fork": forked, "rollback": longer },
    });
    let plan_path = st.path("plan.json");
    std::fs::write(&plan_path, plan.to_string()).unwrap();
    let browser = Command::new("node")
        .arg(workspace().join("service/tests/board/browser.mjs"))
        .arg(&plan_path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the board test needs Node.js");
    // While the browser watches the log page: new entries, which it must
    // see arrive live.
    for i in 0..3 {
        std::thread::sleep(std::time::Duration::from_secs(2));
        notice(&st, &format!("live notice {i}"));
    }
    let run = browser.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "the browser run failed:\n{stderr}");
    let seen: serde_json::Value = serde_json::from_slice(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&run.stdout)));

    for (name, page) in seen["pages"].as_object().unwrap() {
        assert_eq!(page["errors"], serde_json::json!([]), "{name}: {page}");
        assert_eq!(page["violations"], serde_json::json!([]), "{name}: {page}");
        assert!(
            page["live"]
                .as_str()
                .unwrap()
                .contains("verified in your browser"),
            "{name}: {page}"
        );
    }
    for phone in ["phone", "phone-elections-mayor"] {
        let page = &seen["pages"][phone];
        assert_eq!(page["overflow"], 0, "{phone} scrolls sideways: {page}");
    }
    let pages = &seen["pages"];
    let verified = |name: &str, expected: &[&str]| {
        let verified = &pages[name]["verified"];
        assert_eq!(verified["level"], "ok", "{name}: {verified}");
        let report = verified["report"].to_string();
        for line in expected {
            assert!(report.contains(line), "{name}: {line:?} missing: {report}");
        }
    };
    verified(
        "funds-period",
        &[
            "covers all 5 logged expenditures",
            "items answered, every opening matches its commitment",
            "were derived here, from nothing but their public seed",
        ],
    );
    verified("parcel", &["parcel D3-1", "chain of owners unbroken"]);
    verified("lot", &["lot LOT-7 (VAX-A): 500 doses", "every rule holds"]);
    let checks = &seen["checks"];
    let check = |name: &str, level: &str| {
        let check = &checks[name];
        assert_eq!(check["level"], level, "{name}: {check}");
        if let Some(errors) = check.get("errors") {
            assert_eq!(errors, &serde_json::json!([]), "{name}: {check}");
        }
        check
    };
    let live = &checks["live"];
    assert!(live["after"].as_u64() > live["before"].as_u64(), "{live}");
    assert_eq!(live["errors"], serde_json::json!([]), "{live}");
    let counts = &live["counts"];
    assert_eq!(counts["election/ballots cast"], "3", "{live}");
    assert_eq!(counts["funds/expenditures"], "5", "{live}");
    assert_eq!(counts["land/parcels"], "1", "{live}");
    assert_eq!(counts["health/vaccine lots"], "1", "{live}");
    let history = check("history", "ok");
    assert!(
        history["status"]
            .as_str()
            .unwrap()
            .contains("signed by the log"),
        "{history}"
    );

    let election = check("election", "ok");
    let report = election["report"].to_string();
    // On more than one core the ballot proofs are split over workers.
    let split = std::thread::available_parallelism().map_or(1, usize::from) > 1;
    let ballots = if split {
        "parts hold: every ballot proof verified"
    } else {
        "3 ballots cast, every proof verified"
    };
    for expected in [
        ballots,
        "tally decrypted by trustees [1, 2]",
        "Ada",
        "WARNING",
    ] {
        assert!(report.contains(expected), "{expected:?} missing: {report}");
    }
    let again = check("funds_again", "ok");
    assert!(
        again["report"]
            .to_string()
            .contains("were derived in this browser on an earlier visit and kept here"),
        "{again}"
    );
    let standing = check("standing", "ok");
    assert!(
        standing["report"]
            .to_string()
            .contains("is the one that counts"),
        "{standing}"
    );

    let good = check("receipt", "ok");
    let good_report = good["report"].to_string();
    assert!(good_report.contains("ledger/notice"), "{good}");
    assert!(
        good_report.contains("the record is still in the log"),
        "{good}"
    );
    let dropped = check("dropped_receipt", "ok");
    assert!(
        dropped["report"].to_string().contains("ledger/notice"),
        "{dropped}"
    );
    let bad = check("tampered_receipt", "failed");
    assert!(
        bad["status"].as_str().unwrap().contains("does NOT verify"),
        "{bad}"
    );
    let bad = check("tampered_bundle", "failed");
    assert!(
        bad["status"]
            .as_str()
            .unwrap()
            .contains("the election bundle does NOT verify"),
        "{bad}"
    );

    let fork = check("fork", "failed");
    assert!(fork["status"].as_str().unwrap().contains("FORK"), "{fork}");
    assert_eq!(fork["evidence"].as_array().unwrap().len(), 2, "{fork}");
    let rollback = check("rollback", "failed");
    assert!(
        rollback["status"].as_str().unwrap().contains("ROLLBACK"),
        "{rollback}"
    );
    assert_eq!(
        rollback["evidence"].as_array().unwrap().len(),
        2,
        "{rollback}"
    );
}
