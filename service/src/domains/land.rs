//! The land domain: parcels, multi-signed transfers and liens, and parcel
//! histories with inclusion proofs.
//!
//! The registrar (an authority granted `land/*` and the title registry's
//! `identity/*` kinds) writes every land record through
//! `POST /v1/log/entries`; owners, buyers and lienholders take part by
//! signing the terms the record carries. Titles are replayed with the
//! identity registries, in the identity domain's
//! [`Registries`](zkaudit_ledger::registries::Registries), because a
//! registration or transfer also changes the parcel's title registry: one
//! log entry, one replay, one lock — the title history and the registry
//! cannot disagree.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zkaudit_ledger::codec::fr_from_bytes;
use zkaudit_ledger::identity::RegistryBook;
use zkaudit_ledger::land::{
    DOMAIN, LIEN_REGISTER, LIEN_RELEASE, LandError, PARCEL_REGISTER, Parcel, TITLE_TRANSFER,
    version_key,
};
use zkaudit_ledger::record::Record;
use zkaudit_ledger::sequencer::Pending;
use zkaudit_verifier::LogEntry;
use zkaudit_verifier::land::{HISTORY_FORMAT, HistoryBundle};

use super::identity::{IdentityDomain, TOPIC_ALL, refused, registry_topic};
use super::{Authorisation, Domain};
use crate::server::error::{ApiError, ApiResult, AppPath, ErrorBody};
use crate::server::blocking::blocking_api;
use crate::server::state::AppState;

/// Topic of every land record.
const TOPIC_LAND: &[u8] = b"land";

/// The land domain (its state lives in the identity domain's book).
pub struct LandDomain;

/// A land rule's refusal as an API error.
pub fn land_refused(e: LandError) -> ApiError {
    let message = e.to_string();
    match e {
        LandError::UnknownParcel(_) => ApiError::unprocessable("unknown_parcel", message),
        LandError::ParcelExists(_) => ApiError::conflict("already_used", message),
        LandError::NotRegistrar(_) => ApiError::forbidden("not_registrar", message),
        LandError::StaleVersion { .. } | LandError::WrongPrevious(_) => {
            ApiError::conflict("stale_version", message)
        }
        LandError::BadSignature(_) => ApiError::forbidden("bad_party_signature", message),
        LandError::UnderLien { .. } => ApiError::conflict("under_lien", message),
        LandError::UnknownLien(_) => ApiError::unprocessable("unknown_lien", message),
        _ => ApiError::unprocessable("invalid_payload", message),
    }
}

fn parcel_topic(parcel: &str) -> Vec<u8> {
    format!("land/parcel/{parcel}").into_bytes()
}

fn identity(state: &AppState) -> ApiResult<&IdentityDomain> {
    state
        .domain::<IdentityDomain>()
        .ok_or_else(|| ApiError::internal("the land domain needs the identity domain"))
}

impl Domain for LandDomain {
    fn name(&self) -> &'static str {
        DOMAIN
    }

    fn authorisation(&self, kind: &str) -> Option<Authorisation> {
        match kind {
            PARCEL_REGISTER | TITLE_TRANSFER | LIEN_REGISTER | LIEN_RELEASE => {
                Some(Authorisation::Authority)
            }
            _ => None,
        }
    }

    fn admit(&self, record: &Record, state: &AppState) -> ApiResult<Pending> {
        let (checked, change) = identity(state)?.with_registries(state, |book| {
            let checked = book.titles().check(record).map_err(land_refused)?;
            let change = book.titles().credential_change(&checked);
            if let Some(change) = &change {
                book.check_title_change(record, change).map_err(refused)?;
            }
            Ok((checked, change))
        })?;
        let mut pending = Pending::new(record)
            .topic(TOPIC_ALL.to_vec())
            .topic(TOPIC_LAND.to_vec())
            .topic(parcel_topic(checked.parcel()))
            .unique(
                "land/version",
                version_key(checked.parcel(), checked.version()),
            );
        if let Some(change) = change {
            pending = pending.topic(registry_topic(&change.issue.registry));
            if let Some((revoke, _)) = change.revoke {
                let mut key = revoke.registry.into_bytes();
                key.extend_from_slice(&revoke.leaf_index.to_be_bytes());
                pending = pending.unique("identity/revoked", key);
            }
        }
        Ok(pending)
    }

    fn after_commit(
        &self,
        _record: &Record,
        _index: u64,
        state: &AppState,
    ) -> ApiResult<Vec<Pending>> {
        identity(state)?.root_follow_ups(state)
    }

    fn routes(&self) -> OpenApiRouter<AppState> {
        OpenApiRouter::new()
            .routes(routes!(get_parcel))
            .routes(routes!(parcel_history))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// An active lien as served.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct LienView {
    /// Lien id: record id of its `lien.register` event, hex.
    pub id: String,
    /// Lienholder's Ed25519 key, hex.
    pub holder_key: String,
    /// Secured amount.
    pub amount: u64,
    /// Log index of its registration.
    pub index: u64,
}

/// A parcel's current title as served.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ParcelView {
    /// Parcel id.
    pub parcel: String,
    /// District code.
    pub district: u64,
    /// Area, m².
    pub area_m2: u64,
    /// Deed document digests, hex.
    pub documents: Vec<String>,
    /// The title registry holding the owner's credential.
    pub title_registry: String,
    /// Registrar's Ed25519 key, hex.
    pub registrar_key: String,
    /// Registrar's authority name.
    pub registrar: Option<String>,
    /// Current owner's Ed25519 key, hex.
    pub owner_key: String,
    /// Current owner's identity commitment (decimal).
    pub owner_commitment: String,
    /// Log index of the event that made them the owner.
    pub owner_since_index: u64,
    /// Its time, Unix ms.
    pub owner_since_ms: u64,
    /// Title version (0 after registration); the next event's terms use version + 1.
    pub version: u64,
    /// Record id of the latest event, hex (the next event's terms name it).
    pub head: String,
    /// Active liens.
    pub liens: Vec<LienView>,
    /// Log indices of every event, registration first.
    pub events: Vec<u64>,
    /// Leaf index of the owner's credential in the title registry (a transfer revokes it).
    pub owner_leaf: Option<u64>,
}

fn parcel_view(state: &AppState, book: &RegistryBook, p: &Parcel) -> ParcelView {
    let owner_leaf = p.credential_leaf().ok().and_then(|leaf| {
        let registry = book.get(&p.registration.title_registry)?;
        registry
            .leaves()
            .iter()
            .rposition(|l| *l == leaf)
            .map(|i| i as u64)
    });
    ParcelView {
        parcel: p.registration.parcel.clone(),
        district: p.registration.district,
        area_m2: p.registration.area_m2,
        documents: p.registration.documents.iter().map(hex::encode).collect(),
        title_registry: p.registration.title_registry.clone(),
        registrar_key: hex::encode(p.registrar.as_bytes()),
        registrar: state
            .authorities()
            .by_key(&p.registrar)
            .map(|a| a.name.clone()),
        owner_key: hex::encode(p.owner.as_bytes()),
        owner_commitment: fr_from_bytes("commitment", &p.owner_commitment)
            .map(|f| f.to_string())
            .unwrap_or_default(),
        owner_since_index: p.owner_since_index,
        owner_since_ms: p.owner_since_ms,
        version: p.version,
        head: hex::encode(p.head),
        liens: p
            .liens
            .iter()
            .map(|l| LienView {
                id: hex::encode(l.id),
                holder_key: hex::encode(l.holder.as_bytes()),
                amount: l.amount,
                index: l.index,
            })
            .collect(),
        events: p.events.clone(),
        owner_leaf,
    }
}

async fn with_parcel<T: Send + 'static>(
    state: &AppState,
    id: String,
    f: impl FnOnce(&AppState, &RegistryBook, &Parcel) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let state = state.clone();
    blocking_api(move || {
        identity(&state)?.with_registries(&state, |book| {
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
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<ParcelView>> {
    let view = with_parcel(&state, id, |state, book, p| Ok(parcel_view(state, book, p))).await?;
    Ok(Json(view))
}

#[utoipa::path(get, path = "/v1/land/parcels/{id}/history", tag = "land",
    params(("id" = String, Path, description = "Parcel id")),
    responses((status = 200, description = "Every event with inclusion proofs against one checkpoint", body = HistoryBundle),
        (status = 404, body = ErrorBody)))]
async fn parcel_history(
    State(state): State<AppState>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<HistoryBundle>> {
    let (parcel, indices) = with_parcel(&state, id, |_, _, p| {
        Ok((p.registration.parcel.clone(), p.events.clone()))
    })
    .await?;
    let store_state = state.clone();
    let leaves = blocking_api(move || {
        let mut leaves = Vec::with_capacity(indices.len());
        store_state
            .sequencer()
            .store()
            .with_reader(&mut |r| {
                leaves.clear();
                for &i in &indices {
                    leaves.extend(r.entries(i, i + 1)?);
                }
                Ok(())
            })
            .map_err(ApiError::internal)?;
        Ok(leaves)
    })
    .await?;
    let bundle = state.sequencer().with_tree(|tree, latest| {
        let events = leaves
            .iter()
            .map(|entry| {
                if entry.index >= latest.size {
                    return Err(ApiError::unavailable(
                        "the latest event is being checkpointed; retry in a moment",
                    ));
                }
                let proof = tree
                    .inclusion_proof(entry.index, latest.size)
                    .map_err(ApiError::internal)?;
                Ok(LogEntry::new(entry.index, &entry.leaf, &proof))
            })
            .collect::<ApiResult<Vec<_>>>()?;
        Ok::<_, ApiError>(HistoryBundle {
            format: HISTORY_FORMAT.to_owned(),
            origin: state.sequencer().origin().to_owned(),
            parcel,
            checkpoint: String::from_utf8_lossy(&latest.note).into_owned(),
            events,
        })
    })?;
    Ok(Json(bundle))
}
