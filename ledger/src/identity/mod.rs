//! The identity domain: credential registries, claim scopes and claims.
//!
//! An issuer (an authority) creates a registry with an attribute schema,
//! issues credentials by appending leaves `Poseidon(identity commitment,
//! attributes…)` to the registry's LeanIMT, and revokes by setting a leaf to
//! zero. Every change is a signed log record; after every change the log
//! itself logs the registry's new root (`identity/registry.root`), so a
//! verifier can check that the root a proof uses is genuine.
//!
//! Registries are *derived state*: [`RegistryBook`] replays the identity
//! records in log order, so every process sharing the log — and any offline
//! verifier with the entries — computes the same trees, versions and roots.
//! The accepted-root window (the roots of the last N changes, or of the last
//! T seconds) is how revocation takes effect for proofs.
//!
//! Domains built on identity issue credentials into its registries too (a
//! land title is a credential in a title registry): their records carry a
//! [`CredentialChange`] that the book checks and applies with
//! [`RegistryBook::apply_credential_change`]. Identity knows nothing of
//! those domains; whoever replays both (see [`crate::registries`]) feeds the
//! changes in.
//!
//! The folder holds the payloads and their codecs (`records`), the error
//! (`error`), the replayed registries (`book`) and the tests.

mod book;
mod error;
mod records;

pub use book::{CredentialChange, LoggedRoot, Registry, RegistryBook, eligibility_shape};
pub use error::{IdentityError, IdentityResult};
pub use records::{
    CircuitKey, Claim, CredentialIssue, CredentialRevoke, KeyCeremony, ROOT_HISTORY, RegistryRoot,
    RegistrySpec, ScopeSpec, claim_message_field, scope_field,
};

/// The domain name.
pub const DOMAIN: &str = "identity";
/// Kind: an issuer creates a registry.
pub const REGISTRY_CREATE: &str = "registry.create";
/// Kind: an issuer appends a credential leaf.
pub const CREDENTIAL_ISSUE: &str = "credential.issue";
/// Kind: an issuer sets a credential leaf to zero.
pub const CREDENTIAL_REVOKE: &str = "credential.revoke";
/// Kind: the log records a registry's root after a change.
pub const REGISTRY_ROOT: &str = "registry.root";
/// Kind: a verifier (e.g. a benefits office) defines a claim scope and its predicates.
pub const SCOPE_CREATE: &str = "scope.create";
/// Kind: the log records a circuit's verifying key and its SHA3-256 digest.
pub const CIRCUIT_KEY: &str = "circuit.key";
/// Kind: a citizen's eligibility claim (authorised by its proof).
pub const CLAIM: &str = "claim";
/// Largest request message a claim binds.
pub const MAX_MESSAGE: usize = 1024;
/// Largest encoded verifying key.
pub const MAX_VK: usize = 4096;

/// Most attributes a credential may carry.
pub const MAX_ATTRIBUTES: usize = 8;
/// Deepest registry tree a circuit may be built for.
pub const MAX_DEPTH: u8 = 32;
/// Longest title, in bytes.
const MAX_TEXT: usize = 256;

#[cfg(test)]
mod tests;
