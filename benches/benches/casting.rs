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
//! Then a sustained run: [`SUSTAINED`] ballots from 64 submitters through
//! HTTP, about half a minute at the goal's 2,500 /s, with the rate of every
//! second and the answers' latencies, so that a rate that holds only for a
//! short burst (before the write-ahead log's checkpoints, before the
//! database outgrows the page cache) is not taken for a sustained one. The
//! service's own stage metrics then say where a ballot's time went during
//! that run: the blocking pool, judging, the proof's weighting, queue and
//! batch check, the append queue and the commit.
//!
//! `cargo bench -p zkaudit-benches --bench casting`

mod support;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ark_ff::UniformRand;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use support::election as election_setup;
use support::timed::Timed;
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
use zkaudit_service::server::metrics::{Metrics, Stage};
use zkaudit_service::server::state::AppState;
use zkaudit_verifier::groth16::encode_proof;

/// The log's origin.
const LOG: &str = "bench.zkaudit/casting";
/// Registry depth (the proof's cost does not depend on it: the circuit's
/// size does, and verification does not).
const DEPTH: u8 = 8;
/// (submitters, ballots) of each run, through HTTP and in process.
const RUNS: [(usize, usize); 3] = [(1, 300), (16, 2_000), (64, 4_000)];
/// Ballots of the sustained run (64 submitters, through HTTP).
const SUSTAINED: usize = 75_000;
/// Submitters of the sustained run.
const SUSTAINED_SUBMITTERS: usize = 64;
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
/// proof of that statement. Made on every core, in chunks with seeds of
/// their own.
fn premade(n: usize, honest: &Ballot, context: &BallotContext, trapdoor: &Trapdoor) -> Vec<Ballot> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let chunk = n.div_ceil(threads).max(1);
    let starts: Vec<usize> = (0..n).step_by(chunk).collect();
    std::thread::scope(|scope| {
        let made: Vec<_> = starts
            .iter()
            .map(|&start| {
                let end = (start + chunk).min(n);
                scope.spawn(move || {
                    let mut rng = ChaCha20Rng::seed_from_u64((n + start) as u64);
                    (start..end)
                        .map(|i| premade_one(i, honest, context, trapdoor, &mut rng))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        made.into_iter()
            .flat_map(|thread| thread.join().unwrap())
            .collect()
    })
}

/// Ballot `i` of [`premade`].
fn premade_one(
    i: usize,
    honest: &Ballot,
    context: &BallotContext,
    trapdoor: &Trapdoor,
    rng: &mut ChaCha20Rng,
) -> Ballot {
    let choice = (i % 2) as u64;
    let mut ballot = honest.clone();
    ballot.nullifier = fr_to_bytes(&Fr::rand(rng));
    ballot.ciphertexts = [choice, 1 - choice]
        .iter()
        .map(|&m| encrypt(&context.joint_key, m, &random_scalar(rng)))
        .collect();
    let statement =
        ballot_statement(&context.spec, context.shape, &ballot, context.joint_key).unwrap();
    let proof = trapdoor.prove(&public_inputs(&statement), rng);
    ballot.proof = encode_proof(&proof).to_vec();
    ballot
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

/// What [`cast_over_http`] saw.
struct HttpRun {
    /// The wall time and every answer's latency.
    timed: Timed,
    /// Ballots answered by the end of each whole second of the run.
    answered_by_second: Vec<usize>,
}

impl HttpRun {
    /// Ballots answered in each whole second.
    fn per_second(&self) -> Vec<usize> {
        let mut before = 0;
        self.answered_by_second
            .iter()
            .map(|&by| {
                let within = by - before;
                before = by;
                within
            })
            .collect()
    }
}

/// POSTs `bodies` to `url` from `submitters` threads, each over its own
/// kept-alive connection; every answer must be 201 (a fresh entry, its
/// receipt read whole). Counts the answers at each whole second and times
/// each one.
fn cast_over_http(url: &str, bodies: &[Vec<u8>], submitters: usize) -> HttpRun {
    let next = AtomicUsize::new(0);
    let answered = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    let latencies = Mutex::new(Vec::with_capacity(bodies.len()));
    let mut answered_by_second = Vec::new();
    let started = Instant::now();
    let wall = std::thread::scope(|scope| {
        let submitting: Vec<_> = (0..submitters)
            .map(|_| {
                scope.spawn(|| {
                    let agent: ureq::Agent = ureq::Agent::config_builder()
                        .http_status_as_error(false)
                        .build()
                        .into();
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(body) = bodies.get(i) else { break };
                        let sent = Instant::now();
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
                        mine.push(sent.elapsed());
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                    latencies.lock().unwrap().extend(mine);
                })
            })
            .collect();
        // The clock's own thread: one count at each whole second, until
        // woken at the end of the run.
        let clock = scope.spawn(|| {
            for second in 1.. {
                let due = started + Duration::from_secs(second);
                while !done.load(Ordering::Acquire) && Instant::now() < due {
                    std::thread::park_timeout(due.saturating_duration_since(Instant::now()));
                }
                if done.load(Ordering::Acquire) {
                    break;
                }
                answered_by_second.push(answered.load(Ordering::Relaxed));
            }
        });
        for submitter in submitting {
            submitter.join().unwrap();
        }
        let wall = started.elapsed();
        done.store(true, Ordering::Release);
        clock.thread().unpark();
        wall
    });
    HttpRun {
        timed: Timed::new(wall, latencies.into_inner().unwrap()),
        answered_by_second,
    }
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
    let total: usize = RUNS.iter().map(|(_, n)| 2 * n).sum::<usize>() + SUSTAINED;
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
        let over_http = cast_over_http(&url, &bodies(http), submitters).timed.rate();
        let in_process = n as f64 / cast_in_process(&svc, direct, submitters).as_secs_f64();
        println!(
            "| {submitters} | {over_http:.0} /s | {in_process:.0} /s | {:.2} |",
            over_http / in_process
        );
    }
    sustained(&svc, &honest.election, rest);

    let logged = svc.state.sequencer().latest_checkpoint().size - before;
    assert_eq!(logged as usize, total, "every cast ballot logged once");
    // Sent again: answered as the duplicate it is, nothing logged.
    assert!(cast(&client, &ballots[0]).unwrap().duplicate);
}

/// The sustained run: `ballots` from [`SUSTAINED_SUBMITTERS`] through HTTP,
/// reported with the rate of each second and the answers' latencies.
fn sustained(svc: &Service, election: &str, ballots: &[Ballot]) {
    let url = format!("{}/v1/elections/{election}/ballots", svc.base);
    let before = Observed::read(svc.state.metrics());
    let run = cast_over_http(&url, &bodies(ballots), SUSTAINED_SUBMITTERS);
    let during = Observed::read(svc.state.metrics()).since(&before);
    let per_second = run.per_second();
    let mut sorted = per_second.clone();
    sorted.sort_unstable();
    println!(
        "\nsustained: {} ballots from {SUSTAINED_SUBMITTERS} submitters through HTTP in {:.1} s: \
         {:.0} /s; whole seconds: lowest {} /s, median {} /s, highest {} /s; \
         latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        run.timed.count(),
        run.timed.elapsed.as_secs_f64(),
        run.timed.rate(),
        sorted.first().unwrap_or(&0),
        sorted.get(sorted.len() / 2).unwrap_or(&0),
        sorted.last().unwrap_or(&0),
        run.timed.percentile(0.5).as_secs_f64() * 1e3,
        run.timed.percentile(0.99).as_secs_f64() * 1e3,
        run.timed.percentile(1.0).as_secs_f64() * 1e3,
    );
    println!("each second: {per_second:?}");
    println!("\nwhere the time went (the service's metrics over the sustained run):\n");
    println!("| | observed | mean |");
    println!("|---|---:|---:|");
    for (name, sum, count) in during.0 {
        let mean = sum / count.max(1) as f64;
        let mean = if name.ends_with("size") {
            format!("{mean:.1}")
        } else {
            format!("{:.2} ms", mean * 1e3)
        };
        println!("| {name} | {count} | {mean} |");
    }
}

/// The sums and counts of the service's stage histograms at one moment, by
/// name.
struct Observed(Vec<(&'static str, f64, u64)>);

impl Observed {
    fn read(metrics: &Metrics) -> Self {
        let mut read = Vec::new();
        let mut add = |name, histogram: &prometheus::Histogram| {
            read.push((
                name,
                histogram.get_sample_sum(),
                histogram.get_sample_count(),
            ));
        };
        for stage in Stage::ALL {
            add(stage.label(), metrics.stage(stage));
        }
        add("proof batch size", &metrics.proof_batch_size);
        add("proof batch check", &metrics.proof_batch_seconds);
        add("commit batch size", &metrics.batch_size);
        add("commit", &metrics.commit_seconds);
        add("append (queued to durable)", &metrics.append_latency);
        Self(read)
    }

    /// What was observed after `before`.
    fn since(self, before: &Self) -> Self {
        Self(
            self.0
                .into_iter()
                .zip(&before.0)
                .map(|((name, sum, count), (_, sum0, count0))| (name, sum - sum0, count - count0))
                .collect(),
        )
    }
}
