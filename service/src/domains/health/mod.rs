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
//! | `lot.correct` | the site that administered | participant |
//!
//! The state is a [`HealthBook`] replayed from the log; the service refuses
//! up front what breaks its rules (unknown lot, over-transfer, quantity
//! overflow, expired lot, bad countersignature, unknown record, …). An
//! access is never refused — hiding it would defeat the audit — but one
//! without a valid consent is filed under the `health/flagged` topic.
//! `GET /v1/health/lots/{lot}/trace` and
//! `GET /v1/health/patients/{patient}/access-log` hand out the entries with
//! inclusion proofs (an [`Extract`]) for offline checking.

use std::sync::Arc;

use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use zkaudit_ledger::health::{
    ACCESS, AccessEvent, AccessVerdict, CONSENT_GRANT, CONSENT_REVOKE, ConsentGrant, ConsentRevoke,
    DOMAIN, HealthBook, HealthError, LOT_ADMINISTER, LOT_CORRECT, LOT_REGISTER, LOT_TRANSFER,
    LotCorrect, RECORD_COMMIT, RecordCommit, lot_of, patient_hex, patient_of,
};
use zkaudit_ledger::record::Record;
use zkaudit_ledger::replay::Replayed;
use zkaudit_ledger::sequencer::Pending;

use super::{Authorisation, Domain};
use crate::server::error::{ApiError, ApiResult, Refusal};
use crate::server::state::AppState;

mod board;
mod extract;
mod fhir_in;
mod routes;
pub mod views;

pub use extract::lot_extract;
pub use fhir_in::{AUTHOR_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
pub use views::{AccessLogView, AccessView, CheckView, FlaggedView, LotView, TraceView};

/// Topic of every health record, in log order.
const TOPIC_ALL: &[u8] = b"health";
/// Topic of accesses logged without a valid consent.
pub(super) const TOPIC_FLAGGED: &[u8] = b"health/flagged";

pub(super) fn lot_topic(lot: &str) -> Vec<u8> {
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

/// How a health rule's refusal answers.
impl Refusal for HealthError {
    fn status_code(&self) -> Option<(StatusCode, &'static str)> {
        Some(match self {
            HealthError::UnknownLot(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_lot"),
            HealthError::OverQuantity { held: 0, .. } => (StatusCode::FORBIDDEN, "not_holder"),
            HealthError::OverQuantity { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "over_quantity"),
            HealthError::QuantityOverflow(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "quantity_overflow")
            }
            HealthError::Expired { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "lot_expired"),
            HealthError::BadCountersignature => (StatusCode::FORBIDDEN, "bad_countersignature"),
            HealthError::Unsigned => (StatusCode::FORBIDDEN, "not_authorised"),
            HealthError::NotTheSite => (StatusCode::FORBIDDEN, "not_the_site"),
            HealthError::UnknownRecord { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "unknown_record")
            }
            HealthError::UnknownPatient => (StatusCode::FORBIDDEN, "unknown_patient"),
            HealthError::UnknownConsent(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_consent"),
            HealthError::LotExists(_) | HealthError::ConsentExists(_) => {
                (StatusCode::CONFLICT, "already_used")
            }
            HealthError::VersionOutOfSequence { .. } => {
                (StatusCode::CONFLICT, "version_out_of_sequence")
            }
            HealthError::OutOfOrder(_) => (StatusCode::UNPROCESSABLE_ENTITY, "out_of_order"),
            _ => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_payload"),
        })
    }

    fn message(&self) -> String {
        match self {
            HealthError::OverQuantity { held: 0, .. } => {
                format!("{self}: the signer holds none of this lot")
            }
            _ => self.to_string(),
        }
    }
}

impl Domain for HealthDomain {
    fn name(&self) -> &'static str {
        DOMAIN
    }

    fn authorisation(&self, kind: &str) -> Option<Authorisation> {
        match kind {
            RECORD_COMMIT | ACCESS | LOT_REGISTER => Some(Authorisation::Authority),
            CONSENT_GRANT | CONSENT_REVOKE | LOT_TRANSFER | LOT_ADMINISTER | LOT_CORRECT => {
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
        if let Some(lot) = lot_of(record).map_err(ApiError::from)? {
            pending = pending.topic(lot_topic(&lot));
        }
        if let Some(patient) = patient_of(record).map_err(ApiError::from)? {
            pending = pending.topic(patient_topic(&patient_hex(&patient)));
        }
        if logged {
            // A resubmission: the log answers with the existing entry.
            return Ok(pending);
        }
        self.with_book(state, |book| {
            book.check(record).map_err(ApiError::from)?;
            let author = match record.author() {
                zkaudit_ledger::record::Author::Ed25519(k) => k.to_bytes(),
                zkaudit_ledger::record::Author::None => return Err(HealthError::Unsigned.into()),
            };
            Ok(match record.kind() {
                RECORD_COMMIT => {
                    let c = RecordCommit::decode(record.payload()).map_err(ApiError::from)?;
                    let mut key = c.patient.to_bytes().to_vec();
                    key.extend_from_slice(c.record.as_bytes());
                    key.push(0);
                    key.extend_from_slice(&c.version.to_be_bytes());
                    pending.unique("health/record", key)
                }
                CONSENT_GRANT | CONSENT_REVOKE => {
                    let consent = if record.kind() == CONSENT_GRANT {
                        ConsentGrant::decode(record.payload())
                            .map_err(ApiError::from)?
                            .consent
                    } else {
                        ConsentRevoke::decode(record.payload())
                            .map_err(ApiError::from)?
                            .consent
                    };
                    let mut key = author.to_vec();
                    key.extend_from_slice(consent.as_bytes());
                    pending.unique(&format!("health/{}", record.kind()), key)
                }
                ACCESS => {
                    let access = AccessEvent::decode(record.payload()).map_err(ApiError::from)?;
                    let next = book
                        .applied_up_to()
                        .max(state.sequencer().latest_checkpoint().size);
                    match book.access_verdict(&access, next) {
                        AccessVerdict::Flagged { .. } => pending.topic(TOPIC_FLAGGED.to_vec()),
                        AccessVerdict::Consented { .. } => pending,
                    }
                }
                LOT_REGISTER => {
                    let lot = lot_of(record).map_err(ApiError::from)?.unwrap_or_default();
                    pending.unique("health/lot", lot.into_bytes())
                }
                LOT_TRANSFER | LOT_ADMINISTER => {
                    // One sequence number per (lot, debited holder): two
                    // debits checked against the same balance can't both be
                    // logged (the loser gets `already_used` and retries
                    // against the new balance). Credits only add, and a
                    // lot's doses are conserved, so they need no sequencing.
                    let lot = lot_of(record).map_err(ApiError::from)?.unwrap_or_default();
                    let debits = book
                        .lot(&lot)
                        .map_or(0, |l| l.debits.get(&author).copied().unwrap_or(0));
                    let mut key = lot.into_bytes();
                    key.push(0);
                    key.extend_from_slice(&author);
                    key.extend_from_slice(&debits.to_be_bytes());
                    pending.unique("health/debit", key)
                }
                LOT_CORRECT => {
                    // An administration is declared erroneous once, even
                    // by two concurrent corrections.
                    let correct = LotCorrect::decode(record.payload()).map_err(ApiError::from)?;
                    pending.unique("health/correction", correct.administration.to_vec())
                }
                _ => pending,
            })
        })
    }

    fn board(self: Arc<Self>) -> axum::Router<AppState> {
        board::routes(self)
    }

    fn board_counts(&self, state: &AppState) -> ApiResult<Vec<(&'static str, u64)>> {
        board::counts(self, state)
    }

    fn routes(self: Arc<Self>) -> OpenApiRouter<AppState> {
        routes::routes(self).merge(fhir_in::routes())
    }
}
