//! Elections at scale: cast throughput of the service in process (ballots
//! per second, with the Groth16 check, the nullifier check and the durable
//! SQLite append), and offline verification of whole election bundles of
//! 64 and 256 ballots (per-ballot cost, extrapolated to 10,000), with a
//! manual breakdown of what the verification spends its time on.
//!
//! `cargo bench -p zkaudit-benches --bench election`

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use support::bundle::{
    BUNDLE_DEPTH, Proving, ballot_keys, election_bundle, election_bundle_proved,
};
use support::election as election_setup;
use support::{AuthorityConfig, start_service_with, submit_in_lanes};
use zkaudit_benches::named_key as key;
use zkaudit_circuits::ballot::public_inputs;
use zkaudit_circuits::identity::Identity;
use zkaudit_circuits::threshold::decrypt::verify_tally;
use zkaudit_ledger::election::{
    self, BALLOT, Ballot, ElectionBook, all_partials, ballot_statement,
};
use zkaudit_ledger::identity::{self, CircuitKey};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;
use zkaudit_service::client::Client;
use zkaudit_service::clock::now_ms;
use zkaudit_service::server::state::AppState;
use zkaudit_verifier::election::{BATCH, ElectionBundle};
use zkaudit_verifier::groth16::{PreparedKey, decode_proof, verify_batch};

/// Ballots cast through the service in the throughput run.
const CAST: usize = 256;
/// How many of them each run casts, from how many concurrent submitters.
const CAST_RUNS: [(usize, usize); 3] = [(32, 1), (96, 16), (128, 64)];
/// Proof batch sizes compared (`[proofs] batch`): 1 is each proof on its
/// own, the path before batching.
const PROOF_BATCHES: [usize; 2] = [1, 64];
/// Registry depth of the throughput run (room for `CAST` voters).
const CAST_DEPTH: u8 = 8;
/// Bundle sizes verified offline, every ballot proved by its voter.
const BUNDLE_SIZES: [usize; 2] = [64, 256];
/// The size of the election verified offline whose ballots the setup's
/// trapdoor proves (proving 10,000 ballots would take most of an hour): the
/// issue's goal is stated per 10,000 ballots, so it is measured there.
const LARGE_BUNDLE: usize = 10_000;

// ---------------------------------------------------------------------------
// Cast throughput through the service.

/// The origin of the in-process service's log.
const SERVICE_LOG: &str = "bench.zkaudit/election";

struct Service {
    _dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    state: AppState,
    client: Client,
    commission: NoteSigningKey,
    registrar: NoteSigningKey,
}

/// The service in process on SQLite in a tempdir, also served over HTTP on
/// a loopback port so the CLI's election helpers can drive the setup;
/// ballot proofs checked in batches of up to `proof_batch`.
fn service(proof_batch: usize) -> Service {
    let log = key(SERVICE_LOG, 1);
    let (commission, registrar) = (key("commission", 2), key("registrar", 3));
    let authorities: [AuthorityConfig<'_>; 2] = [
        ("commission", &commission, &["election/*"]),
        (
            "registrar",
            &registrar,
            &["identity/registry.create", "identity/credential.issue"],
        ),
    ];
    let (running, base) = start_service_with(
        &log,
        &authorities,
        true,
        &format!("[proofs]\nbatch = {proof_batch}\n"),
    );
    let base = base.expect("served over HTTP");
    Service {
        _dir: running.dir,
        runtime: running.runtime,
        state: running.state,
        client: Client::new(&base),
        commission,
        registrar,
    }
}

/// A registry of `CAST` voters and an open 2-of-3 election over it; returns
/// `CAST` distinct proved ballots made with the key the service logged.
fn open_election(svc: &Service) -> Vec<Ballot> {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let registry = election_setup::registry("bench-voters", CAST_DEPTH);
    let voters: Vec<Identity> = (0..CAST).map(|_| Identity::random(&mut rng)).collect();
    election_setup::register_voters(&svc.client, SERVICE_LOG, &svc.registrar, &registry, &voters);
    let trustees = election_setup::trustees(&mut rng);
    let spec = election_setup::yes_no_election("bench-election", &registry, &trustees);
    let created =
        election_setup::open_election(&svc.client, &svc.commission, &spec, &trustees, &mut rng);
    println!(
        "election created (ballot circuit setup) in {:.1} s",
        created.as_secs_f64()
    );
    let cache = svc._dir.path().join("voter-keys");
    let context = election_setup::ballot_context(&svc.client, &spec.id, &cache);
    let started = Instant::now();
    let ballots: Vec<Ballot> = voters
        .iter()
        .enumerate()
        .map(|(i, voter)| {
            context
                .ballot(
                    voter,
                    &[election_setup::BIRTH_YEAR],
                    vec![(i % 2) as u64, 1 - (i % 2) as u64],
                    &mut rng,
                )
                .unwrap()
        })
        .collect();
    println!(
        "{CAST} ballots (depth {CAST_DEPTH}, 2 options) proved in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    ballots
}

fn ballot_record(ballot: &Ballot) -> Record {
    Record::unsigned(
        SERVICE_LOG,
        election::DOMAIN,
        BALLOT,
        now_ms(),
        ballot.encode(),
    )
    .unwrap()
}

/// Submits `ballots` from `casters` concurrent tasks through `AppState::submit`.
fn cast_all(svc: &Service, ballots: &[Ballot], casters: usize) -> Duration {
    let records = ballots.iter().map(ballot_record);
    submit_in_lanes(&svc.runtime, &svc.state, records, casters)
}

fn cast_throughput() {
    let mut rates: BTreeMap<(usize, usize), f64> = BTreeMap::new();
    for proof_batch in PROOF_BATCHES {
        let svc = service(proof_batch);
        let ballots = open_election(&svc);

        // A ballot whose proof belongs to other ciphertexts is refused
        // first, so the runs below measure real checks, not a pass-through.
        let mut forged = ballots[0].clone();
        forged.ciphertexts = ballots[1].ciphertexts.clone();
        let refused = svc
            .runtime
            .block_on(svc.state.submit(&ballot_record(&forged), None));
        assert!(refused.is_err(), "a forged ballot was accepted");

        let mut next = 0;
        for (n, casters) in CAST_RUNS {
            let took = cast_all(&svc, &ballots[next..next + n], casters);
            next += n;
            let rate = n as f64 / took.as_secs_f64();
            rates.insert((proof_batch, casters), rate);
            println!(
                "proof batch {proof_batch}: cast {n} ballots from {casters} concurrent submitter(s) in {:.2} s: {rate:.0} ballots/s ({:.2} ms per ballot; proof check, nullifier check, durable append)",
                took.as_secs_f64(),
                took.as_secs_f64() * 1000.0 / n as f64
            );
        }
        // Every ballot was logged once; sent again, one is answered as
        // the duplicate it is.
        let again = svc
            .runtime
            .block_on(svc.state.submit(&ballot_record(&ballots[0]), None))
            .unwrap();
        assert!(again.duplicate, "a ballot was logged twice");
    }
    for (_, casters) in CAST_RUNS {
        let (alone, batched) = (rates[&(1, casters)], rates[&(64, casters)]);
        println!(
            "{casters} submitter(s): {alone:.0}/s one by one, {batched:.0}/s in batches: {:.2}x",
            batched / alone
        );
    }
}

// ---------------------------------------------------------------------------
// Bundle verification at scale (a whole election logged natively).

/// Times the steps of `ElectionBundle::verify` one by one (the same calls,
/// outside it): where the time goes.
fn breakdown(bundle: &ElectionBundle, log_key: &str, shape_depth: usize) {
    let mut steps: Vec<(&str, Duration)> = Vec::new();
    let t = Instant::now();
    let evidence = bundle.evidence.verify(log_key).unwrap();
    steps.push(("evidence (checkpoint, inclusion proofs)", t.elapsed()));

    let t = Instant::now();
    let mut book = ElectionBook::new(evidence.log_key);
    for (index, record) in &evidence.entries {
        if record.domain() == election::DOMAIN {
            book.apply(*index, record);
        }
    }
    let e = book.get(&bundle.election).unwrap();
    steps.push(("replay through the election rules", t.elapsed()));

    let t = Instant::now();
    let shape = e.spec.ballot_shape(shape_depth, None).unwrap();
    let joint_key = e.key.as_ref().unwrap().joint_key;
    let inputs: Vec<_> = e
        .ballots
        .iter()
        .map(|c| public_inputs(&ballot_statement(&e.spec, shape, &c.ballot, joint_key).unwrap()))
        .collect();
    steps.push(("statement rebuild (native public inputs)", t.elapsed()));
    let t = Instant::now();
    let proofs: Vec<_> = e
        .ballots
        .iter()
        .map(|c| decode_proof(&c.ballot.proof).unwrap())
        .collect();
    steps.push(("proof decoding (curve + subgroup checks)", t.elapsed()));
    let items: Vec<_> = inputs.into_iter().zip(proofs).collect();

    let circuit_key = evidence
        .entries
        .iter()
        .map(|(_, r)| r)
        .filter(|r| r.kind() == identity::CIRCUIT_KEY)
        .find_map(|r| CircuitKey::decode(r.payload()).ok())
        .unwrap();
    let prepared =
        PreparedKey::new(zkaudit_verifier::groth16::decode_vk(&circuit_key.vk).unwrap()).unwrap();
    let t = Instant::now();
    for chunk in items.chunks(BATCH) {
        verify_batch(&prepared, chunk).unwrap();
    }
    steps.push(("batch Groth16 (64 per batch)", t.elapsed()));
    // For comparison (not a step): one proof at a time, as the service checks a cast.
    let t = Instant::now();
    for (inputs, proof) in &items {
        zkaudit_verifier::groth16::verify(&prepared, inputs, proof).unwrap();
    }
    let single = t.elapsed();

    let t = Instant::now();
    let tally = e.tally.as_ref().unwrap();
    let sums = e.aggregate();
    verify_tally(
        &e.spec.context(),
        &e.spec.params().unwrap(),
        &e.verification_keys().unwrap(),
        &sums,
        &all_partials(e),
        &tally.counts,
    )
    .unwrap();
    steps.push(("aggregate + tally decryption proofs", t.elapsed()));

    let total: Duration = steps.iter().map(|(_, d)| *d).sum();
    let n = e.ballots.len();
    println!("breakdown of one verification of {n} ballots ({total:.2?} in all):");
    for (what, d) in &steps {
        println!(
            "  {what:<42} {:>9.2?}  {:>5.1}%  {:>7.3} ms/ballot",
            d,
            100.0 * d.as_secs_f64() / total.as_secs_f64(),
            d.as_secs_f64() * 1000.0 / n as f64
        );
    }
    println!(
        "  (the same proofs verified one by one, as the service does per cast: {single:.2?}, {:.3} ms/ballot)",
        single.as_secs_f64() * 1000.0 / n as f64
    );
}

fn bundles(c: &mut Criterion) {
    cast_throughput();

    let started = Instant::now();
    let keys = ballot_keys();
    println!(
        "bundle ballot circuit (depth {BUNDLE_DEPTH}, 2 options) development setup in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut built: BTreeMap<usize, (ElectionBundle, String)> = BTreeMap::new();
    for n in BUNDLE_SIZES {
        let started = Instant::now();
        let (bundle, log_key) = election_bundle(&keys, n);
        println!(
            "election of {n} ballots proved and logged in {:.1} s ({} records)",
            started.elapsed().as_secs_f64(),
            bundle.evidence.entries.len()
        );
        check_counts_and_tampering(&bundle, &log_key, n, 10);
        built.insert(n, (bundle, log_key));
    }

    let mut group = c.benchmark_group("election bundle verify");
    group.sample_size(10);
    for (&n, (bundle, log_key)) in &built {
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), bundle, |b, bundle| {
            b.iter(|| bundle.verify(log_key).unwrap())
        });
        // The old path in the same run: every batch on one thread.
        let one_thread = format!("{n} (one thread, before)");
        group.bench_with_input(
            BenchmarkId::from_parameter(one_thread),
            bundle,
            |b, bundle| b.iter(|| bundle.verify_with_threads(log_key, 1).unwrap()),
        );
    }
    group.finish();

    large_bundle(&keys);

    for (&n, (bundle, log_key)) in &built {
        let runs = 3;
        let t = Instant::now();
        for _ in 0..runs {
            bundle.verify(log_key).unwrap();
        }
        let per = t.elapsed().as_secs_f64() / runs as f64;
        println!(
            "{n} ballots: {:.0} ms per verification, {:.3} ms per ballot, about {:.1} s per 10,000 ballots",
            per * 1000.0,
            per * 1000.0 / n as f64,
            per / n as f64 * 10_000.0
        );
        breakdown(bundle, log_key, BUNDLE_DEPTH);
    }
}

/// Checks that `bundle` (of `n` ballots, every third one "no") verifies
/// with its counts, and that one changed byte in its ballot at evidence
/// entry `ballot_entry` makes the whole bundle fail.
fn check_counts_and_tampering(
    bundle: &ElectionBundle,
    log_key: &str,
    n: usize,
    ballot_entry: usize,
) {
    let report = bundle.verify(log_key).unwrap();
    let yes = n - n / 3;
    assert_eq!(
        report.results,
        vec![
            ("yes".into(), Some(yes as u64)),
            ("no".into(), Some((n - yes) as u64))
        ]
    );
    let mut tampered = bundle.clone();
    let entry = &mut tampered.evidence.entries[ballot_entry];
    let mut bytes = BASE64.decode(&entry.record).unwrap();
    let at = bytes.len() - 40;
    bytes[at] ^= 1;
    entry.record = BASE64.encode(&bytes);
    assert!(
        tampered.verify(log_key).is_err(),
        "a tampered bundle verified"
    );
}

/// A [`LARGE_BUNDLE`]-ballot election verified offline, timed directly
/// (three runs each, threaded and on one thread): too slow for criterion's
/// samples, and what the goal is stated for.
fn large_bundle(keys: &support::bundle::Keys) {
    let started = Instant::now();
    let (bundle, log_key) = election_bundle_proved(keys, LARGE_BUNDLE, Proving::Trapdoor);
    println!(
        "election of {LARGE_BUNDLE} ballots (proofs by the setup's trapdoor) logged in {:.1} s ({} records)",
        started.elapsed().as_secs_f64(),
        bundle.evidence.entries.len()
    );
    // The last ballot is the fifth entry from the end (then the close,
    // two decryptions and the tally).
    let last_ballot = bundle.evidence.entries.len() - 5;
    check_counts_and_tampering(&bundle, &log_key, LARGE_BUNDLE, last_ballot);
    for (label, threads) in [("threaded", None), ("one thread, before", Some(1))] {
        let runs = 3;
        let t = Instant::now();
        for _ in 0..runs {
            match threads {
                None => bundle.verify(&log_key).unwrap(),
                Some(n) => bundle.verify_with_threads(&log_key, n).unwrap(),
            };
        }
        let per = t.elapsed().as_secs_f64() / runs as f64;
        println!(
            "{LARGE_BUNDLE} ballots ({label}): {per:.2} s per verification, {:.3} ms per ballot",
            per * 1000.0 / LARGE_BUNDLE as f64
        );
    }
}

criterion_group!(benches, bundles);
criterion_main!(benches);
