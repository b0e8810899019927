//! The real snarkjs, installed once per workspace with npm.
//!
//! Needs Node.js (≥ 18) on the `PATH`; tests fail, not skip, without it.
//! snarkjs 0.7.6 is installed once with
//! `npm install --prefix <workspace>/target/snarkjs-tools snarkjs@0.7.6 --no-audit --no-fund`
//! (into a staging directory renamed into place, so racing tests are safe);
//! CI can pre-install it with that command.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

const SNARKJS_VERSION: &str = "0.7.6";

/// `<workspace>/target/snarkjs-tools`.
fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the prover crate sits in the workspace")
        .join("target")
        .join("snarkjs-tools")
}

fn cli_path(prefix: &Path) -> PathBuf {
    prefix.join("node_modules/snarkjs/build/cli.cjs")
}

/// Whether `prefix` holds a complete install of snarkjs at our version.
fn installed(prefix: &Path) -> bool {
    let manifest = prefix.join("node_modules/snarkjs/package.json");
    let Ok(text) = std::fs::read_to_string(manifest) else {
        return false;
    };
    let version = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["version"].as_str().map(str::to_owned));
    version.as_deref() == Some(SNARKJS_VERSION) && cli_path(prefix).is_file()
}

pub fn run(command: &mut Command) -> Output {
    let program = command.get_program().to_string_lossy().into_owned();
    command.output().unwrap_or_else(|e| {
        panic!(
            "cannot run `{program}` ({e}): the snarkjs interoperability test needs Node.js >= 18 \
             and npm on the PATH"
        )
    })
}

/// The path of snarkjs's CLI, installing snarkjs on first use.
pub fn snarkjs_cli() -> &'static Path {
    static CLI: OnceLock<PathBuf> = OnceLock::new();
    CLI.get_or_init(|| {
        let node = run(Command::new("node").arg("--version"));
        assert!(node.status.success(), "`node --version` failed: {node:?}");

        let tools = tools_dir();
        if !installed(&tools) {
            // Install into a private staging directory, then rename it into
            // place: the first finisher wins, a loser discards its copy.
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            let staging = tools.with_file_name(format!(
                "snarkjs-tools.staging-{}-{nanos}",
                std::process::id()
            ));
            std::fs::create_dir_all(&staging).unwrap();
            let npm = run(Command::new("npm")
                .arg("install")
                .arg("--prefix")
                .arg(&staging)
                .arg(format!("snarkjs@{SNARKJS_VERSION}"))
                .args(["--no-audit", "--no-fund"]));
            assert!(
                npm.status.success() && installed(&staging),
                "npm install of snarkjs@{SNARKJS_VERSION} failed:\n{}\n{}",
                String::from_utf8_lossy(&npm.stdout),
                String::from_utf8_lossy(&npm.stderr)
            );
            if let Err(e) = std::fs::rename(&staging, &tools) {
                let _ = std::fs::remove_dir_all(&staging);
                assert!(
                    installed(&tools),
                    "cannot move snarkjs into {} ({e}); delete that directory and rerun",
                    tools.display()
                );
            }
        }
        cli_path(&tools)
    })
}

/// Runs `snarkjs <args>` in `dir`.
pub fn snarkjs(dir: &Path, args: &[&str]) -> Output {
    run(Command::new("node")
        .arg(snarkjs_cli())
        .args(args)
        .current_dir(dir))
}

/// Runs `snarkjs <args>` in `dir` and panics with its output unless it
/// succeeds; returns its standard output.
pub fn snarkjs_ok(dir: &Path, args: &[&str]) -> String {
    let out = snarkjs(dir, args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "snarkjs {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Runs `snarkjs groth16 verify vk public proof`; `true` iff it says OK.
pub fn snarkjs_verifies(dir: &Path, vk: &str, public: &str, proof: &str) -> bool {
    std::fs::write(dir.join("vk.json"), vk).unwrap();
    std::fs::write(dir.join("public.json"), public).unwrap();
    std::fs::write(dir.join("proof.json"), proof).unwrap();
    let out = snarkjs(
        dir,
        &["groth16", "verify", "vk.json", "public.json", "proof.json"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let ok = stdout.contains("OK!");
    assert_eq!(
        ok,
        out.status.success(),
        "snarkjs's output and exit status disagree: {out:?}"
    );
    if !ok {
        assert!(
            stdout.contains("Invalid proof") || stdout.contains("not valid"),
            "snarkjs failed for another reason:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    ok
}

/// The powers of tau for circuits up to 2^12 rows: a fresh snarkjs phase 1
/// with one contribution, prepared for phase 2 (a minute of snarkjs), kept
/// in `target/snarkjs-tools` for later runs.
pub fn prepared_ptau() -> &'static Path {
    static PTAU: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    PTAU.get_or_init(|| {
        let cached = snarkjs_cli()
            .ancestors()
            .nth(4)
            .expect("<tools>/node_modules/snarkjs/build/cli.cjs")
            .join("pot12-prepared.ptau");
        if cached.is_file() {
            return cached;
        }
        let work = tempfile::tempdir().unwrap();
        let dir = work.path();
        snarkjs_ok(dir, &["powersoftau", "new", "bn128", "12", "pot0.ptau"]);
        snarkjs_ok(
            dir,
            &[
                "powersoftau",
                "contribute",
                "pot0.ptau",
                "pot1.ptau",
                "--name=phase one",
                "-e=phase one entropy",
            ],
        );
        snarkjs_ok(
            dir,
            &["powersoftau", "prepare", "phase2", "pot1.ptau", "pot.ptau"],
        );
        // Racing test processes: the first rename wins, both files are valid.
        std::fs::rename(dir.join("pot.ptau"), &cached).unwrap();
        cached
    })
}
