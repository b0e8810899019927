//! The ceremony domain's routes: ceremonies, their key files, the phase-1
//! files they name, and the upload of a step with its key.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::{Extension, Json};
use http_body_util::BodyExt as _;
use sha3::{Digest, Sha3_256};
use tower::ServiceExt as _;
use tower_http::services::ServeFile;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zkaudit_ledger::ceremony::{CONTRIBUTE, DOMAIN, FINALIZE, Finalisation, Step};
use zkaudit_ledger::record::Record;
use zkaudit_verifier::Receipt;
use zkaudit_verifier::ceremony::{CeremonyTranscript, TRANSCRIPT_FORMAT};

use super::CeremonyDomain;
use super::views::{CeremonyView, ceremony_view};
use crate::server::blocking::blocking_api;
use crate::server::error::{ApiError, ApiResult, AppPath, ErrorBody};
use crate::server::limits::ClientAddress;
use crate::server::log_access::{
    authority_set_before, build_evidence, decode_record, receipt_answer,
};
use crate::server::state::AppState;

/// The request header that carries an uploaded step's signed record
/// (base64 of its canonical encoding).
pub const RECORD_HEADER: &str = "zkaudit-record";

/// How much larger than the current key an uploaded key may be: one more
/// contribution section (points, a name, a beacon value).
const MAX_KEY_GROWTH: u64 = 64 * 1024;

/// The domain's routes; handlers reach the domain through an extension.
pub(super) fn routes(domain: Arc<CeremonyDomain>) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_ceremonies))
        .routes(routes!(get_ceremony))
        .routes(routes!(get_transcript))
        .routes(routes!(upload_step))
        .routes(routes!(get_ceremony_key))
        .routes(routes!(get_phase1))
        .layer(Extension(domain))
}

#[utoipa::path(get, path = "/v1/ceremony/ceremonies", tag = "ceremony",
    responses((status = 200, description = "Every ceremony, by id", body = [CeremonyView])))]
async fn list_ceremonies(
    State(state): State<AppState>,
    Extension(domain): Extension<Arc<CeremonyDomain>>,
) -> ApiResult<Json<Vec<CeremonyView>>> {
    let views = blocking_api(move || {
        domain.with_book(&state, |book| {
            Ok(book
                .ceremonies()
                .map(|c| ceremony_view(&state, c))
                .collect())
        })
    })
    .await?;
    Ok(Json(views))
}

#[utoipa::path(get, path = "/v1/ceremony/ceremonies/{id}", tag = "ceremony",
    params(("id" = String, Path, description = "Ceremony id")),
    responses((status = 200, body = CeremonyView), (status = 404, body = ErrorBody)))]
async fn get_ceremony(
    State(state): State<AppState>,
    Extension(domain): Extension<Arc<CeremonyDomain>>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<CeremonyView>> {
    let view = blocking_api(move || {
        domain.with_book(&state, |book| {
            let c = book
                .get(&id)
                .ok_or_else(|| ApiError::not_found(format!("no ceremony {id:?}")))?;
            Ok(ceremony_view(&state, c))
        })
    })
    .await?;
    Ok(Json(view))
}

#[utoipa::path(get, path = "/v1/ceremony/ceremonies/{id}/transcript", tag = "ceremony",
    params(("id" = String, Path, description = "Ceremony id")),
    responses((status = 200, body = CeremonyTranscript,
        description = "Every record of the ceremony with inclusion proofs; check with `zkaudit ceremony verify --server`"),
        (status = 404, body = ErrorBody)))]
async fn get_transcript(
    State(state): State<AppState>,
    Extension(domain): Extension<Arc<CeremonyDomain>>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<CeremonyTranscript>> {
    let transcript = blocking_api(move || {
        let (mut indices, shape, coordinator_writes) = domain.with_book(&state, |book| {
            let c = book
                .get(&id)
                .ok_or_else(|| ApiError::not_found(format!("no ceremony {id:?}")))?;
            let mut indices = vec![c.index];
            indices.extend(c.contributions.iter().map(|s| s.index));
            let mut coordinator_writes = vec![c.index];
            if let Some((_, index)) = c.finalisation {
                indices.push(index);
                coordinator_writes.push(index);
            }
            Ok((indices, c.start.shape.clone(), coordinator_writes))
        })?;
        for index in coordinator_writes {
            indices.push(authority_set_before(&state, index)?);
        }
        let circuit_key = domain.identity.with_book(&state, |registries| {
            Ok(registries.circuit_key(&shape).map(|(_, i)| *i))
        })?;
        indices.extend(circuit_key.filter(|&i| i > indices[0]));
        Ok(CeremonyTranscript {
            format: TRANSCRIPT_FORMAT.to_owned(),
            ceremony: id,
            evidence: build_evidence(&state, indices)?,
        })
    })
    .await?;
    Ok(Json(transcript))
}

/// Uploads the key of a contribution or of the final beacon, with its
/// signed record in the `Zkaudit-Record` header. The record is checked
/// against the ceremony before the body is read; the key is then stored,
/// verified against the current key, and the record logged.
#[utoipa::path(post, path = "/v1/ceremony/ceremonies/{id}/steps", tag = "ceremony",
    params(("id" = String, Path, description = "Ceremony id"),
        ("zkaudit-record" = String, Header, description = "The step's signed record, base64")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "The new .zkey"),
    responses(
        (status = 201, description = "Verified and logged; durable", body = Receipt),
        (status = 200, description = "Already logged; the existing entry", body = Receipt),
        (status = 403, description = "Not invited, or not the coordinator", body = ErrorBody),
        (status = 409, description = "Built on a stale key, or the slot is taken", body = ErrorBody),
        (status = 413, description = "Larger than one more contribution allows", body = ErrorBody),
        (status = 422, description = "The contribution does not verify, or does not match its record", body = ErrorBody),
    ))]
async fn upload_step(
    State(state): State<AppState>,
    Extension(domain): Extension<Arc<CeremonyDomain>>,
    ClientAddress(client): ClientAddress,
    AppPath(id): AppPath<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    let (record, key, limit) = match precheck(&state, &domain, &id, &headers).await {
        Ok(checked) => checked,
        Err(refusal) => {
            // Read what the client is still sending, so that it reads the
            // refusal instead of a reset connection.
            drain(body, MAX_DRAINED).await;
            return Err(refusal);
        }
    };
    let bytes = axum::body::to_bytes(body, limit as usize)
        .await
        .map_err(|_| too_large(limit))?;
    if Sha3_256::digest(&bytes)[..] != key[..] {
        return Err(ApiError::unprocessable(
            "record_mismatch",
            "the uploaded key's SHA3-256 is not the one the record states",
        ));
    }
    let lock = domain.upload_lock(&id)?;
    let _one_at_a_time = lock.lock().await;
    let created = {
        let domain = domain.clone();
        blocking_api(move || domain.blobs().put(&bytes).map_err(ApiError::internal))
            .await?
            .1
    };
    let outcome = state.submit(&record, client).await;
    if outcome.is_err() && created {
        let domain = domain.clone();
        blocking_api(move || domain.blobs().remove(&key).map_err(ApiError::internal)).await?;
    }
    receipt_answer(&state, &record, outcome?)
}

/// Most bytes of a refused upload read and discarded.
const MAX_DRAINED: u64 = 1 << 30;

/// The checks made before a large body is read: the record decodes, is a
/// step of this ceremony, is the next step on the current key by someone
/// allowed to take it, and the declared length fits one more contribution.
/// Returns the record, the key digest it names and the body's limit.
async fn precheck(
    state: &AppState,
    domain: &Arc<CeremonyDomain>,
    id: &str,
    headers: &HeaderMap,
) -> ApiResult<(Record, [u8; 32], u64)> {
    let encoded = headers
        .get(RECORD_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                "missing_record",
                format!("the step's signed record goes in the {RECORD_HEADER} header"),
            )
        })?;
    let record = decode_record(encoded)?;
    let step = match (record.domain(), record.kind()) {
        (DOMAIN, CONTRIBUTE) => Step::decode(record.payload()).map_err(ApiError::from)?,
        (DOMAIN, FINALIZE) => {
            Finalisation::decode(record.payload())
                .map_err(ApiError::from)?
                .step
        }
        _ => {
            return Err(ApiError::unprocessable(
                "unknown_kind",
                "only ceremony/contribute and ceremony/finalize records come with a key",
            ));
        }
    };
    if step.ceremony != id {
        return Err(ApiError::unprocessable(
            "record_mismatch",
            format!("the record is for ceremony {:?}", step.ceremony),
        ));
    }
    let head_size = {
        let (domain, state, record) = (domain.clone(), state.clone(), record.clone());
        let ceremony = step.ceremony.clone();
        blocking_api(move || {
            let head = domain.with_book(&state, |book| {
                book.check(&record).map_err(ApiError::from)?;
                Ok(book.get(&ceremony).map(|c| c.head()))
            })?;
            let head = head.ok_or_else(|| ApiError::internal("checked ceremony vanished"))?;
            let size = std::fs::metadata(domain.blobs().path(&head))
                .map_err(ApiError::internal)?
                .len();
            Ok(size)
        })
        .await?
    };
    let limit = head_size + MAX_KEY_GROWTH;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    Ok((record, step.key, limit))
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!("a key extending the current one is at most {limit} bytes"),
    )
}

/// Reads and discards at most `cap` bytes of `body`.
async fn drain(mut body: Body, cap: u64) {
    let mut read = 0u64;
    while read <= cap {
        match body.frame().await {
            Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len() as u64),
            _ => break,
        }
    }
}

/// Serves a file immutably (its name is its content's digest, or a name a
/// logged ceremony fixed with its hash).
async fn serve_file(
    path: std::path::PathBuf,
    request: Request,
    cache: &'static str,
) -> ApiResult<Response> {
    let mut response = ServeFile::new(path)
        .oneshot(request)
        .await
        .map_err(ApiError::internal)?
        .map(Body::new);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(response)
}

#[utoipa::path(get, path = "/v1/ceremony/keys/{digest}", tag = "ceremony",
    params(("digest" = String, Path, description = "SHA3-256 of the key, hex")),
    responses((status = 200, description = "The .zkey (immutable)", content_type = "application/octet-stream"),
        (status = 404, body = ErrorBody)))]
async fn get_ceremony_key(
    Extension(domain): Extension<Arc<CeremonyDomain>>,
    AppPath(digest): AppPath<String>,
    request: Request,
) -> ApiResult<Response> {
    let parsed: [u8; 32] = hex::decode(&digest)
        .ok()
        .and_then(|d| d.try_into().ok())
        .filter(|_| digest.len() == 64 && digest == digest.to_lowercase())
        .ok_or_else(|| {
            ApiError::not_found("keys are named by their SHA3-256, 64 lowercase hex digits")
        })?;
    let path = domain.blobs().path(&parsed);
    if !path.is_file() {
        return Err(ApiError::not_found(format!("no key {digest}")));
    }
    serve_file(path, request, "public, max-age=31536000, immutable").await
}

#[utoipa::path(get, path = "/v1/ceremony/phase1/{name}", tag = "ceremony",
    params(("name" = String, Path, description = "A phase-1 file a ceremony names")),
    responses((status = 200, description = "The .ptau file", content_type = "application/octet-stream"),
        (status = 404, body = ErrorBody)))]
async fn get_phase1(
    State(state): State<AppState>,
    Extension(domain): Extension<Arc<CeremonyDomain>>,
    AppPath(name): AppPath<String>,
    request: Request,
) -> ApiResult<Response> {
    let path = {
        let (domain, name) = (domain.clone(), name.clone());
        blocking_api(move || {
            let named = domain.with_book(&state, |book| {
                Ok(book.ceremonies().any(|c| c.start.phase1.name == name))
            })?;
            if !named {
                return Err(ApiError::not_found(format!(
                    "no ceremony names a phase-1 file {name:?}"
                )));
            }
            Ok(domain.phase1_path(&name))
        })
        .await?
    };
    serve_file(path, request, "public, max-age=86400").await
}
