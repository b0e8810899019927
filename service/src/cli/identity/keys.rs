//! `zkaudit setup` and `zkaudit keys …`: development keys for an
//! eligibility shape, and exporting a verifying key.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use zkaudit_circuits::eligibility::{EligibilityCircuit, EligibilityShape};
use zkaudit_prover::KeyCache;
use zkaudit_verifier::groth16;
use zkaudit_verifier::snarkjs;

use crate::cli::circuit::ShapeArgs;

/// `zkaudit keys …`.
#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Export a circuit's verifying key (snarkjs verification_key.json, or compressed binary).
    Export {
        /// Key directory (`<data>/keys` of a server, or a holder's key cache).
        #[arg(long, default_value = "zkaudit-data/keys")]
        keys: PathBuf,
        /// Shape id, e.g. eligibility-d20-a3.
        #[arg(long)]
        shape: String,
        /// `snarkjs` or `binary`.
        #[arg(long, default_value = "snarkjs")]
        format: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Import a Groth16 .zkey made by snarkjs or p0tion for a shape's exported .r1cs.
    ImportZkey {
        /// Key directory (`<data>/keys` of a server, before it logs the shape's key).
        #[arg(long, default_value = "zkaudit-data/keys")]
        keys: PathBuf,
        /// The shape the key is for.
        #[command(flatten)]
        shape: ShapeArgs,
        /// The .zkey file (the ceremony's final key).
        #[arg(long)]
        zkey: PathBuf,
    },
}

/// `zkaudit setup`.
#[derive(Args, Debug)]
pub struct SetupArgs {
    /// Key directory.
    #[arg(long, default_value = "zkaudit-data/keys")]
    pub keys: PathBuf,
    /// Registry tree depth.
    #[arg(long, default_value_t = 20)]
    pub depth: usize,
    /// Attributes per credential.
    #[arg(long, default_value_t = 3)]
    pub attributes: usize,
}

/// Runs `zkaudit setup`.
pub fn setup(a: SetupArgs) -> Result<()> {
    let shape = EligibilityShape::new(a.depth, a.attributes)?;
    let keys =
        KeyCache::new(&a.keys).load_or_create(&shape.id(), || EligibilityCircuit::blank(shape))?;
    eprintln!(
        "WARNING: these are DEVELOPMENT keys from a single-party setup; whoever ran it could forge proofs. \
         Production keys come from a multi-party ceremony."
    );
    println!(
        "{} vk sha3-256 {}",
        shape.id(),
        hex::encode(keys.vk_digest())
    );
    Ok(())
}

/// Runs `zkaudit keys …`.
pub fn run(cmd: KeysCommand) -> Result<()> {
    match cmd {
        KeysCommand::Export {
            keys,
            shape,
            format,
            out,
        } => export(&keys, &shape, &format, &out),
        KeysCommand::ImportZkey { keys, shape, zkey } => import_zkey(&keys, &shape, &zkey),
    }
}

fn import_zkey(keys: &Path, shape: &ShapeArgs, zkey: &Path) -> Result<()> {
    let shape = shape.shape()?;
    let bytes = std::fs::read(zkey).with_context(|| format!("cannot read {}", zkey.display()))?;
    let (imported, manifest) = shape
        .import_zkey(&KeyCache::new(keys), &bytes)
        .with_context(|| format!("{} refused", zkey.display()))?;
    let source = manifest
        .zkey
        .unwrap_or_else(|| unreachable!("an import records its source"));
    println!(
        "{} vk sha3-256 {}",
        shape.id(),
        hex::encode(imported.vk_digest())
    );
    println!("zkey sha3-256 {}", source.zkey_sha3_256);
    println!("circuit hash  {}", source.circuit_hash);
    println!("contributions {}", source.contributions.len());
    for (i, name) in source.contributions.iter().enumerate() {
        println!(
            "  #{} {}",
            i + 1,
            if name.is_empty() { "(unnamed)" } else { name }
        );
    }
    if manifest.development {
        eprintln!(
            "WARNING: this key has no phase-2 contribution: anyone can forge proofs with it. \
             It is stored as a DEVELOPMENT key."
        );
    }
    Ok(())
}

fn export(keys: &Path, shape: &str, format: &str, out: &Path) -> Result<()> {
    let loaded = KeyCache::new(keys)
        .load(shape)?
        .with_context(|| format!("no keys for {shape} in {}", keys.display()))?;
    match format {
        "snarkjs" => std::fs::write(out, snarkjs::export_vk(&loaded.vk))?,
        "binary" => std::fs::write(out, groth16::encode_vk(&loaded.vk))?,
        other => bail!("unknown format {other:?}: use snarkjs or binary"),
    }
    eprintln!(
        "verifying key of {shape} (sha3-256 {}) written to {}",
        hex::encode(loaded.vk_digest()),
        out.display()
    );
    Ok(())
}
