//! The one R1CS circuit every Groth16 statement here is proved with.
//!
//! A statement's circuit ([`StatementCircuit`]) allocates the statement's
//! public parameters as the Groth16 public inputs, in the order of the
//! statement's `public_inputs`, and its witness as private witnesses;
//! enforces the statement with its gadget; and squares the bound message.
//! The message takes part in no other constraint, and a public input that
//! no constraint uses has a zero verifying-key point and would not be bound
//! by the proof (Semaphore's guard against a malleable unused input): the
//! square binds it, for one constraint.
//!
//! A statement plugs in through its shape ([`StatementShape`]), which fixes
//! one circuit and so one proving key:
//! [`EligibilityCircuit`](crate::eligibility::EligibilityCircuit) is the
//! circuit of an [`EligibilityShape`](crate::eligibility::EligibilityShape),
//! [`BallotCircuit`](crate::ballot::BallotCircuit) that of a
//! [`BallotShape`](crate::ballot::BallotShape).

use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

use crate::Fr;

/// The shape of a statement proved by a [`StatementCircuit`]: what fixes
/// the circuit, so one proving key per shape.
pub trait StatementShape: Copy + core::fmt::Debug {
    /// The statement's public parameters; they carry their shape.
    type Public: Clone + core::fmt::Debug;
    /// The statement's private witness.
    type Witness: Clone + core::fmt::Debug;
    /// The public parameters in the constraint system.
    type PublicVar: AllocVar<Self::Public, Fr>;
    /// The witness in the constraint system.
    type WitnessVar: AllocVar<Self::Witness, Fr>;

    /// The shape of `public`, validated.
    ///
    /// # Errors
    ///
    /// [`CircuitError`](crate::CircuitError) for an invalid shape.
    fn of(public: &Self::Public) -> crate::Result<Self>;

    /// Placeholder parameters of the shape (zeros and accept-all
    /// predicates), for key generation.
    fn blank_public(self) -> Self::Public;

    /// A placeholder witness of the shape, for key generation; it proves
    /// nothing.
    fn placeholder_witness(self) -> Self::Witness;

    /// Enforces the statement of `public` on `witness`: the in-circuit
    /// native check.
    ///
    /// # Errors
    ///
    /// [`SynthesisError::ArityMismatch`] if the parameters or the witness
    /// do not fit the shape; otherwise whatever synthesis reports.
    fn enforce(public: &Self::PublicVar, witness: &Self::WitnessVar) -> Result<(), SynthesisError>;

    /// The bound message among the parameters.
    fn message(public: &Self::PublicVar) -> &FpVar<Fr>;
}

/// The circuit of a statement of one shape; its public inputs are the
/// statement's parameters (the [module documentation](self) gives the
/// layout).
#[derive(Clone, Debug)]
pub struct StatementCircuit<S: StatementShape> {
    /// The public parameters; their shape is the circuit's.
    pub public: S::Public,
    /// The witness, or `None` for key generation and constraint counting
    /// (a [placeholder](StatementShape::placeholder_witness) is used then).
    pub witness: Option<S::Witness>,
}

impl<S: StatementShape> StatementCircuit<S> {
    /// The circuit proving `public` with `witness`.
    pub fn new(public: S::Public, witness: S::Witness) -> Self {
        Self {
            public,
            witness: Some(witness),
        }
    }

    /// The circuit of `shape` without values, for key generation: it
    /// synthesizes the same constraints as every circuit of that shape.
    pub fn blank(shape: S) -> Self {
        Self {
            public: shape.blank_public(),
            witness: None,
        }
    }
}

impl<S: StatementShape> ConstraintSynthesizer<Fr> for StatementCircuit<S> {
    /// # Errors
    ///
    /// [`SynthesisError::ArityMismatch`] for an invalid shape, or parameters
    /// or a witness that do not fit it; otherwise whatever synthesis
    /// reports.
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let shape = S::of(&self.public).map_err(|_| SynthesisError::ArityMismatch)?;
        let witness = self.witness.unwrap_or_else(|| shape.placeholder_witness());
        let public = S::PublicVar::new_input(cs.clone(), || Ok(&self.public))?;
        let witness = S::WitnessVar::new_witness(cs, || Ok(&witness))?;
        S::enforce(&public, &witness)?;
        // Binds the message: no other constraint uses it (see the module
        // documentation).
        let _message_squared = S::message(&public).square()?;
        Ok(())
    }
}

/// Implements [`AllocVar<Value, Fr>`](AllocVar) for a gadget from how it
/// allocates one value, so the arkworks signature and the unwrapping of the
/// value are written once.
///
/// - `alloc_var!(Var, |cs, value: &Value, mode| { … })`: the value must be
///   available, because its shape sizes the gadget (public parameters always
///   are; key generation passes a placeholder witness); `value` is a
///   `&Value`.
/// - `alloc_var!(Var, |cs, value: Result<Value>, mode| { … })`: a `Copy`
///   value that may be missing (key generation without assignments);
///   `value` is a `Result<Value, SynthesisError>`.
///
/// `cs` is the namespace's [`ConstraintSystemRef`] and `mode` the
/// [`AllocationMode`]; attributes before `Var` (the documentation) go on
/// `new_variable`. The body allocates exactly what it would in a
/// hand-written `new_variable`, in the same order.
macro_rules! alloc_var {
    (@impl $(#[$attr:meta])* $var:ty, $type:ty, |$cs:ident, $f:ident, $mode:ident| $body:block) => {
        impl ::ark_r1cs_std::alloc::AllocVar<$type, $crate::Fr> for $var {
            $(#[$attr])*
            fn new_variable<T: ::core::borrow::Borrow<$type>>(
                cs: impl Into<::ark_relations::gr1cs::Namespace<$crate::Fr>>,
                $f: impl FnOnce() -> Result<T, ::ark_relations::gr1cs::SynthesisError>,
                $mode: ::ark_r1cs_std::alloc::AllocationMode,
            ) -> Result<Self, ::ark_relations::gr1cs::SynthesisError> {
                let $cs = cs.into().cs();
                $body
            }
        }
    };
    ($(#[$attr:meta])* $var:ty, |$cs:ident, $value:ident: &$type:ty, $mode:ident| $body:block) => {
        $crate::constraints::alloc_var!(@impl $(#[$attr])* $var, $type, |$cs, f, $mode| {
            let borrowed = f()?;
            let $value: &$type = ::core::borrow::Borrow::borrow(&borrowed);
            $body
        });
    };
    ($(#[$attr:meta])* $var:ty, |$cs:ident, $value:ident: Result<$type:ty>, $mode:ident| $body:block) => {
        $crate::constraints::alloc_var!(@impl $(#[$attr])* $var, $type, |$cs, f, $mode| {
            let $value: Result<$type, ::ark_relations::gr1cs::SynthesisError> =
                f().map(|borrowed| *::core::borrow::Borrow::borrow(&borrowed));
            $body
        });
    };
}
pub(crate) use alloc_var;
