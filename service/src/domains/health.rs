//! The health domain: medical-record commitments, patient consent and the
//! access audit, and the vaccine supply chain.
//!
//! Who signs what (see `zkaudit_ledger::health` for the payloads):
//!
//! | kind | signer | authorised as |
//! |---|---|---|
//! | `record.commit`, `access` | the hospital | authority |
//! | `consent.grant`, `consent.revoke` | the patient's own key | participant |
//! | `lot.register` | the manufacturer | authority |
//! | `lot.transfer` | the sender, countersigned by the receiver | participant |
//! | `lot.administer` | the site | participant |
//!
//! The state is a [`HealthBook`] replayed from the log; the service refuses
//! up front what breaks its rules (unknown lot, over-transfer, quantity
//! overflow, expired lot, bad countersignature, unknown record, …). An
//! access is never refused — hiding it would defeat the audit — but one
//! without a valid consent is filed under the `health/flagged` topic.
//! `GET /v1/health/lots/{lot}/trace` and
//! `GET /v1/health/patients/{patient}/access-log` hand out the entries with
//! inclusion proofs (an [`Extract`]) for offline checking.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zkaudit_ledger::health::{
    ACCESS, AccessEvent, AccessVerdict, CONSENT_GRANT, CONSENT_REVOKE, ConsentGrant, ConsentRevoke,
    DOMAIN, HealthBook, HealthError, LOT_ADMINISTER, LOT_REGISTER, LOT_TRANSFER, RECORD_COMMIT,
    RecordCommit, TraceReport, audit_access, lot_of, parse_patient, patient_hex, patient_of,
    verify_trace,
};
use zkaudit_ledger::record::Record;
use zkaudit_ledger::replay::Replayed;
use zkaudit_ledger::sequencer::Pending;
use zkaudit_verifier::LogEntry;
use zkaudit_verifier::health::{Extract, MAX_EXTRACT_ENTRIES};

use super::{Authorisation, Domain};
use crate::server::error::{ApiError, ApiResult, AppPath, ErrorBody};
use crate::server::blocking::blocking_api;
use crate::server::state::AppState;

/// Topic of every health record, in log order.
const TOPIC_ALL: &[u8] = b"health";
/// Topic of accesses logged without a valid consent.
const TOPIC_FLAGGED: &[u8] = b"health/flagged";

fn lot_topic(lot: &str) -> Vec<u8> {
    format!("health/lot/{lot}").into_bytes()
}

fn patient_topic(patient_hex: &str) -> Vec<u8> {
    format!("health/patient/{patient_hex}").into_bytes()
}

/// The health domain: the replayed [`HealthBook`].
#[derive(Default)]
pub struct HealthDomain {
    book: Replayed<HealthBook>,
}

impl HealthDomain {
    /// The domain.
    pub fn new() -> Self {
        Self::default()
    }

    /// Brings the book up to date with the log and runs `f` on it. Blocking.
    pub fn with_book<T>(
        &self,
        state: &AppState,
        f: impl FnOnce(&HealthBook) -> ApiResult<T>,
    ) -> ApiResult<T> {
        self.book
            .with(&**state.sequencer().store(), TOPIC_ALL, HealthBook::new, f)
    }
}

/// Loads and decodes the entries at `indices`. Blocking.
fn load_records(state: &AppState, indices: &[u64]) -> ApiResult<Vec<(u64, Record)>> {
    let mut entries = Vec::new();
    state
        .sequencer()
        .store()
        .with_reader(&mut |r| {
            entries.clear();
            for &i in indices {
                entries.extend(r.entries(i, i + 1)?);
            }
            Ok(())
        })
        .map_err(ApiError::internal)?;
    entries
        .into_iter()
        .map(|e| {
            let record = Record::decode(&e.leaf).map_err(ApiError::internal)?;
            Ok((e.index, record))
        })
        .collect()
}

/// Maps a rule failure to a clear API error.
fn refused(e: HealthError) -> ApiError {
    let message = e.to_string();
    match e {
        HealthError::UnknownLot(_) => ApiError::unprocessable("unknown_lot", message),
        HealthError::OverQuantity { held: 0, .. } => ApiError::forbidden(
            "not_holder",
            format!("{message}: the signer holds none of this lot"),
        ),
        HealthError::OverQuantity { .. } => ApiError::unprocessable("over_quantity", message),
        HealthError::QuantityOverflow(_) => ApiError::unprocessable("quantity_overflow", message),
        HealthError::Expired { .. } => ApiError::unprocessable("lot_expired", message),
        HealthError::BadCountersignature => ApiError::forbidden("bad_countersignature", message),
        HealthError::Unsigned => ApiError::forbidden("not_authorised", message),
        HealthError::UnknownRecord { .. } => ApiError::unprocessable("unknown_record", message),
        HealthError::UnknownConsent(_) => ApiError::unprocessable("unknown_consent", message),
        HealthError::LotExists(_) | HealthError::ConsentExists(_) => {
            ApiError::conflict("already_used", message)
        }
        HealthError::VersionOutOfSequence { .. } => {
            ApiError::conflict("version_out_of_sequence", message)
        }
        HealthError::OutOfOrder(_) => ApiError::unprocessable("out_of_order", message),
        _ => ApiError::unprocessable("invalid_payload", message),
    }
}

impl Domain for HealthDomain {
    fn name(&self) -> &'static str {
        DOMAIN
    }

    fn authorisation(&self, kind: &str) -> Option<Authorisation> {
        match kind {
            RECORD_COMMIT | ACCESS | LOT_REGISTER => Some(Authorisation::Authority),
            CONSENT_GRANT | CONSENT_REVOKE | LOT_TRANSFER | LOT_ADMINISTER => {
                Some(Authorisation::Participant)
            }
            _ => None,
        }
    }

    fn admit(&self, record: &Record, state: &AppState) -> ApiResult<Pending> {
        let id = record.id();
        let mut logged = false;
        state
            .sequencer()
            .store()
            .with_reader(&mut |r| {
                logged = r.index_of_record(&id)?.is_some();
                Ok(())
            })
            .map_err(ApiError::internal)?;
        let mut pending = Pending::new(record).topic(TOPIC_ALL.to_vec());
        if let Some(lot) = lot_of(record).map_err(refused)? {
            pending = pending.topic(lot_topic(&lot));
        }
        if let Some(patient) = patient_of(record).map_err(refused)? {
            pending = pending.topic(patient_topic(&patient_hex(&patient)));
        }
        if logged {
            // A resubmission: the log answers with the existing entry.
            return Ok(pending);
        }
        self.with_book(state, |book| {
            book.check(record).map_err(refused)?;
            let author = match record.author() {
                zkaudit_ledger::record::Author::Ed25519(k) => k.to_bytes(),
                zkaudit_ledger::record::Author::None => return Err(refused(HealthError::Unsigned)),
            };
            Ok(match record.kind() {
                RECORD_COMMIT => {
                    let c = RecordCommit::decode(record.payload()).map_err(refused)?;
                    let mut key = c.patient.to_bytes().to_vec();
                    key.extend_from_slice(c.record.as_bytes());
                    key.push(0);
                    key.extend_from_slice(&c.version.to_be_bytes());
                    pending.unique("health/record", key)
                }
                CONSENT_GRANT | CONSENT_REVOKE => {
                    let consent = if record.kind() == CONSENT_GRANT {
                        ConsentGrant::decode(record.payload())
                            .map_err(refused)?
                            .consent
                    } else {
                        ConsentRevoke::decode(record.payload())
                            .map_err(refused)?
                            .consent
                    };
                    let mut key = author.to_vec();
                    key.extend_from_slice(consent.as_bytes());
                    pending.unique(&format!("health/{}", record.kind()), key)
                }
                ACCESS => {
                    let access = AccessEvent::decode(record.payload()).map_err(refused)?;
                    let next = book
                        .applied_up_to()
                        .max(state.sequencer().latest_checkpoint().size);
                    match book.access_verdict(&access, next) {
                        AccessVerdict::Flagged { .. } => pending.topic(TOPIC_FLAGGED.to_vec()),
                        AccessVerdict::Consented { .. } => pending,
                    }
                }
                LOT_REGISTER => {
                    let lot = lot_of(record).map_err(refused)?.unwrap_or_default();
                    pending.unique("health/lot", lot.into_bytes())
                }
                LOT_TRANSFER | LOT_ADMINISTER => {
                    // One sequence number per (lot, debited holder): two
                    // debits checked against the same balance can't both be
                    // logged (the loser gets `already_used` and retries
                    // against the new balance). Credits only add, and a
                    // lot's doses are conserved, so they need no sequencing.
                    let lot = lot_of(record).map_err(refused)?.unwrap_or_default();
                    let debits = book
                        .lot(&lot)
                        .map_or(0, |l| l.debits.get(&author).copied().unwrap_or(0));
                    let mut key = lot.into_bytes();
                    key.push(0);
                    key.extend_from_slice(&author);
                    key.extend_from_slice(&debits.to_be_bytes());
                    pending.unique("health/debit", key)
                }
                _ => pending,
            })
        })
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn routes(&self) -> OpenApiRouter<AppState> {
        OpenApiRouter::new()
            .routes(routes!(get_lot))
            .routes(routes!(lot_trace))
            .routes(routes!(access_log))
            .routes(routes!(flagged))
    }
}

/// A lot's chain of custody as an [`Extract`] against the latest
/// checkpoint (what `GET /v1/health/lots/{lot}/trace` serves). Blocking.
pub fn lot_extract(state: &AppState, lot: &str) -> ApiResult<Extract> {
    Ok(extract(state, &lot_topic(lot))?.0)
}

/// Builds an extract of the entries under `topic`, with inclusion proofs
/// against the latest checkpoint. Blocking.
fn extract(state: &AppState, topic: &[u8]) -> ApiResult<(Extract, Vec<(u64, Record)>)> {
    let checkpoint = state.sequencer().latest_checkpoint();
    let mut indices = Vec::new();
    loop {
        let after = indices.last().map_or(0, |&i: &u64| i + 1);
        let page = state
            .sequencer()
            .store()
            .topic(topic, after, 4096)
            .map_err(ApiError::internal)?;
        let done = page.len() < 4096;
        indices.extend(page.into_iter().filter(|&i| i < checkpoint.size));
        if indices.len() > MAX_EXTRACT_ENTRIES {
            return Err(ApiError::unprocessable(
                "too_many_entries",
                format!("more than {MAX_EXTRACT_ENTRIES} entries"),
            ));
        }
        if done || indices.last().is_some_and(|&i| i + 1 >= checkpoint.size) {
            break;
        }
    }
    let records = load_records(state, &indices)?;
    let proofs = state.sequencer().with_tree(|tree, _| {
        indices
            .iter()
            .map(|&i| tree.inclusion_proof(i, checkpoint.size))
            .collect::<Result<Vec<_>, _>>()
            .map_err(ApiError::internal)
    })?;
    let entries = records
        .iter()
        .zip(proofs)
        .map(|((index, record), proof)| LogEntry::new(*index, &record.encode(), &proof))
        .collect();
    Ok((
        Extract::new(
            String::from_utf8_lossy(&checkpoint.note).into_owned(),
            entries,
        ),
        records,
    ))
}

/// A lot's current state.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct LotView {
    /// Lot number.
    pub lot: String,
    /// Product code.
    pub product: String,
    /// Registered quantity.
    pub quantity: u64,
    /// Expiry, Unix ms.
    pub expiry_ms: u64,
    /// Manufacturer's key, hex.
    pub manufacturer: String,
    /// Log index of the registration.
    pub registered_index: u64,
    /// Doses held, by holder key (hex).
    pub holdings: std::collections::BTreeMap<String, u64>,
    /// Doses administered, by site key (hex).
    pub administered: std::collections::BTreeMap<String, u64>,
    /// Events (registration, transfers, administrations).
    pub events: u64,
}

fn lot_view(l: &zkaudit_ledger::health::LotState) -> LotView {
    let hexed = |m: &std::collections::BTreeMap<[u8; 32], u64>| {
        m.iter()
            .filter(|(_, q)| **q > 0)
            .map(|(k, q)| (hex::encode(k), *q))
            .collect()
    };
    LotView {
        lot: l.spec.lot.clone(),
        product: l.spec.product.clone(),
        quantity: l.spec.quantity,
        expiry_ms: l.spec.expiry_ms,
        manufacturer: hex::encode(l.manufacturer.as_bytes()),
        registered_index: l.registered_index,
        holdings: hexed(&l.holdings),
        administered: hexed(&l.administered),
        events: l.events,
    }
}

/// The result of the server's own check of an extract (clients re-check).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct CheckView {
    /// Whether every rule held.
    pub ok: bool,
    /// The first failure, with the log index it happened at.
    pub error: Option<String>,
}

/// `GET /v1/health/lots/{lot}/trace`.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct TraceView {
    /// The lot.
    pub lot: String,
    /// Every record about the lot, with inclusion proofs.
    pub extract: Extract,
    /// The server's check of the chain.
    pub check: CheckView,
    /// The lot's state after the chain, when the check passed.
    pub state: Option<LotView>,
}

/// One access in `GET /v1/health/patients/{patient}/access-log`.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct AccessView {
    /// Log index of the access record.
    pub index: u64,
    /// Record id.
    pub record: String,
    /// Version read.
    pub version: u32,
    /// Who read it.
    pub accessor: String,
    /// Purpose given.
    pub purpose: String,
    /// When, Unix ms.
    pub at_ms: u64,
    /// The consent that covered it.
    pub consent: Option<String>,
    /// Why it is flagged (no valid consent at that time).
    pub flagged: Option<String>,
}

/// `GET /v1/health/patients/{patient}/access-log`.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct AccessLogView {
    /// The patient's key, hex.
    pub patient: String,
    /// Every record about the patient (commits, consents, accesses), with inclusion proofs.
    pub extract: Extract,
    /// The server's check of the entries.
    pub check: CheckView,
    /// Every access, with its verdict.
    pub accesses: Vec<AccessView>,
}

async fn with_domain<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&AppState, &HealthDomain) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let state = state.clone();
    blocking_api(move || {
        let domain = state
            .domain::<HealthDomain>()
            .ok_or_else(|| ApiError::internal("health domain not served"))?;
        f(&state, domain)
    })
    .await
}

fn check_lot_id(lot: &str) -> ApiResult<()> {
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
    AppPath(lot): AppPath<String>,
) -> ApiResult<Json<LotView>> {
    check_lot_id(&lot)?;
    let view = with_domain(&state, move |state, domain| {
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
    AppPath(lot): AppPath<String>,
) -> ApiResult<Json<TraceView>> {
    check_lot_id(&lot)?;
    let view = with_domain(&state, move |state, _| {
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

#[utoipa::path(get, path = "/v1/health/patients/{patient}/access-log", tag = "health",
    params(("patient" = String, Path, description = "The patient's pseudonymous Ed25519 key, hex")),
    responses((status = 200, body = AccessLogView), (status = 400, body = ErrorBody)))]
async fn access_log(
    State(state): State<AppState>,
    AppPath(patient): AppPath<String>,
) -> ApiResult<Json<AccessLogView>> {
    let key = parse_patient(&patient)
        .map_err(|e| ApiError::bad_request("malformed_patient", e.to_string()))?;
    let view = with_domain(&state, move |state, _| {
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

/// `GET /v1/health/flagged`: log indices of accesses flagged when logged.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct FlaggedView {
    /// Log indices of `health/access` records logged without a valid consent.
    pub indices: Vec<u64>,
}

#[utoipa::path(get, path = "/v1/health/flagged", tag = "health",
    responses((status = 200, body = FlaggedView)))]
async fn flagged(State(state): State<AppState>) -> ApiResult<Json<FlaggedView>> {
    let indices = with_domain(&state, |state, _| {
        state
            .sequencer()
            .store()
            .topic(TOPIC_FLAGGED, 0, MAX_EXTRACT_ENTRIES)
            .map_err(ApiError::internal)
    })
    .await?;
    Ok(Json(FlaggedView { indices }))
}
