//! Public-funds bundles: one agency's period — budget, every expenditure
//! commitment, the proven report and its spot audits — checkable offline.
//!
//! [`FundsBundle::verify`] checks the records' inclusion under one signed
//! checkpoint, that the agency was a logged authority granted `funds/*`
//! kinds, replays the period through the service's own rules
//! ([`FundsBook`]: budget, open period, totals within appropriations, audit
//! samples re-derived from their seeds and openings matching their
//! commitments, each contract-bound total within its contract's value) and
//! verifies the whole halo2 period proof — the chunks of its `report.part`
//! records and of the report — against the commitments in log order
//! ([`verify_report`]), as one batch. A bundle that leaves out or repeats an
//! expenditure fails the proof.

use serde::{Deserialize, Serialize};
use zkaudit_circuits::funds::{FundsError, FundsParams, FundsShape, FundsVerifyingKey};
use zkaudit_ledger::funds::{self, FundsBook, REPORT};
use zkaudit_ledger::signature::parse_verifying_key;

use crate::error::{expect_format, mismatch};
use crate::evidence::{LogEvidence, granted};
use crate::{Result, VerifyError};

mod ocds;
mod report;

pub use ocds::verify_ocds_evidence;
pub use report::{verify_report, verify_report_tail};

/// Format tag of funds bundles.
pub const FUNDS_BUNDLE_FORMAT: &str = "zkaudit-funds-bundle/v1";

/// One agency's period and what checking it needs (JSON).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FundsBundle {
    /// Always [`FUNDS_BUNDLE_FORMAT`].
    pub format: String,
    /// The agency's Ed25519 key, hex.
    pub agency: String,
    /// The period id.
    pub period: String,
    /// The authority set, the budget, every expenditure, the report and the
    /// audits, with inclusion proofs against one checkpoint.
    pub evidence: LogEvidence,
}

/// One category of a verified report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedCategory {
    /// The budget's label.
    pub label: String,
    /// The appropriation.
    pub appropriation: u64,
    /// The proven total.
    pub total: u128,
    /// The contract the category pays under: tender id and value. The
    /// total is checked to be within the value (payments of other periods
    /// under the same contract are checked by the log's replay, not by
    /// this bundle).
    pub contract: Option<(String, u64)>,
}

/// What a verified bundle establishes.
#[derive(Clone, Debug)]
pub struct VerifiedFunds {
    /// The agency's authority name.
    pub agency: String,
    /// The period.
    pub period: String,
    /// Circuit shape of the report.
    pub shape: FundsShape,
    /// Items covered by the report.
    pub items: usize,
    /// Records the report's proof is logged in (its parts and itself).
    pub report_records: usize,
    /// Per-category proven totals.
    pub categories: Vec<VerifiedCategory>,
    /// Audits: sampled positions and whether they were opened (and checked).
    pub audits: Vec<(Vec<u32>, bool)>,
    /// Size of the checkpoint everything is included in.
    pub checkpoint_size: u64,
}

impl FundsBundle {
    /// Checks the bundle against the log's signed-note verifier key.
    /// `params` gives the IPA parameters for a circuit size `k` (cached on
    /// disk by callers: generating them takes seconds to minutes).
    pub fn verify(
        &self,
        log_vkey: &str,
        params: impl FnOnce(u32) -> std::result::Result<FundsParams, FundsError>,
    ) -> Result<VerifiedFunds> {
        expect_format(&self.format, FUNDS_BUNDLE_FORMAT)?;
        let agency_bytes: [u8; 32] = hex::decode(&self.agency)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| VerifyError::Malformed {
                what: "agency",
                reason: "not 32 hex bytes".into(),
            })?;
        let agency = parse_verifying_key(&agency_bytes).map_err(|e| VerifyError::Malformed {
            what: "agency",
            reason: e.to_string(),
        })?;
        let evidence = self.evidence.verify(log_vkey)?;
        let mut book = FundsBook::new();
        let mut funds_indices = Vec::new();
        for (index, record) in &evidence.entries {
            if record.domain() == funds::DOMAIN {
                funds_indices.push(*index);
                book.apply(*index, record);
            }
        }
        let period = book
            .period(&agency, &self.period)
            .ok_or_else(|| mismatch("the bundle holds no budget of this agency for the period"))?;
        if period.indices() != funds_indices {
            return Err(mismatch(
                "the bundle holds funds records that are not part of the period or break its rules",
            ));
        }
        let (report_index, report) = period
            .report
            .as_ref()
            .ok_or_else(|| mismatch("the period has no report"))?;
        // The agency must have been an authority granted reports when it reported.
        let set = evidence.authority_before(*report_index, "the report")?;
        let authority = granted(&set, &agency, funds::DOMAIN, REPORT, "the agency")?;
        // The budget's shape in the layout the report was proved in (the
        // book checked that every part of it keeps to one layout).
        let shape = period.full_proof(report).map_err(VerifyError::Funds)?.shape;
        let params = params(shape.k()).map_err(VerifyError::Funds)?;
        let vk = FundsVerifyingKey::generate(&params, shape).map_err(VerifyError::Funds)?;
        verify_report(period, report, &params, &vk).map_err(VerifyError::Funds)?;
        Ok(VerifiedFunds {
            agency: authority.name.clone(),
            period: self.period.clone(),
            shape,
            items: period.items.len(),
            report_records: period.parts.len() + 1,
            categories: period
                .budget
                .categories
                .iter()
                .zip(&report.totals)
                .map(|(c, t)| VerifiedCategory {
                    label: c.label.clone(),
                    appropriation: c.appropriation,
                    total: *t,
                    contract: c.contract.as_ref().and_then(|tender| {
                        book.contract(&agency, tender)
                            .map(|e| (tender.clone(), e.contract.value))
                    }),
                })
                .collect(),
            audits: period
                .audits
                .iter()
                .map(|a| (a.sample.clone(), a.answer.is_some()))
                .collect(),
            checkpoint_size: evidence.checkpoint.size,
        })
    }
}
