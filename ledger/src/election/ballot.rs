//! The ballot: its canonical codec and the public statement its proof is
//! checked against, by the service and by every verifier alike.

use zkaudit_circuits::Fr;
use zkaudit_circuits::babyjubjub::Point;
use zkaudit_circuits::ballot::contests::MAX_BALLOT_OPTIONS;
use zkaudit_circuits::ballot::{BallotPublic, BallotShape};
use zkaudit_circuits::elgamal::{CIPHERTEXT_BYTES, Ciphertext};
use zkaudit_circuits::eligibility::{EligibilityPublic, message_field};

use super::error::point_error;
use super::spec::ElectionSpec;
use super::{ElectionError, ElectionResult, MAX_PROOF, ballot_fingerprint};
use crate::codec::{MAX_ID, Reader, Writer, fr_from_bytes};

/// `ballot`: an encrypted ballot with its proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ballot {
    /// The election.
    pub election: String,
    /// The registry root the proof uses (canonical field bytes).
    pub root: [u8; 32],
    /// The voter's nullifier for this election (canonical field bytes).
    pub nullifier: [u8; 32],
    /// One ciphertext per option, over all contests.
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

    /// Decoding for admission with the subgroup checks deferred: every
    /// point on the curve, but not checked to be in the prime-order
    /// subgroup. A ballot whose proof then verifies needs no such check
    /// (the proof shows each ciphertext is a combination of `B8` and the
    /// subgroup-checked election key); one whose proof fails is decoded
    /// again with [`Ballot::decode`] to say why it is refused.
    pub fn decode_deferring_subgroup_checks(bytes: &[u8]) -> ElectionResult<Self> {
        Self::decode_with(bytes, false)
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

    pub(super) fn decode_with(bytes: &[u8], strict: bool) -> ElectionResult<Self> {
        let mut r = Reader::new(bytes);
        let election = r.str("election id", MAX_ID)?.to_owned();
        let root = r.array("root")?;
        let nullifier = r.array("nullifier")?;
        let n = r.u8("ciphertext count")? as usize;
        if !(1..=MAX_BALLOT_OPTIONS).contains(&n) {
            return Err(ElectionError::Ballot(format!(
                "a ballot has 1 to {MAX_BALLOT_OPTIONS} ciphertexts"
            )));
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

    /// The fingerprint of its ciphertexts ([`ballot_fingerprint`]): what a
    /// voting client shows, and the key of one ballot, cast or spoiled.
    pub fn fingerprint(&self) -> [u8; 32] {
        ballot_fingerprint(&self.election, &self.ciphertexts)
    }

    /// The store's uniqueness key: one ballot per nullifier per election.
    pub fn unique_key(&self) -> Vec<u8> {
        let mut key = self.election.as_bytes().to_vec();
        key.push(0);
        key.extend_from_slice(&self.nullifier);
        key
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
///
/// `joint_key` must be the election's key as decoded from its logged
/// [`ElectionKey`](super::ElectionKey) or a view of it (strictly, by
/// [`decode_point`](zkaudit_circuits::elgamal::decode_point), so in the
/// prime-order subgroup): it is not checked again for every ballot.
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
        contests: spec.contest_rules(),
        ciphertexts: ballot.ciphertexts.clone(),
    };
    public
        .validate_assuming_key_in_subgroup()
        .map_err(|e| ElectionError::Ballot(e.to_string()))?;
    Ok(public)
}
