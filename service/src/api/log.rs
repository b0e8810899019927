//! `/v1/log/…`: JSON conveniences over the log, and the generic append route.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zkaudit_ledger::merkle::SubtreeHashes;
use zkaudit_ledger::record::{Author, Record};
use zkaudit_ledger::store::StoredCheckpoint;
use zkaudit_verifier::{LogEvidence, Receipt};

use crate::server::blocking::{blocking, blocking_api};
use crate::server::error::{ApiError, ApiResult, AppJson, AppPath, AppQuery, ErrorBody, PathIndex};
use crate::server::limits::ClientAddress;
use crate::server::log_access::{build_evidence, decode_record, load_entry, receipt_answer};
use crate::server::state::AppState;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(log_info))
        .routes(routes!(latest_checkpoint))
        .routes(routes!(append_entry))
        .routes(routes!(get_entry))
        .routes(routes!(inclusion_by_index))
        .routes(routes!(inclusion_by_hash))
        .routes(routes!(consistency))
        .routes(routes!(authorities))
        .routes(routes!(evidence))
}

/// The log's identity and size.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct LogInfo {
    /// Checkpoint origin line.
    pub origin: String,
    /// Size of the latest checkpoint.
    pub size: u64,
    /// Root of the latest checkpoint, hex.
    pub root: String,
    /// The log's signed-note verifier key.
    pub verifier_key: String,
    /// Verifier keys of the witnesses asked to cosign.
    pub witnesses: Vec<String>,
}

/// A signed checkpoint.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct CheckpointView {
    /// Tree size.
    pub size: u64,
    /// Root hash, hex.
    pub root: String,
    /// The checkpoint as a signed note (with cosignatures gathered so far).
    pub note: String,
}

impl From<StoredCheckpoint> for CheckpointView {
    fn from(c: StoredCheckpoint) -> Self {
        Self {
            size: c.size,
            root: hex::encode(c.root),
            note: String::from_utf8_lossy(&c.note).into_owned(),
        }
    }
}

/// A logged entry, decoded.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct EntryView {
    /// Index in the log.
    pub index: u64,
    /// SHA3-256 record id, hex.
    pub record_id: String,
    /// RFC 6962 leaf hash, hex.
    pub leaf_hash: String,
    /// The leaf (canonical record), base64.
    pub record: String,
    /// Record domain.
    pub domain: String,
    /// Record kind.
    pub kind: String,
    /// Author's Ed25519 public key, hex (absent for citizen writes).
    pub author_key: Option<String>,
    /// Name of the authority holding that key in the current set.
    pub authority: Option<String>,
    /// Author's claimed time, Unix milliseconds.
    pub timestamp_ms: u64,
    /// Payload, base64.
    pub payload: String,
    /// Tagged SHA3-256 payload digest, hex.
    pub payload_digest: String,
}

/// An inclusion proof.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct InclusionView {
    /// Entry index.
    pub index: u64,
    /// Tree size the proof is for.
    pub size: u64,
    /// Leaf hash, hex.
    pub leaf_hash: String,
    /// Audit path, hex hashes.
    pub proof: Vec<String>,
    /// The signed checkpoint of that size, when one exists.
    pub checkpoint: Option<String>,
}

/// A consistency proof.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ConsistencyView {
    /// Older size.
    pub from: u64,
    /// Newer size.
    pub to: u64,
    /// Proof, hex hashes.
    pub proof: Vec<String>,
}

/// Body of `POST /v1/log/entries`.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppendBody {
    /// The canonical record, base64.
    pub record: String,
}

/// `?size=` parameter.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SizeQuery {
    /// Tree size; the latest checkpoint's when absent.
    pub size: Option<u64>,
}

/// `?leaf_hash=&size=` parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeafHashQuery {
    /// Leaf hash, hex.
    pub leaf_hash: String,
    /// Tree size; the latest checkpoint's when absent.
    pub size: Option<u64>,
}

/// `?from=&to=` parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// Older size.
    pub from: u64,
    /// Newer size; the latest checkpoint's when absent.
    pub to: Option<u64>,
}

/// One authority.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct AuthorityView {
    /// Name.
    pub name: String,
    /// Ed25519 public key, hex.
    pub public_key: String,
    /// Kinds it may write.
    pub kinds: Vec<String>,
}

#[utoipa::path(get, path = "/v1/log", tag = "log",
    responses((status = 200, description = "Origin, size and keys of the log", body = LogInfo)))]
async fn log_info(State(state): State<AppState>) -> Json<LogInfo> {
    let seq = state.sequencer();
    let cp = seq.latest_checkpoint();
    Json(LogInfo {
        origin: seq.origin().to_owned(),
        size: cp.size,
        root: hex::encode(cp.root),
        verifier_key: seq.verifier_key(),
        witnesses: state.witness_keys().to_vec(),
    })
}

#[utoipa::path(get, path = "/v1/log/checkpoint", tag = "log",
    responses((status = 200, description = "The latest signed checkpoint", body = CheckpointView)))]
async fn latest_checkpoint(State(state): State<AppState>) -> ApiResult<Json<CheckpointView>> {
    let size = state.sequencer().latest_checkpoint().size;
    let stored = blocking(move || state.sequencer().store().checkpoint(size)).await?;
    let cp = stored.ok_or_else(|| ApiError::internal("latest checkpoint missing from store"))?;
    Ok(Json(cp.into()))
}

#[utoipa::path(post, path = "/v1/log/entries", tag = "log", request_body = AppendBody,
    responses(
        (status = 201, description = "Logged; durable", body = Receipt),
        (status = 200, description = "Already logged; the existing entry", body = Receipt),
        (status = 400, description = "Malformed record", body = ErrorBody),
        (status = 403, description = "Not signed by an authority allowed this kind", body = ErrorBody),
        (status = 409, description = "A unique key is already used", body = ErrorBody),
        (status = 422, description = "Refused by a rule (stale, unknown kind, bad payload)", body = ErrorBody),
    ))]
async fn append_entry(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    AppJson(body): AppJson<AppendBody>,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    let record = decode_record(&body.record)?;
    let accepted = state.submit(&record, client).await?;
    receipt_answer(&state, &record, accepted)
}

#[utoipa::path(get, path = "/v1/log/entries/{index}", tag = "log",
    params(("index" = u64, Path, description = "Entry index")),
    responses((status = 200, body = EntryView), (status = 404, body = ErrorBody)))]
async fn get_entry(
    State(state): State<AppState>,
    AppPath(index): AppPath<PathIndex>,
) -> ApiResult<Json<EntryView>> {
    let PathIndex(index) = index;
    let entry = load_entry(&state, index).await?;
    let record = Record::decode(&entry.leaf).map_err(ApiError::internal)?;
    let (author_key, authority) = match record.author() {
        Author::None => (None, None),
        Author::Ed25519(key) => (
            Some(hex::encode(key.as_bytes())),
            state.authorities().by_key(&key).map(|a| a.name.clone()),
        ),
    };
    Ok(Json(EntryView {
        index,
        record_id: hex::encode(entry.record_id),
        leaf_hash: hex::encode(entry.leaf_hash),
        record: BASE64.encode(&entry.leaf),
        domain: record.domain().to_owned(),
        kind: record.kind().to_owned(),
        author_key,
        authority,
        timestamp_ms: record.timestamp_ms(),
        payload: BASE64.encode(record.payload()),
        payload_digest: hex::encode(record.payload_digest()),
    }))
}

#[utoipa::path(get, path = "/v1/log/entries/{index}/inclusion", tag = "log",
    params(("index" = u64, Path, description = "Entry index"), SizeQuery),
    responses((status = 200, body = InclusionView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn inclusion_by_index(
    State(state): State<AppState>,
    AppPath(index): AppPath<PathIndex>,
    AppQuery(q): AppQuery<SizeQuery>,
) -> ApiResult<Json<InclusionView>> {
    let PathIndex(index) = index;
    inclusion(state, index, q.size).await
}

#[utoipa::path(get, path = "/v1/log/inclusion", tag = "log", params(LeafHashQuery),
    responses((status = 200, body = InclusionView), (status = 404, body = ErrorBody)))]
async fn inclusion_by_hash(
    State(state): State<AppState>,
    AppQuery(q): AppQuery<LeafHashQuery>,
) -> ApiResult<Json<InclusionView>> {
    let hash = zkaudit_verifier::parse_hash("leaf_hash", &q.leaf_hash)
        .map_err(|e| ApiError::bad_request("malformed_hash", e.to_string()))?;
    let store_state = state.clone();
    let index = blocking(move || store_state.sequencer().store().index_of_leaf_hash(&hash))
        .await?
        .ok_or_else(|| ApiError::not_found("no entry has this leaf hash"))?;
    inclusion(state, index, q.size).await
}

async fn inclusion(
    state: AppState,
    index: u64,
    size: Option<u64>,
) -> ApiResult<Json<InclusionView>> {
    // Proofs may read complete tiles from the store: off the async runtime.
    let proving = state.clone();
    let (size, leaf, proof) = blocking_api(move || {
        proving.sequencer().with_tree(|tree, latest| {
            let size = size.unwrap_or(latest.size);
            if size > latest.size {
                return Err(ApiError::unprocessable(
                    "size_out_of_range",
                    format!(
                        "size {size} is beyond the latest checkpoint ({})",
                        latest.size
                    ),
                ));
            }
            if index >= size {
                return Err(ApiError::not_found(format!(
                    "no entry {index} in a tree of size {size}"
                )));
            }
            let proof = tree.inclusion_proof(index, size)?;
            let leaf = tree.leaf(index)?;
            Ok((size, leaf, proof))
        })
    })
    .await?;
    let checkpoint = blocking(move || state.sequencer().store().checkpoint(size)).await?;
    Ok(Json(InclusionView {
        index,
        size,
        leaf_hash: hex::encode(leaf),
        proof: proof.iter().map(hex::encode).collect(),
        checkpoint: checkpoint.map(|c| String::from_utf8_lossy(&c.note).into_owned()),
    }))
}

#[utoipa::path(get, path = "/v1/log/consistency", tag = "log", params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyView), (status = 422, body = ErrorBody)))]
async fn consistency(
    State(state): State<AppState>,
    AppQuery(q): AppQuery<ConsistencyQuery>,
) -> ApiResult<Json<ConsistencyView>> {
    // Proofs may read complete tiles from the store: off the async runtime.
    blocking_api(move || {
        state.sequencer().with_tree(|tree, latest| {
            let to = q.to.unwrap_or(latest.size);
            if q.from > to || to > latest.size {
                return Err(ApiError::unprocessable(
                    "size_out_of_range",
                    format!(
                        "need from <= to <= {} (the latest checkpoint), got from={} to={to}",
                        latest.size, q.from
                    ),
                ));
            }
            let proof = tree.consistency_proof(q.from, to)?;
            Ok(Json(ConsistencyView {
                from: q.from,
                to,
                proof: proof.iter().map(hex::encode).collect(),
            }))
        })
    })
    .await
}

#[utoipa::path(get, path = "/v1/authorities", tag = "log",
    responses((status = 200, description = "The configured authorities", body = [AuthorityView])))]
async fn authorities(State(state): State<AppState>) -> Json<Vec<AuthorityView>> {
    Json(
        state
            .authorities()
            .authorities()
            .iter()
            .map(|a| AuthorityView {
                name: a.name.clone(),
                public_key: hex::encode(a.key.as_bytes()),
                kinds: a.grants.clone(),
            })
            .collect(),
    )
}

/// Most entries one evidence request may name.
pub const MAX_EVIDENCE_ENTRIES: usize = 1000;

/// Query of `GET /v1/log/evidence`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EvidenceQuery {
    /// Comma-separated entry indices (at most 1000).
    pub indices: String,
}

#[utoipa::path(get, path = "/v1/log/evidence", tag = "log", params(EvidenceQuery),
    responses((status = 200, body = LogEvidence), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn evidence(
    State(state): State<AppState>,
    AppQuery(q): AppQuery<EvidenceQuery>,
) -> ApiResult<Json<LogEvidence>> {
    let indices = q
        .indices
        .split(',')
        .map(|i| i.trim().parse::<u64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            ApiError::bad_request(
                "malformed_query",
                "indices must be comma-separated integers",
            )
        })?;
    if indices.len() > MAX_EVIDENCE_ENTRIES {
        return Err(ApiError::bad_request(
            "too_many_entries",
            format!("at most {MAX_EVIDENCE_ENTRIES} entries per request"),
        ));
    }
    blocking_api(move || build_evidence(&state, indices))
        .await
        .map(Json)
}
