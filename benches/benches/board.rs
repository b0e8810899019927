//! The web board's verifier against the native one, in one run: the same
//! bundles verified by `zkaudit-verifier` natively (all cores, and one
//! thread: the browser's worker has one) and by the WebAssembly build the
//! board serves, run under Node.js (V8, Chromium's engine) with the board's
//! own glue — in one worker, and split over one worker per core as the
//! board splits an election's ballot proofs; a funds bundle deriving its
//! IPA parameters (a first visit) and with the ones the browser kept (a
//! later one). Also the module's size (raw and gzip, what a visitor
//! downloads) and its compile-and-instantiate time (the first load's
//! share).
//!
//! The bundles: tallied elections of 100 and 1,000 ballots logged natively
//! (`support::bundle`), and every `*.json` bundle in
//! `ZKAUDIT_BENCH_BUNDLES` (e.g. the demos' election and funds bundles,
//! with the log's key in a `log-key` file beside them; funds bundles need
//! `ZKAUDIT_PARAMS_DIR` natively, and derive their parameters in the
//! browser). Needs Node.js.
//!
//! `RUST_MIN_STACK=67108864 cargo bench -p zkaudit-benches --bench board`
//! (proving the 1,000-ballot bundle overflows the default thread stack).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use support::bundle::{ballot_keys, election_bundle};
use zkaudit_circuits::funds::FundsParams;
use zkaudit_verifier::election::ElectionBundle;
use zkaudit_verifier::funds::FundsBundle;

/// Ballots in the generated elections.
const ELECTIONS: [usize; 2] = [100, 1000];
/// Timed runs of each verification (the median is reported).
const RUNS: usize = 3;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Median milliseconds of `RUNS` runs of `f`.
fn native_ms(mut f: impl FnMut()) -> f64 {
    median(
        (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect(),
    )
}

/// The module the service embeds, written out for Node.js.
fn module_file(dir: &Path) -> PathBuf {
    let path = dir.join("verifier.wasm");
    std::fs::write(&path, zkaudit_service::board::assets::VERIFIER_WASM).unwrap();
    path
}

/// What one WebAssembly measurement saw.
struct Wasm {
    /// Median milliseconds of the timed runs.
    ms: f64,
    /// Starting the workers and instantiating their modules.
    instantiate_ms: f64,
    /// The report's lines.
    lines: String,
}

/// The WebAssembly verifier on `document`, its ballot proofs split over
/// `parts` workers as the board splits an election's (1: one worker);
/// `extra`: more request fields, as JSON or `@file`.
fn wasm_ms(module: &Path, document: &Path, log_key: &str, extra: &str, parts: usize) -> Wasm {
    let glue = workspace().join("service/src/board/assets/verifier.js");
    let out = Command::new("node")
        .arg(workspace().join("benches/board/verify.mjs"))
        .arg(glue)
        .arg(module)
        .arg(document)
        .arg(log_key)
        .arg(RUNS.to_string())
        .arg(extra)
        .arg(parts.to_string())
        .output()
        .expect("the board bench needs Node.js");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seen["ok"], true, "the browser's verifier refused: {seen}");
    let runs: Vec<f64> = seen["runs_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    Wasm {
        ms: median(runs),
        instantiate_ms: seen["instantiate_ms"].as_f64().unwrap(),
        lines: seen["lines"].to_string(),
    }
}

/// The size of `file` compressed as the board serves it (gzip).
fn gzip_len(file: &Path) -> usize {
    let out = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(file)
        .output()
        .expect("gzip");
    out.stdout.len()
}

/// Worker threads the browser's check is split over: one per core, as
/// the board does (`navigator.hardwareConcurrency`, at most 4).
fn cores() -> usize {
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(4)
}

/// An election bundle natively (all cores, one thread) and in WebAssembly
/// (one worker, and split over [`cores`] workers as the board does).
fn compare_election(
    module: &Path,
    name: &str,
    bundle: &ElectionBundle,
    file: &Path,
    log_key: &str,
) {
    let native = native_ms(|| {
        bundle.verify(log_key).unwrap();
    });
    let one = native_ms(|| {
        bundle.verify_with_threads(log_key, 1).unwrap();
    });
    let single = wasm_ms(module, file, log_key, "", 1);
    let parts = cores();
    let split = wasm_ms(module, file, log_key, "", parts);
    assert!(
        split.lines.contains("parts hold") || parts == 1,
        "{}",
        split.lines
    );
    println!(
        "{name}: native {native:.0} ms, native one thread {one:.0} ms; browser (wasm) one worker {:.0} ms \
         = {:.2}x native, {:.2}x one thread; {parts} workers {:.0} ms = {:.2}x native, {:.2}x one thread",
        single.ms,
        single.ms / native,
        single.ms / one,
        split.ms,
        split.ms / native,
        split.ms / one,
    );
    let cast = bundle.verify(log_key).unwrap().cast;
    println!(
        "    module compiled and instantiated in {:.0} ms ({parts} workers started in {:.0} ms); \
         {cast} ballots, {} records; about {:.0} s per 10,000 ballots in the browser ({parts} workers)",
        single.instantiate_ms,
        split.instantiate_ms,
        bundle.evidence.entries.len(),
        split.ms / cast.max(1) as f64 * 10.0,
    );
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let module = module_file(dir.path());
    println!(
        "verifier module: {} bytes, {} gzip -9",
        zkaudit_service::board::assets::VERIFIER_WASM.len(),
        gzip_len(&module)
    );

    let keys = ballot_keys();
    for n in ELECTIONS {
        let (bundle, log_key) = election_bundle(&keys, n);
        let file = dir.path().join(format!("election-{n}.json"));
        std::fs::write(&file, serde_json::to_vec(&bundle).unwrap()).unwrap();
        compare_election(
            &module,
            &format!("election of {n} ballots"),
            &bundle,
            &file,
            &log_key,
        );
    }

    let Some(extra) = std::env::var_os("ZKAUDIT_BENCH_BUNDLES") else {
        println!("(set ZKAUDIT_BENCH_BUNDLES to a folder of demo bundles to compare those too)");
        return;
    };
    let extra = PathBuf::from(extra);
    let log_key = std::fs::read_to_string(extra.join("log-key")).unwrap();
    let log_key = log_key.trim();
    let params = std::env::var_os("ZKAUDIT_PARAMS_DIR").map(PathBuf::from);
    let mut files: Vec<_> = std::fs::read_dir(&extra)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if let Ok(bundle) = serde_json::from_str::<ElectionBundle>(&text) {
            compare_election(&module, &name, &bundle, &file, log_key);
        } else if let Ok(bundle) = serde_json::from_str::<FundsBundle>(&text) {
            // Natively the parameters come from a cache; the browser derives
            // them every time (no setup to trust, nothing cached yet).
            let cached = |k: u32| match &params {
                Some(dir) => {
                    FundsParams::load_or_create(&dir.join(format!("funds-params-k{k}.bin")), k)
                }
                None => Ok(FundsParams::new(k)),
            };
            let native = native_ms(|| {
                bundle.verify(log_key, cached).unwrap();
            });
            let derived = native_ms(|| {
                bundle.verify(log_key, |k| Ok(FundsParams::new(k))).unwrap();
            });
            let browser = wasm_ms(&module, &file, log_key, "", 1);
            // A later visit: the parameters the browser derived and kept.
            let mut kept = serde_json::Map::new();
            for k in 1..=20u32 {
                if browser
                    .lines
                    .contains(&format!("parameters for 2^{k} rows"))
                {
                    let mut bytes = Vec::new();
                    FundsParams::new(k).write(&mut bytes).unwrap();
                    kept.insert(k.to_string(), BASE64.encode(bytes).into());
                }
            }
            let kept_file = dir.path().join("kept-params.json");
            std::fs::write(
                &kept_file,
                serde_json::json!({ "params": kept }).to_string(),
            )
            .unwrap();
            let later = wasm_ms(
                &module,
                &file,
                log_key,
                &format!("@{}", kept_file.display()),
                1,
            );
            assert!(
                later.lines.contains("on an earlier visit"),
                "{}",
                later.lines
            );
            println!(
                "{name}: native {native:.0} ms with cached parameters, {derived:.0} ms deriving them; \
                 browser (wasm) {:.0} ms deriving them = {:.2}x the native derivation, \
                 {:.0} ms with the parameters it kept = {:.2}x native with its cache",
                browser.ms,
                browser.ms / derived,
                later.ms,
                later.ms / native,
            );
        }
    }
}
