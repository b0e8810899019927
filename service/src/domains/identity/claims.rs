//! Eligibility claims: a verifier-side service (a benefits office) defines a
//! scope and its predicates; a citizen submits a proof; the log checks the
//! proof against the logged key, that the root is in the registry's accepted
//! window and that the nullifier is unused for the scope (atomically, in
//! the store), then logs the claim and returns a receipt.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use zkaudit_circuits::eligibility::{EligibilityPublic, EligibilityShape, public_inputs};
use zkaudit_circuits::fr_from_decimal;
use zkaudit_ledger::codec::fr_to_bytes;
use zkaudit_ledger::identity::{Claim, IdentityError, RegistryBook, ScopeSpec};
use zkaudit_ledger::record::Record;
use zkaudit_ledger::sequencer::Pending;
use zkaudit_verifier::groth16;

use super::views::ClaimBody;
use super::{IdentityDomain, TOPIC_ALL};
use crate::clock::now_ms;
use crate::server::error::{ApiError, ApiResult};
use crate::server::state::AppState;

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
    let public =
        zkaudit_verifier::claim::claim_statement(shape, scope, claim).map_err(ApiError::from)?;
    Ok((public, scope.clone()))
}

/// A scope and the circuit shape its registry's proofs use.
pub(super) fn scope_and_shape<'a>(
    book: &'a RegistryBook,
    scope_id: &str,
) -> ApiResult<(&'a ScopeSpec, EligibilityShape)> {
    let scope = book
        .scope(scope_id)
        .ok_or_else(|| ApiError::not_found(format!("no scope {scope_id:?}")))?;
    let registry = book
        .get(&scope.registry)
        .ok_or_else(|| ApiError::from(IdentityError::UnknownRegistry(scope.registry.clone())))?;
    Ok((scope, book.shape_of(registry).map_err(ApiError::from)?))
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
