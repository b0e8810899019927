//! The ceremony domain: multi-party Groth16 setups (phase 2) coordinated
//! through the log (see `zkaudit_ledger::ceremony` for the records).
//!
//! | kind | signer | authorised as |
//! |---|---|---|
//! | `start` | an authority granted `ceremony/start` | authority |
//! | `contribute` | the contributor's own key | participant |
//! | `finalize` | the authority that started the ceremony | authority |
//!
//! Nothing is logged that the service has not checked:
//!
//! - a **start** names a shape without a logged circuit key and a phase-1
//!   file in the service's phase-1 directory (`DATA/ptau`) with the
//!   BLAKE2b-512 the record states; the service computes the initial key
//!   (`snarkjs groth16 setup`) and logs the start only if its digest is the
//!   record's. The shape is then reserved: no development key is made for
//!   it.
//! - a **step** (a contribution, or the final beacon) is uploaded with its
//!   key (`POST /v1/ceremony/ceremonies/{id}/steps`, the signed record in
//!   the `Zkaudit-Record` header); the key is stored under its SHA3-256 and
//!   checked against the current key with
//!   [`verify_contribution`](zkaudit_prover::ceremony::verify_contribution)
//!   (same-ratio pairings, transcript chain, proof of knowledge, unchanged
//!   α/β/γ/IC/A/B, L and H moved by the new δ), its contribution hash,
//!   name and beacon against the record. One upload per ceremony is
//!   checked at a time, and the step's number is a unique key, so of two
//!   contributors racing for one slot exactly one is logged.
//! - once the beacon is logged, the final verifying key is logged as the
//!   shape's `identity/circuit.key` (not a development key) and installed
//!   as this service's proving key for the shape.
//!
//! Keys are served read-only by digest (`GET /v1/ceremony/keys/{sha3}`), as
//! are the phase-1 files ceremonies name, so anyone can run
//! `zkaudit ceremony verify --server …`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use blake2::Blake2b512;
use blake2::Digest as _;
use sha3::Digest as _;
use sha3::Sha3_256;
use utoipa_axum::router::OpenApiRouter;
use zkaudit_ledger::ceremony::{
    CONTRIBUTE, CeremonyBook, CeremonyError, CeremonyStart, Checked, DOMAIN, FINALIZE,
    Finalisation, START, Step, step_key,
};
use zkaudit_ledger::identity::{CircuitKey, KeyCeremony};
use zkaudit_ledger::record::Record;
use zkaudit_ledger::replay::Replayed;
use zkaudit_ledger::sequencer::Pending;
use zkaudit_prover::ceremony::{initial_key, verify_contribution};
use zkaudit_prover::iden3::{ContributionKind, Ptau, Zkey};
use zkaudit_prover::{KeyCache, ProverError};
use zkaudit_verifier::groth16;

use super::election::ElectionDomain;
use super::identity::IdentityDomain;
use super::{Authorisation, Domain};
use crate::server::error::{ApiError, ApiResult, Refusal};
use crate::server::state::AppState;

mod blobs;
mod routes;
mod shape;
pub mod views;

pub use blobs::Blobs;
pub use routes::RECORD_HEADER;
pub use shape::Shape;

/// Topic of every ceremony record, in log order.
const TOPIC_ALL: &[u8] = b"ceremony";

/// The most SHA-256 iterations (a power of two) of a beacon the service
/// recomputes before logging it: 2^24 take a few seconds; a larger
/// exponent would let one request occupy a core for hours.
pub const MAX_SERVICE_BEACON_EXP: u8 = 24;

fn ceremony_topic(id: &str) -> Vec<u8> {
    format!("ceremony/{id}").into_bytes()
}

/// The ceremony domain: the replayed [`CeremonyBook`], the key files, the
/// identity domain whose circuit keys ceremonies make, and the election
/// domain whose joint keys v3 ballot circuits are made for.
pub struct CeremonyDomain {
    book: Arc<Replayed<CeremonyBook>>,
    identity: Arc<IdentityDomain>,
    elections: Arc<ElectionDomain>,
    blobs: Blobs,
    phase1_dir: PathBuf,
    uploads: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl CeremonyDomain {
    /// The domain: key files in `DATA/ceremony`, phase-1 files read from
    /// `DATA/ptau`.
    pub fn new(
        data_dir: &std::path::Path,
        identity: Arc<IdentityDomain>,
        elections: Arc<ElectionDomain>,
    ) -> Self {
        Self {
            book: Arc::new(Replayed::new()),
            identity,
            elections,
            blobs: Blobs::new(data_dir.join("ceremony")),
            phase1_dir: data_dir.join("ptau"),
            uploads: Mutex::default(),
        }
    }

    /// The key files.
    pub fn blobs(&self) -> &Blobs {
        &self.blobs
    }

    /// Brings the book up to date with the log and runs `f` on it. Blocking.
    pub fn with_book<T>(
        &self,
        state: &AppState,
        f: impl FnOnce(&CeremonyBook) -> ApiResult<T>,
    ) -> ApiResult<T> {
        self.book.with(
            &**state.sequencer().store(),
            TOPIC_ALL,
            CeremonyBook::new,
            f,
        )
    }

    /// The lock one ceremony's uploads are checked under, one at a time.
    fn upload_lock(&self, ceremony: &str) -> ApiResult<Arc<tokio::sync::Mutex<()>>> {
        Ok(self
            .uploads
            .lock()
            .map_err(ApiError::internal)?
            .entry(ceremony.to_owned())
            .or_default()
            .clone())
    }

    /// The shape `id` names; a v3 ballot shape only if it is the ballot
    /// shape of one of the elections, made for its logged joint key.
    /// Blocking.
    fn shape(&self, state: &AppState, id: &str) -> ApiResult<Option<Shape>> {
        if let Some(shape) = Shape::from_id(id) {
            return Ok(Some(shape));
        }
        Ok(self
            .elections
            .keyed_ballot_shape(state, id)?
            .map(Shape::Ballot))
    }

    /// Where a phase-1 file named in a record is.
    fn phase1_path(&self, name: &str) -> PathBuf {
        self.phase1_dir.join(name)
    }

    /// Refuses a shape that already has a logged circuit key: its first
    /// use fixed it, and a ceremony can no longer replace it.
    fn check_no_logged_key(&self, state: &AppState, shape: &str) -> ApiResult<()> {
        self.identity
            .with_book(state, |registries| match registries.circuit_key(shape) {
                Some((_, index)) => Err(ApiError::conflict(
                    "key_exists",
                    format!(
                        "shape {shape} already has a circuit key (log entry {index}); \
                         a ceremony must run before a shape's first use"
                    ),
                )),
                None => Ok(()),
            })
    }

    /// A start: the shape is known and has no key yet, the phase-1 file is
    /// here with the stated hash, and the initial key computed from it has
    /// the stated digest (stored for contributors to download).
    fn admit_start(&self, start: &CeremonyStart, state: &AppState) -> ApiResult<()> {
        let shape = self.shape(state, &start.shape)?.ok_or_else(|| {
            ApiError::unprocessable(
                "unknown_shape",
                format!(
                    "{:?} is not a circuit shape with Groth16 keys (a v3 ballot shape must \
                     be an election's, once voting is open and its joint key logged)",
                    start.shape
                ),
            )
        })?;
        self.check_no_logged_key(state, &start.shape)?;
        let path = self.phase1_path(&start.phase1.name);
        let ptau = std::fs::read(&path).map_err(|_| {
            ApiError::unprocessable(
                "unknown_phase1",
                format!(
                    "no phase-1 file {:?} here; the operator places it in the phase-1 directory",
                    start.phase1.name
                ),
            )
        })?;
        if Blake2b512::digest(&ptau)[..] != start.phase1.blake2b[..] {
            return Err(ApiError::unprocessable(
                "phase1_mismatch",
                format!(
                    "the phase-1 file {:?} here has another BLAKE2b-512 than the record states",
                    start.phase1.name
                ),
            ));
        }
        let refused = |e: &dyn std::fmt::Display| {
            ApiError::unprocessable("phase1_unusable", format!("{}: {e}", start.phase1.name))
        };
        let phase1 = Ptau::parse(&ptau).map_err(|e| refused(&e))?;
        let r1cs = shape.r1cs().map_err(ApiError::internal)?;
        let key = initial_key(&r1cs, &phase1).map_err(|e| refused(&e))?;
        let bytes = key.to_bytes();
        let digest: [u8; 32] = Sha3_256::digest(&bytes).into();
        if digest != start.initial_key {
            return Err(ApiError::unprocessable(
                "initial_key_mismatch",
                format!(
                    "the initial key computed here has SHA3-256 {}, the record states {}",
                    hex::encode(digest),
                    hex::encode(start.initial_key)
                ),
            ));
        }
        self.blobs.put(&bytes).map_err(ApiError::internal)?;
        Ok(())
    }

    /// A step: its key is stored, extends the previous key by exactly one
    /// valid contribution, and matches the record (hash, name, beacon,
    /// verifying key digest).
    fn admit_step(&self, step: &Step, finalisation: Option<&Finalisation>) -> ApiResult<()> {
        let previous = self
            .blobs
            .get(&step.previous_key)
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::internal("a logged ceremony key is missing from storage"))?;
        let next = self
            .blobs
            .get(&step.key)
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                ApiError::unprocessable(
                    "key_not_uploaded",
                    format!(
                        "upload the key with its record: POST /v1/ceremony/ceremonies/{}/steps",
                        step.ceremony
                    ),
                )
            })?;
        let malformed =
            |e: &dyn std::fmt::Display| ApiError::unprocessable("malformed_key", e.to_string());
        let previous = Zkey::for_contribution(&previous).map_err(ApiError::internal)?;
        let next = Zkey::for_contribution(&next).map_err(|e| malformed(&e))?;
        let hash = verify_contribution(&previous, &next, &mut rand::rngs::OsRng).map_err(|e| {
            ApiError::unprocessable("contribution_refused", format!("refused: {e}"))
        })?;
        let mismatch = |what: &str| {
            ApiError::unprocessable(
                "record_mismatch",
                format!("the record's {what} is not the key's"),
            )
        };
        if hash != step.contribution_hash {
            return Err(mismatch("contribution hash"));
        }
        let contribution = next
            .mpc
            .as_ref()
            .and_then(|m| m.contributions.last())
            .ok_or_else(|| mismatch("contribution"))?;
        if contribution.name.as_deref() != Some(step.name.as_str()) {
            return Err(mismatch("name"));
        }
        match (finalisation, &contribution.kind) {
            (None, ContributionKind::Contributor) => Ok(()),
            (
                Some(f),
                ContributionKind::Beacon {
                    iterations_exp,
                    hash,
                },
            ) => {
                if (*iterations_exp, hash) != (f.iterations_exp, &f.beacon) {
                    return Err(mismatch("beacon"));
                }
                if groth16::vk_digest(&next.pk.vk) != f.vk_digest {
                    return Err(mismatch("verifying key digest"));
                }
                Ok(())
            }
            (None, _) => Err(ApiError::unprocessable(
                "record_mismatch",
                "a beacon is applied by the coordinator's finalize record, not as a contribution",
            )),
            (Some(_), _) => Err(mismatch("beacon (the key's last step is not a beacon)")),
        }
    }

    /// After the beacon: the final key becomes the shape's logged circuit
    /// key and this service's proving key.
    fn install_final_key(&self, f: &Finalisation, state: &AppState) -> ApiResult<Vec<Pending>> {
        let shape_id = self.with_book(state, |book| {
            book.get(&f.step.ceremony)
                .map(|c| c.start.shape.clone())
                .ok_or_else(|| ApiError::internal("finalised ceremony vanished"))
        })?;
        let shape = self
            .shape(state, &shape_id)?
            .ok_or_else(|| ApiError::internal("a logged ceremony names an unknown shape"))?;
        let bytes = self
            .blobs
            .get(&f.step.key)
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::internal("the final key is missing from storage"))?;
        let keys = self.identity.keys();
        let cache = KeyCache::new(keys.dir().to_path_buf());
        let installed = match shape.import_zkey(&cache, &bytes) {
            Ok((installed, _)) => installed,
            Err(ProverError::KeysExist(_)) => {
                // Development keys made here before the ceremony (never
                // logged): the ceremony's key replaces them.
                for path in cache.paths(&shape_id).map_err(ApiError::internal)? {
                    if let Err(e) = std::fs::remove_file(&path)
                        && e.kind() != std::io::ErrorKind::NotFound
                    {
                        return Err(ApiError::internal(e));
                    }
                }
                shape
                    .import_zkey(&cache, &bytes)
                    .map_err(ApiError::internal)?
                    .0
            }
            Err(e) => return Err(ApiError::internal(e)),
        };
        keys.forget(&shape_id)?;
        keys.release(&shape_id)?;
        let key = CircuitKey {
            shape: shape_id.clone(),
            vk_digest: installed.vk_digest(),
            vk: groth16::encode_vk(&installed.vk),
            development: false,
            ceremony: Some(KeyCeremony {
                id: f.step.ceremony.clone(),
                // The beacon is the step after the last contribution.
                contributions: f.step.number - 1,
                final_key: f.step.key,
            }),
        };
        if key.vk_digest != f.vk_digest {
            return Err(ApiError::internal(
                "the installed key is not the ceremony's",
            ));
        }
        Ok(vec![super::identity::circuit_key_entry(state, &key)?])
    }
}

/// How a ceremony rule's refusal answers.
impl Refusal for CeremonyError {
    fn status_code(&self) -> Option<(StatusCode, &'static str)> {
        Some(match self {
            CeremonyError::Unsigned
            | CeremonyError::NotInvited(_)
            | CeremonyError::NotCoordinator(_) => (StatusCode::FORBIDDEN, "not_authorised"),
            CeremonyError::Exists(_) | CeremonyError::ShapeBusy { .. } => {
                (StatusCode::CONFLICT, "already_used")
            }
            CeremonyError::WrongNumber { .. } | CeremonyError::StaleKey(_) => {
                (StatusCode::CONFLICT, "stale_key")
            }
            CeremonyError::Finalised(_) => (StatusCode::CONFLICT, "ceremony_finalised"),
            CeremonyError::Unknown(_) => (StatusCode::NOT_FOUND, "unknown_ceremony"),
            CeremonyError::NoContribution(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "no_contribution")
            }
            _ => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_payload"),
        })
    }
}

impl Domain for CeremonyDomain {
    fn name(&self) -> &'static str {
        DOMAIN
    }

    fn authorisation(&self, kind: &str) -> Option<Authorisation> {
        match kind {
            START | FINALIZE => Some(Authorisation::Authority),
            CONTRIBUTE => Some(Authorisation::Participant),
            _ => None,
        }
    }

    fn admit(&self, record: &Record, state: &AppState) -> ApiResult<Pending> {
        let (checked, shape) = self.with_book(state, |book| {
            let checked = book.check(record).map_err(ApiError::from)?;
            let shape =
                (checked.step().and_then(|s| book.get(&s.ceremony))).map(|c| c.start.shape.clone());
            Ok((checked, shape))
        })?;
        let pending = Pending::new(record).topic(TOPIC_ALL.to_vec());
        Ok(match &checked {
            Checked::Start(start) => {
                self.admit_start(start, state)?;
                pending
                    .topic(ceremony_topic(&start.id))
                    .unique("ceremony/id", start.id.clone().into_bytes())
            }
            Checked::Contribute(step) => {
                self.admit_step(step, None)?;
                pending
                    .topic(ceremony_topic(&step.ceremony))
                    .unique("ceremony/step", step_key(&step.ceremony, step.number))
            }
            Checked::Finalize(f) => {
                if f.iterations_exp > MAX_SERVICE_BEACON_EXP {
                    return Err(ApiError::unprocessable(
                        "beacon_too_slow",
                        format!(
                            "this service recomputes beacons of at most 2^{MAX_SERVICE_BEACON_EXP} iterations"
                        ),
                    ));
                }
                // The final key becomes the shape's circuit key: none may be logged yet.
                let shape = shape.ok_or_else(|| ApiError::internal("checked ceremony vanished"))?;
                self.check_no_logged_key(state, &shape)?;
                self.admit_step(&f.step, Some(f))?;
                pending
                    .topic(ceremony_topic(&f.step.ceremony))
                    .unique("ceremony/step", step_key(&f.step.ceremony, f.step.number))
            }
        })
    }

    fn after_commit(
        &self,
        record: &Record,
        _index: u64,
        state: &AppState,
    ) -> ApiResult<Vec<Pending>> {
        match record.kind() {
            START => {
                let start = CeremonyStart::decode(record.payload()).map_err(ApiError::from)?;
                self.identity.keys().reserve(&start.shape)?;
                Ok(Vec::new())
            }
            FINALIZE => {
                let f = Finalisation::decode(record.payload()).map_err(ApiError::from)?;
                self.install_final_key(&f, state)
            }
            _ => Ok(Vec::new()),
        }
    }

    /// Reserves the shapes of the ceremonies still open, so that no
    /// development key is made for them (on a thread of its own: the
    /// replay reads the store, whose drivers block).
    fn started(&self, state: &AppState) {
        let (book, identity, state) = (self.book.clone(), self.identity.clone(), state.clone());
        let spawned = std::thread::Builder::new()
            .name("ceremony-reservations".into())
            .spawn(move || {
                let open = book.with(
                    &**state.sequencer().store(),
                    TOPIC_ALL,
                    CeremonyBook::new,
                    |book| -> ApiResult<Vec<String>> {
                        Ok(book
                            .ceremonies()
                            .filter(|c| !c.is_final())
                            .map(|c| c.start.shape.clone())
                            .collect())
                    },
                );
                match open {
                    Ok(shapes) => {
                        for shape in shapes {
                            if let Err(e) = identity.keys().reserve(&shape) {
                                tracing::warn!(error = %e, "cannot reserve a ceremony's shape");
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot replay the ceremonies"),
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the ceremony reservations");
        }
    }

    fn routes(self: Arc<Self>) -> OpenApiRouter<AppState> {
        routes::routes(self)
    }
}
