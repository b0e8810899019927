//! Public funds as a client sees it: the agency's local openings file,
//! proving and logging a period's report, answering and checking spot
//! audits, and the period and audit views they work from. The command line
//! (`zkaudit funds …`), the demo, the tests and the benches all go through
//! these functions.

pub mod ocds;
pub mod prover;
pub mod prover_queue;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rand::RngCore as _;
use rand_core_halo2::SeedableRng as _;
use serde::{Deserialize, Serialize};
use zkaudit_circuits::funds::{
    FundsParams, FundsProvingKey, FundsShape, ItemOpening, PeriodReport, field_from_bytes,
    field_to_bytes, item_commitment, prove_period,
};
use zkaudit_ledger::funds::{
    AuditOpening, DOMAIN, MAX_REPORT_PROOF, OpenedItem, REPORT, REPORT_PART, Report, ReportPart,
    audit_positions,
};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_verifier::Receipt;

use super::Client;
use super::keys::hex32;
use crate::domains::funds::{AuditView, PeriodView};
use crate::keyfile::write_secret_file;

/// Format tag of openings files.
pub const OPENINGS_FORMAT: &str = "zkaudit-funds-openings/v1";

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
    report_records(period, openings.len(), &proved)
}

/// The records that log `proved`, a report over `items` items: its proof
/// split into records of at most [`MAX_REPORT_PROOF`] bytes.
pub fn report_records(period: &str, items: usize, proved: &PeriodReport) -> Result<ReportRecords> {
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
            items: u32::try_from(items)?,
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

/// Signs a funds record of `kind` over `payload` with `key` and appends it.
pub fn post(
    client: &Client,
    key: &NoteSigningKey,
    kind: &str,
    payload: Vec<u8>,
) -> Result<Receipt> {
    let record = client.sign(key, DOMAIN, kind, payload)?;
    Ok(client.append(&record)?)
}

/// The period `period` of `agency` (hex) as the service publishes it.
pub fn period_view(client: &Client, agency: &str, period: &str) -> Result<PeriodView> {
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

/// The (agency hex, period) an audit targets, from the periods list.
pub fn audit_target(client: &Client, audit: &AuditView) -> Result<(String, String)> {
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

/// The period `audit` targets, which must be `agency`'s.
pub fn period_of_audit(client: &Client, agency: &str, audit: &AuditView) -> Result<PeriodView> {
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

/// The audit whose request record id is `request` (hex).
pub fn audit_view(client: &Client, request: &str) -> Result<AuditView> {
    Ok(serde_json::from_value(
        client.get_json(&format!("/v1/funds/audits/{request}"))?,
    )?)
}
