//! `zkaudit ptau …`: phase 1 of the ceremony (powers of tau) on files,
//! compatible with snarkjs' `powersoftau` commands — for an operator who
//! cannot download the public Perpetual Powers of Tau files, or wants a
//! phase 1 of their own contributors.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use zkaudit_prover::iden3::{MAX_IN_MEMORY_POWER, PowersOfTau};
use zkaudit_prover::phase1::{
    beacon, contribute, new_powers_of_tau, prepare_phase2, verify_powers_of_tau,
};

use super::{contributors, entropy, hex_beacon, print_contribution};

/// `zkaudit ptau …`.
#[derive(Subcommand, Debug)]
pub enum PtauCommand {
    /// Start a phase-1 file at a power (the largest circuit it serves has
    /// 2^power constraints), as `snarkjs powersoftau new`.
    New {
        /// log2 of the largest domain (1 to 20; the ballot shape needs 15).
        #[arg(long)]
        power: u32,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
    },
    /// Add your contribution (OS randomness, and with --ask-entropy a line
    /// you type), as `snarkjs powersoftau contribute`.
    Contribute {
        /// The current file.
        #[arg(long = "in")]
        input: PathBuf,
        /// Where to write the new file.
        #[arg(long)]
        out: PathBuf,
        /// Your name, as the transcript will show it.
        #[arg(long)]
        name: String,
        /// Also mix in a line read from standard input (dice, a phrase).
        #[arg(long)]
        ask_entropy: bool,
    },
    /// Close phase 1 with a public random beacon announced in advance.
    Beacon {
        /// The current file.
        #[arg(long = "in")]
        input: PathBuf,
        /// Where to write the new file.
        #[arg(long)]
        out: PathBuf,
        /// The beacon value, hex (e.g. a future block hash).
        #[arg(long)]
        beacon: String,
        /// log2 of the SHA-256 iterations applied to it (10 to 63).
        #[arg(long, default_value_t = 10)]
        iterations_exp: u8,
        /// Name of the beacon in the transcript.
        #[arg(long, default_value = "phase 1 beacon")]
        name: String,
    },
    /// Add the Lagrange sections phase 2 starts from, as `snarkjs
    /// powersoftau prepare phase2`.
    Prepare {
        /// The finished phase-1 file.
        #[arg(long = "in")]
        input: PathBuf,
        /// Where to write the prepared file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify a phase-1 file: every contribution, the powers, the hash
    /// chain and, once prepared, the Lagrange sections.
    Verify {
        /// The file.
        #[arg(long)]
        ptau: PathBuf,
    },
}

/// Runs `zkaudit ptau …`.
pub fn run(cmd: PtauCommand) -> Result<()> {
    match cmd {
        PtauCommand::New { power, out } => {
            if power > MAX_IN_MEMORY_POWER {
                bail!("power {power} is above the {MAX_IN_MEMORY_POWER} this tool holds in memory");
            }
            let file = new_powers_of_tau(power)?;
            write(&out, &file)?;
            println!(
                "phase-1 file of power {power} written to {} (no contribution yet)",
                out.display()
            );
        }
        PtauCommand::Contribute {
            input,
            out,
            name,
            ask_entropy,
        } => {
            let file = read(&input)?;
            let mut rng = entropy(ask_entropy)?;
            let (next, response) = contribute(&file, &name, &mut rng)?;
            write(&out, &next)?;
            println!("contribution #{} by {name}", next.contributions.len());
            println!("response hash {}", hex::encode(response));
            println!("keep this hash: it identifies your contribution in the transcript");
        }
        PtauCommand::Beacon {
            input,
            out,
            beacon: value,
            iterations_exp,
            name,
        } => {
            let file = read(&input)?;
            let (next, response) = beacon(&file, &name, &hex_beacon(&value)?, iterations_exp)?;
            write(&out, &next)?;
            println!("beacon applied; response hash {}", hex::encode(response));
        }
        PtauCommand::Prepare { input, out } => {
            let file = read(&input)?;
            write(&out, &prepare_phase2(&file))?;
            println!("prepared for phase 2: {}", out.display());
        }
        PtauCommand::Verify { ptau } => verify(&ptau)?,
    }
    Ok(())
}

fn verify(path: &Path) -> Result<()> {
    let file = read(path)?;
    let report = verify_powers_of_tau(&file, &mut rand::rngs::OsRng)
        .map_err(|e| anyhow::anyhow!("the phase-1 file does not verify: {e}"))?;
    println!("powers of tau (power {}): VERIFIED", report.power);
    if report.ceremony_power != report.power {
        println!(
            "  truncated from a ceremony of power {}: the last challenge cannot be recomputed",
            report.ceremony_power
        );
    }
    for (i, c) in report.contributions.iter().enumerate() {
        print_contribution(i + 1, c.name.as_deref(), &c.kind);
        println!("      response hash {}", hex::encode(c.response_hash));
    }
    let contributors = contributors(report.contributions.iter().map(|c| &c.kind));
    if contributors == 0 {
        bail!("no one contributed: the powers' secrets are public");
    }
    println!(
        "sound if any one of these {contributors} contributors was honest; {}",
        if report.prepared {
            "prepared for phase 2"
        } else {
            "not prepared for phase 2 yet (zkaudit ptau prepare)"
        }
    );
    Ok(())
}

fn read(path: &Path) -> Result<PowersOfTau> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    PowersOfTau::from_bytes(&bytes).with_context(|| format!("{} refused", path.display()))
}

fn write(path: &Path, file: &PowersOfTau) -> Result<()> {
    std::fs::write(path, file.to_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}
