//! The public-funds commands (`zkaudit funds …`).
//!
//! An agency:
//!
//! 1. `zkaudit funds contract --key agency.key --tender T-7 --winner "Acme Roads Ltd" --value 90000000 --awarded 2027-01-10 --ends 2027-12-31 --document tender.pdf`
//!    logs a procurement award (public, document digests SHA3-256);
//!    `zkaudit funds budget --key agency.key --period 2027-Q1 --chunk-size 64 --category roads=500000 --category bridge=90000000@T-7 …`
//!    logs a period's budget; `label=appropriation@tender` binds a category
//!    to a contract, whose value then caps the category's total over every
//!    period;
//! 2. `zkaudit funds record --key agency.key --period 2027-Q1 --amount 1234 --category 0 --label "bridge repair" --openings openings.json`
//!    for each expenditure: draws the salt, keeps the opening in the local
//!    openings file (mode 0600: it holds amounts and salts) and logs only
//!    the commitment;
//! 3. `zkaudit funds report --key agency.key --period 2027-Q1 --openings openings.json`
//!    proves the totals locally over the period's logged items and logs the
//!    report (a large period's proof goes in `report.part` records first).
//!
//! `zkaudit funds import-ocds --key agency.key --currency EUR --openings openings.json releases.json`
//! reads what the agency's procurement system already publishes (OCDS 1.1
//! releases): contracts, then their payments as hidden expenditures
//! (`--dry-run` shows what would be logged).
//!
//! An oversight body: `zkaudit funds audit request --key oversight.key --agency <hex> --period 2027-Q1 --sample 10`
//! (the seed is the latest checkpoint's root); the agency answers with
//! `zkaudit funds audit answer --key agency.key --request <id> --openings openings.json`;
//! anyone runs `zkaudit funds audit check <id>`. `zkaudit funds bundle`
//! saves the period with inclusion proofs for `zkaudit verify`, offline.
//!
//! IPA parameters are cached in `--params-dir` (default `zkaudit-params`,
//! or `$ZKAUDIT_PARAMS_DIR`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use zkaudit_circuits::funds::{FundsShape, ItemOpening, field_to_bytes, item_commitment};
use zkaudit_ledger::funds::{
    AUDIT_OPENING, AUDIT_REQUEST, AuditRequest, BUDGET, Budget, CONTRACT, Category, Contract,
    DOMAIN, EXPENDITURE, Expenditure, document_digest,
};
use zkaudit_verifier::funds::FundsBundle;

use zkaudit_ledger::funds::ocds::Money;

use crate::cli::input::read_input;
use crate::client::funds::ocds::{ImportOptions, import_ocds};
use crate::client::funds::prover::prove_with_workers;
use crate::client::funds::prover_queue::{self, ProverQueue, SessionLimits};
use crate::client::funds::{
    OpeningsFile, answer_for, audit_target, audit_view, check_audit, load_params,
    openings_in_log_order, os_rng, period_of_audit, period_view, post, prove_report,
    report_records, stored_opening, submit_report,
};
use crate::client::keys::hex32;
use crate::client::{Client, DEFAULT_SERVER};
use crate::keyfile::read_signing_key;

pub mod prover;

/// Server and parameter options shared by the commands.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// The log's base URL.
    #[arg(long, default_value = DEFAULT_SERVER, env = "ZKAUDIT_SERVER")]
    pub server: String,
    /// Where IPA parameters are cached.
    #[arg(long, default_value = "zkaudit-params", env = "ZKAUDIT_PARAMS_DIR")]
    pub params_dir: PathBuf,
}

/// `zkaudit funds …`.
#[derive(Subcommand, Debug)]
pub enum FundsCommand {
    /// Agency: log a period's budget (categories, appropriations, proof chunk size).
    Budget {
        /// The agency's private key file.
        #[arg(long)]
        key: PathBuf,
        /// Period id, e.g. 2027-Q1.
        #[arg(long)]
        period: String,
        /// Items per proof chunk (4, 16, 64, 256 or 1024; 1024 is the production shape).
        #[arg(long, default_value_t = 1024)]
        chunk_size: u32,
        /// A category as `label=appropriation` (minor units), or
        /// `label=appropriation@tender` for the payments under one of the
        /// agency's contracts, in category order (repeatable).
        #[arg(long = "category", required = true)]
        categories: Vec<String>,
        /// Server and parameter options.
        #[command(flatten)]
        common: Common,
    },
    /// Agency: log a procurement contract award (public in full).
    Contract {
        /// The agency's private key file.
        #[arg(long)]
        key: PathBuf,
        /// Tender id, unique per agency (1-32 of [A-Za-z0-9-.]).
        #[arg(long)]
        tender: String,
        /// The winner's public name or registry number.
        #[arg(long)]
        winner: String,
        /// Contract value in minor units.
        #[arg(long)]
        value: u64,
        /// Award date, YYYY-MM-DD.
        #[arg(long)]
        awarded: String,
        /// End date, YYYY-MM-DD.
        #[arg(long)]
        ends: String,
        /// A tender or contract document; its SHA3-256 digest is logged (repeatable).
        #[arg(long = "document")]
        documents: Vec<PathBuf>,
        /// Server and parameter options.
        #[command(flatten)]
        common: Common,
    },
    /// Show a contract and the payments reported under it.
    ShowContract {
        /// Agency key, hex.
        #[arg(long)]
        agency: String,
        /// Tender id.
        #[arg(long)]
        tender: String,
        /// Server and parameter options.
        #[command(flatten)]
        common: Common,
    },
    /// Publish a contract, or every contract a period pays, as an OCDS 1.1
    /// release package (stdout), after checking every log entry it names
    /// against the log's key.
    ExportOcds {
        /// Agency key, hex.
        #[arg(long)]
        agency: String,
        /// The contract's tender id.
        #[arg(long, required_unless_present = "period", conflicts_with = "period")]
        tender: Option<String>,
        /// A period: the contracts its budget's categories are bound to.
        #[arg(long)]
        period: Option<String>,
        /// ISO 4217 currency of the amounts (XXX: none named).
        #[arg(long, default_value = "XXX")]
        currency: String,
        /// Decimal places of the currency's minor unit.
        #[arg(long, default_value_t = 2)]
        decimals: u32,
        /// The publisher's registered ocid prefix.
        #[arg(long, default_value = zkaudit_ledger::funds::ocds::DEFAULT_OCID_PREFIX)]
        ocid_prefix: String,
        /// The log's verifier key (a file or the key itself); by default
        /// the server's, trusted on first use.
        #[arg(long)]
        log_key: Option<String>,
        /// Server and parameter options.
        #[command(flatten)]
        common: Common,
    },
    /// Agency: import an OCDS 1.1 release package or JSON Lines of
    /// releases: contracts become `contract` records, their implementation
    /// transactions hidden expenditures (openings kept in the openings
    /// file). Checked whole first: nothing is logged unless every release
    /// passes; what is already logged is skipped.
    ImportOcds {
        /// The agency's private key file.
        #[arg(long)]
        key: PathBuf,
        /// The release package or JSON Lines file (`-`: stdin).
        file: PathBuf,
        /// ISO 4217 currency every amount must be in.
        #[arg(long)]
        currency: String,
        /// Decimal places of the currency's minor unit.
        #[arg(long, default_value_t = 2)]
        decimals: u32,
        /// The period every payment is logged in (default: the calendar
        /// quarter of its date, e.g. 2027-Q1).
        #[arg(long)]
        period: Option<String>,
        /// The local openings file (created if missing; keep it private).
        #[arg(long)]
        openings: PathBuf,
        /// Print what would be logged, log nothing.
        #[arg(long)]
        dry_run: bool,
        /// Server and parameter options.
        #[command(flatten)]
        common: Common,
    },
    /// Agency: log one expenditure's commitment; the opening stays in the openings file.
    Record {
        /// The agency's private key file.
        #[arg(long)]
        key: PathBuf,
        /// Period id.
        #[arg(long)]
        period: String,
        /// Amount in minor units.
        #[arg(long)]
        amount: u64,
        /// Category index (order of the budget's categories).
        #[arg(long)]
        category: u16,
        /// Public label (project, payee class); never the amount.
        #[arg(long, default_value = "")]
        label: String,
        /// The local openings file (created if missing; keep it private).
        #[arg(long)]
        openings: PathBuf,
        /// Server and parameter options.
        #[command(flatten)]
        common: Common,
    },
    /// Agency: prove the period's totals (here, or with `zkaudit prover`
    /// workers) and log the report (closes the period).
    Report {
        /// The agency's private key file.
        #[arg(long)]
        key: PathBuf,
        /// Period id.
        #[arg(long)]
        period: String,
        /// The local openings file.
        #[arg(long)]
        openings: PathBuf,
        /// Hand the chunks to `zkaudit prover` workers through this
        /// PostgreSQL database instead of proving here (plans and checks
        /// here: the report is verified before it is logged).
        #[arg(long = "workers-database-url", env = "ZKAUDIT_PROVER_DATABASE_URL")]
        workers: Option<String>,
        /// Schema of the prover queue's tables.
        #[arg(long = "workers-schema", default_value = prover_queue::DEFAULT_SCHEMA, env = "ZKAUDIT_PROVER_SCHEMA")]
        workers_schema: String,
        /// Give up after this many seconds without every chunk proved by
        /// the workers (default: wait).
        #[arg(long)]
        workers_timeout: Option<u64>,
        /// Server and parameter options.
        #[command(flatten)]
        common: Common,
    },
    /// Spot audits.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Save a reported period with inclusion proofs (check it with `zkaudit verify`).
    Bundle {
        /// Agency key, hex.
        #[arg(long)]
        agency: String,
        /// Period id.
        #[arg(long)]
        period: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// Server and parameter options.
        #[command(flatten)]
        common: Common,
    },
}

/// `zkaudit funds audit …`.
#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Oversight: request the openings of a sample of a reported period's items.
    Request {
        /// The oversight body's private key file.
        #[arg(long)]
        key: PathBuf,
        /// The audited agency's key, hex.
        #[arg(long)]
        agency: String,
        /// Period id.
        #[arg(long)]
        period: String,
        /// Randomly sampled items to open, drawn from the latest checkpoint's
        /// root (default: 10, or 0 when items are chosen with --item).
        #[arg(long)]
        sample: Option<u32>,
        /// An item to open, by its position in the period (as `GET
        /// /v1/funds/periods/{agency}/{period}` lists them; repeatable).
        #[arg(long = "item")]
        items: Vec<u32>,
        /// Server and parameter options.
        #[command(flatten)]
        common: Common,
    },
    /// Agency: answer an audit request from the openings file.
    Answer {
        /// The agency's private key file.
        #[arg(long)]
        key: PathBuf,
        /// The request's record id, hex.
        #[arg(long)]
        request: String,
        /// The local openings file.
        #[arg(long)]
        openings: PathBuf,
        /// Server and parameter options.
        #[command(flatten)]
        common: Common,
    },
    /// Anyone: re-derive the sample from the seed and check the openings against the logged commitments.
    Check {
        /// The request's record id, hex.
        request: String,
        /// Server and parameter options.
        #[command(flatten)]
        common: Common,
    },
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date.
pub fn parse_day(date: &str) -> Result<u32> {
    let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .with_context(|| format!("{date:?}: expected YYYY-MM-DD"))?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
    u32::try_from((day - epoch).num_days()).with_context(|| format!("{date:?}: before 1970-01-01"))
}

/// Parses a budget category: `label=appropriation` or
/// `label=appropriation@tender`.
pub fn parse_category(text: &str) -> Result<Category> {
    let (label, rest) = text
        .rsplit_once('=')
        .with_context(|| format!("category {text:?}: expected label=appropriation[@tender]"))?;
    let (amount, contract) = match rest.split_once('@') {
        Some((amount, tender)) => (amount, Some(tender.to_owned())),
        None => (rest, None),
    };
    Ok(Category {
        label: label.to_owned(),
        appropriation: amount
            .parse()
            .with_context(|| format!("category {text:?}: appropriation"))?,
        contract,
    })
}

/// Runs `zkaudit funds …`.
pub fn run(cmd: FundsCommand) -> Result<()> {
    match cmd {
        FundsCommand::Budget {
            key,
            period,
            chunk_size,
            categories,
            common,
        } => {
            let key = read_signing_key(&key)?;
            let categories = categories
                .iter()
                .map(|c| parse_category(c))
                .collect::<Result<Vec<_>>>()?;
            let budget = Budget {
                period,
                chunk_size,
                categories,
            };
            budget.shape()?;
            // Decoding runs every check the log will (shape, duplicate
            // contracts): fail here, before anything is sent.
            Budget::decode(&budget.encode())?;
            let receipt = post(&Client::new(&common.server), &key, BUDGET, budget.encode())?;
            println!("budget logged at index {}", receipt.index);
        }
        FundsCommand::Contract {
            key,
            tender,
            winner,
            value,
            awarded,
            ends,
            documents,
            common,
        } => {
            let key = read_signing_key(&key)?;
            let documents = documents
                .iter()
                .map(|path| {
                    let bytes = std::fs::read(path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    Ok(document_digest(&bytes))
                })
                .collect::<Result<Vec<_>>>()?;
            let contract = Contract {
                tender,
                winner,
                value,
                awarded_day: parse_day(&awarded)?,
                ends_day: parse_day(&ends)?,
                documents,
                source: None,
            };
            Contract::decode(&contract.encode())?;
            let receipt = post(
                &Client::new(&common.server),
                &key,
                CONTRACT,
                contract.encode(),
            )?;
            println!(
                "contract {} logged at index {}",
                contract.tender, receipt.index
            );
        }
        FundsCommand::ShowContract {
            agency,
            tender,
            common,
        } => {
            let view = Client::new(&common.server)
                .get_json(&format!("/v1/funds/contracts/{agency}/{tender}"))?;
            println!("{}", serde_json::to_string_pretty(&view)?);
        }
        FundsCommand::ExportOcds {
            agency,
            tender,
            period,
            currency,
            decimals,
            ocid_prefix,
            log_key,
            common,
        } => {
            let client = Client::new(&common.server);
            let log_key = crate::client::keys::log_key(&client, log_key.as_deref())?;
            let what = match (&tender, &period) {
                (Some(tender), _) => format!("contracts/{agency}/{tender}"),
                (None, Some(period)) => format!("periods/{agency}/{period}"),
                (None, None) => bail!("name a --tender or a --period"),
            };
            let package = client.get_json(&format!(
                "/v1/funds/ocds/{what}?currency={currency}&decimals={decimals}&ocid_prefix={ocid_prefix}"
            ))?;
            let proven = zkaudit_verifier::funds::verify_ocds_evidence(&package, &log_key)
                .context("the server's OCDS package does not check out against the log")?;
            println!("{}", serde_json::to_string_pretty(&package)?);
            eprintln!(
                "{} release(s); every one of the {proven} log entries they name is proven against the log's checkpoint",
                package["releases"].as_array().map_or(0, Vec::len)
            );
        }
        FundsCommand::ImportOcds {
            key,
            file,
            currency,
            decimals,
            period,
            openings,
            dry_run,
            common,
        } => {
            let key = read_signing_key(&key)?;
            let text = read_input(&file)?;
            let money = Money::new(&currency, decimals).map_err(anyhow::Error::msg)?;
            let outcome = import_ocds(
                &Client::new(&common.server),
                &key,
                &text,
                &ImportOptions {
                    money: &money,
                    period: period.as_deref(),
                    openings: &openings,
                    dry_run,
                },
            )?;
            for line in &outcome.lines {
                println!("{line}");
            }
            println!(
                "{} record(s) {}, {} already logged",
                outcome.logged,
                if dry_run {
                    "would be logged (dry run)"
                } else {
                    "logged"
                },
                outcome.already
            );
        }
        FundsCommand::Record {
            key,
            period,
            amount,
            category,
            label,
            openings,
            common,
        } => {
            let key = read_signing_key(&key)?;
            let mut file = OpeningsFile::load(&openings)?;
            let opening = ItemOpening::random(amount, category, os_rng());
            let stored = stored_opening(&period, &label, &opening);
            // Keep the opening BEFORE logging: a logged commitment without its
            // opening could never be reported.
            file.openings.push(stored.clone());
            file.save(&openings)?;
            let item = Expenditure {
                period,
                commitment: field_to_bytes(&item_commitment(&opening)),
                label,
            };
            let receipt = post(
                &Client::new(&common.server),
                &key,
                EXPENDITURE,
                item.encode(),
            )?;
            println!(
                "expenditure logged at index {} (commitment {})",
                receipt.index, stored.commitment
            );
        }
        FundsCommand::Report {
            key,
            period,
            openings,
            workers,
            workers_schema,
            workers_timeout,
            common,
        } => {
            let key = read_signing_key(&key)?;
            let client = Client::new(&common.server);
            let agency = hex::encode(key.public_key().as_bytes());
            let view = period_view(&client, &agency, &period)?;
            let items = openings_in_log_order(&view, &OpeningsFile::load(&openings)?)?;
            let shape = FundsShape::new(view.chunk_size as usize, view.categories.len())?;
            let params = load_params(&common.params_dir, shape.k())?;
            let records = match workers {
                None => prove_report(&period, shape, &items, &params, os_rng())?,
                Some(url) => {
                    let mut queue =
                        ProverQueue::connect(&url, &workers_schema, SessionLimits::default())?;
                    let report = prove_with_workers(
                        &mut queue,
                        &items,
                        shape,
                        &params,
                        os_rng(),
                        workers_timeout.map(Duration::from_secs),
                        |landed, chunks| eprintln!("{landed} of {chunks} chunks proved by workers"),
                    )?;
                    report_records(&period, items.len(), &report)?
                }
            };
            let receipt = submit_report(&client, &key, &records)?;
            println!(
                "report of {} items ({} chunks, {} part records) logged at index {}; totals {:?}",
                items.len(),
                shape.chunks_for(items.len()),
                records.parts.len(),
                receipt.index,
                records.report.totals
            );
        }
        FundsCommand::Audit(cmd) => audit(cmd)?,
        FundsCommand::Bundle {
            agency,
            period,
            out,
            common,
        } => {
            let bundle = Client::new(&common.server)
                .get_json(&format!("/v1/funds/periods/{agency}/{period}/bundle"))?;
            std::fs::write(&out, serde_json::to_string_pretty(&bundle)?)?;
            println!("bundle written to {}", out.display());
        }
    }
    Ok(())
}

fn audit(cmd: AuditCommand) -> Result<()> {
    match cmd {
        AuditCommand::Request {
            key,
            agency,
            period,
            sample,
            mut items,
            common,
        } => {
            let key = read_signing_key(&key)?;
            let client = Client::new(&common.server);
            let cp = client.get_json("/v1/log/checkpoint")?;
            items.sort_unstable();
            items.dedup();
            let request = AuditRequest {
                agency: hex32("agency", &agency)?,
                period,
                seed_size: cp["size"].as_u64().context("checkpoint size")?,
                seed: hex32("checkpoint root", cp["root"].as_str().unwrap_or_default())?,
                sample: sample.unwrap_or(if items.is_empty() { 10 } else { 0 }),
                chosen: items,
            };
            let record = client.sign(&key, DOMAIN, AUDIT_REQUEST, request.encode())?;
            let receipt = client.append(&record)?;
            println!(
                "audit request {} logged at index {}",
                hex::encode(record.id()),
                receipt.index
            );
        }
        AuditCommand::Answer {
            key,
            request,
            openings,
            common,
        } => {
            let key = read_signing_key(&key)?;
            let client = Client::new(&common.server);
            let audit = audit_view(&client, &request)?;
            let agency = hex::encode(key.public_key().as_bytes());
            let view = period_of_audit(&client, &agency, &audit)?;
            let file = OpeningsFile::load(&openings)?;
            let answer = answer_for(&audit, &view, &file)?;
            let receipt = post(&client, &key, AUDIT_OPENING, answer.encode())?;
            println!(
                "opened {} items; answer logged at index {}",
                answer.items.len(),
                receipt.index
            );
        }
        AuditCommand::Check { request, common } => {
            let client = Client::new(&common.server);
            let audit = audit_view(&client, &request)?;
            let (agency, period) = audit_target(&client, &audit)?;
            let view = period_view(&client, &agency, &period)?;
            check_audit(&audit, &view, &agency)?;
            println!(
                "ok: sample {:?} re-derived from the seed; {} openings match their logged commitments",
                audit.sample,
                audit.opened.len()
            );
        }
    }
    Ok(())
}

/// `zkaudit verify` of a funds bundle.
pub fn verify_bundle(text: &str, log_key: &str, params_dir: &Path) -> Result<()> {
    let bundle: FundsBundle = serde_json::from_str(text).context("malformed funds bundle")?;
    let verified = bundle
        .verify(log_key, |k| {
            load_params(params_dir, k)
                .map_err(|e| zkaudit_circuits::funds::FundsError::Io(e.to_string()))
        })
        .context("the funds bundle does NOT verify")?;
    super::output::print_lines(&zkaudit_verifier::explain::funds(&bundle, &verified));
    Ok(())
}
