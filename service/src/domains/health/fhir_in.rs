//! `POST /v1/health/fhir/AuditEvent`: a hospital submits an access as the
//! FHIR `AuditEvent` its systems already write, instead of zkaudit's own
//! record.
//!
//! The log holds only records their authors signed. The body is the
//! `AuditEvent` as is (`application/fhir+json`); the service reads the
//! `access` payload from it ([`access_from_audit_event`]) exactly as the
//! hospital's client does, and the hospital's signature over that record
//! travels in three headers: `Zkaudit-Author` (its Ed25519 key, hex),
//! `Zkaudit-Timestamp` (the record's time, Unix ms) and
//! `Zkaudit-Signature` (hex). Resending the same event with the same
//! headers is the same record: answered with its entry, never logged
//! twice.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zkaudit_ledger::health::fhir::access_from_audit_event;
use zkaudit_ledger::health::{ACCESS, DOMAIN};
use zkaudit_ledger::record::Record;
use zkaudit_verifier::Receipt;

use crate::server::error::{ApiError, ApiResult, AppJson, ErrorBody};
use crate::server::limits::ClientAddress;
use crate::server::log_access::receipt_answer;
use crate::server::state::AppState;

/// The header naming the record's author key (hex).
pub const AUTHOR_HEADER: &str = "zkaudit-author";
/// The header with the record's timestamp (Unix ms, decimal).
pub const TIMESTAMP_HEADER: &str = "zkaudit-timestamp";
/// The header with the author's Ed25519 signature over the record (hex).
pub const SIGNATURE_HEADER: &str = "zkaudit-signature";

/// The submission route.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(submit_audit_event))
}

#[utoipa::path(post, path = "/v1/health/fhir/AuditEvent", tag = "health",
    request_body(content = Object, content_type = "application/fhir+json",
        description = "A FHIR R5 AuditEvent of a patient read (IHE BALP): patient.identifier of system urn:zkaudit:patient-key, entity[].what.reference Type/id/_history/version, the requesting agent, authorization[0] the purpose of use, occurredDateTime"),
    params(
        ("zkaudit-author" = String, Header, description = "The hospital's Ed25519 key, hex"),
        ("zkaudit-timestamp" = u64, Header, description = "The record's timestamp, Unix ms"),
        ("zkaudit-signature" = String, Header, description = "The hospital's signature over the access record read from the event, hex"),
    ),
    responses(
        (status = 201, description = "Logged; durable", body = Receipt),
        (status = 200, description = "Already logged; the existing entry", body = Receipt),
        (status = 400, description = "Not an AuditEvent zkaudit logs (the element's FHIRPath is named), or malformed headers", body = ErrorBody),
        (status = 403, description = "The signature does not verify, or the author may not log accesses", body = ErrorBody),
        (status = 422, description = "Refused by a rule (unknown record version, stale)", body = ErrorBody),
    ))]
async fn submit_audit_event(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    AppJson(event): AppJson<serde_json::Value>,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    let access = access_from_audit_event(&event)
        .map_err(|e| ApiError::bad_request("invalid_audit_event", e.to_string()))?;
    let author: [u8; 32] = hex_header(&headers, AUTHOR_HEADER)?;
    let signature: [u8; 64] = hex_header(&headers, SIGNATURE_HEADER)?;
    let text = header(&headers, TIMESTAMP_HEADER)?;
    let canonical =
        text.bytes().all(|b| b.is_ascii_digit()) && (text == "0" || !text.starts_with('0'));
    let timestamp_ms = text
        .parse::<u64>()
        .ok()
        .filter(|_| canonical)
        .ok_or_else(|| {
            ApiError::bad_request(
                "malformed_header",
                format!("{TIMESTAMP_HEADER}: Unix milliseconds, canonical decimal"),
            )
        })?;
    let record = Record::with_signature(
        state.origin(),
        DOMAIN,
        ACCESS,
        &author,
        timestamp_ms,
        access.encode(),
        &signature,
    )
    .map_err(|e| {
        ApiError::forbidden(
            "bad_signature",
            format!("the signature headers do not sign the access this event describes: {e}"),
        )
    })?;
    let accepted = state.submit(&record, client).await?;
    receipt_answer(&state, &record, accepted)
}

fn header<'h>(headers: &'h HeaderMap, name: &'static str) -> ApiResult<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::bad_request("malformed_header", format!("{name}: required")))
}

fn hex_header<const N: usize>(headers: &HeaderMap, name: &'static str) -> ApiResult<[u8; N]> {
    let mut out = [0u8; N];
    hex::decode_to_slice(header(headers, name)?, &mut out).map_err(|_| {
        ApiError::bad_request("malformed_header", format!("{name}: {N} bytes in hex"))
    })?;
    Ok(out)
}
