//! The eligibility statement as an R1CS circuit.
//!
//! [`EligibilityCircuit`] (the crate's [`StatementCircuit`] of an
//! [`EligibilityShape`]) allocates the public parameters
//! ([`EligibilityPublicVar`]) as the Groth16 public inputs — root,
//! nullifier, scope, message, then `min, max, set flag, s1..s4` per
//! attribute, in the order of [`public_inputs`](super::public_inputs) — and
//! the witness ([`EligibilityWitnessVar`]) as private witnesses, and
//! enforces the statement with [`enforce_eligibility`] (the in-circuit
//! [`check`](super::check)). The message takes part in no other constraint,
//! so it is squared: a public input that no constraint uses has a zero
//! verifying-key point and would not be bound by the proof. The parts can be
//! reused by larger statements (a vote carries an eligibility proof).
//!
//! # Cost
//!
//! | part | `(20, 3)` | `(20, 8)` |
//! |---|---|---|
//! | membership: `D` path bits, then 244 per level, `D − 1` orderings and the depth | 4,900 | 4,900 |
//! | identity: secret range (502), public key (748), commitment (240), nullifier (240) | 1,730 | 1,730 |
//! | credential leaf: Poseidon of `1 + A` inputs | 297 | 417 |
//! | predicates: 135 each (set flags are boolean-constrained as inputs) | 405 | 1,080 |
//! | derived root and nullifier equal the parameters; message squared | 3 | 3 |
//!
//! # Why not one hashed public input
//!
//! Hashing the parameters into one public input (the Poseidon chain of
//! [`EligibilityPublic::digest`](super::EligibilityPublic::digest)) would cost
//! 1,102 constraints at `(20, 3)` and push the circuit past 2¹³, doubling the
//! Groth16 FFT domain: proving measured 403–475 ms against 158–189 ms with
//! direct inputs. It would not make verification cheaper either: the
//! verifier would recompute the digest natively (0.59 ms at `A = 3`), more
//! than the 0.24 ms the `4 + 7·A` input points cost.

use ark_ff::AdditiveGroup;
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::SynthesisError;

use super::{AttributePredicate, EligibilityPublic, EligibilityShape, EligibilityWitness};
use crate::Fr;
use crate::constraints::{StatementCircuit, StatementShape, alloc_var};
use crate::identity::constraints::IdentityVar;
use crate::lean_imt::constraints::CircuitPathVar;
use crate::poseidon::MAX_INPUTS;
use crate::poseidon::constraints::poseidon_hash_var;
use crate::predicate::constraints::AttributePredicateVar;

/// The eligibility circuit of one shape; its public inputs are the
/// statement's parameters ([`public_inputs`](super::public_inputs)).
pub type EligibilityCircuit = StatementCircuit<EligibilityShape>;

impl StatementShape for EligibilityShape {
    type Public = EligibilityPublic;
    type Witness = EligibilityWitness;
    type PublicVar = EligibilityPublicVar;
    type WitnessVar = EligibilityWitnessVar;

    fn of(public: &EligibilityPublic) -> crate::Result<Self> {
        public.shape.validate()?;
        Ok(public.shape)
    }

    /// Zeros and [`AttributePredicate::any`].
    fn blank_public(self) -> EligibilityPublic {
        EligibilityPublic {
            shape: self,
            root: Fr::ZERO,
            nullifier: Fr::ZERO,
            scope: Fr::ZERO,
            message: Fr::ZERO,
            predicates: vec![AttributePredicate::any(); self.attributes],
        }
    }

    /// A zero secret and attributes, an all-zero path.
    fn placeholder_witness(self) -> EligibilityWitness {
        EligibilityWitness {
            secret: Fr::ZERO,
            attributes: vec![0; self.attributes],
            path: crate::lean_imt::CircuitPath::zeroed(self.depth),
        }
    }

    /// [`enforce_eligibility`].
    fn enforce(
        public: &EligibilityPublicVar,
        witness: &EligibilityWitnessVar,
    ) -> Result<(), SynthesisError> {
        enforce_eligibility(public, witness)
    }

    fn message(public: &EligibilityPublicVar) -> &FpVar<Fr> {
        &public.message
    }
}

/// An [`EligibilityPublic`] in the constraint system.
#[derive(Clone, Debug)]
pub struct EligibilityPublicVar {
    /// The circuit's shape (a constant of the circuit).
    pub shape: EligibilityShape,
    /// The registry root.
    pub root: FpVar<Fr>,
    /// The nullifier.
    pub nullifier: FpVar<Fr>,
    /// The scope.
    pub scope: FpVar<Fr>,
    /// The message.
    pub message: FpVar<Fr>,
    /// One predicate per attribute.
    pub predicates: Vec<AttributePredicateVar>,
}

alloc_var!(
    /// Allocates every parameter; the shape comes from the value, which must
    /// therefore be available (it is public, so it always is).
    EligibilityPublicVar,
    |cs, public: &EligibilityPublic, mode| {
        let field = |value: Fr| FpVar::new_variable(cs.clone(), || Ok(value), mode);
        Ok(Self {
            shape: public.shape,
            root: field(public.root)?,
            nullifier: field(public.nullifier)?,
            scope: field(public.scope)?,
            message: field(public.message)?,
            predicates: Vec::new_variable(cs.clone(), || Ok(public.predicates.as_slice()), mode)?,
        })
    }
);

impl EligibilityPublicVar {
    /// The statement digest, as [`EligibilityPublic::digest`].
    ///
    /// # Errors
    ///
    /// Whatever synthesis reports.
    pub fn digest(&self) -> Result<FpVar<Fr>, SynthesisError> {
        chained_poseidon_var(&self.digest_elements())
    }

    /// The elements the digest hashes, as
    /// [`EligibilityPublic::digest_elements`]; the shape's are constants.
    pub fn digest_elements(&self) -> Vec<FpVar<Fr>> {
        let header = self.shape.header().map(FpVar::constant);
        let parameters = [&self.root, &self.nullifier, &self.scope, &self.message];
        let predicates = self
            .predicates
            .iter()
            .flat_map(AttributePredicateVar::to_field_elements);
        header
            .into_iter()
            .chain(parameters.into_iter().cloned())
            .chain(predicates)
            .collect()
    }
}

/// An [`EligibilityWitness`] in the constraint system.
#[derive(Clone, Debug)]
pub struct EligibilityWitnessVar {
    /// The identity's secret scalar (range-checked by
    /// [`EligibilityWitnessVar::derive`]).
    pub secret: FpVar<Fr>,
    /// The attributes (bounded below 2⁶⁴ by their predicates).
    pub attributes: Vec<FpVar<Fr>>,
    /// The Merkle path of the credential leaf.
    pub path: CircuitPathVar,
}

alloc_var!(
    /// Allocates the secret, the attributes and the path; the number of
    /// attributes and of levels come from the value, so key generation
    /// passes a [placeholder](StatementShape::placeholder_witness).
    EligibilityWitnessVar,
    |cs, witness: &EligibilityWitness, mode| {
        let attributes: Vec<Fr> = witness.attributes.iter().copied().map(Fr::from).collect();
        Ok(Self {
            secret: FpVar::new_variable(cs.clone(), || Ok(witness.secret), mode)?,
            attributes: Vec::new_variable(cs.clone(), || Ok(attributes.as_slice()), mode)?,
            path: CircuitPathVar::new_variable(cs, || Ok(&witness.path), mode)?,
        })
    }
);

impl EligibilityWitnessVar {
    /// The leaf, root and nullifier the witness determines for `scope`, as
    /// [`EligibilityWitness::derive`]; enforces that the secret is an
    /// identity's (below BabyJubJub's subgroup order).
    ///
    /// # Errors
    ///
    /// [`SynthesisError::ArityMismatch`] for no or too many attributes;
    /// otherwise whatever synthesis reports.
    pub fn derive(&self, scope: &FpVar<Fr>) -> Result<DerivedVar, SynthesisError> {
        let identity = IdentityVar::new(self.secret.clone())?;
        let leaf = credential_leaf_var(&identity.commitment()?, &self.attributes)?;
        Ok(DerivedVar {
            root: self.path.root(&leaf)?,
            nullifier: identity.nullifier(scope)?,
            leaf,
        })
    }
}

/// What a witness determines, in the constraint system: see
/// [`EligibilityWitnessVar::derive`].
#[derive(Clone, Debug)]
pub struct DerivedVar {
    /// The credential leaf.
    pub leaf: FpVar<Fr>,
    /// The root the path leads to from the leaf.
    pub root: FpVar<Fr>,
    /// The identity's nullifier for the scope.
    pub nullifier: FpVar<Fr>,
}

/// Enforces the eligibility statement of `public` on `witness`, as
/// [`check`](super::check) does natively: the derived root and nullifier
/// equal the parameters, and every attribute satisfies its predicate.
///
/// The predicates' bounds are trusted to be `u64` values: bind `public` to
/// the verifier's parameters, as [`EligibilityCircuit`] does with the
/// digest.
///
/// # Errors
///
/// [`SynthesisError::ArityMismatch`] if the predicates, attributes or path
/// levels do not fit the shape; otherwise whatever synthesis reports.
pub fn enforce_eligibility(
    public: &EligibilityPublicVar,
    witness: &EligibilityWitnessVar,
) -> Result<(), SynthesisError> {
    let shape = public.shape;
    let fits_shape = public.predicates.len() == shape.attributes
        && witness.attributes.len() == shape.attributes
        && witness.path.siblings.len() == shape.depth;
    if !fits_shape {
        return Err(SynthesisError::ArityMismatch);
    }
    let derived = witness.derive(&public.scope)?;
    derived.root.enforce_equal(&public.root)?;
    derived.nullifier.enforce_equal(&public.nullifier)?;
    for (predicate, attribute) in public.predicates.iter().zip(&witness.attributes) {
        predicate.enforce_holds(attribute)?;
    }
    Ok(())
}

/// The credential leaf `Poseidon(commitment, attributes…)`, as
/// [`credential_leaf`](super::credential_leaf).
///
/// # Errors
///
/// [`SynthesisError::ArityMismatch`] for no attribute or more than
/// [`MAX_ATTRIBUTES`](super::MAX_ATTRIBUTES); otherwise whatever synthesis
/// reports.
pub fn credential_leaf_var(
    commitment: &FpVar<Fr>,
    attributes: &[FpVar<Fr>],
) -> Result<FpVar<Fr>, SynthesisError> {
    if !(1..=super::MAX_ATTRIBUTES).contains(&attributes.len()) {
        return Err(SynthesisError::ArityMismatch);
    }
    let inputs: Vec<FpVar<Fr>> = core::iter::once(commitment)
        .chain(attributes)
        .cloned()
        .collect();
    poseidon_hash_var(&inputs)
}

/// The chained Poseidon of the module documentation, in-circuit.
pub(crate) fn chained_poseidon_var(elements: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
    let (first, rest) = elements.split_at(elements.len().min(MAX_INPUTS));
    rest.chunks(MAX_INPUTS - 1)
        .try_fold(poseidon_hash_var(first)?, |running, chunk| {
            let inputs: Vec<FpVar<Fr>> = core::iter::once(running)
                .chain(chunk.iter().cloned())
                .collect();
            poseidon_hash_var(&inputs)
        })
}
