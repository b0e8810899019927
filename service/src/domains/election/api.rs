//! `/v1/elections/…`: reading elections, the ceremony material trustees
//! need, the sums they decrypt, casting ballots, and the offline bundle.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zkaudit_circuits::elgamal::encode_point;
use zkaudit_ledger::election::{BALLOT, DOMAIN, Election};
use zkaudit_ledger::record::Record;
use zkaudit_verifier::Receipt;
use zkaudit_verifier::election::{ELECTION_BUNDLE_FORMAT, ElectionBundle};

use super::{ElectionDomain, tally};
use crate::server::log_access::build_evidence;
use crate::clock::now_ms;
use crate::domains::identity::IdentityDomain;
use crate::server::error::{ApiError, ApiResult, AppJson, AppPath, ErrorBody};
use crate::server::blocking::blocking_api;
use crate::server::state::AppState;

/// An election as served.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ElectionView {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Option labels.
    pub options: Vec<String>,
    /// Fewest options a ballot must mark.
    pub min_choices: u8,
    /// Most options a ballot may mark.
    pub max_choices: u8,
    /// The registry of eligible voters.
    pub registry: String,
    /// The eligibility rule, one predicate per registry attribute.
    pub predicates: Vec<crate::domains::identity::claims::PredicateView>,
    /// Trustees, index order (index = position + 1).
    pub trustees: Vec<TrusteeView>,
    /// Trustees needed to decrypt.
    pub threshold: u32,
    /// Phase: setup, key-ceremony, open, closed, tallied.
    pub phase: String,
    /// Voting window (Unix ms).
    pub opens_at_ms: u64,
    /// Voting window end (Unix ms).
    pub closes_at_ms: u64,
    /// The joint election key (hex, 64 bytes), once voting is open.
    pub joint_key: Option<String>,
    /// Qualified dealers, once voting is open.
    pub qualified: Vec<u32>,
    /// The ballot circuit's shape id.
    pub ballot_shape: Option<String>,
    /// Ballots counted so far.
    pub ballots: u64,
    /// Trustees who have published partial decryptions.
    pub decrypted_by: Vec<u32>,
    /// The tally, once logged.
    pub tally: Option<TallyView>,
    /// Log index of `election.create`.
    pub created_at: u64,
}

/// A trustee as served.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct TrusteeView {
    /// 1-based index.
    pub index: u32,
    /// Name.
    pub name: String,
    /// Ed25519 key, hex.
    pub signing_key: String,
    /// BabyJubJub key, hex (64 bytes).
    pub encryption_key: String,
}

/// A tally as served.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct TallyView {
    /// Ballots counted.
    pub ballots: u64,
    /// Votes per option.
    pub counts: Vec<u64>,
    /// Trustees whose decryptions were combined.
    pub used: Vec<u32>,
    /// Trustees whose decryptions did not verify.
    pub rejected: Vec<u32>,
}

fn view(election: &Election, (shape, attributes): (Option<String>, Vec<String>)) -> ElectionView {
    let spec = &election.spec;
    ElectionView {
        id: spec.id.clone(),
        title: spec.title.clone(),
        options: spec.options.clone(),
        min_choices: spec.min_choices,
        max_choices: spec.max_choices,
        registry: spec.registry.clone(),
        predicates: crate::domains::identity::claims::predicate_views(
            &spec.predicates,
            &attributes,
        ),
        trustees: (1..)
            .zip(&spec.trustees)
            .map(|(index, t)| TrusteeView {
                index,
                name: t.name.clone(),
                signing_key: hex::encode(t.signing_key.as_bytes()),
                encryption_key: hex::encode(encode_point(&t.encryption_key)),
            })
            .collect(),
        threshold: spec.threshold,
        phase: election.phase.name().to_owned(),
        opens_at_ms: spec.opens_at_ms,
        closes_at_ms: spec.closes_at_ms,
        joint_key: election
            .key
            .as_ref()
            .map(|k| hex::encode(encode_point(&k.joint_key))),
        qualified: election
            .key
            .as_ref()
            .map(|k| k.qualified.clone())
            .unwrap_or_default(),
        ballot_shape: shape,
        ballots: election.ballots.len() as u64,
        decrypted_by: election.decryptions.keys().copied().collect(),
        tally: election.tally.as_ref().map(|t| TallyView {
            ballots: t.ballots,
            counts: t.counts.clone(),
            used: t.used.clone(),
            rejected: t.rejected.clone(),
        }),
        created_at: election.created_at,
    }
}

/// Runs `f` on the election book (and the registries), off the runtime.
async fn with_election<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&AppState, &ElectionDomain, &zkaudit_ledger::election::ElectionBook) -> ApiResult<T>
    + Send
    + 'static,
) -> ApiResult<T> {
    let state = state.clone();
    blocking_api(move || {
        let domain = state
            .domain::<ElectionDomain>()
            .ok_or_else(|| ApiError::internal("election domain not served"))?;
        domain.with_book(&state, |book| f(&state, domain, book))
    })
    .await
}

fn find<'a>(book: &'a zkaudit_ledger::election::ElectionBook, id: &str) -> ApiResult<&'a Election> {
    book.get(id)
        .ok_or_else(|| ApiError::not_found(format!("no election {id:?}")))
}

/// The ballot shape id and the registry's attribute names, if known.
fn registry_info(state: &AppState, election: &Election) -> (Option<String>, Vec<String>) {
    let Some(identity) = state.domain::<IdentityDomain>() else {
        return (None, Vec::new());
    };
    identity
        .with_book(state, |registries| {
            let names = registries
                .get(&election.spec.registry)
                .map(|r| r.spec.attributes.clone())
                .unwrap_or_default();
            let shape = ElectionDomain::shape_of(registries, &election.spec)
                .ok()
                .map(|s| s.id());
            Ok((shape, names))
        })
        .unwrap_or((None, Vec::new()))
}

#[utoipa::path(get, path = "/v1/elections", tag = "elections",
    responses((status = 200, body = [ElectionView])))]
pub(super) async fn list_elections(
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<ElectionView>>> {
    let views = with_election(&state, |state, _, book| {
        Ok(book
            .elections()
            .map(|e| view(e, registry_info(state, e)))
            .collect())
    })
    .await?;
    Ok(Json(views))
}

#[utoipa::path(get, path = "/v1/elections/{id}", tag = "elections",
    params(("id" = String, Path, description = "Election id")),
    responses((status = 200, body = ElectionView), (status = 404, body = ErrorBody)))]
pub(super) async fn get_election(
    State(state): State<AppState>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<ElectionView>> {
    let view = with_election(&state, move |state, _, book| {
        let e = find(book, &id)?;
        Ok(view(e, registry_info(state, e)))
    })
    .await?;
    Ok(Json(view))
}

/// The key ceremony's public material.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct CeremonyView {
    /// Dealings (canonical bytes, hex), by dealer index.
    pub dealings: Vec<(u32, String)>,
    /// Complaints (canonical bytes, hex), in log order.
    pub complaints: Vec<String>,
}

#[utoipa::path(get, path = "/v1/elections/{id}/ceremony", tag = "elections",
    params(("id" = String, Path, description = "Election id")),
    responses((status = 200, body = CeremonyView), (status = 404, body = ErrorBody)))]
pub(super) async fn ceremony(
    State(state): State<AppState>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<CeremonyView>> {
    let view = with_election(&state, move |_, _, book| {
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

/// The per-option sums trustees decrypt.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct AggregateView {
    /// Ballots counted.
    pub ballots: u64,
    /// One ciphertext per option (128 bytes, hex).
    pub sums: Vec<String>,
    /// The phase (sums are final once closed).
    pub phase: String,
}

#[utoipa::path(get, path = "/v1/elections/{id}/aggregate", tag = "elections",
    params(("id" = String, Path, description = "Election id")),
    responses((status = 200, body = AggregateView), (status = 404, body = ErrorBody)))]
pub(super) async fn aggregate(
    State(state): State<AppState>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<AggregateView>> {
    let view = with_election(&state, move |_, _, book| {
        let e = find(book, &id)?;
        Ok(AggregateView {
            ballots: e.ballots.len() as u64,
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

/// Body of `POST /v1/elections/{id}/ballots`.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BallotBody {
    /// The `election/ballot` payload (canonical encoding), base64.
    pub ballot: String,
}

#[utoipa::path(post, path = "/v1/elections/{id}/ballots", tag = "elections", request_body = BallotBody,
    params(("id" = String, Path, description = "Election id")),
    responses(
        (status = 201, description = "Ballot verified and logged", body = Receipt),
        (status = 400, description = "Malformed ballot, point or proof encoding", body = ErrorBody),
        (status = 404, description = "Unknown election", body = ErrorBody),
        (status = 409, description = "Already voted, or the election is not open", body = ErrorBody),
        (status = 422, description = "Invalid proof, stale root or wrong key", body = ErrorBody),
    ))]
pub(super) async fn cast_ballot(
    State(state): State<AppState>,
    AppPath(id): AppPath<String>,
    AppJson(body): AppJson<BallotBody>,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    let payload = BASE64
        .decode(&body.ballot)
        .map_err(|_| ApiError::bad_request("malformed_ballot", "ballot is not base64"))?;
    let ballot = zkaudit_ledger::election::Ballot::decode(&payload)
        .map_err(|e| ApiError::bad_request("malformed_ballot", e.to_string()))?;
    if ballot.election != id {
        return Err(ApiError::unprocessable(
            "wrong_election",
            format!("the ballot is for election {:?}", ballot.election),
        ));
    }
    let record = Record::unsigned(DOMAIN, BALLOT, now_ms(), payload)
        .map_err(|e| ApiError::bad_request("malformed_ballot", e.to_string()))?;
    let accepted = state.submit(&record).await?;
    let receipt = crate::server::log_access::receipt(&state, &record, accepted)?;
    Ok((StatusCode::CREATED, Json(receipt)))
}

#[utoipa::path(get, path = "/v1/elections/{id}/proving-key", tag = "elections",
    params(("id" = String, Path, description = "Election id")),
    responses((status = 200, description = "The ballot circuit's proving key (arkworks uncompressed); check its verifying key against the logged digest", content_type = "application/octet-stream"),
        (status = 404, body = ErrorBody)))]
pub(super) async fn proving_key(
    State(state): State<AppState>,
    AppPath(id): AppPath<String>,
) -> ApiResult<impl IntoResponse> {
    let bytes = with_election(&state, move |state, domain, book| {
        let e = find(book, &id)?;
        let identity = state
            .domain::<IdentityDomain>()
            .ok_or_else(|| ApiError::internal("identity domain not served"))?;
        let shape = identity.with_book(state, |r| ElectionDomain::shape_of(r, &e.spec))?;
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
pub(super) async fn bundle(
    State(state): State<AppState>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<ElectionBundle>> {
    let bundle = with_election(&state, move |state, _, book| {
        let e = find(book, &id)?;
        let identity = state
            .domain::<IdentityDomain>()
            .ok_or_else(|| ApiError::internal("identity domain not served"))?;
        let mut indices = e.records.clone();
        identity.with_book(state, |registries| {
            let registry = registries.get(&e.spec.registry).ok_or_else(|| {
                ApiError::internal("the election's registry is not in the registry book")
            })?;
            indices.push(registry.created_at);
            let shape = ElectionDomain::shape_of(registries, &e.spec)?;
            if let Some((_, index)) = registries.circuit_key(&shape.id()) {
                indices.push(*index);
            }
            for counted in &e.ballots {
                if let Some(index) = registry.root_record(&counted.ballot.root) {
                    indices.push(index);
                }
            }
            Ok(())
        })?;
        indices.push(crate::domains::identity::claims::authority_set_before(
            state,
            e.created_at,
        )?);
        Ok(ElectionBundle {
            format: ELECTION_BUNDLE_FORMAT.to_owned(),
            election: e.spec.id.clone(),
            evidence: build_evidence(state, indices)?,
        })
    })
    .await?;
    Ok(Json(bundle))
}
