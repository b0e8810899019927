//! The `zkaudit` command line.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use zkaudit_ledger::record::Record;
use zkaudit_verifier::claim::{CLAIM_BUNDLE_FORMAT, ClaimBundle};
use zkaudit_verifier::election::{ELECTION_BUNDLE_FORMAT, ElectionBundle};
use zkaudit_verifier::{Receipt, verify_extension, verify_quorum};

use crate::client::Client;
use crate::keyfile::{read_signing_key, write_secret_file};
use crate::server::{ServeOptions, serve};

pub mod election;
pub mod funds;
pub mod health;
pub mod identity;
pub mod land;

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
    Log(LogCommand),
    /// Verify, offline, a receipt or checkpoint the log handed out.
    Verify(VerifyArgs),
    /// The holder's identity wallet (the secret never leaves this machine).
    #[command(subcommand)]
    Id(crate::cli::identity::IdCommand),
    /// Issuer commands: registries, credentials, revocations, claim scopes.
    #[command(subcommand)]
    Issuer(crate::cli::identity::IssuerCommand),
    /// Make zero-knowledge proofs locally.
    #[command(subcommand)]
    Prove(crate::cli::identity::ProveCommand),
    /// Submit a claim made by `zkaudit prove eligibility`; writes the receipt.
    Claim(crate::cli::identity::ClaimArgs),
    /// Make DEVELOPMENT Groth16 keys for an eligibility circuit shape.
    Setup(crate::cli::identity::SetupArgs),
    /// Export verifying keys (snarkjs JSON or binary).
    #[command(subcommand)]
    Keys(crate::cli::identity::KeysCommand),
    /// Land titles: parcels, transfers and liens signed by all parties, verified histories.
    #[command(subcommand)]
    Land(crate::cli::land::LandCommand),
    /// Health: record commitments, consent and access audit, vaccine supply chain.
    #[command(subcommand)]
    Health(crate::cli::health::HealthCommand),
    /// Elections: create, move through phases, show, export the offline bundle.
    #[command(subcommand)]
    Election(crate::cli::election::ElectionCommand),
    /// Election trustees: key file, key ceremony (deal, check) and partial decryption.
    #[command(subcommand)]
    Trustee(crate::cli::election::trustee::TrusteeCommand),
    /// Cast an encrypted ballot, proved locally; writes the receipt.
    Vote(crate::cli::election::vote::VoteArgs),
    /// Public funds: budgets, hidden expenditures, proven period reports, spot audits.
    #[command(subcommand)]
    Funds(crate::cli::funds::FundsCommand),
    /// Run end-to-end scenarios on the embedded default (all of them without a domain).
    Demo(crate::demo::DemoArgs),
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

/// `zkaudit log …`.
#[derive(Subcommand, Debug)]
pub enum LogCommand {
    /// Sign a record with an authority key and append it; writes the receipt.
    Append(AppendArgs),
    /// Show one entry.
    Get {
        /// Entry index.
        index: u64,
        /// The log's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080", env = "ZKAUDIT_SERVER")]
        server: String,
    },
    /// Fetch an inclusion proof (and its checkpoint) for an entry.
    Prove {
        /// Entry index.
        index: u64,
        /// Tree size (default: the latest checkpoint).
        #[arg(long)]
        size: Option<u64>,
        /// The log's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080", env = "ZKAUDIT_SERVER")]
        server: String,
    },
    /// Fetch the latest checkpoint (to keep, and to check later with `verify --previous`).
    Checkpoint {
        /// The log's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080", env = "ZKAUDIT_SERVER")]
        server: String,
        /// Write the signed note here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Copy every entry through the C2SP tiles, recompute the tree and check it
    /// against the signed checkpoint (and against an earlier mirror in the same directory).
    Mirror {
        /// The log's verifier key, or a file holding it.
        #[arg(long)]
        log_key: String,
        /// Directory to mirror into.
        #[arg(long)]
        out: PathBuf,
        /// The log's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080", env = "ZKAUDIT_SERVER")]
        server: String,
    },
    /// Fetch a consistency proof between two sizes.
    Consistency {
        /// Older size.
        #[arg(long)]
        from: u64,
        /// Newer size (default: the latest).
        #[arg(long)]
        to: Option<u64>,
        /// The log's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080", env = "ZKAUDIT_SERVER")]
        server: String,
    },
}

/// `zkaudit log append`.
#[derive(Args, Debug)]
pub struct AppendArgs {
    /// The authority's private key file (from `zkaudit keygen`).
    #[arg(long)]
    pub key: PathBuf,
    /// Record domain, e.g. `ledger`.
    #[arg(long)]
    pub domain: String,
    /// Record kind, e.g. `notice`.
    #[arg(long)]
    pub kind: String,
    /// File holding the payload bytes.
    #[arg(long)]
    pub payload: PathBuf,
    /// Write the receipt (JSON) here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The log's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080", env = "ZKAUDIT_SERVER")]
    pub server: String,
}

/// `zkaudit verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// A receipt (JSON from `log append` or the API) or a bundle (`zkaudit claim --bundle`).
    pub file: PathBuf,
    /// The log's verifier key, or a file containing it.
    #[arg(long)]
    pub log_key: String,
    /// A checkpoint seen earlier: check the receipt's checkpoint extends it.
    #[arg(long, requires = "consistency")]
    pub previous: Option<PathBuf>,
    /// Consistency proof (JSON from `log consistency`) from --previous to the receipt's checkpoint.
    #[arg(long, requires = "previous")]
    pub consistency: Option<PathBuf>,
    /// A witness verifier key whose cosignature is required (repeatable).
    #[arg(long = "witness-key")]
    pub witness_keys: Vec<String>,
    /// How many of the --witness-key witnesses must have cosigned.
    #[arg(long, default_value_t = 1)]
    pub quorum: usize,
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
        Command::Log(cmd) => log_command(cmd),
        Command::Verify(args) => verify(args),
        Command::Id(cmd) => crate::cli::identity::id(cmd),
        Command::Issuer(cmd) => crate::cli::identity::issuer(cmd),
        Command::Prove(cmd) => crate::cli::identity::prove(cmd),
        Command::Claim(args) => crate::cli::identity::claim(args),
        Command::Setup(args) => crate::cli::identity::setup(args),
        Command::Keys(cmd) => crate::cli::identity::keys(cmd),
        Command::Land(cmd) => crate::cli::land::run(cmd),
        Command::Health(cmd) => crate::cli::health::run(cmd),
        Command::Election(cmd) => crate::cli::election::run(cmd),
        Command::Trustee(cmd) => crate::cli::election::trustee::run(cmd),
        Command::Vote(args) => crate::cli::election::vote::run(args),
        Command::Funds(cmd) => crate::cli::funds::run(cmd),
        Command::Demo(args) => crate::demo::run(args),
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

fn log_command(cmd: LogCommand) -> Result<()> {
    match cmd {
        LogCommand::Append(args) => {
            let key = read_signing_key(&args.key)?;
            let payload = std::fs::read(&args.payload)
                .with_context(|| format!("reading payload {}", args.payload.display()))?;
            let record = Record::signed(
                &args.domain,
                &args.kind,
                crate::clock::now_ms(),
                payload,
                &key,
            )?;
            let receipt = Client::new(&args.server).append(&record)?;
            let json = serde_json::to_string_pretty(&receipt)?;
            match &args.out {
                Some(path) => {
                    std::fs::write(path, &json)?;
                    eprintln!(
                        "logged at index {}{}; receipt in {}",
                        receipt.index,
                        if receipt.duplicate {
                            " (already logged)"
                        } else {
                            ""
                        },
                        path.display()
                    );
                }
                None => println!("{json}"),
            }
            Ok(())
        }
        LogCommand::Get { index, server } => {
            print_json(&Client::new(&server).get_json(&format!("/v1/log/entries/{index}"))?)
        }
        LogCommand::Prove {
            index,
            size,
            server,
        } => {
            let path = match size {
                Some(size) => format!("/v1/log/entries/{index}/inclusion?size={size}"),
                None => format!("/v1/log/entries/{index}/inclusion"),
            };
            print_json(&Client::new(&server).get_json(&path)?)
        }
        LogCommand::Checkpoint { server, out } => {
            let cp = Client::new(&server).get_text("/checkpoint")?;
            match out {
                Some(path) => std::fs::write(path, cp)?,
                None => print!("{cp}"),
            }
            Ok(())
        }
        LogCommand::Mirror {
            log_key,
            out,
            server,
        } => {
            let report = crate::client::mirror::mirror(&server, &read_key_arg(&log_key)?, &out)?;
            println!(
                "ok: mirrored {} records of {:?}; they hash to the signed root of size {}",
                report.records, report.checkpoint.origin, report.checkpoint.size
            );
            if let Some(prev) = report.extends {
                println!("ok: the log extends the previously mirrored checkpoint of size {prev}");
            }
            Ok(())
        }
        LogCommand::Consistency { from, to, server } => {
            let path = match to {
                Some(to) => format!("/v1/log/consistency?from={from}&to={to}"),
                None => format!("/v1/log/consistency?from={from}"),
            };
            print_json(&Client::new(&server).get_json(&path)?)
        }
    }
}

fn print_json(value: &serde_json::Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn verify(args: VerifyArgs) -> Result<()> {
    let log_key = read_key_arg(&args.log_key)?;
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let format = serde_json::from_str::<serde_json::Value>(&text)
        .with_context(|| format!("{} is not JSON", args.file.display()))?["format"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if format == CLAIM_BUNDLE_FORMAT {
        return verify_claim_bundle(&text, &log_key);
    }
    if format == ELECTION_BUNDLE_FORMAT {
        return verify_election_bundle(&text, &log_key);
    }
    if format == zkaudit_verifier::funds::FUNDS_BUNDLE_FORMAT {
        let params =
            std::env::var_os("ZKAUDIT_PARAMS_DIR").unwrap_or_else(|| "zkaudit-params".into());
        return crate::cli::funds::verify_bundle(&text, &log_key, Path::new(&params));
    }
    let receipt: Receipt = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is neither a zkaudit receipt nor a bundle this build knows (format {format:?})",
            args.file.display()
        )
    })?;
    let verified = receipt
        .verify(&log_key)
        .context("receipt does NOT verify")?;
    println!(
        "ok: record {}/{} (id {}) is entry {} of log {:?}",
        verified.record.domain(),
        verified.record.kind(),
        receipt.record_id,
        verified.index,
        verified.checkpoint.origin
    );
    println!(
        "ok: included in the checkpoint of size {} signed by the log",
        verified.checkpoint.size
    );
    if let (Some(previous), Some(consistency)) = (&args.previous, &args.consistency) {
        let old =
            std::fs::read(previous).with_context(|| format!("reading {}", previous.display()))?;
        let proof: crate::api::log::ConsistencyView = serde_json::from_slice(
            &std::fs::read(consistency)
                .with_context(|| format!("reading {}", consistency.display()))?,
        )
        .context("consistency proof is not the JSON of `zkaudit log consistency`")?;
        let (old_cp, new_cp) =
            verify_extension(&old, receipt.checkpoint.as_bytes(), &proof.proof, &log_key)
                .context("the log's history is NOT consistent with the previous checkpoint")?;
        println!(
            "ok: checkpoint of size {} extends the previous one of size {} (consistency proof verified)",
            new_cp.size, old_cp.size
        );
    }
    if !args.witness_keys.is_empty() {
        let keys: Vec<String> = args
            .witness_keys
            .iter()
            .map(|k| read_key_arg(k))
            .collect::<Result<_>>()?;
        let n = verify_quorum(receipt.checkpoint.as_bytes(), &keys, args.quorum)
            .context("witness cosignatures are insufficient")?;
        println!(
            "ok: {n} witness cosignature(s) verify (quorum {})",
            args.quorum
        );
    }
    Ok(())
}

fn verify_claim_bundle(text: &str, log_key: &str) -> Result<()> {
    let bundle: ClaimBundle = serde_json::from_str(text).context("malformed claim bundle")?;
    let report = bundle
        .verify(log_key)
        .context("the claim bundle does NOT verify")?;
    println!(
        "ok: {} records verified against the log's checkpoint of size {}",
        bundle.evidence.entries.len(),
        report.checkpoint_size
    );
    println!(
        "ok: claim at index {} for scope {:?} (created by {}) with a credential of registry {:?} (issued by {})",
        report.index, report.scope, report.scope_owner, report.registry, report.issuer
    );
    println!(
        "ok: proof verified against the logged root of registry version {} and the logged key {}",
        report.root_version, report.vk_digest
    );
    println!("    nullifier {}", report.nullifier);
    if report.development_key {
        println!(
            "WARNING: the verifying key comes from a DEVELOPMENT setup: whoever ran it can forge proofs"
        );
    }
    Ok(())
}

fn verify_election_bundle(text: &str, log_key: &str) -> Result<()> {
    let bundle: ElectionBundle = serde_json::from_str(text).context("malformed election bundle")?;
    let report = bundle
        .verify(log_key)
        .context("the election bundle does NOT verify")?;
    println!(
        "ok: {} records verified against the log's checkpoint of size {}",
        bundle.evidence.entries.len(),
        report.checkpoint_size
    );
    println!(
        "ok: election {:?} ({}) run by {}, replayed through the election rules: phase {}",
        report.election, report.title, report.commission, report.phase
    );
    println!("ok: key ceremony qualified dealers {:?}", report.qualified);
    println!(
        "ok: {} ballots counted, every proof verified against the logged key {}",
        report.ballots, report.vk_digest
    );
    if report.skipped > 0 {
        println!(
            "    {} logged election records skipped by the rules (e.g. ballots after the close)",
            report.skipped
        );
    }
    if report.results.iter().any(|(_, c)| c.is_some()) {
        println!(
            "ok: tally decrypted by trustees {:?} (Chaum-Pedersen proofs verified){}",
            report.trustees_used,
            if report.trustees_rejected.is_empty() {
                String::new()
            } else {
                format!(
                    "; partial decryptions REJECTED from trustees {:?}",
                    report.trustees_rejected
                )
            }
        );
        println!("results:");
    } else {
        println!("not tallied yet; options:");
    }
    for (option, count) in &report.results {
        match count {
            Some(c) => println!("    {option:<24} {c}"),
            None => println!("    {option}"),
        }
    }
    if report.development_key {
        println!(
            "WARNING: the ballot verifying key comes from a DEVELOPMENT setup: whoever ran it can forge proofs"
        );
    }
    Ok(())
}

use crate::client::keys::read_key_arg;
