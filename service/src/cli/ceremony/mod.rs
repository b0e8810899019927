//! `zkaudit ceremony …` and `zkaudit ptau …`: a Groth16 phase-2 ceremony, compatible with
//! snarkjs (each step's output is a `.zkey` that `snarkjs zkey verify`
//! accepts, and snarkjs' contributions verify here), run on files
//! (`files`) or coordinated by the service (`server`: start, contribute
//! with a signed record, finalise, verify from the log); and its phase 1
//! (`phase1`: powers of tau on files).

mod files;
mod phase1;
mod server;

pub use phase1::{PtauCommand, run as run_ptau};

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use zkaudit_prover::ceremony::{VerifiedContribution, contribution_rng};
use zkaudit_prover::iden3::{ContributionKind, Zkey};
use zkaudit_verifier::groth16;

use crate::client::DEFAULT_SERVER;

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
    /// Add your contribution: OS randomness (and, with --ask-entropy, a line
    /// you type). With --server, to the service's ceremony: download the
    /// current key, contribute, upload it signed with --key, get a receipt.
    /// Otherwise from --zkey to --out.
    Contribute {
        /// The current key (on files).
        #[arg(long, requires = "out", conflicts_with = "server")]
        zkey: Option<PathBuf>,
        /// Where to write the new key (on files).
        #[arg(long, requires = "zkey")]
        out: Option<PathBuf>,
        /// The service coordinating the ceremony.
        #[arg(long, requires_all = ["ceremony", "key"])]
        server: Option<String>,
        /// The ceremony id (with --server).
        #[arg(long, requires = "server")]
        ceremony: Option<String>,
        /// Your private key file (from `zkaudit keygen`), which signs the record (with --server).
        #[arg(long, requires = "server")]
        key: Option<PathBuf>,
        /// Your name, as the transcript will show it.
        #[arg(long)]
        name: String,
        /// Also mix in a line read from standard input (dice, a phrase).
        #[arg(long)]
        ask_entropy: bool,
    },
    /// Open a ceremony on the service for a shape over a phase-1 file (an
    /// authority granted `ceremony/start`; the service holds the same file
    /// in its `ptau` directory and recomputes the initial key).
    Start {
        /// The service.
        #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
        server: String,
        /// The authority's private key file.
        #[arg(long)]
        key: PathBuf,
        /// The ceremony id, e.g. `ballot-2027`.
        #[arg(long)]
        id: String,
        /// The shape (or --election).
        #[command(flatten)]
        shape: Option<ShapeArgs>,
        /// Instead of the shape: the election whose ballot circuit the
        /// ceremony makes the key of, as the service has it (a
        /// `--key-per-election` election's exists once voting opens).
        #[arg(long, conflicts_with = "circuit", required_unless_present = "circuit")]
        election: Option<String>,
        /// The phase-1 file (prepared for phase 2).
        #[arg(long)]
        ptau: PathBuf,
        /// Its name on the service (default: the file's name).
        #[arg(long)]
        phase1_name: Option<String>,
        /// A contributor's Ed25519 key (hex); repeat to invite several.
        /// Without any, anyone may contribute.
        #[arg(long)]
        invite: Vec<String>,
    },
    /// Close the service's ceremony with a public random beacon (the
    /// authority that started it); the final key becomes the shape's circuit key.
    Finalize {
        /// The service.
        #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
        server: String,
        /// The ceremony id.
        #[arg(long)]
        ceremony: String,
        /// The authority's private key file.
        #[arg(long)]
        key: PathBuf,
        /// The beacon value, hex (announced in advance, e.g. a future block hash).
        #[arg(long)]
        beacon: String,
        /// log2 of the SHA-256 iterations applied to it.
        #[arg(long, default_value_t = 10)]
        iterations_exp: u8,
        /// Name of the beacon in the transcript.
        #[arg(long, default_value = "final beacon")]
        name: String,
    },
    /// Show a ceremony on the service: its contributions and current key.
    Status {
        /// The service.
        #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
        server: String,
        /// The ceremony id.
        #[arg(long)]
        ceremony: String,
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
    /// Verify a whole ceremony: with --server, the service's ceremony (its
    /// transcript against the signed log, the phase-1 file and the latest key
    /// downloaded and checked against the logged digests, every contribution
    /// checked); otherwise on files, from the shape and the .ptau to the key.
    Verify {
        /// The shape (on files; see `zkaudit circuit info`).
        #[command(flatten)]
        shape: Option<ShapeArgs>,
        /// The phase-1 file the ceremony started from (on files).
        #[arg(long, requires = "zkey", conflicts_with = "server")]
        ptau: Option<PathBuf>,
        /// The ceremony's last key (on files).
        #[arg(long, requires = "ptau")]
        zkey: Option<PathBuf>,
        /// The service coordinating the ceremony.
        #[arg(long, requires = "ceremony", conflicts_with = "circuit")]
        server: Option<String>,
        /// The ceremony id (with --server).
        #[arg(long, requires = "server")]
        ceremony: Option<String>,
        /// The log's verifier key (default: the one the server announces).
        #[arg(long, requires = "server")]
        log_key: Option<String>,
    },
}

/// Runs `zkaudit ceremony …`.
pub fn run(cmd: CeremonyCommand) -> Result<()> {
    match cmd {
        CeremonyCommand::New { shape, ptau, out } => files::new(&shape.shape()?, &ptau, &out),
        CeremonyCommand::Contribute {
            zkey,
            out,
            server,
            ceremony,
            key,
            name,
            ask_entropy,
        } => {
            let mut rng = entropy(ask_entropy)?;
            match (zkey, out, server, ceremony, key) {
                (Some(zkey), Some(out), None, None, None) => {
                    files::contribute(&zkey, &out, &name, &mut rng)
                }
                (None, None, Some(server), Some(ceremony), Some(key)) => {
                    server::contribute(&server, &ceremony, &key, &name, &mut rng)
                }
                _ => bail!(
                    "contribute either on files (--zkey and --out) or to a service \
                     (--server, --ceremony and --key)"
                ),
            }
        }
        CeremonyCommand::Beacon {
            zkey,
            out,
            beacon,
            iterations_exp,
            name,
        } => files::beacon(&zkey, &out, &hex_beacon(&beacon)?, iterations_exp, &name),
        CeremonyCommand::Start {
            server,
            key,
            id,
            shape,
            election,
            ptau,
            phase1_name,
            invite,
        } => server::start(server::StartArgs {
            shape: match (shape, election) {
                (Some(shape), None) => shape.shape()?,
                (None, Some(election)) => crate::client::ceremony::election_shape(
                    &crate::client::Client::new(&server),
                    &election,
                )?,
                _ => bail!(
                    "name the shape (--circuit …) or the election whose ballot circuit it is \
                     (--election)"
                ),
            },
            server: &server,
            key: &key,
            id: &id,
            ptau: &ptau,
            phase1_name: phase1_name.as_deref(),
            invite: &invite,
        }),
        CeremonyCommand::Finalize {
            server,
            ceremony,
            key,
            beacon,
            iterations_exp,
            name,
        } => server::finalize(
            &server,
            &ceremony,
            &key,
            &hex_beacon(&beacon)?,
            iterations_exp,
            &name,
        ),
        CeremonyCommand::Status { server, ceremony } => server::status(&server, &ceremony),
        CeremonyCommand::Verify {
            shape,
            ptau,
            zkey,
            server,
            ceremony,
            log_key,
        } => match (shape, ptau, zkey, server, ceremony) {
            (Some(shape), Some(ptau), Some(zkey), None, None) => {
                files::verify(&shape.shape()?, &ptau, &zkey)
            }
            (None, None, None, Some(server), Some(ceremony)) => {
                server::verify(&server, &ceremony, log_key.as_deref())
            }
            _ => bail!(
                "verify either on files (--circuit …, --ptau and --zkey) or a service's \
                 ceremony (--server and --ceremony)"
            ),
        },
    }
}

/// The contribution's randomness: OS randomness, mixed with a line typed
/// on standard input if asked (zeroised once mixed in).
fn entropy(ask: bool) -> Result<rand_chacha::ChaCha20Rng> {
    let mut typed = String::new();
    if ask {
        eprintln!("type some random text and press enter:");
        std::io::stdin().lock().read_line(&mut typed)?;
    }
    let rng = contribution_rng(typed.as_bytes());
    zeroize::Zeroize::zeroize(&mut typed);
    Ok(rng)
}

fn hex_beacon(value: &str) -> Result<Vec<u8>> {
    hex::decode(value.trim_start_matches("0x")).context("the beacon must be hexadecimal")
}

/// Prints contribution `number` (from 1) of a transcript: its name, and a
/// beacon's value and iterations.
fn print_contribution(number: usize, name: Option<&str>, kind: &ContributionKind) {
    let name = name.unwrap_or("(unnamed)");
    match kind {
        ContributionKind::Contributor => println!("  #{number} {name}"),
        ContributionKind::Beacon {
            iterations_exp,
            hash,
        } => println!(
            "  #{number} {name}: beacon {} with 2^{iterations_exp} SHA-256 iterations",
            hex::encode(hash)
        ),
    }
}

/// How many contributions are contributors' (beacons keep no secret).
fn contributors<'a>(kinds: impl Iterator<Item = &'a ContributionKind>) -> usize {
    kinds
        .filter(|kind| **kind == ContributionKind::Contributor)
        .count()
}

/// Prints what a verified ceremony establishes; refuses one without a
/// contributor (its toxic waste is public).
fn print_report(shape: &str, key: &Zkey, report: &[VerifiedContribution]) -> Result<()> {
    println!("ceremony for {shape}: VERIFIED");
    for (i, c) in report.iter().enumerate() {
        print_contribution(i + 1, c.name.as_deref(), &c.kind);
        println!("      contribution hash {}", hex::encode(c.hash));
    }
    let contributors = contributors(report.iter().map(|c| &c.kind));
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
