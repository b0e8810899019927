//! The demo's Groth16 keys from a short ceremony instead of one party's
//! setup: a phase 1 run here (two contributors and a beacon, prepared for
//! phase 2), then a phase 2 coordinated by the service — the ceremony office
//! opens it, three contributors each download the current key, contribute
//! and upload it signed (the service verifies every contribution before it
//! logs it), and the office closes it with a beacon, which logs the final
//! verifying key as the shape's circuit key.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use rand::rngs::OsRng;
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_prover::ceremony::contribution_rng;
use zkaudit_prover::iden3::{MAX_IN_MEMORY_POWER, PowersOfTau};
use zkaudit_prover::phase1::{beacon, contribute, new_powers_of_tau, prepare_phase2};

use crate::client::Client;
use crate::client::ceremony::steps::{self, Opening};
use crate::domains::ceremony::Shape;
use crate::keyfile::{read_signing_key, write_secret_file};

/// The ceremony office's name in the demo config.
pub(crate) const OFFICE: &str = "demo-ceremony-office";
/// What it may write.
pub(crate) const OFFICE_KINDS: [&str; 1] = ["ceremony/*"];

/// Contributors to phase 2 (phase 1 has its own two).
const CONTRIBUTORS: usize = 3;

/// Gives `shape` a key from a ceremony on the service at `client`, unless
/// the log already has its key (an earlier run on this data directory).
/// Returns the logged key's verifying-key digest when it is a ceremony's.
pub(crate) fn ceremony_key(
    data: &Path,
    client: &Client,
    shape: Shape,
    run: u64,
) -> Result<Option<[u8; 32]>> {
    let id = shape.id();
    if let Some((digest, development)) = logged_key(client, &id)? {
        println!(
            "   the {id} key is already logged ({}): no ceremony this run",
            if development {
                "a development key"
            } else {
                "a ceremony key"
            }
        );
        return Ok((!development).then_some(digest));
    }

    let needed = zkaudit_prover::ceremony::required_ptau_power(shape.r1cs()?.domain_size());
    let started = Instant::now();
    let (ptau, power) = phase_one(data, needed)?;
    let phase1_secs = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let ceremony = format!("{id}-{run}");
    let office = read_signing_key(&data.join(format!("{OFFICE}.key")))?;
    steps::start(
        client,
        &office,
        Opening {
            id: &ceremony,
            shape,
            ptau: &ptau,
            phase1_name: None,
            contributors: Vec::new(),
        },
    )?;
    for n in 1..=CONTRIBUTORS {
        let contributor = contributor_key(data, n)?;
        steps::contribute(
            client,
            &contributor,
            &ceremony,
            &format!("demo contributor {n}"),
            &mut contribution_rng(b""),
        )?;
    }
    // A real ceremony announces a future public value in advance (a block
    // hash, a lottery draw); the demo takes the run number.
    let beacon_value = format!("demo beacon {run}").into_bytes();
    steps::finalize(client, &office, &ceremony, &beacon_value, 10, "demo beacon")?;
    let (digest, _) = logged_key(client, &id)?.context("the ceremony's key was not logged")?;
    println!(
        "   {id}: key from a ceremony — phase 1 (power {power}, 2 contributors and a beacon) \
         {phase1_secs:.1} s{}, phase 2 on the service ({CONTRIBUTORS} contributors, each \
         verified before it was logged, and a beacon) {:.1} s",
        if phase1_secs < 1.0 {
            " (made by an earlier scenario)"
        } else {
            ""
        },
        started.elapsed().as_secs_f64()
    );
    Ok(Some(digest))
}

/// The digest of `shape`'s logged circuit key and whether it is a
/// development key; `None` before one is logged.
pub(crate) fn logged_key(client: &Client, shape: &str) -> Result<Option<([u8; 32], bool)>> {
    let Ok(view) = client.get_json(&format!("/v1/identity/keys/{shape}")) else {
        return Ok(None);
    };
    let digest = crate::client::keys::hex32(
        "key digest",
        view["vk_digest"].as_str().context("the key's digest")?,
    )?;
    Ok(Some((
        digest,
        view["development"].as_bool().unwrap_or(true),
    )))
}

/// A prepared phase-1 file of at least `power` in the service's `ptau`
/// directory: one an earlier scenario or run made, or a new one made here
/// (two contributors and a beacon) and kept.
fn phase_one(data: &Path, power: u32) -> Result<(PathBuf, u32)> {
    let dir = data.join("ptau");
    let cached = (power..=MAX_IN_MEMORY_POWER)
        .map(|p| (dir.join(format!("demo-pot{p}.ptau")), p))
        .find(|(path, _)| path.exists());
    if let Some(found) = cached {
        return Ok(found);
    }
    let path = dir.join(format!("demo-pot{power}.ptau"));
    std::fs::create_dir_all(&dir)?;
    let mut file = new_powers_of_tau(power)?;
    for name in ["demo phase-1 contributor 1", "demo phase-1 contributor 2"] {
        file = contribute(&file, name, &mut contribution_rng(b""))?.0;
    }
    let (file, _) = beacon(&file, "demo phase-1 beacon", b"demo phase 1", 10)?;
    let prepared: PowersOfTau = prepare_phase2(&file);
    let partial = path.with_extension("ptau.partial");
    std::fs::write(&partial, prepared.to_bytes())?;
    std::fs::rename(&partial, &path)?;
    Ok((path, power))
}

/// Contributor `n`'s key, kept beside the config (made on first use).
fn contributor_key(data: &Path, n: usize) -> Result<NoteSigningKey> {
    let path = data.join(format!("demo-contributor-{n}.key"));
    if !path.exists() {
        let key = NoteSigningKey::generate(&format!("demo-contributor-{n}"), &mut OsRng)?;
        write_secret_file(&path, &key.to_skey_string())?;
    }
    read_signing_key(&path)
}
