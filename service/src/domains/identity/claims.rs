//! Eligibility claims: a verifier-side service (a benefits office) defines a
//! scope and its predicates; a citizen submits a proof; the log checks the
//! proof against the logged key, that the root is in the registry's accepted
//! window and that the nullifier is unused for the scope (atomically, in
//! the store), then logs the claim and returns a receipt.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zkaudit_circuits::eligibility::{EligibilityPublic, EligibilityShape, public_inputs};
use zkaudit_circuits::fr_from_decimal;
use zkaudit_ledger::codec::fr_to_bytes;
use zkaudit_ledger::identity::{CLAIM, Claim, DOMAIN, IdentityError, RegistryBook, ScopeSpec};
use zkaudit_ledger::record::Record;
use zkaudit_ledger::sequencer::Pending;
use zkaudit_verifier::Receipt;
use zkaudit_verifier::claim::{CLAIM_BUNDLE_FORMAT, ClaimBundle, ClaimIndices};
use zkaudit_verifier::groth16;

use super::{IdentityDomain, TOPIC_ALL, book, refused};
use crate::server::log_access::build_evidence;
use crate::clock::now_ms;
use crate::server::error::{ApiError, ApiResult, AppJson, AppPath, ErrorBody};
use crate::server::state::AppState;

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

impl ClaimBody {
    /// Parses strictly into a claim payload (the key digest is filled in by
    /// the verifier from the logged key).
    pub fn to_claim(&self, vk_digest: [u8; 32]) -> ApiResult<Claim> {
        let field = |what: &'static str, s: &str| {
            fr_from_decimal(s).map(|f| fr_to_bytes(&f)).map_err(|_| {
                ApiError::bad_request(
                    "malformed_claim",
                    format!("{what} is not a canonical field element"),
                )
            })
        };
        let message = BASE64
            .decode(&self.message)
            .map_err(|_| ApiError::bad_request("malformed_claim", "message is not base64"))?;
        let proof = BASE64
            .decode(&self.proof)
            .map_err(|_| ApiError::bad_request("malformed_claim", "proof is not base64"))?;
        Ok(Claim {
            scope: self.scope.clone(),
            root: field("root", &self.root)?,
            nullifier: field("nullifier", &self.nullifier)?,
            message,
            vk_digest,
            proof,
        })
    }
}

/// The public statement a claim proves, rebuilt from the log's own records
/// with the offline verifier's builder.
pub fn claim_statement(
    book: &RegistryBook,
    claim: &Claim,
) -> ApiResult<(EligibilityPublic, ScopeSpec)> {
    let (scope, shape) = scope_and_shape(book, &claim.scope)?;
    let public = zkaudit_verifier::claim::claim_statement(shape, scope, claim).map_err(refused)?;
    Ok((public, scope.clone()))
}

/// A scope and the circuit shape its registry's proofs use.
fn scope_and_shape<'a>(
    book: &'a RegistryBook,
    scope_id: &str,
) -> ApiResult<(&'a ScopeSpec, EligibilityShape)> {
    let scope = book
        .scope(scope_id)
        .ok_or_else(|| ApiError::not_found(format!("no scope {scope_id:?}")))?;
    let registry = book
        .get(&scope.registry)
        .ok_or_else(|| refused(IdentityError::UnknownRegistry(scope.registry.clone())))?;
    Ok((scope, book.shape_of(registry).map_err(refused)?))
}

impl IdentityDomain {
    /// Verifies a claim record and turns it into its log entry. Blocking.
    pub(super) fn admit_claim(&self, record: &Record, state: &AppState) -> ApiResult<Pending> {
        let claim = Claim::decode(record.payload())
            .map_err(|e| ApiError::bad_request("malformed_claim", e.to_string()))?;
        self.with_book(state, |book| {
            let (public, scope) = claim_statement(book, &claim)?;
            let registry = book.get(&scope.registry).expect("checked by claim_statement");
            if !registry.accepts(&public.root, now_ms()) {
                return Err(ApiError::unprocessable(
                    "stale_root",
                    format!(
                        "the proof's root is not in registry {:?}'s accepted window (revoked credentials take effect this way); prove again against the current root",
                        scope.registry
                    ),
                ));
            }
            let key = self.keys.logged(book, public.shape)?;
            if key.digest() != claim.vk_digest {
                return Err(ApiError::unprocessable(
                    "wrong_key",
                    "the claim names a verifying key other than the logged one",
                ));
            }
            let proof = groth16::decode_proof(&claim.proof)
                .map_err(|e| ApiError::bad_request("malformed_proof", e.to_string()))?;
            groth16::verify(&key, &public_inputs(&public), &proof).map_err(|_| {
                ApiError::unprocessable(
                    "invalid_proof",
                    "the proof does not verify for this scope, root, nullifier and message",
                )
            })?;
            Ok(())
        })?;
        Ok(Pending::new(record)
            .topic(TOPIC_ALL.to_vec())
            .topic(format!("identity/claims/{}", claim.scope).into_bytes())
            .unique("identity/nullifier", claim.unique_key()))
    }
}

#[utoipa::path(post, path = "/v1/identity/claims", tag = "identity", request_body = ClaimBody,
    responses(
        (status = 201, description = "Claim verified and logged", body = Receipt),
        (status = 400, description = "Malformed claim or proof encoding", body = ErrorBody),
        (status = 404, description = "Unknown scope", body = ErrorBody),
        (status = 409, description = "This identity already claimed in this scope", body = ErrorBody),
        (status = 422, description = "Invalid proof, stale root or wrong key", body = ErrorBody),
    ))]
pub(super) async fn submit_claim(
    State(state): State<AppState>,
    AppJson(body): AppJson<ClaimBody>,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    let scope = body.scope.clone();
    let digest = book(&state, move |state, book| {
        let (_, shape) = scope_and_shape(book, &scope)?;
        let domain = state
            .domain::<IdentityDomain>()
            .ok_or_else(|| ApiError::internal("identity domain not served"))?;
        Ok(domain.keys.logged(book, shape)?.digest())
    })
    .await?;
    let claim = body.to_claim(digest)?;
    let record = Record::unsigned(DOMAIN, CLAIM, now_ms(), claim.encode())
        .map_err(|e| ApiError::bad_request("malformed_claim", e.to_string()))?;
    let accepted = state.submit(&record).await?;
    let receipt = crate::server::log_access::receipt(&state, &record, accepted)?;
    Ok((StatusCode::CREATED, Json(receipt)))
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

fn scope_view(book: &RegistryBook, scope: &ScopeSpec) -> ApiResult<ScopeView> {
    let registry = book
        .get(&scope.registry)
        .ok_or_else(|| refused(IdentityError::UnknownRegistry(scope.registry.clone())))?;
    Ok(ScopeView {
        id: scope.id.clone(),
        title: scope.title.clone(),
        registry: scope.registry.clone(),
        scope_field: scope.scope_field().to_string(),
        predicates: predicate_views(&scope.predicates, &registry.spec.attributes),
        shape: book.shape_of(registry).map_err(refused)?.id(),
    })
}

#[utoipa::path(get, path = "/v1/identity/scopes", tag = "identity",
    responses((status = 200, body = [ScopeView])))]
pub(super) async fn list_scopes(State(state): State<AppState>) -> ApiResult<Json<Vec<ScopeView>>> {
    let views = book(&state, |_, book| {
        book.scopes().map(|s| scope_view(book, s)).collect()
    })
    .await?;
    Ok(Json(views))
}

#[utoipa::path(get, path = "/v1/identity/scopes/{id}", tag = "identity",
    params(("id" = String, Path, description = "Scope id")),
    responses((status = 200, body = ScopeView), (status = 404, body = ErrorBody)))]
pub(super) async fn get_scope(
    State(state): State<AppState>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Json<ScopeView>> {
    let view = book(&state, move |_, book| {
        let scope = book
            .scope(&id)
            .ok_or_else(|| ApiError::not_found(format!("no scope {id:?}")))?;
        scope_view(book, scope)
    })
    .await?;
    Ok(Json(view))
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
    /// Log index of the `identity/circuit.key` record.
    pub record_index: u64,
}

#[utoipa::path(get, path = "/v1/identity/keys/{shape}", tag = "identity",
    params(("shape" = String, Path, description = "Circuit shape id, e.g. eligibility-d20-a3")),
    responses((status = 200, body = KeyView), (status = 404, body = ErrorBody)))]
pub(super) async fn get_key(
    State(state): State<AppState>,
    AppPath(shape): AppPath<String>,
) -> ApiResult<Json<KeyView>> {
    let view = book(&state, move |_, book| {
        let (key, index) = book
            .circuit_key(&shape)
            .ok_or_else(|| ApiError::not_found(format!("no key is logged for {shape:?}")))?;
        Ok(KeyView {
            shape: key.shape.clone(),
            vk_digest: hex::encode(key.vk_digest),
            vk: BASE64.encode(&key.vk),
            development: key.development,
            record_index: *index,
        })
    })
    .await?;
    Ok(Json(view))
}

#[utoipa::path(get, path = "/v1/identity/keys/{shape}/proving-key", tag = "identity",
    params(("shape" = String, Path, description = "Circuit shape id")),
    responses((status = 200, description = "The proving key (arkworks uncompressed); check its verifying key against the logged digest", content_type = "application/octet-stream"),
        (status = 404, body = ErrorBody)))]
pub(super) async fn get_proving_key(
    State(state): State<AppState>,
    AppPath(shape): AppPath<String>,
) -> ApiResult<impl IntoResponse> {
    let bytes = book(&state, move |state, book| {
        let registry = book
            .registries()
            .find(|r| book.shape_of(r).is_ok_and(|s| s.id() == shape))
            .ok_or_else(|| ApiError::not_found(format!("no registry uses shape {shape:?}")))?;
        let shape = book.shape_of(registry).map_err(refused)?;
        let domain = state
            .domain::<IdentityDomain>()
            .ok_or_else(|| ApiError::internal("identity domain not served"))?;
        let path = domain.keys.proving_key_path(shape)?;
        std::fs::read(path).map_err(ApiError::internal)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes))
}

#[utoipa::path(get, path = "/v1/identity/claims/{index}/bundle", tag = "identity",
    params(("index" = u64, Path, description = "Log index of the claim")),
    responses((status = 200, body = ClaimBundle, description = "The claim and its statement's records with inclusion proofs; check with `zkaudit verify`"),
        (status = 404, body = ErrorBody)))]
pub(super) async fn claim_bundle(
    State(state): State<AppState>,
    AppPath(index): AppPath<u64>,
) -> ApiResult<Json<ClaimBundle>> {
    let entry = crate::server::log_access::load_entry(&state, index).await?;
    let record = Record::decode(&entry.leaf).map_err(ApiError::internal)?;
    if record.domain() != DOMAIN || record.kind() != CLAIM {
        return Err(ApiError::not_found(format!("entry {index} is not a claim")));
    }
    let claim = Claim::decode(record.payload()).map_err(ApiError::internal)?;
    let bundle = book(&state, move |state, book| {
        let missing = |what: &str| {
            ApiError::internal(format!("the claim's {what} is not in the registry book"))
        };
        let (scope, shape) = scope_and_shape(book, &claim.scope)?;
        let registry = book
            .get(&scope.registry)
            .ok_or_else(|| missing("registry"))?;
        let indices = ClaimIndices {
            claim: index,
            scope: book
                .scope_index(&scope.id)
                .ok_or_else(|| missing("scope"))?,
            registry: registry.created_at,
            root: registry
                .root_record(&claim.root)
                .ok_or_else(|| missing("root"))?,
            circuit_key: book
                .circuit_key(&shape.id())
                .ok_or_else(|| missing("key"))?
                .1,
            authority_set: authority_set_before(
                state,
                registry
                    .created_at
                    .min(book.scope_index(&scope.id).unwrap_or(0)),
            )?,
        };
        let evidence = build_evidence(
            state,
            vec![
                indices.claim,
                indices.scope,
                indices.registry,
                indices.root,
                indices.circuit_key,
                indices.authority_set,
            ],
        )?;
        Ok(ClaimBundle {
            format: CLAIM_BUNDLE_FORMAT.to_owned(),
            indices,
            evidence,
        })
    })
    .await?;
    Ok(Json(bundle))
}

/// Index of the last `ledger/authority-set` record logged before `before`.
pub(crate) fn authority_set_before(state: &AppState, before: u64) -> ApiResult<u64> {
    let store = state.sequencer().store();
    let (mut last, mut after) = (None, 0);
    loop {
        let page = store
            .topic(b"ledger/authority-set", after, 1000)
            .map_err(ApiError::internal)?;
        let earlier: Vec<u64> = page.iter().copied().filter(|&i| i < before).collect();
        if let Some(&i) = earlier.last() {
            last = Some(i);
        }
        match page.last() {
            Some(&end) if end < before && page.len() == 1000 => after = end + 1,
            _ => break,
        }
    }
    last.ok_or_else(|| ApiError::internal("no authority set was logged before the registry"))
}
