//! Casting at the limit of the machine (issue 15): ballots per second
//! through the production HTTP stack (`server::listen`, the same serve loop
//! as `zkaudit serve`) from 1, 16 and 64 concurrent submitters, each
//! ballot's Groth16 proof checked (in batches), its nullifier held unique and
//! its entry durably appended before the answer; beside it, in the same
//! run, the same service driven in process (`AppState::submit`, no HTTP).
//!
//! Ballots are made in advance. Proving thousands of ballots would take an
//! hour, so the bench makes its own development keys with a known setup
//! (seeded randomness, re-derived and checked against the verifying key)
//! and uses the setup's trapdoor to make a valid proof for any statement in
//! about a millisecond. The service cannot tell: the proofs verify under
//! the logged key like any other, so every check it makes is the one it
//! makes for an honestly proved ballot. One ballot is honestly proved first
//! (for the registry root), and a forged one must be refused.
//!
//! `cargo bench -p zkaudit-benches --bench casting`

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ark_ff::UniformRand;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use support::election as election_setup;
use support::trapdoor::Trapdoor;
use zkaudit_benches::named_key as key;
use zkaudit_circuits::Fr;
use zkaudit_circuits::ballot::{BallotCircuit, public_inputs};
use zkaudit_circuits::elgamal::{encrypt, random_scalar};
use zkaudit_circuits::identity::Identity;
use zkaudit_ledger::codec::fr_to_bytes;
use zkaudit_ledger::election::{self, BALLOT, Ballot, ballot_statement};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;
use zkaudit_prover::KeyCache;
use zkaudit_service::client::Client;
use zkaudit_service::client::election::{BallotContext, ballot_body, cast};
use zkaudit_service::clock::now_ms;
use zkaudit_service::server::state::AppState;
use zkaudit_verifier::groth16::encode_proof;

/// The log's origin.
const LOG: &str = "bench.zkaudit/casting";
/// Registry depth (the proof's cost does not depend on it: the circuit's
/// size does, and verification does not).
const DEPTH: u8 = 8;
/// (submitters, ballots) of each run, through HTTP and in process.
const RUNS: [(usize, usize); 3] = [(1, 300), (16, 2_000), (64, 4_000)];
/// Seed of the bench's development setup.
const SETUP_SEED: u64 = 0x00ca_5715;

/// The service on SQLite in a temporary directory, served by the production
/// HTTP stack on a loopback port.
struct Service {
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
    runtime: tokio::runtime::Runtime,
    state: AppState,
    base: String,
    commission: NoteSigningKey,
    registrar: NoteSigningKey,
}

fn service() -> Service {
    let log = key(LOG, 1);
    let (commission, registrar) = (key("commission", 2), key("registrar", 3));
    let authorities: [support::AuthorityConfig<'_>; 2] = [
        ("commission", &commission, &["election/*"]),
        (
            "registrar",
            &registrar,
            &["identity/registry.create", "identity/credential.issue"],
        ),
    ];
    let (running, base) = support::serve_production(&log, &authorities, "");
    Service {
        data: running.dir.path().to_owned(),
        _dir: running.dir,
        runtime: running.runtime,
        state: running.state,
        base,
        commission,
        registrar,
    }
}

/// Opens a 2-option election over a registry of one voter, with the
/// bench's keys; returns the voter's honestly proved ballot and the
/// election's spec, shape and joint key.
fn open_election(svc: &Service) -> (Ballot, BallotContext, Trapdoor) {
    let client = Client::new(&svc.base);
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let registry = election_setup::registry("voters", DEPTH);
    let voter = Identity::random(&mut rng);
    election_setup::register_voters(
        &client,
        LOG,
        &svc.registrar,
        &registry,
        std::slice::from_ref(&voter),
    );
    let trustees = election_setup::trustees(&mut rng);
    let spec = election_setup::yes_no_election("casting", &registry, &trustees);
    // The bench's keys are in the service's key directory before the
    // election asks for them.
    let shape = spec.ballot_shape(DEPTH as usize, None).unwrap();
    let keys = KeyCache::new(svc.data.join("keys"))
        .load_or_create_with_rng(
            &shape.id(),
            || BallotCircuit::blank(shape),
            &mut ChaCha20Rng::seed_from_u64(SETUP_SEED),
        )
        .unwrap();
    let trapdoor = Trapdoor::rederive(SETUP_SEED, keys.vk);
    election_setup::open_election(&client, &svc.commission, &spec, &trustees, &mut rng);
    let context = election_setup::ballot_context(&client, &spec.id, &svc.data.join("voter-keys"));
    let honest = context
        .ballot(&voter, &[election_setup::BIRTH_YEAR], vec![1, 0], &mut rng)
        .unwrap();
    (honest, context, trapdoor)
}

/// `n` distinct ballots like `honest` (its election, root and key), each
/// with a fresh nullifier, a fresh encryption of a valid choice and a valid
/// proof of that statement.
fn premade(n: usize, honest: &Ballot, context: &BallotContext, trapdoor: &Trapdoor) -> Vec<Ballot> {
    let mut rng = ChaCha20Rng::seed_from_u64(n as u64);
    (0..n)
        .map(|i| {
            let choice = (i % 2) as u64;
            let mut ballot = honest.clone();
            ballot.nullifier = fr_to_bytes(&Fr::rand(&mut rng));
            ballot.ciphertexts = [choice, 1 - choice]
                .iter()
                .map(|&m| encrypt(&context.joint_key, m, &random_scalar(&mut rng)))
                .collect();
            let statement =
                ballot_statement(&context.spec, context.shape, &ballot, context.joint_key).unwrap();
            let proof = trapdoor.prove(&public_inputs(&statement), &mut rng);
            ballot.proof = encode_proof(&proof).to_vec();
            ballot
        })
        .collect()
}

/// The request bodies of `ballots` (`{"ballot": base64}`), encoded before
/// the clock starts: the load generator shares the machine with the
/// service, and its own encoding is not what is measured.
fn bodies(ballots: &[Ballot]) -> Vec<Vec<u8>> {
    ballots
        .iter()
        .map(|ballot| serde_json::to_vec(&ballot_body(ballot)).unwrap())
        .collect()
}

/// POSTs `bodies` to `url` from `submitters` threads, each over its own
/// kept-alive connection; every answer must be 201 (a fresh entry, its
/// receipt read whole). Returns the wall time.
fn cast_over_http(url: &str, bodies: &[Vec<u8>], submitters: usize) -> Duration {
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..submitters {
            scope.spawn(|| {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = bodies.get(i) else { break };
                    let mut answer = agent
                        .post(url)
                        .header("content-type", "application/json")
                        .send(&body[..])
                        .unwrap();
                    let receipt = answer.body_mut().read_to_vec().unwrap();
                    assert_eq!(
                        answer.status().as_u16(),
                        201,
                        "ballot {i}: {}",
                        String::from_utf8_lossy(&receipt)
                    );
                }
            });
        }
    });
    started.elapsed()
}

/// Casts `ballots` in process through `AppState::submit` (no HTTP) from
/// `submitters` tasks.
fn cast_in_process(svc: &Service, ballots: &[Ballot], submitters: usize) -> Duration {
    let records = ballots.iter().map(|ballot| {
        Record::unsigned(LOG, election::DOMAIN, BALLOT, now_ms(), ballot.encode()).unwrap()
    });
    support::submit_in_lanes(&svc.runtime, &svc.state, records, submitters)
}

fn main() {
    let svc = service();
    let started = Instant::now();
    let (honest, context, trapdoor) = open_election(&svc);
    println!(
        "election open, one ballot honestly proved, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let client = Client::new(&svc.base);
    cast(&client, &honest).unwrap();

    // A proof for other ciphertexts is refused: the checks are real.
    let total: usize = RUNS.iter().map(|(_, n)| 2 * n).sum();
    let started = Instant::now();
    let mut ballots = premade(total + 1, &honest, &context, &trapdoor);
    println!(
        "{} ballots made with the setup's trapdoor in {:.1} s",
        ballots.len(),
        started.elapsed().as_secs_f64()
    );
    let mut forged = ballots.pop().unwrap();
    forged.ciphertexts.swap(0, 1);
    assert!(
        cast(&client, &forged).is_err(),
        "a forged ballot was accepted"
    );

    let before = svc.state.sequencer().latest_checkpoint().size;
    let mut rest = &ballots[..];
    println!("| submitters | through HTTP | in process | HTTP / in process |");
    println!("|---:|---:|---:|---:|");
    for (submitters, n) in RUNS {
        let (http, after) = rest.split_at(n);
        let (direct, after) = after.split_at(n);
        rest = after;
        let url = format!("{}/v1/elections/{}/ballots", svc.base, honest.election);
        let over_http = n as f64 / cast_over_http(&url, &bodies(http), submitters).as_secs_f64();
        let in_process = n as f64 / cast_in_process(&svc, direct, submitters).as_secs_f64();
        println!(
            "| {submitters} | {over_http:.0} /s | {in_process:.0} /s | {:.2} |",
            over_http / in_process
        );
    }
    let logged = svc.state.sequencer().latest_checkpoint().size - before;
    assert_eq!(logged as usize, total, "every cast ballot logged once");
    // Sent again: answered as the duplicate it is, nothing logged.
    assert!(cast(&client, &ballots[0]).unwrap().duplicate);
}
