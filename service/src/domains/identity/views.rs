//! The identity domain's serde view types: what its routes answer.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zkaudit_ledger::identity::{CircuitKey, IdentityError, Registry, RegistryBook, ScopeSpec};

use crate::clock::now_ms;
use crate::server::error::{ApiError, ApiResult};
use crate::server::state::AppState;

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

pub(super) fn registry_view(state: &AppState, r: &Registry) -> RegistryView {
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

/// Body of `POST /v1/identity/claims`.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimBody {
    /// The scope claimed.
    pub scope: String,
    /// Registry root the proof uses (decimal field element).
    pub root: String,
    /// Nullifier (decimal field element).
    pub nullifier: String,
    /// The request the proof is bound to, base64 (at most 1 KiB).
    pub message: String,
    /// Groth16 proof, compressed (128 bytes), base64.
    pub proof: String,
}

/// A scope as served.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ScopeView {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Registry.
    pub registry: String,
    /// The scope as a field element (decimal): what nullifiers hash.
    pub scope_field: String,
    /// Predicates, one per attribute: `[min, max, set or null]`.
    pub predicates: Vec<PredicateView>,
    /// Circuit shape id proofs use.
    pub shape: String,
    /// Claims the log holds for the scope.
    pub claims: u64,
}

/// One attribute's predicate.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct PredicateView {
    /// Attribute name.
    pub attribute: String,
    /// Smallest accepted value.
    pub min: u64,
    /// Largest accepted value.
    pub max: u64,
    /// Accepted values, if restricted to a set.
    pub set: Option<Vec<u64>>,
}

/// Predicates as served, named after the registry's attributes.
pub fn predicate_views(
    predicates: &[zkaudit_circuits::predicate::AttributePredicate],
    attributes: &[String],
) -> Vec<PredicateView> {
    predicates
        .iter()
        .zip(attributes)
        .map(|(p, name)| PredicateView {
            attribute: name.clone(),
            min: p.min,
            max: p.max,
            set: p.set.map(|s| s.to_vec()),
        })
        .collect()
}

pub(super) fn scope_view(book: &RegistryBook, scope: &ScopeSpec) -> ApiResult<ScopeView> {
    let registry = book
        .get(&scope.registry)
        .ok_or_else(|| ApiError::from(IdentityError::UnknownRegistry(scope.registry.clone())))?;
    Ok(ScopeView {
        id: scope.id.clone(),
        title: scope.title.clone(),
        registry: scope.registry.clone(),
        scope_field: scope.scope_field().to_string(),
        predicates: predicate_views(&scope.predicates, &registry.spec.attributes),
        shape: book.shape_of(registry).map_err(ApiError::from)?.id(),
        claims: book.claims_in(&scope.id),
    })
}

/// A logged verifying key.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct KeyView {
    /// Shape id.
    pub shape: String,
    /// SHA3-256 digest of the verifying key, hex.
    pub vk_digest: String,
    /// The verifying key (compressed arkworks bytes), base64.
    pub vk: String,
    /// Development keys (single-party setup)?
    pub development: bool,
    /// The ceremony on this log that made the key (`/v1/ceremony/ceremonies/{it}`).
    pub ceremony: Option<String>,
    /// How many contributors that ceremony had.
    pub ceremony_contributions: Option<u32>,
    /// Log index of the `identity/circuit.key` record.
    pub record_index: u64,
}

impl KeyView {
    /// The view of `key`, logged at `index`.
    pub fn of(key: &CircuitKey, index: u64) -> Self {
        use base64::Engine as _;
        Self {
            shape: key.shape.clone(),
            vk_digest: hex::encode(key.vk_digest),
            vk: base64::engine::general_purpose::STANDARD.encode(&key.vk),
            development: key.development,
            ceremony: key.ceremony.as_ref().map(|c| c.id.clone()),
            ceremony_contributions: key.ceremony.as_ref().map(|c| c.contributions),
            record_index: index,
        }
    }

    /// Where the key comes from, in words: a development setup (loudly), a
    /// ceremony on this log with its contributors, or an import.
    pub fn origin(&self) -> String {
        match (self.development, &self.ceremony) {
            (true, _) => "DEVELOPMENT setup (one party's: whoever ran it can forge proofs)".into(),
            (false, Some(ceremony)) => {
                let n = self.ceremony_contributions.unwrap_or(0);
                let plural = if n == 1 { "" } else { "s" };
                format!("ceremony {ceremony} on this log, {n} contributor{plural}")
            }
            (false, None) => "imported (its ceremony ran elsewhere)".into(),
        }
    }
}
