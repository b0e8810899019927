//! The ballot: "I am an eligible voter, this is my nullifier for this
//! election, and my ballot encrypts a valid choice", in one proof.
//!
//! # The statement
//!
//! A circuit has a shape ([`BallotShape`]): an [`EligibilityShape`] (the
//! registry's maximum depth `D`, the credential's `A` attributes) and a
//! [`BallotLayout`]: either one contest of `O` options (2 to 8) with 0/1
//! choices (`Choices`, statement v1, shape id `ballot-d20-a3-o4`), or one to
//! four contests of 1 to 8 options each, 16 in all, where each option gets
//! points up to the contest's limit (`Contests`, statement v2, shape id
//! `ballot-d20-a3-c4-c8`; see [`contests`]). The election (its registry
//! root, scope, predicates, key and contest rules) is a public parameter,
//! not part of the circuit, so one proving key per shape serves every
//! election. Statement v3 ([`BallotShape::for_election_key`], shape id
//! `ballot-d20-a3-c4-c8-k…`) is v2 with one exception: the election's
//! joint key is a constant of the circuit, so `r·PK` is a fixed-base
//! multiplication and a ballot costs about half as much to prove (28,721
//! constraints instead of 52,904 for the realistic shape), at the price of
//! a proving key per election. The public parameters are a
//! [`BallotPublic`], the private witness a [`BallotWitness`]. The circuit
//! proves:
//!
//! 1. *eligibility*: the [eligibility statement](crate::eligibility) of
//!    [`BallotPublic::eligibility`]: a credential in the registry under
//!    `root` satisfies the predicates, `nullifier = Poseidon(scope, secret)`
//!    (the scope is the election's), and `message` is bound;
//! 2. *valid choices*: for each contest `c` with rule `(min, max, limit)`
//!    ([`ContestRule`]), each of its options' values `mᵢ` is in
//!    `[0, limit]` and `min ≤ Σ mᵢ ≤ max` (v1: one contest, `limit = 1`);
//! 3. *encryption*: option `i`'s ciphertext is the exponential ElGamal
//!    encryption ([`elgamal::encrypt`]) of `mᵢ` under the election key with
//!    the voter's randomness `rᵢ`: `c1 = rᵢ·B8`, `c2 = mᵢ·B8 + rᵢ·PK`.
//!
//! One ballot carries every contest under one proof: the contests share the
//! voter's eligibility (7,300 constraints, a third of a small ballot's
//! cost), one nullifier decides which ballot counts for all of them (a
//! voter cannot re-vote in one contest and keep an old ballot in another),
//! and the acceptor checks one proof. The v1 statement stays as it was so
//! that the keys and the ballots of elections logged with it still verify.
//!
//! [`check`] evaluates all of it natively; the gadget is in `constraints`
//! (with the `r1cs` feature).
//! [`encrypt_ballot`] makes the ciphertexts.
//!
//! # What the acceptor checks natively
//!
//! [`BallotPublic::validate`] (which [`check`] also runs): the shapes fit,
//! one valid rule per contest (v1: `min ≤ max ≤ O`, limit 1; v2:
//! [`ContestRule::validate`]), one ciphertext per option, and the
//! election key is in BabyJubJub's prime-order subgroup. The circuit checks
//! only that the key is on the curve: the key is a public parameter, so the
//! service (or any verifier) checks it once per election, which is cheaper
//! than the 18 extra constraints per proof a subgroup check would cost. It
//! must do so: with a small-order component in the key, `r·PK` would depend
//! on `r` modulo 8 as well as modulo `l`, decryption would no longer yield
//! `m·B8`, and the soundness note on unreduced randomness below would not
//! hold. Ciphertexts need no native subgroup check: the circuit computes
//! them as multiples of `B8` and of the key.
//!
//! # The public inputs
//!
//! The circuit's public inputs are the statement's parameters
//! ([`public_inputs`]), `(4 + 7·A) + 2 + 2 + 4·O` of them for v1,
//! `(4 + 7·A) + 2 + 3·C + 4·O` for `C` contests, and `(4 + 7·A) + 3·C +
//! 4·O` for v3 (the key is the circuit's, fixed by the verifying key):
//!
//! | inputs | |
//! |---|---|
//! | `4 + 7·A` | the eligibility statement's ([`eligibility::public_inputs`]): root, nullifier, scope, message, 7 per predicate |
//! | 2 (not v3) | the election key's `x`, `y` (circomlib coordinates) |
//! | 2 (v1) | `min`, `max` of the one contest |
//! | 3 per contest (v2) | `min`, `max`, `limit` |
//! | 4 per option | `c1.x`, `c1.y`, `c2.x`, `c2.y` |
//!
//! For `(D, A, O) = (20, 3, 4)` that is 45 inputs. The shape (`D`, `A`, `O`)
//! is fixed by the verifying key. Hashing the parameters into one input (a
//! first version did) cost 2,107 constraints and a native Poseidon per
//! verification (about 1–3 ms, more than the pairings), while a batch of
//! proofs shares one input multi-scalar multiplication whatever the number
//! of inputs: direct inputs are cheaper on both sides.
//! [`BallotPublic::digest`] remains as a compact commitment to a statement.
//!
//! # Soundness notes
//!
//! - *Choice range without wrap-around*: the circuit decomposes `min`,
//!   `max`, `Σ mᵢ − min` and `max − Σ mᵢ` into 4 bits each. With all four
//!   below 16 and `Σ mᵢ ≤ 8`, a difference that fits in 4 bits is a true
//!   non-negative integer difference (a "negative" one would be a field
//!   element near the modulus). This holds whatever the public `min` and
//!   `max` are.
//! - *Randomness is not reduced*: each `rᵢ` enters the circuit as 251 bits
//!   with no check `rᵢ < l`. That is sound: `B8` and (checked natively) the
//!   key have order `l`, so a ciphertext made with `rᵢ ≥ l` equals the one
//!   made with `rᵢ mod l` and is an honest encryption of `mᵢ`. It does not
//!   weaken hiding: hiding is the voter's own interest and holds when the
//!   voter's wallet draws `rᵢ` uniformly below `l`, as [`Scalar`]s are.
//!   Skipping the check saves about 250 constraints per option.
//! - The ciphertext is bound: the circuit computes `c1`, `c2` from the
//!   witness and equates them with the public coordinates.
//!
//! - *Points without wrap-around* (v2): see [`contests`].
//!
//! # Cost
//!
//! 22,450 constraints for `(D, A, O) = (20, 3, 4)`, under 2¹⁵; 52,904 for two
//! contests of 4 and 8 options at depth 20, under 2¹⁶; 28,721 for the same
//! contests at v3, under 2¹⁵. The parts are in `constraints`.

#[cfg(feature = "r1cs")]
pub mod constraints;
pub mod contests;

use core::fmt;

use ark_ff::PrimeField;

use crate::babyjubjub::Point;
use crate::elgamal::{self, Ciphertext, Scalar};
use crate::eligibility::{self, EligibilityPublic, EligibilityShape, EligibilityWitness};
use crate::{CircuitError, Fr, Result};

#[cfg(feature = "r1cs")]
pub use constraints::BallotCircuit;
pub use contests::{ContestRule, ContestSizes, MAX_POINTS};

/// The fewest options of a v1 ballot (one contest of choices).
pub const MIN_OPTIONS: usize = 2;

/// The most options of a v1 ballot (one contest of choices).
pub const MAX_OPTIONS: usize = 8;

/// The domain-separation tag that starts every v1 ballot digest.
pub const DOMAIN_TAG: &[u8] = b"zkaudit/ballot/v1";

/// The domain-separation tag that starts every v2 (contests) ballot digest.
pub const CONTESTS_DOMAIN_TAG: &[u8] = b"zkaudit/ballot/v2";

/// The domain-separation tag that starts every v3 (contests, the election
/// key a constant of the circuit) ballot digest, and that the shape id's
/// key tag hashes first.
pub const KEYED_DOMAIN_TAG: &[u8] = b"zkaudit/ballot/v3";

/// The number of bytes of the election key's digest in a v3 shape id
/// ([`BallotShape::id`]).
pub const KEY_TAG_BYTES: usize = 16;

/// The number of bits of each option's randomness in the circuit: every
/// [`Scalar`] fits (see the module's soundness notes).
pub const RANDOMNESS_BITS: usize = 251;

/// How a ballot's options are organised; part of the circuit's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BallotLayout {
    /// Statement v1: one contest of this many options ([`MIN_OPTIONS`] to
    /// [`MAX_OPTIONS`]), each choice 0 or 1.
    Choices(usize),
    /// Statement v2: one or more contests, each option getting points up to
    /// its contest's limit.
    Contests(ContestSizes),
}

/// The shape of a ballot circuit; one proving key per shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BallotShape {
    /// The eligibility statement's shape (registry depth, attributes).
    pub eligibility: EligibilityShape,
    /// The contests and their options.
    pub layout: BallotLayout,
    /// Statement v3: the election's joint key, a constant of the circuit
    /// (set with [`BallotShape::for_election_key`]). `r·PK` is then a
    /// fixed-base multiplication (748 constraints per option instead of
    /// 2,763) and the key is not a public input; the price is one proving
    /// key per election. `None` (v1, v2): the key is a public input and
    /// one proving key serves every election of the shape.
    pub election_key: Option<Point>,
}

impl BallotShape {
    /// The v1 shape of depth `depth`, `attributes` attributes and one
    /// contest of `options` 0/1 choices.
    ///
    /// # Errors
    ///
    /// As [`BallotShape::validate`].
    pub fn new(depth: usize, attributes: usize, options: usize) -> Result<Self> {
        let shape = Self {
            eligibility: EligibilityShape { depth, attributes },
            layout: BallotLayout::Choices(options),
            election_key: None,
        };
        shape.validate()?;
        Ok(shape)
    }

    /// The v2 shape of depth `depth`, `attributes` attributes and contests
    /// of `contests[i]` options.
    ///
    /// # Errors
    ///
    /// As [`BallotShape::validate`] and [`ContestSizes::new`].
    pub fn with_contests(depth: usize, attributes: usize, contests: &[usize]) -> Result<Self> {
        let shape = Self {
            eligibility: EligibilityShape { depth, attributes },
            layout: BallotLayout::Contests(ContestSizes::new(contests)?),
            election_key: None,
        };
        shape.validate()?;
        Ok(shape)
    }

    /// The v3 shape of this v2 shape for one election: `key`, the
    /// election's joint key, becomes a constant of the circuit.
    ///
    /// # Errors
    ///
    /// [`CircuitError::KeyedShapeNeedsContests`] for a v1 shape,
    /// [`CircuitError::ElectionKeyNotInSubgroup`] for a key outside the
    /// prime-order subgroup, [`CircuitError::WeakElectionKey`] for the
    /// identity (which would encrypt nothing).
    pub fn for_election_key(self, key: Point) -> Result<Self> {
        let shape = Self {
            election_key: Some(key),
            ..self
        };
        shape.validate()?;
        Ok(shape)
    }

    /// [`for_election_key`](Self::for_election_key) for a key already
    /// known to be in the prime-order subgroup (decoded strictly, as an
    /// election's logged joint key is), without checking it again: the
    /// acceptor derives the shape for every ballot.
    ///
    /// # Errors
    ///
    /// As [`for_election_key`](Self::for_election_key), except
    /// [`CircuitError::ElectionKeyNotInSubgroup`].
    pub fn for_election_key_in_subgroup(self, key: Point) -> Result<Self> {
        let shape = Self {
            election_key: Some(key),
            ..self
        };
        shape.validate_assuming_key_in_subgroup()?;
        Ok(shape)
    }

    /// Checks the eligibility shape and the layout: `2 ≤ options ≤ 8` for
    /// v1, [`ContestSizes::validate`] for v2 and v3; and a v3 shape's key
    /// (see [`BallotShape::for_election_key`]).
    ///
    /// # Errors
    ///
    /// [`CircuitError::InvalidShape`] for the eligibility shape,
    /// [`CircuitError::BallotOptions`], [`CircuitError::ContestCount`] or
    /// [`CircuitError::ContestOptions`] for the layout, those of
    /// [`BallotShape::for_election_key`] for the key.
    pub fn validate(&self) -> Result<()> {
        self.validate_assuming_key_in_subgroup()?;
        match self.election_key {
            Some(key) if !key.is_in_prime_order_subgroup() => {
                Err(CircuitError::ElectionKeyNotInSubgroup)
            }
            _ => Ok(()),
        }
    }

    /// [`validate`](Self::validate) without a v3 key's subgroup check
    /// (about 70 µs), for a key already checked once (see
    /// [`BallotPublic::validate_assuming_key_in_subgroup`]).
    ///
    /// # Errors
    ///
    /// As [`validate`](Self::validate), except
    /// [`CircuitError::ElectionKeyNotInSubgroup`].
    pub fn validate_assuming_key_in_subgroup(&self) -> Result<()> {
        self.eligibility.validate()?;
        if let Some(key) = self.election_key {
            if matches!(self.layout, BallotLayout::Choices(_)) {
                return Err(CircuitError::KeyedShapeNeedsContests);
            }
            if key == Point::IDENTITY {
                return Err(CircuitError::WeakElectionKey);
            }
        }
        match self.layout {
            BallotLayout::Choices(options) if (MIN_OPTIONS..=MAX_OPTIONS).contains(&options) => {
                Ok(())
            }
            BallotLayout::Choices(options) => Err(CircuitError::BallotOptions(options)),
            BallotLayout::Contests(sizes) => sizes.validate(),
        }
    }

    /// The number of options over all contests.
    pub fn options(&self) -> usize {
        match self.layout {
            BallotLayout::Choices(options) => options,
            BallotLayout::Contests(sizes) => sizes.options(),
        }
    }

    /// The number of options of each contest.
    pub fn contest_sizes(&self) -> Vec<usize> {
        match self.layout {
            BallotLayout::Choices(options) => vec![options],
            BallotLayout::Contests(sizes) => sizes.iter().collect(),
        }
    }

    /// Each contest's options as positions on the ballot.
    pub fn contest_ranges(&self) -> Vec<core::ops::Range<usize>> {
        match self.layout {
            BallotLayout::Choices(options) => core::iter::once(0..options).collect(),
            BallotLayout::Contests(sizes) => sizes.ranges(),
        }
    }

    /// A stable name for caching keys: `ballot-d20-a3-o4` (v1),
    /// `ballot-d20-a3-c4-c8` (v2, the options of each contest) or
    /// `ballot-d20-a3-c4-c8-k…` (v3, then the [key tag](key_tag) of the
    /// election key, 32 hex digits). Only `[a-z0-9-]` and at most 63
    /// characters, so that the id names ceremonies, key files and logged
    /// keys.
    pub fn id(&self) -> String {
        let layout = match self.layout {
            BallotLayout::Choices(options) => format!("o{options}"),
            BallotLayout::Contests(sizes) => {
                let sizes: Vec<String> = sizes.iter().map(|size| format!("c{size}")).collect();
                sizes.join("-")
            }
        };
        let key = match &self.election_key {
            Some(key) => format!("-k{}", key_tag(key)),
            None => String::new(),
        };
        format!(
            "ballot-d{}-a{}-{layout}{key}",
            self.eligibility.depth, self.eligibility.attributes
        )
    }

    /// The statement version: 1 (choices), 2 (contests), 3 (contests, the
    /// election key fixed).
    pub fn version(&self) -> u8 {
        match (self.layout, self.election_key) {
            (BallotLayout::Choices(_), _) => 1,
            (BallotLayout::Contests(_), None) => 2,
            (BallotLayout::Contests(_), Some(_)) => 3,
        }
    }

    /// The digest elements that the shape fixes: the domain tag and `O`
    /// (v1), or the v2 tag, the number of contests and each one's options
    /// (the eligibility shape's come with its digest elements).
    fn header(&self) -> Vec<Fr> {
        match self.layout {
            BallotLayout::Choices(options) => vec![domain_tag(), Fr::from(options as u64)],
            BallotLayout::Contests(sizes) => {
                let tag = match self.election_key {
                    None => CONTESTS_DOMAIN_TAG,
                    Some(_) => KEYED_DOMAIN_TAG,
                };
                let mut header = vec![
                    Fr::from_be_bytes_mod_order(tag),
                    Fr::from(sizes.len() as u64),
                ];
                header.extend(sizes.iter().map(|size| Fr::from(size as u64)));
                header
            }
        }
    }

    /// Checks that `found` entries are one per option.
    fn expect_options(&self, found: usize) -> Result<()> {
        if found == self.options() {
            Ok(())
        } else {
            Err(CircuitError::OptionCountMismatch {
                expected: self.options(),
                found,
            })
        }
    }
}

impl fmt::Display for BallotShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

/// The public parameters of a ballot statement: the election's and the
/// ballot's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BallotPublic {
    /// The circuit's shape.
    pub shape: BallotShape,
    /// The eligibility statement: registry root, the voter's nullifier, the
    /// election scope, the bound message and the election's predicates. Its
    /// shape must be `shape.eligibility`.
    pub eligibility: EligibilityPublic,
    /// The election's joint public key (in the prime-order subgroup).
    pub election_key: Point,
    /// One rule per contest (v1: one rule, of limit 1).
    pub contests: Vec<ContestRule>,
    /// The ballot: one ciphertext per option.
    pub ciphertexts: Vec<Ciphertext>,
}

impl BallotPublic {
    /// Checks what the acceptor of a ballot checks natively besides the
    /// proof: a valid shape that the eligibility statement and the
    /// ciphertexts fit, one valid rule per contest ([`ContestRule::validate`];
    /// v1: limit 1), and an election key in the prime-order subgroup.
    ///
    /// # Errors
    ///
    /// [`CircuitError::InvalidShape`], [`CircuitError::BallotOptions`],
    /// [`CircuitError::ContestCount`], [`CircuitError::ContestOptions`],
    /// [`CircuitError::BallotShapeMismatch`],
    /// [`CircuitError::AttributeCountMismatch`] (predicates),
    /// [`CircuitError::OptionCountMismatch`] (ciphertexts),
    /// [`CircuitError::ContestRuleCountMismatch`],
    /// [`CircuitError::InvalidChoiceRange`] (v1),
    /// [`CircuitError::InvalidContestRule`] (v2),
    /// [`CircuitError::ElectionKeyNotInSubgroup`].
    pub fn validate(&self) -> Result<()> {
        self.validate_assuming_key_in_subgroup()?;
        if !self.election_key.is_in_prime_order_subgroup() {
            return Err(CircuitError::ElectionKeyNotInSubgroup);
        }
        Ok(())
    }

    /// [`validate`](Self::validate) without the election key's subgroup
    /// check (about 70 µs, a scalar multiplication by the group order), for
    /// a key already checked once: an election's logged key, decoded
    /// strictly, judged for every ballot of the election.
    ///
    /// # Errors
    ///
    /// As [`validate`](Self::validate), except
    /// [`CircuitError::ElectionKeyNotInSubgroup`].
    pub fn validate_assuming_key_in_subgroup(&self) -> Result<()> {
        let shape = self.shape;
        shape.validate_assuming_key_in_subgroup()?;
        if shape
            .election_key
            .is_some_and(|key| key != self.election_key)
        {
            return Err(CircuitError::ElectionKeyMismatch);
        }
        if self.eligibility.shape != shape.eligibility {
            return Err(CircuitError::BallotShapeMismatch);
        }
        if self.eligibility.predicates.len() != shape.eligibility.attributes {
            return Err(CircuitError::AttributeCountMismatch {
                expected: shape.eligibility.attributes,
                found: self.eligibility.predicates.len(),
            });
        }
        shape.expect_options(self.ciphertexts.len())?;
        let sizes = shape.contest_sizes();
        if self.contests.len() != sizes.len() {
            return Err(CircuitError::ContestRuleCountMismatch {
                expected: sizes.len(),
                found: self.contests.len(),
            });
        }
        for (contest, (rule, options)) in self.contests.iter().zip(sizes).enumerate() {
            match shape.layout {
                BallotLayout::Choices(_) => {
                    let fits =
                        rule.limit == 1 && rule.min <= rule.max && rule.max <= options as u64;
                    if !fits {
                        return Err(CircuitError::InvalidChoiceRange {
                            min: rule.min,
                            max: rule.max,
                            options,
                        });
                    }
                }
                BallotLayout::Contests(_) => rule.validate(contest, options)?,
            }
        }
        Ok(())
    }

    /// The contest rules as the statement takes them: `min, max` (v1) or
    /// `min, max, limit` (v2) per contest.
    fn rule_elements(&self) -> Vec<Fr> {
        let with_limit = matches!(self.shape.layout, BallotLayout::Contests(_));
        self.contests
            .iter()
            .flat_map(|rule| {
                let limit = with_limit.then_some(rule.limit);
                [rule.min, rule.max].into_iter().chain(limit)
            })
            .map(Fr::from)
            .collect()
    }

    /// The ballot digest: a compact commitment to the statement, the
    /// eligibility module's chained Poseidon over [`Self::digest_elements`]
    /// (the circuit's inputs are the parameters themselves).
    pub fn digest(&self) -> Fr {
        eligibility::chained_poseidon(&self.digest_elements())
    }

    /// The elements the digest hashes, in order: the shape's header (v1:
    /// the tag and `O`; v2: the tag, the number of contests and each one's
    /// options), the eligibility statement's digest elements, the key's
    /// coordinates, the contest rules (v1: `min`, `max`; v2: `min`, `max`,
    /// `limit` per contest), then each ciphertext's `c1.x, c1.y, c2.x,
    /// c2.y`.
    pub fn digest_elements(&self) -> Vec<Fr> {
        let eligibility = self.eligibility.digest_elements();
        let mut elements = Vec::with_capacity(20 + eligibility.len() + 4 * self.ciphertexts.len());
        elements.extend(self.shape.header());
        elements.extend(eligibility);
        elements.extend([self.election_key.x(), self.election_key.y()]);
        elements.extend(self.rule_elements());
        for ciphertext in &self.ciphertexts {
            elements.extend(ciphertext_elements(ciphertext));
        }
        elements
    }
}

/// The private witness of a ballot statement.
///
/// `Debug` shows only the number of options: the choices and the
/// randomness are the secret ballot.
#[derive(Clone, PartialEq, Eq)]
pub struct BallotWitness {
    /// The voter's eligibility witness (secret, attributes, Merkle path).
    pub eligibility: EligibilityWitness,
    /// One value per option: 0 or 1 (v1), the option's points (v2).
    pub choices: Vec<u64>,
    /// One encryption randomness per option: fresh, uniformly random,
    /// secret.
    pub randomness: Vec<Scalar>,
}

impl fmt::Debug for BallotWitness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BallotWitness")
            .field("options", &self.choices.len())
            .finish_non_exhaustive()
    }
}

/// The ballot's ciphertexts: option `i`'s value encrypted under
/// `election_key` with `randomness[i]` ([`elgamal::encrypt`]).
///
/// # Errors
///
/// [`CircuitError::OptionCountMismatch`] if there is not one randomness per
/// value, [`CircuitError::ChoiceOverLimit`] for a value over [`MAX_POINTS`]
/// (no ballot can prove it).
pub fn encrypt_ballot(
    election_key: &Point,
    choices: &[u64],
    randomness: &[Scalar],
) -> Result<Vec<Ciphertext>> {
    if randomness.len() != choices.len() {
        return Err(CircuitError::OptionCountMismatch {
            expected: choices.len(),
            found: randomness.len(),
        });
    }
    if let Some(option) = choices.iter().position(|&choice| choice > MAX_POINTS) {
        return Err(CircuitError::ChoiceOverLimit {
            option,
            limit: MAX_POINTS,
        });
    }
    Ok(choices
        .iter()
        .zip(randomness)
        .map(|(&choice, r)| elgamal::encrypt(election_key, choice, r))
        .collect())
}

/// Checks natively everything the circuit enforces (and
/// [`BallotPublic::validate`]), so that a false statement is refused with a
/// reason before proving.
///
/// # Errors
///
/// The first failure: those of [`BallotPublic::validate`];
/// [`CircuitError::OptionCountMismatch`] (choices or randomness); those of
/// [`eligibility::check`]; v1: [`CircuitError::ChoiceNotBinary`],
/// [`CircuitError::ChoiceCountOutOfRange`]; v2: those of
/// [`ContestRule::check`]; then [`CircuitError::CiphertextMismatch`].
pub fn check(public: &BallotPublic, witness: &BallotWitness) -> Result<()> {
    public.validate()?;
    let shape = public.shape;
    shape.expect_options(witness.choices.len())?;
    shape.expect_options(witness.randomness.len())?;
    eligibility::check(&public.eligibility, &witness.eligibility)?;
    let contests = public.contests.iter().zip(shape.contest_ranges());
    for (contest, (rule, range)) in contests.enumerate() {
        let values = &witness.choices[range.clone()];
        match shape.layout {
            BallotLayout::Choices(_) => check_choices(rule, values)?,
            BallotLayout::Contests(_) => rule.check(contest, range.start, values)?,
        }
    }
    let encrypted = encrypt_ballot(&public.election_key, &witness.choices, &witness.randomness)?;
    match encrypted
        .iter()
        .zip(&public.ciphertexts)
        .position(|(ours, theirs)| ours != theirs)
    {
        Some(option) => Err(CircuitError::CiphertextMismatch { option }),
        None => Ok(()),
    }
}

/// The v1 rule: every choice 0 or 1, their number in `[min, max]`.
fn check_choices(rule: &ContestRule, choices: &[u64]) -> Result<()> {
    if let Some(option) = choices.iter().position(|&choice| choice > 1) {
        return Err(CircuitError::ChoiceNotBinary { option });
    }
    let count: u64 = choices.iter().sum();
    if (rule.min..=rule.max).contains(&count) {
        Ok(())
    } else {
        Err(CircuitError::ChoiceCountOutOfRange {
            min: rule.min,
            max: rule.max,
        })
    }
}

/// The circuit's public inputs, in allocation order (see the module
/// documentation).
pub fn public_inputs(public: &BallotPublic) -> Vec<Fr> {
    let mut inputs = eligibility::public_inputs(&public.eligibility);
    if public.shape.election_key.is_none() {
        inputs.extend([public.election_key.x(), public.election_key.y()]);
    }
    inputs.extend(public.rule_elements());
    for ciphertext in &public.ciphertexts {
        inputs.extend(ciphertext_elements(ciphertext));
    }
    inputs
}

/// The tag of an election key in a v3 shape id: the first
/// [`KEY_TAG_BYTES`] bytes of `SHA3-256(KEYED_DOMAIN_TAG ‖ x ‖ y)` (the
/// key's 64-byte [encoding](elgamal::encode_point)), in lower-case hex.
/// Matching another election's tag takes about 2¹²⁸ work (a second
/// preimage); even two keys of one's own choosing with one tag take about
/// 2⁶⁴ (a collision).
pub fn key_tag(key: &Point) -> String {
    use sha3::{Digest, Sha3_256};
    let digest = Sha3_256::new()
        .chain_update(KEYED_DOMAIN_TAG)
        .chain_update(elgamal::encode_point(key))
        .finalize();
    digest[..KEY_TAG_BYTES]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The domain tag [`DOMAIN_TAG`] as a field element (its bytes read as a
/// big-endian integer).
pub fn domain_tag() -> Fr {
    Fr::from_be_bytes_mod_order(DOMAIN_TAG)
}

/// A ciphertext's digest elements `c1.x, c1.y, c2.x, c2.y`.
fn ciphertext_elements(ciphertext: &Ciphertext) -> [Fr; 4] {
    [
        ciphertext.c1.x(),
        ciphertext.c1.y(),
        ciphertext.c2.x(),
        ciphertext.c2.y(),
    ]
}
