//! The election domain: records and the election book.
//!
//! An election moves through phases, each change a logged record:
//!
//! ```text
//! election.create (commission)      → setup
//! election.phase  key-ceremony      → trustees deal (trustee.deal) and
//!                                     complain (trustee.complaint)
//! election.phase  open              → the log writes election.key (the
//!                                     joint key of the qualified dealers);
//!                                     voters cast ballots (proof-authorised)
//! election.phase  closed            → trustees publish partial decryptions
//!                                     of the homomorphic sums (trustee.decrypt)
//! election.tally  (the log)         → tallied, once k valid partials are in
//! ```
//!
//! [`ElectionBook`] replays these records in log order and is the one
//! place the rules live: the service checks a new record against it before
//! logging, and the offline verifier replays a bundle through it. A record
//! that was valid when admitted but is not in log order (a ballot sequenced
//! after the close, a second dealing) is skipped by every replayer alike.
//!
//! Ballot proofs are not checked here (the ledger does no pairing work):
//! the service verifies each before logging, and the offline verifier
//! verifies them all in batches.

use std::collections::{BTreeMap, HashSet};

use ed25519_dalek::VerifyingKey;
use zkaudit_circuits::Fr;
use zkaudit_circuits::babyjubjub::Point;
use zkaudit_circuits::ballot::{BallotPublic, BallotShape};
use zkaudit_circuits::elgamal::{
    CIPHERTEXT_BYTES, Ciphertext, POINT_BYTES, decode_point, encode_point, sum_ballots,
};
use zkaudit_circuits::eligibility::{EligibilityPublic, message_field};
use zkaudit_circuits::predicate::AttributePredicate;
use zkaudit_circuits::threshold::decrypt::{PARTIAL_DECRYPTION_BYTES, PartialDecryption};
use zkaudit_circuits::threshold::dkg::{COMPLAINT_BYTES, Complaint, Dealing, qualify};
use zkaudit_circuits::threshold::{ThresholdError, ThresholdParams};

use crate::codec::{CodecError, Reader, Writer};
use crate::codec::{fr_from_bytes, is_valid_id, read_predicates, write_predicates};
use crate::identity::{IdentityError, scope_field};
use crate::record::{Author, Record};

/// The domain name.
pub const DOMAIN: &str = "election";
/// Kind: the commission creates an election.
pub const CREATE: &str = "election.create";
/// Kind: the commission moves an election to its next phase.
pub const PHASE: &str = "election.phase";
/// Kind: a trustee's dealing in the key ceremony.
pub const DEAL: &str = "trustee.deal";
/// Kind: a trustee's complaint about a share dealt to it.
pub const COMPLAINT: &str = "trustee.complaint";
/// Kind: the log records the joint election key when the election opens.
pub const KEY: &str = "election.key";
/// Kind: a voter's encrypted ballot (authorised by its proof).
pub const BALLOT: &str = "ballot";
/// Kind: a trustee's partial decryption of the sums.
pub const DECRYPT: &str = "trustee.decrypt";
/// Kind: the log records the tally.
pub const TALLY: &str = "election.tally";

const MAX_ID: usize = 64;
const MAX_TEXT: usize = 256;
const MAX_TRUSTEES: usize = 32;
const MAX_PROOF: usize = 256;

/// Why an election record is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ElectionError {
    /// The payload is not a canonical encoding.
    #[error("malformed payload: {0}")]
    Malformed(#[from] CodecError),
    /// The election spec breaks a rule.
    #[error("invalid election: {0}")]
    InvalidSpec(String),
    /// A point, scalar or threshold object is invalid.
    #[error("invalid {what}: {reason}")]
    InvalidCrypto {
        /// Which object.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// No election has this id.
    #[error("unknown election {0:?}")]
    UnknownElection(String),
    /// The election id is taken.
    #[error("election {0:?} already exists")]
    ElectionExists(String),
    /// The record is not allowed in the election's current phase.
    #[error("election {election:?} is in phase {phase}, {action} is not allowed")]
    WrongPhase {
        /// The election.
        election: String,
        /// Its phase.
        phase: Phase,
        /// What was attempted.
        action: &'static str,
    },
    /// The signer is not who may write this record.
    #[error("{0}")]
    NotAuthorised(String),
    /// A trustee already published this.
    #[error("trustee {trustee} already published its {what}")]
    AlreadyPublished {
        /// The trustee index.
        trustee: u32,
        /// What.
        what: &'static str,
    },
    /// The key ceremony has not produced enough qualified dealers.
    #[error("the key ceremony qualified {qualified} dealers, at least {threshold} are needed")]
    CeremonyIncomplete {
        /// Qualified dealers.
        qualified: usize,
        /// The threshold.
        threshold: u32,
    },
    /// The nullifier has already voted in this election.
    #[error("this voter has already voted in election {0:?}")]
    AlreadyVoted(String),
    /// The ballot's root is not a logged root of the election's registry.
    #[error("{0}")]
    Ballot(String),
}

/// Result alias of this module.
pub type ElectionResult<T> = Result<T, ElectionError>;

fn crypto(what: &'static str) -> impl Fn(ThresholdError) -> ElectionError {
    move |e| ElectionError::InvalidCrypto {
        what,
        reason: e.to_string(),
    }
}

fn point_error(
    what: &'static str,
) -> impl Fn(zkaudit_circuits::elgamal::ElGamalError) -> ElectionError {
    move |e| ElectionError::InvalidCrypto {
        what,
        reason: e.to_string(),
    }
}

/// Election phases, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Created; trustees not yet dealing.
    Setup,
    /// Trustees deal and complain.
    KeyCeremony,
    /// Ballots are accepted.
    Open,
    /// Ballots are refused; trustees decrypt.
    Closed,
    /// The tally is logged.
    Tallied,
}

impl Phase {
    fn code(self) -> u8 {
        self as u8
    }

    fn from_code(code: u8) -> ElectionResult<Self> {
        Ok(match code {
            0 => Self::Setup,
            1 => Self::KeyCeremony,
            2 => Self::Open,
            3 => Self::Closed,
            4 => Self::Tallied,
            other => {
                return Err(CodecError::Invalid {
                    what: "phase",
                    reason: format!("unknown phase {other}"),
                }
                .into());
            }
        })
    }

    /// The phase's name, as the API spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Setup => "setup",
            Self::KeyCeremony => "key-ceremony",
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Tallied => "tallied",
        }
    }

    /// Parses [`Phase::name`].
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Setup,
            Self::KeyCeremony,
            Self::Open,
            Self::Closed,
            Self::Tallied,
        ]
        .into_iter()
        .find(|p| p.name() == name)
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A trustee as the election names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrusteeSpec {
    /// Human-readable name.
    pub name: String,
    /// The Ed25519 key its records are signed with.
    pub signing_key: VerifyingKey,
    /// Its BabyJubJub key, to which shares are encrypted.
    pub encryption_key: Point,
}

/// `election.create`: everything fixed about an election.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElectionSpec {
    /// Unique id, `[a-z0-9-]`.
    pub id: String,
    /// Human-readable title.
    pub title: String,
    /// Option labels, 2 to 8.
    pub options: Vec<String>,
    /// Fewest options a ballot must mark.
    pub min_choices: u8,
    /// Most options a ballot may mark.
    pub max_choices: u8,
    /// The credential registry of eligible voters.
    pub registry: String,
    /// The eligibility rule: one predicate per registry attribute.
    pub predicates: Vec<AttributePredicate>,
    /// The trustees; trustee `i` (1-based) is `trustees[i - 1]`.
    pub trustees: Vec<TrusteeSpec>,
    /// How many trustees must take part in decryption.
    pub threshold: u32,
    /// When voting opens (Unix ms, informational; the phase record rules).
    pub opens_at_ms: u64,
    /// When voting closes (Unix ms); ballots claiming a later time are refused.
    pub closes_at_ms: u64,
}

impl ElectionSpec {
    /// Checks the spec's rules.
    pub fn validate(&self) -> ElectionResult<()> {
        let bad = |m: String| Err(ElectionError::InvalidSpec(m));
        if !is_valid_id(&self.id) {
            return bad("id must be 1-64 of [a-z0-9-]".into());
        }
        if !(2..=8).contains(&self.options.len()) {
            return bad("2 to 8 options".into());
        }
        if self.min_choices > self.max_choices
            || self.max_choices == 0
            || self.max_choices as usize > self.options.len()
        {
            return bad(format!(
                "choices must satisfy min ≤ max, 1 ≤ max ≤ {}",
                self.options.len()
            ));
        }
        if self.trustees.is_empty() || self.trustees.len() > MAX_TRUSTEES {
            return bad(format!("1 to {MAX_TRUSTEES} trustees"));
        }
        self.params()?;
        let keys: HashSet<_> = self.trustees.iter().map(|t| t.signing_key).collect();
        if keys.len() != self.trustees.len() {
            return bad("trustee signing keys must be distinct".into());
        }
        if self.closes_at_ms <= self.opens_at_ms {
            return bad("the election must close after it opens".into());
        }
        Ok(())
    }

    /// The threshold parameters (k of n).
    pub fn params(&self) -> ElectionResult<ThresholdParams> {
        ThresholdParams::new(self.threshold, self.trustees.len() as u32)
            .map_err(|e| ElectionError::InvalidSpec(e.to_string()))
    }

    /// The election scope: the value voters' nullifiers are derived from.
    pub fn scope_field(&self) -> Fr {
        scope_field(&format!("election:{}", self.id))
    }

    /// The context string bound into every threshold proof of this election.
    pub fn context(&self) -> Vec<u8> {
        format!("zkaudit/election/{}", self.id).into_bytes()
    }

    /// The trustees' encryption keys, in index order.
    pub fn trustee_keys(&self) -> Vec<Point> {
        self.trustees.iter().map(|t| t.encryption_key).collect()
    }

    /// The 1-based index of the trustee with this signing key.
    pub fn trustee_index(&self, key: &VerifyingKey) -> Option<u32> {
        self.trustees
            .iter()
            .position(|t| &t.signing_key == key)
            .map(|i| i as u32 + 1)
    }

    /// The ballot circuit's shape for a registry of `depth` levels.
    pub fn ballot_shape(&self, depth: usize) -> ElectionResult<BallotShape> {
        BallotShape::new(depth, self.predicates.len(), self.options.len())
            .map_err(|e| ElectionError::InvalidSpec(e.to_string()))
    }

    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.id)
            .str(&self.title)
            .u8(self.options.len() as u8);
        for option in &self.options {
            w.str(option);
        }
        w.u8(self.min_choices)
            .u8(self.max_choices)
            .str(&self.registry);
        write_predicates(&mut w, &self.predicates);
        w.u8(self.trustees.len() as u8);
        for t in &self.trustees {
            w.str(&t.name)
                .fixed(t.signing_key.as_bytes())
                .fixed(&encode_point(&t.encryption_key));
        }
        w.u32(self.threshold)
            .u64(self.opens_at_ms)
            .u64(self.closes_at_ms);
        w.finish()
    }

    /// Strict decoding; the result is validated.
    pub fn decode(bytes: &[u8]) -> ElectionResult<Self> {
        let mut r = Reader::new(bytes);
        let id = r.str("election id", MAX_ID)?.to_owned();
        let title = r.str("title", MAX_TEXT)?.to_owned();
        let n = r.u8("option count")? as usize;
        let options = (0..n)
            .map(|_| r.str("option", MAX_TEXT).map(str::to_owned))
            .collect::<Result<Vec<_>, _>>()?;
        let min_choices = r.u8("min choices")?;
        let max_choices = r.u8("max choices")?;
        let registry = r.str("registry id", MAX_ID)?.to_owned();
        let predicates = read_predicates(&mut r).map_err(|e| {
            // Worded as the identity domain words it.
            ElectionError::InvalidSpec(IdentityError::from(e).to_string())
        })?;
        let t = r.u8("trustee count")? as usize;
        let mut trustees = Vec::with_capacity(t);
        for _ in 0..t {
            let name = r.str("trustee name", MAX_TEXT)?.to_owned();
            let signing_key =
                VerifyingKey::from_bytes(&r.array("trustee signing key")?).map_err(|_| {
                    ElectionError::InvalidSpec("a trustee signing key is invalid".into())
                })?;
            let encryption_key = decode_point(r.fixed("trustee encryption key", POINT_BYTES)?)
                .map_err(point_error("trustee encryption key"))?;
            trustees.push(TrusteeSpec {
                name,
                signing_key,
                encryption_key,
            });
        }
        let spec = Self {
            id,
            title,
            options,
            min_choices,
            max_choices,
            registry,
            predicates,
            trustees,
            threshold: r.u32("threshold")?,
            opens_at_ms: r.u64("opens at")?,
            closes_at_ms: r.u64("closes at")?,
        };
        r.finish()?;
        spec.validate()?;
        Ok(spec)
    }
}

/// `election.phase`: the commission moves an election on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhaseChange {
    /// The election.
    pub election: String,
    /// The phase it enters: key-ceremony, open or closed.
    pub phase: Phase,
}

impl PhaseChange {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.election).u8(self.phase.code());
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> ElectionResult<Self> {
        let mut r = Reader::new(bytes);
        let out = Self {
            election: r.str("election id", MAX_ID)?.to_owned(),
            phase: Phase::from_code(r.u8("phase")?)?,
        };
        r.finish()?;
        Ok(out)
    }
}

/// `trustee.deal`: a trustee's dealing (commitments and encrypted shares).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DealRecord {
    /// The election.
    pub election: String,
    /// The dealing; its dealer index must be the signer's.
    pub dealing: Dealing,
}

impl DealRecord {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.election).bytes(&self.dealing.to_bytes());
        w.finish()
    }

    /// Strict decoding against the election's parameters.
    pub fn decode(bytes: &[u8], params: &ThresholdParams) -> ElectionResult<Self> {
        let mut r = Reader::new(bytes);
        let election = r.str("election id", MAX_ID)?.to_owned();
        let dealing =
            Dealing::from_bytes(params, r.bytes("dealing", 60_000)?).map_err(crypto("dealing"))?;
        r.finish()?;
        Ok(Self { election, dealing })
    }
}

/// `trustee.complaint`: a trustee's publicly decidable complaint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComplaintRecord {
    /// The election.
    pub election: String,
    /// The complaint; its recipient index must be the signer's.
    pub complaint: Complaint,
}

impl ComplaintRecord {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.election).fixed(&self.complaint.to_bytes());
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> ElectionResult<Self> {
        let mut r = Reader::new(bytes);
        let election = r.str("election id", MAX_ID)?.to_owned();
        let complaint = Complaint::from_bytes(r.fixed("complaint", COMPLAINT_BYTES)?)
            .map_err(crypto("complaint"))?;
        r.finish()?;
        Ok(Self {
            election,
            complaint,
        })
    }
}

/// `election.key`: the joint key, written by the log when voting opens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElectionKey {
    /// The election.
    pub election: String,
    /// The qualified dealers, ascending.
    pub qualified: Vec<u32>,
    /// The joint public key `Σ C_i0` over the qualified dealers.
    pub joint_key: Point,
}

impl ElectionKey {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.election).u8(self.qualified.len() as u8);
        for q in &self.qualified {
            w.u32(*q);
        }
        w.fixed(&encode_point(&self.joint_key));
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> ElectionResult<Self> {
        let mut r = Reader::new(bytes);
        let election = r.str("election id", MAX_ID)?.to_owned();
        let n = r.u8("qualified count")? as usize;
        let qualified = (0..n)
            .map(|_| r.u32("qualified dealer"))
            .collect::<Result<Vec<_>, _>>()?;
        let joint_key =
            decode_point(r.fixed("joint key", POINT_BYTES)?).map_err(point_error("joint key"))?;
        r.finish()?;
        Ok(Self {
            election,
            qualified,
            joint_key,
        })
    }
}

/// `ballot`: an encrypted ballot with its proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ballot {
    /// The election.
    pub election: String,
    /// The registry root the proof uses (canonical field bytes).
    pub root: [u8; 32],
    /// The voter's nullifier for this election (canonical field bytes).
    pub nullifier: [u8; 32],
    /// One ciphertext per option.
    pub ciphertexts: Vec<Ciphertext>,
    /// Digest of the verifying key the proof verifies under.
    pub vk_digest: [u8; 32],
    /// The Groth16 proof, compressed (128 bytes).
    pub proof: Vec<u8>,
}

impl Ballot {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.election)
            .fixed(&self.root)
            .fixed(&self.nullifier)
            .u8(self.ciphertexts.len() as u8);
        for c in &self.ciphertexts {
            w.fixed(&c.to_bytes());
        }
        w.fixed(&self.vk_digest).bytes(&self.proof);
        w.finish()
    }

    /// Strict decoding: canonical field elements, every point on the curve
    /// and in the prime-order subgroup. For ballots arriving from voters.
    pub fn decode(bytes: &[u8]) -> ElectionResult<Self> {
        Self::decode_with(bytes, true)
    }

    /// Decoding of a ballot already logged, whose proof was verified before
    /// it was: as [`Ballot::decode`] but without the subgroup checks
    /// (about 0.3 ms per ciphertext), since the proof shows each ciphertext
    /// is a combination of `B8` and the (subgroup-checked) election key.
    /// Whoever replays ballots whose proofs were not verified must verify
    /// them before trusting the sums (the offline verifier does).
    pub fn decode_logged(bytes: &[u8]) -> ElectionResult<Self> {
        Self::decode_with(bytes, false)
    }

    fn decode_with(bytes: &[u8], strict: bool) -> ElectionResult<Self> {
        let mut r = Reader::new(bytes);
        let election = r.str("election id", MAX_ID)?.to_owned();
        let root = r.array("root")?;
        let nullifier = r.array("nullifier")?;
        let n = r.u8("ciphertext count")? as usize;
        if !(2..=8).contains(&n) {
            return Err(ElectionError::Ballot(
                "a ballot has 2 to 8 ciphertexts".into(),
            ));
        }
        let ciphertexts = (0..n)
            .map(|_| {
                let bytes = r.fixed("ciphertext", CIPHERTEXT_BYTES)?;
                if strict {
                    Ciphertext::from_bytes(bytes)
                } else {
                    Ciphertext::from_bytes_skipping_subgroup_check(bytes)
                }
                .map_err(point_error("ciphertext"))
            })
            .collect::<ElectionResult<Vec<_>>>()?;
        let vk_digest = r.array("vk digest")?;
        let proof = r.bytes("proof", MAX_PROOF)?.to_vec();
        r.finish()?;
        for (what, bytes) in [("root", &root), ("nullifier", &nullifier)] {
            fr_from_bytes(what, bytes).map_err(|e| ElectionError::Ballot(e.to_string()))?;
        }
        Ok(Self {
            election,
            root,
            nullifier,
            ciphertexts,
            vk_digest,
            proof,
        })
    }

    /// The store's uniqueness key: one ballot per nullifier per election.
    pub fn unique_key(&self) -> Vec<u8> {
        let mut key = self.election.as_bytes().to_vec();
        key.push(0);
        key.extend_from_slice(&self.nullifier);
        key
    }
}

/// `trustee.decrypt`: a trustee's partial decryptions, one per option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecryptRecord {
    /// The election.
    pub election: String,
    /// The partial decryptions, option 0 first; all by the signer.
    pub partials: Vec<PartialDecryption>,
}

impl DecryptRecord {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.election).u8(self.partials.len() as u8);
        for p in &self.partials {
            w.fixed(&p.to_bytes());
        }
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> ElectionResult<Self> {
        let mut r = Reader::new(bytes);
        let election = r.str("election id", MAX_ID)?.to_owned();
        let n = r.u8("partial count")? as usize;
        let partials = (0..n)
            .map(|_| {
                PartialDecryption::from_bytes(r.fixed("partial", PARTIAL_DECRYPTION_BYTES)?)
                    .map_err(crypto("partial decryption"))
            })
            .collect::<ElectionResult<Vec<_>>>()?;
        r.finish()?;
        Ok(Self { election, partials })
    }
}

/// `election.tally`: the result, written by the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TallyRecord {
    /// The election.
    pub election: String,
    /// Ballots counted.
    pub ballots: u64,
    /// Votes per option.
    pub counts: Vec<u64>,
    /// Trustees whose partials were combined, ascending.
    pub used: Vec<u32>,
    /// Trustees whose partials did not verify, ascending.
    pub rejected: Vec<u32>,
}

impl TallyRecord {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.election)
            .u64(self.ballots)
            .u8(self.counts.len() as u8);
        for c in &self.counts {
            w.u64(*c);
        }
        for list in [&self.used, &self.rejected] {
            w.u8(list.len() as u8);
            for t in list {
                w.u32(*t);
            }
        }
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> ElectionResult<Self> {
        let mut r = Reader::new(bytes);
        let election = r.str("election id", MAX_ID)?.to_owned();
        let ballots = r.u64("ballots")?;
        let n = r.u8("option count")? as usize;
        let counts = (0..n)
            .map(|_| r.u64("count"))
            .collect::<Result<Vec<_>, _>>()?;
        let mut lists = [Vec::new(), Vec::new()];
        for list in &mut lists {
            let n = r.u8("trustee count")? as usize;
            *list = (0..n)
                .map(|_| r.u32("trustee"))
                .collect::<Result<Vec<_>, _>>()?;
        }
        r.finish()?;
        let [used, rejected] = lists;
        Ok(Self {
            election,
            ballots,
            counts,
            used,
            rejected,
        })
    }
}

/// The message a ballot proof binds: the election's id (ballots need no
/// other request binding; their ciphertexts are in the statement).
pub fn ballot_message(election: &str) -> Fr {
    message_field(format!("zkaudit/ballot/{election}").as_bytes())
}

/// The public statement of `ballot` in an election whose ballots prove
/// with `shape` under `joint_key`: what the service and every verifier
/// check the ballot's proof against.
pub fn ballot_statement(
    spec: &ElectionSpec,
    shape: BallotShape,
    ballot: &Ballot,
    joint_key: Point,
) -> ElectionResult<BallotPublic> {
    let field = |what: &'static str, bytes: &[u8; 32]| {
        fr_from_bytes(what, bytes).map_err(|e| ElectionError::Ballot(e.to_string()))
    };
    let public = BallotPublic {
        shape,
        eligibility: EligibilityPublic {
            shape: shape.eligibility,
            root: field("root", &ballot.root)?,
            nullifier: field("nullifier", &ballot.nullifier)?,
            scope: spec.scope_field(),
            message: ballot_message(&spec.id),
            predicates: spec.predicates.clone(),
        },
        election_key: joint_key,
        min_choices: spec.min_choices.into(),
        max_choices: spec.max_choices.into(),
        ciphertexts: ballot.ciphertexts.clone(),
    };
    public
        .validate()
        .map_err(|e| ElectionError::Ballot(e.to_string()))?;
    Ok(public)
}

/// The election id a record of this domain is about, if it decodes.
pub fn election_of(record: &Record) -> Option<String> {
    let mut r = Reader::new(record.payload());
    r.str("election id", MAX_ID).ok().map(str::to_owned)
}

/// One counted ballot.
#[derive(Clone, Debug)]
pub struct CountedBallot {
    /// Its log index.
    pub index: u64,
    /// The ballot.
    pub ballot: Ballot,
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
    /// Dealings by dealer index.
    pub dealings: BTreeMap<u32, Dealing>,
    /// Complaints, in log order.
    pub complaints: Vec<Complaint>,
    /// The joint key, once logged.
    pub key: Option<ElectionKey>,
    /// Ballots counted (logged while open), in log order.
    pub ballots: Vec<CountedBallot>,
    nullifiers: HashSet<[u8; 32]>,
    /// Partial decryptions by trustee, in log order of arrival.
    pub decryptions: BTreeMap<u32, DecryptRecord>,
    /// The tally, once logged.
    pub tally: Option<TallyRecord>,
    /// Log indices of every record of this election, in order.
    pub records: Vec<u64>,
}

impl Election {
    /// Whether `nullifier` has voted.
    pub fn has_voted(&self, nullifier: &[u8; 32]) -> bool {
        self.nullifiers.contains(nullifier)
    }

    /// The per-option homomorphic sums of the counted ballots.
    pub fn aggregate(&self) -> Vec<Ciphertext> {
        let ballots: Vec<&[Ciphertext]> = self
            .ballots
            .iter()
            .map(|b| b.ballot.ciphertexts.as_slice())
            .collect();
        sum_ballots(&ballots, self.spec.options.len())
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
                let election = self.election(&ballot.election)?;
                if election.phase != Phase::Open || election.key.is_none() {
                    return Err(election.wrong_phase("voting"));
                }
                if ballot.ciphertexts.len() != election.spec.options.len() {
                    return Err(ElectionError::Ballot(format!(
                        "election {:?} has {} options, the ballot {}",
                        election.spec.id,
                        election.spec.options.len(),
                        ballot.ciphertexts.len()
                    )));
                }
                if election.has_voted(&ballot.nullifier) {
                    return Err(ElectionError::AlreadyVoted(election.spec.id.clone()));
                }
                Ok(())
            }
            DECRYPT => {
                let election = self.election_of(record)?;
                let decrypt = DecryptRecord::decode(record.payload())?;
                let index = self.trustee_of(election, author)?;
                if election.phase != Phase::Closed {
                    return Err(election.wrong_phase("decrypting"));
                }
                let well_formed = decrypt.partials.len() == election.spec.options.len()
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
            KEY | TALLY => {
                if author != Some(self.log_key) {
                    return Err(ElectionError::NotAuthorised(
                        "only the log writes keys and tallies".into(),
                    ));
                }
                Ok(())
            }
            other => Err(ElectionError::InvalidSpec(format!(
                "unknown election record kind {other:?}"
            ))),
        }
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
                        dealings: BTreeMap::new(),
                        complaints: Vec::new(),
                        key: None,
                        ballots: Vec::new(),
                        nullifiers: HashSet::new(),
                        decryptions: BTreeMap::new(),
                        tally: None,
                        records: vec![index],
                    },
                );
            }
            PHASE => {
                if let Ok(change) = PhaseChange::decode(record.payload())
                    && let Some(e) = self.elections.get_mut(&change.election)
                {
                    e.phase = change.phase;
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
                    e.nullifiers.insert(ballot.nullifier);
                    e.ballots.push(CountedBallot { index, ballot });
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

impl crate::replay::Book for ElectionBook {
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
