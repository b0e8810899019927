//! Shared state of the HTTP handlers.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use zkaudit_ledger::authority::{AuthoritySet, check_freshness};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::{Author, Record};
use zkaudit_ledger::sequencer::{Outcome, Pending, Sequencer};
use zkaudit_ledger::store::StoredCheckpoint;

use crate::clock::now_ms;
use crate::domains::{Authorisation, Domain};
use crate::server::blocking::blocking_api;
use crate::server::error::{ApiError, ApiResult};
use crate::server::limits::WriteLimits;
use crate::server::metrics::{Metrics, Stage};
use crate::server::queue::{AppendFailure, AppendQueue};
use crate::server::write_health::WriteHealth;

/// Handler state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    sequencer: Arc<Sequencer>,
    queue: AppendQueue,
    authorities: AuthoritySet,
    domains: Vec<Arc<dyn Domain>>,
    metrics: Metrics,
    timestamp_window_ms: u64,
    witness_keys: Vec<String>,
    log_signer: Arc<NoteSigningKey>,
    limits: Arc<WriteLimits>,
}

/// Everything [`AppState::new`] needs.
pub struct AppParts {
    /// The log.
    pub sequencer: Arc<Sequencer>,
    /// The append queue feeding it.
    pub queue: AppendQueue,
    /// Configured authorities.
    pub authorities: AuthoritySet,
    /// Served domains.
    pub domains: Vec<Arc<dyn Domain>>,
    /// Metrics.
    pub metrics: Metrics,
    /// Accepted distance between an authority record's time and the clock.
    pub timestamp_window_ms: u64,
    /// Verifier keys of the configured witnesses.
    pub witness_keys: Vec<String>,
    /// The log's key, for the records the log writes itself.
    pub log_signer: Arc<NoteSigningKey>,
    /// Write rate limits.
    pub limits: Arc<WriteLimits>,
}

/// A submission's result once durably integrated.
pub struct Accepted {
    /// Index of the entry.
    pub index: u64,
    /// Whether it had been logged before.
    pub duplicate: bool,
    /// The checkpoint covering it.
    pub checkpoint: StoredCheckpoint,
    /// The entry's inclusion proof in that checkpoint.
    pub inclusion_proof: Vec<zkaudit_ledger::merkle::Hash>,
    /// The record as logged, when it is not the one submitted: a ballot or
    /// claim resubmitted under a new stamp is answered with the earlier one.
    pub logged: Option<Record>,
}

impl AppState {
    /// Assembles the state.
    pub fn new(parts: AppParts) -> Self {
        Self {
            inner: Arc::new(Inner {
                sequencer: parts.sequencer,
                queue: parts.queue,
                authorities: parts.authorities,
                domains: parts.domains,
                metrics: parts.metrics,
                timestamp_window_ms: parts.timestamp_window_ms,
                witness_keys: parts.witness_keys,
                log_signer: parts.log_signer,
                limits: parts.limits,
            }),
        }
    }

    /// The log.
    pub fn sequencer(&self) -> &Arc<Sequencer> {
        &self.inner.sequencer
    }

    /// The authorities.
    pub fn authorities(&self) -> &AuthoritySet {
        &self.inner.authorities
    }

    /// Metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Witness verifier keys.
    pub fn witness_keys(&self) -> &[String] {
        &self.inner.witness_keys
    }

    /// Served domains.
    pub fn domains(&self) -> &[Arc<dyn Domain>] {
        &self.inner.domains
    }

    /// The log's key, for records the log writes itself.
    pub fn log_signer(&self) -> &NoteSigningKey {
        &self.inner.log_signer
    }

    /// The log's origin: the first line of its checkpoints, and the log
    /// every record written to it must name.
    pub fn origin(&self) -> &str {
        self.inner.sequencer.origin()
    }

    /// A record the log writes itself: `payload` as `domain/kind` for this
    /// log, signed with the log's key, stamped now.
    pub fn log_record(&self, domain: &str, kind: &str, payload: Vec<u8>) -> ApiResult<Record> {
        Record::signed(
            self.origin(),
            domain,
            kind,
            now_ms(),
            payload,
            self.log_signer(),
        )
        .map_err(ApiError::internal)
    }

    /// Whether writes are being refused by a storage fault.
    pub fn write_health(&self) -> &WriteHealth {
        self.inner.queue.health()
    }

    /// The write rate limits.
    pub fn limits(&self) -> &WriteLimits {
        &self.inner.limits
    }

    /// Authorises, admits and durably logs a record submitted by a client
    /// (from `client`'s address when it came over the network). Errors
    /// change nothing.
    pub async fn submit(&self, record: &Record, client: Option<IpAddr>) -> ApiResult<Accepted> {
        let domain = self
            .inner
            .domains
            .iter()
            .find(|d| d.name() == record.domain())
            .cloned()
            .ok_or_else(|| {
                ApiError::unprocessable(
                    "unknown_kind",
                    format!("no domain {:?} is served here", record.domain()),
                )
            })?;
        let authorisation = domain.authorisation(record.kind()).ok_or_else(|| {
            ApiError::unprocessable(
                "unknown_kind",
                format!("unknown record kind {}", record.qualified_kind()),
            )
        })?;
        // An exact resubmission of a logged record is answered with its
        // index, whatever has happened since (a closed election, a spent
        // nullifier, an old timestamp): the domain rules judged it when it
        // was logged, and judging it again against today's state would
        // refuse what the log already holds.
        // Writes anyone can make are metered before any work is done for
        // them: per client address, and per participant key.
        if matches!(
            authorisation,
            Authorisation::Participant | Authorisation::Proof
        ) && let Some(client) = client
        {
            self.inner.limits.check_client(client)?;
        }
        if authorisation == Authorisation::Participant
            && let Author::Ed25519(key) = record.author()
        {
            self.inner.limits.check_key(key.as_bytes())?;
        }
        // A kind its domain admits without the store is judged here, on
        // the runtime; the store is asked nothing unless a check fails that
        // a record already logged is exempt from. Anything else makes one
        // trip off the runtime for everything that reads the store: whether
        // the record or its statement is logged, and its admission.
        let mut judged = None;
        if authorisation != Authorisation::Proof && domain.admits_in_memory(record.kind()) {
            match self.judge(domain.as_ref(), record, authorisation, Reads::Deferred) {
                Ok(found) => judged = Some(found),
                Err(Judging::Refused(e)) => return Err(e),
                Err(Judging::NeedsStore) => {}
            }
        }
        let judged = match judged {
            Some(judged) => judged,
            None => {
                let (domain, record, state) = (domain.clone(), record.clone(), self.clone());
                let asked = Instant::now();
                blocking_api(move || {
                    let metrics = state.metrics();
                    metrics.observe_since(Stage::BlockingStart, asked);
                    let judging = Instant::now();
                    let judged = state
                        .judge(domain.as_ref(), &record, authorisation, Reads::Allowed)
                        .map_err(Judging::into_refusal);
                    metrics.observe_since(Stage::Judge, judging);
                    judged
                })
                .await?
            }
        };
        let admitted = match judged {
            Judged::LoggedStatement(logged) => {
                // Appending the logged record again is answered with its
                // index and the checkpoint that covers it, and changes
                // nothing.
                let mut accepted = self.append(Pending::new(&logged)).await?;
                accepted.logged = Some(*logged);
                return Ok(accepted);
            }
            Judged::Known => return self.append(Pending::new(record)).await,
            Judged::Admitted(pending) => pending,
        };
        let accepted = self.append(admitted).await?;
        if !accepted.duplicate && domain.follows_up(record.kind()) {
            let (domain, record, state) = (domain.clone(), record.clone(), self.clone());
            let index = accepted.index;
            let follow_ups =
                blocking_api(move || domain.after_commit(&record, index, &state)).await?;
            for pending in follow_ups {
                match self.append(pending).await {
                    Ok(_) => {}
                    Err(e) if e.code() == "already_used" => {}
                    Err(e) => tracing::warn!(error = %e, "follow-up record not logged"),
                }
            }
        }
        Ok(accepted)
    }

    /// What [`submit`](Self::submit) decides before appending, in this
    /// order: a new record must name this log, a statement already logged
    /// with this payload is found, the record's authorisation is checked,
    /// its freshness, and a new record is admitted by `domain`.
    ///
    /// A record already logged is exempt from naming this log, from
    /// freshness and from admission (an exact resubmission is answered with
    /// its index, whatever has happened since), but not from authorisation.
    /// Whether it is logged is asked of the store only when one of those
    /// three checks fails: a logged record that passes them is admitted,
    /// and the sequencer, which recognises record ids before anything else,
    /// answers it as the duplicate it is. With [`Reads::Deferred`] nothing
    /// here reads the store, and a question for it is
    /// [`Judging::NeedsStore`].
    fn judge(
        &self,
        domain: &dyn Domain,
        record: &Record,
        authorisation: Authorisation,
        reads: Reads,
    ) -> Result<Judged, Judging> {
        let mut known = None;
        if let Err(e) = record.check_log(self.origin())
            && !self.is_known(record, reads, &mut known)?
        {
            return Err(ApiError::forbidden("wrong_log", e.to_string()).into());
        }
        if authorisation == Authorisation::Proof {
            if reads == Reads::Deferred {
                return Err(Judging::NeedsStore);
            }
            if let Some(logged) = self.logged_statement(domain, record)? {
                return Ok(Judged::LoggedStatement(Box::new(logged)));
            }
        }
        match authorisation {
            Authorisation::LogOnly => {
                return Err(ApiError::forbidden(
                    "log_only_kind",
                    format!(
                        "{} records are written by the log only",
                        record.qualified_kind()
                    ),
                )
                .into());
            }
            Authorisation::Authority => {
                self.inner
                    .authorities
                    .authorise(record)
                    .map_err(|e| ApiError::forbidden("not_authorised", e.to_string()))?;
            }
            Authorisation::Participant => {
                if record.author() == Author::None {
                    return Err(ApiError::forbidden(
                        "not_authorised",
                        "this kind must be signed by a participant's key",
                    )
                    .into());
                }
            }
            Authorisation::Proof => {
                if record.author() != Author::None {
                    return Err(ApiError::unprocessable(
                        "unexpected_author",
                        "this kind is authorised by its proof and carries no author",
                    )
                    .into());
                }
            }
        }
        if authorisation != Authorisation::Proof
            && let Err(e) = self.check_fresh(record)
            && !self.is_known(record, reads, &mut known)?
        {
            return Err(e.into());
        }
        if known == Some(true) {
            return Ok(Judged::Known);
        }
        match domain.admit(record, self) {
            Ok(pending) => Ok(Judged::Admitted(pending)),
            Err(_) if self.is_known(record, reads, &mut known)? => Ok(Judged::Known),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether `record` is already logged, asked of the store at most once
    /// per judgement (`known` keeps the answer).
    fn is_known(
        &self,
        record: &Record,
        reads: Reads,
        known: &mut Option<bool>,
    ) -> Result<bool, Judging> {
        if let Some(known) = *known {
            return Ok(known);
        }
        if reads == Reads::Deferred {
            return Err(Judging::NeedsStore);
        }
        let found = self.known_record(record)?;
        *known = Some(found);
        Ok(found)
    }

    /// Durably logs an admitted entry (domains that build records
    /// server-side call this directly).
    pub async fn append(&self, pending: Pending) -> ApiResult<Accepted> {
        let acknowledged = self
            .inner
            .queue
            .append(pending)
            .await
            .map_err(|e| match e {
                AppendFailure::Storage(fault) => ApiError::storage_unavailable(fault),
                other => ApiError::unavailable(other.to_string()),
            })?;
        let proof = || {
            acknowledged
                .inclusion_proof
                .clone()
                .ok_or_else(|| ApiError::internal("the inclusion proof could not be read"))
        };
        match acknowledged.outcome {
            Outcome::Appended(index) => Ok(Accepted {
                index,
                duplicate: false,
                inclusion_proof: proof()?,
                checkpoint: acknowledged.checkpoint,
                logged: None,
            }),
            Outcome::Duplicate(index) => Ok(Accepted {
                index,
                duplicate: true,
                inclusion_proof: proof()?,
                checkpoint: acknowledged.checkpoint,
                logged: None,
            }),
            Outcome::Conflict { key, holder } => Err(ApiError::conflict(
                "already_used",
                format!("{} is already used by log entry {holder}", key.namespace),
            )),
        }
    }

    /// New records must be stamped within the timestamp window (a
    /// byte-identical resubmission is exempt: see [`judge`](Self::judge)).
    fn check_fresh(&self, record: &Record) -> ApiResult<()> {
        check_freshness(
            record.timestamp_ms(),
            now_ms(),
            self.inner.timestamp_window_ms,
        )
        .map_err(|e| ApiError::unprocessable("stale_record", e.to_string()))
    }

    /// A statement the log stamps itself (a ballot, a claim) that is
    /// already logged with exactly this payload: answered as a duplicate of
    /// that entry, whatever the domain's state is now (a closed election, a
    /// spent nullifier). The same nullifier with another payload is not a
    /// resubmission, and is left to the domain's rules.
    fn logged_statement(&self, domain: &dyn Domain, record: &Record) -> ApiResult<Option<Record>> {
        let Some(key) = domain.statement_key(record) else {
            return Ok(None);
        };
        let mut holder = None;
        self.inner
            .sequencer
            .store()
            .with_reader(&mut |r| {
                holder = match r.unique_holder(&key)? {
                    Some(index) => r.entries(index, index + 1)?.pop(),
                    None => None,
                };
                Ok(())
            })
            .map_err(ApiError::storage)?;
        let Some(entry) = holder else {
            return Ok(None);
        };
        let logged = Record::decode(&entry.leaf).map_err(ApiError::internal)?;
        let same = logged.domain() == record.domain()
            && logged.kind() == record.kind()
            && logged.author() == record.author()
            && logged.payload() == record.payload();
        Ok(same.then_some(logged))
    }

    /// Whether the record is already logged. Blocking: reads the store.
    fn known_record(&self, record: &Record) -> ApiResult<bool> {
        let id = record.id();
        let mut found = false;
        self.inner
            .sequencer
            .store()
            .with_reader(&mut |r| {
                found = r.index_of_record(&id)?.is_some();
                Ok(())
            })
            .map_err(ApiError::storage)?;
        Ok(found)
    }
}

/// Whether [`AppState::judge`] may read the store.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reads {
    /// It runs on the blocking pool and may.
    Allowed,
    /// It runs on the runtime and must not: a question for the store ends
    /// it with [`Judging::NeedsStore`].
    Deferred,
}

/// Why [`AppState::judge`] gave no verdict.
enum Judging {
    /// The record is refused.
    Refused(ApiError),
    /// The verdict depends on the store, which it was not allowed to read.
    NeedsStore,
}

impl From<ApiError> for Judging {
    fn from(e: ApiError) -> Self {
        Self::Refused(e)
    }
}

impl Judging {
    /// The refusal, when the store could be read (so a verdict was given).
    fn into_refusal(self) -> ApiError {
        match self {
            Self::Refused(e) => e,
            Self::NeedsStore => ApiError::internal("judged without the store"),
        }
    }
}

/// What judging a submission found.
enum Judged {
    /// A statement already logged with exactly this payload: the logged
    /// record, appended again for its index and checkpoint.
    LoggedStatement(Box<Record>),
    /// This very record is already logged.
    Known,
    /// A new record, admitted by its domain.
    Admitted(Pending),
}
