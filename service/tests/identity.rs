//! Identity end to end through the `zkaudit` binary: an issuer's registry,
//! holders' wallets, a benefits office's scope, proofs made locally,
//! claims verified and logged once per identity, and revocation taking
//! effect through the accepted-root window.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use zkaudit_ledger::note::NoteSigningKey;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

struct Setup {
    tmp: tempfile::TempDir,
    server: ServerProcess,
    registry_key: PathBuf,
    office_key: PathBuf,
}

fn start() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let mut rng =
        <rand_chacha::ChaCha20Rng as rand_chacha::rand_core::SeedableRng>::seed_from_u64(11);
    let log = NoteSigningKey::generate("test.zkaudit/identity", &mut rng).unwrap();
    let registry = NoteSigningKey::generate("civil-registry", &mut rng).unwrap();
    let office = NoteSigningKey::generate("benefits-office", &mut rng).unwrap();
    std::fs::write(data.join("log.key"), log.to_skey_string().as_bytes()).unwrap();
    let registry_key = tmp.path().join("registry.key");
    let office_key = tmp.path().join("office.key");
    std::fs::write(&registry_key, registry.to_skey_string().as_bytes()).unwrap();
    std::fs::write(&office_key, office.to_skey_string().as_bytes()).unwrap();
    std::fs::write(
        data.join("zkaudit.toml"),
        format!(
            "[log]\nkey_file = \"log.key\"\n\n[[authority]]\nname = \"civil-registry\"\nverifier_key = \"{}\"\nkinds = [\"identity/registry.create\", \"identity/credential.issue\", \"identity/credential.revoke\"]\n\n[[authority]]\nname = \"benefits-office\"\nverifier_key = \"{}\"\nkinds = [\"identity/scope.create\"]\n",
            registry.verifier_key_string(),
            office.verifier_key_string()
        ),
    )
    .unwrap();
    let server = ServerProcess::start(&data, &[]);
    Setup {
        tmp,
        server,
        registry_key,
        office_key,
    }
}

#[test]
fn eligibility_claims_end_to_end() {
    let st = start();
    let base = st.server.base.as_str();
    let t = |name: &str| st.tmp.path().join(name);
    let reg = s(&st.registry_key);

    ok(&[
        "issuer",
        "create-registry",
        "--key",
        reg,
        "--id",
        "national-id",
        "--title",
        "National ID",
        "--attributes",
        "birth_date,region,expiry",
        "--depth",
        "10",
        "--window-changes",
        "2",
        "--window-secs",
        "0",
        "--server",
        base,
    ]);
    // Only the registry's issuer may issue; the office may not create registries.
    let err = fails(&[
        "issuer",
        "create-registry",
        "--key",
        s(&st.office_key),
        "--id",
        "other",
        "--attributes",
        "a",
        "--server",
        base,
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
        let commitment = ok(&["id", "new", "--wallet", s(&wallet)]).trim().to_owned();
        assert_eq!(
            ok(&["id", "show", "--wallet", s(&wallet)]).trim(),
            commitment
        );
        let wallet_text = std::fs::read_to_string(&wallet).unwrap();
        assert!(
            !wallet_text.contains(&commitment),
            "the wallet holds the secret, not the commitment"
        );
        let attrs = [birth.to_string(), region.to_string(), expiry.to_string()];
        ok(&[
            "issuer",
            "issue",
            "--key",
            reg,
            "--registry",
            "national-id",
            "--commitment",
            &commitment,
            "--attr",
            &attrs[0],
            "--attr",
            &attrs[1],
            "--attr",
            &attrs[2],
            "--server",
            base,
        ]);
        ok(&[
            "id",
            "add-credential",
            "--wallet",
            s(&wallet),
            "--registry",
            "national-id",
            "--attr",
            &attrs[0],
            "--attr",
            &attrs[1],
            "--attr",
            &attrs[2],
        ]);
    }
    ok(&[
        "issuer",
        "create-scope",
        "--key",
        s(&st.office_key),
        "--id",
        "heating-2027",
        "--title",
        "Heating allowance 2027",
        "--registry",
        "national-id",
        "--predicate",
        "birth_date<=20080101",
        "--predicate",
        "region in 1,2",
        "--predicate",
        "expiry>=20270101",
        "--server",
        base,
    ]);

    let prove = |who: &str, message: &str, out: &str| {
        zkaudit(&[
            "prove",
            "eligibility",
            "--wallet",
            s(&t(&format!("{who}.json"))),
            "--scope",
            "heating-2027",
            "--message",
            message,
            "--out",
            s(&t(out)),
            "--keys",
            s(&t("holder-keys")),
            "--server",
            base,
        ])
    };

    // Alice proves and claims; the receipt verifies offline.
    let out = prove("alice", "application 1", "alice-claim.json");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    ok(&[
        "claim",
        s(&t("alice-claim.json")),
        "--out",
        s(&t("alice-receipt.json")),
        "--bundle",
        s(&t("alice-bundle.json")),
        "--server",
        base,
    ]);
    let (_, info) = get_json(&agent(), &format!("{base}/v1/log"));
    let log_key = info["verifier_key"].as_str().unwrap();
    let report = ok(&["verify", s(&t("alice-receipt.json")), "--log-key", log_key]);
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
    let err = fails(&["claim", s(&t("alice-again.json")), "--server", base]);
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
    let claim: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t("dave-claim.json")).unwrap()).unwrap();
    let size_before = get_json(&agent(), &format!("{base}/v1/log")).1["size"].clone();
    let post =
        |c: &serde_json::Value| post_json(&agent(), &format!("{base}/v1/identity/claims"), c);
    let mut other_message = claim.clone();
    other_message["message"] = serde_json::json!("YXBwbGljYXRpb24gNQ==");
    let (status, body) = post(&other_message);
    assert_eq!(
        (status, body["error"]["code"].as_str().unwrap()),
        (422, "invalid_proof")
    );
    let mut other_nullifier = claim.clone();
    other_nullifier["nullifier"] = serde_json::json!("12345");
    let (status, body) = post(&other_nullifier);
    assert_eq!(
        (status, body["error"]["code"].as_str().unwrap()),
        (422, "invalid_proof")
    );
    let mut non_canonical = claim.clone();
    non_canonical["root"] = serde_json::json!(
        "21888242871839275222246405745257275088548364400416034343698204186575808495617"
    );
    let (status, body) = post(&non_canonical);
    assert_eq!(
        (status, body["error"]["code"].as_str().unwrap()),
        (400, "malformed_claim")
    );
    let mut bad_proof = claim.clone();
    bad_proof["proof"] = serde_json::json!(base64_of(&[7u8; 128]));
    let (status, body) = post(&bad_proof);
    assert_eq!(
        (status, body["error"]["code"].as_str().unwrap()),
        (400, "malformed_proof")
    );
    assert_eq!(
        get_json(&agent(), &format!("{base}/v1/log")).1["size"],
        size_before
    );

    // Revocation: Dave's credential is revoked and two more changes follow;
    // his proof against the old root is now stale (window of 2 changes).
    ok(&[
        "issuer",
        "revoke",
        "--key",
        reg,
        "--registry",
        "national-id",
        "--leaf",
        "3",
        "--server",
        base,
    ]);
    let newcomer = ok(&["id", "new", "--wallet", s(&t("erin.json"))])
        .trim()
        .to_owned();
    for _ in 0..2 {
        ok(&[
            "issuer",
            "issue",
            "--key",
            reg,
            "--registry",
            "national-id",
            "--commitment",
            &newcomer,
            "--attr",
            "19850101",
            "--attr",
            "1",
            "--attr",
            "20300101",
            "--server",
            base,
        ]);
    }
    let (status, body) = post(&claim);
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
