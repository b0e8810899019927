//! What the log owes an election survives a crash.
//!
//! Three of an election's records are the log's own follow-ups: the joint
//! key after the phase change to `open` (and, for this election of
//! statement v3, the ballot circuit's key made for it), the seal after the
//! change to `closed`, the tally after the `k`-th partial decryption. The service
//! writes each right after the record it follows; a process killed between
//! the two leaves the log owing it. Each case here leaves the log in exactly
//! that state — the service is killed, and the phase change or decryption is
//! written into its store the way its own append would have written it,
//! without the follow-up — and then restarts the service on the same data:
//! the follow-up must be logged at start-up, once, with nobody asking, and
//! the election must go on from there to its tally.

mod common;

use common::deploy::Deployment;
use common::identity::Issuer;
use common::*;
use zkaudit_ledger::election::{self, DECRYPT, KEY, PHASE, Phase, PhaseChange, SEAL, TALLY};
use zkaudit_ledger::identity::CIRCUIT_KEY;
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;
use zkaudit_ledger::sequencer::{Outcome, Pending, Sequencer};
use zkaudit_service::client::Client;
use zkaudit_service::client::election::{TrusteeKey, election_spec, partial_decryptions};
use zkaudit_service::server::{StoreLocation, open_store};

const ELECTION: &str = "owed";

/// Kills the service (SIGKILL), logs `record` straight into its store as
/// the service's append would have (same topics, same unique key), and
/// restarts the service on the same data: the process died after logging
/// `record` and before logging what follows from it. Returns `record`'s
/// index.
fn crash_after(st: &mut Deployment, record: &Record, unique: (&str, Vec<u8>)) -> u64 {
    let _ = st.server.child.kill();
    st.server.child.wait().unwrap();
    let index = {
        let log_key = std::fs::read_to_string(st.data.join("log.key")).unwrap();
        let log_key = NoteSigningKey::from_skey_str(log_key.trim()).unwrap();
        let store = open_store(&StoreLocation::Sqlite(st.data.clone())).unwrap();
        let sequencer = Sequencer::open(store, log_key).unwrap();
        let pending = Pending::new(record)
            .topic(b"election".to_vec())
            .topic(format!("election/{ELECTION}").into_bytes())
            .unique(unique.0, unique.1);
        let integrated = sequencer.integrate(vec![pending]).unwrap();
        match integrated.outcomes[..] {
            [Outcome::Appended(index)] => index,
            ref other => panic!("the record was not appended: {other:?}"),
        }
    };
    st.server = ServerProcess::start(&st.data, &[]);
    index
}

/// The phase change to `phase`, signed by the commission.
fn phase_change(st: &Deployment, phase: Phase) -> (Record, (&'static str, Vec<u8>)) {
    let change = PhaseChange {
        election: ELECTION.into(),
        phase,
    };
    let record = Record::signed(
        &st.origin,
        election::DOMAIN,
        PHASE,
        now_ms(),
        change.encode(),
        &*st.key("commission"),
    )
    .unwrap();
    let unique = format!("{ELECTION}\0{}", phase.name()).into_bytes();
    (record, ("election/phase", unique))
}

/// Waits (up to a minute) for the service to log the first record of
/// `kind` after `index`; returns its index. The follow-up is written in the
/// background at start-up, so it may come after the service answers.
fn follow_up_after(st: &Deployment, index: u64, kind: &str) -> u64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let size = st.server.log_size();
        for at in index + 1..size {
            let (status, entry) = st.server.get_json(&format!("/v1/log/entries/{at}"));
            assert_eq!(status, 200, "{entry}");
            if entry["kind"] == kind {
                return at;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {kind} was logged after entry {index} at start-up"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The kinds of the log's entries from `from` on.
fn kinds_from(st: &Deployment, from: u64) -> Vec<String> {
    (from..st.server.log_size())
        .map(|at| {
            let (_, entry) = st.server.get_json(&format!("/v1/log/entries/{at}"));
            entry["kind"].as_str().unwrap_or_default().to_owned()
        })
        .collect()
}

#[test]
fn owed_records_are_logged_at_start_up_after_a_crash() {
    let mut st = Deployment::start(
        71,
        "test.zkaudit/owed",
        &[
            ("voter-registry", &["identity/*"]),
            ("commission", &["election/*"]),
        ],
    );
    let (reg, com) = (
        st.key_file("voter-registry").to_owned(),
        st.key_file("commission").to_owned(),
    );
    Issuer::new(&st.server, &reg).create_registry("roll", "age", &["--depth", "4"]);
    let wallet = st.path("voter.json");
    Issuer::new(&st.server, &reg).enrol("roll", &wallet, &["30"]);

    let dir = st.tmp.path().to_owned();
    let trustee_file = |i: usize| dir.join(format!("trustee{i}.key"));
    let mut create = vec![
        "election".to_owned(),
        "create".into(),
        "--key".into(),
        com.clone(),
        "--id".into(),
        ELECTION.into(),
        "--title".into(),
        "Owed records".into(),
        "--contest".into(),
        "Question: Yes, No; min=1".into(),
        "--key-per-election".into(),
        "--registry".into(),
        "roll".into(),
        "--predicate".into(),
        "age>=18".into(),
        "--threshold".into(),
        "2".into(),
    ];
    for i in 1..=3 {
        let public = dir.join(format!("trustee{i}.pub.json"));
        ok(&[
            "trustee",
            "keygen",
            "--name",
            &format!("trustee-{i}"),
            "--out",
            s(&trustee_file(i)),
            "--public-out",
            s(&public),
        ]);
        create.extend(["--trustee".to_owned(), s(&public).to_owned()]);
    }
    let create: Vec<&str> = create.iter().map(String::as_str).collect();
    st.server.ok(&create);
    st.server
        .ok(&["election", "phase", "--key", &com, ELECTION, "key-ceremony"]);
    let trustee = |st: &Deployment, i: usize, command: &str| {
        st.server.ok(&[
            "trustee",
            command,
            "--key",
            s(&trustee_file(i)),
            "--election",
            ELECTION,
        ])
    };
    for i in 1..=3 {
        trustee(&st, i, "deal");
    }

    // Killed after the phase change to `open`, before the joint key.
    let (open, unique) = phase_change(&st, Phase::Open);
    let opened_at = crash_after(&mut st, &open, unique);
    let key_at = follow_up_after(&st, opened_at, KEY);
    // The ballot circuit is made for that key (statement v3): its key
    // right after it.
    let ballot_key_at = follow_up_after(&st, key_at, CIRCUIT_KEY);
    let (_, view) = st.server.get_json(&format!("/v1/elections/{ELECTION}"));
    assert_eq!(view["phase"], "open", "{view}");
    assert!(view["joint_key"].is_string(), "{view}");

    // The election goes on under that key: one ballot.
    let keys = st.path("voter-keys");
    let ballot = st.path("ballot.json");
    st.server.ok(&[
        "vote",
        "--wallet",
        s(&wallet),
        "--election",
        ELECTION,
        "--choose",
        "Yes",
        "--keys",
        s(&keys),
        "--out",
        s(&ballot),
    ]);

    // Killed after the phase change to `closed`, before the seal.
    let (close, unique) = phase_change(&st, Phase::Closed);
    let closed_at = crash_after(&mut st, &close, unique);
    follow_up_after(&st, closed_at, SEAL);
    let (_, view) = st.server.get_json(&format!("/v1/elections/{ELECTION}"));
    assert_eq!(view["seal"]["counted"], 1, "{view}");

    // Killed after the second partial decryption, before the tally.
    trustee(&st, 1, "decrypt");
    let client = Client::new(&st.server.base);
    let spec = election_spec(&client, ELECTION).unwrap();
    let second = TrusteeKey::load(&trustee_file(2)).unwrap();
    let partials = partial_decryptions(&client, &second, &spec, &mut rand::rngs::OsRng).unwrap();
    let decrypt = Record::signed(
        &st.origin,
        election::DOMAIN,
        DECRYPT,
        now_ms(),
        partials.encode(),
        second.signing_key(),
    )
    .unwrap();
    let unique = [
        ELECTION.as_bytes(),
        &[0],
        second.signing_key().public_key().as_bytes(),
    ]
    .concat();
    let decrypted_at = crash_after(&mut st, &decrypt, ("election/decrypt", unique));
    follow_up_after(&st, decrypted_at, TALLY);
    let (_, view) = st.server.get_json(&format!("/v1/elections/{ELECTION}"));
    assert_eq!(view["tally"]["counts"], serde_json::json!([1, 0]), "{view}");

    // Each follow-up once, right where it was owed; another restart owes
    // nothing and logs nothing.
    let kinds = kinds_from(&st, opened_at);
    for kind in [KEY, CIRCUIT_KEY, SEAL, TALLY] {
        assert_eq!(
            kinds.iter().filter(|k| *k == kind).count(),
            1,
            "{kind} in {kinds:?}"
        );
    }
    assert_eq!(key_at, opened_at + 1, "{kinds:?}");
    assert_eq!(ballot_key_at, key_at + 1, "{kinds:?}");
    let size = st.server.log_size();
    let _ = st.server.child.kill();
    st.server.child.wait().unwrap();
    st.server = ServerProcess::start(&st.data, &[]);
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(
        st.server.log_size(),
        size,
        "a restart that owed nothing logged something"
    );

    // The whole election verifies offline.
    let bundle = st.path("bundle.json");
    st.server
        .ok(&["election", "export", ELECTION, "--out", s(&bundle)]);
    let report = ok(&["verify", s(&bundle), "--log-key", &st.log_vkey]);
    assert!(report.contains("1 ballots cast"), "{report}");
}
