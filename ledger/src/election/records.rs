//! The election payloads and their canonical codecs: the election spec, its
//! phases, the key ceremony's dealings, complaints and joint key, the
//! trustees' partial decryptions and the tally.

use std::collections::HashSet;

use ed25519_dalek::VerifyingKey;
use zkaudit_circuits::Fr;
use zkaudit_circuits::babyjubjub::Point;
use zkaudit_circuits::ballot::BallotShape;
use zkaudit_circuits::elgamal::{POINT_BYTES, decode_point, encode_point};
use zkaudit_circuits::predicate::AttributePredicate;
use zkaudit_circuits::threshold::ThresholdParams;
use zkaudit_circuits::threshold::decrypt::{PARTIAL_DECRYPTION_BYTES, PartialDecryption};
use zkaudit_circuits::threshold::dkg::{COMPLAINT_BYTES, Complaint, Dealing};

use super::error::{crypto, point_error};
use super::{ElectionError, ElectionResult, MAX_TEXT, MAX_TRUSTEES};
use crate::codec::{
    CodecError, MAX_ID, Reader, Writer, is_valid_id, read_predicates, write_predicates,
};
use crate::identity::{IdentityError, scope_field};
use crate::record::Record;
use crate::signature::parse_verifying_key;

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
    pub(super) fn code(self) -> u8 {
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
    /// The ballot key's verifying-key digest (SHA3-256), if the election
    /// names its key: the service creates the election only once the
    /// ballot shape's circuit key is logged with it, and not as a
    /// development key. (Encoded only when present.)
    pub circuit_key: Option<[u8; 32]>,
    /// Whether a voter may vote again while the election is open, the last
    /// ballot per nullifier counting (Estonia's and Belenios' rule against
    /// coercion and vote buying). Elections logged before the rule existed
    /// decode as one ballot per voter. (Encoded as a trailing flags byte,
    /// only when set.)
    pub revoting: bool,
}

/// Bit of the spec's trailing flags byte: re-voting is allowed.
const FLAG_REVOTING: u8 = 1;

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
        if let Some(digest) = &self.circuit_key {
            w.fixed(digest);
        }
        if self.revoting {
            w.u8(FLAG_REVOTING);
        }
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
                parse_verifying_key(&r.array("trustee signing key")?).map_err(|e| {
                    ElectionError::InvalidSpec(format!("a trustee signing key is invalid: {e}"))
                })?;
            let encryption_key = decode_point(r.fixed("trustee encryption key", POINT_BYTES)?)
                .map_err(point_error("trustee encryption key"))?;
            trustees.push(TrusteeSpec {
                name,
                signing_key,
                encryption_key,
            });
        }
        let mut spec = Self {
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
            circuit_key: None,
            revoting: false,
        };
        // What trails is the named key (32 bytes), the flags byte, or both;
        // the lengths tell them apart.
        if r.remaining() >= 32 {
            spec.circuit_key = Some(r.array("circuit key digest")?);
        }
        if !r.is_empty() {
            match r.u8("flags")? {
                FLAG_REVOTING => spec.revoting = true,
                other => {
                    return Err(CodecError::Invalid {
                        what: "flags",
                        reason: format!("unknown or non-canonical flags {other:#04x}"),
                    }
                    .into());
                }
            }
        }
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

/// `election.seal`: the log's commitment, written when an election closes,
/// to every ballot it logged for the election — so a verifier can tell a
/// complete record from one with a ballot left out.
///
/// `ballots_root` is the RFC 6962 root over one leaf per cast ballot, in
/// log order, each `leaf_hash(index ‖ record id)` ([`ballot_leaf`]): a
/// voter's receipt proves their ballot is a member, and a bundle or a
/// mirror that holds another set of ballots gives another root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealRecord {
    /// The election.
    pub election: String,
    /// Ballots logged while the election was open (superseded ones too).
    pub cast: u64,
    /// Of those, the ballots that count (the last per nullifier).
    pub counted: u64,
    /// The root over the cast ballots' leaves.
    pub ballots_root: [u8; 32],
}

impl SealRecord {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.election)
            .u64(self.cast)
            .u64(self.counted)
            .fixed(&self.ballots_root);
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> ElectionResult<Self> {
        let mut r = Reader::new(bytes);
        let out = Self {
            election: r.str("election id", MAX_ID)?.to_owned(),
            cast: r.u64("cast ballots")?,
            counted: r.u64("counted ballots")?,
            ballots_root: r.array("ballots root")?,
        };
        r.finish()?;
        if out.counted > out.cast {
            return Err(CodecError::Invalid {
                what: "seal",
                reason: "more ballots counted than cast".into(),
            }
            .into());
        }
        Ok(out)
    }
}

impl SealRecord {
    /// Checks that the ballot logged at `index` with `record_id` is the
    /// `position`-th (0-based) of the sealed ballots: `proof` is the RFC
    /// 9162 inclusion proof of its [`ballot_leaf`] in `ballots_root`, a
    /// tree of `cast` leaves. With the seal's own inclusion in the log, a
    /// voter holding only a receipt can check their ballot is in the set
    /// the tally covers.
    pub fn verify_member(
        &self,
        index: u64,
        record_id: &[u8; 32],
        position: u64,
        proof: &[crate::merkle::Hash],
    ) -> Result<(), crate::merkle::ProofError> {
        crate::merkle::verify_inclusion(
            &ballot_leaf(index, record_id),
            position,
            self.cast,
            proof,
            &self.ballots_root,
        )
    }
}

/// The seal's leaf for the ballot logged at `index` with `record_id`:
/// `leaf_hash(index as u64 big-endian ‖ record id)`.
pub fn ballot_leaf(index: u64, record_id: &[u8; 32]) -> crate::merkle::Hash {
    let mut data = [0u8; 40];
    data[..8].copy_from_slice(&index.to_be_bytes());
    data[8..].copy_from_slice(record_id);
    crate::merkle::leaf_hash(&data)
}

/// The election id a record of this domain is about, if it decodes.
pub fn election_of(record: &Record) -> Option<String> {
    let mut r = Reader::new(record.payload());
    r.str("election id", MAX_ID).ok().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use zkaudit_circuits::elgamal::{Scalar, public_key};

    use super::*;
    use crate::signature::forgery::{IDENTITY_KEY, NON_CANONICAL_KEY, torsion_key};

    fn spec(second_trustee: VerifyingKey) -> ElectionSpec {
        let trustee = |i: u8, signing_key| TrusteeSpec {
            name: format!("trustee-{i}"),
            signing_key,
            encryption_key: public_key(&Scalar::from(u64::from(i) + 5)),
        };
        ElectionSpec {
            id: "referendum".into(),
            title: "Referendum".into(),
            options: vec!["yes".into(), "no".into()],
            min_choices: 0,
            max_choices: 1,
            registry: "voters".into(),
            predicates: vec![AttributePredicate::equals(4)],
            trustees: vec![
                trustee(1, SigningKey::from_bytes(&[1; 32]).verifying_key()),
                trustee(2, second_trustee),
                trustee(3, SigningKey::from_bytes(&[3; 32]).verifying_key()),
            ],
            threshold: 2,
            opens_at_ms: 1,
            closes_at_ms: 2,
            circuit_key: None,
            revoting: false,
        }
    }

    #[test]
    fn the_named_key_and_the_revoting_flag_round_trip_and_stray_flags_are_refused() {
        let plain = spec(SigningKey::from_bytes(&[2; 32]).verifying_key());
        for (key, revoting) in [
            (None, false),
            (None, true),
            (Some([7; 32]), false),
            (Some([7; 32]), true),
        ] {
            let s = ElectionSpec {
                circuit_key: key,
                revoting,
                ..plain.clone()
            };
            assert_eq!(ElectionSpec::decode(&s.encode()), Ok(s));
        }
        // Without re-voting no flags byte is written: a zero byte is not
        // canonical, and unknown bits are refused.
        for flags in [0u8, 2, 3, 0x80] {
            let mut bytes = plain.encode();
            bytes.push(flags);
            assert!(
                matches!(
                    ElectionSpec::decode(&bytes),
                    Err(ElectionError::Malformed(_))
                ),
                "flags {flags:#x}"
            );
        }
    }

    #[test]
    fn a_seal_counting_more_than_it_holds_is_refused() {
        let seal = SealRecord {
            election: "e".into(),
            cast: 3,
            counted: 2,
            ballots_root: [1; 32],
        };
        assert_eq!(SealRecord::decode(&seal.encode()), Ok(seal.clone()));
        let inflated = SealRecord { counted: 4, ..seal };
        assert!(SealRecord::decode(&inflated.encode()).is_err());
    }

    #[test]
    fn weak_non_canonical_and_mixed_order_trustee_keys_are_refused() {
        let honest = spec(SigningKey::from_bytes(&[2; 32]).verifying_key());
        assert_eq!(ElectionSpec::decode(&honest.encode()), Ok(honest));
        let mixed = torsion_key(&SigningKey::from_bytes(&[2; 32]));
        for (bytes, reason) in [
            (IDENTITY_KEY, "small-order"),
            (NON_CANONICAL_KEY, "canonical"),
            (mixed, "torsion"),
        ] {
            let forged = spec(VerifyingKey::from_bytes(&bytes).unwrap());
            match ElectionSpec::decode(&forged.encode()) {
                Err(ElectionError::InvalidSpec(m)) => assert!(m.contains(reason), "{m}"),
                other => panic!("{other:?}"),
            }
        }
    }
}
