//! `/v1/elections/…`: reading elections, the ceremony material trustees
//! need, the sums they decrypt, casting ballots, and the offline bundle.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zkaudit_ledger::election::{BALLOT, DOMAIN, Election, SPOILED};
use zkaudit_ledger::record::Record;
use zkaudit_verifier::Receipt;
use zkaudit_verifier::election::ElectionBundle;
use zkaudit_verifier::election::challenge::BallotChallenge;

use super::bundle::election_bundle;
use super::views::*;
use super::{ElectionDomain, tally};
use crate::clock::now_ms;
use crate::server::blocking::blocking_api;
use crate::server::error::{ApiError, ApiResult, AppJson, AppPath, ErrorBody, PathIndex};
use crate::server::limits::ClientAddress;
use crate::server::log_access::receipt_answer;
use crate::server::state::AppState;

/// The domain's routes; handlers reach the domain through an extension.
pub(super) fn routes(elections: Arc<ElectionDomain>) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_elections))
        .routes(routes!(get_election))
        .routes(routes!(ceremony))
        .routes(routes!(aggregate))
        .routes(routes!(cast_ballot))
        .routes(routes!(publish_spoiled_ballot))
        .routes(routes!(ballot_standing))
        .routes(routes!(proving_key))
        .routes(routes!(bundle))
        .layer(Extension(elections))
}

/// Runs `f` on the election book (and the registries), off the runtime.
pub(super) async fn with_election<T: Send + 'static>(
    state: &AppState,
    elections: &Arc<ElectionDomain>,
    f: impl FnOnce(&AppState, &ElectionDomain, &zkaudit_ledger::election::ElectionBook) -> ApiResult<T>
    + Send
    + 'static,
) -> ApiResult<T> {
    let (state, elections) = (state.clone(), elections.clone());
    blocking_api(move || elections.with_book(&state, |book| f(&state, &elections, book))).await
}

pub(super) fn find<'a>(
    book: &'a zkaudit_ledger::election::ElectionBook,
    id: &str,
) -> ApiResult<&'a Election> {
    book.get(id)
        .ok_or_else(|| ApiError::not_found(format!("no election {id:?}")))
}

/// The ballot shape id and the registry's attribute names, if known.
pub(super) fn registry_info(
    state: &AppState,
    elections: &ElectionDomain,
    election: &Election,
) -> (Option<String>, Vec<String>) {
    elections
        .identity()
        .with_book(state, |registries| {
            let names = registries
                .get(&election.spec.registry)
                .map(|r| r.spec.attributes.clone())
                .unwrap_or_default();
            let shape = ElectionDomain::shape_of_election(registries, election)
                .ok()
                .map(|s| s.id());
            Ok((shape, names))
        })
        .unwrap_or((None, Vec::new()))
}

/// Every election as served, in the book's order.
pub(super) fn all_views(
    state: &AppState,
    elections: &ElectionDomain,
    book: &zkaudit_ledger::election::ElectionBook,
) -> Vec<ElectionView> {
    book.elections()
        .map(|e| view(e, registry_info(state, elections, e)))
        .collect()
}

#[utoipa::path(get, path = "/v1/elections", tag = "elections",
    responses((status = 200, body = [ElectionView])))]
async fn list_elections(
    State(state): State<AppState>,
    Extension(elections): Extension<Arc<ElectionDomain>>,
) -> ApiResult<Json<Vec<ElectionView>>> {
    let views = with_election(&state, &elections, |state, domain, book| {
        Ok(all_views(state, domain, book))
    })
    .await?;
    Ok(Json(views))
}

#[utoipa::path(get, path = "/v1/elections/{id}", tag = "elections",
    params(("id" = String, Path, description = "Election id")),
    responses((status = 200, body = ElectionView), (status = 404, body = ErrorBody)))]
async fn get_election(
    State(state): State<AppState>,
    Extension(elections): Extension<Arc<ElectionDomain>>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<ElectionView>> {
    let view = with_election(&state, &elections, move |state, domain, book| {
        let e = find(book, &id)?;
        Ok(view(e, registry_info(state, domain, e)))
    })
    .await?;
    Ok(Json(view))
}

#[utoipa::path(get, path = "/v1/elections/{id}/ceremony", tag = "elections",
    params(("id" = String, Path, description = "Election id")),
    responses((status = 200, body = CeremonyView), (status = 404, body = ErrorBody)))]
async fn ceremony(
    State(state): State<AppState>,
    Extension(elections): Extension<Arc<ElectionDomain>>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<CeremonyView>> {
    let view = with_election(&state, &elections, move |_, _, book| {
        let e = find(book, &id)?;
        Ok(CeremonyView {
            dealings: e
                .dealings
                .iter()
                .map(|(i, d)| (*i, hex::encode(d.to_bytes())))
                .collect(),
            complaints: e
                .complaints
                .iter()
                .map(|c| hex::encode(c.to_bytes()))
                .collect(),
        })
    })
    .await?;
    Ok(Json(view))
}

#[utoipa::path(get, path = "/v1/elections/{id}/aggregate", tag = "elections",
    params(("id" = String, Path, description = "Election id")),
    responses((status = 200, body = AggregateView), (status = 404, body = ErrorBody)))]
async fn aggregate(
    State(state): State<AppState>,
    Extension(elections): Extension<Arc<ElectionDomain>>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<AggregateView>> {
    let view = with_election(&state, &elections, move |_, _, book| {
        let e = find(book, &id)?;
        Ok(AggregateView {
            ballots: e.counted_len() as u64,
            sums: tally::aggregate(e)
                .iter()
                .map(|c| hex::encode(c.to_bytes()))
                .collect(),
            phase: e.phase.name().to_owned(),
        })
    })
    .await?;
    Ok(Json(view))
}

#[utoipa::path(post, path = "/v1/elections/{id}/ballots", tag = "elections", request_body = BallotBody,
    params(("id" = String, Path, description = "Election id")),
    responses(
        (status = 201, description = "Ballot verified and logged", body = Receipt),
        (status = 200, description = "This exact ballot was logged before: its receipt", body = Receipt),
        (status = 400, description = "Malformed ballot, point or proof encoding", body = ErrorBody),
        (status = 404, description = "Unknown election", body = ErrorBody),
        (status = 409, description = "Already voted, or the election is not open", body = ErrorBody),
        (status = 422, description = "Invalid proof, stale root or wrong key", body = ErrorBody),
    ))]
async fn cast_ballot(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    AppPath(id): AppPath<String>,
    AppJson(body): AppJson<BallotBody>,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    let payload = BASE64
        .decode(&body.ballot)
        .map_err(|_| ApiError::bad_request("malformed_ballot", "ballot is not base64"))?;
    log_for_election(&state, client, &id, BALLOT, payload).await
}

/// Logs an unsigned record of election `id` the log stamps itself (a
/// ballot, a spoiled ballot; its domain admits it), and answers with its
/// receipt. Only the election id is read here: the payload is decoded,
/// strictly, once, when it is admitted.
async fn log_for_election(
    state: &AppState,
    client: Option<std::net::IpAddr>,
    id: &str,
    kind: &str,
    payload: Vec<u8>,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    let record = Record::unsigned(state.origin(), DOMAIN, kind, now_ms(), payload)
        .map_err(|e| ApiError::bad_request("malformed_ballot", e.to_string()))?;
    let named = zkaudit_ledger::election::election_of(&record)
        .ok_or_else(|| ApiError::bad_request("malformed_ballot", "no election id"))?;
    if named != id {
        return Err(ApiError::unprocessable(
            "wrong_election",
            format!("the payload is for election {named:?}"),
        ));
    }
    let accepted = state.submit(&record, client).await?;
    receipt_answer(state, &record, accepted)
}

#[utoipa::path(get, path = "/v1/elections/{id}/ballots/{index}", tag = "elections",
    params(("id" = String, Path, description = "Election id"), ("index" = u64, Path, description = "The ballot's log index (from its receipt)")),
    responses(
        (status = 200, description = "Whether the ballot counts or was superseded, and once sealed its membership proof in the seal", body = BallotStandingView),
        (status = 404, description = "No such election, or no ballot of it at this index", body = ErrorBody),
    ))]
async fn ballot_standing(
    State(state): State<AppState>,
    Extension(elections): Extension<Arc<ElectionDomain>>,
    AppPath((id, index)): AppPath<(String, PathIndex)>,
) -> ApiResult<Json<BallotStandingView>> {
    let PathIndex(index) = index;
    let view = with_election(&state, &elections, move |_, _, book| {
        let e = find(book, &id)?;
        let position = e
            .ballots
            .binary_search_by_key(&index, |b| b.index)
            .map_err(|_| {
                ApiError::not_found(format!("no ballot of election {id:?} at index {index}"))
            })?;
        let cast = &e.ballots[position];
        let superseded_by = match e.standing(index, &cast.record_id) {
            zkaudit_ledger::election::BallotStanding::Superseded { by } => Some(by),
            _ => None,
        };
        let seal = match (&e.seal, e.sealed_ballots_tree()) {
            (Some(seal), Some(tree)) => {
                let proof = tree
                    .inclusion_proof(position as u64, seal.cast)
                    .map_err(ApiError::internal)?;
                Some(SealMembershipView {
                    position: position as u64,
                    cast: seal.cast,
                    ballots_root: hex::encode(seal.ballots_root),
                    proof: proof.iter().map(hex::encode).collect(),
                })
            }
            _ => None,
        };
        Ok(BallotStandingView {
            index,
            record_id: hex::encode(cast.record_id),
            standing: if superseded_by.is_some() {
                "superseded"
            } else {
                "counts"
            }
            .to_owned(),
            superseded_by,
            seal,
        })
    })
    .await?;
    Ok(Json(view))
}

#[utoipa::path(post, path = "/v1/elections/{id}/spoiled", tag = "elections", request_body = BallotChallenge,
    params(("id" = String, Path, description = "Election id")),
    responses(
        (status = 201, description = "The opened ballot was checked against the election key and logged (never counted; its ciphertexts can never be cast)", body = Receipt),
        (status = 200, description = "This exact opened ballot was logged before: its receipt", body = Receipt),
        (status = 400, description = "Malformed opened ballot", body = ErrorBody),
        (status = 404, description = "Unknown election", body = ErrorBody),
        (status = 409, description = "These ciphertexts were already cast or spoiled, or the election is not open", body = ErrorBody),
        (status = 422, description = "The ciphertexts do not encrypt the revealed choices under the election key", body = ErrorBody),
    ))]
async fn publish_spoiled_ballot(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    AppPath(id): AppPath<String>,
    AppJson(body): AppJson<BallotChallenge>,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    let spoiled = body
        .to_spoiled()
        .map_err(|e| ApiError::bad_request("malformed_ballot", e.to_string()))?;
    log_for_election(&state, client, &id, SPOILED, spoiled.encode()).await
}

#[utoipa::path(get, path = "/v1/elections/{id}/proving-key", tag = "elections",
    params(("id" = String, Path, description = "Election id")),
    responses((status = 200, description = "The ballot circuit's proving key (arkworks uncompressed); check its verifying key against the logged digest", content_type = "application/octet-stream"),
        (status = 404, body = ErrorBody)))]
async fn proving_key(
    State(state): State<AppState>,
    Extension(elections): Extension<Arc<ElectionDomain>>,
    AppPath(id): AppPath<String>,
) -> ApiResult<impl IntoResponse> {
    let bytes = with_election(&state, &elections, move |state, domain, book| {
        let e = find(book, &id)?;
        let identity = domain.identity();
        let shape = identity.with_book(state, |r| ElectionDomain::shape_of_election(r, e))?;
        let path = domain.keys().proving_key_path(shape)?;
        std::fs::read(path).map_err(ApiError::internal)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes))
}

#[utoipa::path(get, path = "/v1/elections/{id}/bundle", tag = "elections",
    params(("id" = String, Path, description = "Election id")),
    responses((status = 200, body = ElectionBundle, description = "Every record of the election and what its proofs need, with inclusion proofs; check with `zkaudit verify`"),
        (status = 404, body = ErrorBody)))]
async fn bundle(
    State(state): State<AppState>,
    Extension(elections): Extension<Arc<ElectionDomain>>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<ElectionBundle>> {
    let bundle = with_election(&state, &elections, move |state, domain, book| {
        election_bundle(state, domain, find(book, &id)?)
    })
    .await?;
    Ok(Json(bundle))
}
