//! The ceremony on files: each step reads a `.zkey` and writes the next.

use std::path::Path;

use anyhow::{Context, Result};
use rand::{CryptoRng, RngCore};
use zkaudit_prover::ceremony::{self, beacon as apply_beacon, contribute as add_contribution};
use zkaudit_prover::iden3::{Ptau, Zkey};
use zkaudit_verifier::groth16;

use super::print_report;
use crate::cli::circuit::Shape;

/// `ceremony new`: the initial key of `shape` over the phase-1 file.
pub(super) fn new(shape: &Shape, ptau: &Path, out: &Path) -> Result<()> {
    let ptau_bytes = read(ptau)?;
    let phase1 = Ptau::parse(&ptau_bytes).with_context(|| format!("{} refused", ptau.display()))?;
    let key = ceremony::initial_key(&shape.r1cs()?, &phase1)?;
    write(out, &key)?;
    let hash = key.mpc.as_ref().map(|m| m.cs_hash).unwrap_or([0; 64]);
    println!("{} initial key written to {}", shape.id(), out.display());
    println!("circuit hash {}", hex::encode(hash));
    Ok(())
}

/// `ceremony contribute --zkey --out`.
pub(super) fn contribute<R: RngCore + CryptoRng>(
    zkey: &Path,
    out: &Path,
    name: &str,
    rng: &mut R,
) -> Result<()> {
    let key = Zkey::for_contribution(&read(zkey)?)
        .with_context(|| format!("{} refused", zkey.display()))?;
    let (next, hash) = add_contribution(&key, name, rng)?;
    write(out, &next)?;
    println!("contribution #{} by {name}", next.contributions());
    println!("contribution hash {}", hex::encode(hash));
    println!("keep this hash: it identifies your contribution in the transcript");
    Ok(())
}

/// `ceremony beacon --zkey --out`.
pub(super) fn beacon(
    zkey: &Path,
    out: &Path,
    value: &[u8],
    iterations_exp: u8,
    name: &str,
) -> Result<()> {
    let key = read_zkey(zkey)?;
    let (next, hash) = apply_beacon(&key, name, value, iterations_exp)?;
    write(out, &next)?;
    println!("beacon applied; contribution hash {}", hex::encode(hash));
    println!(
        "final verifying key sha3-256 {}",
        hex::encode(groth16::vk_digest(&next.pk.vk))
    );
    Ok(())
}

/// `ceremony verify --circuit … --ptau --zkey`.
pub(super) fn verify(shape: &Shape, ptau: &Path, zkey: &Path) -> Result<()> {
    let key = read_zkey(zkey)?;
    let ptau_bytes = read(ptau)?;
    let phase1 = Ptau::parse(&ptau_bytes).with_context(|| format!("{} refused", ptau.display()))?;
    let report = ceremony::verify_ceremony(&shape.r1cs()?, &phase1, &key, &mut rand::rngs::OsRng)
        .map_err(|e| anyhow::anyhow!("the ceremony does not verify: {e}"))?;
    print_report(&shape.id(), &key, &report)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn read_zkey(path: &Path) -> Result<Zkey> {
    Zkey::from_bytes(&read(path)?).with_context(|| format!("{} refused", path.display()))
}

fn write(path: &Path, key: &Zkey) -> Result<()> {
    std::fs::write(path, key.to_bytes()).with_context(|| format!("cannot write {}", path.display()))
}
