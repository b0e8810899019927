//! Elections: the commission's records, the trustees' key ceremony and
//! decryptions, ballots authorised by their proofs, and the tally the log
//! writes once `k` trustees have decrypted.
//!
//! The rules live in [`zkaudit_ledger::election::ElectionBook`]; this module
//! adds what needs the service: the ballot proof check (against the
//! registry's accepted roots and the logged ballot key), the store's
//! atomic one-ballot-per-nullifier key, and the follow-up records (the
//! ballot circuit's key, the joint election key, the tally).

use std::sync::Arc;

use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use zkaudit_circuits::babyjubjub::Point;
use zkaudit_circuits::ballot::{BallotShape, public_inputs};
use zkaudit_ledger::codec::fr_from_bytes;
use zkaudit_ledger::election::{
    BALLOT, Ballot, COMPLAINT, CREATE, DEAL, DECRYPT, DOMAIN, Election, ElectionBook,
    ElectionError, ElectionKey, ElectionSpec, KEY, PHASE, Phase, SEAL, SPOILED, SealRecord,
    SpoiledBallot, TALLY, ballot_statement,
};
use zkaudit_ledger::identity::RegistryBook;
use zkaudit_ledger::record::Record;
use zkaudit_ledger::replay::Replayed;
use zkaudit_ledger::sequencer::Pending;
use zkaudit_verifier::groth16;

use super::identity::IdentityDomain;
use super::identity::keys::{KeyedShape, ShapeKeys};
use super::{Authorisation, Domain};
use crate::clock::now_ms;
use crate::server::error::{ApiError, ApiResult, Refusal};
use crate::server::proof_batch::ProofBatcher;
use crate::server::state::AppState;

mod board;
mod bundle;
mod routes;
pub mod tally;
pub mod views;

pub use views::{
    AggregateView, BallotBody, BallotStandingView, CeremonyView, ContestView, ElectionView,
    SealMembershipView, SealView, TallyView, TrusteeView,
};

/// The store's namespace of logged ballots, by their payload.
const BALLOT_NAMESPACE: &str = "election/ballot";

/// The store's namespace of ballot fingerprints: one ballot, cast or
/// spoiled, per set of ciphertexts.
const FINGERPRINT_NAMESPACE: &str = "election/fingerprint";

/// A ballot's key in [`BALLOT_NAMESPACE`]: its payload's digest (the record
/// around it carries the log's own timestamp, so the id differs per request).
fn ballot_key(record: &Record) -> Vec<u8> {
    record.payload_digest().to_vec()
}

/// Topic of every election record.
pub(crate) const TOPIC_ALL: &[u8] = b"election";

/// The topic of one election's records.
pub fn election_topic(id: &str) -> Vec<u8> {
    format!("election/{id}").into_bytes()
}

impl KeyedShape for BallotShape {
    type Circuit = zkaudit_circuits::ballot::constraints::BallotCircuit;
    fn id(&self) -> String {
        BallotShape::id(self)
    }
    fn blank(&self) -> Self::Circuit {
        zkaudit_circuits::ballot::constraints::BallotCircuit::blank(*self)
    }
}

/// The election domain.
pub struct ElectionDomain {
    book: Arc<Replayed<ElectionBook>>,
    identity: Arc<IdentityDomain>,
    proofs: ProofBatcher,
}

impl ElectionDomain {
    /// Serves elections over the identity domain's registries; ballot
    /// circuit keys live with the identity domain's keys. Ballot proofs are
    /// checked in batches by `proofs`.
    pub fn new(identity: Arc<IdentityDomain>, proofs: ProofBatcher) -> Self {
        Self {
            book: Arc::new(Replayed::new()),
            identity,
            proofs,
        }
    }

    /// The ballot circuit keys (the identity domain's, where every shape's
    /// keys live).
    pub fn keys(&self) -> &ShapeKeys {
        self.identity.keys()
    }

    /// Brings the election book up to date with the log and runs `f` on it.
    /// Blocking: reads the store.
    pub fn with_book<T>(
        &self,
        state: &AppState,
        f: impl FnOnce(&ElectionBook) -> ApiResult<T>,
    ) -> ApiResult<T> {
        replay(&self.book, state, f)
    }

    /// The identity domain (registries and circuit keys).
    pub fn identity(&self) -> &IdentityDomain {
        &self.identity
    }

    /// The v3 ballot shape named `id`: the shape of an election whose
    /// joint key is logged, `None` if no election has it (a ceremony may
    /// make the key of such a shape only). Blocking.
    pub fn keyed_ballot_shape(&self, state: &AppState, id: &str) -> ApiResult<Option<BallotShape>> {
        // The books one after the other, never one inside the other.
        let keyed: Vec<(ElectionSpec, Point)> = self.with_book(state, |book| {
            Ok(book
                .elections()
                .filter(|e| e.spec.statement.is_keyed())
                .filter_map(|e| Some((e.spec.clone(), e.key.as_ref()?.joint_key)))
                .collect())
        })?;
        self.identity.with_book(state, |registries| {
            Ok(keyed.iter().find_map(|(spec, joint_key)| {
                Self::shape_of(registries, spec, Some(joint_key))
                    .ok()
                    .filter(|shape| shape.id() == id)
            }))
        })
    }

    /// The ballot shape of an election: its registry's depth, its predicate
    /// and option counts, and (v3) its joint key, once logged.
    pub fn shape_of(
        identity: &RegistryBook,
        spec: &ElectionSpec,
        joint_key: Option<&Point>,
    ) -> ApiResult<BallotShape> {
        let depth = Self::registry_depth(identity, spec)?;
        spec.ballot_shape(depth, joint_key).map_err(ApiError::from)
    }

    /// [`Self::shape_of`] for an election of the book.
    pub fn shape_of_election(
        identity: &RegistryBook,
        election: &Election,
    ) -> ApiResult<BallotShape> {
        let joint_key = election.key.as_ref().map(|key| &key.joint_key);
        Self::shape_of(identity, &election.spec, joint_key)
    }

    /// The depth of the election's registry, which must have one attribute
    /// per predicate.
    fn registry_depth(identity: &RegistryBook, spec: &ElectionSpec) -> ApiResult<usize> {
        let registry = identity.get(&spec.registry).ok_or_else(|| {
            ApiError::unprocessable("unknown_target", format!("no registry {:?}", spec.registry))
        })?;
        if registry.spec.attributes.len() != spec.predicates.len() {
            return Err(ApiError::unprocessable(
                "invalid_payload",
                format!(
                    "registry {:?} has {} attributes, the election gives {} predicates",
                    spec.registry,
                    registry.spec.attributes.len(),
                    spec.predicates.len()
                ),
            ));
        }
        Ok(registry.spec.depth as usize)
    }

    fn admit_ballot(&self, record: &Record, state: &AppState) -> ApiResult<Pending> {
        // The subgroup checks (about 0.3 ms per ciphertext) wait: a valid
        // proof makes them unnecessary, and a refused ballot gets them.
        let ballot = Ballot::decode_deferring_subgroup_checks(record.payload())
            .map_err(|e| ApiError::bad_request("malformed_ballot", e.to_string()))?;
        let (spec, joint_key) = self.with_book(state, |book| {
            book.check_ballot(&ballot).map_err(ApiError::from)?;
            let election = book.get(&ballot.election).expect("checked");
            let key = election.key.as_ref().expect("checked: open with a key");
            Ok((election.spec.clone(), key.joint_key))
        })?;
        if now_ms() > spec.closes_at_ms {
            return Err(ApiError::conflict(
                "wrong_phase",
                format!("voting in election {:?} has closed", spec.id),
            ));
        }
        // Under the registry lock only what needs it; the proof is checked
        // after, so concurrent casts verify in parallel.
        let identity = &self.identity;
        let (shape, key) = identity.with_book(state, |registries| {
            let shape = Self::shape_of(registries, &spec, Some(&joint_key))?;
            let registry = registries.get(&spec.registry).expect("checked by shape_of");
            let root = fr_from_bytes("root", &ballot.root)
                .map_err(|e| ApiError::bad_request("malformed_ballot", e.to_string()))?;
            if !registry.accepts(&root, now_ms()) {
                return Err(ApiError::unprocessable(
                    "stale_root",
                    format!(
                        "the proof's root is not in registry {:?}'s accepted window; prove again against the current root",
                        spec.registry
                    ),
                ));
            }
            Ok((shape, self.keys().logged(registries, shape)?))
        })?;
        if key.digest() != ballot.vk_digest {
            return Err(ApiError::unprocessable(
                "wrong_key",
                "the ballot names a verifying key other than the logged one",
            ));
        }
        let public = ballot_statement(&spec, shape, &ballot, joint_key)
            .map_err(|e| ApiError::unprocessable("invalid_payload", e.to_string()))?;
        let proof = groth16::decode_proof(&ballot.proof)
            .map_err(|e| ApiError::bad_request("malformed_proof", e.to_string()))?;
        // Checked in a batch with the ballots cast at the same time.
        let valid = self
            .proofs
            .verify(key, &public_inputs(&public), &proof)
            .map_err(|e| ApiError::unavailable(e.to_string()))?;
        if !valid {
            // Say which: a point outside the subgroup, or a false proof.
            Ballot::decode(record.payload())
                .map_err(|e| ApiError::bad_request("malformed_ballot", e.to_string()))?;
            return Err(ApiError::unprocessable(
                "invalid_proof",
                "the ballot proof does not verify for this election, root, nullifier and ciphertexts",
            ));
        }
        // The exact ballot once (a retried request gets its receipt back);
        // one ballot per nullifier unless the election allows re-voting, in
        // which case the log's order decides which is last.
        let pending = Pending::new(record)
            .topic(TOPIC_ALL.to_vec())
            .topic(election_topic(&ballot.election))
            .unique(BALLOT_NAMESPACE, ballot_key(record))
            .unique(FINGERPRINT_NAMESPACE, ballot.fingerprint());
        Ok(if spec.revoting {
            pending
        } else {
            pending.unique("election/nullifier", ballot.unique_key())
        })
    }

    fn log_record(
        state: &AppState,
        kind: &str,
        payload: Vec<u8>,
        election: &str,
        unique: &str,
    ) -> ApiResult<Pending> {
        let record = state.log_record(DOMAIN, kind, payload)?;
        Ok(Pending::new(&record)
            .topic(TOPIC_ALL.to_vec())
            .topic(election_topic(election))
            .unique(unique, election.as_bytes().to_vec()))
    }
}

/// The `identity/circuit.key` record of an election's ballot shape, made
/// (with keys) if the log has none yet. Blocking; slow the first time (for
/// a v3 election, the first time for every election).
fn ballot_key_if_missing(
    identity: &IdentityDomain,
    spec: &ElectionSpec,
    joint_key: Option<&Point>,
    state: &AppState,
) -> ApiResult<Option<Pending>> {
    let shape = identity.with_book(state, |registries| {
        let shape = ElectionDomain::shape_of(registries, spec, joint_key)?;
        Ok(registries
            .circuit_key(&shape.id())
            .is_none()
            .then_some(shape))
    })?;
    let Some(shape) = shape else { return Ok(None) };
    let Some(key) = identity.keys().record_payload(shape)? else {
        return Ok(None);
    };
    Ok(Some(super::identity::circuit_key_entry(state, &key)?))
}

/// Brings `book` up to date with the log and runs `f` on it. Blocking.
fn replay<T>(
    book: &Replayed<ElectionBook>,
    state: &AppState,
    f: impl FnOnce(&ElectionBook) -> ApiResult<T>,
) -> ApiResult<T> {
    let log_key = state.log_signer().public_key();
    book.with(
        &**state.sequencer().store(),
        TOPIC_ALL,
        || ElectionBook::new(log_key),
        f,
    )
}

/// What the log owes its elections: the joint key of each election open
/// without one, the seal of each closed without one, and the tally of each
/// closed with `k` partial decryptions and no tally.
struct Owed {
    keys: Vec<ElectionKey>,
    /// Every open v3 election whose joint key is logged or owed, with that
    /// key: its ballot key is owed unless logged (it is made right after
    /// the joint key, or on restart if the process stopped in between).
    keyed: Vec<(ElectionSpec, Point)>,
    seals: Vec<SealRecord>,
    to_tally: Vec<Election>,
}

impl Owed {
    /// Read from the book (cheap: the tallies are computed later, outside
    /// the book's lock).
    fn of(book: &ElectionBook) -> Self {
        let keys = book.pending_keys();
        // Only while voting is open: a closed election without its ballot
        // key took no ballots, and needs none.
        let logged = book
            .elections()
            .filter(|e| e.phase == Phase::Open)
            .filter_map(|e| Some((&e.spec, e.key.as_ref()?)));
        let owed = keys
            .iter()
            .filter_map(|key| Some((&book.get(&key.election)?.spec, key)));
        let keyed = logged
            .chain(owed)
            .filter(|(spec, _)| spec.statement.is_keyed())
            .map(|(spec, key)| (spec.clone(), key.joint_key))
            .collect();
        Self {
            keys,
            keyed,
            seals: book.pending_seals(),
            to_tally: book.awaiting_tally().into_iter().cloned().collect(),
        }
    }

    /// The records, each unique per election in the store, so that writing
    /// one twice (two processes, or a restart racing a request) logs it
    /// once.
    fn records(self, identity: &IdentityDomain, state: &AppState) -> ApiResult<Vec<Pending>> {
        let mut owed = Vec::new();
        for key in self.keys {
            owed.push(ElectionDomain::log_record(
                state,
                KEY,
                key.encode(),
                &key.election,
                "election/key",
            )?);
        }
        // After the joint keys they are made for (blocking: a setup per
        // election the first time).
        for (spec, joint_key) in self.keyed {
            match ballot_key_if_missing(identity, &spec, Some(&joint_key), state) {
                Ok(key) => owed.extend(key),
                // The seals and tallies are owed all the same.
                Err(e) => {
                    tracing::warn!(election = %spec.id, error = %e, "ballot key not made yet")
                }
            }
        }
        for seal in self.seals {
            owed.push(ElectionDomain::log_record(
                state,
                SEAL,
                seal.encode(),
                &seal.election,
                "election/seal",
            )?);
        }
        for election in self.to_tally {
            match tally::tally(&election) {
                Ok(tally) => owed.push(ElectionDomain::log_record(
                    state,
                    TALLY,
                    tally.encode(),
                    &election.spec.id,
                    "election/tally",
                )?),
                Err(e) => {
                    tracing::warn!(election = %election.spec.id, error = %e, "tally not possible yet")
                }
            }
        }
        Ok(owed)
    }
}

/// How an election rule's refusal answers.
impl Refusal for ElectionError {
    fn status_code(&self) -> Option<(StatusCode, &'static str)> {
        Some(match self {
            ElectionError::UnknownElection(_) => (StatusCode::NOT_FOUND, "not_found"),
            ElectionError::NotAuthorised(_) => (StatusCode::FORBIDDEN, "not_authorised"),
            ElectionError::AlreadyVoted(_)
            | ElectionError::FingerprintTaken(_)
            | ElectionError::ElectionExists(_)
            | ElectionError::AlreadyPublished { .. } => (StatusCode::CONFLICT, "already_used"),
            ElectionError::WrongPhase { .. }
            | ElectionError::CastAfterClose { .. }
            | ElectionError::OpenedEarly { .. }
            | ElectionError::CeremonyIncomplete { .. }
            | ElectionError::NoJointKey(_) => (StatusCode::CONFLICT, "wrong_phase"),
            ElectionError::Malformed(_) => (StatusCode::BAD_REQUEST, "malformed_payload"),
            _ => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_payload"),
        })
    }
}

impl Domain for ElectionDomain {
    fn name(&self) -> &'static str {
        DOMAIN
    }

    fn authorisation(&self, kind: &str) -> Option<Authorisation> {
        match kind {
            CREATE | PHASE => Some(Authorisation::Authority),
            DEAL | COMPLAINT | DECRYPT => Some(Authorisation::Participant),
            // A ballot by its proof; a spoiled ballot by its opening.
            BALLOT | SPOILED => Some(Authorisation::Proof),
            KEY | SEAL | TALLY => Some(Authorisation::LogOnly),
            _ => None,
        }
    }

    fn statement_key(&self, record: &Record) -> Option<zkaudit_ledger::store::UniqueKey> {
        match record.kind() {
            BALLOT => Some(zkaudit_ledger::store::UniqueKey {
                namespace: BALLOT_NAMESPACE.into(),
                key: ballot_key(record),
            }),
            SPOILED => SpoiledBallot::decode(record.payload()).ok().map(|s| {
                zkaudit_ledger::store::UniqueKey {
                    namespace: FINGERPRINT_NAMESPACE.into(),
                    key: s.fingerprint().to_vec(),
                }
            }),
            _ => None,
        }
    }

    fn admit(&self, record: &Record, state: &AppState) -> ApiResult<Pending> {
        if record.kind() == BALLOT {
            return self.admit_ballot(record, state);
        }
        if record.kind() == SPOILED {
            // The book checks the opening against the election's key.
            let spoiled = SpoiledBallot::decode(record.payload()).map_err(ApiError::from)?;
            self.with_book(state, |book| {
                book.check_spoiled(&spoiled).map_err(ApiError::from)
            })?;
            return Ok(Pending::new(record)
                .topic(TOPIC_ALL.to_vec())
                .topic(election_topic(&spoiled.election))
                .unique(FINGERPRINT_NAMESPACE, spoiled.fingerprint()));
        }
        let id = zkaudit_ledger::election::election_of(record)
            .ok_or_else(|| ApiError::bad_request("malformed_payload", "no election id"))?;
        self.with_book(state, |book| book.check(record).map_err(ApiError::from))?;
        if record.kind() == CREATE {
            let spec = ElectionSpec::decode(record.payload()).map_err(ApiError::from)?;
            self.identity.with_book(state, |registries| {
                if spec.statement.is_keyed() {
                    // Its circuit exists once voting opens (made for the
                    // joint key): then a ceremony makes its key, or this
                    // service's development setup where allowed.
                    return Self::registry_depth(registries, &spec).map(drop);
                }
                let shape = Self::shape_of(registries, &spec, None)?;
                match &spec.circuit_key {
                    Some(digest) => registries
                        .check_named_key(&shape.id(), digest)
                        .map_err(|e| ApiError::unprocessable("key_not_logged", e.to_string())),
                    None => Ok(()),
                }
            })?;
        }
        // Unique keys make concurrent duplicates lose in the store, not in a race.
        let unique: Option<(&str, Vec<u8>)> = match record.kind() {
            CREATE => Some(("election/id", id.clone().into_bytes())),
            PHASE => zkaudit_ledger::election::PhaseChange::decode(record.payload())
                .ok()
                .map(|c| ("election/phase", format!("{id}\0{}", c.phase).into_bytes())),
            DEAL | DECRYPT => match record.author() {
                zkaudit_ledger::record::Author::Ed25519(key) => Some((
                    if record.kind() == DEAL {
                        "election/deal"
                    } else {
                        "election/decrypt"
                    },
                    [id.as_bytes(), &[0], key.as_bytes()].concat(),
                )),
                zkaudit_ledger::record::Author::None => None,
            },
            _ => None,
        };
        let mut pending = Pending::new(record)
            .topic(TOPIC_ALL.to_vec())
            .topic(election_topic(&id));
        if let Some((ns, key)) = unique {
            pending = pending.unique(ns, key);
        }
        Ok(pending)
    }

    fn follows_up(&self, kind: &str) -> bool {
        matches!(kind, CREATE | PHASE | DECRYPT)
    }

    fn after_commit(
        &self,
        record: &Record,
        _index: u64,
        state: &AppState,
    ) -> ApiResult<Vec<Pending>> {
        match record.kind() {
            // A v1 or v2 election's ballot key is its shape's, made now if
            // the log has none; a v3 election's is made for its joint key,
            // once that is logged.
            CREATE => {
                let spec = ElectionSpec::decode(record.payload()).map_err(ApiError::from)?;
                if spec.statement.is_keyed() {
                    return Ok(Vec::new());
                }
                Ok(ballot_key_if_missing(&self.identity, &spec, None, state)?
                    .into_iter()
                    .collect())
            }
            PHASE | DECRYPT => self
                .with_book(state, |book| Ok(Owed::of(book)))?
                .records(&self.identity, state),
            _ => Ok(Vec::new()),
        }
    }

    /// Writes what the log still owes (a key, a seal, a tally whose
    /// follow-up was lost when the process stopped between logging a phase
    /// change or decryption and logging its consequence), in the
    /// background.
    fn started(&self, state: &AppState) {
        // The domain's own book: the replay done here serves the first
        // requests too.
        let (book, identity, state) = (self.book.clone(), self.identity.clone(), state.clone());
        tokio::spawn(async move {
            let replaying = state.clone();
            let owed = crate::server::blocking::blocking_api(move || {
                replay(&book, &replaying, |book| Ok(Owed::of(book)))?.records(&identity, &replaying)
            })
            .await;
            match owed {
                Ok(records) => {
                    for pending in records {
                        match state.append(pending).await {
                            Ok(accepted) => {
                                tracing::info!(
                                    index = accepted.index,
                                    "owed election record logged"
                                )
                            }
                            Err(e) if e.code() == "already_used" => {}
                            Err(e) => tracing::warn!(error = %e, "owed election record not logged"),
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot replay the elections"),
            }
        });
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
