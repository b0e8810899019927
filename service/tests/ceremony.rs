//! `zkaudit ceremony …`, `circuit export-r1cs` and `keys import-zkey`
//! through the real binary, with the real snarkjs checking the result: a
//! whole phase-2 ceremony on files for an eligibility shape.
//!
//! Needs Node.js (see prover/tests/common/snarkjs.rs, shared here).

mod common;
#[allow(dead_code)]
#[path = "../../prover/tests/common/snarkjs.rs"]
mod snarkjs;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

const SHAPE: [&str; 6] = [
    "--circuit",
    "eligibility",
    "--depth",
    "4",
    "--attributes",
    "2",
];

/// `zkaudit ceremony contribute` from `from` to `to` as `name`.
fn contribute(from: &Path, to: &Path, name: &str) -> Vec<String> {
    let [from, to] = [from, to].map(|f| s(f).to_owned());
    [
        "ceremony",
        "contribute",
        "--zkey",
        &from,
        "--out",
        &to,
        "--name",
        name,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// `zkaudit ceremony beacon` from `from` to `to` with the beacon `value`.
fn beacon(from: &Path, to: &Path, value: &str) -> Vec<String> {
    let [from, to] = [from, to].map(|f| s(f).to_owned());
    [
        "ceremony", "beacon", "--zkey", &from, "--out", &to, "--beacon", value,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Borrows owned arguments.
fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// `args` with the shape's flags after the two subcommand words.
fn with_shape<'a>(args: &[&'a str]) -> Vec<&'a str> {
    [&args[..2], &SHAPE[..], &args[2..]].concat()
}

#[test]
fn a_ceremony_on_files_verifies_here_and_with_snarkjs() {
    let tmp = tempfile::tempdir().unwrap();
    let t = |name: &str| tmp.path().join(name);
    let ptau = snarkjs::prepared_ptau();

    let out = ok(&with_shape(&[
        "ceremony",
        "new",
        "--ptau",
        s(ptau),
        "--out",
        s(&t("k0.zkey")),
    ]));
    assert!(out.contains("circuit hash"), "{out}");
    let verify = |zkey: &str| {
        let [ptau, zkey] = [ptau.to_path_buf(), t(zkey)].map(|f| f.to_str().unwrap().to_owned());
        let [circuit, depth, attributes] = [SHAPE[1], SHAPE[3], SHAPE[5]];
        [
            "ceremony",
            "verify",
            "--circuit",
            circuit,
            "--depth",
            depth,
            "--attributes",
            attributes,
            "--ptau",
            &ptau,
            "--zkey",
            &zkey,
        ]
        .map(str::to_owned)
    };
    let out = ok(&strs(&contribute(&t("k0.zkey"), &t("k1.zkey"), "alice")));
    assert!(out.contains("contribution #1 by alice"), "{out}");
    // bob types extra entropy on standard input.
    let mut bob = Command::new(env!("CARGO_BIN_EXE_zkaudit"))
        .args(contribute(&t("k1.zkey"), &t("k2.zkey"), "bob"))
        .arg("--ask-entropy")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    bob.stdin
        .take()
        .unwrap()
        .write_all(b"4 6 1 3 3 5 2\n")
        .unwrap();
    let bob = succeeded(&["contribute bob"], bob.wait_with_output().unwrap());
    assert!(bob.contains("contribution #2 by bob"), "{bob}");
    ok(&strs(&beacon(
        &t("k2.zkey"),
        &t("final.zkey"),
        "0x0123456789abcdef",
    )));

    let report = ok(&strs(&verify("final.zkey")));
    for expected in [
        "VERIFIED",
        "#1 alice",
        "#2 bob",
        "#3 final beacon",
        "2 contributors",
    ] {
        assert!(report.contains(expected), "{expected:?} not in:\n{report}");
    }
    // snarkjs agrees, from our exported r1cs.
    ok(&with_shape(&[
        "circuit",
        "export-r1cs",
        "--out",
        s(&t("e.r1cs")),
    ]));
    let verified = snarkjs::snarkjs_ok(
        tmp.path(),
        &["zkey", "verify", "e.r1cs", s(ptau), "final.zkey"],
    );
    assert!(verified.contains("ZKey Ok!"), "{verified}");

    // Refused: a key nobody contributed to, a damaged key, another shape.
    let refusal = fails(&strs(&verify("k0.zkey")));
    assert!(refusal.contains("no one contributed"), "{refusal}");
    let mut damaged = std::fs::read(t("final.zkey")).unwrap();
    let at = damaged.len() - 300;
    damaged[at] ^= 0x40;
    std::fs::write(t("damaged.zkey"), &damaged).unwrap();
    let refusal = fails(&strs(&verify("damaged.zkey")));
    assert!(
        refusal.contains("damaged.zkey refused") || refusal.contains("does not verify"),
        "{refusal}"
    );
    let refusal = fails(&[
        "ceremony",
        "verify",
        "--circuit",
        "eligibility",
        "--depth",
        "5",
        "--attributes",
        "2",
        "--ptau",
        s(ptau),
        "--zkey",
        s(&t("final.zkey")),
    ]);
    assert!(refusal.contains("does not verify"), "{refusal}");

    // The final key becomes the shape's key (a ceremony key), and exports.
    let keys = t("keys");
    let out = ok(&with_shape(&[
        "keys",
        "import-zkey",
        "--keys",
        s(&keys),
        "--zkey",
        s(&t("final.zkey")),
    ]));
    assert!(
        out.contains("contributions 3") && out.contains("#2 bob"),
        "{out}"
    );
    ok(&[
        "keys",
        "export",
        "--keys",
        s(&keys),
        "--shape",
        "eligibility-d4-a2",
        "--out",
        s(&t("vk.json")),
    ]);
    let manifest = std::fs::read_to_string(keys.join("eligibility-d4-a2.json")).unwrap();
    assert!(manifest.contains("\"development\": false"), "{manifest}");
}

/// A ceremony key imported before the registry exists is the one the
/// service logs and holders prove with: claims verify, and the receipt and
/// bundle no longer say "development key" (they do without the import, see
/// tests/identity.rs).
#[test]
fn claims_prove_and_verify_with_a_ceremony_key() {
    use common::deploy::Deployment;
    use common::identity::{Issuer, claim, prove_eligibility};

    let st = Deployment::start(
        12,
        "test.zkaudit/ceremony",
        &[
            (
                "civil-registry",
                &["identity/registry.create", "identity/credential.issue"],
            ),
            ("benefits-office", &["identity/scope.create"]),
        ],
    );
    let t = |name: &str| st.path(name);
    let ptau = snarkjs::prepared_ptau();
    let shape = [
        "--circuit",
        "eligibility",
        "--depth",
        "4",
        "--attributes",
        "3",
    ];
    let step = |args: &[&str]| ok(&[&args[..2], &shape[..], &args[2..]].concat());
    step(&[
        "ceremony",
        "new",
        "--ptau",
        s(ptau),
        "--out",
        s(&t("k0.zkey")),
    ]);
    ok(&strs(&contribute(&t("k0.zkey"), &t("k1.zkey"), "observer")));
    ok(&strs(&beacon(
        &t("k1.zkey"),
        &t("final.zkey"),
        "0xfeedface",
    )));
    let keys = st.data.join("keys");
    let imported = step(&[
        "keys",
        "import-zkey",
        "--keys",
        s(&keys),
        "--zkey",
        s(&t("final.zkey")),
    ]);
    // "eligibility-d4-a3 vk sha3-256 <hex>": the digest the log must carry.
    let vk_digest = imported
        .split_whitespace()
        .nth(3)
        .expect("the import prints the verifying key's digest")
        .to_owned();

    let server = &st.server;
    let registry = Issuer::new(server, st.key_file("civil-registry"));
    registry.create_registry("national-id", "birth_date,region,expiry", &["--depth", "4"]);
    let wallet = t("alice.json");
    registry.enrol("national-id", &wallet, &["19800101", "2", "20300101"]);
    Issuer::new(server, st.key_file("benefits-office")).create_scope(
        "heating-2027",
        "Heating allowance 2027",
        "national-id",
        &["birth_date<=20080101", "region in 1,2", "expiry>=20270101"],
    );
    assert_ran(&prove_eligibility(
        server,
        &wallet,
        "heating-2027",
        "application 1",
        &t("claim.json"),
        &t("holder-keys"),
    ));
    claim(
        server,
        &t("claim.json"),
        &t("receipt.json"),
        &["--bundle", s(&t("bundle.json"))],
    );
    let log_key = &server.log_key();
    let report = ok(&["verify", s(&t("receipt.json")), "--log-key", log_key]);
    assert!(report.contains("identity/claim"), "{report}");
    // The bundle's offline check names the logged key: the ceremony's.
    let report = ok(&["verify", s(&t("bundle.json")), "--log-key", log_key]);
    assert!(
        report.contains(&vk_digest),
        "not under the ceremony key: {report}"
    );
    assert!(!report.contains("DEVELOPMENT"), "{report}");
}
