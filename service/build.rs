//! Builds the web board's verifier — `zkaudit-verifier-wasm`, the same
//! checks as `zkaudit verify` — for `wasm32-unknown-unknown`, so that the
//! service embeds it and `cargo run` alone serves a board that verifies in
//! the browser.
//!
//! A nested `cargo build` with its own target folder (the outer build holds
//! the lock on its own): the first build takes a minute or two, later ones
//! only when the verifier's sources change. The target is added with
//! rustup when missing. `ZKAUDIT_BOARD_WASM=/path/to/module.wasm` embeds a
//! module built elsewhere instead.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";
const CRATE: &str = "zkaudit-verifier-wasm";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest_dir
        .parent()
        .expect("the service is a workspace member");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo")).join("verifier.wasm");

    println!("cargo::rerun-if-env-changed=ZKAUDIT_BOARD_WASM");
    if let Some(prebuilt) = env::var_os("ZKAUDIT_BOARD_WASM") {
        println!("cargo::rerun-if-changed={}", Path::new(&prebuilt).display());
        std::fs::copy(&prebuilt, &out).expect("copying ZKAUDIT_BOARD_WASM");
        return;
    }
    for input in [
        "verifier-wasm",
        "verifier/src",
        "verifier/Cargo.toml",
        "ledger/src",
        "ledger/Cargo.toml",
        "circuits/src",
        "circuits/Cargo.toml",
        "Cargo.lock",
    ] {
        println!(
            "cargo::rerun-if-changed={}",
            workspace.join(input).display()
        );
    }

    ensure_target();
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target"))
        .join("board-wasm");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(workspace)
        .args(["build", "--release", "--package", CRATE, "--target", TARGET])
        .arg("--target-dir")
        .arg(&target_dir)
        // Size over debugging: no debug info in the module the browser loads.
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "true")
        .env("CARGO_PROFILE_RELEASE_LTO", "true")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1");
    // What the outer build set for itself (clippy's wrapper, host flags)
    // is not for the module.
    for var in [
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_RUSTFLAGS",
    ] {
        build.env_remove(var);
    }
    let status = build
        .status()
        .expect("running cargo for the board's verifier");
    assert!(
        status.success(),
        "building the board's verifier for {TARGET} failed (see above); \
         set ZKAUDIT_BOARD_WASM to a prebuilt module to skip this step"
    );
    let module = target_dir
        .join(TARGET)
        .join("release")
        .join("zkaudit_verifier_wasm.wasm");
    std::fs::copy(&module, &out).expect("copying the board's verifier");
}

/// Adds the wasm32 target with rustup when the toolchain lacks it.
fn ensure_target() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let installed = sysroot
        .map(|root| root.join("lib/rustlib").join(TARGET).exists())
        .unwrap_or(false);
    if !installed {
        let status = Command::new("rustup")
            .args(["target", "add", TARGET])
            .status();
        assert!(
            matches!(status, Ok(s) if s.success()),
            "the board's verifier needs the {TARGET} target: `rustup target add {TARGET}` failed"
        );
    }
}
