//! Claim bundles: an eligibility claim and everything needed to re-check
//! its proof offline.
//!
//! A claim's receipt shows the claim was logged; it does not show that the
//! proof in it is valid. A [`ClaimBundle`] adds the records the proof's
//! statement is made of — the scope and its predicates, the registry and
//! its schema, the logged root the proof used, the logged verifying key and
//! the authority set that allowed the issuer and the verifier service to
//! write — all with inclusion proofs against one signed checkpoint.
//! [`ClaimBundle::verify`] rebuilds the public statement from those records
//! alone ([`claim_statement`], the service's own builder) and verifies the
//! Groth16 proof, so a reader need trust neither the
//! service nor the claimant.
//!
//! What a bundle cannot show on its own: that the root was still inside the
//! registry's accepted window when the claim was logged (that needs every
//! registry change in between; a mirror of the log has them). It does show
//! the root was logged by the log before the claim.

use serde::{Deserialize, Serialize};
use zkaudit_circuits::eligibility::{EligibilityShape, public_inputs};
use zkaudit_ledger::identity::{
    CIRCUIT_KEY, CLAIM, CircuitKey, Claim, DOMAIN, REGISTRY_CREATE, REGISTRY_ROOT, RegistryRoot,
    RegistrySpec, SCOPE_CREATE, ScopeSpec,
};
use zkaudit_ledger::record::{Author, Record};

use crate::error::{ensure, expect_format, malformed_as};
use crate::evidence::{LogEvidence, VerifiedEvidence, granted};
use crate::groth16::{self, PreparedKey};
use crate::{Result, VerifyError};

mod statement;

pub use statement::claim_statement;

/// Format tag of claim bundles.
pub const CLAIM_BUNDLE_FORMAT: &str = "zkaudit-claim-bundle/v1";

/// Where each record of a claim's statement sits in the log.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClaimIndices {
    /// The `identity/claim` record.
    pub claim: u64,
    /// The `identity/scope.create` record of the claim's scope.
    pub scope: u64,
    /// The `identity/registry.create` record of the scope's registry.
    pub registry: u64,
    /// The `identity/registry.root` record of the root the proof uses.
    pub root: u64,
    /// The `identity/circuit.key` record of the proof's verifying key.
    pub circuit_key: u64,
    /// The `ledger/authority-set` record in force when the registry and
    /// the scope were created.
    pub authority_set: u64,
}

/// A claim and its statement's records, with log proofs (JSON).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClaimBundle {
    /// Always [`CLAIM_BUNDLE_FORMAT`].
    pub format: String,
    /// Which entry is which.
    pub indices: ClaimIndices,
    /// The records, with inclusion proofs against one checkpoint.
    pub evidence: LogEvidence,
}

/// What a verified claim bundle establishes.
#[derive(Clone, Debug)]
pub struct ClaimReport {
    /// The claim's log index.
    pub index: u64,
    /// The scope claimed.
    pub scope: String,
    /// The registry whose credential was used.
    pub registry: String,
    /// Names of the authorities that created the registry and the scope.
    pub issuer: String,
    /// Name of the authority that created the scope.
    pub scope_owner: String,
    /// The registry version whose root the proof used.
    pub root_version: u64,
    /// Nullifier, hex of its canonical bytes.
    pub nullifier: String,
    /// The request bound into the proof.
    pub message: Vec<u8>,
    /// The verifying key's digest, hex.
    pub vk_digest: String,
    /// Whether that key comes from a development setup.
    pub development_key: bool,
    /// The ceremony on the log that made the key, if one did.
    pub key_ceremony: Option<zkaudit_ledger::identity::KeyCeremony>,
    /// Size of the checkpoint everything is proven against.
    pub checkpoint_size: u64,
}

impl ClaimBundle {
    /// Verifies the bundle against the log's verifier key: log evidence,
    /// that each record is what the statement needs, that the registry and
    /// scope were written by authorities granted to, and the Groth16 proof
    /// of the statement rebuilt from those records.
    pub fn verify(&self, log_vkey: &str) -> Result<ClaimReport> {
        expect_format(&self.format, CLAIM_BUNDLE_FORMAT)?;
        let evidence = self.evidence.verify(log_vkey)?;
        let at = self.indices;

        let claim_record = evidence.record_of_kind(at.claim, DOMAIN, CLAIM, "claim")?;
        let claim = Claim::decode(claim_record.payload()).map_err(malformed_as("claim"))?;
        let scope_record = evidence.record_of_kind(at.scope, DOMAIN, SCOPE_CREATE, "scope")?;
        let scope = ScopeSpec::decode(scope_record.payload()).map_err(malformed_as("scope"))?;
        let registry_record =
            evidence.record_of_kind(at.registry, DOMAIN, REGISTRY_CREATE, "registry")?;
        let registry =
            RegistrySpec::decode(registry_record.payload()).map_err(malformed_as("registry"))?;
        let root = RegistryRoot::decode(
            evidence
                .log_record(at.root, DOMAIN, REGISTRY_ROOT, "registry root")?
                .payload(),
        )
        .map_err(malformed_as("registry root"))?;
        let key = CircuitKey::decode(
            evidence
                .log_record(at.circuit_key, DOMAIN, CIRCUIT_KEY, "circuit key")?
                .payload(),
        )
        .map_err(malformed_as("circuit key"))?;

        ensure(claim.scope == scope.id, || {
            format!(
                "the claim is for scope {:?}, the bundle's scope is {:?}",
                claim.scope, scope.id
            )
        })?;
        ensure(scope.registry == registry.id, || {
            format!(
                "scope {:?} names registry {:?}, the bundle's registry is {:?}",
                scope.id, scope.registry, registry.id
            )
        })?;
        ensure(
            root.registry == registry.id && root.root == claim.root,
            || "the logged root in the bundle is not the root the claim's proof uses".into(),
        )?;
        for (what, index) in [
            ("registry", at.registry),
            ("scope", at.scope),
            ("registry root", at.root),
            ("circuit key", at.circuit_key),
        ] {
            ensure(index < at.claim, || {
                format!("the {what} (entry {index}) was logged after the claim")
            })?;
        }

        let (issuer, scope_owner) = check_authors(&evidence, at, registry_record, scope_record)?;

        let shape = EligibilityShape::new(registry.depth as usize, registry.attributes.len())
            .map_err(|e| VerifyError::Mismatch(format!("registry shape: {e}")))?;
        ensure(key.shape == shape.id(), || {
            format!(
                "the circuit key is for {:?}, registry {:?} proves with {}",
                key.shape, registry.id, shape
            )
        })?;
        let vk = groth16::decode_vk(&key.vk)?;
        let prepared = PreparedKey::new(vk)?;
        ensure(
            prepared.digest() == key.vk_digest && key.vk_digest == claim.vk_digest,
            || "the claim, the logged key record and the key's own digest disagree".into(),
        )?;
        if let Some(named) = &scope.circuit_key {
            ensure(*named == key.vk_digest && !key.development, || {
                format!(
                    "scope {:?} names key {}, the claim proves under {}",
                    scope.id,
                    hex::encode(named),
                    hex::encode(key.vk_digest)
                )
            })?;
        }
        let public = claim_statement(shape, &scope, &claim).map_err(malformed_as("claim"))?;
        let proof = groth16::decode_proof(&claim.proof)?;
        groth16::verify(&prepared, &public_inputs(&public), &proof)?;

        Ok(ClaimReport {
            index: at.claim,
            scope: scope.id,
            registry: registry.id,
            issuer,
            scope_owner,
            root_version: root.version,
            nullifier: hex::encode(claim.nullifier),
            message: claim.message,
            vk_digest: hex::encode(key.vk_digest),
            development_key: key.development,
            key_ceremony: key.ceremony.clone(),
            checkpoint_size: evidence.checkpoint.size,
        })
    }
}

/// Checks the registry and the scope were written by authorities the
/// logged authority set (logged before both) grants those kinds to;
/// returns their names.
fn check_authors(
    evidence: &VerifiedEvidence,
    at: ClaimIndices,
    registry_record: &Record,
    scope_record: &Record,
) -> Result<(String, String)> {
    ensure(at.authority_set < at.registry.min(at.scope), || {
        "the authority set in the bundle was logged after the registry or the scope".into()
    })?;
    let set = evidence.authority_set(at.authority_set)?;
    let name_of = |record: &Record, what: &str| -> Result<String> {
        let Author::Ed25519(key) = record.author() else {
            return Err(VerifyError::Mismatch(format!("the {what} is unsigned")));
        };
        let who = format!("the {what}'s author");
        let authority = granted(&set, &key, record.domain(), record.kind(), &who)?;
        Ok(authority.name.clone())
    };
    Ok((
        name_of(registry_record, "registry")?,
        name_of(scope_record, "scope")?,
    ))
}
