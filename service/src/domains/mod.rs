//! Domains: the record kinds each public service writes, and their routes.
//!
//! Adding a domain is adding a module here that implements [`Domain`] and
//! listing it in [`all`]: the core (log, queue, storage, generic append
//! route) never changes. A domain says, for each of its kinds, who may
//! write it ([`Authorisation`]) and turns an authorised record into a
//! [`Pending`] entry — checking its payload and deriving the uniqueness
//! claims (nullifiers, title versions) and topics the store enforces.

use std::sync::Arc;

use utoipa_axum::router::OpenApiRouter;
use zkaudit_ledger::record::Record;
use zkaudit_ledger::sequencer::Pending;
use zkaudit_ledger::store::UniqueKey;

use crate::server::error::ApiResult;
use crate::server::proof_batch::ProofBatcher;
use crate::server::state::AppState;

pub mod ceremony;
pub mod election;
pub mod funds;
pub mod health;
pub mod identity;
pub mod land;
pub mod ledger;

/// Who may write a record kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authorisation {
    /// Signed by a configured authority granted the kind.
    Authority,
    /// Unsigned; authorised by the zero-knowledge proof it carries, which
    /// the domain checks in [`Domain::admit`].
    Proof,
    /// Signed by a participant whose key the domain itself checks in
    /// [`Domain::admit`] (an election trustee, a parcel owner, a custodian):
    /// the core requires an author and a fresh timestamp; the signature was
    /// already verified when the record was decoded.
    Participant,
    /// Written by the log itself only; refused from clients.
    LogOnly,
}

/// One domain of the service.
pub trait Domain: Send + Sync + 'static {
    /// The record domain, e.g. `"identity"`.
    fn name(&self) -> &'static str;

    /// How `kind` is authorised, or `None` if the domain has no such kind.
    fn authorisation(&self, kind: &str) -> Option<Authorisation>;

    /// Checks an authorised record's payload against the domain's rules and
    /// returns the entry to integrate, with its unique keys and topics.
    /// Runs on the blocking pool: it may read the store.
    fn admit(&self, record: &Record, state: &AppState) -> ApiResult<Pending>;

    /// Whether [`admit`](Self::admit) decides records of `kind` without
    /// reading the store (from the payload alone, or from state in
    /// memory): then they are judged on the runtime, without a trip to the
    /// blocking pool. Kinds authorised by a proof never are (their
    /// statements are looked up in the store).
    fn admits_in_memory(&self, _kind: &str) -> bool {
        false
    }

    /// Called (on the blocking pool) after `record` was durably logged at
    /// `index`; returns entries the log writes in consequence (e.g. a
    /// registry's new root). Conflicts on those are expected when several
    /// processes race to write the same follow-up, and are ignored.
    fn after_commit(
        &self,
        _record: &Record,
        _index: u64,
        _state: &AppState,
    ) -> ApiResult<Vec<Pending>> {
        Ok(Vec::new())
    }

    /// Whether records of `kind` may have follow-ups: when not, the
    /// service does not make the trip to the blocking pool for
    /// [`after_commit`](Self::after_commit) (a cast ballot saves it).
    fn follows_up(&self, _kind: &str) -> bool {
        true
    }

    /// For kinds the log stamps itself (those authorised by a proof:
    /// ballots, claims), the unique key that names the statement (its
    /// nullifier), by which an exact resubmission — the same payload under
    /// a new stamp — is found and answered with the index it already has.
    fn statement_key(&self, _record: &Record) -> Option<UniqueKey> {
        None
    }

    /// Called once the service is up: a domain may start preparing caches
    /// in the background (it must not block).
    fn started(&self, _state: &AppState) {}

    /// The domain's pages on the public board (server-rendered, public
    /// data only), laid out with [`crate::board::page`].
    fn board(self: Arc<Self>) -> axum::Router<AppState> {
        axum::Router::new()
    }

    /// The domain's headline counts for the board's log page and its live
    /// updates (public data only): label and value.
    fn board_counts(&self, _state: &AppState) -> ApiResult<Vec<(&'static str, u64)>> {
        Ok(Vec::new())
    }

    /// Domain routes, mounted at the root (use paths under `/v1/<domain>`).
    /// The domain is handed over so its handlers can reach it (as an
    /// extension) without looking it up at run time.
    fn routes(self: Arc<Self>) -> OpenApiRouter<AppState> {
        OpenApiRouter::new()
    }
}

/// Every domain this build serves, each given the domains it builds on
/// (elections and land titles rest on the identity registries; ceremonies
/// make the identity domain's circuit keys, v3 ballot circuits for the
/// elections' joint keys).
///
/// `data_dir` holds what domains keep beside the log (e.g. circuit keys);
/// development Groth16 keys are made and accepted only if
/// `allow_development_keys`; ballot proofs are checked in batches by
/// `proofs`.
pub fn all(
    data_dir: &std::path::Path,
    allow_development_keys: bool,
    proofs: ProofBatcher,
) -> Vec<Arc<dyn Domain>> {
    let identity = Arc::new(identity::IdentityDomain::new(
        data_dir.join("keys"),
        allow_development_keys,
    ));
    let elections = Arc::new(election::ElectionDomain::new(identity.clone(), proofs));
    vec![
        Arc::new(ledger::LedgerDomain),
        identity.clone(),
        elections.clone(),
        Arc::new(land::LandDomain::new(identity.clone())),
        Arc::new(health::HealthDomain::new()),
        Arc::new(funds::FundsDomain::new(data_dir.to_path_buf())),
        Arc::new(ceremony::CeremonyDomain::new(data_dir, identity, elections)),
    ]
}
