//! The election domain's serde view types.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zkaudit_circuits::elgamal::encode_point;
use zkaudit_ledger::election::{BallotStatement, Election};

/// An election as served.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ElectionView {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// The ballot statement: `choices` (v1: one contest of 0/1 choices),
    /// `contests` (v2) or `keyed-contests` (v3: contests, the ballot
    /// circuit made for the election's joint key).
    pub statement: String,
    /// The contests in ballot order, with their results once tallied.
    pub contests: Vec<ContestView>,
    /// Every option's label over all contests, in ballot order (one
    /// ciphertext each).
    pub options: Vec<String>,
    /// The registry of eligible voters.
    pub registry: String,
    /// The eligibility rule, one predicate per registry attribute.
    pub predicates: Vec<crate::domains::identity::PredicateView>,
    /// Trustees, index order (index = position + 1).
    pub trustees: Vec<TrusteeView>,
    /// Trustees needed to decrypt.
    pub threshold: u32,
    /// Phase: setup, key-ceremony, open, closed, tallied.
    pub phase: String,
    /// Voting window (Unix ms).
    pub opens_at_ms: u64,
    /// Voting window end (Unix ms).
    pub closes_at_ms: u64,
    /// The joint election key (hex, 64 bytes), once voting is open.
    pub joint_key: Option<String>,
    /// Qualified dealers, once voting is open.
    pub qualified: Vec<u32>,
    /// The ballot circuit's shape id (a v3 election's once its joint key
    /// is logged).
    pub ballot_shape: Option<String>,
    /// Whether a voter may vote again (their last ballot counts).
    pub revoting: bool,
    /// Ballots that count so far: one per voter, their last.
    pub ballots: u64,
    /// Ballots logged so far, superseded ones included.
    pub cast: u64,
    /// The log's seal over the cast ballots, once closed.
    pub seal: Option<SealView>,
    /// Trustees who have published partial decryptions.
    pub decrypted_by: Vec<u32>,
    /// The tally, once logged.
    pub tally: Option<TallyView>,
    /// Log index of `election.create`.
    pub created_at: u64,
}

/// One contest of an election as served.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ContestView {
    /// What is decided (empty in a v1 election: its title says).
    pub title: String,
    /// Option labels.
    pub options: Vec<String>,
    /// Fewest points a ballot must give in the contest.
    pub min: u8,
    /// Most points a ballot may give in the contest.
    pub max: u8,
    /// Most points per option (1: plurality or approval).
    pub limit: u8,
    /// Once tallied: the points (votes) per option.
    pub counts: Option<Vec<u64>>,
}

/// A trustee as served.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct TrusteeView {
    /// 1-based index.
    pub index: u32,
    /// Name.
    pub name: String,
    /// Ed25519 key, hex.
    pub signing_key: String,
    /// BabyJubJub key, hex (64 bytes).
    pub encryption_key: String,
}

/// The log's seal of an election's ballots, as served.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SealView {
    /// Ballots logged while open.
    pub cast: u64,
    /// Of those, the ballots that count.
    pub counted: u64,
    /// RFC 6962 root over the cast ballots' leaves, hex.
    pub ballots_root: String,
}

/// Where one cast ballot stands (`GET /v1/elections/{id}/ballots/{index}`).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct BallotStandingView {
    /// The ballot's log index.
    pub index: u64,
    /// Its record id (SHA3-256, hex), as in its receipt.
    pub record_id: String,
    /// `counts` (the voter's last ballot) or `superseded`.
    pub standing: String,
    /// If superseded, the log index of the ballot that counts instead.
    pub superseded_by: Option<u64>,
    /// Once the election is sealed: the ballot's place among the sealed
    /// ballots, with its proof.
    pub seal: Option<SealMembershipView>,
}

/// A ballot's membership in the log's seal: check it with
/// `SealRecord::verify_member` against the logged `election.seal`.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SealMembershipView {
    /// Its 0-based position among the sealed (cast) ballots.
    pub position: u64,
    /// How many ballots the seal holds.
    pub cast: u64,
    /// The seal's root, hex.
    pub ballots_root: String,
    /// RFC 9162 inclusion proof of `leaf_hash(index ‖ record id)` at
    /// `position` in `ballots_root`, hex hashes.
    pub proof: Vec<String>,
}

/// A tally as served.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct TallyView {
    /// Ballots counted.
    pub ballots: u64,
    /// Votes (points) per option, over all contests in ballot order.
    pub counts: Vec<u64>,
    /// Trustees whose decryptions were combined.
    pub used: Vec<u32>,
    /// Trustees whose decryptions did not verify.
    pub rejected: Vec<u32>,
}

pub(super) fn view(
    election: &Election,
    (shape, attributes): (Option<String>, Vec<String>),
) -> ElectionView {
    let spec = &election.spec;
    ElectionView {
        id: spec.id.clone(),
        title: spec.title.clone(),
        statement: match spec.statement {
            BallotStatement::Choices => "choices",
            BallotStatement::Contests => "contests",
            BallotStatement::KeyedContests => "keyed-contests",
        }
        .to_owned(),
        contests: spec
            .contests
            .iter()
            .zip(spec.contest_ranges())
            .map(|(contest, range)| ContestView {
                title: contest.title.clone(),
                options: contest.options.clone(),
                min: contest.min,
                max: contest.max,
                limit: contest.limit,
                counts: election.tally.as_ref().map(|t| t.counts[range].to_vec()),
            })
            .collect(),
        options: spec
            .option_labels()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        registry: spec.registry.clone(),
        predicates: crate::domains::identity::views::predicate_views(&spec.predicates, &attributes),
        trustees: (1..)
            .zip(&spec.trustees)
            .map(|(index, t)| TrusteeView {
                index,
                name: t.name.clone(),
                signing_key: hex::encode(t.signing_key.as_bytes()),
                encryption_key: hex::encode(encode_point(&t.encryption_key)),
            })
            .collect(),
        threshold: spec.threshold,
        phase: election.phase.name().to_owned(),
        opens_at_ms: spec.opens_at_ms,
        closes_at_ms: spec.closes_at_ms,
        joint_key: election
            .key
            .as_ref()
            .map(|k| hex::encode(encode_point(&k.joint_key))),
        qualified: election
            .key
            .as_ref()
            .map(|k| k.qualified.clone())
            .unwrap_or_default(),
        ballot_shape: shape,
        revoting: spec.revoting,
        ballots: election.counted_len() as u64,
        cast: election.ballots.len() as u64,
        seal: election.seal.as_ref().map(|s| SealView {
            cast: s.cast,
            counted: s.counted,
            ballots_root: hex::encode(s.ballots_root),
        }),
        decrypted_by: election.decryptions.keys().copied().collect(),
        tally: election.tally.as_ref().map(|t| TallyView {
            ballots: t.ballots,
            counts: t.counts.clone(),
            used: t.used.clone(),
            rejected: t.rejected.clone(),
        }),
        created_at: election.created_at,
    }
}

/// The key ceremony's public material.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct CeremonyView {
    /// Dealings (canonical bytes, hex), by dealer index.
    pub dealings: Vec<(u32, String)>,
    /// Complaints (canonical bytes, hex), in log order.
    pub complaints: Vec<String>,
}

/// The per-option sums trustees decrypt.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct AggregateView {
    /// Ballots counted (the last per voter).
    pub ballots: u64,
    /// One ciphertext per option (128 bytes, hex).
    pub sums: Vec<String>,
    /// The phase (sums are final once closed).
    pub phase: String,
}

/// Body of `POST /v1/elections/{id}/ballots`.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BallotBody {
    /// The `election/ballot` payload (canonical encoding), base64.
    pub ballot: String,
}
