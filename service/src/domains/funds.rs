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
//! them takes ~2 minutes at k = 16) and verifying keys in memory per shape.
//! Both are prepared in the background as soon as a budget is logged, and
//! at start-up for every open period, so the report that closes a period
//! does not wait for them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zkaudit_circuits::funds::{
    FundsError, FundsParams, FundsShape, FundsVerifyingKey, verify_chunk_run,
};
use zkaudit_ledger::funds::{
    AUDIT_OPENING, AUDIT_REQUEST, BUDGET, CONTRACT, Checked, DOMAIN, EXPENDITURE, FundsBook,
    FundsRuleError, Period, REPORT, REPORT_PART, period_key,
};
use zkaudit_ledger::record::{Author, Record};
use zkaudit_ledger::replay::Replayed;
use zkaudit_ledger::sequencer::Pending;
use zkaudit_verifier::funds::{FUNDS_BUNDLE_FORMAT, FundsBundle, verify_report_tail};

use super::{Authorisation, Domain};
use crate::server::log_access::build_evidence;
use crate::server::error::{ApiError, ApiResult, AppPath, ErrorBody};
use crate::server::blocking::blocking_api;
use crate::server::state::AppState;

/// Topic of every funds record.
const TOPIC_FUNDS: &[u8] = b"funds";

/// The IPA parameters and verifying key of one circuit shape.
pub struct ShapeKey {
    /// Parameters for the shape's `k`.
    pub params: FundsParams,
    /// The shape's verifying key (deterministic from params and shape).
    pub vk: FundsVerifyingKey,
}

/// The funds domain.
pub struct FundsDomain {
    book: Replayed<FundsBook>,
    data_dir: PathBuf,
    keys: Mutex<HashMap<FundsShape, Arc<ShapeKey>>>,
}

/// A funds rule's refusal as an API error.
pub fn funds_refused(e: FundsRuleError) -> ApiError {
    let message = e.to_string();
    match e {
        FundsRuleError::NoBudget(_) | FundsRuleError::UnknownRequest => {
            ApiError::unprocessable("unknown_target", message)
        }
        FundsRuleError::BudgetExists(_)
        | FundsRuleError::ContractExists(_)
        | FundsRuleError::DuplicateItem(_)
        | FundsRuleError::AlreadyAnswered => ApiError::conflict("already_used", message),
        FundsRuleError::PeriodClosed(_) => ApiError::conflict("period_closed", message),
        FundsRuleError::NotReported(_) => ApiError::conflict("not_reported", message),
        FundsRuleError::ItemCount { .. } => ApiError::conflict("item_count", message),
        FundsRuleError::OverBudget { .. } => ApiError::unprocessable("over_budget", message),
        FundsRuleError::UnknownContract(_) => ApiError::unprocessable("unknown_target", message),
        FundsRuleError::ContractExceeded { .. } => {
            ApiError::unprocessable("contract_exceeded", message)
        }
        FundsRuleError::PartOutOfOrder { .. } => ApiError::conflict("part_out_of_order", message),
        FundsRuleError::PartBeyondItems => ApiError::unprocessable("part_beyond_items", message),
        FundsRuleError::Proof(e) => proof_refused(e),
        FundsRuleError::NotAgency => ApiError::forbidden("not_agency", message),
        FundsRuleError::WrongSample { .. } => ApiError::unprocessable("wrong_sample", message),
        FundsRuleError::OpeningMismatch { .. } => {
            ApiError::unprocessable("opening_mismatch", message)
        }
        FundsRuleError::EarlySeed(_) => ApiError::unprocessable("bad_seed", message),
        _ => ApiError::unprocessable("invalid_payload", message),
    }
}

/// A rejected period proof as an API error; the code names the reason.
pub fn proof_refused(e: FundsError) -> ApiError {
    let code = match e {
        FundsError::ChunkCount { .. } => "proof_chunk_count",
        FundsError::ChainBroken { .. } => "proof_chain_broken",
        FundsError::TotalsMismatch => "proof_totals_mismatch",
        FundsError::ChunkProofInvalid { .. } => "proof_invalid",
        FundsError::ShapeMismatch => "proof_shape_mismatch",
        FundsError::Io(_) | FundsError::Halo2(_) => return ApiError::internal(e),
        _ => "malformed_proof",
    };
    ApiError::unprocessable(code, format!("the period proof is rejected: {e}"))
}

impl FundsDomain {
    /// Serves public funds; parameter caches live in `data_dir`.
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            book: Replayed::new(),
            data_dir,
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// Brings the book up to date with the log and runs `f` on it.
    /// Blocking: reads the store.
    pub fn with_book<T>(
        &self,
        state: &AppState,
        f: impl FnOnce(&FundsBook) -> ApiResult<T>,
    ) -> ApiResult<T> {
        self.book
            .with(&**state.sequencer().store(), TOPIC_FUNDS, FundsBook::new, f)
    }

    /// Prepares, on a background thread, the parameters and verifying key
    /// of the shapes `shapes` picks (a report then finds them ready).
    fn warm_up(
        state: &AppState,
        shapes: impl FnOnce(&AppState, &FundsDomain) -> Vec<FundsShape> + Send + 'static,
    ) {
        let state = state.clone();
        let spawned = std::thread::Builder::new()
            .name("funds-warm-up".into())
            .spawn(move || {
                let Some(domain) = state.domain::<FundsDomain>() else {
                    return;
                };
                for shape in shapes(&state, domain) {
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
        let mut keys = self.keys.lock().map_err(ApiError::internal)?;
        if let Some(key) = keys.get(&shape) {
            return Ok(key.clone());
        }
        let k = shape.k();
        let params =
            FundsParams::load_or_create(&self.data_dir.join(format!("funds-params-k{k}.bin")), k)
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
        Author::None => Err(funds_refused(FundsRuleError::Unsigned)),
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
            let checked = book.check(record).map_err(funds_refused)?;
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
                let key = self.shape_key(period.budget.shape().map_err(funds_refused)?)?;
                verify_chunk_run(&period.commitments(), start, &run, &key.params, &key.vk)
                    .map_err(proof_refused)?;
                pending
            }
            Checked::Report(report, tail, start) => {
                let period = period.ok_or_else(|| ApiError::internal("checked period vanished"))?;
                let key = self.shape_key(period.budget.shape().map_err(funds_refused)?)?;
                verify_report_tail(&period, &report, start, &tail, &key.params, &key.vk)
                    .map_err(proof_refused)?;
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
                .keys
                .lock()
                .map_err(ApiError::internal)?
                .contains_key(&shape)
        {
            Self::warm_up(state, move |_, _| vec![shape]);
        }
        Ok(Vec::new())
    }

    fn started(&self, state: &AppState) {
        // The shapes of every open period: their reports are still to come.
        Self::warm_up(state, |state, domain| {
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

    fn routes(&self) -> OpenApiRouter<AppState> {
        OpenApiRouter::new()
            .routes(routes!(list_periods))
            .routes(routes!(get_period))
            .routes(routes!(get_report))
            .routes(routes!(get_bundle))
            .routes(routes!(get_audit))
            .routes(routes!(get_contract))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

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

fn summary(state: &AppState, p: &Period) -> PeriodSummary {
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

fn audit_view(state: &AppState, a: &zkaudit_ledger::funds::Audit) -> AuditView {
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

/// An agency's key from its hex path segment.
fn parse_agency(agency: &str) -> ApiResult<VerifyingKey> {
    hex::decode(agency)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
        .ok_or_else(|| {
            ApiError::bad_request("bad_agency", "agency: 32 hex bytes of an Ed25519 key")
        })
}

fn funds(state: &AppState) -> ApiResult<&FundsDomain> {
    state
        .domain::<FundsDomain>()
        .ok_or_else(|| ApiError::internal("funds domain not served"))
}

async fn with_period<T: Send + 'static>(
    state: &AppState,
    agency: String,
    period: String,
    f: impl FnOnce(&AppState, &Period) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let state = state.clone();
    blocking_api(move || {
        let key = parse_agency(&agency)?;
        funds(&state)?.with_book(&state, |book| {
            let p = book.period(&key, &period).ok_or_else(|| {
                ApiError::not_found(format!("no period {period:?} of that agency"))
            })?;
            f(&state, p)
        })
    })
    .await
}

#[utoipa::path(get, path = "/v1/funds/periods", tag = "funds",
    responses((status = 200, body = Vec<PeriodSummary>)))]
async fn list_periods(State(state): State<AppState>) -> ApiResult<Json<Vec<PeriodSummary>>> {
    let list = blocking_api(move || {
        funds(&state)?.with_book(&state, |book| {
            Ok(book.periods().map(|p| summary(&state, p)).collect())
        })
    })
    .await?;
    Ok(Json(list))
}

#[utoipa::path(get, path = "/v1/funds/periods/{agency}/{period}", tag = "funds",
    params(("agency" = String, Path, description = "Agency key, hex"), ("period" = String, Path, description = "Period id")),
    responses((status = 200, body = PeriodView), (status = 404, body = ErrorBody)))]
async fn get_period(
    State(state): State<AppState>,
    AppPath((agency, period)): AppPath<(String, String)>,
) -> ApiResult<Json<PeriodView>> {
    let view = with_period(&state, agency, period, |state, p| {
        let totals = p.report.as_ref().map(|r| &r.1.totals);
        Ok(PeriodView {
            summary: summary(state, p),
            chunk_size: p.budget.chunk_size,
            budget_index: p.budget_index,
            staged_chunks: p.staged.len(),
            parts: p.parts.clone(),
            categories: p
                .budget
                .categories
                .iter()
                .enumerate()
                .map(|(i, c)| CategoryView {
                    label: c.label.clone(),
                    appropriation: c.appropriation,
                    total: totals.map(|t| t[i].to_string()),
                    contract: c.contract.clone(),
                })
                .collect(),
            expenditures: p
                .items
                .iter()
                .enumerate()
                .map(|(position, i)| ItemView {
                    position,
                    index: i.index,
                    commitment: hex::encode(i.commitment),
                    label: i.label.clone(),
                })
                .collect(),
            audits: p.audits.iter().map(|a| audit_view(state, a)).collect(),
        })
    })
    .await?;
    Ok(Json(view))
}

#[utoipa::path(get, path = "/v1/funds/periods/{agency}/{period}/report", tag = "funds",
    params(("agency" = String, Path, description = "Agency key, hex"), ("period" = String, Path, description = "Period id")),
    responses((status = 200, body = ReportView), (status = 404, body = ErrorBody)))]
async fn get_report(
    State(state): State<AppState>,
    AppPath((agency, period)): AppPath<(String, String)>,
) -> ApiResult<Json<ReportView>> {
    let view = with_period(&state, agency, period, |_, p| {
        let (index, r) = p
            .report
            .as_ref()
            .ok_or_else(|| ApiError::not_found("the period has no report yet"))?;
        let proof = p.full_proof(r).map_err(ApiError::internal)?;
        Ok(ReportView {
            index: *index,
            items: r.items,
            parts: p.parts.clone(),
            totals: r.totals.iter().map(u128::to_string).collect(),
            final_blinding: hex::encode(r.final_blinding),
            proof: BASE64.encode(proof.to_bytes()),
        })
    })
    .await?;
    Ok(Json(view))
}

#[utoipa::path(get, path = "/v1/funds/periods/{agency}/{period}/bundle", tag = "funds",
    params(("agency" = String, Path, description = "Agency key, hex"), ("period" = String, Path, description = "Period id")),
    responses((status = 200, body = FundsBundle, description = "The period's records with inclusion proofs; check with `zkaudit verify`"),
        (status = 404, body = ErrorBody)))]
async fn get_bundle(
    State(state): State<AppState>,
    AppPath((agency, period)): AppPath<(String, String)>,
) -> ApiResult<Json<FundsBundle>> {
    let bundle = with_period(&state, agency, period, |state, p| {
        let mut indices = p.indices();
        let report_index = p
            .report
            .as_ref()
            .ok_or_else(|| ApiError::not_found("the period has no report yet"))?
            .0;
        indices.push(crate::domains::identity::claims::authority_set_before(
            state,
            report_index,
        )?);
        if indices
            .iter()
            .any(|&i| i >= state.sequencer().latest_checkpoint().size)
        {
            return Err(ApiError::unavailable(
                "the period's latest record is being checkpointed; retry in a moment",
            ));
        }
        Ok(FundsBundle {
            format: FUNDS_BUNDLE_FORMAT.to_owned(),
            agency: hex::encode(p.agency.as_bytes()),
            period: p.budget.period.clone(),
            evidence: build_evidence(state, indices)?,
        })
    })
    .await?;
    Ok(Json(bundle))
}

#[utoipa::path(get, path = "/v1/funds/audits/{id}", tag = "funds",
    params(("id" = String, Path, description = "Record id of the audit request, hex")),
    responses((status = 200, body = AuditView), (status = 404, body = ErrorBody)))]
async fn get_audit(
    State(state): State<AppState>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<AuditView>> {
    let view = blocking_api(move || {
        let id: [u8; 32] = hex::decode(&id)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| ApiError::bad_request("bad_id", "id: 32 hex bytes"))?;
        funds(&state)?.with_book(&state, |book| {
            let (_, audit) = book
                .audit(&id)
                .ok_or_else(|| ApiError::not_found("no such audit request"))?;
            Ok(audit_view(&state, audit))
        })
    })
    .await?;
    Ok(Json(view))
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

#[utoipa::path(get, path = "/v1/funds/contracts/{agency}/{tender}", tag = "funds",
    params(("agency" = String, Path, description = "Agency key, hex"), ("tender" = String, Path, description = "Tender id")),
    responses((status = 200, body = ContractView), (status = 404, body = ErrorBody)))]
async fn get_contract(
    State(state): State<AppState>,
    AppPath((agency, tender)): AppPath<(String, String)>,
) -> ApiResult<Json<ContractView>> {
    let view = blocking_api(move || {
        let key = parse_agency(&agency)?;
        funds(&state)?.with_book(&state, |book| {
            let entry = book.contract(&key, &tender).ok_or_else(|| {
                ApiError::not_found(format!("no contract {tender:?} of that agency"))
            })?;
            let c = &entry.contract;
            Ok(ContractView {
                index: entry.index,
                tender: c.tender.clone(),
                winner: c.winner.clone(),
                value: c.value,
                awarded_day: c.awarded_day,
                ends_day: c.ends_day,
                documents: c.documents.iter().map(hex::encode).collect(),
                paid: entry.paid().to_string(),
                payments: entry
                    .payments
                    .iter()
                    .map(|(period, report_index, amount)| PaymentView {
                        period: period.clone(),
                        report_index: *report_index,
                        amount: amount.to_string(),
                    })
                    .collect(),
            })
        })
    })
    .await?;
    Ok(Json(view))
}
