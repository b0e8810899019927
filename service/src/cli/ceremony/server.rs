//! The ceremony coordinated by the service: the authority starts and
//! finalises it, contributors download the current key, contribute and
//! upload the next one with a signed record, and anyone verifies it from
//! the log.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use blake2::Blake2b512;
use blake2::Digest as _;
use rand::{CryptoRng, RngCore};
use sha3::Digest as _;
use sha3::Sha3_256;
use zkaudit_ledger::ceremony::{
    CONTRIBUTE, CeremonyStart, DOMAIN, FINALIZE, Finalisation, MAX_NAME, Phase1, START, Step,
};
use zkaudit_prover::ceremony::{
    beacon as apply_beacon, contribute as add_contribution, initial_key,
};
use zkaudit_prover::iden3::{Ptau, Zkey};
use zkaudit_verifier::groth16;

use super::print_report;
use crate::cli::circuit::Shape;
use crate::cli::output::print_logged;
use crate::client::ceremony::{self as remote, CheckedCeremony};
use crate::client::keys::{hex32, log_key};
use crate::client::{Client, ClientError};
use crate::domains::ceremony::views::CeremonyView;
use crate::keyfile::read_signing_key;

/// What `ceremony start` needs.
pub(crate) struct StartArgs<'a> {
    pub server: &'a str,
    pub key: &'a Path,
    pub id: &'a str,
    pub shape: Shape,
    pub ptau: &'a Path,
    pub phase1_name: Option<&'a str>,
    pub invite: &'a [String],
}

/// `ceremony start`: computes the initial key here (the service does too,
/// and logs the start only if the two agree).
pub(crate) fn start(a: StartArgs<'_>) -> Result<()> {
    let client = Client::new(a.server);
    let signer = read_signing_key(a.key)?;
    let bytes =
        std::fs::read(a.ptau).with_context(|| format!("cannot read {}", a.ptau.display()))?;
    let name = match a.phase1_name {
        Some(name) => name.to_owned(),
        None => a
            .ptau
            .file_name()
            .and_then(|n| n.to_str())
            .context("name the phase-1 file with --phase1-name")?
            .to_owned(),
    };
    let phase1 = Ptau::parse(&bytes).with_context(|| format!("{} refused", a.ptau.display()))?;
    let started = Instant::now();
    let key = initial_key(&a.shape.r1cs()?, &phase1)?;
    let initial: [u8; 32] = Sha3_256::digest(key.to_bytes()).into();
    eprintln!(
        "initial key of {} computed in {:.1} s",
        a.shape.id(),
        started.elapsed().as_secs_f64()
    );
    let mut contributors = a
        .invite
        .iter()
        .map(|k| hex32("contributor key", k))
        .collect::<Result<Vec<_>>>()?;
    contributors.sort_unstable();
    contributors.dedup();
    let start = CeremonyStart {
        id: a.id.to_owned(),
        shape: a.shape.id(),
        phase1: Phase1 {
            name,
            blake2b: Blake2b512::digest(&bytes).into(),
        },
        initial_key: initial,
        contributors,
    };
    let receipt = client.append_signed(&signer, DOMAIN, START, start.encode())?;
    print_logged(&format!("ceremony {} for {}", a.id, a.shape.id()), &receipt);
    println!("initial key sha3-256 {}", hex::encode(initial));
    Ok(())
}

/// `ceremony contribute --server`: the next contribution, on the current key.
pub(crate) fn contribute<R: RngCore + CryptoRng>(
    server: &str,
    ceremony: &str,
    key: &Path,
    name: &str,
    rng: &mut R,
) -> Result<()> {
    check_name(name)?;
    let client = Client::new(server);
    let signer = read_signing_key(key)?;
    let (view, current) = current_key(&client, ceremony)?;
    let me = hex::encode(signer.public_key().as_bytes());
    ensure!(
        view.invited.is_empty() || view.invited.contains(&me),
        "your key {me} is not on ceremony {ceremony}'s list of contributors"
    );
    let started = Instant::now();
    let (next, hash) = add_contribution(&current, name, rng)?;
    let bytes = next.to_bytes();
    let step = next_step(&view, name, &bytes, hash)?;
    eprintln!(
        "contributed in {:.1} s; uploading {} bytes",
        started.elapsed().as_secs_f64(),
        bytes.len()
    );
    let record = client.sign(&signer, DOMAIN, CONTRIBUTE, step.encode())?;
    let receipt = upload(&client, ceremony, &record, &bytes)?;
    print_logged(
        &format!("contribution #{} to {ceremony}", step.number),
        &receipt,
    );
    println!("contribution hash {}", hex::encode(hash));
    println!("keep this hash: it identifies your contribution in the transcript");
    Ok(())
}

/// `ceremony finalize`: the beacon on the current key; the service then
/// logs the final verifying key as the shape's circuit key.
pub(crate) fn finalize(
    server: &str,
    ceremony: &str,
    key: &Path,
    beacon: &[u8],
    iterations_exp: u8,
    name: &str,
) -> Result<()> {
    check_name(name)?;
    let client = Client::new(server);
    let signer = read_signing_key(key)?;
    let (view, current) = current_key(&client, ceremony)?;
    let (next, hash) = apply_beacon(&current, name, beacon, iterations_exp)?;
    let bytes = next.to_bytes();
    let vk_digest = groth16::vk_digest(&next.pk.vk);
    let finalisation = Finalisation {
        step: next_step(&view, name, &bytes, hash)?,
        beacon: beacon.to_vec(),
        iterations_exp,
        vk_digest,
    };
    let record = client.sign(&signer, DOMAIN, FINALIZE, finalisation.encode())?;
    let receipt = upload(&client, ceremony, &record, &bytes)?;
    print_logged(&format!("the beacon closing {ceremony}"), &receipt);
    println!(
        "{} circuit key: verifying key sha3-256 {}",
        view.shape,
        hex::encode(vk_digest)
    );
    Ok(())
}

/// `ceremony status`.
pub(super) fn status(server: &str, ceremony: &str) -> Result<()> {
    let view = remote::view(&Client::new(server), ceremony)?;
    println!("ceremony {} for {}: {}", view.id, view.shape, view.status);
    println!(
        "phase 1 {} (blake2b {}…)",
        view.phase1_name,
        &view.phase1_blake2b[..16]
    );
    println!(
        "coordinator {}",
        view.coordinator.as_deref().unwrap_or(&view.coordinator_key)
    );
    if view.invited.is_empty() {
        println!("open to anyone");
    } else {
        println!("{} invited contributors", view.invited.len());
    }
    for c in view
        .contributions
        .iter()
        .chain(view.beacon.iter().map(|b| &b.step))
    {
        println!(
            "  #{} {} (key {}…) at index {}: hash {}…",
            c.number,
            c.name,
            &c.signer_key[..16],
            c.index,
            &c.contribution_hash[..16]
        );
    }
    println!("current key sha3-256 {}", view.head);
    if let Some(beacon) = &view.beacon {
        println!("final verifying key sha3-256 {}", beacon.vk_digest);
    }
    Ok(())
}

/// `ceremony verify --server`.
pub(super) fn verify(server: &str, ceremony: &str, log_vkey: Option<&str>) -> Result<()> {
    let client = Client::new(server);
    let log_vkey = log_key(&client, log_vkey)?;
    let started = Instant::now();
    let CheckedCeremony {
        transcript,
        contributions,
        key,
    } = remote::check(&client, ceremony, &log_vkey)?;
    let c = &transcript.ceremony;
    println!(
        "ceremony {} opened by {} at index {} over {} (blake2b {}…)",
        c.start.id,
        transcript.coordinator,
        c.index,
        c.start.phase1.name,
        &hex::encode(c.start.phase1.blake2b)[..16]
    );
    for logged in &c.contributions {
        println!(
            "  #{} signed by {} at index {}",
            logged.step.number,
            hex::encode(logged.signer.as_bytes()),
            logged.index
        );
    }
    print_report(&c.start.shape, &key, &contributions)?;
    match &transcript.circuit_key {
        Some((_, index)) => println!(
            "logged as the circuit key of {} at index {index} (checkpoint size {})",
            c.start.shape, transcript.checkpoint.size
        ),
        None => println!(
            "the ceremony is still open: no beacon yet, and no circuit key (checked {:.1} s)",
            started.elapsed().as_secs_f64()
        ),
    }
    Ok(())
}

/// The step that adds the key `bytes` (contribution hash `hash`, by
/// `name`) to the ceremony as it stands in `view`.
fn next_step(view: &CeremonyView, name: &str, bytes: &[u8], hash: [u8; 64]) -> Result<Step> {
    Ok(Step {
        ceremony: view.id.clone(),
        number: view.next_number,
        name: name.to_owned(),
        previous_key: hex32("current key", &view.head)?,
        key: Sha3_256::digest(bytes).into(),
        contribution_hash: hash,
    })
}

/// Contributor and beacon names as the log takes them.
fn check_name(name: &str) -> Result<()> {
    ensure!(
        !name.is_empty() && name.len() <= MAX_NAME && !name.chars().any(char::is_control),
        "the name must be 1 to {MAX_NAME} bytes without control characters"
    );
    Ok(())
}

/// The ceremony's state and its current key, checked against its digest.
fn current_key(
    client: &Client,
    ceremony: &str,
) -> Result<(crate::domains::ceremony::views::CeremonyView, Zkey)> {
    let view = remote::view(client, ceremony)?;
    if view.status != "open" {
        bail!("ceremony {ceremony} is finalised");
    }
    let bytes = remote::key(client, &view.head)?;
    let key = Zkey::for_contribution(&bytes).context("the current key is malformed")?;
    Ok((view, key))
}

/// Uploads a step, explaining a lost race.
fn upload(
    client: &Client,
    ceremony: &str,
    record: &zkaudit_ledger::record::Record,
    bytes: &[u8],
) -> Result<zkaudit_verifier::Receipt> {
    remote::upload(client, ceremony, record, bytes).map_err(|e| {
        let stale = e
            .downcast_ref::<ClientError>()
            .and_then(ClientError::code)
            .is_some_and(|code| matches!(code, "stale_key" | "already_used"));
        if stale {
            e.context("another step was logged first: run the command again to build on it")
        } else {
            e
        }
    })
}
