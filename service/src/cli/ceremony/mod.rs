//! `zkaudit ceremony …`: a Groth16 phase-2 ceremony on files, compatible
//! with snarkjs (each step's output is a `.zkey` that `snarkjs zkey
//! verify` accepts, and snarkjs' contributions verify here).

use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use zkaudit_prover::ceremony::{
    self, CeremonyError, VerifiedContribution, beacon, contribute, contribution_rng,
};
use zkaudit_prover::iden3::{ContributionKind, Ptau, Zkey};
use zkaudit_verifier::groth16;

use crate::cli::circuit::ShapeArgs;

/// `zkaudit ceremony …`.
#[derive(Subcommand, Debug)]
pub enum CeremonyCommand {
    /// Compute a shape's initial key from a prepared phase-1 .ptau (as `snarkjs groth16 setup`).
    New {
        /// The shape.
        #[command(flatten)]
        shape: ShapeArgs,
        /// Phase-1 powers of tau, prepared for phase 2.
        #[arg(long)]
        ptau: PathBuf,
        /// Where to write the initial .zkey.
        #[arg(long)]
        out: PathBuf,
    },
    /// Add your contribution: OS randomness (and, with --ask-entropy, a line you type).
    Contribute {
        /// The current key.
        #[arg(long)]
        zkey: PathBuf,
        /// Where to write the new key.
        #[arg(long)]
        out: PathBuf,
        /// Your name, as the transcript will show it.
        #[arg(long)]
        name: String,
        /// Also mix in a line read from standard input (dice, a phrase).
        #[arg(long)]
        ask_entropy: bool,
    },
    /// Finalise with a public random beacon announced in advance.
    Beacon {
        /// The current key.
        #[arg(long)]
        zkey: PathBuf,
        /// Where to write the final key.
        #[arg(long)]
        out: PathBuf,
        /// The beacon value, hex (e.g. a future block hash).
        #[arg(long)]
        beacon: String,
        /// log2 of the SHA-256 iterations applied to it (10 to 63).
        #[arg(long, default_value_t = 10)]
        iterations_exp: u8,
        /// Name of the beacon in the transcript.
        #[arg(long, default_value = "final beacon")]
        name: String,
    },
    /// Verify a whole ceremony from the .ptau and the shape to the final key.
    Verify {
        /// The shape.
        #[command(flatten)]
        shape: ShapeArgs,
        /// The phase-1 file the ceremony started from.
        #[arg(long)]
        ptau: PathBuf,
        /// The ceremony's last key.
        #[arg(long)]
        zkey: PathBuf,
    },
}

/// Runs `zkaudit ceremony …`.
pub fn run(cmd: CeremonyCommand) -> Result<()> {
    match cmd {
        CeremonyCommand::New { shape, ptau, out } => {
            let shape = shape.shape()?;
            let ptau_bytes = read(&ptau)?;
            let phase1 =
                Ptau::parse(&ptau_bytes).with_context(|| format!("{} refused", ptau.display()))?;
            let key = ceremony::initial_key(&shape.r1cs()?, &phase1)?;
            write(&out, &key)?;
            let hash = key.mpc.as_ref().map(|m| m.cs_hash).unwrap_or([0; 64]);
            println!("{} initial key written to {}", shape.id(), out.display());
            println!("circuit hash {}", hex::encode(hash));
        }
        CeremonyCommand::Contribute {
            zkey,
            out,
            name,
            ask_entropy,
        } => {
            let key = Zkey::for_contribution(&read(&zkey)?)
                .with_context(|| format!("{} refused", zkey.display()))?;
            let mut typed = String::new();
            if ask_entropy {
                eprintln!("type some random text and press enter:");
                std::io::stdin().lock().read_line(&mut typed)?;
            }
            let mut rng = contribution_rng(typed.as_bytes());
            zeroize::Zeroize::zeroize(&mut typed);
            let (next, hash) = contribute(&key, &name, &mut rng)?;
            write(&out, &next)?;
            println!("contribution #{} by {name}", next.contributions());
            println!("contribution hash {}", hex::encode(hash));
            println!("keep this hash: it identifies your contribution in the transcript");
        }
        CeremonyCommand::Beacon {
            zkey,
            out,
            beacon: value,
            iterations_exp,
            name,
        } => {
            let key = read_zkey(&zkey)?;
            let value = hex::decode(value.trim_start_matches("0x"))
                .context("the beacon must be hexadecimal")?;
            let (next, hash) = beacon(&key, &name, &value, iterations_exp)?;
            write(&out, &next)?;
            println!("beacon applied; contribution hash {}", hex::encode(hash));
            println!(
                "final verifying key sha3-256 {}",
                hex::encode(groth16::vk_digest(&next.pk.vk))
            );
        }
        CeremonyCommand::Verify { shape, ptau, zkey } => {
            let shape = shape.shape()?;
            let key = read_zkey(&zkey)?;
            let ptau_bytes = read(&ptau)?;
            let phase1 =
                Ptau::parse(&ptau_bytes).with_context(|| format!("{} refused", ptau.display()))?;
            let report =
                ceremony::verify_ceremony(&shape.r1cs()?, &phase1, &key, &mut rand::rngs::OsRng)
                    .map_err(|e: CeremonyError| {
                        anyhow::anyhow!("the ceremony does not verify: {e}")
                    })?;
            print_report(&shape.id(), &key, &report)?;
        }
    }
    Ok(())
}

fn print_report(shape: &str, key: &Zkey, report: &[VerifiedContribution]) -> Result<()> {
    println!("ceremony for {shape}: VERIFIED");
    for (i, c) in report.iter().enumerate() {
        let name = c.name.as_deref().unwrap_or("(unnamed)");
        match &c.kind {
            ContributionKind::Contributor => println!("  #{} {name}", i + 1),
            ContributionKind::Beacon {
                iterations_exp,
                hash,
            } => println!(
                "  #{} {name}: beacon {} with 2^{iterations_exp} SHA-256 iterations",
                i + 1,
                hex::encode(hash)
            ),
        }
        println!("      contribution hash {}", hex::encode(c.hash));
    }
    let contributors = report
        .iter()
        .filter(|c| c.kind == ContributionKind::Contributor)
        .count();
    if contributors == 0 {
        bail!("no one contributed: the key's toxic waste is public (a development key at best)");
    }
    println!(
        "the key is sound if any one of these {contributors} contributors was honest; \
         verifying key sha3-256 {}",
        hex::encode(groth16::vk_digest(&key.pk.vk))
    );
    Ok(())
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
