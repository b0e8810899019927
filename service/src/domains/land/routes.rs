//! The land domain's routes: a parcel's title and its history (also in the
//! shape of ISO 19152 LADM).

use std::sync::Arc;

use axum::extract::State;
use axum::{Extension, Json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zkaudit_ledger::identity::RegistryBook;
use zkaudit_ledger::land::Parcel;
use zkaudit_verifier::land::{HISTORY_FORMAT, HistoryBundle, history_ladm};

use super::LandDomain;
use super::views::{ParcelView, parcel_view};
use crate::server::blocking::blocking_api;
use crate::server::error::{ApiError, ApiResult, AppPath, ErrorBody};
use crate::server::log_access::{prove_entries, read_entries};
use crate::server::state::AppState;

/// The domain's routes; handlers reach the domain through an extension.
pub(super) fn routes(land: Arc<LandDomain>) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_parcel))
        .routes(routes!(parcel_history))
        .routes(routes!(parcel_ladm))
        .layer(Extension(land))
}

pub(super) async fn with_parcel<T: Send + 'static>(
    state: &AppState,
    land: &Arc<LandDomain>,
    id: String,
    f: impl FnOnce(&AppState, &RegistryBook, &Parcel) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let (state, land) = (state.clone(), land.clone());
    blocking_api(move || {
        land.identity().with_registries(&state, |book| {
            let parcel = book
                .titles()
                .get(&id)
                .ok_or_else(|| ApiError::not_found(format!("no parcel {id:?}")))?;
            f(&state, book.identity(), parcel)
        })
    })
    .await
}

#[utoipa::path(get, path = "/v1/land/parcels/{id}", tag = "land",
    params(("id" = String, Path, description = "Parcel id")),
    responses((status = 200, body = ParcelView), (status = 404, body = ErrorBody)))]
async fn get_parcel(
    State(state): State<AppState>,
    Extension(land): Extension<Arc<LandDomain>>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<ParcelView>> {
    let view = with_parcel(&state, &land, id, |state, book, p| {
        Ok(parcel_view(state, book, p))
    })
    .await?;
    Ok(Json(view))
}

#[utoipa::path(get, path = "/v1/land/parcels/{id}/history", tag = "land",
    params(("id" = String, Path, description = "Parcel id")),
    responses((status = 200, description = "Every event with inclusion proofs against one checkpoint", body = HistoryBundle),
        (status = 404, body = ErrorBody)))]
async fn parcel_history(
    State(state): State<AppState>,
    Extension(land): Extension<Arc<LandDomain>>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<HistoryBundle>> {
    Ok(Json(history_bundle(state, &land, id).await?.0))
}

#[utoipa::path(get, path = "/v1/land/parcels/{id}/ladm", tag = "land",
    params(("id" = String, Path, description = "Parcel id")),
    responses((status = 200, body = Object,
            description = "The parcel and its history in the shape of ISO 19152 LADM: spatial unit, basic administrative unit, parties, rights and mortgages with their lifespans, and each event as an administrative source with its inclusion proof against the checkpoint the document carries"),
        (status = 404, body = ErrorBody)))]
async fn parcel_ladm(
    State(state): State<AppState>,
    Extension(land): Extension<Arc<LandDomain>>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let log_key = state.sequencer().verifier_key();
    let (bundle, registrar) = history_bundle(state, &land, id).await?;
    let document = blocking_api(move || {
        // The server's own history, checked as any reader would check it.
        let verified = bundle
            .verify(&log_key, &registrar)
            .map_err(ApiError::internal)?;
        history_ladm(&bundle, &verified).map_err(ApiError::internal)
    })
    .await?;
    Ok(Json(document))
}

/// A parcel's history bundle against the latest checkpoint, and the
/// registrar that registered it.
async fn history_bundle(
    state: AppState,
    land: &Arc<LandDomain>,
    id: String,
) -> ApiResult<(HistoryBundle, ed25519_dalek::VerifyingKey)> {
    let (parcel, indices, registrar) = with_parcel(&state, land, id, |_, _, p| {
        Ok((p.registration.parcel.clone(), p.events.clone(), p.registrar))
    })
    .await?;
    let bundle = blocking_api(move || {
        let entries = read_entries(&state, &indices)?;
        let latest = state.sequencer().latest_checkpoint();
        if entries.iter().any(|entry| entry.index >= latest.size) {
            return Err(ApiError::unavailable(
                "the latest event is being checkpointed; retry in a moment",
            ));
        }
        Ok(HistoryBundle {
            format: HISTORY_FORMAT.to_owned(),
            origin: state.sequencer().origin().to_owned(),
            parcel,
            checkpoint: String::from_utf8_lossy(&latest.note).into_owned(),
            events: prove_entries(&state, &latest, &entries)?,
        })
    })
    .await?;
    Ok((bundle, registrar))
}
