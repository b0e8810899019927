//! Writing to a ceremony on the service: the authority starts it (the
//! initial key computed here too, so the service logs the start only if
//! both agree), contributors add a step on the current key, and the
//! authority closes it with a beacon. Each step's new key is uploaded with
//! its signed record; the service verifies it before logging it.

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
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;
use zkaudit_prover::ceremony::{
    beacon as apply_beacon, contribute as add_contribution, initial_key,
};
use zkaudit_prover::iden3::{Ptau, Zkey};
use zkaudit_verifier::{Receipt, groth16};

use super::{key, upload, view};
use crate::client::keys::hex32;
use crate::client::{Client, ClientError};
use crate::domains::ceremony::Shape;
use crate::domains::ceremony::views::CeremonyView;

/// A ceremony to open.
pub struct Opening<'a> {
    /// The ceremony id, e.g. `ballot-2027`.
    pub id: &'a str,
    /// The shape it makes the key of.
    pub shape: Shape,
    /// The prepared phase-1 file (the service holds the same file).
    pub ptau: &'a Path,
    /// Its name on the service (default: the file's name).
    pub phase1_name: Option<&'a str>,
    /// The invited contributors' keys (none: anyone may contribute).
    pub contributors: Vec<[u8; 32]>,
}

/// A logged start.
pub struct Started {
    /// The start record's receipt.
    pub receipt: Receipt,
    /// SHA3-256 of the initial key.
    pub initial_key: [u8; 32],
    /// Seconds spent computing the initial key here.
    pub seconds: f64,
}

/// A logged step (a contribution or the beacon).
pub struct Stepped {
    /// The step record's receipt.
    pub receipt: Receipt,
    /// The step's number.
    pub number: u32,
    /// Its contribution hash (what the contributor keeps).
    pub hash: [u8; 64],
    /// Seconds spent contributing here.
    pub seconds: f64,
    /// Bytes uploaded.
    pub bytes: usize,
}

/// Opens a ceremony, signed by `signer` (an authority granted
/// `ceremony/start`).
///
/// # Errors
///
/// An unreadable phase-1 file, or the service's refusal.
pub fn start(client: &Client, signer: &NoteSigningKey, opening: Opening<'_>) -> Result<Started> {
    let bytes = std::fs::read(opening.ptau)
        .with_context(|| format!("cannot read {}", opening.ptau.display()))?;
    let name = match opening.phase1_name {
        Some(name) => name.to_owned(),
        None => opening
            .ptau
            .file_name()
            .and_then(|n| n.to_str())
            .context("name the phase-1 file")?
            .to_owned(),
    };
    let phase1 =
        Ptau::parse(&bytes).with_context(|| format!("{} refused", opening.ptau.display()))?;
    let started = Instant::now();
    let key = initial_key(&opening.shape.r1cs()?, &phase1)?;
    let initial: [u8; 32] = Sha3_256::digest(key.to_bytes()).into();
    let seconds = started.elapsed().as_secs_f64();
    let mut contributors = opening.contributors;
    contributors.sort_unstable();
    contributors.dedup();
    let start = CeremonyStart {
        id: opening.id.to_owned(),
        shape: opening.shape.id(),
        phase1: Phase1 {
            name,
            blake2b: Blake2b512::digest(&bytes).into(),
        },
        initial_key: initial,
        contributors,
    };
    let receipt = client.append_signed(signer, DOMAIN, START, start.encode())?;
    Ok(Started {
        receipt,
        initial_key: initial,
        seconds,
    })
}

/// Adds `signer`'s contribution, named `name`, on the current key.
///
/// # Errors
///
/// A signer not invited, a finalised ceremony, a lost race (another step
/// was logged first: run again) or the service's refusal.
pub fn contribute<R: RngCore + CryptoRng>(
    client: &Client,
    signer: &NoteSigningKey,
    ceremony: &str,
    name: &str,
    rng: &mut R,
) -> Result<Stepped> {
    check_name(name)?;
    let (view, current) = current_key(client, ceremony)?;
    let me = hex::encode(signer.public_key().as_bytes());
    ensure!(
        view.invited.is_empty() || view.invited.contains(&me),
        "your key {me} is not on ceremony {ceremony}'s list of contributors"
    );
    let started = Instant::now();
    let (next, hash) = add_contribution(&current, name, rng)?;
    let seconds = started.elapsed().as_secs_f64();
    let bytes = next.to_bytes();
    let step = next_step(&view, name, &bytes, hash)?;
    let record = client.sign(signer, DOMAIN, CONTRIBUTE, step.encode())?;
    let receipt = upload_step(client, ceremony, &record, &bytes)?;
    Ok(Stepped {
        receipt,
        number: step.number,
        hash,
        seconds,
        bytes: bytes.len(),
    })
}

/// Closes the ceremony with the beacon `value` (`2^iterations_exp`
/// SHA-256 rounds); the service then logs the final verifying key as the
/// shape's circuit key. Returns the step and that key's digest.
///
/// # Errors
///
/// As [`contribute`]; also a signer other than the coordinator.
pub fn finalize(
    client: &Client,
    signer: &NoteSigningKey,
    ceremony: &str,
    value: &[u8],
    iterations_exp: u8,
    name: &str,
) -> Result<(Stepped, [u8; 32])> {
    check_name(name)?;
    let (view, current) = current_key(client, ceremony)?;
    let started = Instant::now();
    let (next, hash) = apply_beacon(&current, name, value, iterations_exp)?;
    let seconds = started.elapsed().as_secs_f64();
    let bytes = next.to_bytes();
    let vk_digest = groth16::vk_digest(&next.pk.vk);
    let finalisation = Finalisation {
        step: next_step(&view, name, &bytes, hash)?,
        beacon: value.to_vec(),
        iterations_exp,
        vk_digest,
    };
    let number = finalisation.step.number;
    let record = client.sign(signer, DOMAIN, FINALIZE, finalisation.encode())?;
    let receipt = upload_step(client, ceremony, &record, &bytes)?;
    Ok((
        Stepped {
            receipt,
            number,
            hash,
            seconds,
            bytes: bytes.len(),
        },
        vk_digest,
    ))
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
fn current_key(client: &Client, ceremony: &str) -> Result<(CeremonyView, Zkey)> {
    let view = view(client, ceremony)?;
    if view.status != "open" {
        bail!("ceremony {ceremony} is finalised");
    }
    let bytes = key(client, &view.head)?;
    let key = Zkey::for_contribution(&bytes).context("the current key is malformed")?;
    Ok((view, key))
}

/// Uploads a step, explaining a lost race.
fn upload_step(client: &Client, ceremony: &str, record: &Record, bytes: &[u8]) -> Result<Receipt> {
    upload(client, ceremony, record, bytes).map_err(|e| {
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
