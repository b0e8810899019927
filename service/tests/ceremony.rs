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

/// Both phases in zkaudit, with snarkjs as the judge: `zkaudit ptau` makes
/// a phase 1 of power 14 (two contributors, a beacon, prepared) that
/// `snarkjs powersoftau verify` accepts, and phase-2 keys started from it
/// for an eligibility and a ballot shape pass `snarkjs zkey verify`
/// against that same file.
#[test]
fn a_phase_one_made_here_starts_a_phase_two_snarkjs_accepts() {
    let tmp = tempfile::tempdir().unwrap();
    let t = |name: &str| tmp.path().join(name);
    let p = |name: &str| t(name).to_str().unwrap().to_owned();

    ok(&["ptau", "new", "--power", "14", "--out", &p("pot0.ptau")]);
    let refusal = fails(&["ptau", "verify", "--ptau", &p("pot0.ptau")]);
    assert!(refusal.contains("no contribution"), "{refusal}");
    let out = ok(&[
        "ptau",
        "contribute",
        "--in",
        &p("pot0.ptau"),
        "--out",
        &p("pot1.ptau"),
        "--name",
        "alice",
    ]);
    assert!(
        out.contains("contribution #1 by alice") && out.contains("response hash"),
        "{out}"
    );
    let mut bob = Command::new(env!("CARGO_BIN_EXE_zkaudit"))
        .args([
            "ptau",
            "contribute",
            "--in",
            &p("pot1.ptau"),
            "--out",
            &p("pot2.ptau"),
        ])
        .args(["--name", "bob", "--ask-entropy"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    bob.stdin.take().unwrap().write_all(b"6 6 2 5 1\n").unwrap();
    succeeded(&["ptau contribute bob"], bob.wait_with_output().unwrap());
    ok(&[
        "ptau",
        "beacon",
        "--in",
        &p("pot2.ptau"),
        "--out",
        &p("pot3.ptau"),
        "--beacon",
        "0xfeedface",
    ]);
    ok(&[
        "ptau",
        "prepare",
        "--in",
        &p("pot3.ptau"),
        "--out",
        &p("pot.ptau"),
    ]);
    let report = ok(&["ptau", "verify", "--ptau", &p("pot.ptau")]);
    for expected in [
        "VERIFIED",
        "#1 alice",
        "#2 bob",
        "#3 phase 1 beacon",
        "2 contributors",
        "prepared for phase 2",
    ] {
        assert!(report.contains(expected), "{expected:?} not in:\n{report}");
    }
    let verified = snarkjs::snarkjs_ok(tmp.path(), &["powersoftau", "verify", "pot.ptau"]);
    assert!(verified.contains("Powers of Tau Ok!"), "{verified}");

    // Phase 2 over it for both statements, checked by snarkjs against our
    // phase 1.
    let ballot = [
        "--circuit",
        "ballot",
        "--depth",
        "4",
        "--attributes",
        "2",
        "--options",
        "2",
    ];
    for (name, shape) in [("eligibility", &SHAPE[..]), ("ballot", &ballot[..])] {
        let file = |suffix: &str| p(&format!("{name}-{suffix}"));
        let with = |args: &[&str]| -> Vec<String> {
            [&args[..2], shape, &args[2..]]
                .concat()
                .iter()
                .map(|a| a.to_string())
                .collect()
        };
        ok(&strs(&with(&[
            "ceremony",
            "new",
            "--ptau",
            &p("pot.ptau"),
            "--out",
            &file("k0.zkey"),
        ])));
        ok(&strs(&contribute(
            &t(&format!("{name}-k0.zkey")),
            &t(&format!("{name}-k1.zkey")),
            "carol",
        )));
        ok(&strs(&beacon(
            &t(&format!("{name}-k1.zkey")),
            &t(&format!("{name}-final.zkey")),
            "0x0123456789abcdef",
        )));
        ok(&strs(&with(&[
            "circuit",
            "export-r1cs",
            "--out",
            &file("circuit.r1cs"),
        ])));
        let verified = snarkjs::snarkjs_ok(
            tmp.path(),
            &[
                "zkey",
                "verify",
                &file("circuit.r1cs"),
                "pot.ptau",
                &file("final.zkey"),
            ],
        );
        assert!(verified.contains("ZKey Ok!"), "{name}: {verified}");
    }

    // A damaged phase-1 file is refused, and so is one whose powers were
    // swapped (valid points in the wrong places).
    let mut damaged = std::fs::read(t("pot3.ptau")).unwrap();
    damaged[12 + 56 + 12 + 5 * 64 + 3] ^= 0x20;
    std::fs::write(t("damaged.ptau"), &damaged).unwrap();
    let refusal = fails(&["ptau", "verify", "--ptau", &p("damaged.ptau")]);
    assert!(refusal.contains("damaged.ptau refused"), "{refusal}");
    let mut swapped = std::fs::read(t("pot3.ptau")).unwrap();
    let (a, b) = (12 + 56 + 12 + 2 * 64, 12 + 56 + 12 + 3 * 64);
    let third: Vec<u8> = swapped[b..b + 64].to_vec();
    swapped.copy_within(a..a + 64, b);
    swapped[a..a + 64].copy_from_slice(&third);
    std::fs::write(t("swapped.ptau"), &swapped).unwrap();
    let refusal = fails(&["ptau", "verify", "--ptau", &p("swapped.ptau")]);
    assert!(refusal.contains("powers do not follow"), "{refusal}");
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

/// The service's ceremony: what an upload is, and how a test tampers with one.
mod coordinated {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as BASE64;
    use sha3::Digest as _;
    use zkaudit_ledger::ceremony::{CONTRIBUTE, DOMAIN, Step};
    use zkaudit_ledger::note::NoteSigningKey;
    use zkaudit_ledger::record::Record;
    use zkaudit_prover::ceremony::{contribute, contribution_rng, transcript};
    use zkaudit_prover::iden3::Zkey;

    use super::common::{agent, now_ms};

    /// The service's ceremony `id` as served.
    pub fn view(base: &str, id: &str) -> serde_json::Value {
        let (status, view) =
            super::common::get_json(&agent(), &format!("{base}/v1/ceremony/ceremonies/{id}"));
        assert_eq!(status, 200, "{view}");
        view
    }

    /// The ceremony's current key, as served.
    pub fn head(base: &str, id: &str) -> (serde_json::Value, Zkey) {
        let view = view(base, id);
        let (status, bytes) = super::common::get_bytes(
            &agent(),
            &format!("{base}/v1/ceremony/keys/{}", view["head"].as_str().unwrap()),
        );
        assert_eq!(status, 200);
        (view, Zkey::from_bytes(&bytes).unwrap())
    }

    /// A change made to a contributed key.
    pub type Tamper = Box<dyn FnOnce(&mut Zkey)>;

    /// A contribution by `name` on `current`, possibly tampered with by
    /// `tamper` (after which its contribution hash is recomputed, so only
    /// the cryptography is wrong).
    pub fn contribution(current: &Zkey, name: &str, tamper: impl FnOnce(&mut Zkey)) -> Zkey {
        let (mut next, _) = contribute(current, name, &mut contribution_rng(b"")).unwrap();
        tamper(&mut next);
        next
    }

    /// The signed `contribute` record for `next` as step `number` on `previous`.
    pub fn record(
        origin: &str,
        signer: &NoteSigningKey,
        id: &str,
        number: u64,
        previous: &str,
        next: &Zkey,
    ) -> (Record, Vec<u8>) {
        let bytes = next.to_bytes();
        let last = next.mpc.as_ref().unwrap().contributions.last().unwrap();
        let step = Step {
            ceremony: id.into(),
            number: number as u32,
            name: last.name.clone().unwrap(),
            previous_key: hex::decode(previous).unwrap().try_into().unwrap(),
            key: sha3::Sha3_256::digest(&bytes).into(),
            contribution_hash: transcript::contribution_hash(last),
        };
        let record =
            Record::signed(origin, DOMAIN, CONTRIBUTE, now_ms(), step.encode(), signer).unwrap();
        (record, bytes)
    }

    /// Uploads a step's key with its record.
    pub fn upload(base: &str, id: &str, record: &Record, bytes: &[u8]) -> (u16, serde_json::Value) {
        let mut response = agent()
            .post(format!("{base}/v1/ceremony/ceremonies/{id}/steps"))
            .header("zkaudit-record", BASE64.encode(record.encode()))
            .send(bytes)
            .unwrap();
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or_default())
    }
}

/// A ceremony coordinated by the service, end to end: an authority opens
/// it over a phase-1 file, contributors upload through the CLI, racing and
/// forged contributions are refused with nothing logged, the beacon closes
/// it and its key becomes the shape's circuit key (a registry created
/// meanwhile gets no development key), claims prove under it, and anyone
/// verifies the whole ceremony from the log — and snarkjs agrees.
#[test]
fn a_ceremony_coordinated_by_the_service() {
    use common::deploy::Deployment;
    use common::identity::{Issuer, claim, prove_eligibility};
    use coordinated::{contribution, head, record, upload, view};

    // A production configuration: no development keys.
    let st = Deployment::start_with(
        13,
        "test.zkaudit/coordinated",
        &[
            ("ceremony-office", &["ceremony/*"]),
            (
                "civil-registry",
                &["identity/registry.create", "identity/credential.issue"],
            ),
            ("benefits-office", &["identity/scope.create"]),
            ("commission", &["election/*"]),
            ("alice", &[]),
            ("bob", &[]),
            ("mallory", &[]),
        ],
        "",
    );
    let server = &st.server;
    let base = st.base().to_owned();
    let id = "eligibility-2027";
    let ptau = snarkjs::prepared_ptau();
    std::fs::create_dir_all(st.data.join("ptau")).unwrap();
    std::fs::copy(ptau, st.data.join("ptau/pot12.ptau")).unwrap();
    let invite = |name: &str| hex::encode(st.key(name).public_key().as_bytes());
    let (alice, bob) = (invite("alice"), invite("bob"));
    let start = |key: &str, ptau: &str| {
        let mut args = vec!["ceremony", "start", "--key", key, "--id", id];
        args.extend(SHAPE);
        args.extend(["--ptau", ptau, "--phase1-name", "pot12.ptau"]);
        args.extend(["--invite", &alice, "--invite", &bob]);
        args.iter().map(|a| a.to_string()).collect::<Vec<_>>()
    };
    // Only an authority granted ceremony/start opens one.
    let refused = server.fails(&strs(&start(st.key_file("civil-registry"), s(ptau))));
    assert!(
        refused.contains("not_authorised") || refused.contains("may not"),
        "{refused}"
    );
    let out = server.ok(&strs(&start(st.key_file("ceremony-office"), s(ptau))));
    assert!(out.contains("initial key sha3-256"), "{out}");

    // A registry of the shape, created while the ceremony runs, waits for
    // its key instead of getting a development key; so does one of a shape
    // without a ceremony (development keys are off).
    let registry = Issuer::new(server, st.key_file("civil-registry"));
    registry.create_registry("other-id", "a,b,c", &["--depth", "4"]);
    let (status, refusal) = server.get_json("/v1/identity/keys/eligibility-d4-a3/proving-key");
    assert_eq!(status, 503, "{refusal}");
    assert!(refusal.to_string().contains("ceremony"), "{refusal}");
    registry.create_registry("national-id", "birth_date,region", &["--depth", "4"]);
    let (status, _) = server.get_json("/v1/identity/keys/eligibility-d4-a2");
    assert_ne!(
        status, 200,
        "a development key was logged during the ceremony"
    );

    let contribute = |who: &str| {
        server.ok(&[
            "ceremony",
            "contribute",
            "--ceremony",
            id,
            "--key",
            st.key_file(who),
            "--name",
            who,
        ])
    };
    let out = contribute("alice");
    assert!(out.contains("contribution #1 to eligibility-2027"), "{out}");
    // mallory is not invited: refused before the key is even read.
    let refused = server.fails(&[
        "ceremony",
        "contribute",
        "--ceremony",
        id,
        "--key",
        st.key_file("mallory"),
        "--name",
        "m",
    ]);
    assert!(refused.contains("not on ceremony"), "{refused}");

    // Forged contributions by bob, each refused with nothing logged.
    let bob_key = st.key("bob");
    let (current, key) = head(&base, id);
    let previous = current["head"].as_str().unwrap().to_owned();
    let size = server.log_size();
    let forged: [(&str, coordinated::Tamper); 4] = [
        ("reuses the previous delta", {
            let (d1, d2) = (key.pk.delta_g1, key.pk.vk.delta_g2);
            Box::new(move |k| {
                k.pk.delta_g1 = d1;
                k.pk.vk.delta_g2 = d2;
                k.mpc
                    .as_mut()
                    .unwrap()
                    .contributions
                    .last_mut()
                    .unwrap()
                    .delta_after = d1;
            })
        }),
        (
            "a wrong proof of knowledge",
            Box::new(|k| {
                let c = k.mpc.as_mut().unwrap().contributions.last_mut().unwrap();
                std::mem::swap(&mut c.g1_s, &mut c.g1_sx);
            }),
        ),
        (
            "changes alpha",
            Box::new(|k| k.pk.vk.alpha_g1 = k.pk.beta_g1),
        ),
        ("changes IC", Box::new(|k| k.pk.vk.gamma_abc_g1.swap(0, 1))),
    ];
    for (what, tamper) in forged {
        let next = contribution(&key, "bob", tamper);
        let (record, bytes) = record(&st.origin, &bob_key, id, 2, &previous, &next);
        let (status, body) = upload(&base, id, &record, &bytes);
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (422, Some("contribution_refused")),
            "{what}: {body}"
        );
    }
    // A key that is not the one its record names, and an oversized body.
    let next = contribution(&key, "bob", |_| {});
    let (record_2, bytes) = record(&st.origin, &bob_key, id, 2, &previous, &next);
    let mut other = bytes.clone();
    other[100] ^= 1;
    assert_eq!(upload(&base, id, &record_2, &other).0, 422);
    let huge = vec![0u8; bytes.len() + 100 * 1024];
    assert_eq!(upload(&base, id, &record_2, &huge).0, 413);
    assert_eq!(server.log_size(), size, "a refused step changed the log");

    // Two contributions built on the same key race: exactly one is logged,
    // the other is refused as stale.
    let rival = contribution(&key, "alice", |_| {});
    let alice_key = st.key("alice");
    let (record_rival, rival_bytes) = record(&st.origin, &alice_key, id, 2, &previous, &rival);
    let results = std::thread::scope(|scope| {
        let a = scope.spawn(|| upload(&base, id, &record_2, &bytes));
        let b = scope.spawn(|| upload(&base, id, &record_rival, &rival_bytes));
        [a.join().unwrap(), b.join().unwrap()]
    });
    let statuses: Vec<u16> = results.iter().map(|(s, _)| *s).collect();
    assert!(
        statuses.contains(&201) && statuses.iter().filter(|&&s| s == 201).count() == 1,
        "{results:?}"
    );
    let loser = results.iter().find(|(s, _)| *s != 201).unwrap();
    assert!(
        matches!(
            loser.1["error"]["code"].as_str(),
            Some("stale_key" | "already_used")
        ),
        "{loser:?}"
    );
    assert_eq!(server.log_size(), size + 1);
    // A late contribution on the stale key is refused before its body is read.
    let late = contribution(&key, "bob", |_| {});
    let (late, late_bytes) = record(&st.origin, &bob_key, id, 2, &previous, &late);
    let (status, body) = upload(&base, id, &late, &late_bytes);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("stale_key")),
        "{body}"
    );

    // Only the coordinator finalises; then the key is the shape's.
    let finalize = |key: &str| {
        server.run(&[
            "ceremony",
            "finalize",
            "--ceremony",
            id,
            "--key",
            key,
            "--beacon",
            "0x5eed",
        ])
    };
    assert!(!finalize(st.key_file("civil-registry")).status.success());
    let out = succeeded(&["finalize"], finalize(st.key_file("ceremony-office")));
    assert!(out.contains("circuit key"), "{out}");
    let view = view(&base, id);
    assert_eq!(view["status"], "final");
    let (status, key_view) = server.get_json("/v1/identity/keys/eligibility-d4-a2");
    assert_eq!(status, 200, "{key_view}");
    assert_eq!(key_view["development"], false, "{key_view}");
    assert_eq!(key_view["ceremony"], id, "{key_view}");
    assert_eq!(key_view["ceremony_contributions"], 2, "{key_view}");
    assert_eq!(
        key_view["vk_digest"], view["beacon"]["vk_digest"],
        "{key_view}"
    );
    let refused = server.fails(&[
        "ceremony",
        "contribute",
        "--ceremony",
        id,
        "--key",
        st.key_file("bob"),
        "--name",
        "late",
    ]);
    assert!(refused.contains("finalised"), "{refused}");

    // Anyone verifies it from the log.
    let report = server.ok(&[
        "ceremony",
        "verify",
        "--ceremony",
        id,
        "--log-key",
        &st.log_vkey,
    ]);
    for expected in [
        "VERIFIED",
        "#1 alice",
        "#3 final beacon",
        "opened by ceremony-office",
        "logged as the circuit key",
    ] {
        assert!(report.contains(expected), "{expected:?} not in:\n{report}");
    }
    // The transcript verifies as served, and not once edited: a dropped
    // contribution, a record of another kind in its place, the circuit key
    // record removed, or read as another ceremony's.
    {
        use base64::Engine;
        use base64::engine::general_purpose::STANDARD as BASE64;
        use zkaudit_ledger::record::Record;
        use zkaudit_verifier::ceremony::CeremonyTranscript;

        let (status, served) = server.get_json(&format!("/v1/ceremony/ceremonies/{id}/transcript"));
        assert_eq!(status, 200, "{served}");
        let served: CeremonyTranscript = serde_json::from_value(served).unwrap();
        let verified = served.verify(&st.log_vkey).unwrap();
        assert_eq!(verified.ceremony.contributions.len(), 2);
        assert!(verified.circuit_key.is_some());
        let position = |kind: &str| {
            served
                .evidence
                .entries
                .iter()
                .position(|e| {
                    let record = Record::decode(&BASE64.decode(&e.record).unwrap()).unwrap();
                    record.kind() == kind
                })
                .unwrap_or_else(|| panic!("no {kind} entry"))
        };
        let refused = |edit: &dyn Fn(&mut CeremonyTranscript)| {
            let mut edited = served.clone();
            edit(&mut edited);
            edited.verify(&st.log_vkey).unwrap_err().to_string()
        };
        let first_step = position("contribute");
        let why = refused(&|t| {
            t.evidence.entries.remove(first_step);
        });
        assert!(why.contains("entry"), "dropped step: {why}");
        let key_entry = position("circuit.key");
        let why = refused(&|t| {
            t.evidence.entries.remove(key_entry);
        });
        assert!(why.contains("circuit key record is missing"), "{why}");
        let why = refused(&|t| t.ceremony = "another-ceremony".into());
        assert!(why.contains("belongs to ceremony"), "{why}");
        let why = refused(&|t| {
            let moved = t.evidence.entries[first_step].clone();
            t.evidence.entries[first_step].record = t.evidence.entries[key_entry].record.clone();
            t.evidence.entries[key_entry] = moved;
        });
        assert!(!why.is_empty(), "swapped records: {why}");
    }

    // snarkjs agrees, from our exported r1cs and the served files.
    let final_key = st.path("final.zkey");
    let (_, bytes) = common::get_bytes(
        &agent(),
        &format!("{base}/v1/ceremony/keys/{}", view["head"].as_str().unwrap()),
    );
    std::fs::write(&final_key, &bytes).unwrap();
    ok(&with_shape(&[
        "circuit",
        "export-r1cs",
        "--out",
        s(&st.path("e.r1cs")),
    ]));
    let verified = snarkjs::snarkjs_ok(
        st.dir(),
        &["zkey", "verify", "e.r1cs", s(ptau), "final.zkey"],
    );
    assert!(verified.contains("ZKey Ok!"), "{verified}");

    // A claim proves and verifies under the ceremony's key.
    let wallet = st.path("carol.json");
    registry.enrol("national-id", &wallet, &["19800101", "2"]);
    // The scope names the ceremony's key; a scope naming another key is
    // refused.
    let named_key = key_view["vk_digest"].as_str().unwrap().to_owned();
    let create_scope = |id: &str, digest: &str| {
        let args = [
            "issuer",
            "create-scope",
            "--key",
            st.key_file("benefits-office"),
            "--id",
            id,
            "--title",
            "Heating allowance 2027",
            "--registry",
            "national-id",
            "--predicate",
            "birth_date<=20080101",
            "--predicate",
            "region in 1,2",
            "--circuit-key",
            digest,
        ];
        args.map(str::to_owned)
    };
    let refused = server.fails(&strs(&create_scope("heating-other-key", &"ab".repeat(32))));
    assert!(
        refused.contains("no logged non-development circuit key"),
        "{refused}"
    );
    server.ok(&strs(&create_scope("heating-2027", &named_key)));
    assert_ran(&prove_eligibility(
        server,
        &wallet,
        "heating-2027",
        "application 1",
        &st.path("claim.json"),
        &st.path("holder-keys"),
    ));
    claim(
        server,
        &st.path("claim.json"),
        &st.path("receipt.json"),
        &["--bundle", s(&st.path("bundle.json"))],
    );
    let report = ok(&[
        "verify",
        s(&st.path("bundle.json")),
        "--log-key",
        &st.log_vkey,
    ]);
    assert!(
        report.contains("comes from ceremony \"eligibility-2027\" on this log: 2 contributors"),
        "{report}"
    );
    assert!(!report.contains("DEVELOPMENT"), "{report}");

    // One byte changed in the stored final key: the download is refused.
    let stored = st
        .data
        .join("ceremony")
        .join(view["head"].as_str().unwrap());
    let mut damaged = std::fs::read(&stored).unwrap();
    damaged[200] ^= 0x10;
    std::fs::write(&stored, damaged).unwrap();
    let refused = server.fails(&[
        "ceremony",
        "verify",
        "--ceremony",
        id,
        "--log-key",
        &st.log_vkey,
    ]);
    assert!(refused.contains("is not"), "{refused}");
}

/// A v3 election (`--key-per-election`) on a service without development
/// keys: its ballot circuit exists once the joint key is logged at the
/// opening; a ceremony then makes its key, and ballots wait for it.
#[test]
fn a_v3_election_gets_its_ballot_key_from_a_ceremony() {
    use common::deploy::Deployment;
    use common::identity::Issuer;
    use zkaudit_circuits::ballot::key_tag;
    use zkaudit_circuits::elgamal::{decode_point, encode_point, public_key, random_scalar};

    let st = Deployment::start_with(
        17,
        "test.zkaudit/keyed-ceremony",
        &[
            ("ceremony-office", &["ceremony/*"]),
            (
                "civil-registry",
                &["identity/registry.create", "identity/credential.issue"],
            ),
            ("commission", &["election/*"]),
            ("alice", &[]),
        ],
        "",
    );
    let server = &st.server;
    let com = st.key_file("commission");
    let registry = Issuer::new(server, st.key_file("civil-registry"));
    registry.create_registry("national-id", "birth_date,region", &["--depth", "4"]);
    let wallet = st.path("carol.json");
    registry.enrol("national-id", &wallet, &["19800101", "2"]);
    let trustee = st.path("trustee.key");
    ok(&[
        "trustee",
        "keygen",
        "--name",
        "t",
        "--out",
        s(&trustee),
        "--public-out",
        s(&st.path("trustee.pub.json")),
    ]);
    let trustee_in = |command: &str| {
        server.ok(&[
            "trustee",
            command,
            "--key",
            s(&trustee),
            "--election",
            "city",
        ]);
    };
    server.ok(&[
        "election",
        "create",
        "--key",
        com,
        "--id",
        "city",
        "--contest",
        "Mayor: A, B; min=1",
        "--key-per-election",
        "--registry",
        "national-id",
        "--predicate",
        "birth_date<=20080101",
        "--predicate",
        "region=2",
        "--trustee",
        s(&st.path("trustee.pub.json")),
        "--threshold",
        "1",
    ]);
    server.ok(&["election", "phase", "--key", com, "city", "key-ceremony"]);
    trustee_in("deal");
    server.ok(&["election", "phase", "--key", com, "city", "open"]);

    // The circuit is the election's; no development key was made for it.
    let (_, view) = server.get_json("/v1/elections/city");
    let joint_key_hex = view["joint_key"].as_str().unwrap().to_owned();
    let joint_key = decode_point(&hex::decode(&joint_key_hex).unwrap()).unwrap();
    let shape = format!("ballot-d4-a2-c2-k{}", key_tag(&joint_key));
    assert_eq!(view["ballot_shape"], shape.as_str(), "{view}");
    let (status, _) = server.get_json(&format!("/v1/identity/keys/{shape}"));
    assert_ne!(status, 200, "a ballot key was logged without a ceremony");
    let vote = |out: &str| {
        server.run(&[
            "vote",
            "--wallet",
            s(&wallet),
            "--election",
            "city",
            "--choose",
            "B",
            "--keys",
            s(&st.path("voter-keys")),
            "--out",
            s(&st.path(out)),
        ])
    };
    let shown = server.ok(&["election", "show", "city"]);
    assert!(
        shown.contains("ballot key   none logged, ballots are refused"),
        "{shown}"
    );
    let size = server.log_size();
    let refused = failed(&["vote before the ceremony"], vote("early.json"));
    assert!(refused.contains(&shape), "{refused}");
    assert_eq!(server.log_size(), size);

    // The phase-1 file: its power fits the circuit (`zkaudit circuit info`).
    let shape_args = |key: &str| {
        [
            "--circuit",
            "ballot",
            "--depth",
            "4",
            "--attributes",
            "2",
            "--contests",
            "2",
            "--election-key",
            key,
        ]
        .map(str::to_owned)
    };
    let info = ok(&strs(
        &[
            &["circuit".to_owned(), "info".to_owned()][..],
            &shape_args(&joint_key_hex),
        ]
        .concat(),
    ));
    assert!(info.contains(&shape), "{info}");
    assert!(info.contains("a .ptau of power >= 13"), "{info}");
    let ptau = st.path("pot13.ptau");
    let p = |name: &str| s(&st.path(name)).to_owned();
    ok(&["ptau", "new", "--power", "13", "--out", &p("pot13-0.ptau")]);
    ok(&[
        "ptau",
        "contribute",
        "--in",
        &p("pot13-0.ptau"),
        "--out",
        &p("pot13-1.ptau"),
        "--name",
        "phase one",
    ]);
    ok(&[
        "ptau",
        "prepare",
        "--in",
        &p("pot13-1.ptau"),
        "--out",
        s(&ptau),
    ]);
    std::fs::create_dir_all(st.data.join("ptau")).unwrap();
    std::fs::copy(&ptau, st.data.join("ptau/pot13.ptau")).unwrap();
    let alice = hex::encode(st.key("alice").public_key().as_bytes());
    let start = |id: &str, shape: &[String]| {
        let mut args = ["ceremony", "start", "--key", st.key_file("ceremony-office")]
            .map(str::to_owned)
            .to_vec();
        args.extend(["--id".to_owned(), id.to_owned()]);
        args.extend_from_slice(shape);
        args.extend(["--ptau", s(&ptau), "--invite", &alice].map(str::to_owned));
        server.run(&strs(&args))
    };
    // The circuit for a key no election has, and the election's key in a
    // circuit of another depth than its registry's: shapes no election
    // uses, refused with nothing logged.
    let stranger = encode_point(&public_key(&random_scalar(&mut rand::rngs::OsRng)));
    let mut deeper = shape_args(&joint_key_hex);
    deeper[3] = "5".to_owned();
    for (what, shape) in [
        ("foreign key", shape_args(&hex::encode(stranger))),
        ("other depth", deeper),
    ] {
        let refused = failed(&[what], start("stray", &shape));
        assert!(refused.contains("unknown_shape"), "{what}: {refused}");
    }
    assert_eq!(server.log_size(), size);
    // Named by its election: the service's shape, rebuilt from the served
    // joint key (the same as the flags would name).
    let by_election = ["--election", "city"].map(str::to_owned);
    let out = succeeded(&["start"], start("city-ballot", &by_election));
    assert!(
        out.contains("initial key sha3-256") && out.contains(&shape),
        "{out}"
    );

    // While it runs, ballots wait, and say why.
    let refused = failed(&["vote during the ceremony"], vote("during.json"));
    assert!(refused.contains("a ceremony is making"), "{refused}");
    let shown = server.ok(&["election", "show", "city"]);
    assert!(shown.contains("a ceremony is making it"), "{shown}");

    server.ok(&[
        "ceremony",
        "contribute",
        "--ceremony",
        "city-ballot",
        "--key",
        st.key_file("alice"),
        "--name",
        "alice",
    ]);
    let out = server.ok(&[
        "ceremony",
        "finalize",
        "--ceremony",
        "city-ballot",
        "--key",
        st.key_file("ceremony-office"),
        "--beacon",
        "0xc17e",
    ]);
    assert!(out.contains("circuit key"), "{out}");
    let (status, key_view) = server.get_json(&format!("/v1/identity/keys/{shape}"));
    assert_eq!(status, 200, "{key_view}");
    assert_eq!(key_view["development"], false, "{key_view}");
    assert_eq!(key_view["ceremony"], "city-ballot", "{key_view}");
    let shown = server.ok(&["election", "show", "city"]);
    assert!(
        shown.contains("ballot key   ceremony city-ballot on this log, 1 contributor"),
        "{shown}"
    );

    // Anyone checks the ceremony: the circuit is rebuilt from the logged
    // joint key its shape id names.
    let report = server.ok(&[
        "ceremony",
        "verify",
        "--ceremony",
        "city-ballot",
        "--log-key",
        &st.log_vkey,
    ]);
    assert!(
        report.contains("VERIFIED") && report.contains("#1 alice"),
        "{report}"
    );

    // The voter proves with the ceremony's key; the election runs to its
    // tally, and the bundle names the ceremony.
    assert_ran(&vote("ballot.json"));
    assert_eq!(
        server.log_size(),
        size + 5,
        "start, step, beacon, key, ballot"
    );
    server.ok(&["election", "phase", "--key", com, "city", "closed"]);
    trustee_in("decrypt");
    let (_, view) = server.get_json("/v1/elections/city");
    assert_eq!(view["tally"]["counts"], serde_json::json!([0, 1]), "{view}");
    let bundle = st.path("city.json");
    server.ok(&["election", "export", "city", "--out", s(&bundle)]);
    let report = ok(&["verify", s(&bundle), "--log-key", &st.log_vkey]);
    assert!(
        report.contains("comes from ceremony \"city-ballot\" on this log: 1 contributor,"),
        "{report}"
    );
    assert!(!report.contains("DEVELOPMENT"), "{report}");
}
