//! Funds provers on many machines: chunk jobs shared through PostgreSQL.
//!
//! Each test uses its own schema of the test database
//! (`ZKAUDIT_TEST_DATABASE_URL`, default the local `test` database) and
//! drops it at the end. The shape is the smallest (4 items × 3 categories,
//! k = 11) so that chunks prove in a fraction of a second.

mod common;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chacha20::ChaCha20Rng;
use postgres::{Client, NoTls};
use rand_core_halo2::SeedableRng;
use zkaudit_circuits::funds::{
    FundsParams, FundsProvingKey, FundsShape, FundsVerifyingKey, ItemOpening, PeriodReport,
    item_commitment, plan_period, prove_period, verify_period,
};
use zkaudit_service::client::funds::prover::{Step, Worker, prove_with_workers};
use zkaudit_service::client::funds::prover_queue::{ProverQueue, QueueError, RunId, SessionLimits};

fn database_url() -> String {
    std::env::var("ZKAUDIT_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test".into())
}

/// A schema of its own for one test, dropped when it ends.
struct Schema(String);

impl Schema {
    fn new(test: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        Self(format!("prover_{test}_{}_{nanos}", std::process::id()))
    }

    fn queue(&self) -> ProverQueue {
        ProverQueue::connect(&database_url(), &self.0, SessionLimits::default()).unwrap()
    }

    fn sql(&self) -> Client {
        let mut client = Client::connect(&database_url(), NoTls).unwrap();
        client
            .batch_execute(&format!("SET search_path TO {}", self.0))
            .unwrap();
        client
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut client) = Client::connect(&database_url(), NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.0));
        }
    }
}

fn shape() -> FundsShape {
    FundsShape::new(4, 3).unwrap()
}

fn keys() -> &'static (FundsParams, FundsProvingKey, FundsVerifyingKey) {
    static KEYS: OnceLock<(FundsParams, FundsProvingKey, FundsVerifyingKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let params = FundsParams::new(shape().k());
        let pk = FundsProvingKey::generate(&params, shape()).unwrap();
        let vk = FundsVerifyingKey::generate(&params, shape()).unwrap();
        (params, pk, vk)
    })
}

fn openings(count: usize) -> Vec<ItemOpening> {
    let mut rng = ChaCha20Rng::seed_from_u64(41);
    (0..count)
        .map(|i| ItemOpening::random(100 + 37 * i as u64, (i % 3) as u16, &mut rng))
        .collect()
}

/// What one process proves from the same seed: the reference.
fn single_process(items: &[ItemOpening], seed: u64) -> PeriodReport {
    let (params, pk, _) = keys();
    prove_period(items, pk, params, ChaCha20Rng::seed_from_u64(seed)).unwrap()
}

fn verifies(items: &[ItemOpening], report: &PeriodReport) -> bool {
    let (params, _, vk) = keys();
    let log: Vec<_> = items.iter().map(item_commitment).collect();
    verify_period(
        &log,
        &report.totals,
        report.final_blinding,
        &report.proof,
        params,
        vk,
    )
    .is_ok()
}

fn params_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("zkaudit-prover-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `workers` in-process workers until `done`, returning each one's
/// landed chunks.
fn spawn_workers(
    schema: &Schema,
    workers: usize,
    done: &'static AtomicBool,
) -> Vec<std::thread::JoinHandle<Vec<(RunId, usize)>>> {
    (0..workers)
        .map(|w| {
            let queue = schema.queue();
            std::thread::spawn(move || {
                let mut worker = Worker::new(queue, &format!("worker-{w}"), params_dir());
                let mut landed = Vec::new();
                worker
                    .run(|step| {
                        if let Step::Landed { run, chunk } = step {
                            landed.push((*run, *chunk));
                        }
                        done.load(Ordering::SeqCst)
                    })
                    .unwrap();
                landed
            })
        })
        .collect()
}

#[test]
fn workers_prove_a_period_byte_for_byte_as_one_process_and_no_chunk_lands_twice() {
    let schema = Schema::new("identical");
    static DONE: AtomicBool = AtomicBool::new(false);
    let workers = spawn_workers(&schema, 3, &DONE);

    // 30 items: 8 chunks for three workers racing for them.
    let items = openings(30);
    let (params, _, _) = keys();
    let mut reporter = schema.queue();
    let mut seen = Vec::new();
    let report = prove_with_workers(
        &mut reporter,
        &items,
        shape(),
        params,
        ChaCha20Rng::seed_from_u64(7),
        Some(Duration::from_secs(300)),
        |landed, chunks| seen.push((landed, chunks)),
    )
    .unwrap();
    DONE.store(true, Ordering::SeqCst);
    let landed: Vec<(RunId, usize)> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();

    let reference = single_process(&items, 7);
    assert_eq!(report.proof.to_bytes(), reference.proof.to_bytes());
    assert_eq!(report.totals, reference.totals);
    assert_eq!(report.final_blinding, reference.final_blinding);
    assert!(verifies(&items, &report));

    // Every chunk landed exactly once, whoever proved it.
    let mut chunks: Vec<usize> = landed.iter().map(|(_, chunk)| *chunk).collect();
    chunks.sort_unstable();
    assert_eq!(chunks, (0..8).collect::<Vec<_>>());
    assert_eq!(seen.last(), Some(&(8, 8)));
    // Nothing of the run (its jobs hold the openings) is left behind.
    let left: i64 = schema
        .sql()
        .query_one("SELECT count(*) FROM funds_chunk_jobs", &[])
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
}

/// Which pending chunks of `run` some worker holds (its row is locked).
fn held_chunks(sql: &mut Client, run: RunId) -> Vec<i32> {
    let mut txn = sql.transaction().unwrap();
    let pending: Vec<i32> = txn
        .query(
            "SELECT chunk FROM funds_chunk_jobs WHERE run = $1 AND job IS NOT NULL",
            &[&run.0.to_vec()],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    let free: Vec<i32> = txn
        .query(
            "SELECT chunk FROM funds_chunk_jobs WHERE run = $1 AND job IS NOT NULL
             FOR UPDATE SKIP LOCKED",
            &[&run.0.to_vec()],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    txn.rollback().unwrap();
    pending.into_iter().filter(|c| !free.contains(c)).collect()
}

fn spawn_prover(schema: &Schema, name: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_zkaudit"))
        .args(["prover", "--database-url", &database_url()])
        .args(["--schema", &schema.0, "--name", name])
        .arg("--params-dir")
        .arg(params_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn a_worker_killed_mid_chunk_is_replaced_and_the_period_proof_is_unchanged() {
    let schema = Schema::new("killed");
    let items = openings(10);
    let plan = plan_period(&items, shape(), ChaCha20Rng::seed_from_u64(9)).unwrap();
    let mut reporter = schema.queue();
    let run = reporter.enqueue(&plan).unwrap();

    // A `zkaudit prover` process claims a chunk; it is killed (SIGKILL)
    // while it holds it, before it can land it.
    let mut doomed = spawn_prover(&schema, "doomed");
    let mut sql = schema.sql();
    let deadline = Instant::now() + Duration::from_secs(120);
    let held = loop {
        let held = held_chunks(&mut sql, run);
        if !held.is_empty() {
            break held;
        }
        assert!(
            Instant::now() < deadline,
            "the prover never claimed a chunk"
        );
        std::thread::sleep(Duration::from_millis(2));
    };
    doomed.kill().unwrap();
    doomed.wait().unwrap();
    assert_eq!(held.len(), 1);
    let killed_chunk = held[0] as usize;

    // Its chunk is free again once the server has seen the connection go.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !held_chunks(&mut sql, run).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the dead worker's chunk stays held"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // A new worker proves what is left, the dead worker's chunk included.
    let mut survivor = Worker::new(schema.queue(), "survivor", params_dir());
    let mut proved = Vec::new();
    loop {
        match survivor.prove_next().unwrap() {
            Step::Landed { chunk, .. } => proved.push(chunk),
            Step::Idle => break,
            Step::Failed { chunk, .. } => panic!("chunk {chunk} failed"),
        }
    }
    assert!(proved.contains(&killed_chunk), "{proved:?}");

    let landings = reporter.landings(run).unwrap();
    assert_eq!(landings.len(), 3);
    assert_eq!(
        landings[killed_chunk].as_deref(),
        Some("survivor"),
        "{landings:?}"
    );
    let report = reporter
        .wait_for(run, plan, Some(Duration::from_secs(10)), |_, _| {})
        .unwrap();
    let reference = single_process(&items, 9);
    assert_eq!(report.proof.to_bytes(), reference.proof.to_bytes());
    assert!(verifies(&items, &report));
}

#[test]
fn a_worker_whose_session_the_database_ends_reconnects_and_proves() {
    let schema = Schema::new("reconnect");
    let name = format!("phoenix-{}", std::process::id());
    let mut worker = spawn_prover(&schema, &name);
    let mut sql = schema.sql();
    // Once it waits for work, its session is ended under it (a database
    // restart, a failover). Waiting shows as an idle session whose last
    // statement is its LISTEN, the first time, and later (the LISTEN is
    // not repeated) one whose last statement ended a while ago: a test
    // slowed down past the first wait still sees the worker waiting.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ended: i64 = sql
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE application_name = $1 AND state = 'idle'
                   AND (query LIKE 'LISTEN%' OR state_change < now() - interval '1 second')",
                &[&name],
            )
            .unwrap()
            .get(0);
        if ended > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the prover never waited for work"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // A period enqueued afterwards is still proved by it.
    let items = openings(6);
    let plan = plan_period(&items, shape(), ChaCha20Rng::seed_from_u64(12)).unwrap();
    let mut reporter = schema.queue();
    let run = reporter.enqueue(&plan).unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let landings = loop {
        let landings = reporter.landings(run).unwrap();
        if landings.iter().all(Option::is_some) {
            break landings;
        }
        assert!(
            worker.try_wait().unwrap().is_none(),
            "the prover exited instead of reconnecting"
        );
        assert!(Instant::now() < deadline, "the prover did not come back");
        std::thread::sleep(Duration::from_millis(50));
    };
    worker.kill().unwrap();
    worker.wait().unwrap();
    assert!(landings.iter().all(|w| w.as_deref() == Some(name.as_str())));
    let report = reporter
        .wait_for(run, plan, Some(Duration::from_secs(10)), |_, _| {})
        .unwrap();
    assert!(verifies(&items, &report));
}

#[test]
fn claimed_chunks_are_skipped_and_a_chunk_cannot_land_twice() {
    let schema = Schema::new("claims");
    let items = openings(10);
    let plan = plan_period(&items, shape(), ChaCha20Rng::seed_from_u64(3)).unwrap();
    let mut reporter = schema.queue();
    let run = reporter.enqueue(&plan).unwrap();
    let (params, pk, _) = keys();

    let (mut a, mut b, mut c) = (schema.queue(), schema.queue(), schema.queue());
    let claim_a = a.claim().unwrap().unwrap();
    let claim_b = b.claim().unwrap().unwrap();
    // Two workers never hold one chunk.
    assert_eq!((claim_a.chunk(), claim_b.chunk()), (0, 1));
    let proof_b = claim_b.job().unwrap().prove(pk, params).unwrap();
    claim_b.land(&proof_b, "b").unwrap();
    // A dropped claim (a worker that gave up) frees its chunk at once.
    drop(claim_a);
    let claim_c = c.claim().unwrap().unwrap();
    assert_eq!(claim_c.chunk(), 0);
    // Chunk 1 has landed: nothing can claim it again, so it cannot land
    // again; the last pending chunk is 2.
    let claim_a = a.claim().unwrap().unwrap();
    assert_eq!(claim_a.chunk(), 2);
    assert!(b.claim().unwrap().is_none());

    let proof_c = claim_c.job().unwrap().prove(pk, params).unwrap();
    claim_c.land(&proof_c, "c").unwrap();
    let proof_a = claim_a.job().unwrap().prove(pk, params).unwrap();
    claim_a.land(&proof_a, "a").unwrap();
    let landings = reporter.landings(run).unwrap();
    assert_eq!(
        landings,
        vec![Some("c".into()), Some("b".into()), Some("a".into())]
    );
    let report = reporter
        .wait_for(run, plan, Some(Duration::from_secs(10)), |_, _| {})
        .unwrap();
    assert!(verifies(&items, &report));
}

#[test]
fn a_proof_landed_for_the_wrong_chunk_or_period_is_refused_by_the_reporter() {
    let schema = Schema::new("wrong");
    let items = openings(10);
    let (params, pk, _) = keys();
    // Proofs of another plan of the same items (other blindings).
    let other = plan_period(&items, shape(), ChaCha20Rng::seed_from_u64(4)).unwrap();
    let plan = plan_period(&items, shape(), ChaCha20Rng::seed_from_u64(5)).unwrap();
    let mut reporter = schema.queue();
    let run = reporter.enqueue(&plan).unwrap();
    let mut worker = schema.queue();
    for chunk in 0..3 {
        let claim = worker.claim().unwrap().unwrap();
        let proof = if chunk == 1 {
            other.jobs()[1].prove(pk, params).unwrap()
        } else {
            claim.job().unwrap().prove(pk, params).unwrap()
        };
        claim.land(&proof, "liar").unwrap();
    }
    let refused = reporter
        .wait_for(run, plan, Some(Duration::from_secs(10)), |_, _| {})
        .unwrap_err();
    assert!(
        matches!(
            refused,
            QueueError::Funds(zkaudit_circuits::funds::FundsError::NotThePlannedChunk { chunk: 1 })
        ),
        "{refused}"
    );
    // The run is gone all the same: its secrets are not left behind.
    assert_eq!(count(&schema, "funds_runs"), 0);
}

fn count(schema: &Schema, table: &str) -> i64 {
    schema
        .sql()
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()
        .get(0)
}

#[test]
fn a_job_that_cannot_be_proved_fails_the_run_instead_of_every_worker() {
    let schema = Schema::new("poison");
    let items = openings(10);
    let plan = plan_period(&items, shape(), ChaCha20Rng::seed_from_u64(6)).unwrap();
    let mut reporter = schema.queue();
    let run = reporter.enqueue(&plan).unwrap();
    // Chunks 1 and 2 are damaged in the database, each its own way.
    for (chunk, damage) in [(1, "\\x7a7a7a7a7a7a7a7a7a"), (2, "\\x00")] {
        schema
            .sql()
            .execute(
                &format!(
                    "UPDATE funds_chunk_jobs SET job = '{damage}'::bytea
                     WHERE run = $1 AND chunk = {chunk}"
                ),
                &[&run.0.to_vec()],
            )
            .unwrap();
    }
    let mut worker = Worker::new(schema.queue(), "w", params_dir());
    let mut steps = BTreeMap::new();
    loop {
        match worker.prove_next().unwrap() {
            Step::Landed { chunk, .. } => steps.insert(chunk, "landed"),
            Step::Failed { chunk, .. } => steps.insert(chunk, "failed"),
            Step::Idle => break,
        };
    }
    assert_eq!(
        steps,
        BTreeMap::from([(0, "landed"), (1, "failed"), (2, "failed")])
    );
    let failed = reporter
        .wait_for(run, plan, Some(Duration::from_secs(10)), |_, _| {})
        .unwrap_err();
    // The first failed chunk is named, with its own reason.
    match failed {
        QueueError::ChunkFailed { chunk, reason } => {
            assert_eq!(chunk, 1);
            assert_eq!(reason, "malformed chunk job: bad magic");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn an_abandoned_run_is_not_proved_and_its_jobs_are_purged() {
    let schema = Schema::new("abandoned");
    let plan = plan_period(&openings(5), shape(), ChaCha20Rng::seed_from_u64(8)).unwrap();
    let mut reporter = schema.queue();
    reporter.enqueue(&plan).unwrap();
    assert_eq!(count(&schema, "funds_chunk_jobs"), 2);
    // The reporter stopped renewing its lease.
    schema
        .sql()
        .execute(
            "UPDATE funds_runs SET lease_until = now() - interval '1 second'",
            &[],
        )
        .unwrap();
    let mut worker = schema.queue();
    assert!(worker.claim().unwrap().is_none());
    assert_eq!(worker.purge_abandoned().unwrap(), 1);
    assert_eq!(count(&schema, "funds_chunk_jobs"), 0);
    assert_eq!(count(&schema, "funds_runs"), 0);
}

#[test]
fn a_reporter_without_workers_gives_up_after_its_timeout_and_leaves_nothing() {
    let schema = Schema::new("timeout");
    let (params, _, _) = keys();
    let mut reporter = schema.queue();
    let error = prove_with_workers(
        &mut reporter,
        &openings(5),
        shape(),
        params,
        ChaCha20Rng::seed_from_u64(1),
        Some(Duration::from_millis(300)),
        |_, _| {},
    )
    .unwrap_err();
    assert!(
        matches!(
            error.downcast_ref::<QueueError>(),
            Some(QueueError::TimedOut {
                landed: 0,
                chunks: 2,
                ..
            })
        ),
        "{error:#}"
    );
    assert_eq!(count(&schema, "funds_runs"), 0);
    assert_eq!(count(&schema, "funds_chunk_jobs"), 0);
}

#[test]
fn schema_names_that_would_need_quoting_are_refused() {
    for bad in ["", "Prover", "1st", "a;drop table x", "a\"b"] {
        assert!(matches!(
            ProverQueue::connect(&database_url(), bad, SessionLimits::default()),
            Err(QueueError::Schema(_))
        ));
    }
}

/// The command line end to end: an agency logs a period, hands its report
/// to two `zkaudit prover` processes and the report the log accepts is
/// the one the bundle check verifies.
#[test]
fn funds_report_with_prover_processes_through_the_command_line() {
    use common::{ServerProcess, data_dir, ok, s, succeeded, zkaudit_env};
    let schema = Schema::new("cli");
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&tmp, "data");
    let key = tmp.path().join("agency.key");
    let agency_key = ok(&["keygen", "--name", "agency", "--out", s(&key)]);
    // The development configuration, with the agency granted funds/*.
    ServerProcess::start(&data, &[]).kill();
    let config = data.join("zkaudit.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[[authority]]\nname = \"agency\"\nverifier_key = \"{}\"\nkinds = [\"funds/*\"]\n",
        agency_key.trim()
    ));
    std::fs::write(&config, text).unwrap();
    let server = ServerProcess::start(&data, &[]);

    let params = params_dir();
    let openings = tmp.path().join("openings.json");
    let common_args = |args: &[&str]| -> Vec<String> {
        let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        all.extend(["--params-dir".into(), s(&params).into()]);
        all
    };
    let run = |args: &[&str]| {
        let args = common_args(args);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        server.ok(&args)
    };
    run(&[
        "funds",
        "budget",
        "--key",
        s(&key),
        "--period",
        "2027-Q1",
        "--chunk-size",
        "4",
        "--category",
        "roads=100000",
        "--category",
        "schools=100000",
    ]);
    for (amount, category) in [
        (120, "0"),
        (4_500, "1"),
        (77, "0"),
        (9_000, "1"),
        (1, "1"),
        (640, "0"),
    ] {
        run(&[
            "funds",
            "record",
            "--key",
            s(&key),
            "--period",
            "2027-Q1",
            "--amount",
            &amount.to_string(),
            "--category",
            category,
            "--openings",
            s(&openings),
        ]);
    }
    let mut provers = [spawn_prover(&schema, "p1"), spawn_prover(&schema, "p2")];
    let reported = run(&[
        "funds",
        "report",
        "--key",
        s(&key),
        "--period",
        "2027-Q1",
        "--openings",
        s(&openings),
        "--workers-database-url",
        &database_url(),
        "--workers-schema",
        &schema.0,
        "--workers-timeout",
        "300",
    ]);
    for prover in &mut provers {
        prover.kill().unwrap();
        prover.wait().unwrap();
    }
    assert!(
        reported.contains("report of 6 items (2 chunks"),
        "{reported}"
    );
    assert!(reported.contains("[837, 13501]"), "{reported}");
    // The log accepted it (it verifies every report against the logged
    // items), and so does the offline bundle check.
    let view = server
        .get_json("/v1/funds/periods")
        .1
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["period"] == "2027-Q1")
        .cloned()
        .unwrap();
    let bundle = tmp.path().join("bundle.json");
    run(&[
        "funds",
        "bundle",
        "--agency",
        view["agency"].as_str().unwrap(),
        "--period",
        "2027-Q1",
        "--out",
        s(&bundle),
    ]);
    let args = ["verify", s(&bundle), "--log-key", &server.log_key()];
    let checked = succeeded(
        &args,
        zkaudit_env(&args, &[("ZKAUDIT_PARAMS_DIR", params.as_os_str())]),
    );
    assert!(checked.contains("2027-Q1"), "{checked}");
    // The queue kept nothing.
    assert_eq!(count(&schema, "funds_runs"), 0);
    assert_eq!(count(&schema, "funds_chunk_jobs"), 0);
}

/// `zkaudit prover --prepare 4x2` makes the shape's parameters (and key)
/// before it waits for chunks: a fresh parameters directory holds them
/// though no chunk was queued, where a worker without `--prepare` leaves
/// it empty. A shape that cannot exist is refused before connecting.
#[test]
fn a_prover_prepares_the_keys_it_is_asked_to_before_any_chunk() {
    let schema = Schema::new("prepare");
    let run = |dir: &std::path::Path, extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_zkaudit"))
            .args(["prover", "--database-url", &database_url()])
            .args(["--schema", &schema.0, "--exit-when-idle", "0"])
            .arg("--params-dir")
            .arg(dir)
            .args(extra)
            .output()
            .unwrap()
    };
    let k = FundsShape::new(4, 2).unwrap().k();
    let params_file = |dir: &std::path::Path| dir.join(format!("funds-params-k{k}.bin"));

    let lazy = tempfile::tempdir().unwrap();
    let output = run(lazy.path(), &[]);
    assert!(output.status.success(), "{output:?}");
    assert!(!params_file(lazy.path()).exists());

    let eager = tempfile::tempdir().unwrap();
    let output = run(eager.path(), &["--prepare", "4x2"]);
    assert!(output.status.success(), "{output:?}");
    assert!(params_file(eager.path()).exists());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains(&format!("keys for chunks of 4 × 2 ready (k = {k})")),
        "{said}"
    );

    for bad in ["4x17", "0x2", "4by2", "x2", "4x"] {
        let output = run(eager.path(), &["--prepare", bad]);
        assert!(!output.status.success(), "{bad}");
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(said.contains("--prepare"), "{bad}: {said}");
    }
}
