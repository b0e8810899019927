//! The public statement an eligibility claim proves, rebuilt from logged
//! records alone.
//!
//! The service builds it to check a claim before logging it, and the
//! offline verifier to re-check a claim bundle: both call
//! [`claim_statement`], as both call
//! `zkaudit_ledger::election::ballot_statement` for ballots, so the two can
//! never disagree on what a claim proves.

use zkaudit_circuits::eligibility::{EligibilityPublic, EligibilityShape};
use zkaudit_ledger::codec::fr_from_bytes;
use zkaudit_ledger::identity::{Claim, IdentityResult, ScopeSpec, claim_message_field};

/// The public inputs of `claim`'s proof: `shape` (the circuit shape of the
/// scope's registry, from its depth and attribute count), the claim's root
/// and nullifier, the scope's field and predicates, and the claim's request
/// message bound to the scope.
///
/// The caller checks that `scope` is the claim's scope and `shape` its
/// registry's.
///
/// # Errors
///
/// [`NonCanonicalField`](zkaudit_ledger::identity::IdentityError::NonCanonicalField)
/// if the claim's root or nullifier is not a canonical field element.
pub fn claim_statement(
    shape: EligibilityShape,
    scope: &ScopeSpec,
    claim: &Claim,
) -> IdentityResult<EligibilityPublic> {
    Ok(EligibilityPublic {
        shape,
        root: fr_from_bytes("root", &claim.root)?,
        nullifier: fr_from_bytes("nullifier", &claim.nullifier)?,
        scope: scope.scope_field(),
        message: claim_message_field(&scope.id, &claim.message),
        predicates: scope.predicates.clone(),
    })
}
