//! The funds domain's serde view types.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zkaudit_ledger::funds::Period;

use crate::server::state::AppState;

/// A period in the list.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct PeriodSummary {
    /// Agency's Ed25519 key, hex.
    pub agency: String,
    /// Agency's authority name.
    pub agency_name: Option<String>,
    /// Period id.
    pub period: String,
    /// Expenditures logged.
    pub items: usize,
    /// Log index of the report, if reported.
    pub report_index: Option<u64>,
}

/// One category of a period.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct CategoryView {
    /// Label.
    pub label: String,
    /// Appropriation, minor units.
    pub appropriation: u64,
    /// Proven total (decimal string: it may exceed 2⁵³), once reported.
    pub total: Option<String>,
    /// Tender id of the contract whose payments the category holds.
    pub contract: Option<String>,
}

/// One logged expenditure.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ItemView {
    /// Position in the period (what audits sample).
    pub position: usize,
    /// Log index.
    pub index: u64,
    /// Commitment, hex (canonical little-endian Pallas element).
    pub commitment: String,
    /// Public label.
    pub label: String,
}

/// One audit.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct AuditView {
    /// Request record id, hex.
    pub id: String,
    /// Log index of the request.
    pub index: u64,
    /// Requesting authority's name.
    pub requester: Option<String>,
    /// Seed: tree size and root (hex).
    pub seed_size: u64,
    /// Seed root, hex.
    pub seed: String,
    /// Positions the requester chose.
    pub chosen: Vec<u32>,
    /// Randomly sampled items requested besides the chosen ones.
    pub random: u32,
    /// Every position to open: the chosen ones and the sample drawn from the seed.
    pub sample: Vec<u32>,
    /// Log index of the answer, once answered (the service checked every opening).
    pub answer_index: Option<u64>,
    /// Opened items, once answered (public from then on).
    pub opened: Vec<OpenedView>,
}

/// One opened item of an audit answer.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct OpenedView {
    /// Position in the period.
    pub position: u32,
    /// Amount, minor units.
    pub amount: u64,
    /// Category.
    pub category: u16,
    /// Salt, hex.
    pub salt: String,
}

/// A period in full.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct PeriodView {
    /// Summary.
    #[serde(flatten)]
    pub summary: PeriodSummary,
    /// Items per proof chunk.
    pub chunk_size: u32,
    /// Log index of the budget.
    pub budget_index: u64,
    /// Chunks staged by `report.part` records (a report continues from here).
    pub staged_chunks: usize,
    /// Log indices of those parts.
    pub parts: Vec<u64>,
    /// Categories.
    pub categories: Vec<CategoryView>,
    /// Expenditures in log order.
    pub expenditures: Vec<ItemView>,
    /// Audits.
    pub audits: Vec<AuditView>,
}

/// A report as served.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ReportView {
    /// Log index.
    pub index: u64,
    /// Items covered.
    pub items: u32,
    /// Log indices of the `report.part` records holding the proof's first chunks.
    pub parts: Vec<u64>,
    /// Per-category totals, decimal strings.
    pub totals: Vec<String>,
    /// Final blinding, hex.
    pub final_blinding: String,
    /// The whole period proof (the parts' chunks and the report's), base64.
    pub proof: String,
}

pub(super) fn summary(state: &AppState, p: &Period) -> PeriodSummary {
    PeriodSummary {
        agency: hex::encode(p.agency.as_bytes()),
        agency_name: state
            .authorities()
            .by_key(&p.agency)
            .map(|a| a.name.clone()),
        period: p.budget.period.clone(),
        items: p.items.len(),
        report_index: p.report.as_ref().map(|r| r.0),
    }
}

pub(super) fn audit_view(state: &AppState, a: &zkaudit_ledger::funds::Audit) -> AuditView {
    AuditView {
        id: hex::encode(a.id),
        index: a.index,
        requester: state
            .authorities()
            .by_key(&a.requester)
            .map(|x| x.name.clone()),
        seed_size: a.request.seed_size,
        seed: hex::encode(a.request.seed),
        chosen: a.request.chosen.clone(),
        random: a.request.sample,
        sample: a.sample.clone(),
        answer_index: a.answer.as_ref().map(|x| x.0),
        opened: a
            .answer
            .iter()
            .flat_map(|x| &x.1)
            .map(|i| OpenedView {
                position: i.item,
                amount: i.amount,
                category: i.category,
                salt: hex::encode(i.salt),
            })
            .collect(),
    }
}

/// A contract as served.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ContractView {
    /// Log index.
    pub index: u64,
    /// Tender id.
    pub tender: String,
    /// Winner.
    pub winner: String,
    /// Value, minor units.
    pub value: u64,
    /// Award day (days since 1970-01-01).
    pub awarded_day: u32,
    /// End day (days since 1970-01-01).
    pub ends_day: u32,
    /// Document digests (SHA3-256), hex.
    pub documents: Vec<String>,
    /// Paid under the contract so far (sum of the proven totals of the
    /// categories bound to it), decimal string.
    pub paid: String,
    /// Reported payments, per period.
    pub payments: Vec<PaymentView>,
    /// The OCDS release it was imported from, if any.
    pub source: Option<ContractSourceView>,
}

/// What an imported contract keeps of its OCDS release.
#[derive(Serialize, Deserialize, ToSchema, PartialEq, Eq, Debug)]
pub struct ContractSourceView {
    /// The contracting process's `ocid`.
    pub ocid: String,
    /// The release's `tender.id` (may be empty).
    pub tender_id: String,
    /// The award's id.
    pub award_id: String,
    /// The contract's title (may be empty).
    pub title: String,
    /// ISO 4217 currency of the value.
    pub currency: String,
    /// Decimal places of the currency's minor unit.
    pub decimals: u8,
}

impl From<&zkaudit_ledger::funds::ContractSource> for ContractSourceView {
    fn from(s: &zkaudit_ledger::funds::ContractSource) -> Self {
        Self {
            ocid: s.ocid.clone(),
            tender_id: s.tender_id.clone(),
            award_id: s.award_id.clone(),
            title: s.title.clone(),
            currency: s.currency.clone(),
            decimals: s.decimals,
        }
    }
}

/// Payments under a contract in one reported period.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct PaymentView {
    /// Period id.
    pub period: String,
    /// Log index of the report.
    pub report_index: u64,
    /// Proven total paid in the period, decimal string.
    pub amount: String,
}
