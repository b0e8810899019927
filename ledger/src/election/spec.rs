//! `election.create`: the election spec (its contests, registry,
//! predicates, trustees, window and flags) and its canonical codec.

use std::collections::HashSet;

use ed25519_dalek::VerifyingKey;
use zkaudit_circuits::Fr;
use zkaudit_circuits::babyjubjub::Point;
use zkaudit_circuits::ballot::contests::{MAX_CONTEST_OPTIONS, MAX_CONTESTS};
use zkaudit_circuits::ballot::{BallotShape, ContestRule, ContestSizes};
use zkaudit_circuits::elgamal::{POINT_BYTES, decode_point, encode_point};
use zkaudit_circuits::predicate::AttributePredicate;
use zkaudit_circuits::threshold::ThresholdParams;

use super::contests::{BallotStatement, Contest};
use super::error::point_error;
use super::{ElectionError, ElectionResult, MAX_TEXT, MAX_TRUSTEES};
use crate::codec::{
    CodecError, MAX_ID, Reader, Writer, is_valid_id, read_predicates, write_predicates,
};
use crate::identity::{IdentityError, scope_field};
use crate::signature::parse_verifying_key;

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
    /// The ballot statement: v1 (one contest of choices), v2 (contests) or
    /// v3 (contests, the ballot circuit made for the election's key).
    pub statement: BallotStatement,
    /// The contests, in ballot order (exactly one in a v1 election, of
    /// limit 1).
    pub contests: Vec<Contest>,
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

/// Bit of the spec's trailing flags byte: the contests' ballots are of
/// statement v3 (the circuit made for the election's key).
const FLAG_KEYED: u8 = 2;

impl ElectionSpec {
    /// Checks the spec's rules.
    pub fn validate(&self) -> ElectionResult<()> {
        let bad = |m: String| Err(ElectionError::InvalidSpec(m));
        if !is_valid_id(&self.id) {
            return bad("id must be 1-64 of [a-z0-9-]".into());
        }
        self.validate_contests()?;
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
        if self.statement.is_keyed() && self.circuit_key.is_some() {
            return bad(
                "a v3 election's ballot key is made for its joint key, after the key \
                 ceremony: it cannot be named at creation"
                    .into(),
            );
        }
        Ok(())
    }

    /// Checks the contests: a v1 election has one contest of 2 to 8
    /// options, marked `min ≤ max` times with `1 ≤ max ≤ options`; a v2
    /// election 1 to 4 contests of 1 to 8 options (16 in all) with distinct
    /// labels, each with `1 ≤ limit ≤ 15` and `min ≤ max`, `1 ≤ max ≤ limit
    /// · options`.
    fn validate_contests(&self) -> ElectionResult<()> {
        let bad = |m: String| Err(ElectionError::InvalidSpec(m));
        match self.statement {
            BallotStatement::Choices => {
                let [contest] = self.contests.as_slice() else {
                    return bad("a v1 election has exactly one contest".into());
                };
                if !(2..=8).contains(&contest.options.len()) {
                    return bad("2 to 8 options".into());
                }
                let options = contest.options.len();
                if contest.limit != 1
                    || contest.min > contest.max
                    || contest.max == 0
                    || contest.max as usize > options
                {
                    return bad(format!(
                        "choices must satisfy min ≤ max, 1 ≤ max ≤ {options}"
                    ));
                }
            }
            BallotStatement::Contests | BallotStatement::KeyedContests => {
                let sizes: Vec<usize> = self.contests.iter().map(|c| c.options.len()).collect();
                ContestSizes::new(&sizes).map_err(|e| ElectionError::InvalidSpec(e.to_string()))?;
                for (index, contest) in self.contests.iter().enumerate() {
                    let name = contest.name(index);
                    let labels: HashSet<&String> = contest.options.iter().collect();
                    if labels.len() != contest.options.len() {
                        return bad(format!("{name} repeats an option label"));
                    }
                    contest
                        .rule()
                        .validate(index, contest.options.len())
                        .map_err(|e| ElectionError::InvalidSpec(e.to_string()))?;
                    if contest.max == 0 {
                        return bad(format!("{name} must allow at least one point"));
                    }
                }
            }
        }
        Ok(())
    }

    /// The number of options over all contests: one ciphertext each.
    pub fn option_count(&self) -> usize {
        self.contests.iter().map(|c| c.options.len()).sum()
    }

    /// Every option's label, in ballot order.
    pub fn option_labels(&self) -> Vec<&str> {
        let labels = self.contests.iter().flat_map(|c| &c.options);
        labels.map(String::as_str).collect()
    }

    /// Each contest's options as positions on the ballot.
    pub fn contest_ranges(&self) -> Vec<std::ops::Range<usize>> {
        let mut start = 0;
        self.contests
            .iter()
            .map(|c| {
                start += c.options.len();
                start - c.options.len()..start
            })
            .collect()
    }

    /// The rules the ballot circuit enforces, one per contest.
    pub fn contest_rules(&self) -> Vec<ContestRule> {
        self.contests.iter().map(Contest::rule).collect()
    }

    /// The most points one ballot can give one option: what, times the
    /// number of counted ballots, bounds a tally's discrete logs.
    pub fn max_points(&self) -> u64 {
        let limits = self.contests.iter().map(|c| u64::from(c.limit));
        limits.max().unwrap_or(1)
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

    /// The ballot circuit's shape for a registry of `depth` levels; a v3
    /// election's is made for its `joint_key` (ignored for v1 and v2),
    /// which must be as decoded from its `election.key` record or a view
    /// of it (strictly, so in the prime-order subgroup: not checked
    /// again here).
    ///
    /// # Errors
    ///
    /// [`ElectionError::NoJointKey`] for a v3 election without its key;
    /// [`ElectionError::InvalidSpec`] for a shape the circuits refuse.
    pub fn ballot_shape(
        &self,
        depth: usize,
        joint_key: Option<&Point>,
    ) -> ElectionResult<BallotShape> {
        let attributes = self.predicates.len();
        let sizes: Vec<usize> = self.contests.iter().map(|c| c.options.len()).collect();
        let invalid = |e: zkaudit_circuits::CircuitError| ElectionError::InvalidSpec(e.to_string());
        match self.statement {
            BallotStatement::Choices => BallotShape::new(depth, attributes, self.option_count()),
            BallotStatement::Contests => BallotShape::with_contests(depth, attributes, &sizes),
            BallotStatement::KeyedContests => {
                let key = joint_key.ok_or_else(|| ElectionError::NoJointKey(self.id.clone()))?;
                BallotShape::with_contests(depth, attributes, &sizes)
                    .and_then(|shape| shape.for_election_key_in_subgroup(*key))
            }
        }
        .map_err(invalid)
    }

    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.id).str(&self.title);
        match self.statement {
            // v1, as every election was encoded before contests: the
            // options, min and max of its one contest.
            BallotStatement::Choices => {
                let contest = &self.contests[0];
                w.u8(contest.options.len() as u8);
                for option in &contest.options {
                    w.str(option);
                }
                w.u8(contest.min).u8(contest.max);
            }
            // v2 and v3: an option count of 0 (never a valid v1 count),
            // then the contests (v3 sets a flag at the end).
            BallotStatement::Contests | BallotStatement::KeyedContests => {
                w.u8(0).u8(self.contests.len() as u8);
                for contest in &self.contests {
                    w.str(&contest.title).u8(contest.options.len() as u8);
                    for option in &contest.options {
                        w.str(option);
                    }
                    w.u8(contest.min).u8(contest.max).u8(contest.limit);
                }
            }
        }
        w.str(&self.registry);
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
        let flags = if self.revoting { FLAG_REVOTING } else { 0 }
            | if self.statement.is_keyed() {
                FLAG_KEYED
            } else {
                0
            };
        if flags != 0 {
            w.u8(flags);
        }
        w.finish()
    }

    /// Strict decoding; the result is validated.
    pub fn decode(bytes: &[u8]) -> ElectionResult<Self> {
        let mut r = Reader::new(bytes);
        let id = r.str("election id", MAX_ID)?.to_owned();
        let title = r.str("title", MAX_TEXT)?.to_owned();
        let options = |r: &mut Reader<'_>, n: usize| {
            (0..n)
                .map(|_| r.str("option", MAX_TEXT).map(str::to_owned))
                .collect::<Result<Vec<_>, _>>()
        };
        let (statement, contests) = match r.u8("option count")? as usize {
            0 => {
                let count = r.u8("contest count")? as usize;
                if count > MAX_CONTESTS {
                    return Err(ElectionError::InvalidSpec(format!(
                        "1 to {MAX_CONTESTS} contests, not {count}"
                    )));
                }
                let mut contests = Vec::with_capacity(count);
                for _ in 0..count {
                    let title = r.str("contest title", MAX_TEXT)?.to_owned();
                    let n = r.u8("option count")? as usize;
                    if n > MAX_CONTEST_OPTIONS {
                        return Err(ElectionError::InvalidSpec(format!(
                            "a contest has 1 to {MAX_CONTEST_OPTIONS} options, not {n}"
                        )));
                    }
                    contests.push(Contest {
                        title,
                        options: options(&mut r, n)?,
                        min: r.u8("min points")?,
                        max: r.u8("max points")?,
                        limit: r.u8("points per option")?,
                    });
                }
                (BallotStatement::Contests, contests)
            }
            n => {
                let contest = Contest {
                    title: String::new(),
                    options: options(&mut r, n)?,
                    min: r.u8("min choices")?,
                    max: r.u8("max choices")?,
                    limit: 1,
                };
                (BallotStatement::Choices, vec![contest])
            }
        };
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
            statement,
            contests,
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
            let flags = r.u8("flags")?;
            let keyed = flags & FLAG_KEYED != 0;
            if flags == 0
                || flags & !(FLAG_REVOTING | FLAG_KEYED) != 0
                || (keyed && spec.statement != BallotStatement::Contests)
            {
                return Err(CodecError::Invalid {
                    what: "flags",
                    reason: format!("unknown or non-canonical flags {flags:#04x}"),
                }
                .into());
            }
            spec.revoting = flags & FLAG_REVOTING != 0;
            if keyed {
                spec.statement = BallotStatement::KeyedContests;
            }
        }
        r.finish()?;
        spec.validate()?;
        Ok(spec)
    }
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
            statement: BallotStatement::Choices,
            contests: vec![Contest::choices(vec!["yes".into(), "no".into()], 0, 1)],
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

    fn contests_spec() -> ElectionSpec {
        let contest = |title: &str, options: &[&str], min, max, limit| Contest {
            title: title.into(),
            options: options.iter().map(|&o| o.into()).collect(),
            min,
            max,
            limit,
        };
        ElectionSpec {
            statement: BallotStatement::Contests,
            contests: vec![
                contest("Mayor", &["Ada", "Ben", "Cy", "Dee"], 1, 1, 1),
                contest(
                    "Council",
                    &["E", "F", "G", "H", "I", "J", "K", "L"],
                    0,
                    3,
                    1,
                ),
                contest("Budget", &["parks", "roads"], 0, 5, 3),
            ],
            ..spec(SigningKey::from_bytes(&[2; 32]).verifying_key())
        }
    }

    /// A v1 election is encoded exactly as before contests existed (its
    /// one contest's options, min and max after the title), so logged
    /// elections decode to the same spec and re-encode to the same bytes.
    #[test]
    fn a_v1_spec_keeps_its_encoding() {
        let v1 = spec(SigningKey::from_bytes(&[2; 32]).verifying_key());
        let bytes = v1.encode();
        let mut legacy = Writer::new();
        legacy
            .str("referendum")
            .str("Referendum")
            .u8(2)
            .str("yes")
            .str("no");
        legacy.u8(0).u8(1).str("voters");
        let legacy = legacy.finish();
        assert_eq!(bytes[..legacy.len()], legacy[..]);
        let decoded = ElectionSpec::decode(&bytes).unwrap();
        assert_eq!(decoded.statement, BallotStatement::Choices);
        assert_eq!(
            decoded.contests,
            [Contest::choices(vec!["yes".into(), "no".into()], 0, 1)]
        );
        assert_eq!(
            decoded.ballot_shape(20, None).unwrap().id(),
            "ballot-d20-a1-o2"
        );
    }

    #[test]
    fn contests_round_trip_and_name_their_shape() {
        let spec = contests_spec();
        assert_eq!(ElectionSpec::decode(&spec.encode()), Ok(spec.clone()));
        assert_eq!(spec.option_count(), 14);
        assert_eq!(spec.contest_ranges(), [0..4, 4..12, 12..14]);
        assert_eq!(spec.option_labels()[12], "parks");
        assert_eq!(spec.max_points(), 3);
        assert_eq!(
            spec.ballot_shape(20, None).unwrap().id(),
            "ballot-d20-a1-c4-c8-c2"
        );
        let rules = spec.contest_rules();
        assert_eq!(
            rules[2],
            ContestRule {
                min: 0,
                max: 5,
                limit: 3
            }
        );
    }

    /// A v3 election: contests as v2, a flag bit at the end (beside
    /// re-voting's), the shape made for the joint key, and no key named
    /// in advance.
    #[test]
    fn keyed_contests_round_trip_and_need_the_joint_key() {
        let v2 = contests_spec();
        for revoting in [false, true] {
            let v3 = ElectionSpec {
                statement: BallotStatement::KeyedContests,
                revoting,
                ..v2.clone()
            };
            let bytes = v3.encode();
            assert_eq!(ElectionSpec::decode(&bytes), Ok(v3.clone()));
            let v2_bytes = ElectionSpec {
                revoting,
                ..v2.clone()
            }
            .encode();
            assert_eq!(bytes.len(), v2_bytes.len() + usize::from(!revoting));
            assert_eq!(bytes.last(), Some(&(2 | u8::from(revoting))));
        }
        let v3 = ElectionSpec {
            statement: BallotStatement::KeyedContests,
            ..v2.clone()
        };
        assert_eq!(
            v3.ballot_shape(20, None),
            Err(ElectionError::NoJointKey(v3.id.clone()))
        );
        let key =
            zkaudit_circuits::elgamal::public_key(&zkaudit_circuits::elgamal::Scalar::from(5u64));
        let shape = v3.ballot_shape(20, Some(&key)).unwrap();
        assert_eq!(shape.version(), 3);
        assert_eq!(shape.election_key, Some(key));
        assert!(shape.id().starts_with("ballot-d20-a1-c4-c8-c2-k"));
        // v1 and v2 ignore the key.
        assert_eq!(v2.ballot_shape(20, Some(&key)), v2.ballot_shape(20, None));
        // The weak key is refused.
        assert!(matches!(
            v3.ballot_shape(20, Some(&Point::IDENTITY)),
            Err(ElectionError::InvalidSpec(_))
        ));
        // A v3 spec cannot name its ballot key.
        let named = ElectionSpec {
            circuit_key: Some([7; 32]),
            ..v3
        };
        assert!(matches!(named.validate(), Err(ElectionError::InvalidSpec(m)) if m.contains("v3")));
    }

    #[test]
    fn invalid_contests_are_refused() {
        type Change = fn(&mut ElectionSpec);
        let changes: [(Change, &str); 8] = [
            (|s| s.contests.clear(), "contests"),
            (|s| s.contests[1].options.push("M".into()), "options"),
            (|s| s.contests[2].limit = 0, "limit"),
            (|s| s.contests[2].limit = 16, "limit"),
            (|s| s.contests[2].max = 7, "limit"),
            (|s| s.contests[1].min = 4, "min"),
            (
                |s| {
                    s.contests[0].min = 0;
                    s.contests[0].max = 0;
                },
                "at least one point",
            ),
            (|s| s.contests[0].options[1] = "Ada".into(), "repeats"),
        ];
        for (change, reason) in changes {
            let mut spec = contests_spec();
            change(&mut spec);
            match ElectionSpec::decode(&spec.encode()) {
                Err(ElectionError::InvalidSpec(m)) => assert!(m.contains(reason), "{m}"),
                other => panic!("{reason}: {other:?}"),
            }
        }
        // A v1 election has one contest of limit 1.
        let mut v1 = spec(SigningKey::from_bytes(&[2; 32]).verifying_key());
        v1.contests[0].limit = 2;
        assert!(v1.validate().is_err());
        v1.contests = contests_spec().contests;
        assert!(v1.validate().is_err());
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
