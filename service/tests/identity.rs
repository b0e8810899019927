//! Identity end to end through the `zkaudit` binary: an issuer's registry,
//! holders' wallets, a benefits office's scope, proofs made locally,
//! claims verified and logged once per identity, and revocation taking
//! effect through the accepted-root window.

mod common;

use common::deploy::Deployment;
use common::identity::{Issuer, claim, prove_eligibility};
use common::*;

fn start() -> Deployment {
    Deployment::start(
        11,
        "test.zkaudit/identity",
        &[
            (
                "civil-registry",
                &[
                    "identity/registry.create",
                    "identity/credential.issue",
                    "identity/credential.revoke",
                ],
            ),
            ("benefits-office", &["identity/scope.create"]),
        ],
    )
}

#[test]
fn eligibility_claims_end_to_end() {
    let st = start();
    let server = &st.server;
    let t = |name: &str| st.path(name);
    let reg = st.key_file("civil-registry");
    let office = st.key_file("benefits-office");
    let registry = Issuer::new(server, reg);

    registry.create_registry(
        "national-id",
        "birth_date,region,expiry",
        &[
            "--title",
            "National ID",
            "--depth",
            "10",
            "--window-changes",
            "2",
            "--window-secs",
            "0",
        ],
    );
    // Only the registry's issuer may issue; the office may not create registries.
    let err = server.fails(&[
        "issuer",
        "create-registry",
        "--key",
        office,
        "--id",
        "other",
        "--attributes",
        "a",
    ]);
    assert!(err.contains("not_authorised"), "{err}");

    // Four holders; the secret stays in each wallet.
    let people = [
        ("alice", 19_800_101u64, 1u64, 20_300_101u64),
        ("bob", 20_100_101, 1, 20_300_101),   // too young
        ("carol", 19_700_101, 3, 20_300_101), // wrong region
        ("dave", 19_900_101, 2, 20_300_101),
    ];
    for (name, birth, region, expiry) in people {
        let wallet = t(&format!("{name}.json"));
        let attrs = [birth.to_string(), region.to_string(), expiry.to_string()];
        let attrs: Vec<&str> = attrs.iter().map(String::as_str).collect();
        let commitment = registry.enrol("national-id", &wallet, &attrs);
        assert_eq!(
            ok(&["id", "show", "--wallet", s(&wallet)]).trim(),
            commitment
        );
        let wallet_text = std::fs::read_to_string(&wallet).unwrap();
        assert!(
            !wallet_text.contains(&commitment),
            "the wallet holds the secret, not the commitment"
        );
    }
    Issuer::new(server, office).create_scope(
        "heating-2027",
        "Heating allowance 2027",
        "national-id",
        &["birth_date<=20080101", "region in 1,2", "expiry>=20270101"],
    );

    let prove = |who: &str, message: &str, out: &str| {
        let wallet = t(&format!("{who}.json"));
        prove_eligibility(
            server,
            &wallet,
            "heating-2027",
            message,
            &t(out),
            &t("holder-keys"),
        )
    };

    // Alice proves and claims; the receipt verifies offline.
    assert_ran(&prove("alice", "application 1", "alice-claim.json"));
    claim(
        server,
        &t("alice-claim.json"),
        &t("alice-receipt.json"),
        &["--bundle", s(&t("alice-bundle.json"))],
    );
    let log_key = &server.log_key();
    let report = ok(&["verify", s(&t("alice-receipt.json")), "--log-key", log_key]);
    assert!(report.contains("identity/claim"), "{report}");
    // The same claim sent again is answered with the same entry, and the
    // receipt is for the logged record (issue 12, defect 6).
    let size = server.log_size();
    claim(
        server,
        &t("alice-claim.json"),
        &t("alice-again-receipt.json"),
        &[],
    );
    assert_eq!(server.log_size(), size, "a resubmitted claim was logged");
    let first: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t("alice-receipt.json")).unwrap()).unwrap();
    let again: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t("alice-again-receipt.json")).unwrap())
            .unwrap();
    assert_eq!(again["index"], first["index"]);
    assert_eq!(again["record"], first["record"]);
    assert_eq!(again["duplicate"], true);
    let report = ok(&[
        "verify",
        s(&t("alice-again-receipt.json")),
        "--log-key",
        log_key,
    ]);
    assert!(report.contains("identity/claim"), "{report}");

    // The bundle re-checks the proof offline against the logged statement.
    let report = ok(&["verify", s(&t("alice-bundle.json")), "--log-key", log_key]);
    assert!(report.contains("proof verified"), "{report}");
    assert!(report.contains("DEVELOPMENT"), "{report}");
    let bundle = std::fs::read_to_string(t("alice-bundle.json")).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&bundle).unwrap();
    // Point the bundle at another logged record as "the root": refused.
    value["indices"]["root"] = value["indices"]["scope"].clone();
    std::fs::write(t("bad-bundle.json"), value.to_string()).unwrap();
    let err = fails(&["verify", s(&t("bad-bundle.json")), "--log-key", log_key]);
    assert!(err.contains("does NOT verify"), "{err}");
    // One changed byte in any record breaks its inclusion proof.
    let mut value: serde_json::Value = serde_json::from_str(&bundle).unwrap();
    let record = value["evidence"]["entries"][0]["record"]
        .as_str()
        .unwrap()
        .to_owned();
    let flipped = if record.starts_with('A') { "B" } else { "A" };
    value["evidence"]["entries"][0]["record"] =
        serde_json::Value::String(format!("{flipped}{}", &record[1..]));
    std::fs::write(t("bad-bundle.json"), value.to_string()).unwrap();
    let err = fails(&["verify", s(&t("bad-bundle.json")), "--log-key", log_key]);
    assert!(err.contains("does NOT verify"), "{err}");

    // A second claim by the same identity in the same scope is refused.
    assert!(
        prove("alice", "application 2", "alice-again.json")
            .status
            .success()
    );
    let err = server.fails(&["claim", s(&t("alice-again.json"))]);
    assert!(err.contains("already_used"), "{err}");

    // Bob (too young) and Carol (wrong region) cannot even make a proof.
    for who in ["bob", "carol"] {
        let out = prove(who, "application", &format!("{who}-claim.json"));
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("does not satisfy"));
    }

    // Tampering with a valid claim: another message, another nullifier, a
    // non-canonical root: all refused, nothing logged.
    assert!(
        prove("dave", "application 4", "dave-claim.json")
            .status
            .success()
    );
    let dave: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t("dave-claim.json")).unwrap()).unwrap();
    let size_before = server.log_size();
    // Dave's claim with `field` changed to `value` is refused with `status` and `code`.
    let refused = |field: &str, value: serde_json::Value, status: u16, code: &str| {
        let mut changed = dave.clone();
        changed[field] = value;
        let (got, body) = server.post_json("/v1/identity/claims", &changed);
        assert_eq!(
            (got, body["error"]["code"].as_str().unwrap()),
            (status, code)
        );
    };
    refused(
        "message",
        serde_json::json!("YXBwbGljYXRpb24gNQ=="),
        422,
        "invalid_proof",
    );
    refused(
        "nullifier",
        serde_json::json!("12345"),
        422,
        "invalid_proof",
    );
    refused(
        "root",
        serde_json::json!(
            "21888242871839275222246405745257275088548364400416034343698204186575808495617"
        ),
        400,
        "malformed_claim",
    );
    refused(
        "proof",
        serde_json::json!(base64_of(&[7u8; 128])),
        400,
        "malformed_proof",
    );
    assert_eq!(server.log_size(), size_before);

    // Revocation: Dave's credential is revoked and two more changes follow;
    // his proof against the old root is now stale (window of 2 changes).
    server.ok(&[
        "issuer",
        "revoke",
        "--key",
        reg,
        "--registry",
        "national-id",
        "--leaf",
        "3",
    ]);
    let newcomer = ok(&["id", "new", "--wallet", s(&t("erin.json"))])
        .trim()
        .to_owned();
    for _ in 0..2 {
        registry.issue("national-id", &newcomer, &["19850101", "1", "20300101"]);
    }
    let (status, body) = server.post_json("/v1/identity/claims", &dave);
    assert_eq!(
        (status, body["error"]["code"].as_str().unwrap()),
        (422, "stale_root")
    );
    let out = prove("dave", "application 4", "dave-again.json");
    assert!(!out.status.success(), "a revoked credential cannot prove");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not in the registry"));
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
