//! The refusal matrix, in process through the router: every route handed
//! hostile or malformed input answers a 4xx in the one JSON error shape
//! (`{"error": {"code", "message"}}`) with the expected code, never a 5xx,
//! and nothing reaches the log.
//!
//! Each case is one `oneshot` request to the app `zkaudit serve` serves,
//! so the whole matrix costs less than starting one server process.

mod common;

use axum::http::Method;
use common::app::App;
use common::*;

/// One hostile request and the refusal it must get.
struct Case {
    method: Method,
    path: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
    status: u16,
    code: &'static str,
}

fn get(path: &'static str, status: u16, code: &'static str) -> Case {
    Case {
        method: Method::GET,
        path,
        content_type: "application/json",
        body: Vec::new(),
        status,
        code,
    }
}

fn post(path: &'static str, body: &str, status: u16, code: &'static str) -> Case {
    Case {
        method: Method::POST,
        path,
        content_type: "application/json",
        body: body.as_bytes().to_vec(),
        status,
        code,
    }
}

/// A hash that is well formed but in no log.
const UNKNOWN_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// `GET`s refused with `404 not_found`: nothing there, or a tile path that
/// is not canonical (a tile has exactly one name).
const NOT_FOUND: &[&str] = &[
    "/v1/log/entries/5",
    "/v1/log/entries/5/inclusion",
    "/tile/0/0001",
    "/tile/0/x",
    "/tile/0/000",
    "/tile/0/000.p/0",
    "/tile/0/000.p/256",
    "/tile/entries/../000",
    "/tile/99/000",
    "/v1/identity/registries/nope",
    "/v1/identity/registries/nope/members",
    "/v1/identity/registries/nope/members/0/path",
    "/v1/identity/scopes/nope",
    "/v1/identity/keys/no-such-shape",
    "/v1/identity/keys/no-such-shape/proving-key",
    "/v1/identity/claims/99/bundle",
    "/v1/land/parcels/nope",
    "/v1/land/parcels/nope/history",
    "/v1/health/lots/nope",
    "/v1/elections/nope",
    "/v1/elections/nope/ceremony",
    "/v1/elections/nope/aggregate",
    "/v1/elections/nope/bundle",
    "/v1/elections/nope/proving-key",
    "/v1/nothing-here",
    "/etc/passwd",
];

/// `GET`s whose path parameters do not parse (not a number, out of range,
/// not UTF-8 once percent-decoded): `400 malformed_path`.
const MALFORMED_PATH: &[&str] = &[
    "/v1/log/entries/notanumber",
    "/v1/log/entries/-1",
    "/v1/log/entries/99999999999999999999999",
    "/v1/log/entries/%FF",
    // Numbers are canonical: one name a resource (issue 12, defect 8).
    "/v1/log/entries/+1",
    "/v1/log/entries/01",
    "/v1/log/entries/00",
    "/v1/log/entries/0x1",
    "/v1/log/entries/%2B0/inclusion",
    "/v1/identity/claims/01/bundle",
    "/v1/identity/registries/nope/members/+0/path",
    "/v1/identity/claims/x/bundle",
    "/v1/land/parcels/%FF%FE",
    "/v1/elections/%C3%28/bundle",
    "/tile/0/%FF",
];

/// `GET`s whose query does not parse: `400 malformed_query`.
const MALFORMED_QUERY: &[&str] = &[
    "/v1/log/inclusion",
    "/v1/log/consistency?from=x",
    "/v1/log/evidence?indices=a,b",
];

/// Funds reads naming an agency that is not an Ed25519 key: `400 bad_agency`.
const BAD_AGENCY: &[&str] = &[
    "/v1/funds/periods/nope/2026-Q1",
    "/v1/funds/periods/nope/2026-Q1/report",
    "/v1/funds/periods/nope/2026-Q1/bundle",
    "/v1/funds/contracts/nope/T-1",
    // The identity point: a key that proves nothing.
    "/v1/funds/periods/0100000000000000000000000000000000000000000000000000000000000000/2026-Q1",
];

/// Bodies each `POST` route refuses as JSON it cannot read: not JSON
/// (`400`), or JSON of the wrong shape (`422`).
const BAD_BODIES: &[(&str, u16)] = &[
    ("{ not json", 400),
    ("{}", 422),
    ("[]", 422),
    ("{\"record\": 7, \"scope\": 1, \"ballot\": []}", 422),
];

const POST_ROUTES: &[&str] = &[
    "/v1/log/entries",
    "/v1/identity/claims",
    "/v1/elections/nope/ballots",
];

fn matrix() -> Vec<Case> {
    let mut cases = Vec::new();
    let lists = [
        (NOT_FOUND, 404, "not_found"),
        (MALFORMED_PATH, 400, "malformed_path"),
        (MALFORMED_QUERY, 400, "malformed_query"),
        (BAD_AGENCY, 400, "bad_agency"),
    ];
    for (paths, status, code) in lists {
        cases.extend(paths.iter().map(|path| get(path, status, code)));
    }
    for route in POST_ROUTES {
        for &(body, status) in BAD_BODIES {
            cases.push(post(route, body, status, "malformed_json"));
        }
    }
    for record in ["not base64!", "AAAA", ""] {
        let body = leak(format!("{{\"record\": \"{record}\"}}"));
        cases.push(post("/v1/log/entries", body, 400, "malformed_record"));
    }
    cases.extend([
        Case {
            content_type: "text/plain",
            ..post(
                "/v1/log/entries",
                "{\"record\": \"AAAA\"}",
                415,
                "malformed_json",
            )
        },
        get("/v1/log/inclusion?leaf_hash=zz", 400, "malformed_hash"),
        get(
            leak(format!("/v1/log/inclusion?leaf_hash={UNKNOWN_HASH}")),
            404,
            "not_found",
        ),
        get("/v1/log/consistency?from=5&to=2", 422, "size_out_of_range"),
        get("/v1/log/consistency?from=0&to=99", 422, "size_out_of_range"),
        get(
            "/v1/health/patients/not-a-key/access-log",
            400,
            "malformed_patient",
        ),
        get("/v1/funds/audits/nope", 400, "bad_id"),
        // Methods a path does not take (issue 12: 405 had an empty body).
        post("/v1/log", "{}", 405, "method_not_allowed"),
        Case {
            method: Method::DELETE,
            ..get("/v1/log/entries/0", 405, "method_not_allowed")
        },
        Case {
            method: Method::PUT,
            ..get("/checkpoint", 405, "method_not_allowed")
        },
    ]);
    cases
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

#[test]
fn every_refusal_is_a_json_error_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let app = App::start(&data_dir(&tmp, "log"));
    let size = app.log_size();
    let mut wrong = Vec::new();
    for case in matrix() {
        let (status, body) = app.send(
            case.method.clone(),
            case.path,
            case.content_type,
            case.body.clone(),
        );
        let code = body["error"]["code"]
            .as_str()
            .unwrap_or("<not the JSON error shape>");
        let message = body["error"]["message"].as_str().unwrap_or("");
        if (status, code) != (case.status, case.code) || message.is_empty() {
            wrong.push(format!(
                "{} {}: got {status} {code:?} ({message:?}), want {} {:?}",
                case.method, case.path, case.status, case.code
            ));
        }
    }
    assert!(wrong.is_empty(), "refusals differ:\n{}", wrong.join("\n"));
    assert_eq!(app.log_size(), size, "a refused request changed the log");
}

#[test]
fn a_record_is_refused_for_each_way_it_can_be_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let (app, authority) = App::with_dev_authority(&tmp);
    let size = app.log_size();
    let encoded = notice(&authority, "a notice").encode();
    let append = |bytes: &[u8]| app.post_record_bytes(bytes);
    // Every strict prefix of a valid record, and the record with a byte
    // appended, are malformed; a flipped bit anywhere is refused too.
    for cut in 0..encoded.len() {
        let (status, body) = append(&encoded[..cut]);
        assert_eq!(status, 400, "prefix of {cut} bytes: {body}");
    }
    let mut longer = encoded.clone();
    longer.push(0);
    assert_eq!(append(&longer).0, 400, "trailing bytes are refused");
    for i in 0..encoded.len() {
        let mut flipped = encoded.clone();
        flipped[i] ^= 0x10;
        let (status, body) = append(&flipped);
        assert!(
            (400..500).contains(&status) && body["error"]["code"].is_string(),
            "bit flipped at byte {i}: {status} {body}"
        );
    }
    assert_eq!(app.log_size(), size, "no malformed record was logged");
    // And the record itself is accepted once, then deduplicated.
    assert_eq!(append(&encoded).0, 201);
    assert_eq!(append(&encoded).0, 200);
    assert_eq!(app.log_size(), size + 1);
}

/// Issue 12, defect 1: a method name is not a metric label. A hundred
/// requests with 60,000-character methods once added 55 MB to `/metrics`.
#[test]
fn hostile_method_names_mint_no_metric_series() {
    let tmp = tempfile::tempdir().unwrap();
    let app = App::start(&data_dir(&tmp, "log"));
    let (_, before) = app.get_bytes("/metrics");
    for i in 0..100 {
        let method = Method::from_bytes(format!("M{i}{}", "X".repeat(60_000)).as_bytes()).unwrap();
        let (status, body) = app.send(method, "/v1/log", "application/json", Vec::new());
        assert_eq!(status, 405);
        assert_eq!(body["error"]["code"], "method_not_allowed");
        assert!(
            !body["error"]["message"].as_str().unwrap().contains("XXXX"),
            "the error does not echo the method"
        );
    }
    let (_, after) = app.get_bytes("/metrics");
    let after = String::from_utf8(after).unwrap();
    assert!(!after.contains("XXXX"), "the method reached a label");
    assert!(after.contains("method=\"other\""), "{after}");
    // Two more series (other x 4xx and the /metrics GET itself) at most.
    assert!(
        after.len() < before.len() + 4_000,
        "metrics grew from {} to {} bytes",
        before.len(),
        after.len()
    );
}

/// Issue 12, defect 3: a participant record whose author key is the
/// identity point, signed with R = identity and S = 0, "verified" for every
/// message under the lax check and was logged. It is refused as a key.
#[test]
fn the_identity_point_forgery_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (app, signer) = App::with_dev_authority(&tmp);
    let honest = zkaudit_ledger::record::Record::signed(
        DEV_LOG,
        "health",
        "consent.grant",
        now_ms(),
        vec![7; 64],
        &signer,
    )
    .unwrap()
    .encode();
    let author = signer.public_key().to_bytes();
    let at = honest
        .windows(32)
        .position(|w| w == author)
        .expect("the author key is in the encoding");
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut forged = honest.clone();
    forged[at..at + 32].copy_from_slice(&identity);
    let signature = forged.len() - 64;
    forged[signature..].fill(0);
    forged[signature] = 1; // R = the identity point, S = 0
    let size = app.log_size();
    let (status, body) = app.post_record_bytes(&forged);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("refused_key")),
        "{body}"
    );
    assert_eq!(app.log_size(), size);
}

/// Issue 12, defect 4: one client appended 1,600 consent grants with fresh
/// keys in five seconds. A grant now needs a key a hospital has named as a
/// patient, and a participant key's writes are metered: past its burst, a
/// `429 rate_limited` with `Retry-After`, and nothing logged.
#[test]
fn participant_writes_need_a_known_key_and_are_rate_limited() {
    const LOG: &str = "test.zkaudit/log";
    use zkaudit_ledger::health::{CONSENT_GRANT, ConsentGrant, RECORD_COMMIT, RecordCommit};
    use zkaudit_ledger::note::NoteSigningKey;
    use zkaudit_ledger::record::{Record, RecordSigner as _};

    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&tmp, "log");
    std::fs::create_dir_all(&data).unwrap();
    let mut rng = rand::rngs::OsRng;
    let key = |name: &str| NoteSigningKey::generate(name, &mut rand::rngs::OsRng).unwrap();
    let log = NoteSigningKey::generate(LOG, &mut rng).unwrap();
    let (hospital, patient, stranger) = (key("hospital"), key("patient"), key("stranger"));
    std::fs::write(data.join("log.key"), log.to_skey_string()).unwrap();
    std::fs::write(
        data.join("zkaudit.toml"),
        format!(
            "[log]\nkey_file = \"log.key\"\n\n[limits]\nkey_writes_per_sec = 1\nkey_burst = 3\n\n\
             [[authority]]\nname = \"hospital\"\nverifier_key = \"{}\"\nkinds = [\"health/record.commit\"]\n",
            hospital.verifier_key_string()
        ),
    )
    .unwrap();
    let app = App::start(&data);
    let grant = |by: &NoteSigningKey, consent: &str| {
        let payload = ConsentGrant {
            consent: consent.into(),
            grantee: "dr-a".into(),
            purpose: "treatment".into(),
            record: None,
            valid_until_ms: now_ms() + 86_400_000,
        };
        Record::signed(LOG, "health", CONSENT_GRANT, now_ms(), payload.encode(), by).unwrap()
    };
    let code = |body: &serde_json::Value| body["error"]["code"].as_str().unwrap_or("").to_owned();

    // A key no hospital has named cannot grant anything.
    let size = app.log_size();
    let (status, body) = app.post_record(&grant(&stranger, "c0"));
    assert_eq!(
        (status, code(&body)),
        (403, "unknown_patient".into()),
        "{body}"
    );
    assert_eq!(app.log_size(), size);

    // Once a hospital commits one of the patient's records, the patient may.
    let commit = RecordCommit {
        patient: patient.record_key(),
        record: "chart".into(),
        version: 1,
        ciphertext_sha3: [1; 32],
        commitment: [0; 32],
    };
    let commit = Record::signed(
        LOG,
        "health",
        RECORD_COMMIT,
        now_ms(),
        commit.encode(),
        &hospital,
    )
    .unwrap();
    assert_eq!(app.post_record(&commit).0, 201);
    for i in 0..3 {
        let (status, body) = app.post_record(&grant(&patient, &format!("c{i}")));
        assert_eq!(status, 201, "{body}");
    }
    // Past the burst: refused with Retry-After, nothing logged.
    let size = app.log_size();
    let record = grant(&patient, "c3");
    let body = serde_json::json!({ "record": base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        record.encode()
    ) });
    let request = axum::http::Request::post("/v1/log/entries")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    let (status, headers, answer) = app.exchange(request);
    let answer: serde_json::Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(
        (status, code(&answer)),
        (429, "rate_limited".into()),
        "{answer}"
    );
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "Retry-After: {retry}");
    assert_eq!(app.log_size(), size);
}
