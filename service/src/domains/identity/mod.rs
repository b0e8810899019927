//! The identity domain: credential registries, their logged roots, and the
//! read API holders use to prove membership without saying who they are.
//!
//! Issuers write `identity/registry.create`, `credential.issue` and
//! `credential.revoke` records (signed, through `POST /v1/log/entries`).
//! After each change the log writes `identity/registry.root` itself. The
//! registries are a [`RegistryBook`] replayed from the log (with the land
//! records that change title registries: [`Registries`]), so every process
//! sharing a database derives the same state.

use std::path::PathBuf;
use std::sync::Arc;

use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use zkaudit_ledger::identity::{
    CIRCUIT_KEY, CLAIM, CREDENTIAL_ISSUE, CREDENTIAL_REVOKE, CircuitKey, CredentialRevoke, DOMAIN,
    IdentityError, REGISTRY_CREATE, REGISTRY_ROOT, RegistryBook, RegistrySpec, SCOPE_CREATE,
    ScopeSpec,
};
use zkaudit_ledger::record::Record;
use zkaudit_ledger::registries::Registries;
use zkaudit_ledger::replay::Replayed;
use zkaudit_ledger::sequencer::Pending;

use super::{Authorisation, Domain};
use crate::server::error::{ApiError, ApiResult, Refusal};
use crate::server::state::AppState;

mod board;
pub mod claims;
pub mod keys;
mod routes;
pub mod views;

pub use views::{
    ClaimBody, KeyView, MemberPath, MembersPage, PredicateView, RegistryView, ScopeView,
};

/// Topic of every identity record (and land record), in log order.
pub const TOPIC_ALL: &[u8] = b"identity";

/// The identity domain: replayed registries and the circuit keys.
pub struct IdentityDomain {
    book: Replayed<Registries>,
    keys: keys::ShapeKeys,
}

impl IdentityDomain {
    /// The domain, with circuit keys kept in `key_dir` (development keys
    /// made and accepted only if `allow_development`).
    pub fn new(key_dir: PathBuf, allow_development: bool) -> Self {
        Self {
            book: Replayed::new(),
            keys: keys::ShapeKeys::new(key_dir, allow_development),
        }
    }

    /// The circuit keys.
    pub fn keys(&self) -> &keys::ShapeKeys {
        &self.keys
    }

    /// Brings the registries up to date with the log and runs `f` on them.
    /// Blocking: reads the store.
    pub fn with_book<T>(
        &self,
        state: &AppState,
        f: impl FnOnce(&RegistryBook) -> ApiResult<T>,
    ) -> ApiResult<T> {
        self.with_registries(state, |registries| f(registries.identity()))
    }

    /// [`with_book`](Self::with_book) with the land titles too.
    pub fn with_registries<T>(
        &self,
        state: &AppState,
        f: impl FnOnce(&Registries) -> ApiResult<T>,
    ) -> ApiResult<T> {
        let log_key = state.log_signer().public_key();
        self.book.with(
            &**state.sequencer().store(),
            TOPIC_ALL,
            || Registries::new(log_key),
            f,
        )
    }
}

/// How an identity rule's refusal answers.
impl Refusal for IdentityError {
    fn status_code(&self) -> Option<(StatusCode, &'static str)> {
        Some(match self {
            IdentityError::UnknownRegistry(_) | IdentityError::NoSuchCredential { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "unknown_target")
            }
            IdentityError::UnknownScope(_) => (StatusCode::NOT_FOUND, "not_found"),
            IdentityError::NotIssuer(_) => (StatusCode::FORBIDDEN, "not_issuer"),
            IdentityError::RegistryExists(_) | IdentityError::ScopeExists(_) => {
                (StatusCode::CONFLICT, "already_used")
            }
            IdentityError::KeyNotLogged { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "key_not_logged")
            }
            _ => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_payload"),
        })
    }
}

impl Domain for IdentityDomain {
    fn name(&self) -> &'static str {
        DOMAIN
    }

    fn authorisation(&self, kind: &str) -> Option<Authorisation> {
        match kind {
            REGISTRY_CREATE | CREDENTIAL_ISSUE | CREDENTIAL_REVOKE | SCOPE_CREATE => {
                Some(Authorisation::Authority)
            }
            REGISTRY_ROOT | CIRCUIT_KEY => Some(Authorisation::LogOnly),
            CLAIM => Some(Authorisation::Proof),
            _ => None,
        }
    }

    fn statement_key(&self, record: &Record) -> Option<zkaudit_ledger::store::UniqueKey> {
        let claim = (record.kind() == CLAIM)
            .then(|| zkaudit_ledger::identity::Claim::decode(record.payload()).ok())
            .flatten()?;
        Some(zkaudit_ledger::store::UniqueKey {
            namespace: "identity/nullifier".into(),
            key: claim.unique_key(),
        })
    }

    fn admit(&self, record: &Record, state: &AppState) -> ApiResult<Pending> {
        if record.kind() == CLAIM {
            return self.admit_claim(record, state);
        }
        let registry = self.with_book(state, |book| book.check(record).map_err(ApiError::from))?;
        let mut pending = Pending::new(record)
            .topic(TOPIC_ALL.to_vec())
            .topic(registry_topic(&registry));
        match record.kind() {
            REGISTRY_CREATE => pending = pending.unique("identity/registry", registry.as_bytes()),
            SCOPE_CREATE => {
                let scope = ScopeSpec::decode(record.payload()).map_err(ApiError::from)?;
                pending = pending.unique("identity/scope", scope.id.into_bytes());
            }
            CREDENTIAL_REVOKE => {
                let revoke = CredentialRevoke::decode(record.payload()).map_err(ApiError::from)?;
                let mut key = registry.into_bytes();
                key.extend_from_slice(&revoke.leaf_index.to_be_bytes());
                pending = pending.unique("identity/revoked", key);
            }
            _ => {}
        }
        Ok(pending)
    }

    fn after_commit(
        &self,
        record: &Record,
        _index: u64,
        state: &AppState,
    ) -> ApiResult<Vec<Pending>> {
        let mut follow_ups = Vec::new();
        if record.kind() == REGISTRY_CREATE {
            follow_ups.extend(self.key_record_if_missing(record, state)?);
        }
        follow_ups.extend(self.root_follow_ups(state)?);
        Ok(follow_ups)
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

impl IdentityDomain {
    /// The `registry.root` records the log owes after registry changes
    /// (also after land records, which change title registries).
    pub fn root_follow_ups(&self, state: &AppState) -> ApiResult<Vec<Pending>> {
        let mut follow_ups = Vec::new();
        let roots = self.with_book(state, |book| Ok(book.pending_roots()))?;
        for root in roots {
            let record = state.log_record(DOMAIN, REGISTRY_ROOT, root.encode())?;
            let mut version_key = root.registry.clone().into_bytes();
            version_key.extend_from_slice(&root.version.to_be_bytes());
            follow_ups.push(
                Pending::new(&record)
                    .topic(TOPIC_ALL.to_vec())
                    .topic(registry_topic(&root.registry))
                    .topic(registry_roots_topic(&root.registry))
                    .unique("identity/root", version_key),
            );
        }
        Ok(follow_ups)
    }

    /// The `circuit.key` record for a new registry's shape, made (with keys)
    /// if the log has none for that shape yet. Blocking; slow the first time.
    fn key_record_if_missing(
        &self,
        record: &Record,
        state: &AppState,
    ) -> ApiResult<Option<Pending>> {
        let spec = RegistrySpec::decode(record.payload()).map_err(ApiError::from)?;
        let shape = self.with_book(state, |book| {
            let registry = book
                .get(&spec.id)
                .ok_or_else(|| ApiError::internal("registry vanished after commit"))?;
            let shape = book.shape_of(registry).map_err(ApiError::from)?;
            Ok(book.circuit_key(&shape.id()).is_none().then_some(shape))
        })?;
        let Some(shape) = shape else { return Ok(None) };
        let Some(key) = self.keys.record_payload(shape)? else {
            return Ok(None);
        };
        Ok(Some(circuit_key_entry(state, &key)?))
    }
}

/// The log's own `circuit.key` record of `key`, to integrate. The shape is
/// a unique key: the first key logged for a shape is its key for good.
pub fn circuit_key_entry(state: &AppState, key: &CircuitKey) -> ApiResult<Pending> {
    let record = state.log_record(DOMAIN, CIRCUIT_KEY, key.encode())?;
    Ok(Pending::new(&record)
        .topic(TOPIC_ALL.to_vec())
        .unique("identity/key", key.shape.clone().into_bytes()))
}

/// The topic of one registry's records.
pub fn registry_topic(registry: &str) -> Vec<u8> {
    format!("identity/registry/{registry}").into_bytes()
}

/// The topic of one registry's `registry.root` records (also in
/// [`registry_topic`]): what an election bundle needs to show each
/// ballot's root in the registry's window, without reading every issuance.
pub fn registry_roots_topic(registry: &str) -> Vec<u8> {
    format!("identity/roots/{registry}").into_bytes()
}
