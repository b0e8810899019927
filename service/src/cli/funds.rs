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
//! An oversight body: `zkaudit funds audit request --key oversight.key --agency <hex> --period 2027-Q1 --sample 10`
//! (the seed is the latest checkpoint's root); the agency answers with
//! `zkaudit funds audit answer --key agency.key --request <id> --openings openings.json`;
//! anyone runs `zkaudit funds audit check <id>`. `zkaudit funds bundle`
//! saves the period with inclusion proofs for `zkaudit verify`, offline.
//!
//! IPA parameters are cached in `--params-dir` (default `zkaudit-params`,
//! or `$ZKAUDIT_PARAMS_DIR`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use rand::RngCore as _;
use rand_core_halo2::SeedableRng as _;
use serde::{Deserialize, Serialize};
use zkaudit_circuits::funds::{
    FundsParams, FundsProvingKey, FundsShape, ItemOpening, field_from_bytes, field_to_bytes,
    item_commitment, prove_period,
};
use zkaudit_ledger::funds::{
    AUDIT_OPENING, AUDIT_REQUEST, AuditOpening, AuditRequest, BUDGET, Budget, CONTRACT, Category,
    Contract, DOMAIN, EXPENDITURE, Expenditure, MAX_REPORT_PROOF, OpenedItem, REPORT, REPORT_PART,
    Report, ReportPart, audit_positions, document_digest,
};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;
use zkaudit_verifier::Receipt;
use zkaudit_verifier::funds::FundsBundle;

use crate::cli::hex32;
use crate::client::Client;
use crate::domains::funds::{AuditView, PeriodView};
use crate::keyfile::{read_signing_key, write_secret_file};

const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";
/// Format tag of openings files.
pub const OPENINGS_FORMAT: &str = "zkaudit-funds-openings/v1";

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
    /// Agency: prove the period's totals locally and log the report (closes the period).
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

/// One opening in the local openings file.
#[derive(Clone, Serialize, Deserialize)]
pub struct StoredOpening {
    /// Period id.
    pub period: String,
    /// Amount, minor units.
    pub amount: u64,
    /// Category.
    pub category: u16,
    /// Salt, hex (canonical Pallas element).
    pub salt: String,
    /// Commitment, hex.
    pub commitment: String,
    /// The public label it was logged with.
    pub label: String,
}

impl std::fmt::Debug for StoredOpening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredOpening")
            .field("period", &self.period)
            .field("commitment", &self.commitment)
            .finish_non_exhaustive()
    }
}

/// The local openings file.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct OpeningsFile {
    /// Always [`OPENINGS_FORMAT`].
    pub format: String,
    /// Openings in the order they were recorded.
    pub openings: Vec<StoredOpening>,
}

impl OpeningsFile {
    /// Reads the file, or an empty one if it does not exist.
    pub fn load(path: &Path) -> Result<Self> {
        if !path.exists() {
            return Ok(Self {
                format: OPENINGS_FORMAT.into(),
                openings: Vec::new(),
            });
        }
        let file: Self = serde_json::from_slice(&std::fs::read(path)?)
            .with_context(|| format!("{} is not an openings file", path.display()))?;
        if file.format != OPENINGS_FORMAT {
            bail!(
                "{} is not an openings file ({OPENINGS_FORMAT})",
                path.display()
            );
        }
        Ok(file)
    }

    /// Writes the file (owner-only permissions), replacing it atomically:
    /// a crash leaves the old or the new file, never a torn one.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        if tmp.exists() {
            std::fs::remove_file(&tmp)?;
        }
        write_secret_file(&tmp, &serde_json::to_string_pretty(self)?)?;
        std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
        Ok(())
    }

    /// The opening whose commitment is `commitment` (hex).
    pub fn find(&self, commitment: &str) -> Option<ItemOpening> {
        let stored = self.openings.iter().find(|o| o.commitment == commitment)?;
        Some(ItemOpening {
            amount: stored.amount,
            category: stored.category,
            salt: field_from_bytes(&hex::decode(&stored.salt).ok()?.try_into().ok()?).ok()?,
        })
    }
}

/// A stored opening for `opening`, logged with `label` in `period`.
pub fn stored_opening(period: &str, label: &str, opening: &ItemOpening) -> StoredOpening {
    StoredOpening {
        period: period.to_owned(),
        amount: opening.amount,
        category: opening.category,
        salt: hex::encode(field_to_bytes(&opening.salt)),
        commitment: hex::encode(field_to_bytes(&item_commitment(opening))),
        label: label.to_owned(),
    }
}

/// A fresh rand_core-0.10 RNG (halo2's) seeded from the OS.
pub fn os_rng() -> chacha20::ChaCha20Rng {
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    chacha20::ChaCha20Rng::from_seed(seed)
}

/// Loads or creates the IPA parameters for `k` in `dir`.
pub fn load_params(dir: &Path, k: u32) -> Result<FundsParams> {
    std::fs::create_dir_all(dir)?;
    Ok(FundsParams::load_or_create(
        &dir.join(format!("funds-params-k{k}.bin")),
        k,
    )?)
}

/// A proved report as the records that log it: the parts (empty unless
/// the proof exceeds one record), then the report.
#[derive(Clone, Debug)]
pub struct ReportRecords {
    /// `report.part` payloads, in order.
    pub parts: Vec<ReportPart>,
    /// The `report` payload.
    pub report: Report,
}

/// Proves a report over `openings` (the period's items in log order) and
/// splits its proof into records of at most [`MAX_REPORT_PROOF`] bytes.
pub fn prove_report(
    period: &str,
    shape: FundsShape,
    openings: &[ItemOpening],
    params: &FundsParams,
    rng: impl rand_core_halo2::Rng,
) -> Result<ReportRecords> {
    let pk = FundsProvingKey::generate(params, shape)?;
    let proved = prove_period(openings, &pk, params, rng)?;
    let mut runs = proved
        .proof
        .runs(MAX_REPORT_PROOF)
        .context("one chunk proof exceeds a record")?;
    let last = runs.pop().expect("a proof has at least one run");
    let mut first_chunk = 0u32;
    let parts = runs
        .into_iter()
        .map(|run| {
            let part = ReportPart {
                period: period.to_owned(),
                first_chunk,
                proof: run.to_bytes(),
            };
            first_chunk += run.chunks.len() as u32;
            part
        })
        .collect();
    Ok(ReportRecords {
        parts,
        report: Report {
            period: period.to_owned(),
            items: u32::try_from(openings.len())?,
            first_chunk,
            totals: proved.totals.clone(),
            final_blinding: field_to_bytes(&proved.final_blinding),
            proof: last.to_bytes(),
        },
    })
}

/// Logs a proved report: its parts in order, then the report. Returns the
/// report's receipt.
pub fn submit_report(
    client: &Client,
    key: &NoteSigningKey,
    records: &ReportRecords,
) -> Result<Receipt> {
    for part in &records.parts {
        post(client, key, REPORT_PART, part.encode())
            .with_context(|| format!("report part from chunk {}", part.first_chunk))?;
    }
    post(client, key, REPORT, records.report.encode())
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

fn post(client: &Client, key: &NoteSigningKey, kind: &str, payload: Vec<u8>) -> Result<Receipt> {
    let record = Record::signed(DOMAIN, kind, crate::clock::now_ms(), payload, key)?;
    Ok(client.append(&record)?)
}

fn period_view(client: &Client, agency: &str, period: &str) -> Result<PeriodView> {
    Ok(serde_json::from_value(client.get_json(&format!(
        "/v1/funds/periods/{agency}/{period}"
    ))?)?)
}

/// The openings of a period's logged items, in log order, from the openings file.
pub fn openings_in_log_order(view: &PeriodView, file: &OpeningsFile) -> Result<Vec<ItemOpening>> {
    view.expenditures
        .iter()
        .map(|item| {
            file.find(&item.commitment).with_context(|| {
                format!(
                    "the openings file lacks the opening of item {} (log index {})",
                    item.position, item.index
                )
            })
        })
        .collect()
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
            common,
        } => {
            let key = read_signing_key(&key)?;
            let client = Client::new(&common.server);
            let agency = hex::encode(key.public_key().as_bytes());
            let view = period_view(&client, &agency, &period)?;
            let items = openings_in_log_order(&view, &OpeningsFile::load(&openings)?)?;
            let shape = FundsShape::new(view.chunk_size as usize, view.categories.len())?;
            let params = load_params(&common.params_dir, shape.k())?;
            let records = prove_report(&period, shape, &items, &params, os_rng())?;
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
            let record = Record::signed(
                DOMAIN,
                AUDIT_REQUEST,
                crate::clock::now_ms(),
                request.encode(),
                &key,
            )?;
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
            let audit: AuditView =
                serde_json::from_value(client.get_json(&format!("/v1/funds/audits/{request}"))?)?;
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
            let audit: AuditView =
                serde_json::from_value(client.get_json(&format!("/v1/funds/audits/{request}"))?)?;
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

/// The (agency hex, period) an audit targets, from the periods list.
fn audit_target(client: &Client, audit: &AuditView) -> Result<(String, String)> {
    let periods = client.get_json("/v1/funds/periods")?;
    for p in periods.as_array().into_iter().flatten() {
        let (agency, period) = (
            p["agency"].as_str().unwrap_or_default(),
            p["period"].as_str().unwrap_or_default(),
        );
        let view = period_view(client, agency, period)?;
        if view.audits.iter().any(|a| a.id == audit.id) {
            return Ok((agency.to_owned(), period.to_owned()));
        }
    }
    bail!("no period holds audit {}", audit.id)
}

fn period_of_audit(client: &Client, agency: &str, audit: &AuditView) -> Result<PeriodView> {
    let (target, period) = audit_target(client, audit)?;
    if target != agency {
        bail!("audit {} is for another agency", audit.id);
    }
    period_view(client, agency, &period)
}

/// The answer to `audit` from the openings file.
pub fn answer_for(
    audit: &AuditView,
    view: &PeriodView,
    file: &OpeningsFile,
) -> Result<AuditOpening> {
    let items = audit
        .sample
        .iter()
        .map(|&position| {
            let item = view
                .expenditures
                .get(position as usize)
                .context("sampled position beyond the period's items")?;
            let opening = file
                .find(&item.commitment)
                .with_context(|| format!("no opening for sampled item {position}"))?;
            Ok(OpenedItem {
                item: position,
                amount: opening.amount,
                category: opening.category,
                salt: field_to_bytes(&opening.salt),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(AuditOpening {
        request: hex32("request", &audit.id)?,
        items,
    })
}

/// Checks an answered audit independently: the sample is the one its seed
/// determines, and each opened item hashes to its logged commitment.
pub fn check_audit(audit: &AuditView, view: &PeriodView, agency: &str) -> Result<()> {
    let sample = audit_positions(
        &hex32("seed", &audit.seed)?,
        &hex32("agency", agency)?,
        &view.summary.period,
        view.expenditures.len(),
        audit.random as usize,
        &audit.chosen,
    );
    if sample != audit.sample {
        bail!("the items to open are NOT the chosen ones and the sample the seed determines");
    }
    if audit.answer_index.is_none() {
        bail!("the audit is not answered yet");
    }
    let opened: Vec<u32> = audit.opened.iter().map(|o| o.position).collect();
    if opened != sample {
        bail!("the answer does NOT open the sampled items");
    }
    for o in &audit.opened {
        let opening = ItemOpening {
            amount: o.amount,
            category: o.category,
            salt: field_from_bytes(&hex32("salt", &o.salt)?)?,
        };
        let logged = &view.expenditures[o.position as usize].commitment;
        if hex::encode(field_to_bytes(&item_commitment(&opening))) != *logged {
            bail!(
                "the opening of item {} does NOT match its logged commitment",
                o.position
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
    println!(
        "ok: {} records verified against the log's checkpoint of size {}",
        bundle.evidence.entries.len(),
        verified.checkpoint_size
    );
    println!(
        "ok: period {:?} of {}: the report's proof ({} record(s)) covers all {} logged expenditures (chunks of {}, k = {})",
        verified.period,
        verified.agency,
        verified.report_records,
        verified.items,
        verified.shape.chunk_size(),
        verified.shape.k()
    );
    for c in &verified.categories {
        let contract = c
            .contract
            .as_ref()
            .map(|(tender, value)| format!("  contract {tender} value {value}"))
            .unwrap_or_default();
        println!(
            "    {:<24} total {:>16}  appropriation {:>16}{contract}",
            c.label, c.total, c.appropriation
        );
    }
    for (sample, answered) in &verified.audits {
        println!(
            "ok: audit of {} items {}",
            sample.len(),
            if *answered {
                "answered, every opening matches its commitment"
            } else {
                "NOT answered yet"
            }
        );
    }
    Ok(())
}
