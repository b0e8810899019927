//! `zkaudit demo election`: a civil registry of voters, a commission, five
//! trustees (3 of 5 decrypt), a key ceremony in which one dealer cheats and
//! is disqualified by a complaint, ballots proved on the voters' "devices"
//! in parallel, a double vote refused, a tally by three trustees, and the
//! election bundle verified offline.

use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::ProgressBar;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use zkaudit_circuits::ballot::BallotShape;
use zkaudit_circuits::elgamal::Scalar;
use zkaudit_circuits::identity::Identity;
use zkaudit_circuits::predicate::AttributePredicate;
use zkaudit_ledger::codec::fr_to_bytes;
use zkaudit_ledger::election::{
    BallotStatement, CREATE, Contest, DECRYPT, ElectionSpec, PHASE, Phase, PhaseChange,
};
use zkaudit_ledger::identity::{
    CREDENTIAL_ISSUE, CredentialIssue, DOMAIN as IDENTITY, REGISTRY_CREATE, RegistrySpec,
};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_verifier::election::ElectionBundle;

use crate::client::election::{
    BallotContext, TrusteeKey, cast, check_shares, election_spec, make_dealing,
    partial_decryptions, post_dealing, post_election_record,
};
use crate::demo::ceremony;
use crate::demo::scene::{ISSUER_KINDS, Scene, bar, demo_authority, expect_refusal};
use crate::domains::ceremony::Shape;
use crate::domains::election::ElectionView;

/// The budget contest, cumulative: up to [`BUDGET_POINTS`] points in all,
/// at most 2 per option.
const OPTIONS: [&str; 2] = ["Parks", "Libraries"];
/// Points a voter shares out in the budget contest.
const BUDGET_POINTS: u64 = 3;
/// The question on the same ballot: approve it or leave it blank. (Three
/// options in all keep the ballot circuit in a 2^14 domain, and the demo's
/// first-run phase 1 short.)
const QUESTION: [&str; 1] = ["Yes"];

/// A voter's values: points for parks, points for libraries, and 1 for a
/// yes (0 for a blank answer).
fn random_values(rng: &mut impl Rng) -> Vec<u64> {
    let parks = rng.gen_range(0..=2);
    let libraries = rng.gen_range(0..=2u64.min(BUDGET_POINTS - parks));
    vec![parks, libraries, rng.gen_range(0..=1)]
}
const TRUSTEES: usize = 5;
const THRESHOLD: u32 = 3;
/// Registry tree depth: 1024 voters, a ballot circuit that proves in about a second.
const DEPTH: u8 = 10;

/// The demo's commission (granted `election/*`) and voter registry.
fn prepare(data: &Path) -> Result<(NoteSigningKey, NoteSigningKey)> {
    demo_authority(data, ceremony::OFFICE, &ceremony::OFFICE_KINDS)?;
    Ok((
        demo_authority(data, "demo-election-commission", &["election/*"])?,
        demo_authority(data, "demo-voter-registry", &ISSUER_KINDS)?,
    ))
}

struct Voter {
    identity: Identity,
    attributes: [u64; 2],
}

/// What the scenario shows, printed as it starts.
const BANNER: &str = "== election: a commission runs a 3-of-5 trustee election; voters cast encrypted, proved ballots; anyone re-checks the tally";

/// Runs the election scenario with `voters` ballots cast.
pub fn election(runtime: &tokio::runtime::Runtime, data: &Path, voters: usize) -> Result<()> {
    let (commission, issuer) = prepare(data)?;
    let scene = Scene::open(runtime, data, BANNER)?;
    let client = &scene.client;
    let run = scene.run;
    let registry_id = format!("voters-{run}");
    let election_id = format!("budget-vote-{run}");

    // The voter registry: more citizens than will vote, some too young.
    let citizens = (voters.max(1) + voters / 4 + 20).max(300);
    if citizens > 1 << DEPTH {
        bail!("--voters is too large for a registry of depth {DEPTH}");
    }
    let spec = RegistrySpec {
        id: registry_id.clone(),
        title: "Electoral roll".into(),
        attributes: vec!["birth_year".into(), "district".into()],
        depth: DEPTH,
        window_changes: 8,
        window_secs: 3600,
    };
    let post_identity = |kind: &str, payload: Vec<u8>| -> Result<()> {
        let record = client.sign(&issuer, IDENTITY, kind, payload)?;
        client.append(&record).map(|_| ()).map_err(Into::into)
    };
    let spinner = ProgressBar::new_spinner();
    spinner.set_message("creating the electoral roll (eligibility circuit keys)");
    spinner.enable_steady_tick(std::time::Duration::from_millis(100));
    post_identity(REGISTRY_CREATE, spec.encode())?;
    spinner.finish_and_clear();
    let mut rng = rand_chacha::ChaCha20Rng::from_entropy();
    let people: Vec<Voter> = (0..citizens)
        .map(|i| Voter {
            identity: Identity::random(&mut rng),
            // Every 7th citizen is born in 2010: too young to vote.
            attributes: [
                if i % 7 == 6 {
                    2010
                } else {
                    1940 + (i as u64 * 13) % 66
                },
                1 + i as u64 % 4,
            ],
        })
        .collect();
    let issuing = bar(citizens as u64, "issuing voter credentials");
    for person in &people {
        let issue = CredentialIssue {
            registry: registry_id.clone(),
            commitment: fr_to_bytes(&person.identity.commitment()),
            attributes: person.attributes.to_vec(),
        };
        post_identity(CREDENTIAL_ISSUE, issue.encode())?;
        issuing.inc(1);
    }
    issuing.finish();

    // Five trustees make their keys on their own machines.
    let trustee_dir = data.join(format!("trustees-{run}"));
    std::fs::create_dir_all(&trustee_dir)?;
    let trustees: Vec<TrusteeKey> = (1..=TRUSTEES)
        .map(|i| {
            let key = TrusteeKey::generate(&format!("trustee-{i}"), &mut rand::rngs::OsRng)?;
            key.save(&trustee_dir.join(format!("trustee-{i}.key")))?;
            std::fs::write(
                trustee_dir.join(format!("trustee-{i}.pub.json")),
                serde_json::to_string_pretty(&key.public())?,
            )?;
            Ok(key)
        })
        .collect::<Result<_>>()?;

    // The ballot circuit's key, from a short ceremony (first run only).
    let shape = BallotShape::with_contests(DEPTH as usize, 2, &[OPTIONS.len(), QUESTION.len()])?;
    let named_key = ceremony::ceremony_key(data, client, Shape::Ballot(shape), run)?;

    // The commission creates the election: two contests on one ballot (3
    // budget points shared between two options, at most 2 each, and a
    // question to approve or leave blank), adults only, under the
    // ceremony's key.
    let now = crate::clock::now_ms();
    let spec = ElectionSpec {
        id: election_id.clone(),
        title: "Participatory budget 2027".into(),
        statement: BallotStatement::Contests,
        contests: vec![
            Contest {
                title: "Budget".into(),
                options: OPTIONS.iter().map(|o| o.to_string()).collect(),
                min: 0,
                max: BUDGET_POINTS as u8,
                limit: 2,
            },
            Contest {
                title: "Night buses".into(),
                ..Contest::choices(QUESTION.iter().map(|o| o.to_string()).collect(), 0, 1)
            },
        ],
        registry: registry_id.clone(),
        predicates: vec![AttributePredicate::at_most(2008), AttributePredicate::any()],
        trustees: trustees
            .iter()
            .map(|t| t.public().to_spec())
            .collect::<Result<_>>()?,
        threshold: THRESHOLD,
        opens_at_ms: now,
        closes_at_ms: now + 24 * 3600 * 1000,
        circuit_key: named_key,
        revoting: true,
    };
    let spinner = ProgressBar::new_spinner();
    spinner.set_message(if named_key.is_some() {
        "creating the election"
    } else {
        "creating the election (ballot circuit keys: Groth16 setup, development keys)"
    });
    spinner.enable_steady_tick(std::time::Duration::from_millis(100));
    let setup_started = Instant::now();
    post_election_record(client, &commission, CREATE, spec.encode())?;
    spinner.finish_and_clear();
    let setup_secs = setup_started.elapsed().as_secs_f64();
    let phase = |phase: Phase| -> Result<()> {
        post_election_record(
            client,
            &commission,
            PHASE,
            PhaseChange {
                election: election_id.clone(),
                phase,
            }
            .encode(),
        )
        .map(|_| ())
    };

    // Key ceremony: everyone deals; trustee 5 gives trustee 2 a bad share.
    phase(Phase::KeyCeremony)?;
    let spec = election_spec(client, &election_id)?;
    for (i, trustee) in trustees.iter().enumerate() {
        let mut dealing = make_dealing(&spec, trustee, &mut rand::rngs::OsRng)?;
        if i + 1 == TRUSTEES {
            dealing.shares[1].masked += Scalar::from(1u64);
        }
        post_dealing(client, trustee, &election_id, dealing)?;
    }
    let mut complaints = Vec::new();
    for trustee in &trustees {
        let summary = check_shares(client, trustee, &spec, &mut rand::rngs::OsRng)?;
        for dealer in summary.complained {
            complaints.push((trustee.name().to_owned(), dealer));
        }
    }
    if complaints != [("trustee-2".to_owned(), TRUSTEES as u32)] {
        bail!("expected exactly trustee 2's complaint against trustee 5, got {complaints:?}");
    }
    phase(Phase::Open)?;
    let view: ElectionView =
        serde_json::from_value(client.get_json(&format!("/v1/elections/{election_id}"))?)?;
    if view.qualified != [1, 2, 3, 4] {
        bail!("expected dealers 1-4 qualified, got {:?}", view.qualified);
    }

    // Voters prove on their own devices (in parallel here) and submit.
    let context = BallotContext::fetch(client, &election_id, &data.join("voter-keys"))?;
    let eligible: Vec<usize> = (0..citizens)
        .filter(|&i| people[i].attributes[0] <= 2008)
        .collect();
    if eligible.len() < voters {
        bail!(
            "only {} eligible voters for {voters} ballots",
            eligible.len()
        );
    }
    let too_young = (0..citizens)
        .find(|&i| people[i].attributes[0] > 2008)
        .context("no minor")?;
    expect_refusal(
        context.ballot(
            &people[too_young].identity,
            &people[too_young].attributes,
            vec![1, 1, 1],
            &mut rand::rngs::OsRng,
        ),
        "a ballot by a minor",
        "not valid for the election",
    )?;
    let mut picker = rand_chacha::ChaCha20Rng::from_entropy();
    let votes: Vec<(usize, Vec<u64>)> = eligible[..voters]
        .iter()
        .map(|&i| (i, random_values(&mut picker)))
        .collect();
    let mut expected = vec![0u64; OPTIONS.len() + QUESTION.len()];
    for (_, values) in &votes {
        for (count, value) in expected.iter_mut().zip(values) {
            *count += value;
        }
    }
    let casting = bar(voters as u64, "proving and casting ballots");
    let failures = Mutex::new(Vec::new());
    let cast_started = Instant::now();
    // The voters' "devices" get their own thread pool: a voter waiting for
    // the service's answer must not hold a thread of the global pool, which
    // the in-process service verifies ballot proofs on (with both global
    // threads waiting, nothing would ever verify).
    let devices = rayon::ThreadPoolBuilder::new()
        .num_threads(std::thread::available_parallelism().map_or(2, usize::from))
        .thread_name(|i| format!("voter-device-{i}"))
        .build()?;
    devices.install(|| {
        votes.par_iter().for_each(|(i, values)| {
            let i = *i;
            let result = context
                .ballot(
                    &people[i].identity,
                    &people[i].attributes,
                    values.clone(),
                    &mut rand::rngs::OsRng,
                )
                .and_then(|ballot| cast(client, &ballot));
            if let Err(e) = result {
                failures
                    .lock()
                    .expect("no poisoning")
                    .push(format!("{e:#}"));
            }
            casting.inc(1);
        })
    });
    casting.finish();
    let cast_secs = cast_started.elapsed().as_secs_f64();
    if let Some(e) = failures.into_inner().expect("no poisoning").first() {
        bail!("a ballot failed: {e}");
    }

    // The first voter changes their mind: re-voting, the last ballot counts.
    // (Their budget points swap and their answer flips.)
    let (again, first) = &votes[0];
    let changed = vec![first[1], first[0], 1 - first[2]];
    let alone = Instant::now();
    let second = context.ballot(
        &people[*again].identity,
        &people[*again].attributes,
        changed.clone(),
        &mut rand::rngs::OsRng,
    )?;
    let alone_ms = alone.elapsed().as_secs_f64() * 1000.0;
    cast(client, &second).context("the first voter's second ballot")?;
    for ((count, old), new) in expected.iter_mut().zip(first).zip(&changed) {
        *count = *count - old + new;
    }

    // The second voter doubts their client: it prepares a ballot, opens it
    // instead of casting it, and publishes it (the log checks the opening
    // and never counts it).
    let (doubter, values) = &votes[1];
    let opened = context.challenge(
        &people[*doubter].identity,
        &people[*doubter].attributes,
        values.clone(),
        &mut rand::rngs::OsRng,
    )?;
    let _: serde_json::Value = client
        .post(&format!("/v1/elections/{election_id}/spoiled"), &opened)
        .context("publishing a challenged ballot")?;

    // Close; trustees 1, 3 and 4 decrypt (2 is away, 5 was disqualified as a dealer).
    phase(Phase::Closed)?;
    for index in [1usize, 3, 4] {
        let trustee = &trustees[index - 1];
        let record = partial_decryptions(client, trustee, &spec, &mut rand::rngs::OsRng)?;
        post_election_record(client, trustee.signing_key(), DECRYPT, record.encode())?;
    }
    let view: ElectionView =
        serde_json::from_value(client.get_json(&format!("/v1/elections/{election_id}"))?)?;
    let tally = view
        .tally
        .context("no tally after three trustees decrypted")?;
    if tally.counts != expected {
        bail!(
            "tally {:?} differs from the votes cast {expected:?}",
            tally.counts
        );
    }

    // Anyone: download the bundle and check it offline.
    let bundle: ElectionBundle =
        serde_json::from_value(client.get_json(&format!("/v1/elections/{election_id}/bundle"))?)?;
    let bundle_path = data.join(format!("{election_id}-bundle.json"));
    std::fs::write(&bundle_path, serde_json::to_string_pretty(&bundle)?)?;
    let log_key = scene.log_key()?;
    let verify_started = Instant::now();
    let report = bundle.verify(&log_key)?;
    let verify_ms = verify_started.elapsed().as_secs_f64() * 1000.0;
    let verified: Vec<u64> = report.results.iter().filter_map(|(_, c)| *c).collect();
    if verified != expected || report.phase != Phase::Tallied {
        bail!("the offline verification found {verified:?}, the votes were {expected:?}");
    }
    let sealed = report.seal.as_ref().map(|s| (s.cast, s.counted));
    if (report.cast, report.ballots, report.spoiled) != (voters + 1, voters, 1)
        || sealed != Some((voters as u64 + 1, voters as u64))
    {
        bail!(
            "the offline verification found {} cast, {} counted, {} spoiled, seal {sealed:?}",
            report.cast,
            report.ballots,
            report.spoiled
        );
    }

    println!(
        "   electoral roll of {citizens} credentials; 3-of-{TRUSTEES} trustees, keys in {}",
        trustee_dir.display()
    );
    println!(
        "   key ceremony: trustee 2's complaint upheld, dealer 5 disqualified; qualified {:?}",
        report.qualified
    );
    println!(
        "   ballot circuit setup {setup_secs:.1} s; one ballot alone encrypts and proves in {alone_ms:.0} ms; {voters} ballots proved and cast in parallel in {cast_secs:.1} s ({:.2} s per ballot)",
        cast_secs / voters as f64
    );
    println!("   refused as they should be: a minor's ballot (cannot be proved)");
    println!(
        "   a voter changed their mind (re-voting: only the last ballot counts, {} cast, {} counted); another challenged their client's ballot and published it opened (checked, never counted); the log sealed all {} at the close",
        report.cast, report.ballots, report.cast
    );
    let results: Vec<String> = report
        .results_by_contest()
        .into_iter()
        .map(|(contest, results)| {
            let counts: Vec<String> = results
                .iter()
                .map(|(option, count)| format!("{option} {}", count.unwrap_or_default()))
                .collect();
            format!("{}: {}", contest.title, counts.join(", "))
        })
        .collect();
    println!(
        "   two contests on one ballot, one proof per voter; tally by trustees {:?}: {}",
        report.trustees_used,
        results.join("; ")
    );
    println!(
        "   bundle of {} records verified offline in {verify_ms:.0} ms (every ballot proof, the ceremony, the decryption proofs): {}",
        bundle.evidence.entries.len(),
        bundle_path.display()
    );
    println!(
        "   check it yourself: zkaudit verify {} --log-key '{log_key}'",
        bundle_path.display()
    );
    if report.development_key {
        println!("   (the ballot key is a DEVELOPMENT key: fine for a demo, not for an election)");
    }
    scene.close(runtime)
}
