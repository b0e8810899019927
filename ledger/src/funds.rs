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
//! A record holds at most [`MAX_REPORT_PROOF`] bytes of proof: about 11
//! chunk proofs at the production shape (1,024 items per chunk, k = 16,
//! ~4.8 KB each). A larger period's proof is logged as `report.part`
//! records, each a run of consecutive full chunks continuing the chain of
//! running totals where the previous part ended, then the `report` with
//! the last run (at least one chunk) and the totals. Parts are staged on
//! the open period; a part starting at chunk 0 discards what was staged
//! (an agency that must re-prove, e.g. because an expenditure raced its
//! report, starts over). The report names the chunk it starts at, so it
//! cannot silently build on another set of parts.

use std::collections::{BTreeMap, HashMap, HashSet};

use ed25519_dalek::VerifyingKey;
use sha3::{Digest, Sha3_256};
use zkaudit_circuits::funds::{
    ChainStart, ChunkProof, FundsError, FundsShape, ItemOpening, MAX_CATEGORIES, PeriodProof,
    field_from_bytes, field_to_bytes, item_commitment, pallas,
};

use crate::codec::{CodecError, Reader, Writer};
use crate::record::{Author, Record};

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

/// Why a funds record is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FundsRuleError {
    /// The payload is not a canonical encoding.
    #[error("malformed payload: {0}")]
    Malformed(#[from] CodecError),
    /// A field breaks a rule (id syntax, shape, non-canonical field element…).
    #[error("invalid {0}")]
    Invalid(String),
    /// Funds records are signed by an authority.
    #[error("funds records must be signed")]
    Unsigned,
    /// Not a funds kind.
    #[error("unknown funds record kind {0:?}")]
    UnknownKind(String),
    /// The agency has no budget for the period.
    #[error("no budget for period {0:?} of this agency")]
    NoBudget(String),
    /// The period already has a budget.
    #[error("period {0:?} of this agency already has a budget")]
    BudgetExists(String),
    /// The agency already logged a contract for this tender.
    #[error("tender {0:?} of this agency already has a contract")]
    ContractExists(String),
    /// The period is reported: no more expenditures, no second report.
    #[error("period {0:?} of this agency is already reported")]
    PeriodClosed(String),
    /// The report covers another number of items than the period holds.
    #[error("the report covers {claimed} items, the period holds {logged}")]
    ItemCount {
        /// Items the report claims.
        claimed: u32,
        /// Items logged for the period.
        logged: usize,
    },
    /// The period has no report yet (audits need one).
    #[error("period {0:?} of this agency is not reported yet")]
    NotReported(String),
    /// The commitment is already logged for this period.
    #[error("this commitment is already logged for period {0:?}")]
    DuplicateItem(String),
    /// A report's totals are not one per category.
    #[error("expected {expected} totals, found {found}")]
    TotalsCount {
        /// Categories of the budget.
        expected: usize,
        /// Totals given.
        found: usize,
    },
    /// A total exceeds the category's appropriation.
    #[error("category {category} total exceeds its appropriation")]
    OverBudget {
        /// The category.
        category: usize,
    },
    /// A budget category bound to a contract the agency has not logged.
    #[error("no contract {0:?} of this agency")]
    UnknownContract(String),
    /// Payments under a contract would exceed its value.
    #[error("category {category} would bring payments under contract {tender:?} above its value")]
    ContractExceeded {
        /// The category bound to the contract.
        category: usize,
        /// The contract's tender id.
        tender: String,
    },
    /// A report part or report that does not continue the staged parts.
    #[error(
        "the period has {staged} chunks staged; a part must start at chunk 0 or {staged}, a report at {staged} (found {first})"
    )]
    PartOutOfOrder {
        /// Chunks staged by earlier parts.
        staged: u32,
        /// The chunk the part or report starts at.
        first: u32,
    },
    /// A report part covering chunks that are not full of logged items
    /// (the period's last chunk belongs to the report).
    #[error("a report part holds only full chunks of logged items")]
    PartBeyondItems,
    /// The period proof (or part) is malformed, of another shape, or its
    /// chain of running totals is broken.
    #[error("period proof: {0}")]
    Proof(#[from] FundsError),
    /// An audit seed that is not from a checkpoint after the report.
    #[error("the audit seed must come from a checkpoint logged after the report (size > {0})")]
    EarlySeed(u64),
    /// No audit request has this id.
    #[error("unknown audit request")]
    UnknownRequest,
    /// The request already has an answer.
    #[error("the audit request is already answered")]
    AlreadyAnswered,
    /// The answer is not by the audited agency.
    #[error("only the audited agency answers an audit request")]
    NotAgency,
    /// The answer does not open exactly the sampled items.
    #[error("the answer must open exactly the sampled items {expected:?}")]
    WrongSample {
        /// The sampled item positions.
        expected: Vec<u32>,
    },
    /// An opening does not match the logged commitment.
    #[error("the opening of item {item} does not match its logged commitment")]
    OpeningMismatch {
        /// The item's position in the period.
        item: u32,
    },
}

/// Result alias of the funds rules.
pub type FundsResult<T> = std::result::Result<T, FundsRuleError>;

fn invalid(what: impl Into<String>) -> FundsRuleError {
    FundsRuleError::Invalid(what.into())
}

/// Period ids: 1 to 32 bytes of `[A-Za-z0-9-.]` (they appear in URL paths).
pub fn is_valid_period(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_PERIOD
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
}

fn read_period(r: &mut Reader<'_>) -> FundsResult<String> {
    let id = r.str("period", MAX_PERIOD)?.to_owned();
    if !is_valid_period(&id) {
        return Err(invalid("period: 1-32 of [A-Za-z0-9-.]"));
    }
    Ok(id)
}

fn read_label(r: &mut Reader<'_>, what: &'static str) -> FundsResult<String> {
    let label = r.str(what, MAX_LABEL)?.to_owned();
    if label.chars().any(char::is_control) {
        return Err(invalid(format!("{what}: control characters")));
    }
    Ok(label)
}

fn read_field(r: &mut Reader<'_>, what: &'static str) -> FundsResult<[u8; 32]> {
    let bytes = r.array::<32>(what)?;
    field_from_bytes(&bytes)
        .map_err(|_| invalid(format!("{what}: not a canonical Pallas field element")))?;
    Ok(bytes)
}

fn read_u128(r: &mut Reader<'_>, what: &'static str) -> FundsResult<u128> {
    Ok(u128::from_be_bytes(r.array::<16>(what)?))
}

/// One budget category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Category {
    /// Public label, e.g. `"roads"`.
    pub label: String,
    /// Appropriation in minor units.
    pub appropriation: u64,
    /// The tender id of the agency's contract whose payments this category
    /// holds, if any: its total over every reported period is capped by
    /// the contract's value.
    pub contract: Option<String>,
}

/// `budget`: an agency's appropriation for one period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Period id, e.g. `"2027-Q1"`.
    pub period: String,
    /// Items per proof chunk, one of [`CHUNK_SIZES`].
    pub chunk_size: u32,
    /// The categories (1 to 16); item categories index this list.
    pub categories: Vec<Category>,
}

impl Budget {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.period)
            .u32(self.chunk_size)
            .u8(self.categories.len() as u8);
        for c in &self.categories {
            w.str(&c.label).u64(c.appropriation);
            match &c.contract {
                None => w.u8(0),
                Some(tender) => w.u8(1).str(tender),
            };
        }
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> FundsResult<Self> {
        let mut r = Reader::new(bytes);
        let period = read_period(&mut r)?;
        let chunk_size = r.u32("chunk size")?;
        let n = r.u8("categories")? as usize;
        let mut categories = Vec::with_capacity(n);
        for _ in 0..n {
            let label = read_label(&mut r, "category label")?;
            let appropriation = r.u64("appropriation")?;
            let contract = match r.u8("contract flag")? {
                0 => None,
                1 => Some(
                    read_period(&mut r).map_err(|_| invalid("tender: 1-32 of [A-Za-z0-9-.]"))?,
                ),
                _ => return Err(invalid("contract flag: 0 or 1")),
            };
            categories.push(Category {
                label,
                appropriation,
                contract,
            });
        }
        r.finish()?;
        let budget = Self {
            period,
            chunk_size,
            categories,
        };
        budget.shape()?;
        let mut tenders: Vec<&String> = budget.contracts().map(|(_, t)| t).collect();
        tenders.sort_unstable();
        if tenders.windows(2).any(|w| w[0] == w[1]) {
            return Err(invalid("a contract is bound to at most one category"));
        }
        Ok(budget)
    }

    /// The categories bound to contracts: (category, tender id).
    pub fn contracts(&self) -> impl Iterator<Item = (usize, &String)> {
        self.categories
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.contract.as_ref().map(|t| (i, t)))
    }

    /// The circuit shape the period's report is proved in.
    pub fn shape(&self) -> FundsResult<FundsShape> {
        if !CHUNK_SIZES.contains(&(self.chunk_size as usize)) {
            return Err(invalid(format!("chunk size: one of {CHUNK_SIZES:?}")));
        }
        if self.categories.is_empty() || self.categories.len() > MAX_CATEGORIES {
            return Err(invalid("categories: 1 to 16"));
        }
        FundsShape::new(self.chunk_size as usize, self.categories.len())
            .map_err(|e| invalid(e.to_string()))
    }
}

/// `contract`: a procurement award, public in full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contract {
    /// Tender id (same syntax as period ids), unique per agency.
    pub tender: String,
    /// The winner's public name or registry number.
    pub winner: String,
    /// Contract value in minor units.
    pub value: u64,
    /// Award date, days since 1970-01-01.
    pub awarded_day: u32,
    /// End of the contract, days since 1970-01-01 (not before the award).
    pub ends_day: u32,
    /// SHA3-256 digests of the tender and contract documents (at most 16).
    pub documents: Vec<[u8; 32]>,
}

impl Contract {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.tender)
            .str(&self.winner)
            .u64(self.value)
            .u32(self.awarded_day)
            .u32(self.ends_day)
            .u8(self.documents.len() as u8);
        for d in &self.documents {
            w.fixed(d);
        }
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> FundsResult<Self> {
        let mut r = Reader::new(bytes);
        let tender = read_period(&mut r).map_err(|_| invalid("tender: 1-32 of [A-Za-z0-9-.]"))?;
        let winner = read_label(&mut r, "winner")?;
        if winner.is_empty() {
            return Err(invalid("winner: empty"));
        }
        let value = r.u64("value")?;
        let awarded_day = r.u32("award day")?;
        let ends_day = r.u32("end day")?;
        let n = r.u8("documents")? as usize;
        if n > MAX_DOCUMENTS {
            return Err(invalid(format!("at most {MAX_DOCUMENTS} documents")));
        }
        let documents = (0..n)
            .map(|_| r.array::<32>("document digest"))
            .collect::<Result<Vec<_>, _>>()?;
        r.finish()?;
        if ends_day < awarded_day {
            return Err(invalid("the contract ends before its award"));
        }
        Ok(Self {
            tender,
            winner,
            value,
            awarded_day,
            ends_day,
            documents,
        })
    }
}

/// The digest a contract logs for one of its documents: the plain
/// SHA3-256 of the file, so anyone recomputes it with any SHA3 tool.
pub fn document_digest(document: &[u8]) -> [u8; 32] {
    Sha3_256::digest(document).into()
}

/// `expenditure`: one hidden line item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expenditure {
    /// Period id.
    pub period: String,
    /// [`item_commitment`] of the opening, canonical bytes.
    pub commitment: [u8; 32],
    /// Public label (project, payee class…); never the amount.
    pub label: String,
}

impl Expenditure {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.period).fixed(&self.commitment).str(&self.label);
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> FundsResult<Self> {
        let mut r = Reader::new(bytes);
        let period = read_period(&mut r)?;
        let commitment = read_field(&mut r, "commitment")?;
        let label = read_label(&mut r, "label")?;
        r.finish()?;
        Ok(Self {
            period,
            commitment,
            label,
        })
    }
}

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

/// `audit.request`: an oversight body asks an agency to open items of a
/// reported period: items it chose (e.g. suspicious labels) and a random
/// sample of the others drawn from the seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRequest {
    /// The audited agency's Ed25519 key.
    pub agency: [u8; 32],
    /// Period id.
    pub period: String,
    /// Size of the checkpoint whose root is the seed.
    pub seed_size: u64,
    /// The root of the log's tree at `seed_size` (the service checks it).
    pub seed: [u8; 32],
    /// Randomly sampled items to open besides the chosen ones (capped at
    /// the period's other items).
    pub sample: u32,
    /// Positions the requester chose, strictly increasing (each below the
    /// period's number of items). Chosen and sampled items together are 1
    /// to [`MAX_SAMPLE`].
    pub chosen: Vec<u32>,
}

impl AuditRequest {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.fixed(&self.agency)
            .str(&self.period)
            .u64(self.seed_size)
            .fixed(&self.seed)
            .u32(self.sample)
            .u32(self.chosen.len() as u32);
        for position in &self.chosen {
            w.u32(*position);
        }
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> FundsResult<Self> {
        let mut r = Reader::new(bytes);
        let agency = r.array::<32>("agency")?;
        VerifyingKey::from_bytes(&agency).map_err(|_| invalid("agency: not an Ed25519 key"))?;
        let period = read_period(&mut r)?;
        let seed_size = r.u64("seed size")?;
        let seed = r.array::<32>("seed")?;
        let sample = r.u32("sample")?;
        let count = r.u32("chosen items")? as usize;
        if count > MAX_SAMPLE {
            return Err(invalid(format!("at most {MAX_SAMPLE} chosen items")));
        }
        let chosen = (0..count)
            .map(|_| r.u32("chosen item"))
            .collect::<Result<Vec<_>, _>>()?;
        r.finish()?;
        let total = sample as usize + count;
        if total == 0 || total > MAX_SAMPLE {
            return Err(invalid(format!(
                "chosen and sampled items: 1 to {MAX_SAMPLE} together"
            )));
        }
        if chosen.windows(2).any(|w| w[0] >= w[1]) {
            return Err(invalid("chosen items: strictly increasing"));
        }
        Ok(Self {
            agency,
            period,
            seed_size,
            seed,
            sample,
            chosen,
        })
    }

    /// The positions the answer must open, for a period of `items` items:
    /// [`audit_positions`]; [`FundsRuleError::Invalid`] if a chosen item is
    /// not in the period.
    pub fn positions(&self, items: usize) -> FundsResult<Vec<u32>> {
        if let Some(&last) = self.chosen.last()
            && last as usize >= items
        {
            return Err(invalid(format!(
                "chosen item {last}: the period has {items} items"
            )));
        }
        Ok(audit_positions(
            &self.seed,
            &self.agency,
            &self.period,
            items,
            self.sample as usize,
            &self.chosen,
        ))
    }
}

/// The items an audit opens: the `chosen` positions and
/// `min(sample, items − chosen)` other positions drawn by
/// [`derive_sample`]'s procedure with the chosen ones skipped, sorted.
pub fn audit_positions(
    seed: &[u8; 32],
    agency: &[u8; 32],
    period: &str,
    items: usize,
    sample: usize,
    chosen: &[u32],
) -> Vec<u32> {
    let mut all = sample_excluding(seed, agency, period, items, sample, chosen);
    all.extend_from_slice(chosen);
    all.sort_unstable();
    all.dedup();
    all
}

/// One opened item of an audit answer.
#[derive(Clone, PartialEq, Eq)]
pub struct OpenedItem {
    /// The item's position in the period (0 = first logged).
    pub item: u32,
    /// Amount in minor units.
    pub amount: u64,
    /// Category.
    pub category: u16,
    /// Salt, canonical bytes.
    pub salt: [u8; 32],
}

impl core::fmt::Debug for OpenedItem {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Opened items are public once logged; still, keep the salt out.
        f.debug_struct("OpenedItem")
            .field("item", &self.item)
            .field("amount", &self.amount)
            .field("category", &self.category)
            .finish()
    }
}

impl OpenedItem {
    /// The opening as the circuit's type.
    pub fn opening(&self) -> FundsResult<ItemOpening> {
        Ok(ItemOpening {
            amount: self.amount,
            category: self.category,
            salt: field_from_bytes(&self.salt).map_err(|_| invalid("salt"))?,
        })
    }
}

/// `audit.opening`: the agency's answer to an audit request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditOpening {
    /// Record id of the `audit.request`.
    pub request: [u8; 32],
    /// The sampled items' openings, in sample order.
    pub items: Vec<OpenedItem>,
}

impl AuditOpening {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.fixed(&self.request).u32(self.items.len() as u32);
        for i in &self.items {
            w.u32(i.item).u64(i.amount).u16(i.category).fixed(&i.salt);
        }
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> FundsResult<Self> {
        let mut r = Reader::new(bytes);
        let request = r.array::<32>("request")?;
        let n = r.u32("items")? as usize;
        if n > MAX_SAMPLE {
            return Err(invalid(format!("at most {MAX_SAMPLE} opened items")));
        }
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(OpenedItem {
                item: r.u32("item")?,
                amount: r.u64("amount")?,
                category: r.u16("category")?,
                salt: read_field(&mut r, "salt")?,
            });
        }
        r.finish()?;
        Ok(Self { request, items })
    }
}

/// The positions of the items an audit opens: `min(sample, items)`
/// distinct positions below `items`, sorted, drawn by SHA3-256 in counter
/// mode over the seed, the agency and the period (rejection sampling, so
/// every position is equally likely).
pub fn derive_sample(
    seed: &[u8; 32],
    agency: &[u8; 32],
    period: &str,
    items: usize,
    sample: usize,
) -> Vec<u32> {
    sample_excluding(seed, agency, period, items, sample, &[])
}

/// [`derive_sample`] over the positions not in `exclude` (each below `items`).
fn sample_excluding(
    seed: &[u8; 32],
    agency: &[u8; 32],
    period: &str,
    items: usize,
    sample: usize,
    exclude: &[u32],
) -> Vec<u32> {
    let want = sample.min(items.saturating_sub(exclude.len()));
    let mut drawn = std::collections::BTreeSet::new();
    let bound = items as u64;
    // The largest multiple of `bound` below 2^64: values at or above it are
    // rejected so the reduction is unbiased.
    let zone = if bound == 0 {
        0
    } else {
        u64::MAX - (u64::MAX % bound)
    };
    let mut counter = 0u64;
    while drawn.len() < want {
        let digest = Sha3_256::new()
            .chain_update(SAMPLE_CONTEXT)
            .chain_update(seed)
            .chain_update(agency)
            .chain_update((period.len() as u16).to_be_bytes())
            .chain_update(period.as_bytes())
            .chain_update(counter.to_be_bytes())
            .finalize();
        counter += 1;
        for word in digest.chunks_exact(8) {
            let v = u64::from_be_bytes(word.try_into().expect("8 bytes"));
            let position = (v % bound.max(1)) as u32;
            if v < zone && drawn.len() < want && !exclude.contains(&position) {
                drawn.insert(position);
            }
        }
    }
    drawn.into_iter().collect()
}

/// One logged expenditure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// Log index.
    pub index: u64,
    /// The commitment's canonical bytes.
    pub commitment: [u8; 32],
    /// Public label.
    pub label: String,
}

/// One spot audit of a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Audit {
    /// Record id of the request.
    pub id: [u8; 32],
    /// Log index of the request.
    pub index: u64,
    /// The requesting authority's key.
    pub requester: VerifyingKey,
    /// The request.
    pub request: AuditRequest,
    /// The positions the answer must open: the chosen items and the
    /// sample ([`AuditRequest::positions`]).
    pub sample: Vec<u32>,
    /// Log index of the answer and the opened items, once answered.
    pub answer: Option<(u64, Vec<OpenedItem>)>,
}

/// One agency's period.
#[derive(Clone, Debug)]
pub struct Period {
    /// The agency (signer of the budget).
    pub agency: VerifyingKey,
    /// The budget.
    pub budget: Budget,
    /// Log index of the budget.
    pub budget_index: u64,
    /// Log indices of the contracts the budget's categories are bound to.
    pub contract_indices: Vec<u64>,
    /// The expenditures, in log order.
    pub items: Vec<Item>,
    /// Chunk proofs staged by `report.part` records, in chain order.
    pub staged: Vec<ChunkProof>,
    /// Log indices of the `report.part` records that staged them.
    pub parts: Vec<u64>,
    /// Log index and payload of the report, once reported.
    pub report: Option<(u64, Report)>,
    /// Spot audits, in log order.
    pub audits: Vec<Audit>,
}

impl Period {
    /// The items' commitments in log order (what the report is proved over).
    pub fn commitments(&self) -> Vec<pallas::Base> {
        self.items
            .iter()
            .map(|i| field_from_bytes(&i.commitment).expect("checked when logged"))
            .collect()
    }

    /// Where the chain continues after the staged parts.
    pub fn staged_end(&self) -> ChainStart {
        ChainStart::initial()
            .follow(&self.staged)
            .expect("staged parts are checked to continue the chain")
    }

    /// The whole period proof of a report: the staged chunks, then the
    /// report's own.
    pub fn full_proof(&self, report: &Report) -> Result<PeriodProof, FundsError> {
        let tail = PeriodProof::from_bytes(&report.proof)?;
        let mut chunks = self.staged.clone();
        chunks.extend(tail.chunks);
        Ok(PeriodProof {
            shape: tail.shape,
            chunks,
        })
    }

    /// Every log index of the period's records (and of the contracts its
    /// budget is bound to), in log order.
    pub fn indices(&self) -> Vec<u64> {
        let mut all = vec![self.budget_index];
        all.extend(&self.contract_indices);
        all.extend(self.items.iter().map(|i| i.index));
        all.extend(&self.parts);
        all.extend(self.report.iter().map(|r| r.0));
        for a in &self.audits {
            all.push(a.index);
            all.extend(a.answer.iter().map(|x| x.0));
        }
        all.sort_unstable();
        all
    }
}

/// A period's key: agency key bytes and period id.
pub type PeriodKey = ([u8; 32], String);

/// The unique key a budget and a report claim: agency ‖ period.
pub fn period_key(agency: &VerifyingKey, period: &str) -> Vec<u8> {
    let mut key = agency.to_bytes().to_vec();
    key.extend_from_slice(period.as_bytes());
    key
}

/// What [`FundsBook::check`] established about a record.
#[derive(Clone, Debug)]
pub enum Checked {
    /// A new period's budget.
    Budget(Budget),
    /// A new contract.
    Contract(Contract),
    /// An expenditure of an open period.
    Expenditure(Expenditure),
    /// A report part, its decoded run and where the run starts in the
    /// chain (the run continues it; its chunk proofs are still to be
    /// verified against the period's commitments).
    ReportPart(ReportPart, PeriodProof, ChainStart),
    /// A report, its decoded last run and where that run starts (after the
    /// staged parts; its chunk proofs and totals are still to be verified).
    Report(Report, PeriodProof, ChainStart),
    /// An audit request and its sample.
    AuditRequest(AuditRequest, Vec<u32>),
    /// A complete, matching audit answer.
    AuditOpening(AuditOpening),
}

/// A logged contract and the payments reported under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractEntry {
    /// Log index of the contract.
    pub index: u64,
    /// The contract.
    pub contract: Contract,
    /// Reported payments: (period id, log index of the report, total paid
    /// in that period), in log order.
    pub payments: Vec<(String, u64, u128)>,
}

impl ContractEntry {
    /// Everything reported as paid under the contract so far.
    pub fn paid(&self) -> u128 {
        self.payments.iter().map(|p| p.2).sum()
    }
}

/// Every agency's periods, derived by replaying the funds records.
#[derive(Clone, Debug, Default)]
pub struct FundsBook {
    periods: BTreeMap<PeriodKey, Period>,
    contracts: BTreeMap<PeriodKey, ContractEntry>,
    /// Every period's item commitments, for the duplicate check in O(1).
    commitments: HashMap<PeriodKey, HashSet<[u8; 32]>>,
    requests: HashMap<[u8; 32], (PeriodKey, usize)>,
    applied_up_to: u64,
}

fn signer(record: &Record) -> FundsResult<VerifyingKey> {
    match record.author() {
        Author::Ed25519(key) => Ok(key),
        Author::None => Err(FundsRuleError::Unsigned),
    }
}

impl FundsBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// One past the largest index applied.
    pub fn applied_up_to(&self) -> u64 {
        self.applied_up_to
    }

    /// A period by agency and id.
    pub fn period(&self, agency: &VerifyingKey, period: &str) -> Option<&Period> {
        self.periods.get(&(agency.to_bytes(), period.to_owned()))
    }

    /// Every period, by agency and id.
    pub fn periods(&self) -> impl Iterator<Item = &Period> {
        self.periods.values()
    }

    /// A contract and its reported payments, by agency and tender id.
    pub fn contract(&self, agency: &VerifyingKey, tender: &str) -> Option<&ContractEntry> {
        self.contracts.get(&(agency.to_bytes(), tender.to_owned()))
    }

    /// The period and position of an audit request, by its record id.
    pub fn audit(&self, id: &[u8; 32]) -> Option<(&Period, &Audit)> {
        let (key, pos) = self.requests.get(id)?;
        let period = self.periods.get(key)?;
        Some((period, period.audits.get(*pos)?))
    }

    /// Checks `record` against the rules at the current state of the book
    /// (for a report: everything but the period proof).
    pub fn check(&self, record: &Record) -> FundsResult<Checked> {
        if record.domain() != DOMAIN {
            return Err(FundsRuleError::UnknownKind(record.qualified_kind()));
        }
        let author = signer(record)?;
        let payload = record.payload();
        let key = |period: &str| (author.to_bytes(), period.to_owned());
        match record.kind() {
            BUDGET => {
                let budget = Budget::decode(payload)?;
                if self.periods.contains_key(&key(&budget.period)) {
                    return Err(FundsRuleError::BudgetExists(budget.period));
                }
                if let Some((_, tender)) = budget
                    .contracts()
                    .find(|(_, tender)| !self.contracts.contains_key(&key(tender)))
                {
                    return Err(FundsRuleError::UnknownContract(tender.clone()));
                }
                Ok(Checked::Budget(budget))
            }
            CONTRACT => {
                let contract = Contract::decode(payload)?;
                if self.contracts.contains_key(&key(&contract.tender)) {
                    return Err(FundsRuleError::ContractExists(contract.tender));
                }
                Ok(Checked::Contract(contract))
            }
            EXPENDITURE => {
                let item = Expenditure::decode(payload)?;
                let period = self
                    .periods
                    .get(&key(&item.period))
                    .ok_or_else(|| FundsRuleError::NoBudget(item.period.clone()))?;
                if period.report.is_some() {
                    return Err(FundsRuleError::PeriodClosed(item.period));
                }
                if self
                    .commitments
                    .get(&key(&item.period))
                    .is_some_and(|logged| logged.contains(&item.commitment))
                {
                    return Err(FundsRuleError::DuplicateItem(item.period));
                }
                Ok(Checked::Expenditure(item))
            }
            REPORT_PART => {
                let part = ReportPart::decode(payload)?;
                let period = self.open_period(&key(&part.period))?;
                let run = PeriodProof::from_bytes(&part.proof)?;
                let shape = period.budget.shape()?;
                if run.shape != shape {
                    return Err(FundsError::ShapeMismatch.into());
                }
                let staged = period.staged.len() as u32;
                let start = match part.first_chunk {
                    0 => ChainStart::initial(),
                    first if first == staged => period.staged_end(),
                    first => return Err(FundsRuleError::PartOutOfOrder { staged, first }),
                };
                let end = part.first_chunk as usize + run.chunks.len();
                if end * shape.chunk_size() > period.items.len() {
                    return Err(FundsRuleError::PartBeyondItems);
                }
                start.follow(&run.chunks)?;
                Ok(Checked::ReportPart(part, run, start))
            }
            REPORT => {
                let report = Report::decode(payload)?;
                let period = self.open_period(&key(&report.period))?;
                let staged = period.staged.len() as u32;
                if report.first_chunk != staged {
                    return Err(FundsRuleError::PartOutOfOrder {
                        staged,
                        first: report.first_chunk,
                    });
                }
                let tail = PeriodProof::from_bytes(&report.proof)?;
                if tail.shape != period.budget.shape()? {
                    return Err(FundsError::ShapeMismatch.into());
                }
                let start = period.staged_end();
                start.follow(&tail.chunks)?;
                if report.items as usize != period.items.len() {
                    return Err(FundsRuleError::ItemCount {
                        claimed: report.items,
                        logged: period.items.len(),
                    });
                }
                let categories = &period.budget.categories;
                if report.totals.len() != categories.len() {
                    return Err(FundsRuleError::TotalsCount {
                        expected: categories.len(),
                        found: report.totals.len(),
                    });
                }
                if let Some(category) = report
                    .totals
                    .iter()
                    .zip(categories)
                    .position(|(t, c)| *t > u128::from(c.appropriation))
                {
                    return Err(FundsRuleError::OverBudget { category });
                }
                for (category, tender) in period.budget.contracts() {
                    let entry = self
                        .contracts
                        .get(&key(tender))
                        .ok_or_else(|| FundsRuleError::UnknownContract(tender.clone()))?;
                    if entry.paid() + report.totals[category] > u128::from(entry.contract.value) {
                        return Err(FundsRuleError::ContractExceeded {
                            category,
                            tender: tender.clone(),
                        });
                    }
                }
                Ok(Checked::Report(report, tail, start))
            }
            AUDIT_REQUEST => {
                let request = AuditRequest::decode(payload)?;
                let period = self
                    .periods
                    .get(&(request.agency, request.period.clone()))
                    .ok_or_else(|| FundsRuleError::NoBudget(request.period.clone()))?;
                let (report_index, _) = period
                    .report
                    .as_ref()
                    .ok_or_else(|| FundsRuleError::NotReported(request.period.clone()))?;
                if request.seed_size <= *report_index {
                    return Err(FundsRuleError::EarlySeed(*report_index));
                }
                let sample = request.positions(period.items.len())?;
                Ok(Checked::AuditRequest(request, sample))
            }
            AUDIT_OPENING => {
                let answer = AuditOpening::decode(payload)?;
                let (period, audit) = self
                    .audit(&answer.request)
                    .ok_or(FundsRuleError::UnknownRequest)?;
                if audit.answer.is_some() {
                    return Err(FundsRuleError::AlreadyAnswered);
                }
                if period.agency != author {
                    return Err(FundsRuleError::NotAgency);
                }
                let opened: Vec<u32> = answer.items.iter().map(|i| i.item).collect();
                if opened != audit.sample {
                    return Err(FundsRuleError::WrongSample {
                        expected: audit.sample.clone(),
                    });
                }
                for opened in &answer.items {
                    let logged = &period.items[opened.item as usize].commitment;
                    if field_to_bytes(&item_commitment(&opened.opening()?)) != *logged {
                        return Err(FundsRuleError::OpeningMismatch { item: opened.item });
                    }
                }
                Ok(Checked::AuditOpening(answer))
            }
            other => Err(FundsRuleError::UnknownKind(other.to_owned())),
        }
    }

    /// The open (budgeted, not yet reported) period `key`.
    fn open_period(&self, key: &PeriodKey) -> FundsResult<&Period> {
        let period = self
            .periods
            .get(key)
            .ok_or_else(|| FundsRuleError::NoBudget(key.1.clone()))?;
        if period.report.is_some() {
            return Err(FundsRuleError::PeriodClosed(key.1.clone()));
        }
        Ok(period)
    }

    /// Applies the record logged at `index`; records that break the rules
    /// (or of other domains) are skipped.
    pub fn apply(&mut self, index: u64, record: &Record) {
        self.applied_up_to = self.applied_up_to.max(index + 1);
        let Ok(checked) = self.check(record) else {
            return;
        };
        let Ok(author) = signer(record) else {
            return;
        };
        match checked {
            Checked::Budget(budget) => {
                let contract_indices = budget
                    .contracts()
                    .filter_map(|(_, tender)| {
                        self.contracts
                            .get(&(author.to_bytes(), tender.clone()))
                            .map(|c| c.index)
                    })
                    .collect();
                self.periods.insert(
                    (author.to_bytes(), budget.period.clone()),
                    Period {
                        agency: author,
                        budget,
                        budget_index: index,
                        contract_indices,
                        items: Vec::new(),
                        staged: Vec::new(),
                        parts: Vec::new(),
                        report: None,
                        audits: Vec::new(),
                    },
                );
            }
            Checked::Contract(contract) => {
                self.contracts.insert(
                    (author.to_bytes(), contract.tender.clone()),
                    ContractEntry {
                        index,
                        contract,
                        payments: Vec::new(),
                    },
                );
            }
            Checked::ReportPart(part, run, _) => {
                if let Some(p) = self.periods.get_mut(&(author.to_bytes(), part.period)) {
                    if part.first_chunk == 0 {
                        p.staged.clear();
                        p.parts.clear();
                    }
                    p.staged.extend(run.chunks);
                    p.parts.push(index);
                }
            }
            Checked::Expenditure(item) => {
                let key = (author.to_bytes(), item.period);
                self.commitments
                    .entry(key.clone())
                    .or_default()
                    .insert(item.commitment);
                if let Some(p) = self.periods.get_mut(&key) {
                    p.items.push(Item {
                        index,
                        commitment: item.commitment,
                        label: item.label,
                    });
                }
            }
            Checked::Report(report, ..) => {
                if let Some(p) = self
                    .periods
                    .get_mut(&(author.to_bytes(), report.period.clone()))
                {
                    for (category, tender) in p.budget.contracts() {
                        if let Some(entry) =
                            self.contracts.get_mut(&(author.to_bytes(), tender.clone()))
                        {
                            entry.payments.push((
                                report.period.clone(),
                                index,
                                report.totals[category],
                            ));
                        }
                    }
                    p.report = Some((index, report));
                }
            }
            Checked::AuditRequest(request, sample) => {
                let key = (request.agency, request.period.clone());
                if let Some(p) = self.periods.get_mut(&key) {
                    self.requests.insert(record.id(), (key, p.audits.len()));
                    p.audits.push(Audit {
                        id: record.id(),
                        index,
                        requester: author,
                        request,
                        sample,
                        answer: None,
                    });
                }
            }
            Checked::AuditOpening(answer) => {
                if let Some((key, pos)) = self.requests.get(&answer.request).cloned()
                    && let Some(audit) = self
                        .periods
                        .get_mut(&key)
                        .and_then(|p| p.audits.get_mut(pos))
                {
                    audit.answer = Some((index, answer.items));
                }
            }
        }
    }
}

impl crate::replay::Book for FundsBook {
    fn applied_up_to(&self) -> u64 {
        self.applied_up_to
    }

    fn apply(&mut self, index: u64, record: &Record) {
        FundsBook::apply(self, index, record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_decode_strictly() {
        let budget = Budget {
            period: "2027-Q1".into(),
            chunk_size: 4,
            categories: vec![Category {
                label: "roads".into(),
                appropriation: 10,
                contract: None,
            }],
        };
        assert_eq!(Budget::decode(&budget.encode()), Ok(budget.clone()));
        let bad = Budget {
            chunk_size: 5,
            ..budget
        };
        assert!(matches!(
            Budget::decode(&bad.encode()),
            Err(FundsRuleError::Invalid(_))
        ));
        let item = Expenditure {
            period: "2027-Q1".into(),
            commitment: [1; 32],
            label: "bridge".into(),
        };
        assert_eq!(Expenditure::decode(&item.encode()), Ok(item.clone()));
        let non_canonical = Expenditure {
            commitment: [0xff; 32],
            ..item
        };
        assert!(Expenditure::decode(&non_canonical.encode()).is_err());
        let mut trailing = non_canonical.encode();
        trailing.push(0);
        assert!(Expenditure::decode(&trailing).is_err());
    }

    fn key(seed: u8) -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
    }

    fn signed(key: &ed25519_dalek::SigningKey, kind: &str, payload: Vec<u8>) -> Record {
        Record::signed(DOMAIN, kind, 1, payload, key).unwrap()
    }

    fn item(period: &str, c: u8) -> Vec<u8> {
        let mut commitment = [0u8; 32];
        commitment[0] = c;
        Expenditure {
            period: period.into(),
            commitment,
            label: String::new(),
        }
        .encode()
    }

    #[test]
    fn the_book_closes_periods_and_skips_reports_that_miss_items() {
        let (agency, other) = (key(1), key(2));
        let mut book = FundsBook::new();
        let budget = Budget {
            period: "P".into(),
            chunk_size: 4,
            categories: vec![Category {
                label: "a".into(),
                appropriation: 100,
                contract: None,
            }],
        };
        book.apply(0, &signed(&agency, BUDGET, budget.encode()));
        assert_eq!(
            book.check(&signed(&agency, BUDGET, budget.encode()))
                .unwrap_err(),
            FundsRuleError::BudgetExists("P".into())
        );
        // Another agency has no budget for P.
        assert_eq!(
            book.check(&signed(&other, EXPENDITURE, item("P", 1)))
                .unwrap_err(),
            FundsRuleError::NoBudget("P".into())
        );
        book.apply(1, &signed(&agency, EXPENDITURE, item("P", 1)));
        let report = |items, total| Report {
            period: "P".into(),
            items,
            first_chunk: 0,
            totals: vec![total],
            final_blinding: [0; 32],
            proof: fake_run(4, 1, ChainStart::initial(), 1),
        };
        // A report admitted for one item, but logged after a second item
        // raced in: the book skips it and the period stays open.
        book.apply(2, &signed(&agency, EXPENDITURE, item("P", 2)));
        book.apply(3, &signed(&agency, REPORT, report(1, 5).encode()));
        let key_a = agency.verifying_key();
        assert!(book.period(&key_a, "P").unwrap().report.is_none());
        assert_eq!(
            book.check(&signed(&agency, REPORT, report(2, 101).encode()))
                .unwrap_err(),
            FundsRuleError::OverBudget { category: 0 }
        );
        book.apply(4, &signed(&agency, REPORT, report(2, 5).encode()));
        let period = book.period(&key_a, "P").unwrap();
        assert_eq!(period.report.as_ref().map(|r| r.0), Some(4));
        assert_eq!(period.indices(), vec![0, 1, 2, 4]);
        // Closed: a late item is refused and skipped.
        assert_eq!(
            book.check(&signed(&agency, EXPENDITURE, item("P", 3)))
                .unwrap_err(),
            FundsRuleError::PeriodClosed("P".into())
        );
        book.apply(5, &signed(&agency, EXPENDITURE, item("P", 3)));
        assert_eq!(book.period(&key_a, "P").unwrap().items.len(), 2);
        // Contracts: one per tender and agency.
        let contract = Contract {
            tender: "T-1".into(),
            winner: "Acme Roads Ltd".into(),
            value: 10,
            awarded_day: 20_000,
            ends_day: 20_100,
            documents: vec![[3; 32]],
        };
        assert_eq!(Contract::decode(&contract.encode()), Ok(contract.clone()));
        book.apply(6, &signed(&agency, CONTRACT, contract.encode()));
        assert_eq!(
            book.check(&signed(&agency, CONTRACT, contract.encode()))
                .unwrap_err(),
            FundsRuleError::ContractExists("T-1".into())
        );
        assert!(
            book.check(&signed(&other, CONTRACT, contract.encode()))
                .is_ok()
        );
        let backwards = Contract {
            ends_day: 1,
            ..contract
        };
        assert!(Contract::decode(&backwards.encode()).is_err());
    }

    /// The encoding of a run of `count` chunks continuing the chain at
    /// `start`, with placeholder halo2 proofs (the book checks the chain,
    /// not the proofs) and `after` commitments derived from `tag`.
    fn fake_run(chunk_size: usize, categories: usize, start: ChainStart, tag: u64) -> Vec<u8> {
        fake_chunks(chunk_size, categories, start, tag, 1)
    }

    fn fake_chunks(
        chunk_size: usize,
        categories: usize,
        start: ChainStart,
        tag: u64,
        count: usize,
    ) -> Vec<u8> {
        let mut before = start.commitment;
        let chunks = (0..count as u64)
            .map(|i| {
                let after = pallas::Base::from(1000 * tag + i);
                let chunk = ChunkProof {
                    before,
                    after,
                    proof: vec![1],
                };
                before = after;
                chunk
            })
            .collect();
        PeriodProof {
            shape: FundsShape::new(chunk_size, categories).unwrap(),
            chunks,
        }
        .to_bytes()
    }

    #[test]
    fn large_reports_are_staged_in_parts_that_continue_the_chain() {
        let agency = key(1);
        let mut book = FundsBook::new();
        let budget = Budget {
            period: "P".into(),
            chunk_size: 4,
            categories: vec![Category {
                label: "a".into(),
                appropriation: 100,
                contract: None,
            }],
        };
        book.apply(0, &signed(&agency, BUDGET, budget.encode()));
        for i in 0..9u8 {
            book.apply(
                1 + u64::from(i),
                &signed(&agency, EXPENDITURE, item("P", i + 1)),
            );
        }
        let key_a = agency.verifying_key();
        let part = |first_chunk, proof| {
            signed(
                &agency,
                REPORT_PART,
                ReportPart {
                    period: "P".into(),
                    first_chunk,
                    proof,
                }
                .encode(),
            )
        };
        let start = ChainStart::initial();
        // 9 items: chunks 0 and 1 are full, chunk 2 (one item) is the report's.
        assert_eq!(
            book.check(&part(0, fake_chunks(4, 1, start, 1, 3)))
                .unwrap_err(),
            FundsRuleError::PartBeyondItems
        );
        assert_eq!(
            book.check(&part(0, fake_chunks(16, 1, start, 1, 1)))
                .unwrap_err(),
            FundsRuleError::Proof(FundsError::ShapeMismatch)
        );
        let wrong_start = ChainStart {
            chunk: 0,
            commitment: pallas::Base::from(5),
        };
        assert_eq!(
            book.check(&part(0, fake_run(4, 1, wrong_start, 1)))
                .unwrap_err(),
            FundsRuleError::Proof(FundsError::ChainBroken { chunk: 0 })
        );
        book.apply(10, &part(0, fake_run(4, 1, start, 1)));
        let staged = book.period(&key_a, "P").unwrap().staged_end();
        assert_eq!(staged.chunk, 1);
        // Out of order, or a chain that does not continue chunk 0's.
        assert_eq!(
            book.check(&part(2, fake_run(4, 1, staged, 2))).unwrap_err(),
            FundsRuleError::PartOutOfOrder {
                staged: 1,
                first: 2
            }
        );
        assert_eq!(
            book.check(&part(1, fake_run(4, 1, start, 2))).unwrap_err(),
            FundsRuleError::Proof(FundsError::ChainBroken { chunk: 1 })
        );
        book.apply(11, &part(1, fake_run(4, 1, staged, 2)));
        let staged = book.period(&key_a, "P").unwrap().staged_end();
        assert_eq!(staged.chunk, 2);
        let report = |first_chunk, proof| Report {
            period: "P".into(),
            items: 9,
            first_chunk,
            totals: vec![5],
            final_blinding: [0; 32],
            proof,
        };
        // A report must build on exactly the staged chunks.
        assert_eq!(
            book.check(&signed(
                &agency,
                REPORT,
                report(0, fake_run(4, 1, start, 3)).encode()
            ))
            .unwrap_err(),
            FundsRuleError::PartOutOfOrder {
                staged: 2,
                first: 0
            }
        );
        let tail = report(2, fake_run(4, 1, staged, 3));
        book.apply(12, &signed(&agency, REPORT, tail.encode()));
        let period = book.period(&key_a, "P").unwrap();
        assert_eq!(period.report.as_ref().map(|r| r.0), Some(12));
        assert_eq!(period.full_proof(&tail).unwrap().chunks.len(), 3);
        assert_eq!(period.indices(), (0..=12).collect::<Vec<_>>());
        assert_eq!(
            book.check(&part(0, fake_run(4, 1, start, 4))).unwrap_err(),
            FundsRuleError::PeriodClosed("P".into())
        );

        // Starting over discards the staged parts.
        let mut fresh = FundsBook::new();
        for (index, record) in [
            (0, signed(&agency, BUDGET, budget.encode())),
            (1, signed(&agency, EXPENDITURE, item("P", 1))),
            (2, signed(&agency, EXPENDITURE, item("P", 2))),
            (3, signed(&agency, EXPENDITURE, item("P", 3))),
            (4, signed(&agency, EXPENDITURE, item("P", 4))),
            (5, part(0, fake_run(4, 1, start, 1))),
            (6, part(0, fake_run(4, 1, start, 2))),
        ] {
            fresh.apply(index, &record);
        }
        let period = fresh.period(&key_a, "P").unwrap();
        assert_eq!(period.parts, vec![6]);
        assert_eq!(period.staged.len(), 1);
    }

    #[test]
    fn contract_categories_cap_payments_over_every_period() {
        let agency = key(1);
        let mut book = FundsBook::new();
        let contract = Contract {
            tender: "T-1".into(),
            winner: "Acme Roads Ltd".into(),
            value: 100,
            awarded_day: 20_000,
            ends_day: 20_400,
            documents: vec![],
        };
        let budget = |period: &str, tender: &str| Budget {
            period: period.into(),
            chunk_size: 4,
            categories: vec![
                Category {
                    label: "office".into(),
                    appropriation: 1_000,
                    contract: None,
                },
                Category {
                    label: "bridge".into(),
                    appropriation: 1_000,
                    contract: Some(tender.into()),
                },
            ],
        };
        assert_eq!(
            book.check(&signed(&agency, BUDGET, budget("Q1", "T-1").encode()))
                .unwrap_err(),
            FundsRuleError::UnknownContract("T-1".into())
        );
        book.apply(0, &signed(&agency, CONTRACT, contract.encode()));
        // A contract bound to two categories of one budget is malformed.
        let mut twice = budget("Q1", "T-1");
        twice.categories[0].contract = Some("T-1".into());
        assert!(matches!(
            Budget::decode(&twice.encode()),
            Err(FundsRuleError::Invalid(_))
        ));
        assert_eq!(
            Budget::decode(&budget("Q1", "T-1").encode()),
            Ok(budget("Q1", "T-1"))
        );
        let report = |period: &str, totals: Vec<u128>| Report {
            period: period.into(),
            items: 0,
            first_chunk: 0,
            totals,
            final_blinding: [0; 32],
            proof: fake_run(4, 2, ChainStart::initial(), 1),
        };
        for (index, period) in [(1, "Q1"), (2, "Q2")] {
            book.apply(
                index,
                &signed(&agency, BUDGET, budget(period, "T-1").encode()),
            );
        }
        let key_a = agency.verifying_key();
        assert_eq!(book.period(&key_a, "Q1").unwrap().indices(), vec![0, 1]);
        // 101 under a contract of 100: refused though within appropriation.
        assert_eq!(
            book.check(&signed(
                &agency,
                REPORT,
                report("Q1", vec![500, 101]).encode()
            ))
            .unwrap_err(),
            FundsRuleError::ContractExceeded {
                category: 1,
                tender: "T-1".into()
            }
        );
        book.apply(
            3,
            &signed(&agency, REPORT, report("Q1", vec![500, 60]).encode()),
        );
        // Q2 may pay only the remaining 40.
        assert_eq!(
            book.check(&signed(&agency, REPORT, report("Q2", vec![0, 41]).encode()))
                .unwrap_err(),
            FundsRuleError::ContractExceeded {
                category: 1,
                tender: "T-1".into()
            }
        );
        book.apply(
            4,
            &signed(&agency, REPORT, report("Q2", vec![0, 40]).encode()),
        );
        let entry = book.contract(&key_a, "T-1").unwrap();
        assert_eq!(entry.paid(), 100);
        assert_eq!(
            entry.payments,
            vec![("Q1".into(), 3, 60), ("Q2".into(), 4, 40)]
        );
    }

    #[test]
    fn audits_open_the_chosen_items_and_a_sample_of_the_others() {
        let request = AuditRequest {
            agency: key(1).verifying_key().to_bytes(),
            period: "P".into(),
            seed_size: 10,
            seed: [7; 32],
            sample: 5,
            chosen: vec![3, 40],
        };
        assert_eq!(AuditRequest::decode(&request.encode()), Ok(request.clone()));
        let positions = request.positions(50).unwrap();
        assert_eq!(positions.len(), 7);
        assert!(positions.contains(&3) && positions.contains(&40));
        assert!(positions.windows(2).all(|w| w[0] < w[1]));
        // Reproducible by anyone from the request alone.
        assert_eq!(
            positions,
            audit_positions(&[7; 32], &request.agency, "P", 50, 5, &[3, 40])
        );
        // A small period: every item, once.
        assert_eq!(request.positions(41).unwrap().len(), 7);
        assert_eq!(
            AuditRequest {
                sample: 100,
                ..request.clone()
            }
            .positions(41)
            .unwrap(),
            (0..41).collect::<Vec<_>>()
        );
        // A chosen item beyond the period, unsorted or repeated choices, and
        // an empty request are refused.
        assert!(matches!(
            request.positions(40),
            Err(FundsRuleError::Invalid(_))
        ));
        for (sample, chosen) in [(1, vec![4, 3]), (1, vec![3, 3]), (0, vec![])] {
            let bad = AuditRequest {
                sample,
                chosen,
                ..request.clone()
            };
            assert!(matches!(
                AuditRequest::decode(&bad.encode()),
                Err(FundsRuleError::Invalid(_))
            ));
        }
        // Only chosen items.
        let chosen_only = AuditRequest {
            sample: 0,
            chosen: vec![0, 9],
            ..request
        };
        assert_eq!(chosen_only.positions(10).unwrap(), vec![0, 9]);
    }

    #[test]
    fn samples_are_deterministic_distinct_and_bounded() {
        let a = derive_sample(&[7; 32], &[1; 32], "2027-Q1", 100, 10);
        assert_eq!(a, derive_sample(&[7; 32], &[1; 32], "2027-Q1", 100, 10));
        assert_eq!(a.len(), 10);
        assert!(a.windows(2).all(|w| w[0] < w[1]) && a.iter().all(|&i| i < 100));
        assert_ne!(a, derive_sample(&[8; 32], &[1; 32], "2027-Q1", 100, 10));
        assert_eq!(derive_sample(&[7; 32], &[1; 32], "p", 3, 10), vec![0, 1, 2]);
        assert!(derive_sample(&[7; 32], &[1; 32], "p", 0, 10).is_empty());
    }
}
