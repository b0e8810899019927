//! The ballot statement as an R1CS circuit.
//!
//! [`BallotCircuit`] (the crate's [`StatementCircuit`] of a [`BallotShape`])
//! allocates the public parameters ([`BallotPublicVar`]) as public inputs,
//! in the order of [`public_inputs`](super::public_inputs), and the witness
//! ([`BallotWitnessVar`]) as private witnesses, and enforces the statement
//! with [`enforce_ballot`] (the in-circuit [`check`](super::check)).
//!
//! # Cost
//!
//! At `(D, A, O) = (20, 3, 4)`, 22,450 constraints in all:
//!
//! | part | constraints |
//! |---|---|
//! | eligibility: [`enforce_eligibility`] (7,311), its 20 path bits and 3 predicate set flags | 7,334 |
//! | election key on the curve | 3 |
//! | per option: randomness bits (251), `c1 = r·B8` (748), `r·PK` (2,763), `c2 = m·B8 + r·PK` (6), equal to the public ciphertext (4) | 4 × 3,772 |
//! | choices: 4 booleans, then `min`, `max`, `Σm − min`, `max − Σm` in 4 bits each (5 each) | 24 |
//! | the message squared (binds the otherwise unused input) | 1 |
//!
//! That is under 2¹⁵, so the Groth16 FFT domain is 32,768.
//!
//! A v2 ballot of contests ([`enforce_contest`], [`encrypt_points_var`])
//! adds, per option, 10 constraints for the range of its value and 9 for
//! `m·B8` by the fixed-base table, and 37 per contest for its limit and
//! total: two contests of 4 and 8 options at depth 20 cost 52,904
//! constraints, under 2¹⁶.
//!
//! A v3 ballot (the election key a constant, [`encrypt_points_fixed_key`])
//! computes `r·PK` by a fixed-base table of the key: 748 constraints
//! instead of 2,763 per option, and none for the key on the curve. The
//! same two contests cost 28,721 constraints, under 2¹⁵.

use ark_ff::{AdditiveGroup, BigInteger, Field, PrimeField};
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::SynthesisError;

use super::contests::{POINT_BITS, TOTAL_BITS};
use super::{BallotLayout, BallotPublic, BallotShape, BallotWitness, ContestRule, RANDOMNESS_BITS};
use crate::Fr;
use crate::babyjubjub::constraints::{FixedBaseTable, PointVar};
use crate::babyjubjub::{BASE8, Point};
use crate::constraints::{StatementCircuit, StatementShape, alloc_var};
use crate::elgamal::{Ciphertext, Scalar};
use crate::eligibility::constraints::{
    EligibilityPublicVar, EligibilityWitnessVar, chained_poseidon_var, enforce_eligibility,
};

/// The number of bits the choice-count range check decomposes into:
/// `2⁴ > MAX_OPTIONS`.
pub const CHOICE_COUNT_BITS: usize = 4;

/// The ballot circuit of one shape; its public inputs are the statement's
/// parameters ([`public_inputs`](super::public_inputs)).
pub type BallotCircuit = StatementCircuit<BallotShape>;

impl StatementShape for BallotShape {
    type Public = BallotPublic;
    type Witness = BallotWitness;
    type PublicVar = BallotPublicVar;
    type WitnessVar = BallotWitnessVar;

    fn of(public: &BallotPublic) -> crate::Result<Self> {
        public.shape.validate()?;
        Ok(public.shape)
    }

    /// The eligibility statement's placeholders, the key [`BASE8`] (v3:
    /// the shape's), any number of choices (of limit 1) and identity
    /// ciphertexts.
    fn blank_public(self) -> BallotPublic {
        BallotPublic {
            shape: self,
            eligibility: self.eligibility.blank_public(),
            election_key: self.election_key.unwrap_or(BASE8),
            contests: self
                .contest_sizes()
                .into_iter()
                .map(|options| ContestRule::choices(0, options as u64))
                .collect(),
            ciphertexts: vec![Ciphertext::IDENTITY; self.options()],
        }
    }

    /// The eligibility statement's placeholder, zero choices and
    /// randomness.
    fn placeholder_witness(self) -> BallotWitness {
        BallotWitness {
            eligibility: self.eligibility.placeholder_witness(),
            choices: vec![0; self.options()],
            randomness: vec![Scalar::ZERO; self.options()],
        }
    }

    /// [`enforce_ballot`].
    fn enforce(public: &BallotPublicVar, witness: &BallotWitnessVar) -> Result<(), SynthesisError> {
        enforce_ballot(public, witness)
    }

    /// The eligibility statement's message.
    fn message(public: &BallotPublicVar) -> &FpVar<Fr> {
        &public.eligibility.message
    }
}

/// A [`Ciphertext`] in the constraint system.
#[derive(Clone, Debug)]
pub struct CiphertextVar {
    /// `r·B8`.
    pub c1: PointVar,
    /// `m·B8 + r·PK`.
    pub c2: PointVar,
}

impl CiphertextVar {
    /// The coordinates `c1.x, c1.y, c2.x, c2.y`, as the digest takes them.
    pub fn to_field_elements(&self) -> [FpVar<Fr>; 4] {
        [
            self.c1.x.clone(),
            self.c1.y.clone(),
            self.c2.x.clone(),
            self.c2.y.clone(),
        ]
    }
}

alloc_var!(
    /// Allocates the four coordinates *without* an on-curve check (no
    /// constraint): a ciphertext allocated from outside is only ever
    /// compared with one computed in the circuit ([`enforce_ballot`]).
    CiphertextVar,
    |cs, value: Result<Ciphertext>, mode| {
        let point = |point: fn(&Ciphertext) -> Point| -> Result<PointVar, SynthesisError> {
            let coordinate = |coordinate: fn(&Point) -> Fr| {
                FpVar::new_variable(
                    cs.clone(),
                    || value.map(|ciphertext| coordinate(&point(&ciphertext))),
                    mode,
                )
            };
            Ok(PointVar {
                x: coordinate(Point::x)?,
                y: coordinate(Point::y)?,
            })
        };
        Ok(Self {
            c1: point(|ciphertext| ciphertext.c1)?,
            c2: point(|ciphertext| ciphertext.c2)?,
        })
    }
);

/// A [`BallotPublic`] in the constraint system.
#[derive(Clone, Debug)]
pub struct BallotPublicVar {
    /// The circuit's shape (a constant of the circuit).
    pub shape: BallotShape,
    /// The eligibility statement's parameters.
    pub eligibility: EligibilityPublicVar,
    /// The election key, checked to be on the curve (its subgroup is
    /// checked natively, see the [module documentation](super)); in a v3
    /// circuit the shape's key, a constant.
    pub election_key: PointVar,
    /// One rule per contest.
    pub contests: Vec<ContestRuleVar>,
    /// One ciphertext per option.
    pub ciphertexts: Vec<CiphertextVar>,
}

/// A [`ContestRule`] in the constraint system.
#[derive(Clone, Debug)]
pub struct ContestRuleVar {
    /// The fewest points in all.
    pub min: FpVar<Fr>,
    /// The most points in all.
    pub max: FpVar<Fr>,
    /// The most points per option (the constant 1 in a v1 ballot).
    pub limit: FpVar<Fr>,
}

alloc_var!(
    /// Allocates every parameter; the shape comes from the value, which must
    /// therefore be available (it is public, so it always is). The election
    /// key costs three constraints (on the curve; none in a v3 circuit,
    /// where it is the shape's constant), the rules and the ciphertexts
    /// none. A v1 ballot allocates `min` and `max`, its limit
    /// is the constant 1; a v2 ballot allocates `min`, `max`, `limit` per
    /// contest.
    BallotPublicVar,
    |cs, public: &BallotPublic, mode| {
        let field = |value: u64| FpVar::new_variable(cs.clone(), || Ok(Fr::from(value)), mode);
        let eligibility =
            EligibilityPublicVar::new_variable(cs.clone(), || Ok(&public.eligibility), mode)?;
        let election_key = match public.shape.election_key {
            Some(key) => PointVar::constant(key),
            None => PointVar::new_variable(cs.clone(), || Ok(public.election_key), mode)?,
        };
        let contests = public
            .contests
            .iter()
            .map(|rule| {
                Ok(ContestRuleVar {
                    min: field(rule.min)?,
                    max: field(rule.max)?,
                    limit: match public.shape.layout {
                        BallotLayout::Choices(_) => FpVar::one(),
                        BallotLayout::Contests(_) => field(rule.limit)?,
                    },
                })
            })
            .collect::<Result<_, SynthesisError>>()?;
        Ok(Self {
            shape: public.shape,
            eligibility,
            election_key,
            contests,
            ciphertexts: Vec::new_variable(cs.clone(), || Ok(public.ciphertexts.as_slice()), mode)?,
        })
    }
);

impl BallotPublicVar {
    /// The ballot digest, as [`BallotPublic::digest`].
    ///
    /// # Errors
    ///
    /// Whatever synthesis reports.
    pub fn digest(&self) -> Result<FpVar<Fr>, SynthesisError> {
        chained_poseidon_var(&self.digest_elements())
    }

    /// The elements the digest hashes, as [`BallotPublic::digest_elements`];
    /// the shape's are constants.
    pub fn digest_elements(&self) -> Vec<FpVar<Fr>> {
        let header = self.shape.header().into_iter().map(FpVar::constant);
        let with_limit = matches!(self.shape.layout, BallotLayout::Contests(_));
        let rules = self.contests.iter().flat_map(|rule| {
            let limit = with_limit.then(|| rule.limit.clone());
            [rule.min.clone(), rule.max.clone()]
                .into_iter()
                .chain(limit)
        });
        header
            .chain(self.eligibility.digest_elements())
            .chain([self.election_key.x.clone(), self.election_key.y.clone()])
            .chain(rules)
            .chain(
                self.ciphertexts
                    .iter()
                    .flat_map(CiphertextVar::to_field_elements),
            )
            .collect()
    }
}

/// A [`BallotWitness`] in the constraint system.
#[derive(Clone, Debug)]
pub struct BallotWitnessVar {
    /// The eligibility witness.
    pub eligibility: EligibilityWitnessVar,
    /// One choice per option (boolean-constrained by [`enforce_ballot`]).
    pub choices: Vec<FpVar<Fr>>,
    /// One randomness per option, as [`RANDOMNESS_BITS`] little-endian bits.
    pub randomness: Vec<Vec<Boolean<Fr>>>,
}

alloc_var!(
    /// Allocates the eligibility witness, the choices (as field elements,
    /// no constraint) and the randomness (as bits, one booleanity
    /// constraint each); the number of options comes from the value, so
    /// key generation passes a [placeholder](StatementShape::placeholder_witness).
    BallotWitnessVar,
    |cs, witness: &BallotWitness, mode| {
        let choices: Vec<Fr> = witness.choices.iter().copied().map(Fr::from).collect();
        let randomness = witness
            .randomness
            .iter()
            .map(|scalar| {
                let bits = scalar.into_bigint().to_bits_le();
                Vec::new_variable(cs.clone(), || Ok(&bits[..RANDOMNESS_BITS]), mode)
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            eligibility: EligibilityWitnessVar::new_variable(
                cs.clone(),
                || Ok(&witness.eligibility),
                mode,
            )?,
            choices: Vec::new_variable(cs, || Ok(choices.as_slice()), mode)?,
            randomness,
        })
    }
);

/// Enforces the ballot statement of `public` on `witness`, as
/// [`check`](super::check) does natively (without
/// [`BallotPublic::validate`]'s subgroup check of the key): eligibility,
/// every value within its contest's rule (v1: [`enforce_choices`]; v2:
/// [`enforce_contest`]), and every ciphertext the encryption of its value.
///
/// # Errors
///
/// [`SynthesisError::ArityMismatch`] if the parameters or the witness do
/// not fit the shape; otherwise whatever synthesis reports.
pub fn enforce_ballot(
    public: &BallotPublicVar,
    witness: &BallotWitnessVar,
) -> Result<(), SynthesisError> {
    let shape = public.shape;
    let options = shape.options();
    let fits_shape = public.eligibility.shape == shape.eligibility
        && public.contests.len() == shape.contest_sizes().len()
        && public.ciphertexts.len() == options
        && witness.choices.len() == options
        && witness.randomness.len() == options
        && witness
            .randomness
            .iter()
            .all(|bits| bits.len() == RANDOMNESS_BITS);
    if !fits_shape {
        return Err(SynthesisError::ArityMismatch);
    }
    enforce_eligibility(&public.eligibility, &witness.eligibility)?;
    let key = &public.election_key;
    // Each option's ciphertext is computed and equated before the next one
    // (the order of constraints is part of the pinned v1 system).
    let equate = |(encrypted, public): (CiphertextVar, &CiphertextVar)| {
        encrypted.c1.enforce_equal(&public.c1)?;
        encrypted.c2.enforce_equal(&public.c2)
    };
    match shape.layout {
        BallotLayout::Choices(_) => {
            let rule = &public.contests[0];
            enforce_choices(&witness.choices, &rule.min, &rule.max)?;
            let options = witness.choices.iter().zip(&witness.randomness);
            for ((choice, randomness), ciphertext) in options.zip(&public.ciphertexts) {
                equate((encrypt_var(key, choice, randomness)?, ciphertext))?;
            }
        }
        BallotLayout::Contests(sizes) => {
            let mut value_bits = Vec::with_capacity(options);
            for (rule, range) in public.contests.iter().zip(sizes.ranges()) {
                value_bits.extend(enforce_contest(&witness.choices[range], rule)?);
            }
            let key_table = shape
                .election_key
                .map(|key| FixedBaseTable::new(key, RANDOMNESS_BITS));
            let options = value_bits.iter().zip(&witness.randomness);
            for ((bits, randomness), ciphertext) in options.zip(&public.ciphertexts) {
                let encrypted = match &key_table {
                    Some(table) => encrypt_points_fixed_key(table, bits, randomness)?,
                    None => encrypt_points_var(key, bits, randomness)?,
                };
                equate((encrypted, ciphertext))?;
            }
        }
    }
    Ok(())
}

/// Enforces that every choice is 0 or 1 (one constraint each) and that
/// their number is in `[min, max]`: `min`, `max`, `Σ − min` and `max − Σ`
/// each fit in [`CHOICE_COUNT_BITS`] bits (five constraints each), which
/// rules out wrap-around (see the [module documentation](super)).
///
/// # Errors
///
/// Whatever synthesis reports.
pub fn enforce_choices(
    choices: &[FpVar<Fr>],
    min: &FpVar<Fr>,
    max: &FpVar<Fr>,
) -> Result<(), SynthesisError> {
    for choice in choices {
        choice.mul_equals(&(choice - Fr::ONE), &FpVar::zero())?;
    }
    let count: FpVar<Fr> = choices.iter().sum();
    for value in [min.clone(), max.clone(), &count - min, max - &count] {
        let _bits = value.to_bits_le_with_top_bits_zero(CHOICE_COUNT_BITS)?;
    }
    Ok(())
}

/// Enforces one v2 contest's rule, as [`ContestRule::check`] does
/// natively: every value and `limit − value` fit in [`POINT_BITS`] bits
/// (so `0 ≤ value ≤ limit`; ten constraints per option), `limit` fits too,
/// and `min`, `max`, `total − min` and `max − total` fit in [`TOTAL_BITS`]
/// bits (so `min ≤ total ≤ max`; 37 constraints per contest with the
/// limit's). No wrap-around: see [`contests`](super::contests). Returns
/// each value's little-endian bits, for [`encrypt_points_var`].
///
/// # Errors
///
/// Whatever synthesis reports.
pub fn enforce_contest(
    values: &[FpVar<Fr>],
    rule: &ContestRuleVar,
) -> Result<Vec<Vec<Boolean<Fr>>>, SynthesisError> {
    let _ = rule.limit.to_bits_le_with_top_bits_zero(POINT_BITS)?;
    let mut bits = Vec::with_capacity(values.len());
    for value in values {
        let (value_bits, _) = value.to_bits_le_with_top_bits_zero(POINT_BITS)?;
        let _ = (&rule.limit - value).to_bits_le_with_top_bits_zero(POINT_BITS)?;
        bits.push(value_bits);
    }
    let total: FpVar<Fr> = values.iter().sum();
    let bounds = [
        rule.min.clone(),
        rule.max.clone(),
        &total - &rule.min,
        &rule.max - &total,
    ];
    for value in bounds {
        let _ = value.to_bits_le_with_top_bits_zero(TOTAL_BITS)?;
    }
    Ok(bits)
}

/// The encryption of the value whose [`POINT_BITS`] little-endian bits are
/// `value_bits` under `key` with the randomness whose little-endian bits
/// are `randomness`, as [`elgamal::encrypt`](crate::elgamal::encrypt):
/// `c1 = r·B8` and `m·B8` by the fixed-base table, `c2 = m·B8 + r·PK`.
/// 748 + 9 + 2,763 + 6 constraints for 251 bits of randomness.
///
/// # Errors
///
/// [`SynthesisError::ArityMismatch`] for more than 252 bits; otherwise
/// whatever synthesis reports.
pub fn encrypt_points_var(
    key: &PointVar,
    value_bits: &[Boolean<Fr>],
    randomness: &[Boolean<Fr>],
) -> Result<CiphertextVar, SynthesisError> {
    encrypt_points(value_bits, randomness, |r| key.scalar_mul_le(r))
}

/// [`encrypt_points_var`] under a key that is a constant of the circuit
/// (statement v3), given as its fixed-base table
/// ([`FixedBaseTable::new`]`(key, RANDOMNESS_BITS)`): `r·PK` costs 748
/// constraints instead of 2,763, so 748 + 9 + 748 + 6 in all.
///
/// # Errors
///
/// [`SynthesisError::ArityMismatch`] for more randomness bits than either
/// table covers; otherwise whatever synthesis reports.
pub fn encrypt_points_fixed_key(
    key_table: &FixedBaseTable,
    value_bits: &[Boolean<Fr>],
    randomness: &[Boolean<Fr>],
) -> Result<CiphertextVar, SynthesisError> {
    encrypt_points(value_bits, randomness, |r| key_table.scalar_mul_le(r))
}

/// `c1 = r·B8`, `m·B8`, then `r·PK` by `shared`, and `c2 = m·B8 + r·PK`,
/// in that order (the order of constraints is part of the pinned v2
/// system).
fn encrypt_points(
    value_bits: &[Boolean<Fr>],
    randomness: &[Boolean<Fr>],
    shared: impl FnOnce(&[Boolean<Fr>]) -> Result<PointVar, SynthesisError>,
) -> Result<CiphertextVar, SynthesisError> {
    let table = FixedBaseTable::base8();
    let c1 = table.scalar_mul_le(randomness)?;
    let encoded_value = table.scalar_mul_le(value_bits)?;
    let shared = shared(randomness)?;
    let c2 = encoded_value.add(&shared)?;
    Ok(CiphertextVar { c1, c2 })
}

/// The encryption of `choice` (0 or 1, not checked here) under `key` with
/// the randomness whose little-endian bits are `randomness`, as
/// [`elgamal::encrypt`](crate::elgamal::encrypt): `c1 = r·B8` by the fixed
/// base table, `c2 = m·B8 + r·PK` with `m·B8 = (m·B8.x, 1 + m·(B8.y − 1))`
/// linear in `m`. 748 + 2,763 + 6 constraints for 251 bits.
///
/// # Errors
///
/// [`SynthesisError::ArityMismatch`] for more than 252 bits; otherwise
/// whatever synthesis reports.
pub fn encrypt_var(
    key: &PointVar,
    choice: &FpVar<Fr>,
    randomness: &[Boolean<Fr>],
) -> Result<CiphertextVar, SynthesisError> {
    let c1 = FixedBaseTable::base8().scalar_mul_le(randomness)?;
    let shared = key.scalar_mul_le(randomness)?;
    let encoded_choice = PointVar {
        x: choice * BASE8.x(),
        y: choice * (BASE8.y() - Fr::ONE) + Fr::ONE,
    };
    let c2 = encoded_choice.add(&shared)?;
    Ok(CiphertextVar { c1, c2 })
}
