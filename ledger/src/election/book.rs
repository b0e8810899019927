//! Every election's state replayed from the log, and the rules a new
//! record must meet in each phase.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use ed25519_dalek::VerifyingKey;
use zkaudit_circuits::babyjubjub::Point;
use zkaudit_circuits::ballot::BallotShape;
use zkaudit_circuits::elgamal::{Ciphertext, sum_ballots};
use zkaudit_circuits::threshold::decrypt::PartialDecryption;
use zkaudit_circuits::threshold::dkg::{Complaint, Dealing, qualify};

use super::ballot::Ballot;
use super::error::crypto;
use super::records::{
    ComplaintRecord, DealRecord, DecryptRecord, ElectionKey, Phase, PhaseChange, SealRecord,
    TallyRecord, ballot_leaf, election_of,
};
use super::spec::ElectionSpec;
use super::{
    BALLOT, COMPLAINT, CREATE, DEAL, DECRYPT, DOMAIN, ElectionError, ElectionResult, KEY, PHASE,
    SEAL, SPOILED, SpoiledBallot, TALLY,
};
use crate::codec::CodecError;
use crate::merkle::MemoryTree;
use crate::record::{Author, Record};
use crate::replay::Book;

/// One ballot logged while the election was open.
#[derive(Clone, Debug)]
pub struct CastBallot {
    /// Its log index.
    pub index: u64,
    /// Its record's id.
    pub record_id: [u8; 32],
    /// The ballot.
    pub ballot: Ballot,
}

/// Where a logged ballot stands in its election's record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BallotStanding {
    /// It is the voter's last ballot: it counts.
    Counts,
    /// The voter voted again: the ballot at this index counts instead.
    Superseded {
        /// The index of the voter's latest ballot.
        by: u64,
    },
    /// The election's record holds no ballot at this index with this id.
    NotInRecord,
}

/// One election's derived state.
#[derive(Clone, Debug)]
pub struct Election {
    /// Its spec.
    pub spec: ElectionSpec,
    /// The commission (author of `election.create`).
    pub commission: VerifyingKey,
    /// Log index of `election.create`.
    pub created_at: u64,
    /// The current phase.
    pub phase: Phase,
    /// Log index of the opening `election.phase`, once open.
    pub opened_at: Option<u64>,
    /// Log index of the closing `election.phase`, once closed: ballots
    /// logged before it (and after the opening) belong to the election.
    pub closed_at: Option<u64>,
    /// Dealings by dealer index.
    pub dealings: BTreeMap<u32, Dealing>,
    /// Complaints, in log order.
    pub complaints: Vec<Complaint>,
    /// The joint key, once logged.
    pub key: Option<ElectionKey>,
    /// Every ballot logged while open, in log order — superseded ones too;
    /// [`Election::counted`] gives those that count.
    pub ballots: Vec<CastBallot>,
    /// Each nullifier's latest ballot (its log index).
    latest: HashMap<[u8; 32], u64>,
    /// Log indices of the published challenged ballots (never counted).
    pub spoiled: Vec<u64>,
    /// Fingerprints of every cast or spoiled ballot: one ballot each.
    fingerprints: HashSet<[u8; 32]>,
    /// Partial decryptions by trustee, in log order of arrival.
    pub decryptions: BTreeMap<u32, DecryptRecord>,
    /// The log's seal over the cast ballots, once closed.
    pub seal: Option<SealRecord>,
    /// The tally, once logged.
    pub tally: Option<TallyRecord>,
    /// Log indices of every record of this election, in order.
    pub records: Vec<u64>,
    /// The tree over the sealed ballots, built on first use
    /// ([`Election::sealed_ballots_tree`]).
    sealed_tree: OnceLock<Arc<MemoryTree>>,
}

impl Election {
    /// The ballot circuit's shape for a registry of `depth` levels
    /// ([`ElectionSpec::ballot_shape`] under the logged joint key); `None`
    /// for a v3 election whose joint key is not logged yet: it has no
    /// circuit, and the replay admits no ballot without the key.
    pub fn ballot_shape(&self, depth: usize) -> ElectionResult<Option<BallotShape>> {
        let joint_key = self.key.as_ref().map(|key| &key.joint_key);
        match self.spec.ballot_shape(depth, joint_key) {
            Err(ElectionError::NoJointKey(_)) => Ok(None),
            shape => shape.map(Some),
        }
    }

    /// The tree over the cast ballots once the log sealed them, built on
    /// the first call and kept: no ballot joins a closed election, so every
    /// voter's standing request proves against the same tree instead of
    /// rebuilding it. `None` before the seal.
    pub fn sealed_ballots_tree(&self) -> Option<Arc<MemoryTree>> {
        self.seal.as_ref()?;
        let tree = self
            .sealed_tree
            .get_or_init(|| Arc::new(self.ballots_tree()));
        // Belt and braces: a tree of other ballots is never served.
        if tree.size() == self.ballots.len() as u64 {
            Some(tree.clone())
        } else {
            Some(Arc::new(self.ballots_tree()))
        }
    }

    /// Whether `nullifier` has voted.
    pub fn has_voted(&self, nullifier: &[u8; 32]) -> bool {
        self.latest.contains_key(nullifier)
    }

    /// The ballots that count — the last one per nullifier — in log order.
    pub fn counted(&self) -> impl Iterator<Item = &CastBallot> {
        self.ballots
            .iter()
            .filter(|b| self.latest.get(&b.ballot.nullifier) == Some(&b.index))
    }

    /// How many ballots count (one per voter who voted).
    pub fn counted_len(&self) -> usize {
        self.latest.len()
    }

    /// Where the ballot logged at `index` with `record_id` stands.
    pub fn standing(&self, index: u64, record_id: &[u8; 32]) -> BallotStanding {
        let Ok(at) = self.ballots.binary_search_by_key(&index, |b| b.index) else {
            return BallotStanding::NotInRecord;
        };
        let cast = &self.ballots[at];
        if &cast.record_id != record_id {
            return BallotStanding::NotInRecord;
        }
        match self.latest.get(&cast.ballot.nullifier) {
            Some(&latest) if latest != index => BallotStanding::Superseded { by: latest },
            _ => BallotStanding::Counts,
        }
    }

    /// The Merkle tree over the cast ballots' seal leaves ([`ballot_leaf`]).
    pub fn ballots_tree(&self) -> MemoryTree {
        let mut tree = MemoryTree::new();
        tree.extend(
            self.ballots
                .iter()
                .map(|b| ballot_leaf(b.index, &b.record_id)),
        );
        tree
    }

    /// The seal of the ballots this replay holds: what the log writes when
    /// the election closes, and what a verifier compares the logged seal to.
    pub fn ballots_seal(&self) -> SealRecord {
        SealRecord {
            election: self.spec.id.clone(),
            cast: self.ballots.len() as u64,
            counted: self.counted_len() as u64,
            ballots_root: self.ballots_tree().root(),
        }
    }

    /// The per-option homomorphic sums of the counted ballots.
    pub fn aggregate(&self) -> Vec<Ciphertext> {
        let ballots: Vec<&[Ciphertext]> = self
            .counted()
            .map(|b| b.ballot.ciphertexts.as_slice())
            .collect();
        sum_ballots(&ballots, self.spec.option_count())
            .expect("counted ballots have one ciphertext per option")
    }

    /// The qualified set and joint key the logged dealings and complaints
    /// determine.
    pub fn qualify(&self) -> ElectionResult<ElectionKey> {
        let params = self.spec.params()?;
        let dealings: Vec<Dealing> = self.dealings.values().cloned().collect();
        let q = qualify(
            &self.spec.context(),
            &params,
            &self.spec.trustee_keys(),
            &dealings,
            &self.complaints,
        )
        .map_err(crypto("key ceremony"))?;
        if (q.qualified().len() as u32) < params.threshold() {
            return Err(ElectionError::CeremonyIncomplete {
                qualified: q.qualified().len(),
                threshold: params.threshold(),
            });
        }
        Ok(ElectionKey {
            election: self.spec.id.clone(),
            qualified: q.qualified().to_vec(),
            joint_key: q.joint_public_key(),
        })
    }

    /// Trustee verification keys `Y_j` (index order) of the qualified dealers.
    pub fn verification_keys(&self) -> ElectionResult<Vec<Point>> {
        let key = self.key.as_ref().ok_or_else(|| ElectionError::WrongPhase {
            election: self.spec.id.clone(),
            phase: self.phase,
            action: "decryption before the key is logged",
        })?;
        let commitments: Vec<&[Point]> = key
            .qualified
            .iter()
            .filter_map(|d| self.dealings.get(d).map(|x| x.commitments.as_slice()))
            .collect();
        Ok((1..=self.spec.trustees.len() as u32)
            .map(|j| zkaudit_circuits::threshold::dkg::verification_key(&commitments, j))
            .collect())
    }

    /// `Ok` if `what` has one entry per option of the election.
    fn expect_options(&self, found: usize, what: &str) -> ElectionResult<()> {
        if found == self.spec.option_count() {
            return Ok(());
        }
        Err(ElectionError::Ballot(format!(
            "election {:?} has {} options, {what} {found}",
            self.spec.id,
            self.spec.option_count()
        )))
    }

    /// `Ok` if no ballot with this fingerprint was cast or spoiled.
    fn expect_fresh(&self, fingerprint: &[u8; 32]) -> ElectionResult<()> {
        if self.fingerprints.contains(fingerprint) {
            return Err(ElectionError::FingerprintTaken(self.spec.id.clone()));
        }
        Ok(())
    }

    fn wrong_phase(&self, action: &'static str) -> ElectionError {
        ElectionError::WrongPhase {
            election: self.spec.id.clone(),
            phase: self.phase,
            action,
        }
    }
}

/// Every election's state, replayed from the log.
#[derive(Clone, Debug)]
pub struct ElectionBook {
    log_key: VerifyingKey,
    elections: BTreeMap<String, Election>,
    applied_up_to: u64,
}

impl ElectionBook {
    /// An empty book; `log_key` signs the log's own records (keys, tallies).
    pub fn new(log_key: VerifyingKey) -> Self {
        Self {
            log_key,
            elections: BTreeMap::new(),
            applied_up_to: 0,
        }
    }

    /// One past the largest index applied.
    pub fn applied_up_to(&self) -> u64 {
        self.applied_up_to
    }

    /// An election by id.
    pub fn get(&self, id: &str) -> Option<&Election> {
        self.elections.get(id)
    }

    /// All elections, by id.
    pub fn elections(&self) -> impl Iterator<Item = &Election> {
        self.elections.values()
    }

    fn election(&self, id: &str) -> ElectionResult<&Election> {
        self.elections
            .get(id)
            .ok_or_else(|| ElectionError::UnknownElection(id.to_owned()))
    }

    /// Checks, without applying, that `record` may be logged now. Ballot
    /// proofs are the caller's to verify; for ballots this checks the phase,
    /// the shape and that the nullifier has not voted.
    pub fn check(&self, record: &Record) -> ElectionResult<()> {
        self.check_with(record, true)
    }

    fn check_with(&self, record: &Record, strict: bool) -> ElectionResult<()> {
        let author = match record.author() {
            Author::Ed25519(key) => Some(key),
            Author::None => None,
        };
        match record.kind() {
            CREATE => {
                let spec = ElectionSpec::decode(record.payload())?;
                if self.elections.contains_key(&spec.id) {
                    return Err(ElectionError::ElectionExists(spec.id));
                }
                Ok(())
            }
            PHASE => {
                let change = PhaseChange::decode(record.payload())?;
                let election = self.election(&change.election)?;
                if author != Some(election.commission) {
                    return Err(ElectionError::NotAuthorised(
                        "only the commission that created the election may change its phase".into(),
                    ));
                }
                let next = match election.phase {
                    Phase::Setup => Phase::KeyCeremony,
                    Phase::KeyCeremony => Phase::Open,
                    Phase::Open => Phase::Closed,
                    _ => return Err(election.wrong_phase("a phase change")),
                };
                if change.phase != next {
                    return Err(election.wrong_phase(match change.phase {
                        Phase::Open => "opening",
                        Phase::Closed => "closing",
                        _ => "this phase change",
                    }));
                }
                if next == Phase::Open {
                    // The spec announces when voting opens; an opening
                    // stamped earlier would let ballots in before it.
                    if record.timestamp_ms() < election.spec.opens_at_ms {
                        return Err(ElectionError::OpenedEarly {
                            election: change.election,
                            opens_at_ms: election.spec.opens_at_ms,
                            stamped_ms: record.timestamp_ms(),
                        });
                    }
                    election.qualify()?;
                }
                Ok(())
            }
            DEAL => {
                let election = self.election_of(record)?;
                let deal = DealRecord::decode(record.payload(), &election.spec.params()?)?;
                let index = self.trustee_of(election, author)?;
                if election.phase != Phase::KeyCeremony {
                    return Err(election.wrong_phase("dealing"));
                }
                if deal.dealing.dealer != index {
                    return Err(ElectionError::NotAuthorised(format!(
                        "trustee {index} signed a dealing for dealer {}",
                        deal.dealing.dealer
                    )));
                }
                if election.dealings.contains_key(&index) {
                    return Err(ElectionError::AlreadyPublished {
                        trustee: index,
                        what: "dealing",
                    });
                }
                Ok(())
            }
            COMPLAINT => {
                let election = self.election_of(record)?;
                let complaint = ComplaintRecord::decode(record.payload())?.complaint;
                let index = self.trustee_of(election, author)?;
                if election.phase != Phase::KeyCeremony {
                    return Err(election.wrong_phase("complaining"));
                }
                if complaint.recipient != index {
                    return Err(ElectionError::NotAuthorised(format!(
                        "trustee {index} may only complain about its own shares"
                    )));
                }
                if !election.dealings.contains_key(&complaint.dealer) {
                    return Err(ElectionError::InvalidCrypto {
                        what: "complaint",
                        reason: format!("dealer {} has not dealt", complaint.dealer),
                    });
                }
                Ok(())
            }
            BALLOT => {
                let ballot = Ballot::decode_with(record.payload(), strict)?;
                self.check_ballot(&ballot)?;
                // The log stamps a ballot when it receives it, and refuses
                // it once the voting window has closed: a ballot stamped
                // later was not cast in time, whatever the phase says.
                let election = self.election(&ballot.election)?;
                if record.timestamp_ms() > election.spec.closes_at_ms {
                    return Err(ElectionError::CastAfterClose {
                        election: ballot.election,
                        closes_at_ms: election.spec.closes_at_ms,
                        stamped_ms: record.timestamp_ms(),
                    });
                }
                Ok(())
            }
            SPOILED => self.check_spoiled(&SpoiledBallot::decode(record.payload())?),
            DECRYPT => {
                let election = self.election_of(record)?;
                let decrypt = DecryptRecord::decode(record.payload())?;
                let index = self.trustee_of(election, author)?;
                if election.phase != Phase::Closed {
                    return Err(election.wrong_phase("decrypting"));
                }
                let well_formed = decrypt.partials.len() == election.spec.option_count()
                    && decrypt
                        .partials
                        .iter()
                        .enumerate()
                        .all(|(i, p)| p.trustee == index && p.option == i as u32);
                if !well_formed {
                    return Err(ElectionError::InvalidCrypto {
                        what: "partial decryptions",
                        reason: "one per option, in order, by the signing trustee".into(),
                    });
                }
                if election.decryptions.contains_key(&index) {
                    return Err(ElectionError::AlreadyPublished {
                        trustee: index,
                        what: "partial decryption",
                    });
                }
                Ok(())
            }
            KEY | SEAL | TALLY => {
                if author != Some(self.log_key) {
                    return Err(ElectionError::NotAuthorised(
                        "only the log writes keys, seals and tallies".into(),
                    ));
                }
                Ok(())
            }
            other => Err(ElectionError::InvalidSpec(format!(
                "unknown election record kind {other:?}"
            ))),
        }
    }

    /// Checks, without applying, that `ballot` (already decoded, strictly
    /// if it comes from a voter) may be logged now: the phase, the shape,
    /// the nullifier (unless re-voting is allowed) and that its ciphertexts
    /// were not cast or spoiled before. The proof is the caller's to verify.
    pub fn check_ballot(&self, ballot: &Ballot) -> ElectionResult<()> {
        let election = self.election(&ballot.election)?;
        if election.phase != Phase::Open || election.key.is_none() {
            return Err(election.wrong_phase("voting"));
        }
        election.expect_options(ballot.ciphertexts.len(), "the ballot")?;
        if !election.spec.revoting && election.has_voted(&ballot.nullifier) {
            return Err(ElectionError::AlreadyVoted(election.spec.id.clone()));
        }
        election.expect_fresh(&ballot.fingerprint())
    }

    /// Checks, without applying, that the challenged ballot `spoiled` may be
    /// published now: the election is open, the ballot opens one option
    /// per election option, every ciphertext encrypts its revealed choice
    /// under the election key, and its ciphertexts were not cast or
    /// spoiled before.
    pub fn check_spoiled(&self, spoiled: &SpoiledBallot) -> ElectionResult<()> {
        let election = self.election(&spoiled.election)?;
        let key = match (&election.key, election.phase) {
            (Some(key), Phase::Open) => key.joint_key,
            _ => return Err(election.wrong_phase("publishing a challenged ballot")),
        };
        election.expect_options(spoiled.options.len(), "the spoiled ballot")?;
        spoiled.check_opening(&key)?;
        election.expect_fresh(&spoiled.fingerprint())
    }

    fn election_of(&self, record: &Record) -> ElectionResult<&Election> {
        let id = election_of(record).ok_or(ElectionError::Malformed(CodecError::Invalid {
            what: "election id",
            reason: "missing".into(),
        }))?;
        self.election(&id)
    }

    fn trustee_of(&self, election: &Election, author: Option<VerifyingKey>) -> ElectionResult<u32> {
        author
            .and_then(|key| election.spec.trustee_index(&key))
            .ok_or_else(|| {
                ElectionError::NotAuthorised(format!(
                    "the signer is not a trustee of election {:?}",
                    election.spec.id
                ))
            })
    }

    /// Applies the logged record at `index`. Records must be applied in log
    /// order; a record that is invalid at its place in the log is skipped,
    /// identically by every replayer.
    pub fn apply(&mut self, index: u64, record: &Record) {
        self.applied_up_to = self.applied_up_to.max(index + 1);
        if record.domain() != DOMAIN || self.check_with(record, false).is_err() {
            return;
        }
        match record.kind() {
            CREATE => {
                let (Ok(spec), Author::Ed25519(commission)) =
                    (ElectionSpec::decode(record.payload()), record.author())
                else {
                    return;
                };
                self.elections.insert(
                    spec.id.clone(),
                    Election {
                        spec,
                        commission,
                        created_at: index,
                        phase: Phase::Setup,
                        opened_at: None,
                        closed_at: None,
                        dealings: BTreeMap::new(),
                        complaints: Vec::new(),
                        key: None,
                        ballots: Vec::new(),
                        latest: HashMap::new(),
                        spoiled: Vec::new(),
                        fingerprints: HashSet::new(),
                        decryptions: BTreeMap::new(),
                        seal: None,
                        tally: None,
                        records: vec![index],
                        sealed_tree: OnceLock::new(),
                    },
                );
            }
            PHASE => {
                if let Ok(change) = PhaseChange::decode(record.payload())
                    && let Some(e) = self.elections.get_mut(&change.election)
                {
                    e.phase = change.phase;
                    match change.phase {
                        Phase::Open => e.opened_at = Some(index),
                        Phase::Closed => e.closed_at = Some(index),
                        _ => {}
                    }
                    e.records.push(index);
                }
            }
            DEAL => {
                let Some(e) = election_of(record).and_then(|id| self.elections.get_mut(&id)) else {
                    return;
                };
                if let Ok(params) = e.spec.params()
                    && let Ok(deal) = DealRecord::decode(record.payload(), &params)
                {
                    e.dealings.insert(deal.dealing.dealer, deal.dealing);
                    e.records.push(index);
                }
            }
            COMPLAINT => {
                if let Ok(c) = ComplaintRecord::decode(record.payload())
                    && let Some(e) = self.elections.get_mut(&c.election)
                {
                    e.complaints.push(c.complaint);
                    e.records.push(index);
                }
            }
            KEY => {
                let Ok(key) = ElectionKey::decode(record.payload()) else {
                    return;
                };
                let Some(e) = self.elections.get_mut(&key.election) else {
                    return;
                };
                // The log can only vouch for the key the ceremony determines.
                let derived = e.qualify();
                if e.phase == Phase::Open && e.key.is_none() && derived.as_ref() == Ok(&key) {
                    e.key = Some(key);
                    e.records.push(index);
                }
            }
            BALLOT => {
                if let Ok(ballot) = Ballot::decode_logged(record.payload())
                    && let Some(e) = self.elections.get_mut(&ballot.election)
                {
                    e.latest.insert(ballot.nullifier, index);
                    e.fingerprints.insert(ballot.fingerprint());
                    e.ballots.push(CastBallot {
                        index,
                        record_id: record.id(),
                        ballot,
                    });
                    e.records.push(index);
                }
            }
            SPOILED => {
                if let Ok(spoiled) = SpoiledBallot::decode(record.payload())
                    && let Some(e) = self.elections.get_mut(&spoiled.election)
                {
                    e.fingerprints.insert(spoiled.fingerprint());
                    e.spoiled.push(index);
                    e.records.push(index);
                }
            }
            SEAL => {
                // Kept as the log wrote it: a verifier compares it with the
                // ballots its own replay holds (a bundle missing a ballot
                // gives another root).
                if let Ok(seal) = SealRecord::decode(record.payload())
                    && let Some(e) = self.elections.get_mut(&seal.election)
                    && e.phase == Phase::Closed
                    && e.seal.is_none()
                {
                    e.seal = Some(seal);
                    e.records.push(index);
                }
            }
            DECRYPT => {
                let Author::Ed25519(key) = record.author() else {
                    return;
                };
                if let Ok(d) = DecryptRecord::decode(record.payload())
                    && let Some(e) = self.elections.get_mut(&d.election)
                    && let Some(trustee) = e.spec.trustee_index(&key)
                {
                    e.decryptions.insert(trustee, d);
                    e.records.push(index);
                }
            }
            TALLY => {
                if let Ok(t) = TallyRecord::decode(record.payload())
                    && let Some(e) = self.elections.get_mut(&t.election)
                    && e.phase == Phase::Closed
                    && e.tally.is_none()
                {
                    e.tally = Some(t);
                    e.phase = Phase::Tallied;
                    e.records.push(index);
                }
            }
            _ => {}
        }
    }

    /// The `election.key` the log owes: elections open without a key.
    pub fn pending_keys(&self) -> Vec<ElectionKey> {
        self.elections
            .values()
            .filter(|e| e.phase == Phase::Open && e.key.is_none())
            .filter_map(|e| e.qualify().ok())
            .collect()
    }

    /// The `election.seal` the log owes: elections closed without a seal.
    pub fn pending_seals(&self) -> Vec<SealRecord> {
        self.elections
            .values()
            .filter(|e| e.phase == Phase::Closed && e.seal.is_none())
            .map(Election::ballots_seal)
            .collect()
    }

    /// Elections closed with at least `k` partial decryptions and no tally.
    pub fn awaiting_tally(&self) -> Vec<&Election> {
        self.elections
            .values()
            .filter(|e| {
                e.phase == Phase::Closed
                    && e.tally.is_none()
                    && e.spec
                        .params()
                        .is_ok_and(|p| e.decryptions.len() as u32 >= p.threshold())
            })
            .collect()
    }
}

impl Book for ElectionBook {
    fn applied_up_to(&self) -> u64 {
        self.applied_up_to
    }

    fn apply(&mut self, index: u64, record: &Record) {
        ElectionBook::apply(self, index, record);
    }
}

/// The trustees whose partial decryptions, in trustee order, are combined,
/// for a verifier to recompute the tally: see [`TallyRecord`].
pub fn all_partials(election: &Election) -> Vec<PartialDecryption> {
    election
        .decryptions
        .values()
        .flat_map(|d| d.partials.iter().cloned())
        .collect()
}
