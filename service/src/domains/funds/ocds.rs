//! Procurement as the Open Contracting Data Standard publishes it: a
//! contract, or every contract a period pays, as an OCDS 1.1 release
//! package (`zkaudit_ledger::funds::ocds` maps the records), each release
//! with its log evidence in the `zkaudit` extension, which is served here
//! too.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zkaudit_ledger::export::LogEvidence;
use zkaudit_ledger::funds::ContractEntry;
use zkaudit_ledger::funds::ocds::{
    ContractExport, DEFAULT_OCID_PREFIX, EXTENSION, EXTENSION_RELEASE_SCHEMA, Money, Publication,
    contract_release, release_package,
};
use zkaudit_ledger::record::Record;

use super::FundsDomain;
use super::routes::parse_agency;
use crate::clock::now_ms;
use crate::server::blocking::blocking_api;
use crate::server::error::{ApiError, ApiResult, AppPath, AppQuery, ErrorBody};
use crate::server::log_access::{prove_entries, read_entries};
use crate::server::state::AppState;

/// Where the extension's files are served.
const EXTENSION_PATH: &str = "/v1/funds/ocds/extension.json";

/// The OCDS routes; handlers reach the domain through an extension.
pub(super) fn routes(funds: Arc<FundsDomain>) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ocds_contract))
        .routes(routes!(ocds_period))
        .routes(routes!(ocds_extension))
        .routes(routes!(ocds_extension_schema))
        .layer(Extension(funds))
}

/// How amounts and identifiers are published.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OcdsQuery {
    /// ISO 4217 currency of the amounts (default `XXX`: none named).
    pub currency: Option<String>,
    /// Decimal places of the currency's minor unit (default 2).
    pub decimals: Option<u32>,
    /// The publisher's registered ocid prefix (default `ocds-zkaudt`).
    pub ocid_prefix: Option<String>,
}

#[utoipa::path(get, path = "/v1/funds/ocds/contracts/{agency}/{tender}", tag = "funds",
    params(("agency" = String, Path, description = "Agency key, hex"), ("tender" = String, Path, description = "Tender id"), OcdsQuery),
    responses(
        (status = 200, body = Object, description = "An OCDS 1.1 release package with the contract's release: award, contract, the proven payments as transactions, log evidence in the `zkaudit` extension"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn ocds_contract(
    State(state): State<AppState>,
    Extension(funds): Extension<Arc<FundsDomain>>,
    AppPath((agency, tender)): AppPath<(String, String)>,
    AppQuery(query): AppQuery<OcdsQuery>,
    headers: HeaderMap,
) -> ApiResult<Json<serde_json::Value>> {
    let base = base_url(&headers);
    let uri = format!("{base}/v1/funds/ocds/contracts/{agency}/{tender}");
    let package = blocking_api(move || {
        let key = parse_agency(&agency)?;
        let entry = funds.with_book(&state, |book| {
            book.contract(&key, &tender).cloned().ok_or_else(|| {
                ApiError::not_found(format!("no contract {tender:?} of that agency"))
            })
        })?;
        package(&state, &key, vec![entry], &query, &base, &uri)
    })
    .await?;
    Ok(Json(package))
}

#[utoipa::path(get, path = "/v1/funds/ocds/periods/{agency}/{period}", tag = "funds",
    params(("agency" = String, Path, description = "Agency key, hex"), ("period" = String, Path, description = "Period id"), OcdsQuery),
    responses(
        (status = 200, body = Object, description = "An OCDS 1.1 release package with a release for each contract the period's budget binds a category to"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn ocds_period(
    State(state): State<AppState>,
    Extension(funds): Extension<Arc<FundsDomain>>,
    AppPath((agency, period)): AppPath<(String, String)>,
    AppQuery(query): AppQuery<OcdsQuery>,
    headers: HeaderMap,
) -> ApiResult<Json<serde_json::Value>> {
    let base = base_url(&headers);
    let uri = format!("{base}/v1/funds/ocds/periods/{agency}/{period}");
    let package = blocking_api(move || {
        let key = parse_agency(&agency)?;
        let entries = funds.with_book(&state, |book| {
            let p = book.period(&key, &period).ok_or_else(|| {
                ApiError::not_found(format!("no period {period:?} of that agency"))
            })?;
            let mut tenders: Vec<&String> = p
                .budget
                .categories
                .iter()
                .filter_map(|c| c.contract.as_ref())
                .collect();
            tenders.dedup();
            Ok(tenders
                .into_iter()
                .filter_map(|tender| book.contract(&key, tender).cloned())
                .collect::<Vec<_>>())
        })?;
        package(&state, &key, entries, &query, &base, &uri)
    })
    .await?;
    Ok(Json(package))
}

#[utoipa::path(get, path = "/v1/funds/ocds/extension.json", tag = "funds",
    responses((status = 200, body = Object, description = "The `zkaudit` OCDS extension's metadata")))]
async fn ocds_extension() -> Response {
    json_file(EXTENSION)
}

#[utoipa::path(get, path = "/v1/funds/ocds/release-schema.json", tag = "funds",
    responses((status = 200, body = Object, description = "The `zkaudit` OCDS extension's patch to the release schema (JSON Merge Patch)")))]
async fn ocds_extension_schema() -> Response {
    json_file(EXTENSION_RELEASE_SCHEMA)
}

fn json_file(text: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], text).into_response()
}

/// The release package of `entries` at `uri`, each release with the
/// records of its contract and reports and their inclusion proofs against
/// the latest checkpoint; the extension is named under `base`. Blocking.
fn package(
    state: &AppState,
    agency: &ed25519_dalek::VerifyingKey,
    entries: Vec<ContractEntry>,
    query: &OcdsQuery,
    base: &str,
    uri: &str,
) -> ApiResult<serde_json::Value> {
    let money = Money::new(
        query.currency.as_deref().unwrap_or("XXX"),
        query.decimals.unwrap_or(2),
    )
    .map_err(|e| ApiError::bad_request("bad_currency", e))?;
    let prefix = query.ocid_prefix.as_deref().unwrap_or(DEFAULT_OCID_PREFIX);
    let valid_prefix = prefix.len() == 11
        && prefix.starts_with("ocds-")
        && prefix[5..].bytes().all(|b| b.is_ascii_alphanumeric());
    if !valid_prefix {
        return Err(ApiError::bad_request(
            "bad_ocid_prefix",
            "an ocid prefix is `ocds-` and six letters or digits",
        ));
    }
    let checkpoint = state.sequencer().latest_checkpoint();
    let mut indices: Vec<u64> = entries
        .iter()
        .flat_map(|e| std::iter::once(e.index).chain(e.payments.iter().map(|p| p.1)))
        .filter(|&i| i < checkpoint.size)
        .collect();
    indices.sort_unstable();
    indices.dedup();
    let stored = read_entries(state, &indices)?;
    let proven = prove_entries(state, &checkpoint, &stored)?;
    let records: BTreeMap<u64, Record> = stored
        .iter()
        .map(|e| {
            Ok((
                e.index,
                Record::decode(&e.leaf).map_err(ApiError::internal)?,
            ))
        })
        .collect::<ApiResult<_>>()?;
    let proofs: BTreeMap<u64, Vec<String>> = proven
        .into_iter()
        .map(|e| (e.index, e.inclusion_proof))
        .collect();
    let note = String::from_utf8_lossy(&checkpoint.note).into_owned();
    let evidence = LogEvidence {
        checkpoint: &note,
        proofs: &proofs,
    };
    let agency_name = state.authorities().by_key(agency).map(|a| a.name.clone());
    let extension_url = format!("{base}{EXTENSION_PATH}");
    let publication = Publication {
        uri,
        publisher: state.sequencer().origin(),
        extension_url: &extension_url,
        ocid_prefix: prefix,
        money: &money,
        published_ms: now_ms(),
    };
    let agency_bytes = agency.to_bytes();
    let releases = entries
        .iter()
        // A contract logged after the latest checkpoint waits for the next.
        .filter(|entry| entry.index < checkpoint.size)
        .map(|entry| {
            let mut entry = entry.clone();
            entry.payments.retain(|p| p.1 < checkpoint.size);
            contract_release(
                &ContractExport {
                    agency: &agency_bytes,
                    agency_name: agency_name.as_deref(),
                    entry: &entry,
                    records: &records,
                    evidence: Some(evidence),
                },
                &publication,
            )
            .map_err(ApiError::internal)
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(release_package(releases, &publication))
}

/// The address clients reached this service at (`Host`, and the scheme a
/// proxy names in `X-Forwarded-Proto`), for the package's own URIs. A
/// malformed `Host` falls back to `localhost`: it is only echoed into the
/// package.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}
