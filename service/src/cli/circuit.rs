//! `zkaudit circuit …`: a circuit shape's constraint system for tools
//! outside zkaudit (circom's `.r1cs`, what snarkjs' ceremonies start from).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use zkaudit_circuits::babyjubjub::Point;
use zkaudit_circuits::ballot::BallotShape;
use zkaudit_circuits::elgamal::decode_point;
use zkaudit_circuits::eligibility::EligibilityShape;

pub use crate::domains::ceremony::Shape;

/// `zkaudit circuit …`.
#[derive(Subcommand, Debug)]
pub enum CircuitCommand {
    /// Write a shape's constraint system as an iden3 .r1cs file (wires: one, public inputs, witness).
    ExportR1cs {
        /// The shape.
        #[command(flatten)]
        shape: ShapeArgs,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print a shape's size: constraints, wires, public inputs and the
    /// powers-of-tau file it needs.
    Info {
        /// The shape.
        #[command(flatten)]
        shape: ShapeArgs,
    },
}

/// A statement with Groth16 keys.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CircuitKind {
    /// A credential holder's eligibility claim.
    Eligibility,
    /// An encrypted ballot with its voter's eligibility.
    Ballot,
}

/// A circuit shape on the command line.
#[derive(Args, Debug, Clone)]
pub struct ShapeArgs {
    /// The statement.
    #[arg(long, value_enum)]
    pub circuit: CircuitKind,
    /// Registry tree depth.
    #[arg(long, default_value_t = 20)]
    pub depth: usize,
    /// Attributes per credential.
    #[arg(long, default_value_t = 3)]
    pub attributes: usize,
    /// Ballot options: one contest of 0/1 choices (ballot v1 only).
    #[arg(long, conflicts_with = "contests")]
    pub options: Option<usize>,
    /// Options per contest, comma-separated, for a ballot of contests
    /// (ballot v2, and v3 with --election-key): `--contests 4,8`.
    #[arg(long, value_delimiter = ',')]
    pub contests: Vec<usize>,
    /// The election's joint key (hex, 64 bytes, as the election's view
    /// shows it): the ballot circuit made for that key (ballot v3, a
    /// `--key-per-election` election; with --contests).
    #[arg(long, requires = "contests")]
    pub election_key: Option<String>,
}

impl ShapeArgs {
    /// The shape these arguments name.
    pub fn shape(&self) -> Result<Shape> {
        Ok(match self.circuit {
            CircuitKind::Eligibility => {
                anyhow::ensure!(
                    self.options.is_none() && self.contests.is_empty(),
                    "--options and --contests are for ballots only"
                );
                Shape::Eligibility(EligibilityShape::new(self.depth, self.attributes)?)
            }
            CircuitKind::Ballot if !self.contests.is_empty() => {
                let shape =
                    BallotShape::with_contests(self.depth, self.attributes, &self.contests)?;
                Shape::Ballot(match &self.election_key {
                    Some(key) => shape.for_election_key(election_key(key)?)?,
                    None => shape,
                })
            }
            CircuitKind::Ballot => Shape::Ballot(BallotShape::new(
                self.depth,
                self.attributes,
                self.options
                    .context("a ballot shape needs --options or --contests")?,
            )?),
        })
    }
}

/// An election's joint key from its hex encoding, decoded strictly (on
/// the curve, in the prime-order subgroup).
fn election_key(hex_key: &str) -> Result<Point> {
    let bytes = hex::decode(hex_key).context("--election-key is not hexadecimal")?;
    decode_point(&bytes).context("--election-key is not an election key")
}

/// Runs `zkaudit circuit …`.
pub fn run(cmd: CircuitCommand) -> Result<()> {
    match cmd {
        CircuitCommand::ExportR1cs { shape, out } => {
            let shape = shape.shape()?;
            let r1cs = shape.r1cs()?;
            std::fs::write(&out, r1cs.to_bytes()?)
                .with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!(
                "{}: {} constraints, {} wires, {} public inputs written to {}",
                shape.id(),
                r1cs.num_constraints(),
                r1cs.num_wires(),
                r1cs.num_public,
                out.display()
            );
        }
        CircuitCommand::Info { shape } => {
            let shape = shape.shape()?;
            let r1cs = shape.r1cs()?;
            let domain = r1cs.domain_size();
            let needed = zkaudit_prover::ceremony::required_ptau_power(domain);
            println!("shape           {}", shape.id());
            println!("constraints     {}", r1cs.num_constraints());
            println!("wires           {}", r1cs.num_wires());
            println!("public inputs   {}", r1cs.num_public);
            println!("domain          2^{}", domain.trailing_zeros());
            println!("phase 1 needs   a .ptau of power >= {needed} (prepared for phase 2)");
        }
    }
    Ok(())
}
