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

use std::sync::Arc;

use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use zkaudit_ledger::land::{
    DOMAIN, LIEN_REGISTER, LIEN_RELEASE, LandError, PARCEL_REGISTER, TITLE_TRANSFER, version_key,
};
use zkaudit_ledger::record::Record;
use zkaudit_ledger::sequencer::Pending;

use super::identity::{IdentityDomain, TOPIC_ALL, registry_topic};
use super::{Authorisation, Domain};
use crate::server::error::{ApiError, ApiResult, Refusal};
use crate::server::state::AppState;

mod board;
mod routes;
pub mod views;

pub use views::{LienView, ParcelView};

/// Topic of every land record.
const TOPIC_LAND: &[u8] = b"land";

/// The land domain (its state lives in the identity domain's book).
pub struct LandDomain {
    identity: Arc<IdentityDomain>,
}

impl LandDomain {
    /// The domain, over the identity domain whose registries hold the titles.
    pub fn new(identity: Arc<IdentityDomain>) -> Self {
        Self { identity }
    }

    /// The identity domain holding the titles.
    pub fn identity(&self) -> &IdentityDomain {
        &self.identity
    }
}

/// How a land rule's refusal answers.
impl Refusal for LandError {
    fn status_code(&self) -> Option<(StatusCode, &'static str)> {
        Some(match self {
            LandError::UnknownParcel(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_parcel"),
            LandError::ParcelExists(_) => (StatusCode::CONFLICT, "already_used"),
            LandError::NotRegistrar(_) => (StatusCode::FORBIDDEN, "not_registrar"),
            LandError::StaleVersion { .. } | LandError::WrongPrevious(_) => {
                (StatusCode::CONFLICT, "stale_version")
            }
            LandError::BadSignature(_) => (StatusCode::FORBIDDEN, "bad_party_signature"),
            LandError::UnderLien { .. } => (StatusCode::CONFLICT, "under_lien"),
            LandError::UnknownLien(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_lien"),
            _ => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_payload"),
        })
    }
}

fn parcel_topic(parcel: &str) -> Vec<u8> {
    format!("land/parcel/{parcel}").into_bytes()
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
        let (checked, change) = self.identity.with_registries(state, |book| {
            let checked = book.titles().check(record).map_err(ApiError::from)?;
            let change = book.titles().credential_change(&checked);
            if let Some(change) = &change {
                book.check_title_change(record, change)
                    .map_err(ApiError::from)?;
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
        self.identity.root_follow_ups(state)
    }

    fn board(self: Arc<Self>) -> axum::Router<AppState> {
        board::routes(self)
    }

    fn board_counts(&self, state: &AppState) -> ApiResult<Vec<(&'static str, u64)>> {
        board::counts(self, state)
    }

    fn routes(self: Arc<Self>) -> OpenApiRouter<AppState> {
        routes::routes(self)
    }
}
