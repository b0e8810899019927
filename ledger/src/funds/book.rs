//! Every agency's periods replayed from the log: budgets, items, staged
//! report parts, reports, contracts and audits, and the rules a new record
//! must meet.

use std::collections::{BTreeMap, HashMap, HashSet};

use ed25519_dalek::VerifyingKey;
use zkaudit_circuits::funds::{
    ChainStart, ChunkProof, FundsError, FundsLayout, FundsShape, PeriodProof, field_from_bytes,
    field_to_bytes, item_commitment, pallas,
};

use super::records::{
    AuditOpening, AuditRequest, Budget, Contract, Expenditure, OpenedItem, Report, ReportPart,
};
use super::{
    AUDIT_OPENING, AUDIT_REQUEST, BUDGET, CONTRACT, DOMAIN, EXPENDITURE, FundsResult,
    FundsRuleError, REPORT, REPORT_PART,
};
use crate::record::{Author, Record};
use crate::replay::Book;

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
    /// The circuit layout the staged chunks were proved in (`None` while
    /// nothing is staged): the rest of the report must be proved in it.
    pub staged_layout: Option<FundsLayout>,
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

    /// The shape a run of the report's chunks starting at chunk `first`
    /// must have: the budget's chunk size and categories, in the layout
    /// of the staged chunks it continues, or in its own layout if it
    /// starts the report (`first` = 0). Every layout proves the same
    /// statement; a report keeps to one so that one key checks it.
    pub fn run_shape(&self, first: u32, run: &PeriodProof) -> FundsResult<FundsShape> {
        let layout = match self.staged_layout {
            Some(staged) if first > 0 => staged,
            _ => run.shape.layout(),
        };
        Ok(self.budget.shape()?.with_layout(layout))
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
                let shape = period.run_shape(part.first_chunk, &run)?;
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
                if tail.shape != period.run_shape(report.first_chunk, &tail)? {
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
                        staged_layout: None,
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
                    p.staged_layout = Some(run.shape.layout());
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

impl Book for FundsBook {
    fn applied_up_to(&self) -> u64 {
        self.applied_up_to
    }

    fn apply(&mut self, index: u64, record: &Record) {
        FundsBook::apply(self, index, record);
    }
}
