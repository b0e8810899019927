//! Importing OCDS releases into the log (`zkaudit funds import-ocds`).
//!
//! An import runs in two steps, and logs nothing unless the first passes
//! whole:
//!
//! 1. **Check and plan, offline and against the log.** Every release is
//!    validated against the OCDS 1.1 release schema (the standard's own
//!    file, [`RELEASE_SCHEMA`], by the `jsonschema` crate) and read by
//!    [`zkaudit_ledger::funds::ocds::plan`]; any error names the field's
//!    path in the input. Then each contract is looked up in the log — the
//!    same contract already logged is skipped, a different one under the
//!    same id is refused — and each payment's period is looked up: it must
//!    have an open budget with a category bound to the payment's contract,
//!    and a payment already logged (by its label) is skipped.
//! 2. **Log.** Contracts first, then the payments: their openings are
//!    drawn and saved to the openings file before anything is logged, so a
//!    logged commitment always has its opening.
//!
//! A re-import logs nothing twice. The log has no multi-record
//! transaction: if the log refuses a record or the connection drops in
//! step 2 (a race with another writer), the import stops, and running it
//! again logs exactly what is missing — a payment's opening saved before
//! the interruption is reused, so its commitment is the same.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use zkaudit_circuits::funds::{ItemOpening, field_to_bytes, item_commitment};
use zkaudit_ledger::funds::ocds::{Money, SourceRelease, plan, read_releases};
use zkaudit_ledger::funds::{CONTRACT, Contract, EXPENDITURE, Expenditure};
use zkaudit_ledger::note::NoteSigningKey;

use super::{OpeningsFile, os_rng, period_view, post, stored_opening};
use crate::client::schema::StandardSchema;
use crate::client::{Client, ClientError};
use crate::domains::funds::{ContractSourceView, ContractView, PeriodView};

/// The OCDS 1.1.5 release schema (open-contracting/standard, branch 1.1,
/// commit 715687a4, `schema/release-schema.json`), unchanged.
pub const RELEASE_SCHEMA: &str = include_str!("ocds-1.1-release-schema.json");

/// What an import will do, or did.
#[derive(Debug, Default)]
pub struct ImportOutcome {
    /// One line per contract or payment: logged (or to log) or skipped,
    /// and why.
    pub lines: Vec<String>,
    /// Records logged (or that would be, in a dry run).
    pub logged: usize,
    /// Contracts and payments already in the log.
    pub already: usize,
}

/// How to import.
#[derive(Debug)]
pub struct ImportOptions<'a> {
    /// The currency amounts must be in.
    pub money: &'a Money,
    /// The period every payment goes to; by default the calendar quarter
    /// of its date (`2027-Q1`).
    pub period: Option<&'a str>,
    /// The agency's openings file.
    pub openings: &'a Path,
    /// Only say what would be logged.
    pub dry_run: bool,
}

/// Checks `text` (a release package or JSON Lines of releases) whole, then
/// logs what it holds that the log lacks, signed by `key`.
pub fn import_ocds(
    client: &Client,
    key: &NoteSigningKey,
    text: &str,
    options: &ImportOptions<'_>,
) -> Result<ImportOutcome> {
    let releases = read_releases(text)?;
    validate_against_schema(&releases)?;
    let plan = plan(&releases, options.money)?;
    let agency = hex::encode(key.public_key().as_bytes());
    let mut outcome = ImportOutcome::default();
    for skipped in &plan.skipped {
        outcome.lines.push(format!("not logged: {skipped}"));
    }

    // Step 1: against the log, before anything is written.
    let mut contracts = Vec::new();
    for planned in &plan.contracts {
        let c = &planned.contract;
        match logged_contract(client, &agency, &c.tender)? {
            None => contracts.push(c.clone()),
            Some(view) if same_contract(&view, c) => {
                outcome.already += 1;
                outcome.lines.push(format!(
                    "already logged: contract {} at index {}",
                    c.tender, view.index
                ));
            }
            Some(view) => bail!(
                "{}: contract {} is already logged at index {} with other terms (value {}, ends on day {}); \
                 zkaudit logs a contract once, so an amendment after it was logged is refused",
                planned.path,
                c.tender,
                view.index,
                view.value,
                view.ends_day
            ),
        }
    }
    for referenced in &plan.referenced {
        let Some(logged) = logged_contract(client, &agency, &referenced.contract)? else {
            bail!(
                "{}: no award {:?} in the package, and contract {} is not logged",
                referenced.path,
                referenced.award_id,
                referenced.contract
            );
        };
        if let Some(source) = logged.source.filter(|s| s.award_id != referenced.award_id) {
            bail!(
                "{}: no award {:?} in the package, and contract {} is logged with award {:?}",
                referenced.path,
                referenced.award_id,
                referenced.contract,
                source.award_id
            );
        }
    }
    let mut openings = OpeningsFile::load(options.openings)?;
    let mut periods: BTreeMap<String, PeriodView> = BTreeMap::new();
    let mut payments = Vec::new();
    for payment in &plan.payments {
        let period = options
            .period
            .map_or_else(|| payment.quarter(), str::to_owned);
        if !periods.contains_key(&period) {
            let view = open_period(client, &agency, &period, &payment.path)?;
            periods.insert(period.clone(), view);
        }
        let view = &periods[&period];
        let label = payment.label();
        if let Some(item) = view.expenditures.iter().find(|i| i.label == label) {
            outcome.already += 1;
            outcome.lines.push(format!(
                "already logged: payment {label} in {period} at index {}",
                item.index
            ));
            continue;
        }
        let category = view
            .categories
            .iter()
            .position(|c| c.contract.as_deref() == Some(payment.contract.as_str()))
            .ok_or_else(|| {
                anyhow!(
                    "{}: the budget of {period} binds no category to contract {} \
                     (log the contract, then a budget with a category `label=amount@{}`, then import its payments)",
                    payment.path,
                    payment.contract,
                    payment.contract
                )
            })?;
        payments.push((period, label, payment.amount, category as u16));
    }
    for c in &contracts {
        outcome.lines.push(format!(
            "{}contract {} ({}, value {} minor units)",
            if options.dry_run {
                "would log: "
            } else {
                "logged: "
            },
            c.tender,
            c.winner,
            c.value
        ));
    }
    for (period, label, _, category) in &payments {
        outcome.lines.push(format!(
            "{}payment {label} in {period}, category {category} (amount committed, not published)",
            if options.dry_run {
                "would log: "
            } else {
                "logged: "
            },
        ));
    }
    outcome.logged = contracts.len() + payments.len();
    if options.dry_run {
        return Ok(outcome);
    }

    // Step 2: log. Openings are saved before their commitments are logged.
    let mut items = Vec::new();
    for (period, label, amount, category) in payments {
        let reused = openings
            .openings
            .iter()
            .find(|o| {
                o.period == period
                    && o.label == label
                    && o.amount == amount
                    && o.category == category
            })
            .cloned();
        let stored = match reused {
            Some(stored) => stored,
            None => {
                let opening = ItemOpening::random(amount, category, os_rng());
                let stored = stored_opening(&period, &label, &opening);
                openings.openings.push(stored.clone());
                stored
            }
        };
        let commitment = openings
            .find(&stored.commitment)
            .map(|o| field_to_bytes(&item_commitment(&o)))
            .context("an opening just stored cannot be read back")?;
        items.push(Expenditure {
            period,
            commitment,
            label,
        });
    }
    if !items.is_empty() {
        openings.save(options.openings)?;
    }
    for c in &contracts {
        post(client, key, CONTRACT, c.encode()).with_context(|| {
            format!(
                "logging contract {} (run the import again to finish it)",
                c.tender
            )
        })?;
    }
    for item in &items {
        post(client, key, EXPENDITURE, item.encode()).with_context(|| {
            format!(
                "logging payment {} (run the import again to finish it)",
                item.label
            )
        })?;
    }
    Ok(outcome)
}

/// Every release against the OCDS release schema, formats asserted.
fn validate_against_schema(releases: &[SourceRelease]) -> Result<()> {
    let schema = StandardSchema::compile(RELEASE_SCHEMA, "OCDS 1.1 release schema")?;
    releases
        .iter()
        .try_for_each(|source| schema.check(&source.release, &source.path))
}

/// The agency's contract `tender` as logged, or `None`.
fn logged_contract(client: &Client, agency: &str, tender: &str) -> Result<Option<ContractView>> {
    match client.get::<ContractView>(&format!("/v1/funds/contracts/{agency}/{tender}")) {
        Ok(view) => Ok(Some(view)),
        Err(ClientError::Refused { status, .. }) if status.as_u16() == 404 => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The period a payment goes to: it must have a budget and be open.
fn open_period(client: &Client, agency: &str, period: &str, path: &str) -> Result<PeriodView> {
    let view = match period_view(client, agency, period) {
        Ok(view) => view,
        Err(e) => {
            let missing = e.downcast_ref::<ClientError>().is_some_and(
                |e| matches!(e, ClientError::Refused { status, .. } if status.as_u16() == 404),
            );
            if missing {
                bail!("{path}: the agency has no budget for period {period}");
            }
            return Err(e);
        }
    };
    if view.summary.report_index.is_some() {
        bail!("{path}: period {period} is already reported (closed)");
    }
    Ok(view)
}

/// The logged contract says what the import would log.
fn same_contract(view: &ContractView, c: &Contract) -> bool {
    view.winner == c.winner
        && view.value == c.value
        && view.awarded_day == c.awarded_day
        && view.ends_day == c.ends_day
        && view.documents == c.documents.iter().map(hex::encode).collect::<Vec<_>>()
        && view.source == c.source.as_ref().map(ContractSourceView::from)
}
