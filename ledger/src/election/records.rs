//! The election payloads and their canonical codecs besides the spec
//! (`spec`): its phases, the key ceremony's dealings, complaints and joint
//! key, the trustees' partial decryptions, the seal and the tally.

use zkaudit_circuits::babyjubjub::Point;
use zkaudit_circuits::elgamal::{POINT_BYTES, decode_point, encode_point};
use zkaudit_circuits::threshold::ThresholdParams;
use zkaudit_circuits::threshold::decrypt::{PARTIAL_DECRYPTION_BYTES, PartialDecryption};
use zkaudit_circuits::threshold::dkg::{COMPLAINT_BYTES, Complaint, Dealing};

use super::ElectionResult;
use super::error::{crypto, point_error};
use crate::codec::{CodecError, MAX_ID, Reader, Writer};
use crate::record::Record;

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
    use super::*;

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
}
