//! The cast ballots of an election bundle — superseded ones too, since the
//! log vouched for each: each on a root the log logged for the registry
//! before it, under the logged key, with a fresh nullifier unless the
//! election allows re-voting, and its proof valid (verified in batches).

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use ark_bn254::{Bn254, Fr};
use ark_groth16::Proof;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use zkaudit_circuits::ballot::{BallotShape, public_inputs};
use zkaudit_ledger::election::{CastBallot, Election, ballot_statement};
use zkaudit_ledger::identity::{
    self as identity, CircuitKey, REGISTRY_ROOT, RegistryRoot, RegistrySpec,
};
use zkaudit_ledger::record::Record;

use crate::error::{ensure, mismatch};
use crate::evidence::is_log_record;
use crate::groth16::{self, PreparedKey};
use crate::{Result, VerifyError};

/// Ballot proofs verified per batch.
pub const BATCH: usize = 64;

/// A share of an election bundle's ballot proofs, for splitting one
/// bundle's check over several processes that cannot share threads (the
/// board's Web Workers): part `part` of `parts` verifies the proofs of the
/// ballots in [`ProofShare::range`] — contiguous, so the parts together
/// cover every ballot exactly once — and everything else in full. A
/// bundle's proofs are all verified only when every part succeeds.
///
/// In JSON `{"part": 0, "parts": 2}`; a share with `part ≥ parts` is
/// refused when read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ShareParts", into = "ShareParts")]
pub struct ProofShare {
    part: u32,
    parts: u32,
}

/// A [`ProofShare`] as written, before it is checked.
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareParts {
    part: u32,
    parts: u32,
}

impl TryFrom<ShareParts> for ProofShare {
    type Error = String;

    fn try_from(raw: ShareParts) -> std::result::Result<Self, String> {
        ProofShare::new(raw.part, raw.parts).ok_or_else(|| {
            format!(
                "part {} of {} is no share of a check (parts count from 0)",
                raw.part, raw.parts
            )
        })
    }
}

impl From<ProofShare> for ShareParts {
    fn from(share: ProofShare) -> Self {
        ShareParts {
            part: share.part,
            parts: share.parts,
        }
    }
}

impl ProofShare {
    /// Every proof, in one part.
    pub const ALL: ProofShare = ProofShare { part: 0, parts: 1 };

    /// Part `part` of `parts`; `None` unless `part < parts`.
    pub fn new(part: u32, parts: u32) -> Option<Self> {
        (part < parts).then_some(ProofShare { part, parts })
    }

    /// This part, from 0.
    pub fn part(self) -> u32 {
        self.part
    }

    /// How many parts the proofs are split into.
    pub fn parts(self) -> u32 {
        self.parts
    }

    /// Whether this share is every proof.
    pub fn is_all(self) -> bool {
        self.parts == 1
    }

    /// The ballots (by position in the bundle) whose proofs this share
    /// verifies, out of `len`.
    pub fn range(self, len: usize) -> Range<usize> {
        let at = |part: u32| {
            let at = len as u128 * u128::from(part) / u128::from(self.parts);
            at as usize
        };
        at(self.part)..at(self.part + 1)
    }
}

/// How far before a ballot's stamp the verifier judges its root's window
/// ([`RegistrySpec::root_in_window`]): a minute.
///
/// The service judges the window when it admits the ballot, a little after
/// stamping it, against the roots logged by then; a registry change racing
/// the ballot may log a root between that moment and the ballot's entry.
/// Judging as of a minute earlier (roots logged since then are not counted
/// against it, and the time window is a minute longer) means no such race
/// can make an honest ballot fail, while a ballot on a root the window had
/// left a minute before is still refused.
pub const ROOT_WINDOW_SLACK_MS: u64 = 60_000;

/// One `registry.root` record of the election's registry in the bundle.
#[derive(Clone, Copy, Debug)]
pub(super) struct RootLogging {
    /// Its log index.
    pub index: u64,
    /// Its timestamp (the log's), Unix ms.
    pub logged_at_ms: u64,
    /// The root.
    pub root: [u8; 32],
}

/// What a bundle shows to judge the root each ballot proves against: the
/// election's registry, the loggings of its roots in log order, and each
/// record's timestamp by log index.
pub(super) struct RootEvidence<'a> {
    /// The registry's spec (its window).
    pub registry: &'a RegistrySpec,
    /// Its roots' loggings, in log order.
    pub loggings: Vec<RootLogging>,
    /// Timestamps of the bundle's records, by log index.
    pub stamps: BTreeMap<u64, u64>,
}

impl<'a> RootEvidence<'a> {
    /// The evidence `entries` (log index and record, in log order) hold
    /// for `registry`: every `registry.root` record of it that the log
    /// (`log_key`) signed, and the timestamp of every entry.
    pub fn from_entries<'e>(
        registry: &'a RegistrySpec,
        entries: impl IntoIterator<Item = &'e (u64, Record)>,
        log_key: &VerifyingKey,
    ) -> Self {
        let mut loggings = Vec::new();
        let mut stamps = BTreeMap::new();
        for (index, record) in entries {
            stamps.insert(*index, record.timestamp_ms());
            if !is_log_record(log_key, record, identity::DOMAIN, REGISTRY_ROOT) {
                continue;
            }
            if let Ok(logged) = RegistryRoot::decode(record.payload())
                && logged.registry == registry.id
            {
                loggings.push(RootLogging {
                    index: *index,
                    logged_at_ms: record.timestamp_ms(),
                    root: logged.root,
                });
            }
        }
        RootEvidence {
            registry,
            loggings,
            stamps,
        }
    }

    /// Checks that the ballot logged at `index` may use `root`: the log
    /// logged it for the registry before the ballot, and it was in the
    /// registry's accepted window then (as of [`ROOT_WINDOW_SLACK_MS`]
    /// before the ballot's stamp), judged from its latest logging before
    /// the ballot and the loggings after that.
    pub fn check(&self, root: &[u8; 32], index: u64) -> Result<()> {
        let loggings = &self.loggings;
        let before = &loggings[..loggings.partition_point(|l| l.index < index)];
        let Some(at) = before.iter().rposition(|l| &l.root == root) else {
            return Err(mismatch(if loggings.iter().any(|l| &l.root == root) {
                format!("ballot at {index} uses a root logged after it")
            } else {
                format!("ballot at {index} uses a root the bundle shows no logged record for")
            }));
        };
        let stamped_ms = *self
            .stamps
            .get(&index)
            .expect("a replayed ballot is a record of the bundle");
        let as_of = stamped_ms.saturating_sub(ROOT_WINDOW_SLACK_MS);
        let logged_after = before[at + 1..]
            .iter()
            .filter(|l| l.logged_at_ms <= as_of)
            .count();
        let logged_at_ms = before[at].logged_at_ms;
        ensure(
            self.registry
                .root_in_window(logged_after, logged_at_ms, as_of),
            || {
                format!(
                    "ballot at {index} uses a root outside registry {:?}'s accepted window: {logged_after} roots were logged after it, {} s before the ballot",
                    self.registry.id,
                    stamped_ms.saturating_sub(logged_at_ms) / 1000
                )
            },
        )
    }
}

/// Checks every ballot `e` holds against the `roots` the bundle shows
/// ([`RootEvidence::check`]) and the ballot circuit's logged `key`
/// (`prepared`), then verifies the proofs of the ballots in `share`,
/// [`BATCH`] at a time, the batches spread over the machine's cores (each
/// decodes its proofs and rebuilds its statements too).
pub(super) fn check_ballots(
    e: &Election,
    shape: BallotShape,
    key: &CircuitKey,
    prepared: &PreparedKey,
    roots: &RootEvidence<'_>,
    threads: usize,
    share: ProofShare,
) -> Result<()> {
    if e.ballots.is_empty() {
        return Ok(());
    }
    let spec = &e.spec;
    let joint_key = e
        .key
        .as_ref()
        .ok_or_else(|| mismatch("ballots were cast without a logged key"))?
        .joint_key;
    let mut nullifiers = HashSet::new();
    for counted in &e.ballots {
        let ballot = &counted.ballot;
        roots.check(&ballot.root, counted.index)?;
        ensure(ballot.vk_digest == key.vk_digest, || {
            format!("ballot at {} names another verifying key", counted.index)
        })?;
        ensure(nullifiers.insert(ballot.nullifier) || spec.revoting, || {
            format!(
                "ballot at {} repeats a nullifier in an election without re-voting",
                counted.index
            )
        })?;
    }
    // One batch: its statements and proofs, then one batch check.
    let check_batch = |batch: &[CastBallot]| -> Result<()> {
        let items = batch
            .iter()
            .map(|counted| {
                let public = ballot_statement(spec, shape, &counted.ballot, joint_key)
                    .map_err(|err| mismatch(format!("ballot at {}: {err}", counted.index)))?;
                let proof = groth16::decode_proof(&counted.ballot.proof)?;
                Ok((public_inputs(&public), proof))
            })
            .collect::<Result<Vec<(Vec<Fr>, Proof<Bn254>)>>>()?;
        match groth16::verify_batch(prepared, &items) {
            Err(VerifyError::BatchRejected { invalid }) => {
                let at: Vec<u64> = invalid.iter().map(|&i| batch[i].index).collect();
                Err(VerifyError::Groth16 {
                    reason: format!("the proofs of the ballots logged at {at:?} do not verify"),
                })
            }
            other => other,
        }
    };
    let mine = &e.ballots[share.range(e.ballots.len())];
    let batches: Vec<&[CastBallot]> = mine.chunks(BATCH).collect();
    // Where threads cannot be spawned (WebAssembly) this is 1: inline.
    if threads <= 1 || batches.len() <= 1 {
        return batches.into_iter().try_for_each(check_batch);
    }
    let per_thread = batches.len().div_ceil(threads);
    let check_batch = &check_batch;
    let results: Vec<Result<()>> = std::thread::scope(|scope| {
        let workers: Vec<_> = batches
            .chunks(per_thread)
            .map(|mine| {
                scope.spawn(move || mine.iter().map(|b| check_batch(b)).collect::<Vec<_>>())
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    // The first failure in log order, whichever thread found it.
    results.into_iter().collect()
}
