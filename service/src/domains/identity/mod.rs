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

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zkaudit_circuits::Fr;
use zkaudit_ledger::identity::{
    CIRCUIT_KEY, CLAIM, CREDENTIAL_ISSUE, CREDENTIAL_REVOKE, CredentialRevoke, DOMAIN,
    IdentityError, REGISTRY_CREATE, REGISTRY_ROOT, Registry, RegistryBook, RegistrySpec,
    SCOPE_CREATE, ScopeSpec,
};
use zkaudit_ledger::record::Record;
use zkaudit_ledger::registries::Registries;
use zkaudit_ledger::replay::Replayed;
use zkaudit_ledger::sequencer::Pending;

use super::{Authorisation, Domain};
use crate::clock::now_ms;
use crate::server::error::{ApiError, ApiResult, AppPath, AppQuery, ErrorBody};
use crate::server::blocking::blocking_api;
use crate::server::state::AppState;

pub mod claims;
pub use claims::{ClaimBody, KeyView, ScopeView};
pub mod keys;

/// Topic of every identity record (and land record), in log order.
pub const TOPIC_ALL: &[u8] = b"identity";

/// The identity domain: replayed registries and the circuit keys.
pub struct IdentityDomain {
    book: Replayed<Registries>,
    keys: keys::ShapeKeys,
}

impl IdentityDomain {
    /// The domain, with circuit keys kept in `key_dir`.
    pub fn new(key_dir: PathBuf) -> Self {
        Self {
            book: Replayed::new(),
            keys: keys::ShapeKeys::new(key_dir),
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

/// An identity rule's refusal as an API error.
pub fn refused(e: IdentityError) -> ApiError {
    match e {
        IdentityError::UnknownRegistry(_) | IdentityError::NoSuchCredential { .. } => {
            ApiError::unprocessable("unknown_target", e.to_string())
        }
        IdentityError::UnknownScope(_) => ApiError::not_found(e.to_string()),
        IdentityError::NotIssuer(_) => ApiError::forbidden("not_issuer", e.to_string()),
        IdentityError::RegistryExists(_) | IdentityError::ScopeExists(_) => {
            ApiError::conflict("already_used", e.to_string())
        }
        _ => ApiError::unprocessable("invalid_payload", e.to_string()),
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

    fn admit(&self, record: &Record, state: &AppState) -> ApiResult<Pending> {
        if record.kind() == CLAIM {
            return self.admit_claim(record, state);
        }
        let registry = self.with_book(state, |book| book.check(record).map_err(refused))?;
        let mut pending = Pending::new(record)
            .topic(TOPIC_ALL.to_vec())
            .topic(registry_topic(&registry));
        match record.kind() {
            REGISTRY_CREATE => pending = pending.unique("identity/registry", registry.as_bytes()),
            SCOPE_CREATE => {
                let scope = ScopeSpec::decode(record.payload()).map_err(refused)?;
                pending = pending.unique("identity/scope", scope.id.into_bytes());
            }
            CREDENTIAL_REVOKE => {
                let revoke = CredentialRevoke::decode(record.payload()).map_err(refused)?;
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

    fn routes(&self) -> OpenApiRouter<AppState> {
        OpenApiRouter::new()
            .routes(routes!(list_registries))
            .routes(routes!(get_registry))
            .routes(routes!(registry_members))
            .routes(routes!(member_path))
            .routes(routes!(claims::submit_claim))
            .routes(routes!(claims::claim_bundle))
            .routes(routes!(claims::list_scopes))
            .routes(routes!(claims::get_scope))
            .routes(routes!(claims::get_key))
            .routes(routes!(claims::get_proving_key))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl IdentityDomain {
    /// The `registry.root` records the log owes after registry changes
    /// (also after land records, which change title registries).
    pub fn root_follow_ups(&self, state: &AppState) -> ApiResult<Vec<Pending>> {
        let mut follow_ups = Vec::new();
        let roots = self.with_book(state, |book| Ok(book.pending_roots()))?;
        for root in roots {
            let record = Record::signed(
                DOMAIN,
                REGISTRY_ROOT,
                now_ms(),
                root.encode(),
                state.log_signer(),
            )
            .map_err(ApiError::internal)?;
            let mut version_key = root.registry.clone().into_bytes();
            version_key.extend_from_slice(&root.version.to_be_bytes());
            follow_ups.push(
                Pending::new(&record)
                    .topic(TOPIC_ALL.to_vec())
                    .topic(registry_topic(&root.registry))
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
        let spec = RegistrySpec::decode(record.payload()).map_err(refused)?;
        let shape = self.with_book(state, |book| {
            let registry = book
                .get(&spec.id)
                .ok_or_else(|| ApiError::internal("registry vanished after commit"))?;
            let shape = book.shape_of(registry).map_err(refused)?;
            Ok(book.circuit_key(&shape.id()).is_none().then_some(shape))
        })?;
        let Some(shape) = shape else { return Ok(None) };
        let key = self.keys.record_payload(shape)?;
        let record = Record::signed(
            DOMAIN,
            CIRCUIT_KEY,
            now_ms(),
            key.encode(),
            state.log_signer(),
        )
        .map_err(ApiError::internal)?;
        Ok(Some(
            Pending::new(&record)
                .topic(TOPIC_ALL.to_vec())
                .unique("identity/key", key.shape.into_bytes()),
        ))
    }
}

/// The topic of one registry's records.
pub fn registry_topic(registry: &str) -> Vec<u8> {
    format!("identity/registry/{registry}").into_bytes()
}

/// A registry as served.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct RegistryView {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Attribute names in leaf order.
    pub attributes: Vec<String>,
    /// Tree depth of its eligibility circuit.
    pub depth: u8,
    /// Issuer's Ed25519 key, hex.
    pub issuer_key: String,
    /// Issuer's authority name.
    pub issuer: Option<String>,
    /// Log index of its creation.
    pub created_at: u64,
    /// Leaves (revoked ones count, as zero).
    pub size: u64,
    /// Changes applied.
    pub version: u64,
    /// The latest logged root (decimal), which proofs should use.
    pub root: Option<String>,
    /// Log index of the record that logged that root.
    pub root_record_index: Option<u64>,
    /// Roots a proof may use now (decimal), newest last.
    pub accepted_roots: Vec<String>,
    /// Window: roots of this many latest changes…
    pub window_changes: u32,
    /// …or logged within this many seconds.
    pub window_secs: u64,
}

fn registry_view(state: &AppState, r: &Registry) -> RegistryView {
    let latest = r.latest_logged_root();
    RegistryView {
        id: r.spec.id.clone(),
        title: r.spec.title.clone(),
        attributes: r.spec.attributes.clone(),
        depth: r.spec.depth,
        issuer_key: hex::encode(r.issuer.as_bytes()),
        issuer: state
            .authorities()
            .by_key(&r.issuer)
            .map(|a| a.name.clone()),
        created_at: r.created_at,
        size: r.size(),
        version: r.version(),
        root: latest.map(|l| l.root.to_string()),
        root_record_index: latest.map(|l| l.record_index),
        accepted_roots: r
            .accepted_roots(now_ms())
            .iter()
            .map(|l| l.root.to_string())
            .collect(),
        window_changes: r.spec.window_changes,
        window_secs: r.spec.window_secs,
    }
}

/// A page of registry members.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct MembersPage {
    /// Index of the first leaf in `leaves`.
    pub start: u64,
    /// Leaves (decimal field elements; "0" for revoked).
    pub leaves: Vec<String>,
    /// Total leaves.
    pub size: u64,
    /// Registry version these leaves belong to.
    pub version: u64,
}

/// `?start=&limit=`.
#[derive(Deserialize, IntoParams)]
pub struct PageQuery {
    /// First leaf index (default 0).
    pub start: Option<u64>,
    /// Most leaves to return (default and maximum 100,000).
    pub limit: Option<u64>,
}

/// A member's Merkle path.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct MemberPath {
    /// Leaf index.
    pub index: u64,
    /// The leaf (decimal).
    pub leaf: String,
    /// The root the path leads to (decimal): the latest logged root.
    pub root: String,
    /// Registry version of that root.
    pub version: u64,
    /// LeanIMT siblings (decimal), only where a sibling exists.
    pub siblings: Vec<String>,
}

const MAX_PAGE: u64 = 100_000;

async fn book<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&AppState, &RegistryBook) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let state = state.clone();
    blocking_api(move || {
        let domain = state
            .domain::<IdentityDomain>()
            .ok_or_else(|| ApiError::internal("identity domain not served"))?;
        domain.with_book(&state, |book| f(&state, book))
    })
    .await
}

fn registry<'a>(book: &'a RegistryBook, id: &str) -> ApiResult<&'a Registry> {
    book.get(id)
        .ok_or_else(|| ApiError::not_found(format!("no registry {id:?}")))
}

#[utoipa::path(get, path = "/v1/identity/registries", tag = "identity",
    responses((status = 200, body = [RegistryView])))]
async fn list_registries(State(state): State<AppState>) -> ApiResult<Json<Vec<RegistryView>>> {
    let views = book(&state, |state, book| {
        Ok(book.registries().map(|r| registry_view(state, r)).collect())
    })
    .await?;
    Ok(Json(views))
}

#[utoipa::path(get, path = "/v1/identity/registries/{id}", tag = "identity",
    params(("id" = String, Path, description = "Registry id")),
    responses((status = 200, body = RegistryView), (status = 404, body = ErrorBody)))]
async fn get_registry(
    State(state): State<AppState>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<RegistryView>> {
    let view = book(&state, move |state, book| {
        Ok(registry_view(state, registry(book, &id)?))
    })
    .await?;
    Ok(Json(view))
}

#[utoipa::path(get, path = "/v1/identity/registries/{id}/members", tag = "identity",
    params(("id" = String, Path, description = "Registry id"), PageQuery),
    responses((status = 200, body = MembersPage), (status = 404, body = ErrorBody)))]
async fn registry_members(
    State(state): State<AppState>,
    AppPath(id): AppPath<String>,
    AppQuery(q): AppQuery<PageQuery>,
) -> ApiResult<Json<MembersPage>> {
    let page = book(&state, move |_, book| {
        let r = registry(book, &id)?;
        let start = q.start.unwrap_or(0).min(r.size());
        let limit = q.limit.unwrap_or(MAX_PAGE).min(MAX_PAGE);
        let end = start.saturating_add(limit).min(r.size());
        Ok(MembersPage {
            start,
            leaves: r.leaves()[start as usize..end as usize]
                .iter()
                .map(Fr::to_string)
                .collect(),
            size: r.size(),
            version: r.version(),
        })
    })
    .await?;
    Ok(Json(page))
}

#[utoipa::path(get, path = "/v1/identity/registries/{id}/members/{index}/path", tag = "identity",
    params(("id" = String, Path, description = "Registry id"), ("index" = u64, Path, description = "Leaf index")),
    responses((status = 200, body = MemberPath), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn member_path(
    State(state): State<AppState>,
    AppPath((id, index)): AppPath<(String, u64)>,
) -> ApiResult<Json<MemberPath>> {
    let path = book(&state, move |_, book| {
        let r = registry(book, &id)?;
        if !r.root_is_logged() {
            return Err(ApiError::conflict(
                "root_not_logged",
                "the registry's newest root is being logged; retry in a moment",
            ));
        }
        let proof = r
            .proof(index)
            .map_err(|e| ApiError::not_found(e.to_string()))?;
        Ok(MemberPath {
            index,
            leaf: proof.leaf.to_string(),
            root: proof.root.to_string(),
            version: r.version(),
            siblings: proof.siblings.iter().map(Fr::to_string).collect(),
        })
    })
    .await?;
    Ok(Json(path))
}
