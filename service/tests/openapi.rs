//! The API description (`/openapi.json`) judged by independent
//! implementations: `openapi-spec-validator` checks the document, and
//! `openapi-core` replays real exchanges with the service against it, as a
//! generated client would make them (issue 12, defect 8: query parameters
//! were declared as path parameters, so the document was invalid and a
//! generated client put `?size=` into the path).
//!
//! The Python tools are installed by the test itself into
//! `<workspace>/target/openapi-tools` (a virtual environment, pinned
//! versions), as the snarkjs tests install snarkjs.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::app::App;

const TOOLS: &[&str] = &["openapi-core==0.23.1", "openapi-spec-validator==0.8.5"];

/// The query parameters of the API: name, and whether it is required.
const QUERY_PARAMETERS: &[(&str, &str, bool)] = &[
    ("/v1/log/entries/{index}/inclusion", "size", false),
    ("/v1/log/inclusion", "leaf_hash", true),
    ("/v1/log/inclusion", "size", false),
    ("/v1/log/consistency", "from", true),
    ("/v1/log/consistency", "to", false),
    ("/v1/log/evidence", "indices", true),
    ("/v1/identity/registries/{id}/members", "start", false),
    ("/v1/identity/registries/{id}/members", "limit", false),
];

/// The workspace's `target/openapi-tools` virtual environment, made (and
/// the pinned tools installed) on first use.
fn python_with_tools() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let venv = workspace.join("target/openapi-tools");
    let python = venv.join("bin/python");
    let marker = venv.join(format!("installed-{}", TOOLS.join("-")));
    if !marker.exists() {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 must be on the PATH for the OpenAPI test");
        assert!(made.success(), "python3 -m venv failed");
        let pip = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(TOOLS)
            .output()
            .unwrap();
        assert!(
            pip.status.success(),
            "pip install {TOOLS:?} failed:\n{}",
            String::from_utf8_lossy(&pip.stderr)
        );
        std::fs::write(&marker, b"").unwrap();
    }
    python
}

/// One request made to the service and its answer, and whether each
/// should conform to the description.
fn exchange(
    app: &App,
    path: &str,
    query: &str,
    request_valid: bool,
    answer_valid: bool,
) -> serde_json::Value {
    let uri = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    let (status, body) = app.get_bytes(&uri);
    serde_json::json!({
        "method": "GET",
        "path": path,
        "query": query,
        "status": status,
        "content_type": "application/json",
        "body": String::from_utf8(body).unwrap(),
        "request_valid": request_valid,
        "answer_valid": answer_valid,
    })
}

#[test]
fn query_parameters_are_declared_in_the_query_and_optional_ones_are_optional() {
    let tmp = tempfile::tempdir().unwrap();
    let app = App::start(&tmp.path().join("data"));
    let (status, body) = app.get_json("/openapi.json");
    assert_eq!(status, 200);
    for (path, name, required) in QUERY_PARAMETERS {
        let parameters = body["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{path} has no parameters"));
        let parameter = parameters
            .iter()
            .find(|p| p["name"] == *name)
            .unwrap_or_else(|| panic!("{path} does not declare {name}"));
        assert_eq!(parameter["in"], "query", "{path} {name}");
        assert_eq!(
            parameter["required"].as_bool().unwrap_or(false),
            *required,
            "{path} {name}"
        );
    }
}

#[test]
fn independent_validators_accept_the_description_and_real_exchanges() {
    let tmp = tempfile::tempdir().unwrap();
    let app = App::start(&tmp.path().join("data"));
    let (_, openapi) = app.get_bytes("/openapi.json");
    let (_, first) = app.get_json("/v1/log/entries/0");
    let leaf_hash = first["leaf_hash"].as_str().unwrap().to_owned();

    let mut exchanges = vec![
        exchange(&app, "/v1/log", "", true, true),
        exchange(&app, "/v1/authorities", "", true, true),
        exchange(&app, "/v1/log/entries/0", "", true, true),
        exchange(&app, "/v1/log/entries/7", "", true, true),
        exchange(&app, "/v1/log/entries/0/inclusion", "", true, true),
        exchange(&app, "/v1/log/entries/0/inclusion", "size=1", true, true),
        exchange(
            &app,
            "/v1/log/inclusion",
            &format!("leaf_hash={leaf_hash}"),
            true,
            true,
        ),
        exchange(
            &app,
            "/v1/log/inclusion",
            &format!("leaf_hash={leaf_hash}&size=1"),
            true,
            true,
        ),
        exchange(&app, "/v1/log/consistency", "from=1", true, true),
        exchange(&app, "/v1/log/consistency", "from=1&to=1", true, true),
        exchange(&app, "/v1/log/evidence", "indices=0", true, true),
        exchange(
            &app,
            "/v1/identity/registries/none/members",
            "start=0&limit=10",
            true,
            true,
        ),
        // Requests a generated client would never make: the judge must
        // refuse them (and the service's refusals are declared answers).
        exchange(&app, "/v1/log/inclusion", "size=1", false, true),
        exchange(&app, "/v1/log/consistency", "from=abc", false, true),
        exchange(&app, "/v1/log/entries/0/inclusion", "size=-1", false, true),
    ];
    // An answer that breaks its schema (a required field gone) is refused.
    let mut broken = exchange(&app, "/v1/log", "", true, false);
    let mut info: serde_json::Value =
        serde_json::from_str(broken["body"].as_str().unwrap()).unwrap();
    info.as_object_mut().unwrap().remove("size");
    broken["body"] = info.to_string().into();
    exchanges.push(broken);

    let dir = tmp.path();
    std::fs::write(dir.join("openapi.json"), &openapi).unwrap();
    std::fs::write(
        dir.join("exchanges.json"),
        serde_json::to_vec_pretty(&exchanges).unwrap(),
    )
    .unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openapi/check.py");
    let out = Command::new(python_with_tools())
        .arg(script)
        .arg(dir.join("openapi.json"))
        .arg(dir.join("exchanges.json"))
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the independent validators disagree with the service:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains(&format!("{} exchanges, 0 disagreements", exchanges.len())));
}
