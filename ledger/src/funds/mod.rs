//! Public funds: agencies' budgets, hidden expenditures, proven period
//! reports and spot audits, replayed from the log.
//!
//! Every record is signed by an authority; the agency of a budget,
//! expenditure, report or audit answer is its signer.
//!
//! | kind             | signed by  | payload                                                      |
//! |------------------|------------|--------------------------------------------------------------|
//! | `budget`         | agency     | [`Budget`]: period, circuit chunk size, category labels and appropriations |
//! | `contract`       | agency     | [`Contract`]: tender id, winner, value, dates, document digests |
//! | `expenditure`    | agency     | [`Expenditure`]: period, item commitment, public label       |
//! | `report.part`    | agency     | [`ReportPart`]: period, first chunk, a run of full chunks' proofs |
//! | `report`         | agency     | [`Report`]: period, items, first chunk, per-category totals, final blinding, the last run of chunk proofs |
//! | `audit.request`  | oversight  | [`AuditRequest`]: agency, period, seed (a checkpoint root), sample size |
//! | `audit.opening`  | agency     | [`AuditOpening`]: the request's id and the sampled items' openings |
//!
//! Rules ([`FundsBook::check`]):
//!
//! - one budget per (agency, period); it fixes the circuit shape
//!   (`chunk_size` × number of categories) the report is proved in; a
//!   category may be bound to one of the agency's logged contracts, whose
//!   value then caps that category's total summed over every reported
//!   period;
//! - expenditures need the period's budget and are refused once the period
//!   is reported (closed), so the report covers exactly the items logged
//!   before it, in log order;
//! - one report per (agency, period), with one total per category, each
//!   total at most the category's appropriation and, for a contract's
//!   category, the contract's payments so far at most its value. The
//!   period proof's chain of running totals is checked here; its halo2
//!   chunk proofs are checked by the service (and by the offline verifier)
//!   against [`Period::commitments`]; this book holds no keys;
//! - an audit request names a reported period and a seed from a checkpoint
//!   logged AFTER the report (so the agency could not foresee the sample);
//!   the sample is [`derive_sample`] of the seed, which anyone recomputes;
//! - one answer per request, by the audited agency, opening exactly the
//!   sampled items, each opening matching its logged commitment.
//!
//! # Reports in several records
//!
//! A record holds at most [`MAX_REPORT_PROOF`] bytes of proof: about 9
//! chunk proofs at the production shape (1,024 items per chunk, k = 15 in
//! circuit version 2, ~5.9 KB each; 11 of version 1's, ~4.8 KB). A larger
//! period's proof is logged as `report.part` records, each a run of
//! consecutive full chunks continuing the chain of
//! running totals where the previous part ended, then the `report` with
//! the last run (at least one chunk) and the totals. Parts are staged on
//! the open period; a part starting at chunk 0 discards what was staged
//! (an agency that must re-prove, e.g. because an expenditure raced its
//! report, starts over). The report names the chunk it starts at, so it
//! cannot silently build on another set of parts.
//!
//! The folder holds the payloads and their codecs (`records`: budgets and
//! contracts, reports, audits), the error (`error`), the replayed periods
//! (`book`) and the tests.

mod book;
mod error;
pub mod ocds;
mod records;

pub use book::{Audit, Checked, ContractEntry, FundsBook, Item, Period, PeriodKey, period_key};
pub use error::{FundsResult, FundsRuleError};
pub use records::{
    AuditOpening, AuditRequest, Budget, Category, Contract, ContractSource, Expenditure,
    OpenedItem, Report, ReportPart, audit_positions, derive_sample, document_digest,
    is_valid_period,
};

/// The domain name.
pub const DOMAIN: &str = "funds";
/// Kind: an agency's appropriation for one period.
pub const BUDGET: &str = "budget";
/// Kind: a procurement contract award (public).
pub const CONTRACT: &str = "contract";
/// Kind: one hidden expenditure.
pub const EXPENDITURE: &str = "expenditure";
/// Kind: a period's proven per-category totals.
pub const REPORT: &str = "report";
/// Kind: a run of a large period's chunk proofs, logged before its report.
pub const REPORT_PART: &str = "report.part";
/// Kind: an oversight body's spot-audit request.
pub const AUDIT_REQUEST: &str = "audit.request";
/// Kind: the agency's openings of the sampled items.
pub const AUDIT_OPENING: &str = "audit.opening";

/// Chunk sizes a budget may choose (the circuit's k follows: 4 → 11,
/// 16 → 11, 64 → 12, 256 → 14, 1,024 → 16).
pub const CHUNK_SIZES: [usize; 5] = [4, 16, 64, 256, 1024];
/// Largest period proof a report carries (fits a record with its header).
pub const MAX_REPORT_PROOF: usize = 56_000;
/// Largest audit sample.
pub const MAX_SAMPLE: usize = 256;
/// Domain-separation tag of the audit sample derivation.
pub const SAMPLE_CONTEXT: &[u8] = b"zkaudit/v1/funds-audit-sample\0";

/// Most document digests a contract carries.
pub const MAX_DOCUMENTS: usize = 16;

const MAX_PERIOD: usize = 32;
const MAX_LABEL: usize = 128;

#[cfg(test)]
mod tests;
