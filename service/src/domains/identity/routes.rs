//! The identity domain's routes: registries, members, scopes, keys and claims.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zkaudit_circuits::Fr;
use zkaudit_ledger::identity::{CLAIM, Claim, DOMAIN, Registry, RegistryBook};
use zkaudit_ledger::record::Record;
use zkaudit_verifier::Receipt;
use zkaudit_verifier::claim::{CLAIM_BUNDLE_FORMAT, ClaimBundle, ClaimIndices};

use super::IdentityDomain;
use super::claims::scope_and_shape;
use super::views::*;
use crate::clock::now_ms;
use crate::server::blocking::blocking_api;
use crate::server::error::{ApiError, ApiResult, AppJson, AppPath, AppQuery, ErrorBody, PathIndex};
use crate::server::limits::ClientAddress;
use crate::server::log_access::{authority_set_before, build_evidence, load_entry, receipt_answer};
use crate::server::state::AppState;

/// The domain's routes; handlers reach the domain through an extension.
pub(super) fn routes(identity: Arc<IdentityDomain>) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_registries))
        .routes(routes!(get_registry))
        .routes(routes!(registry_members))
        .routes(routes!(member_path))
        .routes(routes!(submit_claim))
        .routes(routes!(claim_bundle))
        .routes(routes!(list_scopes))
        .routes(routes!(get_scope))
        .routes(routes!(get_key))
        .routes(routes!(get_proving_key))
        .layer(Extension(identity))
}

/// `?start=&limit=`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// First leaf index (default 0).
    pub start: Option<u64>,
    /// Most leaves to return (default and maximum 100,000).
    pub limit: Option<u64>,
}

const MAX_PAGE: u64 = 100_000;

pub(super) async fn book<T: Send + 'static>(
    state: &AppState,
    identity: &Arc<IdentityDomain>,
    f: impl FnOnce(&AppState, &RegistryBook) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let (state, identity) = (state.clone(), identity.clone());
    blocking_api(move || identity.with_book(&state, |book| f(&state, book))).await
}

fn registry<'a>(book: &'a RegistryBook, id: &str) -> ApiResult<&'a Registry> {
    book.get(id)
        .ok_or_else(|| ApiError::not_found(format!("no registry {id:?}")))
}

#[utoipa::path(get, path = "/v1/identity/registries", tag = "identity",
    responses((status = 200, body = [RegistryView])))]
async fn list_registries(
    State(state): State<AppState>,
    Extension(identity): Extension<Arc<IdentityDomain>>,
) -> ApiResult<Json<Vec<RegistryView>>> {
    let views = book(&state, &identity, |state, book| {
        Ok(book.registries().map(|r| registry_view(state, r)).collect())
    })
    .await?;
    Ok(Json(views))
}

#[utoipa::path(get, path = "/v1/identity/registries/{id}", tag = "identity",
    params(("id" = String, Path, description = "Registry id")),
    responses((status = 200, body = RegistryView), (status = 404, body = ErrorBody)))]
async fn get_registry(
    State(state): State<AppState>,
    Extension(identity): Extension<Arc<IdentityDomain>>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<RegistryView>> {
    let view = book(&state, &identity, move |state, book| {
        Ok(registry_view(state, registry(book, &id)?))
    })
    .await?;
    Ok(Json(view))
}

#[utoipa::path(get, path = "/v1/identity/registries/{id}/members", tag = "identity",
    params(("id" = String, Path, description = "Registry id"), PageQuery),
    responses((status = 200, body = MembersPage), (status = 404, body = ErrorBody)))]
async fn registry_members(
    State(state): State<AppState>,
    Extension(identity): Extension<Arc<IdentityDomain>>,
    AppPath(id): AppPath<String>,
    AppQuery(q): AppQuery<PageQuery>,
) -> ApiResult<Json<MembersPage>> {
    let page = book(&state, &identity, move |_, book| {
        let r = registry(book, &id)?;
        let start = q.start.unwrap_or(0).min(r.size());
        let limit = q.limit.unwrap_or(MAX_PAGE).min(MAX_PAGE);
        let end = start.saturating_add(limit).min(r.size());
        Ok(MembersPage {
            start,
            leaves: r.leaves()[start as usize..end as usize]
                .iter()
                .map(Fr::to_string)
                .collect(),
            size: r.size(),
            version: r.version(),
        })
    })
    .await?;
    Ok(Json(page))
}

#[utoipa::path(get, path = "/v1/identity/registries/{id}/members/{index}/path", tag = "identity",
    params(("id" = String, Path, description = "Registry id"), ("index" = u64, Path, description = "Leaf index")),
    responses((status = 200, body = MemberPath), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn member_path(
    State(state): State<AppState>,
    Extension(identity): Extension<Arc<IdentityDomain>>,
    AppPath((id, index)): AppPath<(String, PathIndex)>,
) -> ApiResult<Json<MemberPath>> {
    let PathIndex(index) = index;
    let path = book(&state, &identity, move |_, book| {
        let r = registry(book, &id)?;
        if !r.root_is_logged() {
            return Err(ApiError::conflict(
                "root_not_logged",
                "the registry's newest root is being logged; retry in a moment",
            ));
        }
        let proof = r
            .proof(index)
            .map_err(|e| ApiError::not_found(e.to_string()))?;
        Ok(MemberPath {
            index,
            leaf: proof.leaf.to_string(),
            root: proof.root.to_string(),
            version: r.version(),
            siblings: proof.siblings.iter().map(Fr::to_string).collect(),
        })
    })
    .await?;
    Ok(Json(path))
}

#[utoipa::path(post, path = "/v1/identity/claims", tag = "identity", request_body = ClaimBody,
    responses(
        (status = 201, description = "Claim verified and logged", body = Receipt),
        (status = 200, description = "This exact claim was logged before: its receipt", body = Receipt),
        (status = 400, description = "Malformed claim or proof encoding", body = ErrorBody),
        (status = 404, description = "Unknown scope", body = ErrorBody),
        (status = 409, description = "This identity already claimed in this scope", body = ErrorBody),
        (status = 422, description = "Invalid proof, stale root or wrong key", body = ErrorBody),
    ))]
async fn submit_claim(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    Extension(identity): Extension<Arc<IdentityDomain>>,
    AppJson(body): AppJson<ClaimBody>,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    let scope = body.scope.clone();
    let keys = identity.clone();
    let digest = book(&state, &identity, move |_, book| {
        let (_, shape) = scope_and_shape(book, &scope)?;
        Ok(keys.keys.logged(book, shape)?.digest())
    })
    .await?;
    let claim = body.to_claim(digest)?;
    let record = Record::unsigned(state.origin(), DOMAIN, CLAIM, now_ms(), claim.encode())
        .map_err(|e| ApiError::bad_request("malformed_claim", e.to_string()))?;
    let accepted = state.submit(&record, client).await?;
    receipt_answer(&state, &record, accepted)
}

#[utoipa::path(get, path = "/v1/identity/scopes", tag = "identity",
    responses((status = 200, body = [ScopeView])))]
async fn list_scopes(
    State(state): State<AppState>,
    Extension(identity): Extension<Arc<IdentityDomain>>,
) -> ApiResult<Json<Vec<ScopeView>>> {
    let views = book(&state, &identity, |_, book| {
        book.scopes().map(|s| scope_view(book, s)).collect()
    })
    .await?;
    Ok(Json(views))
}

#[utoipa::path(get, path = "/v1/identity/scopes/{id}", tag = "identity",
    params(("id" = String, Path, description = "Scope id")),
    responses((status = 200, body = ScopeView), (status = 404, body = ErrorBody)))]
async fn get_scope(
    State(state): State<AppState>,
    Extension(identity): Extension<Arc<IdentityDomain>>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<ScopeView>> {
    let view = book(&state, &identity, move |_, book| {
        let scope = book
            .scope(&id)
            .ok_or_else(|| ApiError::not_found(format!("no scope {id:?}")))?;
        scope_view(book, scope)
    })
    .await?;
    Ok(Json(view))
}

#[utoipa::path(get, path = "/v1/identity/keys/{shape}", tag = "identity",
    params(("shape" = String, Path, description = "Circuit shape id, e.g. eligibility-d20-a3")),
    responses((status = 200, body = KeyView), (status = 404, body = ErrorBody)))]
async fn get_key(
    State(state): State<AppState>,
    Extension(identity): Extension<Arc<IdentityDomain>>,
    AppPath(shape): AppPath<String>,
) -> ApiResult<Json<KeyView>> {
    let keys = identity.clone();
    let view = book(&state, &identity, move |_, book| {
        let (key, index) = book.circuit_key(&shape).ok_or_else(|| {
            let ceremony = keys.keys().is_reserved(&shape).unwrap_or(false);
            let yet = if ceremony {
                " yet: a ceremony is making it"
            } else {
                ""
            };
            ApiError::not_found(format!("no key is logged for {shape:?}{yet}"))
        })?;
        Ok(KeyView::of(key, *index))
    })
    .await?;
    Ok(Json(view))
}

#[utoipa::path(get, path = "/v1/identity/keys/{shape}/proving-key", tag = "identity",
    params(("shape" = String, Path, description = "Circuit shape id")),
    responses((status = 200, description = "The proving key (arkworks uncompressed); check its verifying key against the logged digest", content_type = "application/octet-stream"),
        (status = 404, body = ErrorBody)))]
async fn get_proving_key(
    State(state): State<AppState>,
    Extension(identity): Extension<Arc<IdentityDomain>>,
    AppPath(shape): AppPath<String>,
) -> ApiResult<impl IntoResponse> {
    let keys = identity.clone();
    let bytes = book(&state, &identity, move |_, book| {
        let registry = book
            .registries()
            .find(|r| book.shape_of(r).is_ok_and(|s| s.id() == shape))
            .ok_or_else(|| ApiError::not_found(format!("no registry uses shape {shape:?}")))?;
        let shape = book.shape_of(registry).map_err(ApiError::from)?;
        let path = keys.keys.proving_key_path(shape)?;
        std::fs::read(path).map_err(ApiError::internal)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes))
}

#[utoipa::path(get, path = "/v1/identity/claims/{index}/bundle", tag = "identity",
    params(("index" = u64, Path, description = "Log index of the claim")),
    responses((status = 200, body = ClaimBundle, description = "The claim and its statement's records with inclusion proofs; check with `zkaudit verify`"),
        (status = 404, body = ErrorBody)))]
async fn claim_bundle(
    State(state): State<AppState>,
    Extension(identity): Extension<Arc<IdentityDomain>>,
    AppPath(index): AppPath<PathIndex>,
) -> ApiResult<Json<ClaimBundle>> {
    let PathIndex(index) = index;
    let entry = load_entry(&state, index).await?;
    let record = Record::decode(&entry.leaf).map_err(ApiError::internal)?;
    if record.domain() != DOMAIN || record.kind() != CLAIM {
        return Err(ApiError::not_found(format!("entry {index} is not a claim")));
    }
    let claim = Claim::decode(record.payload()).map_err(ApiError::internal)?;
    let bundle = book(&state, &identity, move |state, book| {
        let missing = |what: &str| {
            ApiError::internal(format!("the claim's {what} is not in the registry book"))
        };
        let (scope, shape) = scope_and_shape(book, &claim.scope)?;
        let registry = book
            .get(&scope.registry)
            .ok_or_else(|| missing("registry"))?;
        let indices = ClaimIndices {
            claim: index,
            scope: book
                .scope_index(&scope.id)
                .ok_or_else(|| missing("scope"))?,
            registry: registry.created_at,
            root: registry
                .root_record(&claim.root)
                .ok_or_else(|| missing("root"))?,
            circuit_key: book
                .circuit_key(&shape.id())
                .ok_or_else(|| missing("key"))?
                .1,
            authority_set: authority_set_before(
                state,
                registry
                    .created_at
                    .min(book.scope_index(&scope.id).unwrap_or(0)),
            )?,
        };
        let evidence = build_evidence(
            state,
            vec![
                indices.claim,
                indices.scope,
                indices.registry,
                indices.root,
                indices.circuit_key,
                indices.authority_set,
            ],
        )?;
        Ok(ClaimBundle {
            format: CLAIM_BUNDLE_FORMAT.to_owned(),
            indices,
            evidence,
        })
    })
    .await?;
    Ok(Json(bundle))
}
