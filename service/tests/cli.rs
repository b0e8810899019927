//! The README's walk-through, run through the real `zkaudit` binary.

mod common;

use std::path::Path;

use common::*;

#[test]
fn readme_walk_through() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&tmp, "data");
    let server = ServerProcess::start(&data, &[]);
    let key = data.join("dev-authority.key");
    let t = |name: &str| tmp.path().join(name);
    // `log append` of a notice by the development authority; `options`
    // say where its receipt goes, if anywhere.
    let append_run = |payload: &Path, options: &[&str]| {
        let args = [
            "log",
            "append",
            "--key",
            s(&key),
            "--domain",
            "ledger",
            "--kind",
            "notice",
            "--payload",
            s(payload),
        ];
        let args = [&args[..], options].concat();
        (server.run(&args), format!("{args:?}"))
    };
    let append = |payload: &Path, options: &[&str]| {
        let (out, args) = append_run(payload, options);
        succeeded(&[&args], out)
    };

    // Append a notice and verify the receipt offline.
    std::fs::write(t("notice.txt"), "Budget 2027 published; sha3-256 = 5e1f").unwrap();
    append(&t("notice.txt"), &["--out", s(&t("receipt.json"))]);
    let log_key = server.log_key();
    let report = ok(&["verify", s(&t("receipt.json")), "--log-key", &log_key]);
    assert!(report.contains("is entry 1 of log"), "{report}");
    // The stored log is sound (issue 12, `log fsck`; damage is in ledger/tests/fsck.rs).
    let report = ok(&["log", "fsck", "--data", s(&data)]);
    assert!(
        report.contains("entries and") && report.contains("are sound"),
        "{report}"
    );

    // A receipt with nowhere to go: refused before anything is sent (issue
    // 12, defect 7; the log used to take the entry and the receipt was lost).
    let size = server.log_size();
    let nowhere = t("no-such-folder/receipt.json");
    let (out, args) = append_run(&t("notice.txt"), &["--out", s(&nowhere)]);
    let refusal = failed(&[&args], out);
    assert!(refusal.contains("nothing was sent"), "{refusal}");
    assert_eq!(server.log_size(), size, "the entry was logged anyway");

    // Keep a checkpoint, append more, check the log extends it.
    server.ok(&["log", "checkpoint", "--out", s(&t("old.txt"))]);
    for i in 0..5 {
        std::fs::write(t("n.txt"), format!("notice {i}")).unwrap();
        append(&t("n.txt"), &["--out", s(&t("receipt2.json"))]);
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
    let consistency = server.ok(&["log", "consistency", "--from", "2", "--to", &new_size]);
    std::fs::write(t("consistency.json"), consistency).unwrap();
    // `verify` of the second receipt as extending the old checkpoint.
    let extends = |consistency: &Path| {
        zkaudit(&[
            "verify",
            s(&t("receipt2.json")),
            "--log-key",
            &log_key,
            "--previous",
            s(&t("old.txt")),
            "--consistency",
            s(consistency),
        ])
    };
    let report = succeeded(
        &["verify", "receipt2.json"],
        extends(&t("consistency.json")),
    );
    assert!(
        report.contains("extends the previous one of size 2"),
        "{report}"
    );

    // A tampered receipt, a wrong key and a forged history are refused.
    let mut forged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t("receipt.json")).unwrap()).unwrap();
    forged["index"] = serde_json::json!(0);
    std::fs::write(t("forged.json"), forged.to_string()).unwrap();
    let err = fails(&["verify", s(&t("forged.json")), "--log-key", &log_key]);
    assert!(err.contains("does NOT verify"), "{err}");
    let other_key = t("other.key");
    let keygen = ["keygen", "--name", "other-log", "--out", s(&other_key)];
    let other = ok(&keygen);
    let err = fails(&["verify", s(&t("receipt.json")), "--log-key", other.trim()]);
    assert!(err.contains("does NOT verify"), "{err}");
    let mut bad_consistency: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t("consistency.json")).unwrap()).unwrap();
    bad_consistency["proof"][0] = serde_json::json!("00".repeat(32));
    std::fs::write(t("bad.json"), bad_consistency.to_string()).unwrap();
    let err = failed(&["verify", "receipt2.json"], extends(&t("bad.json")));
    assert!(err.contains("NOT consistent"), "{err}");

    // Keys are never overwritten.
    let err = fails(&keygen);
    assert!(err.contains("must not exist"), "{err}");

    // Reading.
    let entry = server.ok(&["log", "get", "1"]);
    assert!(entry.contains("\"kind\": \"notice\""), "{entry}");
    let proof = server.ok(&["log", "prove", "1"]);
    assert!(proof.contains("\"proof\""), "{proof}");

    // A mirror downloads every tile, recomputes the root, and checks the
    // next mirror extends the previous one.
    let mirror = t("mirror");
    let mirror_args = ["log", "mirror", "--log-key", &log_key, "--out", s(&mirror)];
    let report = server.ok(&mirror_args);
    assert!(report.contains("mirrored 7 records"), "{report}");
    assert!(mirror.join("tile/entries/000.p/7").exists());
    std::fs::write(t("n.txt"), "one more").unwrap();
    append(&t("n.txt"), &[]);
    let report = server.ok(&mirror_args);
    assert!(
        report.contains("extends the previously mirrored checkpoint of size 7"),
        "{report}"
    );
}

/// `zkaudit circuit export-r1cs` writes the shape's constraint system (the
/// one the keys are for; snarkjs reads it in prover/tests/snarkjs_zkey.rs),
/// `circuit info` sizes it, and `keys import-zkey` refuses a file that is
/// not a key without storing anything.
#[test]
fn circuit_export_and_key_import_refusals() {
    use zkaudit_circuits::ballot::BallotShape;
    use zkaudit_circuits::ballot::constraints::BallotCircuit;
    use zkaudit_prover::iden3::R1cs;

    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ballot.r1cs");
    let shape = [
        "--circuit",
        "ballot",
        "--depth",
        "2",
        "--attributes",
        "1",
        "--options",
        "2",
    ];
    ok(&[&["circuit", "export-r1cs"], &shape[..], &["--out", s(&out)]].concat());
    let expected =
        R1cs::of_circuit(BallotCircuit::blank(BallotShape::new(2, 1, 2).unwrap())).unwrap();
    let written = std::fs::read(&out).unwrap();
    assert_eq!(&written[..4], b"r1cs");
    assert_eq!(written, expected.to_bytes().unwrap());

    let info = ok(&[&["circuit", "info"], &shape[..]].concat());
    assert!(
        info.contains(&format!("constraints     {}", expected.num_constraints()))
            && info.contains("ballot-d2-a1-o2"),
        "{info}"
    );
    let refusal = fails(&["circuit", "info", "--circuit", "ballot"]);
    assert!(refusal.contains("--options"), "{refusal}");

    let keys = tmp.path().join("keys");
    let refusal = fails(
        &[
            &["keys", "import-zkey", "--keys", s(&keys), "--zkey", s(&out)],
            &shape[..],
        ]
        .concat(),
    );
    assert!(refusal.contains("not a .zkey file"), "{refusal}");
    assert!(!keys.join("ballot-d2-a1-o2.json").exists());
}
