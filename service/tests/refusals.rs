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

fn matrix() -> Vec<Case> {
    let not_json = "{ not json";
    let mut cases = vec![
        // The log: appends.
        post("/v1/log/entries", not_json, 400, "malformed_json"),
        post("/v1/log/entries", "{}", 422, "malformed_json"),
        post("/v1/log/entries", "{\"record\": 7}", 422, "malformed_json"),
        post(
            "/v1/log/entries",
            "{\"record\": \"not base64!\"}",
            400,
            "malformed_record",
        ),
        post(
            "/v1/log/entries",
            "{\"record\": \"AAAA\"}",
            400,
            "malformed_record",
        ),
        post(
            "/v1/log/entries",
            "{\"record\": \"\"}",
            400,
            "malformed_record",
        ),
        Case {
            content_type: "text/plain",
            ..post(
                "/v1/log/entries",
                "{\"record\": \"AAAA\"}",
                415,
                "malformed_json",
            )
        },
        // The log: reads with bad parameters.
        get("/v1/log/entries/notanumber", 400, "malformed_path"),
        get("/v1/log/entries/-1", 400, "malformed_path"),
        get(
            "/v1/log/entries/99999999999999999999999",
            400,
            "malformed_path",
        ),
        get("/v1/log/entries/5", 404, "not_found"),
        get("/v1/log/entries/5/inclusion", 404, "not_found"),
        get("/v1/log/inclusion", 400, "malformed_query"),
        get("/v1/log/inclusion?leaf_hash=zz", 400, "malformed_hash"),
        get("/v1/log/consistency?from=x", 400, "malformed_query"),
        get("/v1/log/consistency?from=5&to=2", 422, "size_out_of_range"),
        get("/v1/log/consistency?from=0&to=99", 422, "size_out_of_range"),
        get("/v1/log/evidence?indices=a,b", 400, "malformed_query"),
        // Tiles: non-canonical paths and tiles beyond the tree.
        get("/tile/0/0001", 404, "not_found"),
        get("/tile/0/x", 404, "not_found"),
        get("/tile/0/000", 404, "not_found"),
        get("/tile/0/000.p/0", 404, "not_found"),
        get("/tile/0/000.p/256", 404, "not_found"),
        get("/tile/entries/../000", 404, "not_found"),
        get("/tile/99/000", 404, "not_found"),
        // Identity.
        post("/v1/identity/claims", not_json, 400, "malformed_json"),
        post("/v1/identity/claims", "{}", 422, "malformed_json"),
        post(
            "/v1/identity/claims",
            "{\"scope\": 1}",
            422,
            "malformed_json",
        ),
        get("/v1/identity/registries/nope", 404, "not_found"),
        get("/v1/identity/registries/nope/members", 404, "not_found"),
        get(
            "/v1/identity/registries/nope/members/0/path",
            404,
            "not_found",
        ),
        get("/v1/identity/scopes/nope", 404, "not_found"),
        get("/v1/identity/keys/no-such-shape", 404, "not_found"),
        get(
            "/v1/identity/keys/no-such-shape/proving-key",
            404,
            "not_found",
        ),
        get("/v1/identity/claims/99/bundle", 404, "not_found"),
        get("/v1/identity/claims/x/bundle", 400, "malformed_path"),
        // Land.
        get("/v1/land/parcels/nope", 404, "not_found"),
        get("/v1/land/parcels/nope/history", 404, "not_found"),
        // Health.
        get("/v1/health/lots/nope", 404, "not_found"),
        get(
            "/v1/health/patients/not-a-key/access-log",
            400,
            "malformed_patient",
        ),
        // Elections.
        get("/v1/elections/nope", 404, "not_found"),
        get("/v1/elections/nope/ceremony", 404, "not_found"),
        get("/v1/elections/nope/aggregate", 404, "not_found"),
        get("/v1/elections/nope/bundle", 404, "not_found"),
        get("/v1/elections/nope/proving-key", 404, "not_found"),
        post(
            "/v1/elections/nope/ballots",
            not_json,
            400,
            "malformed_json",
        ),
        post("/v1/elections/nope/ballots", "{}", 422, "malformed_json"),
        post(
            "/v1/elections/nope/ballots",
            "{\"ballot\": []}",
            422,
            "malformed_json",
        ),
        // Funds.
        get("/v1/funds/periods/nope/2026-Q1", 400, "bad_agency"),
        get("/v1/funds/periods/nope/2026-Q1/report", 400, "bad_agency"),
        get("/v1/funds/periods/nope/2026-Q1/bundle", 400, "bad_agency"),
        get("/v1/funds/audits/nope", 400, "bad_id"),
        get("/v1/funds/contracts/nope/T-1", 400, "bad_agency"),
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
        // Paths that are not UTF-8 once percent-decoded (were plain text).
        get("/v1/log/entries/%FF", 400, "malformed_path"),
        get("/v1/land/parcels/%FF%FE", 400, "malformed_path"),
        get("/v1/elections/%C3%28/bundle", 400, "malformed_path"),
        get("/tile/0/%FF", 400, "malformed_path"),
        // Anything else.
        get("/v1/nothing-here", 404, "not_found"),
        get("/etc/passwd", 404, "not_found"),
    ];
    let leaf = format!("/v1/log/inclusion?leaf_hash={UNKNOWN_HASH}");
    cases.push(get(leak(leaf), 404, "not_found"));
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
    use base64::Engine as _;
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&tmp, "log");
    let app = App::start(&data);
    let authority = dev_authority(&data);
    let size = app.log_size();
    let encoded = notice(&authority, "a notice").encode();
    let append = |bytes: &[u8]| {
        app.post_json(
            "/v1/log/entries",
            &serde_json::json!({ "record": base64::engine::general_purpose::STANDARD.encode(bytes) }),
        )
    };
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
