//! The public-funds domain: agencies' budgets, hidden expenditures, period
//! reports whose halo2 proof the service verifies before logging them, and
//! spot audits.
//!
//! Every kind is written by an authority (`Authorisation::Authority`):
//! agencies are granted `funds/budget`, `funds/expenditure`, `funds/report`
//! and `funds/audit.opening` (or `funds/*`), oversight bodies
//! `funds/audit.request`. The rules are
//! [`FundsBook`](zkaudit_ledger::funds::FundsBook)'s; this module adds the
//! proof check (against the commitments of ALL the period's expenditures in
//! log order, with the verifying key of the circuit shape the budget
//! chose), the audit seed check (a root of the log's tree) and the routes.
//!
//! IPA parameters are cached as `<data>/funds-params-k{k}.bin` (creating
//! them takes about 45 s at k = 16, 20 s at the current layout's k = 15)
//! and verifying keys in memory per shape.
//! Both are prepared in the background as soon as a budget is logged, and
//! at start-up for every open period, so the report that closes a period
//! does not wait for them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use ed25519_dalek::VerifyingKey;
use utoipa_axum::router::OpenApiRouter;
use zkaudit_circuits::funds::{
    FundsError, FundsParams, FundsShape, FundsVerifyingKey, verify_chunk_run,
};
use zkaudit_ledger::funds::{
    AUDIT_OPENING, AUDIT_REQUEST, BUDGET, CONTRACT, Checked, DOMAIN, EXPENDITURE, FundsBook,
    FundsRuleError, REPORT, REPORT_PART, period_key,
};
use zkaudit_ledger::merkle::SubtreeHashes;
use zkaudit_ledger::record::{Author, Record};
use zkaudit_ledger::replay::Replayed;
use zkaudit_ledger::sequencer::Pending;
use zkaudit_verifier::funds::verify_report_tail;

use super::{Authorisation, Domain};
use crate::server::error::{ApiError, ApiResult, Refusal};
use crate::server::state::AppState;

mod board;
mod ocds;
mod routes;
pub mod views;

pub use views::{
    AuditView, CategoryView, ContractSourceView, ContractView, ItemView, OpenedView, PaymentView,
    PeriodSummary, PeriodView, ReportView,
};

/// Topic of every funds record.
const TOPIC_FUNDS: &[u8] = b"funds";

/// The IPA parameters and verifying key of one circuit shape.
pub struct ShapeKey {
    /// Parameters for the shape's `k`.
    pub params: FundsParams,
    /// The shape's verifying key (deterministic from params and shape).
    pub vk: FundsVerifyingKey,
}

/// The funds domain: a cheap handle, so background work can hold it.
#[derive(Clone)]
pub struct FundsDomain {
    inner: Arc<FundsState>,
}

struct FundsState {
    book: Replayed<FundsBook>,
    data_dir: PathBuf,
    keys: Mutex<HashMap<FundsShape, Arc<ShapeKey>>>,
}

/// How a funds rule's refusal answers (a rejected proof answers as
/// [`FundsError`] does).
impl Refusal for FundsRuleError {
    fn status_code(&self) -> Option<(StatusCode, &'static str)> {
        const UNPROCESSABLE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;
        Some(match self {
            FundsRuleError::NoBudget(_) | FundsRuleError::UnknownRequest => {
                (UNPROCESSABLE, "unknown_target")
            }
            FundsRuleError::BudgetExists(_)
            | FundsRuleError::ContractExists(_)
            | FundsRuleError::DuplicateItem(_)
            | FundsRuleError::AlreadyAnswered => (StatusCode::CONFLICT, "already_used"),
            FundsRuleError::PeriodClosed(_) => (StatusCode::CONFLICT, "period_closed"),
            FundsRuleError::NotReported(_) => (StatusCode::CONFLICT, "not_reported"),
            FundsRuleError::ItemCount { .. } => (StatusCode::CONFLICT, "item_count"),
            FundsRuleError::OverBudget { .. } => (UNPROCESSABLE, "over_budget"),
            FundsRuleError::UnknownContract(_) => (UNPROCESSABLE, "unknown_target"),
            FundsRuleError::ContractExceeded { .. } => (UNPROCESSABLE, "contract_exceeded"),
            FundsRuleError::PartOutOfOrder { .. } => (StatusCode::CONFLICT, "part_out_of_order"),
            FundsRuleError::PartBeyondItems => (UNPROCESSABLE, "part_beyond_items"),
            FundsRuleError::Proof(e) => return e.status_code(),
            FundsRuleError::NotAgency => (StatusCode::FORBIDDEN, "not_agency"),
            FundsRuleError::WrongSample { .. } => (UNPROCESSABLE, "wrong_sample"),
            FundsRuleError::OpeningMismatch { .. } => (UNPROCESSABLE, "opening_mismatch"),
            FundsRuleError::EarlySeed(_) => (UNPROCESSABLE, "bad_seed"),
            _ => (UNPROCESSABLE, "invalid_payload"),
        })
    }

    fn message(&self) -> String {
        match self {
            FundsRuleError::Proof(e) => e.message(),
            _ => self.to_string(),
        }
    }
}

/// How a rejected period proof answers; the code names the reason.
impl Refusal for FundsError {
    fn status_code(&self) -> Option<(StatusCode, &'static str)> {
        let code = match self {
            FundsError::ChunkCount { .. } => "proof_chunk_count",
            FundsError::ChainBroken { .. } => "proof_chain_broken",
            FundsError::TotalsMismatch => "proof_totals_mismatch",
            FundsError::ChunkProofInvalid { .. } => "proof_invalid",
            FundsError::ShapeMismatch => "proof_shape_mismatch",
            FundsError::Io(_) | FundsError::Halo2(_) => return None,
            _ => "malformed_proof",
        };
        Some((StatusCode::UNPROCESSABLE_ENTITY, code))
    }

    fn message(&self) -> String {
        format!("the period proof is rejected: {self}")
    }
}

impl FundsDomain {
    /// Serves public funds; parameter caches live in `data_dir`.
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            inner: Arc::new(FundsState {
                book: Replayed::new(),
                data_dir,
                keys: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Brings the book up to date with the log and runs `f` on it.
    /// Blocking: reads the store.
    pub fn with_book<T>(
        &self,
        state: &AppState,
        f: impl FnOnce(&FundsBook) -> ApiResult<T>,
    ) -> ApiResult<T> {
        self.inner
            .book
            .with(&**state.sequencer().store(), TOPIC_FUNDS, FundsBook::new, f)
    }

    /// Prepares, on a background thread, the parameters and verifying key
    /// of the shapes `shapes` picks (a report then finds them ready).
    fn warm_up(
        &self,
        state: &AppState,
        shapes: impl FnOnce(&AppState, &FundsDomain) -> Vec<FundsShape> + Send + 'static,
    ) {
        let (state, domain) = (state.clone(), self.clone());
        let spawned = std::thread::Builder::new()
            .name("funds-warm-up".into())
            .spawn(move || {
                for shape in shapes(&state, &domain) {
                    let started = std::time::Instant::now();
                    match domain.shape_key(shape) {
                        Ok(_) => tracing::info!(
                            chunk_size = shape.chunk_size(),
                            categories = shape.categories(),
                            k = shape.k(),
                            ms = started.elapsed().as_millis() as u64,
                            "funds verifying key ready"
                        ),
                        Err(e) => tracing::warn!(error = %e, "funds warm-up failed"),
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "funds warm-up thread not started");
        }
    }

    /// Parameters and verifying key of `shape` (created and cached on first use).
    pub fn shape_key(&self, shape: FundsShape) -> ApiResult<Arc<ShapeKey>> {
        let mut keys = self.inner.keys.lock().map_err(ApiError::internal)?;
        if let Some(key) = keys.get(&shape) {
            return Ok(key.clone());
        }
        let k = shape.k();
        let params = FundsParams::load_or_create(
            &self.inner.data_dir.join(format!("funds-params-k{k}.bin")),
            k,
        )
        .map_err(ApiError::internal)?;
        let vk = FundsVerifyingKey::generate(&params, shape).map_err(ApiError::internal)?;
        let key = Arc::new(ShapeKey { params, vk });
        keys.insert(shape, key.clone());
        Ok(key)
    }
}

fn author(record: &Record) -> ApiResult<VerifyingKey> {
    match record.author() {
        Author::Ed25519(key) => Ok(key),
        Author::None => Err(FundsRuleError::Unsigned.into()),
    }
}

impl Domain for FundsDomain {
    fn name(&self) -> &'static str {
        DOMAIN
    }

    fn authorisation(&self, kind: &str) -> Option<Authorisation> {
        match kind {
            BUDGET | CONTRACT | EXPENDITURE | REPORT_PART | REPORT | AUDIT_REQUEST
            | AUDIT_OPENING => Some(Authorisation::Authority),
            _ => None,
        }
    }

    fn admit(&self, record: &Record, state: &AppState) -> ApiResult<Pending> {
        let agency = author(record)?;
        let (checked, period) = self.with_book(state, |book| {
            let checked = book.check(record).map_err(ApiError::from)?;
            let period = match &checked {
                Checked::Report(report, ..) => book.period(&agency, &report.period).cloned(),
                Checked::ReportPart(part, ..) => book.period(&agency, &part.period).cloned(),
                _ => None,
            };
            Ok((checked, period))
        })?;
        let pending = Pending::new(record).topic(TOPIC_FUNDS.to_vec());
        Ok(match checked {
            Checked::Budget(budget) => {
                pending.unique("funds/budget", period_key(&agency, &budget.period))
            }
            Checked::Contract(contract) => {
                pending.unique("funds/contract", period_key(&agency, &contract.tender))
            }
            Checked::Expenditure(item) => {
                let mut key = period_key(&agency, &item.period);
                key.extend_from_slice(&item.commitment);
                pending.unique("funds/item", key)
            }
            Checked::ReportPart(_, run, start) => {
                let period = period.ok_or_else(|| ApiError::internal("checked period vanished"))?;
                // The run's shape: the budget's, in the layout the book
                // checked the run may use.
                let key = self.shape_key(run.shape)?;
                verify_chunk_run(&period.commitments(), start, &run, &key.params, &key.vk)
                    .map_err(ApiError::from)?;
                pending
            }
            Checked::Report(report, tail, start) => {
                let period = period.ok_or_else(|| ApiError::internal("checked period vanished"))?;
                let key = self.shape_key(tail.shape)?;
                verify_report_tail(&period, &report, start, &tail, &key.params, &key.vk)
                    .map_err(ApiError::from)?;
                pending.unique("funds/report", period_key(&agency, &report.period))
            }
            Checked::AuditRequest(request, _) => {
                let seeded = state.sequencer().with_tree(|tree, latest| {
                    request.seed_size <= latest.size
                        && tree.root_at(request.seed_size).ok() == Some(request.seed)
                });
                if !seeded {
                    return Err(ApiError::unprocessable(
                        "bad_seed",
                        "the audit seed is not the root of a checkpointed tree size",
                    ));
                }
                pending
            }
            Checked::AuditOpening(answer) => pending.unique("funds/audit-answer", answer.request),
        })
    }

    fn after_commit(
        &self,
        record: &Record,
        _index: u64,
        state: &AppState,
    ) -> ApiResult<Vec<Pending>> {
        if record.kind() == BUDGET
            && let Ok(budget) = zkaudit_ledger::funds::Budget::decode(record.payload())
            && let Ok(shape) = budget.shape()
            && !self
                .inner
                .keys
                .lock()
                .map_err(ApiError::internal)?
                .contains_key(&shape)
        {
            self.warm_up(state, move |_, _| vec![shape]);
        }
        Ok(Vec::new())
    }

    fn started(&self, state: &AppState) {
        // The shapes of every open period: their reports are still to come.
        self.warm_up(state, |state, domain| {
            let open = domain.with_book(state, |book| {
                let mut shapes: Vec<FundsShape> = book
                    .periods()
                    .filter(|p| p.report.is_none())
                    .filter_map(|p| p.budget.shape().ok())
                    .collect();
                shapes.sort_by_key(|s| (s.chunk_size(), s.categories()));
                shapes.dedup();
                Ok(shapes)
            });
            open.unwrap_or_else(|e| {
                tracing::warn!(error = %e, "funds warm-up: replay failed");
                Vec::new()
            })
        });
    }

    fn board(self: Arc<Self>) -> axum::Router<AppState> {
        board::routes(self)
    }

    fn board_counts(&self, state: &AppState) -> ApiResult<Vec<(&'static str, u64)>> {
        board::counts(self, state)
    }

    fn routes(self: Arc<Self>) -> OpenApiRouter<AppState> {
        routes::routes(self.clone()).merge(ocds::routes(self))
    }
}
