//! What a verification established, in words: the report `zkaudit verify`
//! prints and the web board shows, made once here so that both say the same
//! thing about the same bundle.
//!
//! Each verified document becomes a list of [`Line`]s, each with a
//! [`Level`]: what was checked and holds (`ok`), what a reader should know
//! (`note`), what weakens the result (`WARNING`), what fails (`FAILED`),
//! and plain detail lines (results, totals).

use std::fmt;

use serde::Serialize;
use zkaudit_ledger::identity::KeyCeremony;

use crate::claim::{ClaimBundle, ClaimReport};
use crate::funds::{FundsBundle, VerifiedFunds};
use crate::health::VerifiedExtract;
use crate::land::VerifiedHistory;
use crate::{Receipt, VerifiedReceipt};
use zkaudit_ledger::health::{TraceReport, patient_hex};

mod election;

pub use election::{ballots_line, contest_rule, election, standing};

/// How a line bears on the result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Checked, and it holds.
    Ok,
    /// Worth knowing; not a failure.
    Note,
    /// The result holds only as far as this allows.
    Warning,
    /// A check failed: the document proves something is wrong.
    Failed,
    /// Detail under the line before (results, totals), no verdict.
    Detail,
}

/// One line of a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    /// How it bears on the result.
    pub level: Level,
    /// What it says.
    pub text: String,
}

impl Line {
    /// A line of `level` saying `text`.
    pub fn new(level: Level, text: impl Into<String>) -> Self {
        Self {
            level,
            text: text.into(),
        }
    }

    fn ok(text: impl Into<String>) -> Self {
        Self::new(Level::Ok, text)
    }

    fn note(text: impl Into<String>) -> Self {
        Self::new(Level::Note, text)
    }

    fn detail(text: impl Into<String>) -> Self {
        Self::new(Level::Detail, text)
    }
}

/// As `zkaudit verify` prints it: `ok: …`, `note: …`, `WARNING: …`,
/// `FAILED: …`; detail lines as they are.
impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.level {
            Level::Ok => "ok: ",
            Level::Note => "note: ",
            Level::Warning => "WARNING: ",
            Level::Failed => "FAILED: ",
            Level::Detail => "",
        };
        write!(f, "{prefix}{}", self.text)
    }
}

/// A verified receipt: what the record is and where the log holds it.
pub fn receipt(receipt: &Receipt, verified: &VerifiedReceipt) -> Vec<Line> {
    vec![
        Line::ok(format!(
            "record {}/{} (id {}) is entry {} of log {:?}",
            verified.record.domain(),
            verified.record.kind(),
            receipt.record_id,
            verified.index,
            verified.checkpoint.origin
        )),
        Line::ok(format!(
            "included in the checkpoint of size {} signed by the log",
            verified.checkpoint.size
        )),
    ]
}

/// A verified claim bundle.
pub fn claim(bundle: &ClaimBundle, report: &ClaimReport) -> Vec<Line> {
    vec![
        records_line(bundle.evidence.entries.len(), report.checkpoint_size),
        Line::ok(format!(
            "claim at index {} for scope {:?} (created by {}) with a credential of registry {:?} (issued by {})",
            report.index, report.scope, report.scope_owner, report.registry, report.issuer
        )),
        Line::ok(format!(
            "proof verified against the logged root of registry version {} and the logged key {}",
            report.root_version, report.vk_digest
        )),
        Line::detail(format!("    nullifier {}", report.nullifier)),
        key_origin(
            "verifying key",
            report.development_key,
            report.key_ceremony.as_ref(),
        ),
    ]
}

/// A verified funds bundle: the period, its proven totals, its audits.
pub fn funds(bundle: &FundsBundle, verified: &VerifiedFunds) -> Vec<Line> {
    let mut lines = vec![
        records_line(bundle.evidence.entries.len(), verified.checkpoint_size),
        Line::ok(format!(
            "period {:?} of {}: the report's proof ({} record(s)) covers all {} logged expenditures (chunks of {}, k = {})",
            verified.period,
            verified.agency,
            verified.report_records,
            verified.items,
            verified.shape.chunk_size(),
            verified.shape.k()
        )),
    ];
    for c in &verified.categories {
        let contract = c
            .contract
            .as_ref()
            .map(|(tender, value)| format!("  contract {tender} value {value}"))
            .unwrap_or_default();
        lines.push(Line::detail(format!(
            "    {:<24} total {:>16}  appropriation {:>16}{contract}",
            c.label, c.total, c.appropriation
        )));
    }
    for (sample, answered) in &verified.audits {
        lines.push(Line::ok(format!(
            "audit of {} items {}",
            sample.len(),
            if *answered {
                "answered, every opening matches its commitment"
            } else {
                "NOT answered yet"
            }
        )));
    }
    lines
}

/// A verified land title history: the parcel, each event in log order,
/// the current owner and liens.
pub fn land(verified: &VerifiedHistory) -> Vec<Line> {
    let p = &verified.parcel;
    let mut lines = vec![Line::ok(format!(
        "parcel {} — {} events, all included in the checkpoint of size {} of log {:?}, chain of owners unbroken and signed",
        p.registration.parcel,
        verified.events.len(),
        verified.checkpoint.size,
        verified.checkpoint.origin
    ))];
    for (index, record) in &verified.events {
        lines.push(Line::detail(format!("  #{index:<8} {}", record.kind())));
    }
    lines.push(Line::detail(format!(
        "current owner {} since entry {} (version {}), {} active lien(s)",
        hex::encode(p.owner.as_bytes()),
        p.owner_since_index,
        p.version,
        p.liens.len()
    )));
    lines
}

/// A verified chain of custody of a vaccine lot.
pub fn trace(verified: &VerifiedExtract, report: &TraceReport) -> Vec<Line> {
    let l = &report.lot;
    let mut lines = vec![
        Line::ok(format!(
            "lot {} ({}): {} doses registered by {}, expiring at {} ms",
            l.spec.lot,
            l.spec.product,
            l.spec.quantity,
            patient_hex(&l.manufacturer),
            l.spec.expiry_ms
        )),
        Line::ok(format!(
            "{} transfers and {} administrations ({} doses{}), every entry included in checkpoint {} and every rule holds",
            report.transfers,
            report.administrations,
            l.total_administered(),
            match report.corrections {
                0 => String::new(),
                n => format!("; {n} declared erroneous and not counted"),
            },
            verified.checkpoint.size
        )),
    ];
    for (holder, q) in l.holdings.iter().filter(|(_, q)| **q > 0) {
        lines.push(Line::detail(format!(
            "  held by {}: {q}",
            hex::encode(holder)
        )));
    }
    lines
}

/// Where a circuit key comes from: a ceremony on the log (with how many
/// contributors), an import, or — loudly — a development setup.
pub fn key_origin(what: &str, development: bool, ceremony: Option<&KeyCeremony>) -> Line {
    match (development, ceremony) {
        (true, _) => Line::new(
            Level::Warning,
            format!("the {what} comes from a DEVELOPMENT setup: whoever ran it can forge proofs"),
        ),
        (false, Some(c)) => Line::ok(format!(
            "the {what} comes from ceremony {:?} on this log: {} contributor{}, sound if any \
             one was honest (final key sha3-256 {}; check it with `zkaudit ceremony verify`)",
            c.id,
            c.contributions,
            if c.contributions == 1 { "" } else { "s" },
            hex::encode(c.final_key)
        )),
        (false, None) => Line::note(format!(
            "the {what} was imported, not made by a ceremony on this log: check its \
             ceremony's transcript where it was published"
        )),
    }
}

/// The first line of every bundle's report.
fn records_line(records: usize, checkpoint_size: u64) -> Line {
    Line::ok(format!(
        "{records} records verified against the log's checkpoint of size {checkpoint_size}"
    ))
}
