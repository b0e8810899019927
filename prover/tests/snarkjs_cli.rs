//! Our proofs verify with the real snarkjs: export key, proof and public
//! signals as snarkjs JSON and run `snarkjs groth16 verify`.
//!
//! Needs Node.js (≥ 18) on the `PATH`; the test fails, not skips, without
//! it. snarkjs 0.7.6 is installed once with
//! `npm install --prefix <workspace>/target/snarkjs-tools snarkjs@0.7.6 --no-audit --no-fund`
//! (into a staging directory renamed into place, so racing tests are safe);
//! CI can pre-install it with that command.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use common::{Cubic, test_rng};
use zkaudit_prover::{Fr, prove, setup_development};
use zkaudit_verifier::snarkjs;

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

fn run(command: &mut Command) -> Output {
    let program = command.get_program().to_string_lossy().into_owned();
    command.output().unwrap_or_else(|e| {
        panic!(
            "cannot run `{program}` ({e}): the snarkjs interoperability test needs Node.js >= 18 \
             and npm on the PATH"
        )
    })
}

/// The path of snarkjs's CLI, installing snarkjs on first use.
fn snarkjs_cli() -> &'static Path {
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

/// Runs `snarkjs groth16 verify vk public proof`; `true` iff it says OK.
fn snarkjs_verifies(dir: &Path, vk: &str, public: &str, proof: &str) -> bool {
    std::fs::write(dir.join("vk.json"), vk).unwrap();
    std::fs::write(dir.join("public.json"), public).unwrap();
    std::fs::write(dir.join("proof.json"), proof).unwrap();
    let out = run(Command::new("node")
        .arg(snarkjs_cli())
        .args(["groth16", "verify", "vk.json", "public.json", "proof.json"])
        .current_dir(dir));
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

#[test]
fn snarkjs_verifies_our_proofs() {
    let (pk, vk) = setup_development(Cubic::blank(), &mut test_rng(31)).unwrap();
    let circuit = Cubic::new(12_345);
    let public = circuit.public_inputs();
    let proof = prove(&pk, circuit, &mut test_rng(32)).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let vk_json = snarkjs::export_vk(&vk);
    let proof_json = snarkjs::export_proof(&proof);
    assert!(snarkjs_verifies(
        dir.path(),
        &vk_json,
        &snarkjs::export_public(&public),
        &proof_json
    ));

    // A tampered public signal, and the signals swapped.
    let mut tampered = public.clone();
    tampered[1] += Fr::from(1u64);
    assert!(!snarkjs_verifies(
        dir.path(),
        &vk_json,
        &snarkjs::export_public(&tampered),
        &proof_json
    ));
    assert!(!snarkjs_verifies(
        dir.path(),
        &vk_json,
        &snarkjs::export_public(&[public[1], public[0]]),
        &proof_json
    ));
    // Our import reads back what snarkjs accepted.
    assert_eq!(snarkjs::import_vk(&vk_json).unwrap(), vk);
    assert_eq!(snarkjs::import_proof(&proof_json).unwrap(), proof);
}

/// A real eligibility proof (the production statement, at a small depth):
/// snarkjs accepts it with its public signals and refuses it for another
/// nullifier or another message.
#[test]
fn snarkjs_verifies_an_eligibility_proof() {
    use zkaudit_circuits::eligibility::constraints::EligibilityCircuit;
    use zkaudit_circuits::eligibility::{
        EligibilityPublic, EligibilityShape, EligibilityWitness, credential_leaf, message_field,
        public_inputs,
    };
    use zkaudit_circuits::identity::Identity;
    use zkaudit_circuits::lean_imt::LeanImt;
    use zkaudit_circuits::predicate::AttributePredicate;

    let shape = EligibilityShape::new(4, 2).unwrap();
    let mut rng = test_rng(41);
    let holder = Identity::random(&mut rng);
    let attributes = vec![19_900_101, 7];
    let mut tree = LeanImt::new();
    for other in 0..5u64 {
        let someone = Identity::random(&mut rng);
        tree.insert(credential_leaf(someone.commitment(), &[other, other]).unwrap());
    }
    tree.insert(credential_leaf(holder.commitment(), &attributes).unwrap());
    let scope = Fr::from(2027u64);
    let public = EligibilityPublic {
        shape,
        root: tree.root().unwrap(),
        nullifier: holder.nullifier(scope),
        scope,
        message: message_field(b"application 7781"),
        predicates: vec![
            AttributePredicate::at_most(20_081_123),
            AttributePredicate::one_of(&[3, 7, 9]).unwrap(),
        ],
    };
    let witness = EligibilityWitness {
        secret: holder.secret_scalar(),
        attributes,
        path: tree
            .generate_proof(5)
            .unwrap()
            .to_circuit_path(shape.depth)
            .unwrap(),
    };
    let (pk, vk) = setup_development(EligibilityCircuit::blank(shape), &mut test_rng(42)).unwrap();
    let proof = prove(
        &pk,
        EligibilityCircuit::new(public.clone(), witness),
        &mut rng,
    )
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let (vk_json, proof_json) = (snarkjs::export_vk(&vk), snarkjs::export_proof(&proof));
    let signals = public_inputs(&public);
    assert!(snarkjs_verifies(
        dir.path(),
        &vk_json,
        &snarkjs::export_public(&signals),
        &proof_json
    ));
    for tampered in [
        EligibilityPublic {
            nullifier: public.nullifier + Fr::from(1u64),
            ..public.clone()
        },
        EligibilityPublic {
            message: message_field(b"application 7782"),
            ..public.clone()
        },
    ] {
        assert!(!snarkjs_verifies(
            dir.path(),
            &vk_json,
            &snarkjs::export_public(&public_inputs(&tampered)),
            &proof_json
        ));
    }
}
