//! Elections end to end through the `zkaudit` binary and the HTTP API: a
//! voter registry, three trustees (2 of 3), a key ceremony, ballots proved
//! locally, every kind of bad ballot refused with nothing logged, a
//! cheating trustee's partial decryption skipped, the tally, and the
//! offline bundle (which one changed byte breaks).

mod common;

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::*;
use zkaudit_circuits::Fr;
use zkaudit_circuits::babyjubjub::{BASE8, Point};
use zkaudit_circuits::elgamal::encode_point;
use zkaudit_ledger::election::{Ballot, DECRYPT};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_service::client::Client;
use zkaudit_service::client::election::{
    TrusteeKey, election_spec, partial_decryptions, post_election_record,
};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn log_size(agent: &ureq::Agent, base: &str) -> u64 {
    get_json(agent, &format!("{base}/v1/log")).1["size"]
        .as_u64()
        .unwrap()
}

fn read_ballot(path: &Path) -> Ballot {
    let body: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    Ballot::decode(&BASE64.decode(body["ballot"].as_str().unwrap()).unwrap()).unwrap()
}

fn body_of(bytes: &[u8]) -> serde_json::Value {
    serde_json::json!({ "ballot": BASE64.encode(bytes) })
}

fn post_ballot(agent: &ureq::Agent, base: &str, election: &str, bytes: &[u8]) -> (u16, String) {
    let (status, body) = post_json(
        agent,
        &format!("{base}/v1/elections/{election}/ballots"),
        &body_of(bytes),
    );
    (
        status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

#[test]
fn election_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let t = |name: &str| tmp.path().join(name);
    let data = t("data");
    std::fs::create_dir_all(&data).unwrap();
    let mut rng =
        <rand_chacha::ChaCha20Rng as rand_chacha::rand_core::SeedableRng>::seed_from_u64(61);
    let log = NoteSigningKey::generate("test.zkaudit/election", &mut rng).unwrap();
    let registry = NoteSigningKey::generate("voter-registry", &mut rng).unwrap();
    let commission = NoteSigningKey::generate("commission", &mut rng).unwrap();
    std::fs::write(data.join("log.key"), log.to_skey_string().as_bytes()).unwrap();
    std::fs::write(t("registry.key"), registry.to_skey_string().as_bytes()).unwrap();
    std::fs::write(t("commission.key"), commission.to_skey_string().as_bytes()).unwrap();
    std::fs::write(
        data.join("zkaudit.toml"),
        format!(
            "[log]\nkey_file = \"log.key\"\n\n[[authority]]\nname = \"voter-registry\"\nverifier_key = \"{}\"\nkinds = [\"identity/*\"]\n\n[[authority]]\nname = \"commission\"\nverifier_key = \"{}\"\nkinds = [\"election/*\"]\n",
            registry.verifier_key_string(),
            commission.verifier_key_string()
        ),
    )
    .unwrap();
    let server = ServerProcess::start(&data, &[]);
    let base = server.base.as_str();
    let agent = agent();
    let reg = t("registry.key");
    let com = t("commission.key");
    let keys = t("voter-keys");

    // The registry: voters 1-5 are adults, voter 6 is not.
    ok(&[
        "issuer",
        "create-registry",
        "--key",
        s(&reg),
        "--id",
        "roll",
        "--attributes",
        "age,district",
        "--depth",
        "4",
        "--server",
        base,
    ]);
    let ages = [30u64, 41, 52, 63, 74, 16];
    for (i, age) in ages.iter().enumerate() {
        let wallet = t(&format!("voter{}.json", i + 1));
        let commitment = ok(&["id", "new", "--wallet", s(&wallet)]);
        let attrs = [age.to_string(), "2".to_string()];
        ok(&[
            "issuer",
            "issue",
            "--key",
            s(&reg),
            "--registry",
            "roll",
            "--commitment",
            commitment.trim(),
            "--attr",
            &attrs[0],
            "--attr",
            &attrs[1],
            "--server",
            base,
        ]);
        ok(&[
            "id",
            "add-credential",
            "--wallet",
            s(&wallet),
            "--registry",
            "roll",
            "--attr",
            &attrs[0],
            "--attr",
            &attrs[1],
        ]);
    }

    // Three trustees; the key file is private, the public part goes to the commission.
    for i in 1..=3 {
        let public = ok(&[
            "trustee",
            "keygen",
            "--name",
            &format!("trustee-{i}"),
            "--out",
            s(&t(&format!("trustee{i}.key"))),
            "--public-out",
            s(&t(&format!("trustee{i}.pub.json"))),
        ]);
        let public: serde_json::Value = serde_json::from_str(&public).unwrap();
        assert_eq!(public["name"], format!("trustee-{i}"));
        assert!(public.get("encryption_secret").is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(t(&format!("trustee{i}.key")))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
    let trustee = |i: usize| t(&format!("trustee{i}.key"));
    for id in ["e1", "e2"] {
        let created = ok(&[
            "election",
            "create",
            "--key",
            s(&com),
            "--id",
            id,
            "--title",
            "Test vote",
            "--option",
            "Alpha",
            "--option",
            "Beta",
            "--option",
            "Gamma",
            "--min",
            "1",
            "--max",
            "1",
            "--registry",
            "roll",
            "--predicate",
            "age>=18",
            "--trustee",
            s(&t("trustee1.pub.json")),
            "--trustee",
            s(&t("trustee2.pub.json")),
            "--trustee",
            s(&t("trustee3.pub.json")),
            "--threshold",
            "2",
            "--server",
            base,
        ]);
        assert!(created.contains("created"), "{created}");
        ok(&[
            "election",
            "phase",
            "--key",
            s(&com),
            id,
            "key-ceremony",
            "--server",
            base,
        ]);
    }
    // Only the commission moves the phase.
    fails(&[
        "election",
        "phase",
        "--key",
        s(&reg),
        "e1",
        "open",
        "--server",
        base,
    ]);
    // Opening before any dealing: not enough qualified dealers.
    fails(&[
        "election",
        "phase",
        "--key",
        s(&com),
        "e1",
        "open",
        "--server",
        base,
    ]);

    for i in 1..=3 {
        ok(&[
            "trustee",
            "deal",
            "--key",
            s(&trustee(i)),
            "--election",
            "e1",
            "--server",
            base,
        ]);
    }
    // A second dealing by the same trustee is refused.
    let err = fails(&[
        "trustee",
        "deal",
        "--key",
        s(&trustee(1)),
        "--election",
        "e1",
        "--server",
        base,
    ]);
    assert!(err.contains("already"), "{err}");
    for i in 1..=3 {
        let out = ok(&[
            "trustee",
            "check",
            "--key",
            s(&trustee(i)),
            "--election",
            "e1",
            "--server",
            base,
        ]);
        assert!(!out.contains("complaints published"), "{out}");
    }
    let opened = ok(&[
        "election",
        "phase",
        "--key",
        s(&com),
        "e1",
        "open",
        "--server",
        base,
    ]);
    assert!(opened.contains("qualified dealers [1, 2, 3]"), "{opened}");

    // Votes: 1 → Alpha, 2 → Beta, 3 → Beta (by index).
    let vote = |voter: usize, choose: &str, extra: &[&str]| {
        let wallet = t(&format!("voter{voter}.json"));
        let out = t(&format!("voter{voter}-{choose}.json"));
        let mut args = vec![
            "vote",
            "--wallet",
            s(&wallet),
            "--election",
            "e1",
            "--choose",
            choose,
            "--keys",
            s(&keys),
            "--out",
            s(&out),
            "--server",
            base,
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
        args.extend(extra.iter().map(|a| a.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        (zkaudit(&args), out)
    };
    for (voter, choose) in [(1, "Alpha"), (2, "Beta"), (3, "1")] {
        let (out, _) = vote(voter, choose, &[]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Voter 1 again: refused.
    let (out, _) = vote(1, "Gamma", &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already_used"));
    // The minor cannot even make a ballot; two choices are not allowed either.
    let (out, _) = vote(6, "Alpha", &["--no-submit"]);
    assert!(!out.status.success());
    let (out, _) = vote(4, "Alpha", &["--no-submit", "--choose", "Beta"]);
    assert!(!out.status.success());

    // Voter 4 makes two different ballots and sends both at once: exactly one counts.
    let (o, a4) = vote(4, "Gamma", &["--no-submit"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (o, b4) = vote(4, "Alpha", &["--no-submit"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (ballot_a, ballot_b) = (read_ballot(&a4), read_ballot(&b4));
    assert_eq!(ballot_a.nullifier, ballot_b.nullifier);
    let results: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = [&ballot_a, &ballot_b]
            .into_iter()
            .map(|b| {
                let agent = &agent;
                scope.spawn(move || post_ballot(agent, base, "e1", &b.encode()))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let accepted: Vec<usize> = (0..2).filter(|&i| results[i].0 == 201).collect();
    assert_eq!(accepted.len(), 1, "{results:?}");
    let refused = &results[1 - accepted[0]];
    assert_eq!((refused.0, refused.1.as_str()), (409, "already_used"));
    let voter4_option = if accepted[0] == 0 { 2 } else { 0 };

    // Voter 5's ballot, not yet sent, tampered every way: all refused, nothing logged.
    let (o, b5) = vote(5, "Gamma", &["--no-submit"]);
    assert!(o.status.success());
    let ballot5 = read_ballot(&b5);
    let size = log_size(&agent, base);
    // For another election (path and payload disagree; and e2 is not open).
    assert_eq!(
        post_ballot(&agent, base, "e2", &ballot5.encode()),
        (422, "wrong_election".into())
    );
    let mut other = ballot5.clone();
    other.election = "e2".into();
    assert_eq!(
        post_ballot(&agent, base, "e2", &other.encode()),
        (409, "wrong_phase".into())
    );
    // A ciphertext point off the curve.
    let mut bytes = ballot5.encode();
    let c0 = ballot5.ciphertexts[0].to_bytes();
    let at = bytes.windows(c0.len()).position(|w| w == c0).unwrap();
    bytes[at + 7] ^= 0x01;
    assert_eq!(
        post_ballot(&agent, base, "e1", &bytes),
        (400, "malformed_ballot".into())
    );
    // On the curve but outside the prime-order subgroup: c1 plus the point of order 2.
    let order_two = Point::new(Fr::from(0u64), -Fr::from(1u64)).unwrap();
    let mixed = encode_point(&(ballot5.ciphertexts[0].c1 + order_two));
    let mut bytes = ballot5.encode();
    bytes[at..at + mixed.len()].copy_from_slice(&mixed);
    assert_eq!(
        post_ballot(&agent, base, "e1", &bytes),
        (400, "malformed_ballot".into())
    );
    // Valid points, but not the ones proved: the proof fails.
    let mut swapped = ballot5.clone();
    swapped.ciphertexts.swap(0, 2);
    assert_eq!(
        post_ballot(&agent, base, "e1", &swapped.encode()),
        (422, "invalid_proof".into())
    );
    // A proof from another ballot.
    let mut stolen = ballot5.clone();
    stolen.proof = ballot_a.proof.clone();
    assert_eq!(
        post_ballot(&agent, base, "e1", &stolen.encode()),
        (422, "invalid_proof".into())
    );
    // A flipped proof byte.
    let mut flipped = ballot5.clone();
    flipped.proof[40] ^= 0x04;
    let (status, _) = post_ballot(&agent, base, "e1", &flipped.encode());
    assert!(status == 400 || status == 422, "{status}");
    assert_eq!(log_size(&agent, base), size, "a refused ballot was logged");

    // Close: voter 5's (valid) ballot is now too late.
    ok(&[
        "election",
        "phase",
        "--key",
        s(&com),
        "e1",
        "closed",
        "--server",
        base,
    ]);
    assert_eq!(
        post_ballot(&agent, base, "e1", &ballot5.encode()),
        (409, "wrong_phase".into())
    );
    assert_eq!(
        log_size(&agent, base),
        size + 1,
        "only the phase change is logged"
    );

    // Trustee 1 cheats: a wrong share for option 0, signed by its own key.
    let client = Client::new(base);
    let spec = election_spec(&client, "e1").unwrap();
    let cheat = TrusteeKey::load(&trustee(1)).unwrap();
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(trustee(1)).unwrap()).unwrap();
    let secret = file["encryption_secret"].as_str().unwrap();
    assert!(
        !format!("{cheat:?}").contains(secret),
        "Debug shows the secret"
    );
    let mut record = partial_decryptions(&client, &cheat, &spec, &mut rand::rngs::OsRng).unwrap();
    record.partials[0].share = record.partials[0].share + BASE8;
    post_election_record(&client, cheat.signing_key(), DECRYPT, record.encode()).unwrap();
    // With only one valid partial there is no tally yet.
    ok(&[
        "trustee",
        "decrypt",
        "--key",
        s(&trustee(2)),
        "--election",
        "e1",
        "--server",
        base,
    ]);
    let (_, view) = get_json(&agent, &format!("{base}/v1/elections/e1"));
    assert!(view["tally"].is_null(), "{view}");
    let out = ok(&[
        "trustee",
        "decrypt",
        "--key",
        s(&trustee(3)),
        "--election",
        "e1",
        "--server",
        base,
    ]);
    assert!(out.contains("tallied"), "{out}");
    let (_, view) = get_json(&agent, &format!("{base}/v1/elections/e1"));
    let mut expected = [1u64, 2, 0];
    expected[voter4_option] += 1;
    assert_eq!(view["phase"], "tallied");
    assert_eq!(view["tally"]["counts"], serde_json::json!(expected));
    assert_eq!(view["tally"]["ballots"], 4);
    assert_eq!(view["tally"]["used"], serde_json::json!([2, 3]));
    assert_eq!(view["tally"]["rejected"], serde_json::json!([1]));
    let shown = ok(&["election", "show", "e1", "--server", base]);
    assert!(shown.contains("tallied"), "{shown}");

    // The bundle verifies offline; one changed byte breaks it.
    let bundle = t("bundle.json");
    ok(&[
        "election",
        "export",
        "e1",
        "--out",
        s(&bundle),
        "--server",
        base,
    ]);
    let log_key = log.verifier_key_string();
    let report = ok(&["verify", s(&bundle), "--log-key", &log_key]);
    assert!(report.contains("4 ballots counted"), "{report}");
    assert!(report.contains("REJECTED from trustees [1]"), "{report}");
    for (option, count) in ["Alpha", "Beta", "Gamma"].iter().zip(expected) {
        let line = [option.to_string(), count.to_string()];
        assert!(
            report
                .lines()
                .any(|l| l.split_whitespace().eq(line.iter().map(String::as_str))),
            "{report}"
        );
    }
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&bundle).unwrap()).unwrap();
    let entries = json["evidence"]["entries"].as_array_mut().unwrap();
    let last = entries.last_mut().unwrap();
    let mut record = BASE64.decode(last["record"].as_str().unwrap()).unwrap();
    let n = record.len();
    record[n - 3] ^= 0x01;
    last["record"] = BASE64.encode(&record).into();
    let tampered = t("tampered.json");
    std::fs::write(&tampered, serde_json::to_string(&json).unwrap()).unwrap();
    let err = fails(&["verify", s(&tampered), "--log-key", &log_key]);
    assert!(err.contains("does NOT verify"), "{err}");
}
