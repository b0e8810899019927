//! The `zkaudit` command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

use crate::keyfile::write_secret_file;
use crate::server::{ServeOptions, serve};

pub mod ceremony;
pub mod circuit;
pub mod election;
pub mod funds;
pub mod hammer;
pub mod health;
pub mod identity;
mod input;
pub mod land;
pub mod log;
mod output;
pub mod verify;

/// zkaudit: a zero-knowledge verifiable-audit log for public services.
///
/// Start a log with `zkaudit serve` (SQLite in ./zkaudit-data, a development
/// configuration is created on first start), write to it with
/// `zkaudit log append`, and check what it hands out with `zkaudit verify`.
#[derive(Parser, Debug)]
#[command(name = "zkaudit", version, about, long_about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the log service (HTTP API, tiles, sequencer, witness requests).
    Serve(ServeArgs),
    /// Run a witness that cosigns checkpoints of the logs it follows (C2SP tlog-witness).
    Witness(WitnessArgs),
    /// Make a signing key (log, authority or witness) and print its public verifier key.
    Keygen(KeygenArgs),
    /// Read from and write to a running log.
    #[command(subcommand)]
    Log(log::LogCommand),
    /// Verify, offline, a receipt or checkpoint the log handed out.
    Verify(verify::VerifyArgs),
    /// The holder's identity wallet (the secret never leaves this machine).
    #[command(subcommand)]
    Id(identity::IdCommand),
    /// Issuer commands: registries, credentials, revocations, claim scopes.
    #[command(subcommand)]
    Issuer(identity::IssuerCommand),
    /// Make zero-knowledge proofs locally.
    #[command(subcommand)]
    Prove(identity::ProveCommand),
    /// Submit a claim made by `zkaudit prove eligibility`; writes the receipt.
    Claim(identity::ClaimArgs),
    /// Make DEVELOPMENT Groth16 keys for an eligibility circuit shape.
    Setup(identity::SetupArgs),
    /// Export verifying keys (snarkjs JSON or binary); import a snarkjs .zkey from a ceremony.
    #[command(subcommand)]
    Keys(identity::KeysCommand),
    /// Circuit shapes for outside tools: export the .r1cs, print sizes.
    #[command(subcommand)]
    Circuit(circuit::CircuitCommand),
    /// Groth16 phase-2 ceremony (snarkjs-compatible), on files or coordinated by the service.
    #[command(subcommand)]
    Ceremony(ceremony::CeremonyCommand),
    /// Groth16 phase 1, powers of tau (snarkjs-compatible): new, contribute, beacon, prepare, verify.
    #[command(subcommand)]
    Ptau(ceremony::PtauCommand),
    /// Land titles: parcels, transfers and liens signed by all parties, verified histories.
    #[command(subcommand)]
    Land(crate::cli::land::LandCommand),
    /// Health: record commitments, consent and access audit, vaccine supply chain.
    #[command(subcommand)]
    Health(crate::cli::health::HealthCommand),
    /// Elections: create, move through phases, show, export the offline bundle.
    #[command(subcommand)]
    Election(election::ElectionCommand),
    /// Election trustees: key file, key ceremony (deal, check) and partial decryption.
    #[command(subcommand)]
    Trustee(election::trustee::TrusteeCommand),
    /// Cast an encrypted ballot, proved locally; writes the receipt.
    Vote(election::vote::VoteArgs),
    /// Public funds: budgets, hidden expenditures, proven period reports, spot audits.
    #[command(subcommand)]
    Funds(crate::cli::funds::FundsCommand),
    /// Prove funds chunks for reports handed to workers
    /// (`zkaudit funds report --workers-database-url`), until stopped.
    Prover(crate::cli::funds::prover::ProverArgs),
    /// Run end-to-end scenarios on the embedded default (all of them without a domain).
    Demo(crate::demo::DemoArgs),
    /// Load a log at a target write rate while verifying its checkpoints and
    /// proofs; print throughput and latency; check nothing acknowledged is lost.
    Hammer(hammer::HammerArgs),
}

/// `zkaudit serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Data directory: SQLite database, configuration and development keys.
    #[arg(long, default_value = "./zkaudit-data", env = "ZKAUDIT_DATA")]
    pub data: PathBuf,
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "ZKAUDIT_LISTEN")]
    pub listen: SocketAddr,
    /// Use this PostgreSQL database instead of SQLite (postgres://user@host/db).
    #[arg(long, env = "ZKAUDIT_DATABASE_URL")]
    pub database_url: Option<String>,
    /// PostgreSQL schema holding the log's tables (created if missing).
    #[arg(long, default_value = "zkaudit", env = "ZKAUDIT_DATABASE_SCHEMA")]
    pub database_schema: String,
    /// Configuration file (default: <data>/zkaudit.toml, created if missing).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// `zkaudit witness`.
#[derive(Args, Debug)]
pub struct WitnessArgs {
    /// Data directory: the witness key and the latest size per log.
    #[arg(long, default_value = "./zkaudit-witness")]
    pub data: PathBuf,
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:7380")]
    pub listen: SocketAddr,
    /// Name of the witness key created on first start.
    #[arg(long, default_value = "zkaudit-witness")]
    pub name: String,
    /// A log to follow, as its signed-note verifier key (repeatable).
    #[arg(long = "log", required = true)]
    pub logs: Vec<String>,
}

/// `zkaudit keygen`.
#[derive(Args, Debug)]
pub struct KeygenArgs {
    /// Key name (for a log: its origin, e.g. `example.gov/audit-log`).
    #[arg(long)]
    pub name: String,
    /// Where to write the private key (must not exist).
    #[arg(long)]
    pub out: PathBuf,
    /// Make a witness cosigning key (cosignature/v1) instead of an Ed25519 note key.
    #[arg(long)]
    pub witness: bool,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve(args) => runtime()?.block_on(serve(ServeOptions {
            data_dir: args.data,
            config: args.config,
            listen: args.listen,
            database_url: args.database_url,
            database_schema: args.database_schema,
        })),
        Command::Witness(args) => runtime()?.block_on(crate::witness::serve_witness(
            &args.data,
            args.listen,
            &args.name,
            &args.logs,
        )),
        Command::Keygen(args) => keygen(args),
        Command::Log(cmd) => log::run(cmd),
        Command::Verify(args) => verify::run(args),
        Command::Id(cmd) => identity::wallet::run(cmd),
        Command::Issuer(cmd) => identity::issuer::run(cmd),
        Command::Prove(cmd) => identity::prove::run(cmd),
        Command::Claim(args) => identity::claim::run(args),
        Command::Setup(args) => identity::keys::setup(args),
        Command::Keys(cmd) => identity::keys::run(cmd),
        Command::Circuit(cmd) => circuit::run(cmd),
        Command::Ceremony(cmd) => ceremony::run(cmd),
        Command::Ptau(cmd) => ceremony::run_ptau(cmd),
        Command::Land(cmd) => land::run(cmd),
        Command::Health(cmd) => health::run(cmd),
        Command::Election(cmd) => election::run(cmd),
        Command::Trustee(cmd) => election::trustee::run(cmd),
        Command::Vote(args) => election::vote::run(args),
        Command::Funds(cmd) => funds::run(cmd),
        Command::Prover(args) => funds::prover::run(args),
        Command::Demo(args) => crate::demo::run(args),
        Command::Hammer(args) => hammer::run(args),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn keygen(args: KeygenArgs) -> Result<()> {
    let mut rng = rand::rngs::OsRng;
    let (secret, public) = if args.witness {
        let key = zkaudit_ledger::note::CosignerKey::generate(&args.name, &mut rng)?;
        (key.to_skey_string(), key.verifier_key_string())
    } else {
        let key = zkaudit_ledger::note::NoteSigningKey::generate(&args.name, &mut rng)?;
        (key.to_skey_string(), key.verifier_key_string())
    };
    write_secret_file(&args.out, &secret)?;
    eprintln!("private key written to {} (mode 0600)", args.out.display());
    println!("{public}");
    Ok(())
}
