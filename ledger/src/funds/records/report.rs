//! Period reports: the per-category totals with the last run of chunk
//! proofs, and the report parts that carry a large period's earlier runs.

use zkaudit_circuits::funds::MAX_CATEGORIES;

use super::{read_field, read_period, read_u128};
use crate::codec::{Reader, Writer};
use crate::funds::error::invalid;
use crate::funds::{FundsResult, MAX_REPORT_PROOF};

/// `report`: a period's per-category totals with their proof.
#[derive(Clone, PartialEq, Eq)]
pub struct Report {
    /// Period id.
    pub period: String,
    /// Number of expenditures the report covers: must be the period's
    /// count when the report is logged (an expenditure logged in between
    /// makes the book skip the report, so a report never silently covers
    /// fewer items than its period holds).
    pub items: u32,
    /// The chunk `proof` starts at: the number of chunks staged by the
    /// period's `report.part` records (0 for a report in one record).
    pub first_chunk: u32,
    /// Per-category totals in minor units, one per budget category.
    pub totals: Vec<u128>,
    /// The final blinding of the running totals (public: it opens the last
    /// chunk's commitment to the totals).
    pub final_blinding: [u8; 32],
    /// [`zkaudit_circuits::funds::PeriodProof::to_bytes`] of the period's
    /// chunks from `first_chunk` on.
    pub proof: Vec<u8>,
}

impl core::fmt::Debug for Report {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Report")
            .field("period", &self.period)
            .field("items", &self.items)
            .field("first_chunk", &self.first_chunk)
            .field("totals", &self.totals)
            .field("proof_bytes", &self.proof.len())
            .finish()
    }
}

impl Report {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.period)
            .u32(self.items)
            .u32(self.first_chunk)
            .u8(self.totals.len() as u8);
        for t in &self.totals {
            w.fixed(&t.to_be_bytes());
        }
        w.fixed(&self.final_blinding).bytes(&self.proof);
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> FundsResult<Self> {
        let mut r = Reader::new(bytes);
        let period = read_period(&mut r)?;
        let items = r.u32("items")?;
        let first_chunk = r.u32("first chunk")?;
        let n = r.u8("totals")? as usize;
        if n == 0 || n > MAX_CATEGORIES {
            return Err(invalid("totals: 1 to 16"));
        }
        let totals = (0..n)
            .map(|_| read_u128(&mut r, "total"))
            .collect::<FundsResult<Vec<_>>>()?;
        let final_blinding = read_field(&mut r, "final blinding")?;
        let proof = r.bytes("proof", MAX_REPORT_PROOF)?.to_vec();
        r.finish()?;
        Ok(Self {
            period,
            items,
            first_chunk,
            totals,
            final_blinding,
            proof,
        })
    }
}

/// `report.part`: a run of consecutive full chunks of a large period's
/// proof, logged before the report (see the module documentation).
#[derive(Clone, PartialEq, Eq)]
pub struct ReportPart {
    /// Period id.
    pub period: String,
    /// The run's first chunk: 0 (starting over) or the number of chunks
    /// already staged.
    pub first_chunk: u32,
    /// [`zkaudit_circuits::funds::PeriodProof::to_bytes`] of the run.
    pub proof: Vec<u8>,
}

impl core::fmt::Debug for ReportPart {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ReportPart")
            .field("period", &self.period)
            .field("first_chunk", &self.first_chunk)
            .field("proof_bytes", &self.proof.len())
            .finish()
    }
}

impl ReportPart {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.period).u32(self.first_chunk).bytes(&self.proof);
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> FundsResult<Self> {
        let mut r = Reader::new(bytes);
        let period = read_period(&mut r)?;
        let first_chunk = r.u32("first chunk")?;
        let proof = r.bytes("proof", MAX_REPORT_PROOF)?.to_vec();
        r.finish()?;
        Ok(Self {
            period,
            first_chunk,
            proof,
        })
    }
}
