//! The health domain's routes: lots, their traces (also as GS1 EPCIS 2.0
//! documents), patients' access logs (also as HL7 FHIR bundles) and
//! flagged accesses.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zkaudit_ledger::health::{
    AccessVerdict, HealthError, TraceReport, audit_access, parse_patient, patient_hex, verify_trace,
};
use zkaudit_verifier::health::{MAX_EXTRACT_ENTRIES, access_fhir, trace_epcis};

use super::extract::extract;
use super::views::*;
use super::{HealthDomain, TOPIC_FLAGGED, lot_topic, patient_topic};
use crate::clock::now_ms;
use crate::server::blocking::blocking_api;
use crate::server::error::{ApiError, ApiResult, AppPath, ErrorBody};
use crate::server::state::AppState;

/// The domain's routes; handlers reach the domain through an extension.
pub(super) fn routes(health: Arc<HealthDomain>) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_lot))
        .routes(routes!(lot_trace))
        .routes(routes!(lot_epcis))
        .routes(routes!(patient_fhir))
        .routes(routes!(access_log))
        .routes(routes!(flagged))
        .layer(Extension(health))
}

pub(super) async fn with_domain<T: Send + 'static>(
    state: &AppState,
    health: &Arc<HealthDomain>,
    f: impl FnOnce(&AppState, &HealthDomain) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let (state, health) = (state.clone(), health.clone());
    blocking_api(move || f(&state, &health)).await
}

pub(super) fn check_lot_id(lot: &str) -> ApiResult<()> {
    let ok = !lot.is_empty()
        && lot.len() <= 64
        && lot
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "malformed_lot",
            "a lot number is 1-64 bytes of [A-Za-z0-9._@-]",
        ))
    }
}

#[utoipa::path(get, path = "/v1/health/lots/{lot}", tag = "health",
    params(("lot" = String, Path, description = "Lot number")),
    responses((status = 200, body = LotView), (status = 404, body = ErrorBody)))]
async fn get_lot(
    State(state): State<AppState>,
    Extension(health): Extension<Arc<HealthDomain>>,
    AppPath(lot): AppPath<String>,
) -> ApiResult<Json<LotView>> {
    check_lot_id(&lot)?;
    let view = with_domain(&state, &health, move |state, domain| {
        domain.with_book(state, |book| {
            book.lot(&lot).map(lot_view).ok_or_else(|| {
                ApiError::not_found(format!("unknown lot {lot:?}: never registered"))
            })
        })
    })
    .await?;
    Ok(Json(view))
}

#[utoipa::path(get, path = "/v1/health/lots/{lot}/trace", tag = "health",
    params(("lot" = String, Path, description = "Lot number")),
    responses((status = 200, description = "The chain of custody with inclusion proofs, and the server's check of it (an unknown lot fails the check)", body = TraceView)))]
async fn lot_trace(
    State(state): State<AppState>,
    Extension(health): Extension<Arc<HealthDomain>>,
    AppPath(lot): AppPath<String>,
) -> ApiResult<Json<TraceView>> {
    check_lot_id(&lot)?;
    let view = with_domain(&state, &health, move |state, _| {
        let (extract, records) = extract(state, &lot_topic(&lot))?;
        let checked: Result<TraceReport, HealthError> = verify_trace(&lot, &records);
        Ok(TraceView {
            lot,
            extract,
            state: checked.as_ref().ok().map(|r| lot_view(&r.lot)),
            check: CheckView {
                ok: checked.is_ok(),
                error: checked.err().map(|e| e.to_string()),
            },
        })
    })
    .await?;
    Ok(Json(view))
}

#[utoipa::path(get, path = "/v1/health/lots/{lot}/epcis", tag = "health",
    params(("lot" = String, Path, description = "Lot number")),
    responses(
        (status = 200, content_type = "application/ld+json", body = Object,
            description = "The lot's chain of custody as a GS1 EPCIS 2.0 document (JSON-LD): each event carries its log index, record id and inclusion proof (`zkaudit:` extension fields) against the checkpoint in the header"),
        (status = 404, body = ErrorBody, description = "No record of this lot"),
        (status = 422, body = ErrorBody, description = "The chain breaks a rule: not exported as if it held")))]
async fn lot_epcis(
    State(state): State<AppState>,
    Extension(health): Extension<Arc<HealthDomain>>,
    AppPath(lot): AppPath<String>,
) -> ApiResult<Response> {
    check_lot_id(&lot)?;
    let document = with_domain(&state, &health, move |state, _| {
        let (extract, records) = extract(state, &lot_topic(&lot))?;
        if records.is_empty() {
            return Err(ApiError::not_found(format!(
                "unknown lot {lot:?}: never registered"
            )));
        }
        trace_epcis(&extract, &records, &lot, now_ms()).map_err(|e| {
            ApiError::unprocessable(
                "broken_chain",
                format!("lot {lot} fails its chain-of-custody check, so it is not exported: {e}"),
            )
        })
    })
    .await?;
    Ok((
        [(header::CONTENT_TYPE, "application/ld+json")],
        Json(document),
    )
        .into_response())
}

#[utoipa::path(get, path = "/v1/health/patients/{patient}/access-log", tag = "health",
    params(("patient" = String, Path, description = "The patient's pseudonymous Ed25519 key, hex")),
    responses((status = 200, body = AccessLogView), (status = 400, body = ErrorBody)))]
async fn access_log(
    State(state): State<AppState>,
    Extension(health): Extension<Arc<HealthDomain>>,
    AppPath(patient): AppPath<String>,
) -> ApiResult<Json<AccessLogView>> {
    let key = parse_patient(&patient)
        .map_err(|e| ApiError::bad_request("malformed_patient", e.to_string()))?;
    let view = with_domain(&state, &health, move |state, _| {
        let hex_key = patient_hex(&key);
        let (extract, records) = extract(state, &patient_topic(&hex_key))?;
        let audited = audit_access(&key, &records);
        let accesses = audited
            .as_ref()
            .map(|list| {
                list.iter()
                    .map(|a| {
                        let (consent, flagged) = match &a.verdict {
                            AccessVerdict::Consented { consent } => (Some(consent.clone()), None),
                            AccessVerdict::Flagged { reason } => (None, Some(reason.clone())),
                        };
                        AccessView {
                            index: a.index,
                            record: a.access.record.clone(),
                            version: a.access.version,
                            accessor: a.access.accessor.clone(),
                            purpose: a.access.purpose.clone(),
                            at_ms: a.access.at_ms,
                            consent,
                            flagged,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(AccessLogView {
            patient: hex_key,
            extract,
            check: CheckView {
                ok: audited.is_ok(),
                error: audited.err().map(|e| e.to_string()),
            },
            accesses,
        })
    })
    .await?;
    Ok(Json(view))
}

#[utoipa::path(get, path = "/v1/health/patients/{patient}/fhir", tag = "health",
    params(("patient" = String, Path, description = "The patient's pseudonymous Ed25519 key, hex")),
    responses(
        (status = 200, content_type = "application/fhir+json", body = Object,
            description = "The patient's access log and consents as a FHIR R5 Bundle: AuditEvent per access (IHE BALP patient read; flagged ones with severity alert), Consent per grant, Provenance per logged record with its log evidence"),
        (status = 400, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "The patient's records break a rule: not exported as if they held")))]
async fn patient_fhir(
    State(state): State<AppState>,
    Extension(health): Extension<Arc<HealthDomain>>,
    AppPath(patient): AppPath<String>,
) -> ApiResult<Response> {
    let key = parse_patient(&patient)
        .map_err(|e| ApiError::bad_request("malformed_patient", e.to_string()))?;
    let bundle = with_domain(&state, &health, move |state, _| {
        let (extract, records) = extract(state, &patient_topic(&patient_hex(&key)))?;
        access_fhir(&extract, &records, &key, now_ms()).map_err(|e| {
            ApiError::unprocessable(
                "broken_log",
                format!("the patient's records fail their check, so they are not exported: {e}"),
            )
        })
    })
    .await?;
    Ok((
        [(header::CONTENT_TYPE, "application/fhir+json")],
        Json(bundle),
    )
        .into_response())
}

#[utoipa::path(get, path = "/v1/health/flagged", tag = "health",
    responses((status = 200, body = FlaggedView)))]
async fn flagged(
    State(state): State<AppState>,
    Extension(health): Extension<Arc<HealthDomain>>,
) -> ApiResult<Json<FlaggedView>> {
    let indices = with_domain(&state, &health, |state, _| {
        state
            .sequencer()
            .store()
            .topic(TOPIC_FLAGGED, 0, MAX_EXTRACT_ENTRIES)
            .map_err(ApiError::internal)
    })
    .await?;
    Ok(Json(FlaggedView { indices }))
}
