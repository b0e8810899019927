//! The README's walk-through, run through the real `zkaudit` binary.

mod common;

use std::path::Path;

use common::*;

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn readme_walk_through() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&tmp, "data");
    let server = ServerProcess::start(&data, &[]);
    let base = server.base.as_str();
    let key = data.join("dev-authority.key");
    let t = |name: &str| tmp.path().join(name);

    // Append a notice and verify the receipt offline.
    std::fs::write(t("notice.txt"), "Budget 2027 published; sha3-256 = 5e1f").unwrap();
    ok(&[
        "log",
        "append",
        "--key",
        path(&key),
        "--domain",
        "ledger",
        "--kind",
        "notice",
        "--payload",
        path(&t("notice.txt")),
        "--out",
        path(&t("receipt.json")),
        "--server",
        base,
    ]);
    let (_, info) = get_json(&agent(), &format!("{base}/v1/log"));
    let log_key = info["verifier_key"].as_str().unwrap().to_owned();
    let report = ok(&["verify", path(&t("receipt.json")), "--log-key", &log_key]);
    assert!(report.contains("is entry 1 of log"), "{report}");

    // Keep a checkpoint, append more, check the log extends it.
    ok(&[
        "log",
        "checkpoint",
        "--server",
        base,
        "--out",
        path(&t("old.txt")),
    ]);
    for i in 0..5 {
        std::fs::write(t("n.txt"), format!("notice {i}")).unwrap();
        ok(&[
            "log",
            "append",
            "--key",
            path(&key),
            "--domain",
            "ledger",
            "--kind",
            "notice",
            "--payload",
            path(&t("n.txt")),
            "--out",
            path(&t("receipt2.json")),
            "--server",
            base,
        ]);
    }
    let receipt2: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t("receipt2.json")).unwrap()).unwrap();
    let new_size = receipt2["checkpoint"]
        .as_str()
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_owned();
    let consistency = ok(&[
        "log",
        "consistency",
        "--from",
        "2",
        "--to",
        &new_size,
        "--server",
        base,
    ]);
    std::fs::write(t("consistency.json"), consistency).unwrap();
    let report = ok(&[
        "verify",
        path(&t("receipt2.json")),
        "--log-key",
        &log_key,
        "--previous",
        path(&t("old.txt")),
        "--consistency",
        path(&t("consistency.json")),
    ]);
    assert!(
        report.contains("extends the previous one of size 2"),
        "{report}"
    );

    // A tampered receipt, a wrong key and a forged history are refused.
    let mut forged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t("receipt.json")).unwrap()).unwrap();
    forged["index"] = serde_json::json!(0);
    std::fs::write(t("forged.json"), forged.to_string()).unwrap();
    let err = fails(&["verify", path(&t("forged.json")), "--log-key", &log_key]);
    assert!(err.contains("does NOT verify"), "{err}");
    let other = ok(&[
        "keygen",
        "--name",
        "other-log",
        "--out",
        path(&t("other.key")),
    ]);
    let err = fails(&[
        "verify",
        path(&t("receipt.json")),
        "--log-key",
        other.trim(),
    ]);
    assert!(err.contains("does NOT verify"), "{err}");
    let mut bad_consistency: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t("consistency.json")).unwrap()).unwrap();
    bad_consistency["proof"][0] = serde_json::json!("00".repeat(32));
    std::fs::write(t("bad.json"), bad_consistency.to_string()).unwrap();
    let err = fails(&[
        "verify",
        path(&t("receipt2.json")),
        "--log-key",
        &log_key,
        "--previous",
        path(&t("old.txt")),
        "--consistency",
        path(&t("bad.json")),
    ]);
    assert!(err.contains("NOT consistent"), "{err}");

    // Keys are never overwritten.
    let err = fails(&[
        "keygen",
        "--name",
        "other-log",
        "--out",
        path(&t("other.key")),
    ]);
    assert!(err.contains("must not exist"), "{err}");

    // Reading.
    let entry = ok(&["log", "get", "1", "--server", base]);
    assert!(entry.contains("\"kind\": \"notice\""), "{entry}");
    let proof = ok(&["log", "prove", "1", "--server", base]);
    assert!(proof.contains("\"proof\""), "{proof}");

    // A mirror downloads every tile, recomputes the root, and checks the
    // next mirror extends the previous one.
    let mirror = t("mirror");
    let report = ok(&[
        "log",
        "mirror",
        "--log-key",
        &log_key,
        "--out",
        path(&mirror),
        "--server",
        base,
    ]);
    assert!(report.contains("mirrored 7 records"), "{report}");
    assert!(mirror.join("tile/entries/000.p/7").exists());
    std::fs::write(t("n.txt"), "one more").unwrap();
    ok(&[
        "log",
        "append",
        "--key",
        path(&key),
        "--domain",
        "ledger",
        "--kind",
        "notice",
        "--payload",
        path(&t("n.txt")),
        "--server",
        base,
    ]);
    let report = ok(&[
        "log",
        "mirror",
        "--log-key",
        &log_key,
        "--out",
        path(&mirror),
        "--server",
        base,
    ]);
    assert!(
        report.contains("extends the previously mirrored checkpoint of size 7"),
        "{report}"
    );
}
