//! The funds domain's routes: periods, reports, bundles, audits and
//! contracts.

use std::sync::Arc;

use axum::extract::State;
use axum::{Extension, Json};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::VerifyingKey;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zkaudit_ledger::funds::Period;
use zkaudit_verifier::funds::{FUNDS_BUNDLE_FORMAT, FundsBundle};

use super::FundsDomain;
use super::views::*;
use crate::server::blocking::blocking_api;
use crate::server::error::{ApiError, ApiResult, AppPath, ErrorBody};
use crate::server::log_access::{authority_set_before, build_evidence};
use crate::server::state::AppState;

/// The domain's routes; handlers reach the domain through an extension.
pub(super) fn routes(funds: Arc<FundsDomain>) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_periods))
        .routes(routes!(get_period))
        .routes(routes!(get_report))
        .routes(routes!(get_bundle))
        .routes(routes!(get_audit))
        .routes(routes!(get_contract))
        .layer(Extension(funds))
}

/// An agency's key from its hex path segment.
pub(super) fn parse_agency(agency: &str) -> ApiResult<VerifyingKey> {
    hex::decode(agency)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| zkaudit_ledger::signature::parse_verifying_key(&b).ok())
        .ok_or_else(|| {
            ApiError::bad_request("bad_agency", "agency: 32 hex bytes of an Ed25519 key")
        })
}

pub(super) async fn with_period<T: Send + 'static>(
    state: &AppState,
    funds: &Arc<FundsDomain>,
    agency: String,
    period: String,
    f: impl FnOnce(&AppState, &Period) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let (state, funds) = (state.clone(), funds.clone());
    blocking_api(move || {
        let key = parse_agency(&agency)?;
        funds.with_book(&state, |book| {
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
async fn list_periods(
    State(state): State<AppState>,
    Extension(funds): Extension<Arc<FundsDomain>>,
) -> ApiResult<Json<Vec<PeriodSummary>>> {
    let list = blocking_api(move || {
        funds.with_book(&state, |book| {
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
    Extension(funds): Extension<Arc<FundsDomain>>,
    AppPath((agency, period)): AppPath<(String, String)>,
) -> ApiResult<Json<PeriodView>> {
    let view = with_period(&state, &funds, agency, period, |state, p| {
        Ok(period_view(state, p))
    })
    .await?;
    Ok(Json(view))
}

#[utoipa::path(get, path = "/v1/funds/periods/{agency}/{period}/report", tag = "funds",
    params(("agency" = String, Path, description = "Agency key, hex"), ("period" = String, Path, description = "Period id")),
    responses((status = 200, body = ReportView), (status = 404, body = ErrorBody)))]
async fn get_report(
    State(state): State<AppState>,
    Extension(funds): Extension<Arc<FundsDomain>>,
    AppPath((agency, period)): AppPath<(String, String)>,
) -> ApiResult<Json<ReportView>> {
    let view = with_period(&state, &funds, agency, period, |_, p| {
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
    Extension(funds): Extension<Arc<FundsDomain>>,
    AppPath((agency, period)): AppPath<(String, String)>,
) -> ApiResult<Json<FundsBundle>> {
    let bundle = with_period(&state, &funds, agency, period, |state, p| {
        let mut indices = p.indices();
        let report_index = p
            .report
            .as_ref()
            .ok_or_else(|| ApiError::not_found("the period has no report yet"))?
            .0;
        indices.push(authority_set_before(state, report_index)?);
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
    Extension(funds): Extension<Arc<FundsDomain>>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<AuditView>> {
    let view = blocking_api(move || {
        let id: [u8; 32] = hex::decode(&id)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| ApiError::bad_request("bad_id", "id: 32 hex bytes"))?;
        funds.with_book(&state, |book| {
            let (_, audit) = book
                .audit(&id)
                .ok_or_else(|| ApiError::not_found("no such audit request"))?;
            Ok(audit_view(&state, audit))
        })
    })
    .await?;
    Ok(Json(view))
}

#[utoipa::path(get, path = "/v1/funds/contracts/{agency}/{tender}", tag = "funds",
    params(("agency" = String, Path, description = "Agency key, hex"), ("tender" = String, Path, description = "Tender id")),
    responses((status = 200, body = ContractView), (status = 404, body = ErrorBody)))]
async fn get_contract(
    State(state): State<AppState>,
    Extension(funds): Extension<Arc<FundsDomain>>,
    AppPath((agency, tender)): AppPath<(String, String)>,
) -> ApiResult<Json<ContractView>> {
    let view = blocking_api(move || {
        let key = parse_agency(&agency)?;
        funds.with_book(&state, |book| {
            let entry = book.contract(&key, &tender).ok_or_else(|| {
                ApiError::not_found(format!("no contract {tender:?} of that agency"))
            })?;
            Ok(contract_view(entry))
        })
    })
    .await?;
    Ok(Json(view))
}

/// A period as served: its summary, categories, expenditures and audits.
pub(super) fn period_view(state: &AppState, p: &Period) -> PeriodView {
    let totals = p.report.as_ref().map(|r| &r.1.totals);
    PeriodView {
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
    }
}

/// A contract as served: its award and what was paid under it.
pub(super) fn contract_view(entry: &zkaudit_ledger::funds::ContractEntry) -> ContractView {
    let c = &entry.contract;
    ContractView {
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
        source: c.source.as_ref().map(Into::into),
    }
}
