//! Opening an election on a bench's service through its API, as a
//! commission, a registrar and three trustees would: a registry of voters,
//! a 2-of-3 yes/no election over it, the trustees' dealings, the opening,
//! and the voters' ballot context once the service has logged the
//! registry's root.

use std::path::Path;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use zkaudit_circuits::identity::Identity;
use zkaudit_circuits::predicate::AttributePredicate;
use zkaudit_ledger::codec::fr_to_bytes;
use zkaudit_ledger::election::{self, BallotStatement, Contest, ElectionSpec, Phase, PhaseChange};
use zkaudit_ledger::identity::{
    self, CREDENTIAL_ISSUE, CredentialIssue, REGISTRY_CREATE, RegistrySpec,
};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;
use zkaudit_service::client::Client;
use zkaudit_service::client::election::{
    BallotContext, TrusteeKey, election_spec, make_dealing, post_dealing, post_election_record,
};
use zkaudit_service::clock::now_ms;

/// Every voter's one attribute (a birth year the election's predicate
/// admits).
pub const BIRTH_YEAR: u64 = 1980;

/// A registry of voters with one attribute, the birth year, at `depth`.
pub fn registry(id: &str, depth: u8) -> RegistrySpec {
    RegistrySpec {
        id: id.into(),
        title: "Voters".into(),
        attributes: vec!["birth_year".into()],
        depth,
        window_changes: 8,
        window_secs: 3600,
    }
}

/// Creates `registry` and issues a credential to each of `voters`, signed
/// by `registrar` for the log `origin`.
pub fn register_voters(
    client: &Client,
    origin: &str,
    registrar: &NoteSigningKey,
    registry: &RegistrySpec,
    voters: &[Identity],
) {
    let post = |kind: &str, payload: Vec<u8>| {
        let record =
            Record::signed(origin, identity::DOMAIN, kind, now_ms(), payload, registrar).unwrap();
        client.append(&record).unwrap();
    };
    post(REGISTRY_CREATE, registry.encode());
    for voter in voters {
        let issue = CredentialIssue {
            registry: registry.id.clone(),
            commitment: fr_to_bytes(&voter.commitment()),
            attributes: vec![BIRTH_YEAR],
        };
        post(CREDENTIAL_ISSUE, issue.encode());
    }
}

/// Three trustees' keys.
pub fn trustees(rng: &mut ChaCha20Rng) -> Vec<TrusteeKey> {
    (1..=3)
        .map(|i| TrusteeKey::generate(&format!("trustee-{i}"), rng).unwrap())
        .collect()
}

/// A yes/no election `id` over `registry`, open from now for a day,
/// decrypted by 2 of `trustees`, one ballot per voter.
pub fn yes_no_election(id: &str, registry: &RegistrySpec, trustees: &[TrusteeKey]) -> ElectionSpec {
    let now = now_ms();
    ElectionSpec {
        id: id.into(),
        title: "Bench".into(),
        statement: BallotStatement::Choices,
        contests: vec![Contest::choices(vec!["yes".into(), "no".into()], 1, 1)],
        registry: registry.id.clone(),
        predicates: vec![AttributePredicate::at_most(2008)],
        trustees: trustees
            .iter()
            .map(|t| t.public().to_spec().unwrap())
            .collect(),
        threshold: 2,
        opens_at_ms: now,
        closes_at_ms: now + 24 * 3600 * 1000,
        circuit_key: None,
        revoting: false,
    }
}

/// Logs `spec` as `commission`, runs the key ceremony with `trustees`'
/// dealings and opens the election. Returns how long its creation took
/// (the service makes the ballot circuit's keys then, unless it has them).
pub fn open_election(
    client: &Client,
    commission: &NoteSigningKey,
    spec: &ElectionSpec,
    trustees: &[TrusteeKey],
    rng: &mut ChaCha20Rng,
) -> Duration {
    let post = |kind: &str, payload: Vec<u8>| {
        post_election_record(client, commission, kind, payload).unwrap();
    };
    let phase = |phase| {
        let change = PhaseChange {
            election: spec.id.clone(),
            phase,
        };
        post(election::PHASE, change.encode());
    };
    let started = Instant::now();
    post(election::CREATE, spec.encode());
    let created = started.elapsed();
    phase(Phase::KeyCeremony);
    let logged = election_spec(client, &spec.id).unwrap();
    for trustee in trustees {
        let dealing = make_dealing(&logged, trustee, rng).unwrap();
        post_dealing(client, trustee, &spec.id, dealing).unwrap();
    }
    phase(Phase::Open);
    created
}

/// The voters' context of the open election `id` (its keys cached in
/// `cache`), once the service has logged the registry's root, which it
/// does in the background.
pub fn ballot_context(client: &Client, id: &str, cache: &Path) -> BallotContext {
    (0..100)
        .find_map(|_| {
            BallotContext::fetch(client, id, cache)
                .map_err(|_| std::thread::sleep(Duration::from_millis(200)))
                .ok()
        })
        .expect("the election opened with its registry root logged")
}
