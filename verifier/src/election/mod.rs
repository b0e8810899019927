//! Election bundles: a whole election, checkable offline.
//!
//! An [`ElectionBundle`] holds every record of one election — its creation,
//! phase changes, the trustees' dealings and complaints, the joint key,
//! every ballot with its proof, the partial decryptions and the tally — and
//! the records those need (the authority set, the voters' registry, its
//! logged roots the ballots used, the ballot circuit's logged verifying
//! key), all with inclusion proofs against one signed checkpoint.
//!
//! [`ElectionBundle::verify`] replays the election through the same rules
//! the service applies ([`ElectionBook`]), then checks what the service
//! checked per record: every ballot proof (in batches), that each ballot's
//! root was logged for the registry before the ballot, that nullifiers are
//! unique (unless the election allows re-voting: then the last ballot per
//! nullifier counts), that the joint key is the one the ceremony
//! determines, that the log's seal at the close commits to exactly the
//! ballots the bundle holds, that each partial decryption is proved, and
//! that the tally is the decryption of the homomorphic sum of exactly the
//! counted ballots.
//!
//! A verified bundle then answers a voter ([`ElectionReport::standing`]:
//! does my receipt's ballot count, was it superseded, or was it left out?)
//! and an auditor with a mirror of the whole log
//! ([`ElectionReport::compare_with_log`]: is any ballot the log holds
//! missing from the bundle, or any root logging that would put a ballot's
//! root outside the registry's window?).

use std::collections::BTreeMap;

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use zkaudit_circuits::ballot::BallotShape;
use zkaudit_ledger::election::{
    self, CREATE, Contest, Election, ElectionBook, ElectionSpec, Phase, SealRecord, election_of,
};
use zkaudit_ledger::identity::{
    self as identity, CIRCUIT_KEY, CircuitKey, REGISTRY_CREATE, RegistrySpec,
};
use zkaudit_ledger::record::Author;

use crate::Result;
use crate::error::{ensure, expect_format, mismatch};
use crate::evidence::{LogEvidence, VerifiedEvidence, granted};
use crate::groth16::{self, PreparedKey};

mod ballots;
pub mod challenge;
mod standing;
mod tally;

pub use ballots::{BATCH, ProofShare, ROOT_WINDOW_SLACK_MS};
use ballots::{RootEvidence, check_ballots};
pub use standing::{LogComparison, ReceiptStanding};
use tally::{check_seal, check_tally};

/// Format tag of election bundles.
pub const ELECTION_BUNDLE_FORMAT: &str = "zkaudit-election-bundle/v1";

/// An election and everything needed to check it offline (JSON).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ElectionBundle {
    /// Always [`ELECTION_BUNDLE_FORMAT`].
    pub format: String,
    /// The election's id.
    pub election: String,
    /// The records, with inclusion proofs against one checkpoint.
    pub evidence: LogEvidence,
}

/// What a verified bundle establishes.
#[derive(Clone, Debug)]
pub struct ElectionReport {
    /// The election's id.
    pub election: String,
    /// Its title.
    pub title: String,
    /// The commission's authority name.
    pub commission: String,
    /// The phase the records reach.
    pub phase: Phase,
    /// Qualified dealers of the key ceremony.
    pub qualified: Vec<u32>,
    /// Whether the election allows re-voting (the last ballot counts).
    pub revoting: bool,
    /// Ballots that count: the last per voter.
    pub ballots: usize,
    /// Ballots cast (each proof verified), superseded ones included.
    pub cast: usize,
    /// Which ballots' proofs this verification checked: all of them, or a
    /// share of a check split over several workers (see [`ProofShare`]).
    pub proof_share: ProofShare,
    /// Challenged ballots voters published, opened (never counted); each
    /// opening was checked against the election key by the replay.
    pub spoiled: usize,
    /// The log's seal over the cast ballots, checked against them; `None`
    /// while open, for an election closed before seals existed, or when
    /// the bundle leaves the seal out (a tally still holds the bundle to
    /// every counted ballot: its partial decryptions are of the sums over
    /// all of them).
    pub seal: Option<SealRecord>,
    /// Election records the rules skipped (e.g. a ballot logged after the
    /// close): present in the log, not counted.
    pub skipped: usize,
    /// Option labels and, if tallied, their counts (points, in a
    /// cumulative contest), over all contests in ballot order
    /// ([`ElectionReport::results_by_contest`] groups them).
    pub results: Vec<OptionResult>,
    /// Trustees whose partial decryptions were combined.
    pub trustees_used: Vec<u32>,
    /// Trustees whose partial decryptions did not verify.
    pub trustees_rejected: Vec<u32>,
    /// The ballot circuit key's digest, hex; `None` for a v3 election
    /// whose joint key (hence circuit) is not logged yet.
    pub vk_digest: Option<String>,
    /// Whether that key comes from a development setup.
    pub development_key: bool,
    /// The ceremony on the log that made the key, if one did.
    pub key_ceremony: Option<zkaudit_ledger::identity::KeyCeremony>,
    /// Size of the checkpoint everything is proven against.
    pub checkpoint_size: u64,
    /// The election as replayed from the bundle.
    pub replayed: Election,
    /// The log's record-signing key.
    log_key: VerifyingKey,
    /// The election's registry (its window judges each ballot's root).
    registry: RegistrySpec,
    /// Record id of every entry the bundle proves, by index.
    entry_ids: BTreeMap<u64, [u8; 32]>,
}

/// An option's label and, if tallied, its count.
pub type OptionResult = (String, Option<u64>);

impl ElectionReport {
    /// The results per contest: each contest (title, options, rule) with
    /// its options' labels and counts.
    pub fn results_by_contest(&self) -> Vec<(&Contest, &[OptionResult])> {
        let spec = &self.replayed.spec;
        let ranges = spec.contest_ranges().into_iter();
        let results = ranges.map(|range| &self.results[range]);
        spec.contests.iter().zip(results).collect()
    }
}

impl ElectionBundle {
    /// Verifies the bundle against the log's verifier key.
    pub fn verify(&self, log_vkey: &str) -> Result<ElectionReport> {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        self.verify_with_threads(log_vkey, threads)
    }

    /// [`ElectionBundle::verify`] with the ballot proofs' batches spread
    /// over at most `threads` threads (1: all on this one; what a browser
    /// or a service that keeps its other cores busy wants).
    pub fn verify_with_threads(&self, log_vkey: &str, threads: usize) -> Result<ElectionReport> {
        self.verify_share(log_vkey, threads, ProofShare::ALL)
    }

    /// [`ElectionBundle::verify_with_threads`] verifying only the ballot
    /// proofs of `share` (everything else in full): one part of a check
    /// split over several workers, which holds only if every part does.
    pub fn verify_share(
        &self,
        log_vkey: &str,
        threads: usize,
        share: ProofShare,
    ) -> Result<ElectionReport> {
        expect_format(&self.format, ELECTION_BUNDLE_FORMAT)?;
        let evidence = self.evidence.verify(log_vkey)?;

        // Replay the election's records through the service's own rules.
        let mut book = ElectionBook::new(evidence.log_key);
        let mut seen = 0usize;
        for (index, record) in &evidence.entries {
            if record.domain() == election::DOMAIN
                && election_of(record).as_deref() == Some(self.election.as_str())
            {
                book.apply(*index, record);
                seen += 1;
            }
        }
        let e = book.get(&self.election).ok_or_else(|| {
            mismatch(format!(
                "the bundle holds no valid creation of election {:?}",
                self.election
            ))
        })?;
        let spec = &e.spec;

        let set = evidence.authority_before(e.created_at, "the election")?;
        let commission = granted(
            &set,
            &e.commission,
            election::DOMAIN,
            CREATE,
            "the election's creator",
        )?
        .name
        .clone();

        // The registry and the ballot circuit's key.
        let registry = check_registry(&evidence, e)?;
        // None for a v3 election before its joint key: no circuit yet.
        let shape = e
            .ballot_shape(registry.depth as usize)
            .map_err(|err| mismatch(err.to_string()))?;
        // Every logging of the registry's roots: a ballot may use a root
        // logged before it, however often the registry logs that root
        // again, while it is in the registry's window.
        let roots = RootEvidence::from_entries(&registry, &evidence.entries, &evidence.log_key);
        let key = match shape {
            Some(shape) => {
                let (key, prepared) = logged_ballot_key(&evidence, spec, shape)?;
                check_ballots(e, shape, &key, &prepared, &roots, threads, share)?;
                Some(key)
            }
            None => {
                ensure(e.ballots.is_empty(), || {
                    "ballots were cast before the election's joint key".into()
                })?;
                None
            }
        };
        let seal = check_seal(e)?.cloned();
        let tally = check_tally(e)?;
        if let Some(tally) = tally {
            ensure(
                seal.as_ref().is_none_or(|s| s.counted == tally.ballots),
                || "the tally counts other ballots than the log sealed".into(),
            )?;
        }

        Ok(ElectionReport {
            election: spec.id.clone(),
            title: spec.title.clone(),
            commission,
            phase: e.phase,
            qualified: e
                .key
                .as_ref()
                .map(|k| k.qualified.clone())
                .unwrap_or_default(),
            revoting: spec.revoting,
            ballots: e.counted_len(),
            cast: e.ballots.len(),
            proof_share: share,
            spoiled: e.spoiled.len(),
            seal,
            skipped: seen - e.records.len(),
            results: spec
                .option_labels()
                .into_iter()
                .enumerate()
                .map(|(i, label)| (label.to_owned(), tally.map(|t| t.counts[i])))
                .collect(),
            trustees_used: tally.map(|t| t.used.clone()).unwrap_or_default(),
            trustees_rejected: tally.map(|t| t.rejected.clone()).unwrap_or_default(),
            vk_digest: key.as_ref().map(|key| hex::encode(key.vk_digest)),
            development_key: key.as_ref().is_some_and(|key| key.development),
            key_ceremony: key.and_then(|key| key.ceremony),
            checkpoint_size: evidence.checkpoint.size,
            replayed: e.clone(),
            log_key: evidence.log_key,
            registry,
            entry_ids: evidence.entries.iter().map(|(i, r)| (*i, r.id())).collect(),
        })
    }
}

/// The logged circuit key of `shape` in `evidence` (the first, as the
/// service takes it), prepared, and checked against its digest and against
/// the key the election names, if it names one.
fn logged_ballot_key(
    evidence: &VerifiedEvidence,
    spec: &ElectionSpec,
    shape: BallotShape,
) -> Result<(CircuitKey, PreparedKey)> {
    let key = evidence
        .entries
        .iter()
        .map(|(_, r)| r)
        .filter(|r| evidence.is_log_record(r, identity::DOMAIN, CIRCUIT_KEY))
        .filter_map(|r| CircuitKey::decode(r.payload()).ok())
        .find(|k| k.shape == shape.id())
        .ok_or_else(|| mismatch(format!("the bundle lacks the logged key of {shape}")))?;
    let prepared = PreparedKey::new(groth16::decode_vk(&key.vk)?)?;
    ensure(prepared.digest() == key.vk_digest, || {
        "the logged ballot key does not match its digest".into()
    })?;
    if let Some(named) = &spec.circuit_key {
        ensure(*named == key.vk_digest && !key.development, || {
            format!(
                "the election names ballot key {}, the log's key of {shape} is {}",
                hex::encode(named),
                hex::encode(key.vk_digest)
            )
        })?;
    }
    Ok((key, prepared))
}

/// The registry election `e` names, from the bundle: created before the
/// election by an authority granted `identity/registry.create` (by the set
/// in force then), with one attribute per predicate of the election, as
/// the service checks when the election is created.
fn check_registry(evidence: &VerifiedEvidence, e: &Election) -> Result<RegistrySpec> {
    let spec = &e.spec;
    let (index, record, registry) = evidence
        .entries
        .iter()
        .filter(|(_, r)| r.domain() == identity::DOMAIN && r.kind() == REGISTRY_CREATE)
        .filter_map(|(i, r)| RegistrySpec::decode(r.payload()).ok().map(|s| (*i, r, s)))
        .find(|(_, _, s)| s.id == spec.registry)
        .ok_or_else(|| mismatch(format!("the bundle lacks registry {:?}", spec.registry)))?;
    ensure(index < e.created_at, || {
        "the registry was created after the election".into()
    })?;
    let Author::Ed25519(creator) = record.author() else {
        return Err(mismatch("the registry's creation is unsigned"));
    };
    let set = evidence.authority_before(index, "the registry")?;
    granted(
        &set,
        &creator,
        identity::DOMAIN,
        REGISTRY_CREATE,
        "the registry's creator",
    )?;
    ensure(registry.attributes.len() == spec.predicates.len(), || {
        format!(
            "registry {:?} has {} attributes, the election gives {} predicates",
            registry.id,
            registry.attributes.len(),
            spec.predicates.len()
        )
    })?;
    Ok(registry)
}
