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
//! Then two sustained runs: [`SUSTAINED`] ballots each from 64 submitters
//! through HTTP, about half a minute at the goal's 2,500 /s, with the rate
//! of every second and the answers' latencies, so that a rate that holds
//! only for a short burst (before the write-ahead log's checkpoints, before
//! the database outgrows the page cache) is not taken for a sustained one.
//! The service's own stage metrics then say where a ballot's time went
//! during each run: the blocking pool, judging, the proof's weighting,
//! queue and batch check, the append queue and the commit.
//!
//! The load generator shares the machine (and the process) with the
//! service, so every run through HTTP is made twice, by two generators (see
//! [`Generator`]): a thread per submitter (the anchor) and one thread for
//! all. Each sustained run also reads the CPU time the generator's threads
//! and the whole process spent, so the service's CPU per ballot is reported
//! apart from the generator's.
//!
//! `cargo bench -p zkaudit-benches --bench casting`

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ark_ff::UniformRand;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use support::cpu;
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
/// The load generators every run through HTTP is made with, the anchor
/// first.
const GENERATORS: [Generator; 2] = [Generator::Threads, Generator::OneThread];
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
fn bodies(ballots: &[Ballot]) -> Arc<[Bytes]> {
    ballots
        .iter()
        .map(|ballot| Bytes::from(serde_json::to_vec(&ballot_body(ballot)).unwrap()))
        .collect()
}

/// How the load generator sends its submitters' requests. It runs in the
/// service's process, on the same two cores, so what it costs is taken
/// from the service.
#[derive(Clone, Copy, Debug)]
enum Generator {
    /// One OS thread per submitter, each blocking on its own kept-alive
    /// `ureq` connection: every answer wakes a thread (the harness of the
    /// fifteenth and sixteenth sessions).
    Threads,
    /// All submitters on one thread: a current-thread runtime with one task
    /// and one kept-alive `hyper` HTTP/1.1 connection per submitter, as
    /// load generators such as `wrk` and `oha` are built.
    OneThread,
}

impl Generator {
    fn name(self) -> &'static str {
        match self {
            Self::Threads => "a thread per submitter",
            Self::OneThread => "one thread",
        }
    }
}

/// The ballots of a run, handed out in order to whichever submitter is free.
#[derive(Default)]
struct Progress {
    next: AtomicUsize,
    answered: AtomicUsize,
}

impl Progress {
    /// The next ballot's index and body, until none is left.
    fn take<'a>(&self, bodies: &'a [Bytes]) -> Option<(usize, &'a Bytes)> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        bodies.get(i).map(|body| (i, body))
    }

    /// Records one answer: 201 (a fresh entry, its receipt read whole).
    fn answered(&self, i: usize, status: u16, receipt: &[u8]) {
        assert_eq!(
            status,
            201,
            "ballot {i}: {}",
            String::from_utf8_lossy(receipt)
        );
        self.answered.fetch_add(1, Ordering::Relaxed);
    }
}

/// What [`cast_over_http`] saw.
struct HttpRun {
    /// The wall time and every answer's latency.
    timed: Timed,
    /// Ballots answered by the end of each whole second of the run.
    answered_by_second: Vec<usize>,
    /// CPU time of the load generator's threads.
    generator_cpu: Duration,
    /// CPU time of the whole process: the service, the load generator and
    /// the run's clock.
    process_cpu: Duration,
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

    /// CPU per ballot, in ms: the service's (all but the load generator)
    /// and the load generator's.
    fn cpu_per_ballot_ms(&self) -> (f64, f64) {
        let per_ballot = |cpu: Duration| cpu.as_secs_f64() * 1e3 / self.timed.count() as f64;
        (
            per_ballot(self.process_cpu.saturating_sub(self.generator_cpu)),
            per_ballot(self.generator_cpu),
        )
    }
}

/// POSTs `bodies` to `url` from `submitters` concurrent submitters, each
/// over its own kept-alive connection, sent by `generator`; every answer
/// must be 201. Counts the answers at each whole second, times each one,
/// and reads the CPU time of the load generator and of the process.
fn cast_over_http(
    url: &str,
    bodies: &Arc<[Bytes]>,
    submitters: usize,
    generator: Generator,
) -> HttpRun {
    let progress = Arc::new(Progress::default());
    let done = AtomicBool::new(false);
    let mut answered_by_second = Vec::new();
    let process_before = cpu::process();
    let started = Instant::now();
    let (wall, latencies, generator_cpu) = std::thread::scope(|scope| {
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
                answered_by_second.push(progress.answered.load(Ordering::Relaxed));
            }
        });
        let (latencies, generator_cpu) = match generator {
            Generator::Threads => submit_from_threads(url, bodies, submitters, &progress),
            Generator::OneThread => submit_from_one_thread(url, bodies, submitters, &progress),
        };
        let wall = started.elapsed();
        done.store(true, Ordering::Release);
        clock.thread().unpark();
        (wall, latencies, generator_cpu)
    });
    HttpRun {
        timed: Timed::new(wall, latencies),
        answered_by_second,
        generator_cpu,
        process_cpu: cpu::process().saturating_sub(process_before),
    }
}

/// [`Generator::Threads`]: every answer's latency and the submitters'
/// CPU time.
fn submit_from_threads(
    url: &str,
    bodies: &[Bytes],
    submitters: usize,
    progress: &Progress,
) -> (Vec<Duration>, Duration) {
    std::thread::scope(|scope| {
        let submitting: Vec<_> = (0..submitters)
            .map(|_| {
                scope.spawn(|| {
                    let cpu_before = cpu::thread();
                    let agent: ureq::Agent = ureq::Agent::config_builder()
                        .http_status_as_error(false)
                        .build()
                        .into();
                    let mut mine = Vec::new();
                    while let Some((i, body)) = progress.take(bodies) {
                        let sent = Instant::now();
                        let mut answer = agent
                            .post(url)
                            .header("content-type", "application/json")
                            .send(&body[..])
                            .unwrap();
                        let receipt = answer.body_mut().read_to_vec().unwrap();
                        progress.answered(i, answer.status().as_u16(), &receipt);
                        mine.push(sent.elapsed());
                    }
                    (mine, cpu::thread() - cpu_before)
                })
            })
            .collect();
        let mut latencies = Vec::with_capacity(bodies.len());
        let mut cpu = Duration::ZERO;
        for submitter in submitting {
            let (mine, spent) = submitter.join().unwrap();
            latencies.extend(mine);
            cpu += spent;
        }
        (latencies, cpu)
    })
}

/// [`Generator::OneThread`], on the calling thread: every answer's latency
/// and the thread's CPU time.
fn submit_from_one_thread(
    url: &str,
    bodies: &Arc<[Bytes]>,
    submitters: usize,
    progress: &Arc<Progress>,
) -> (Vec<Duration>, Duration) {
    let cpu_before = cpu::thread();
    let url: Uri = url.parse().unwrap();
    let authority = url.authority().unwrap().to_string();
    // The service's loopback address, so that connecting needs no name
    // look-up (tokio would make one on a blocking thread, counted as the
    // service's CPU).
    let address: SocketAddr = authority.parse().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let latencies = runtime.block_on(async {
        let tasks: Vec<_> = (0..submitters)
            .map(|_| {
                let submitter = OneSubmitter {
                    address,
                    authority: authority.clone(),
                    path: url.path().to_owned(),
                    bodies: Arc::clone(bodies),
                    progress: Arc::clone(progress),
                };
                tokio::spawn(submitter.run())
            })
            .collect();
        let mut latencies = Vec::with_capacity(bodies.len());
        for task in tasks {
            latencies.extend(task.await.unwrap());
        }
        latencies
    });
    drop(runtime);
    (latencies, cpu::thread() - cpu_before)
}

/// One submitter of [`Generator::OneThread`]: a task with its own
/// connection.
struct OneSubmitter {
    address: SocketAddr,
    /// The `Host` of every request.
    authority: String,
    path: String,
    bodies: Arc<[Bytes]>,
    progress: Arc<Progress>,
}

impl OneSubmitter {
    /// Sends ballots over one kept-alive connection until none is left;
    /// every answer's latency.
    async fn run(self) -> Vec<Duration> {
        let stream = tokio::net::TcpStream::connect(self.address).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (mut sender, connection) = http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(async move { connection.await.unwrap() });
        let mut mine = Vec::new();
        while let Some((i, body)) = self.progress.take(&self.bodies) {
            let request = Request::post(self.path.as_str())
                .header(HOST, self.authority.as_str())
                .header(CONTENT_TYPE, "application/json")
                .body(Full::new(body.clone()))
                .unwrap();
            let sent = Instant::now();
            sender.ready().await.unwrap();
            let answer = sender.send_request(request).await.unwrap();
            let status = answer.status().as_u16();
            let receipt = answer.into_body().collect().await.unwrap().to_bytes();
            self.progress.answered(i, status, &receipt);
            mine.push(sent.elapsed());
        }
        mine
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
    // Named, so that a profile of the run (`perf report --sort comm`) tells
    // the batch checks' parallel work from the runtime's threads, whose
    // name unnamed threads would otherwise inherit.
    rayon::ThreadPoolBuilder::new()
        .thread_name(|i| format!("rayon-{i}"))
        .build_global()
        .unwrap();
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
    let total: usize =
        RUNS.iter().map(|(_, n)| 3 * n).sum::<usize>() + GENERATORS.len() * SUSTAINED;
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
    let url = format!("{}/v1/elections/{}/ballots", svc.base, honest.election);
    let mut rest = &ballots[..];
    let mut take = |n: usize| {
        let (these, after) = rest.split_at(n);
        rest = after;
        these
    };
    println!(
        "| submitters | HTTP, {} | HTTP, {} | in process | one thread / in process |",
        Generator::Threads.name(),
        Generator::OneThread.name()
    );
    println!("|---:|---:|---:|---:|---:|");
    for (submitters, n) in RUNS {
        let [threads, one_thread] = GENERATORS.map(|generator| {
            cast_over_http(&url, &bodies(take(n)), submitters, generator)
                .timed
                .rate()
        });
        let in_process = n as f64 / cast_in_process(&svc, take(n), submitters).as_secs_f64();
        println!(
            "| {submitters} | {threads:.0} /s | {one_thread:.0} /s | {in_process:.0} /s | {:.2} |",
            one_thread / in_process
        );
    }
    let runs = GENERATORS.map(|generator| sustained(&svc, &url, take(SUSTAINED), generator));
    report_sustained(&runs);

    let logged = svc.state.sequencer().latest_checkpoint().size - before;
    assert_eq!(logged as usize, total, "every cast ballot logged once");
    // Sent again: answered as the duplicate it is, nothing logged.
    assert!(cast(&client, &ballots[0]).unwrap().duplicate);
}

/// A sustained run: `ballots` from [`SUSTAINED_SUBMITTERS`] through HTTP,
/// sent by `generator`, with what the service's stage metrics observed
/// during it.
fn sustained(
    svc: &Service,
    url: &str,
    ballots: &[Ballot],
    generator: Generator,
) -> (Generator, HttpRun, Observed) {
    let bodies = bodies(ballots);
    let before = Observed::read(svc.state.metrics());
    let run = cast_over_http(url, &bodies, SUSTAINED_SUBMITTERS, generator);
    let during = Observed::read(svc.state.metrics()).since(&before);
    (generator, run, during)
}

/// Prints the sustained runs: the rate of each second, the answers'
/// latencies, the CPU of the service and of the load generator per ballot,
/// and where the service's time went.
fn report_sustained(runs: &[(Generator, HttpRun, Observed)]) {
    for (generator, run, _) in runs {
        let per_second = run.per_second();
        let mut sorted = per_second.clone();
        sorted.sort_unstable();
        let (service_cpu, generator_cpu) = run.cpu_per_ballot_ms();
        println!(
            "\nsustained, load generator on {}: {} ballots from {SUSTAINED_SUBMITTERS} submitters \
             through HTTP in {:.1} s: {:.0} /s; whole seconds: lowest {} /s, median {} /s, \
             highest {} /s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; \
             CPU per ballot: service {service_cpu:.3} ms, load generator {generator_cpu:.3} ms",
            generator.name(),
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
    }
    println!("\nwhere the time went (the service's metrics over each sustained run):\n");
    let header: Vec<&str> = runs
        .iter()
        .map(|(generator, ..)| generator.name())
        .collect();
    println!("| | {} |", header.join(" | "));
    println!("|---|{}", "---:|".repeat(runs.len()));
    let Some((_, _, first)) = runs.first() else {
        return;
    };
    for (row, (name, ..)) in first.0.iter().enumerate() {
        let cells: Vec<String> = runs
            .iter()
            .map(|(_, _, observed)| {
                let (_, sum, count) = observed.0[row];
                let mean = sum / count.max(1) as f64;
                if name.ends_with("size") {
                    format!("{mean:.1} ({count})")
                } else {
                    format!("{:.2} ms ({count})", mean * 1e3)
                }
            })
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
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
