//! `zkaudit log …`: appending a signed record, and reading the log's
//! entries, proofs and checkpoints, and mirroring it.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use crate::cli::output::{ensure_writable, save_receipt};
use crate::client::Client;
use crate::client::keys::read_key_arg;
use crate::keyfile::read_signing_key;
use crate::server::config::{CONFIG_FILE, Config};
use crate::server::{StoreLocation, open_store};
use zkaudit_ledger::fsck::check_store;

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
    /// Check a stored log's integrity offline: recompute every leaf hash,
    /// record id and the tree from the stored entries, and every stored
    /// checkpoint's root and signature; report any bit flip or gap.
    Fsck {
        /// Data directory of the log (its SQLite database and config).
        #[arg(long, default_value = "zkaudit-data")]
        data: PathBuf,
        /// Check the PostgreSQL database at this URL instead of SQLite.
        #[arg(long, env = "ZKAUDIT_DATABASE_URL")]
        database_url: Option<String>,
        /// PostgreSQL schema holding the log's tables.
        #[arg(long, default_value = "zkaudit")]
        database_schema: String,
        /// The log's verifier key, or a file holding it (default: from the
        /// log key named in `<data>/zkaudit.toml`).
        #[arg(long)]
        log_key: Option<String>,
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

/// Runs `zkaudit log …`.
pub fn run(cmd: LogCommand) -> Result<()> {
    match cmd {
        LogCommand::Append(args) => {
            let key = read_signing_key(&args.key)?;
            let payload = std::fs::read(&args.payload)
                .with_context(|| format!("reading payload {}", args.payload.display()))?;
            let client = Client::new(&args.server);
            let record = client.sign(&key, &args.domain, &args.kind, payload)?;
            if let Some(path) = &args.out {
                ensure_writable(path)?;
            }
            let receipt = client.append(&record)?;
            match &args.out {
                Some(path) => {
                    save_receipt(path, &receipt)?;
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
                None => println!("{}", serde_json::to_string_pretty(&receipt)?),
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
        LogCommand::Fsck {
            data,
            database_url,
            database_schema,
            log_key,
        } => fsck(&data, database_url, database_schema, log_key),
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

/// Runs `zkaudit log fsck`; fails when anything is wrong.
fn fsck(
    data: &std::path::Path,
    database_url: Option<String>,
    database_schema: String,
    log_key: Option<String>,
) -> Result<()> {
    let log_key = match log_key {
        Some(key) => read_key_arg(&key)?,
        None => {
            let (config, dir) = Config::load(&data.join(CONFIG_FILE))
                .context("no --log-key, and no config to find the log key in")?;
            config.log_key(&dir)?.verifier_key_string()
        }
    };
    let location = match database_url {
        Some(url) => StoreLocation::Postgres(url, database_schema),
        None => StoreLocation::Sqlite(data.to_path_buf()),
    };
    let store = open_store(&location)?;
    let started = std::time::Instant::now();
    let report = check_store(&*store, &log_key, |done, size| {
        eprint!("\rchecked {done} of {size} entries");
    })?;
    eprintln!();
    const SHOWN: usize = 50;
    for finding in report.findings.iter().take(SHOWN) {
        println!("FOUND: {finding}");
    }
    if report.findings.len() > SHOWN {
        println!("… and {} more", report.findings.len() - SHOWN);
    }
    if !report.findings.is_empty() {
        anyhow::bail!(
            "the log is damaged: {} finding(s) in {} entries and {} checkpoints",
            report.findings.len(),
            report.entries,
            report.checkpoints
        );
    }
    println!(
        "ok: {} entries and {} signed checkpoints are sound; root {} ({:.1} s)",
        report.entries,
        report.checkpoints,
        hex::encode(report.root),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
