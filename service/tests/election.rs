//! Elections end to end through the `zkaudit` binary and the HTTP API: a
//! voter registry, three trustees (2 of 3), a key ceremony, ballots proved
//! locally, every kind of bad ballot refused with nothing logged, a
//! cheating trustee's partial decryption skipped, the tally, and the
//! offline bundle (which one changed byte breaks).

mod common;

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::deploy::Deployment;
use common::identity::Issuer;
use common::*;
use zkaudit_circuits::Fr;
use zkaudit_circuits::babyjubjub::{BASE8, Point};
use zkaudit_circuits::ballot::key_tag;
use zkaudit_circuits::elgamal::{decode_point, encode_point};
use zkaudit_ledger::election::{Ballot, DECRYPT, SealRecord};
use zkaudit_ledger::identity::REGISTRY_ROOT;
use zkaudit_service::client::Client;
use zkaudit_service::client::election::{
    BallotContext, TrusteeKey, election_spec, partial_decryptions, post_election_record,
};
use zkaudit_service::client::wallet::Wallet;
use zkaudit_verifier::election::ElectionBundle;

fn read_ballot(path: &Path) -> Ballot {
    let body: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    Ballot::decode(&BASE64.decode(body["ballot"].as_str().unwrap()).unwrap()).unwrap()
}

fn hex32(value: &serde_json::Value) -> [u8; 32] {
    hex::decode(value.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

fn body_of(bytes: &[u8]) -> serde_json::Value {
    serde_json::json!({ "ballot": BASE64.encode(bytes) })
}

fn post_ballot(server: &ServerProcess, election: &str, bytes: &[u8]) -> (u16, String) {
    let (status, body) = server.post_json(
        &format!("/v1/elections/{election}/ballots"),
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

/// `election phase`: the holder of `key` moves e1 to `phase`.
fn phase<'a>(key: &'a str, phase: &'a str) -> [&'a str; 6] {
    ["election", "phase", "--key", key, "e1", phase]
}

/// `trustee <command>` in e1 by the trustee whose key file is `key`.
fn trustee_step<'a>(command: &'a str, key: &'a str) -> [&'a str; 6] {
    trustee_in("e1", command, key)
}

/// `trustee <command>` in `election` by the trustee whose key file is `key`.
fn trustee_in<'a>(election: &'a str, command: &'a str, key: &'a str) -> [&'a str; 6] {
    ["trustee", command, "--key", key, "--election", election]
}

#[test]
fn election_end_to_end() {
    let st = Deployment::start(
        61,
        "test.zkaudit/election",
        &[
            ("voter-registry", &["identity/*"]),
            ("commission", &["election/*"]),
        ],
    );
    let t = |name: &str| st.path(name);
    let server = &st.server;
    let reg = st.key_file("voter-registry");
    let com = st.key_file("commission");
    let keys = t("voter-keys");

    // The registry: voters 1-5 are adults, voter 6 is not.
    let registry = Issuer::new(server, reg);
    registry.create_registry("roll", "age,district", &["--depth", "4"]);
    let ages = [30u64, 41, 52, 63, 74, 16];
    for (i, age) in ages.iter().enumerate() {
        let wallet = t(&format!("voter{}.json", i + 1));
        registry.enrol("roll", &wallet, &[&age.to_string(), "2"]);
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
    let trustee_publics: Vec<_> = (1..=3)
        .map(|i| t(&format!("trustee{i}.pub.json")))
        .collect();
    for id in ["e1", "e2"] {
        let args = [
            "election",
            "create",
            "--key",
            com,
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
            "--threshold",
            "2",
        ];
        let trustees = trustee_publics.iter().flat_map(|p| ["--trustee", s(p)]);
        // e1 allows one ballot per voter; e2 lets the last ballot count.
        let rule = (id == "e1").then_some("--one-ballot-per-voter");
        let created = server.ok(&args
            .into_iter()
            .chain(trustees)
            .chain(rule)
            .collect::<Vec<_>>());
        assert!(created.contains("created"), "{created}");
        server.ok(&["election", "phase", "--key", com, id, "key-ceremony"]);
    }
    // Only the commission moves the phase.
    server.fails(&phase(reg, "open"));
    // Opening before any dealing: not enough qualified dealers.
    server.fails(&phase(com, "open"));

    for i in 1..=3 {
        server.ok(&trustee_step("deal", s(&trustee(i))));
    }
    // A second dealing by the same trustee is refused.
    let err = server.fails(&trustee_step("deal", s(&trustee(1))));
    assert!(err.contains("already"), "{err}");
    for i in 1..=3 {
        let out = server.ok(&trustee_step("check", s(&trustee(i))));
        assert!(!out.contains("complaints published"), "{out}");
    }
    let opened = server.ok(&phase(com, "open"));
    assert!(opened.contains("qualified dealers [1, 2, 3]"), "{opened}");

    // Votes: 1 → Alpha, 2 → Beta, 3 → Beta (by index).
    let vote_in = |election: &str, voter: usize, choose: &str, extra: &[&str]| {
        let wallet = t(&format!("voter{voter}.json"));
        let out = t(&format!("{election}-voter{voter}-{choose}.json"));
        let args = [
            "vote",
            "--wallet",
            s(&wallet),
            "--election",
            election,
            "--choose",
            choose,
            "--keys",
            s(&keys),
            "--out",
            s(&out),
        ];
        (server.run(&[&args[..], extra].concat()), out)
    };
    let vote = |voter: usize, choose: &str, extra: &[&str]| vote_in("e1", voter, choose, extra);
    for (voter, choose) in [(1, "Alpha"), (2, "Beta"), (3, "1")] {
        let (out, _) = vote(voter, choose, &[]);
        assert_ran(&out);
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
    assert_ran(&o);
    let (o, b4) = vote(4, "Alpha", &["--no-submit"]);
    assert_ran(&o);
    let (ballot_a, ballot_b) = (read_ballot(&a4), read_ballot(&b4));
    assert_eq!(ballot_a.nullifier, ballot_b.nullifier);
    let results: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = [&ballot_a, &ballot_b]
            .into_iter()
            .map(|b| scope.spawn(move || post_ballot(server, "e1", &b.encode())))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let accepted: Vec<usize> = (0..2).filter(|&i| results[i].0 == 201).collect();
    assert_eq!(accepted.len(), 1, "{results:?}");
    let refused = &results[1 - accepted[0]];
    assert_eq!((refused.0, refused.1.as_str()), (409, "already_used"));
    let voter4_option = if accepted[0] == 0 { 2 } else { 0 };

    // Cast-as-intended: voter 5's client prepares a ballot, then opens it
    // instead of casting it; another device checks it against the
    // election's key fetched on its own. Nothing is logged; a client that
    // encrypted another choice than it reveals is caught.
    let size = server.log_size();
    let (o, opened) = vote(5, "Gamma", &["--challenge"]);
    assert_ran(&o);
    let shown = String::from_utf8_lossy(&o.stdout).into_owned();
    let fingerprint = shown
        .lines()
        .find_map(|l| l.strip_prefix("ballot fingerprint "))
        .unwrap_or_else(|| panic!("no fingerprint in {shown}"))
        .to_owned();
    let report = server.ok(&["verify", s(&opened), "--challenge"]);
    assert!(report.contains(&fingerprint), "{report}");
    assert!(
        report.contains("Gamma: marked") && report.contains("Alpha: not marked"),
        "{report}"
    );
    assert_eq!(server.log_size(), size, "a challenged ballot is never cast");
    let mut lie: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&opened).unwrap()).unwrap();
    lie["choices"] = serde_json::json!([1, 0, 0]);
    std::fs::write(t("lie.json"), lie.to_string()).unwrap();
    let refused = server.fails(&["verify", s(&t("lie.json")), "--challenge"]);
    assert!(refused.contains("does NOT verify"), "{refused}");
    let refused = fails(&[
        "verify",
        s(&opened),
        "--challenge",
        "--election-key",
        &"00".repeat(32),
    ]);
    assert!(
        refused.contains("election key") || refused.contains("another key"),
        "{refused}"
    );

    // Voter 5's ballot, not yet sent, tampered every way: all refused, nothing logged.
    let (o, b5) = vote(5, "Gamma", &["--no-submit"]);
    assert!(o.status.success());
    let ballot5 = read_ballot(&b5);
    let size = server.log_size();
    // For another election (path and payload disagree; and e2 is not open).
    assert_eq!(
        post_ballot(server, "e2", &ballot5.encode()),
        (422, "wrong_election".into())
    );
    let mut other = ballot5.clone();
    other.election = "e2".into();
    assert_eq!(
        post_ballot(server, "e2", &other.encode()),
        (409, "wrong_phase".into())
    );
    // A ciphertext point off the curve.
    let mut bytes = ballot5.encode();
    let c0 = ballot5.ciphertexts[0].to_bytes();
    let at = bytes.windows(c0.len()).position(|w| w == c0).unwrap();
    bytes[at + 7] ^= 0x01;
    assert_eq!(
        post_ballot(server, "e1", &bytes),
        (400, "malformed_ballot".into())
    );
    // On the curve but outside the prime-order subgroup: c1 plus the point of order 2.
    let order_two = Point::new(Fr::from(0u64), -Fr::from(1u64)).unwrap();
    let mixed = encode_point(&(ballot5.ciphertexts[0].c1 + order_two));
    let mut bytes = ballot5.encode();
    bytes[at..at + mixed.len()].copy_from_slice(&mixed);
    assert_eq!(
        post_ballot(server, "e1", &bytes),
        (400, "malformed_ballot".into())
    );
    // Valid points, but not the ones proved: the proof fails.
    let mut swapped = ballot5.clone();
    swapped.ciphertexts.swap(0, 2);
    assert_eq!(
        post_ballot(server, "e1", &swapped.encode()),
        (422, "invalid_proof".into())
    );
    // A proof from another ballot.
    let mut stolen = ballot5.clone();
    stolen.proof = ballot_a.proof.clone();
    assert_eq!(
        post_ballot(server, "e1", &stolen.encode()),
        (422, "invalid_proof".into())
    );
    // A flipped proof byte.
    let mut flipped = ballot5.clone();
    flipped.proof[40] ^= 0x04;
    let (status, _) = post_ballot(server, "e1", &flipped.encode());
    assert!(status == 400 || status == 422, "{status}");
    assert_eq!(server.log_size(), size, "a refused ballot was logged");

    // Close: voter 5's (valid) ballot is now too late.
    server.ok(&phase(com, "closed"));
    assert_eq!(
        post_ballot(server, "e1", &ballot5.encode()),
        (409, "wrong_phase".into())
    );
    assert_eq!(
        server.log_size(),
        size + 2,
        "only the phase change and the log's seal are logged"
    );
    // Voter 4's counted ballot, resubmitted byte for byte after the close:
    // the log answers with its index (issue 12, defect 6), logs nothing.
    let counted = [&ballot_a, &ballot_b][accepted[0]];
    let (status, again) = server.post_json("/v1/elections/e1/ballots", &body_of(&counted.encode()));
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["duplicate"], true, "{again}");
    assert_eq!(server.log_size(), size + 2, "a resubmission was logged");

    // Trustee 1 cheats: a wrong share for option 0, signed by its own key.
    let client = Client::new(st.base());
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
    server.ok(&trustee_step("decrypt", s(&trustee(2))));
    let (_, view) = server.get_json("/v1/elections/e1");
    assert!(view["tally"].is_null(), "{view}");
    let out = server.ok(&trustee_step("decrypt", s(&trustee(3))));
    assert!(out.contains("tallied"), "{out}");
    let (_, view) = server.get_json("/v1/elections/e1");
    let mut expected = [1u64, 2, 0];
    expected[voter4_option] += 1;
    assert_eq!(view["phase"], "tallied");
    assert_eq!(view["tally"]["counts"], serde_json::json!(expected));
    assert_eq!(view["tally"]["ballots"], 4);
    assert_eq!(view["tally"]["used"], serde_json::json!([2, 3]));
    assert_eq!(view["tally"]["rejected"], serde_json::json!([1]));
    let shown = server.ok(&["election", "show", "e1"]);
    assert!(shown.contains("tallied"), "{shown}");

    // The bundle verifies offline; one changed byte breaks it.
    let bundle = t("bundle.json");
    server.ok(&["election", "export", "e1", "--out", s(&bundle)]);
    let log_key = &st.log_vkey;
    let report = ok(&["verify", s(&bundle), "--log-key", log_key]);
    assert!(report.contains("4 ballots cast"), "{report}");
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
    let err = fails(&["verify", s(&tampered), "--log-key", log_key]);
    assert!(err.contains("does NOT verify"), "{err}");

    revoting(&st, &vote_in, &trustee);
    contests(&st, &vote_in, &trustee);
}

/// `vote` in an election by a voter for a choice with extra flags: the
/// run and the ballot file.
type VoteIn<'a> =
    dyn Fn(&str, usize, &str, &[&str]) -> (std::process::Output, std::path::PathBuf) + 'a;

/// e2 lets the last ballot count: 64 ballots arrive at once (their proofs
/// checked in batches, one bad one refused alone), voter 1 changes their mind, voter 2's
/// two ballots race, a retried ballot is answered with its first receipt;
/// the close seals all 68 cast ballots, the tally counts three, and
/// every receipt, the bundle and a mirror of the log agree on which.
fn revoting(
    st: &Deployment,
    vote_in: &VoteIn<'_>,
    trustee: &(dyn Fn(usize) -> std::path::PathBuf + '_),
) {
    let server = &st.server;
    let t = |name: &str| st.path(name);
    let com = st.key_file("commission");
    for i in 1..=3 {
        server.ok(&trustee_in("e2", "deal", s(&trustee(i))));
    }
    server.ok(&["election", "phase", "--key", com, "e2", "open"]);
    let shown = server.ok(&["election", "show", "e2"]);
    assert!(shown.contains("re-voting"), "{shown}");

    // Ballots made first, cast through the API; each receipt kept.
    let ballot = |voter: usize, choose: &str| {
        let (o, path) = vote_in("e2", voter, choose, &["--no-submit"]);
        assert_ran(&o);
        read_ballot(&path)
    };
    let cast = |name: &str, ballot: &Ballot| {
        let (status, receipt) =
            server.post_json("/v1/elections/e2/ballots", &body_of(&ballot.encode()));
        assert_eq!(status, 201, "{receipt}");
        std::fs::write(t(name), receipt.to_string()).unwrap();
        receipt["index"].as_u64().unwrap()
    };
    let first = ballot(1, "Alpha");
    let first_at = cast("r1-first.json", &first);

    // Two voters enrol while the election is open: the registry logs two
    // new roots, the first of which no ballot uses.
    let registry = Issuer::new(server, st.key_file("voter-registry"));
    for voter in [7, 8] {
        registry.enrol("roll", &t(&format!("voter{voter}.json")), &["35", "2"]);
    }

    // 64 ballots cast at once (voter 1 re-voting "Alpha", proved here with
    // the client library), one with another ballot's proof: the proofs are
    // checked in batches, the bad one is refused alone, 63 are logged.
    let client = Client::new(st.base());
    let context = BallotContext::fetch(&client, "e2", &t("voter-keys")).unwrap();
    let wallet = Wallet::load(&t("voter1.json")).unwrap();
    let (identity, credential) = (
        wallet.identity().unwrap(),
        wallet.credential("roll").unwrap(),
    );
    let choices = context.choices(&["Alpha".to_owned()]).unwrap();
    let mut queued: Vec<Ballot> = (0..64)
        .map(|_| {
            context
                .ballot(
                    &identity,
                    &credential.attributes,
                    choices.clone(),
                    &mut rand::rngs::OsRng,
                )
                .unwrap()
        })
        .collect();
    queued[17].proof = queued[3].proof.clone();
    let size = server.log_size();
    let stage = |stage: &str| {
        server.metric(&format!(
            "zkaudit_submit_stage_seconds_count{{stage=\"{stage}\"}}"
        ))
    };
    let weighed = stage("proof_weigh");
    let checked = server.metric("zkaudit_proof_batch_size_sum");
    let answers: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = queued
            .iter()
            .map(|b| scope.spawn(move || post_ballot(server, "e2", &b.encode())))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, answer) in answers.iter().enumerate() {
        if i == 17 {
            assert_eq!(answer, &(422, "invalid_proof".to_owned()));
        } else {
            assert_eq!(answer.0, 201, "ballot {i}: {answer:?}");
        }
    }
    assert_eq!(server.log_size(), size + 63);
    // The metrics say where their time went: every proof was weighed and
    // checked in a batch, and every logged one waited in the append queue.
    assert_eq!(stage("proof_weigh") - weighed, 64.0);
    assert_eq!(
        server.metric("zkaudit_proof_batch_size_sum") - checked,
        64.0
    );
    for name in [
        "blocking_start",
        "judge",
        "proof_queue",
        "proof_verdict",
        "append_queue",
    ] {
        assert!(stage(name) >= 64.0, "{name}: {}", stage(name));
    }
    assert!(server.metric("zkaudit_commit_seconds_count") >= 1.0);
    let changed_at = cast("r1-changed.json", &ballot(1, "Beta"));
    // The first ballot again, byte for byte (a retry): its own receipt, nothing logged.
    let size = server.log_size();
    let (status, again) = server.post_json("/v1/elections/e2/ballots", &body_of(&first.encode()));
    assert_eq!(
        (status, again["index"].as_u64()),
        (200, Some(first_at)),
        "{again}"
    );
    assert_eq!(server.log_size(), size);
    // Voter 2's two ballots at once: both logged, the log's order decides.
    let (a, b) = (ballot(2, "Alpha"), ballot(2, "Gamma"));
    let raced: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = [&a, &b]
            .into_iter()
            .map(|bal| {
                scope.spawn(move || {
                    server.post_json("/v1/elections/e2/ballots", &body_of(&bal.encode()))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    })
    .into_iter()
    .zip(["r2-a.json", "r2-b.json"])
    .map(|((status, receipt), name)| {
        assert_eq!(status, 201, "{receipt}");
        std::fs::write(t(name), receipt.to_string()).unwrap();
        receipt["index"].as_u64().unwrap()
    })
    .collect();
    let voter2 = if raced[0] > raced[1] { 0 } else { 2 };
    cast("r3.json", &ballot(3, "Gamma"));

    // Voter 3 challenges a ballot and publishes it opened (spoiled): the
    // log checks the opening, keeps it once, never counts it.
    let size = server.log_size();
    let (o, opened) = vote_in("e2", 3, "Alpha", &["--challenge", "--publish"]);
    assert_ran(&o);
    let shown = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(shown.contains("published as a spoiled ballot"), "{shown}");
    assert_eq!(server.log_size(), size + 1);
    let challenge: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&opened).unwrap()).unwrap();
    let (status, again) = server.post_json("/v1/elections/e2/spoiled", &challenge);
    assert_eq!(
        (status, &again["duplicate"]),
        (200, &serde_json::json!(true)),
        "{again}"
    );
    let mut lie = challenge.clone();
    lie["choices"] = serde_json::json!([0, 1, 0]);
    let (status, refused) = server.post_json("/v1/elections/e2/spoiled", &lie);
    assert_eq!(
        (status, &refused["error"]["code"]),
        (422, &serde_json::json!("invalid_payload")),
        "{refused}"
    );
    let (status, refused) = server.post_json("/v1/elections/e1/spoiled", &challenge);
    assert_eq!(
        (status, &refused["error"]["code"]),
        (422, &serde_json::json!("wrong_election")),
        "{refused}"
    );
    assert_eq!(
        server.log_size(),
        size + 1,
        "a refused spoiled ballot was logged"
    );

    let (_, view) = server.get_json("/v1/elections/e2");
    assert_eq!(
        (view["ballots"].as_u64(), view["cast"].as_u64()),
        (Some(3), Some(68)),
        "{view}"
    );

    server.ok(&["election", "phase", "--key", com, "e2", "closed"]);
    let (_, view) = server.get_json("/v1/elections/e2");
    assert_eq!(view["seal"]["cast"], 68, "{view}");
    assert_eq!(view["seal"]["counted"], 3, "{view}");
    for i in [2, 3] {
        server.ok(&trustee_in("e2", "decrypt", s(&trustee(i))));
    }
    let (_, view) = server.get_json("/v1/elections/e2");
    let mut expected = [0u64, 1, 1];
    expected[voter2] += 1;
    assert_eq!(
        view["tally"]["counts"],
        serde_json::json!(expected),
        "{view}"
    );
    assert_eq!(view["tally"]["ballots"], 3);

    // The service says where a ballot stands, with its membership proof in
    // the seal, checked here against the seal the view shows.
    let seal = SealRecord {
        election: "e2".into(),
        cast: view["seal"]["cast"].as_u64().unwrap(),
        counted: view["seal"]["counted"].as_u64().unwrap(),
        ballots_root: hex32(&view["seal"]["ballots_root"]),
    };
    let (status, standing) = server.get_json(&format!("/v1/elections/e2/ballots/{first_at}"));
    assert_eq!(status, 200, "{standing}");
    assert_eq!(standing["standing"], "superseded", "{standing}");
    assert_eq!(standing["superseded_by"], changed_at, "{standing}");
    let receipt: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t("r1-first.json")).unwrap()).unwrap();
    assert_eq!(standing["record_id"], receipt["record_id"]);
    let record_id = hex32(&standing["record_id"]);
    let position = standing["seal"]["position"].as_u64().unwrap();
    let proof: Vec<[u8; 32]> = standing["seal"]["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(hex32)
        .collect();
    seal.verify_member(first_at, &record_id, position, &proof)
        .unwrap();
    assert!(
        seal.verify_member(changed_at, &record_id, position, &proof)
            .is_err()
    );
    // A second voter's request proves against the same (kept) sealed tree.
    let (_, standing) = server.get_json(&format!("/v1/elections/e2/ballots/{changed_at}"));
    assert_eq!(standing["standing"], "counts", "{standing}");
    let proof: Vec<[u8; 32]> = standing["seal"]["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(hex32)
        .collect();
    seal.verify_member(
        changed_at,
        &hex32(&standing["record_id"]),
        standing["seal"]["position"].as_u64().unwrap(),
        &proof,
    )
    .unwrap();
    let (status, _) = server.get_json("/v1/elections/e2/ballots/0");
    assert_eq!(status, 404);

    // Offline: the bundle, each receipt against it, and a mirror.
    let bundle = t("e2-bundle.json");
    server.ok(&["election", "export", "e2", "--out", s(&bundle)]);
    let log_key = &st.log_vkey;
    let report = ok(&["verify", s(&bundle), "--log-key", log_key]);
    assert!(report.contains("68 ballots cast"), "{report}");
    // It holds every logging of the registry's roots from the first
    // ballot's root on, the one no ballot uses too: the verifier judges
    // each ballot's root against the registry's window from them.
    let held: ElectionBundle =
        serde_json::from_str(&std::fs::read_to_string(&bundle).unwrap()).unwrap();
    let roots: Vec<u64> = held
        .evidence
        .verify(log_key)
        .unwrap()
        .entries
        .iter()
        .filter(|(_, r)| r.kind() == REGISTRY_ROOT)
        .map(|(i, _)| *i)
        .collect();
    assert_eq!(roots.len(), 3, "{roots:?}");
    assert!(roots[0] < first_at && first_at < roots[1], "{roots:?}");
    assert!(
        report.contains("3 count (each voter's last ballot), 65 superseded"),
        "{report}"
    );
    assert!(
        report.contains("seal at the close commits to exactly these 68"),
        "{report}"
    );
    let standing = |receipt: &str| {
        ok(&[
            "verify",
            s(&t(receipt)),
            "--log-key",
            log_key,
            "--election",
            s(&bundle),
        ])
    };
    let out = standing("r1-first.json");
    assert!(
        out.contains("SUPERSEDED") && out.contains(&format!("(entry {changed_at})")),
        "{out}"
    );
    assert!(standing("r1-changed.json").contains("is the one that counts"));
    let (later, earlier) = if raced[0] > raced[1] {
        ("r2-a.json", "r2-b.json")
    } else {
        ("r2-b.json", "r2-a.json")
    };
    assert!(standing(later).contains("is the one that counts"));
    assert!(standing(earlier).contains("SUPERSEDED"));
    let out = fails(&[
        "verify",
        s(&t("r3.json")),
        "--log-key",
        log_key,
        "--election",
        s(&t("bundle.json")),
    ]);
    assert!(out.contains("not a ballot of election \"e1\""), "{out}");

    let mirror = t("mirror");
    server.ok(&["log", "mirror", "--log-key", log_key, "--out", s(&mirror)]);
    let out = ok(&[
        "verify",
        s(&bundle),
        "--log-key",
        log_key,
        "--mirror",
        s(&mirror),
    ]);
    assert!(
        out.contains("all 68 ballots it holds for the election are in the bundle"),
        "{out}"
    );
    // Each ballot's root judged again with every root logging the mirror
    // holds: at least the three the bundle holds, and the registry's
    // earlier ones.
    let judged_with: usize = out
        .split("judged with all ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert!(judged_with >= roots.len(), "{out}");
    // A bundle without voter 1's changed ballot: the seal exposes it.
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&bundle).unwrap()).unwrap();
    json["evidence"]["entries"]
        .as_array_mut()
        .unwrap()
        .retain(|e| e["index"].as_u64() != Some(changed_at));
    let dropped = t("e2-dropped.json");
    std::fs::write(&dropped, json.to_string()).unwrap();
    let err = fails(&[
        "verify",
        s(&dropped),
        "--log-key",
        log_key,
        "--mirror",
        s(&mirror),
    ]);
    assert!(err.contains("a ballot is missing"), "{err}");
}

/// e3 has two contests on one ballot under one proof: a mayor (exactly one
/// of three) and a cumulative budget vote (up to 3 points per option, 4 in
/// all), with the ballot circuit made for its joint key (statement v3). Ballots that break a contest's rule are refused before proving;
/// a ballot of another shape is refused by the service; the tally and the
/// offline report give results per contest.
fn contests(
    st: &Deployment,
    vote_in: &VoteIn<'_>,
    trustee: &(dyn Fn(usize) -> std::path::PathBuf + '_),
) {
    let server = &st.server;
    let com = st.key_file("commission");
    let trustees: Vec<String> = (1..=3)
        .map(|i| s(&st.path(&format!("trustee{i}.pub.json"))).to_owned())
        .collect();
    let mut args = vec![
        "election",
        "create",
        "--key",
        com,
        "--id",
        "e3",
        "--title",
        "City vote",
        "--contest",
        "Mayor: Alpha, Beta, Gamma; min=1",
        "--contest",
        "Budget: parks, roads; max=4; limit=3",
        "--key-per-election",
        "--registry",
        "roll",
        "--predicate",
        "age>=18",
        "--threshold",
        "2",
    ];
    for public in &trustees {
        args.extend(["--trustee", public.as_str()]);
    }
    server.ok(&args);
    // --option and --contest do not mix.
    let mixed = [&args[..], &["--option", "Delta"]].concat();
    server.fails(&mixed);
    server.ok(&["election", "phase", "--key", com, "e3", "key-ceremony"]);
    for i in 1..=3 {
        server.ok(&trustee_in("e3", "deal", s(&trustee(i))));
    }
    server.ok(&["election", "phase", "--key", com, "e3", "open"]);
    // An election scheduled to open in an hour cannot be opened now: its
    // opening would let ballots in before the announced window.
    let scheduled = [&args[..], &["--opens-in-secs", "3600"]].concat();
    let scheduled: Vec<&str> = scheduled
        .into_iter()
        .map(|a| if a == "e3" { "e4" } else { a })
        .collect();
    server.ok(&scheduled);
    server.ok(&["election", "phase", "--key", com, "e4", "key-ceremony"]);
    let early = server.fails(&["election", "phase", "--key", com, "e4", "open"]);
    assert!(
        early.contains("election \"e4\" opens for voting at 20") && early.contains("Z ("),
        "{early}"
    );
    let view = server.ok(&["election", "show", "e4"]);
    assert!(view.contains("phase        key-ceremony"), "{view}");
    assert!(view.contains("voting       "), "{view}");
    let shown = server.ok(&["election", "show", "e3"]);
    // Statement v3: the circuit (and its key, made at the opening) is
    // this election's, named by its joint key.
    assert!(shown.contains("ballot-d4-a2-c3-c2-k"), "{shown}");
    assert!(shown.contains("ballot key   DEVELOPMENT setup"), "{shown}");
    let (_, opened) = server.get_json("/v1/elections/e3");
    let joint_key =
        decode_point(&hex::decode(opened["joint_key"].as_str().unwrap()).unwrap()).unwrap();
    let shape = format!("ballot-d4-a2-c3-c2-k{}", key_tag(&joint_key));
    assert_eq!(opened["ballot_shape"], shape.as_str(), "{opened}");
    assert_eq!(opened["statement"], "keyed-contests", "{opened}");
    // A v3 election cannot name its ballot key in advance.
    let digest = "ab".repeat(32);
    let named: Vec<&str> = [&args[..], &["--circuit-key", &digest]]
        .concat()
        .into_iter()
        .map(|a| if a == "e3" { "e5" } else { a })
        .collect();
    let refused = server.fails(&named);
    assert!(refused.contains("--circuit-key"), "{refused}");
    assert!(
        shown.contains("Budget") && shown.contains("0 to 4 points, at most 3 per option"),
        "{shown}"
    );

    // Broken rules are refused before any proving, in words.
    for (choose, says) in [
        (&["Alpha", "Beta"][..], "contest \"Mayor\": 2 marked"),
        (&["parks=2"], "contest \"Mayor\": 0 marked"),
        (&["Alpha", "parks=4"], "4 points for \"parks\""),
        (
            &["Alpha", "parks=3", "roads=2"],
            "contest \"Budget\": 5 marked",
        ),
    ] {
        let mut extra = Vec::new();
        for c in &choose[1..] {
            extra.extend(["--choose", c]);
        }
        let (o, _) = vote_in("e3", 1, choose[0], &extra);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(
            !o.status.success() && err.contains(says),
            "{choose:?}: {err}"
        );
    }
    let size = server.log_size();
    // 1 → Beta, 3 parks, 1 road; 2 → Alpha, 2 roads; 3 → Beta, 3 roads.
    let votes: [(usize, &[&str]); 3] = [
        (1, &["Mayor:Beta", "parks=3", "Budget:roads=1"]),
        (2, &["0", "Budget:1=2"]),
        (3, &["Beta", "roads=3"]),
    ];
    let mut receipts = Vec::new();
    for (voter, choose) in votes {
        let mut extra = Vec::new();
        for c in &choose[1..] {
            extra.extend(["--choose", c]);
        }
        let (o, receipt) = vote_in("e3", voter, choose[0], &extra);
        assert_ran(&o);
        receipts.push(receipt);
    }
    assert_eq!(server.log_size(), size + 3);
    // A ballot of another shape (one ciphertext short) is refused.
    let client = Client::new(st.base());
    let context = BallotContext::fetch(&client, "e3", &st.path("voter-keys")).unwrap();
    let wallet = Wallet::load(&st.path("voter4.json")).unwrap();
    let choices = context.choices(&["Gamma".to_owned()]).unwrap();
    assert_eq!(choices, [0, 0, 1, 0, 0]);
    let mut short = context
        .ballot(
            &wallet.identity().unwrap(),
            &wallet.credential("roll").unwrap().attributes,
            choices,
            &mut rand::rngs::OsRng,
        )
        .unwrap();
    short.ciphertexts.pop();
    let (status, _) = post_ballot(server, "e3", &short.encode());
    assert!((400..500).contains(&status), "{status}");
    assert_eq!(server.log_size(), size + 3, "a refused ballot was logged");

    server.ok(&["election", "phase", "--key", com, "e3", "closed"]);
    for i in [1, 3] {
        server.ok(&trustee_in("e3", "decrypt", s(&trustee(i))));
    }
    let (_, view) = server.get_json("/v1/elections/e3");
    assert_eq!(view["statement"], "keyed-contests", "{view}");
    assert_eq!(view["tally"]["counts"], serde_json::json!([1, 2, 0, 3, 6]));
    assert_eq!(view["contests"][0]["title"], "Mayor");
    assert_eq!(view["contests"][0]["counts"], serde_json::json!([1, 2, 0]));
    assert_eq!(view["contests"][1]["counts"], serde_json::json!([3, 6]));
    assert_eq!(view["contests"][1]["limit"], 3);

    let bundle = st.path("e3-bundle.json");
    server.ok(&["election", "export", "e3", "--out", s(&bundle)]);
    let report = ok(&["verify", s(&bundle), "--log-key", &st.log_vkey]);
    assert!(report.contains("3 ballots cast"), "{report}");
    let budget = report.find("Budget (0 to 4 points").expect(&report);
    for (line, after_budget) in [
        ("Beta 2", false),
        ("Gamma 0", false),
        ("parks 3", true),
        ("roads 6", true),
    ] {
        let at = report
            .lines()
            .position(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") == line)
            .unwrap_or_else(|| panic!("{line}: {report}"));
        let offset: usize = report.lines().take(at).map(|l| l.len() + 1).sum();
        assert_eq!(offset > budget, after_budget, "{line}: {report}");
    }
    let out = ok(&[
        "verify",
        s(&receipts[0]),
        "--log-key",
        &st.log_vkey,
        "--election",
        s(&bundle),
    ]);
    assert!(out.contains("is the one that counts"), "{out}");
}
