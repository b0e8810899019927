//! The ceremony coordinated by the service: the authority starts and
//! finalises it, contributors download the current key, contribute and
//! upload the next one with a signed record, and anyone verifies it from
//! the log.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use rand::{CryptoRng, RngCore};

use super::print_report;
use crate::cli::circuit::Shape;
use crate::cli::output::print_logged;
use crate::client::Client;
use crate::client::ceremony::steps::{self, Opening};
use crate::client::ceremony::{self as remote, CheckedCeremony};
use crate::client::keys::{hex32, log_key};
use crate::keyfile::read_signing_key;

/// What `ceremony start` needs.
pub(super) struct StartArgs<'a> {
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
pub(super) fn start(a: StartArgs<'_>) -> Result<()> {
    let contributors = a
        .invite
        .iter()
        .map(|k| hex32("contributor key", k))
        .collect::<Result<Vec<_>>>()?;
    let started = steps::start(
        &Client::new(a.server),
        &read_signing_key(a.key)?,
        Opening {
            id: a.id,
            shape: a.shape,
            ptau: a.ptau,
            phase1_name: a.phase1_name,
            contributors,
        },
    )?;
    eprintln!(
        "initial key of {} computed in {:.1} s",
        a.shape.id(),
        started.seconds
    );
    print_logged(
        &format!("ceremony {} for {}", a.id, a.shape.id()),
        &started.receipt,
    );
    println!("initial key sha3-256 {}", hex::encode(started.initial_key));
    Ok(())
}

/// `ceremony contribute --server`: the next contribution, on the current key.
pub(super) fn contribute<R: RngCore + CryptoRng>(
    server: &str,
    ceremony: &str,
    key: &Path,
    name: &str,
    rng: &mut R,
) -> Result<()> {
    let step = steps::contribute(
        &Client::new(server),
        &read_signing_key(key)?,
        ceremony,
        name,
        rng,
    )?;
    eprintln!(
        "contributed in {:.1} s; uploaded {} bytes",
        step.seconds, step.bytes
    );
    print_logged(
        &format!("contribution #{} to {ceremony}", step.number),
        &step.receipt,
    );
    println!("contribution hash {}", hex::encode(step.hash));
    println!("keep this hash: it identifies your contribution in the transcript");
    Ok(())
}

/// `ceremony finalize`: the beacon on the current key; the service then
/// logs the final verifying key as the shape's circuit key.
pub(super) fn finalize(
    server: &str,
    ceremony: &str,
    key: &Path,
    beacon: &[u8],
    iterations_exp: u8,
    name: &str,
) -> Result<()> {
    let client = Client::new(server);
    let (step, vk_digest) = steps::finalize(
        &client,
        &read_signing_key(key)?,
        ceremony,
        beacon,
        iterations_exp,
        name,
    )?;
    print_logged(&format!("the beacon closing {ceremony}"), &step.receipt);
    let shape = remote::view(&client, ceremony)?.shape;
    println!(
        "{shape} circuit key: verifying key sha3-256 {}",
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
