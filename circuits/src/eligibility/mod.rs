//! Eligibility: "I hold a credential in this registry whose attributes
//! satisfy these predicates", without revealing who.
//!
//! # Credentials
//!
//! A holder's [`Identity`] (Semaphore v4) has a secret scalar and a public
//! commitment. The issuer certifies `A` attributes (1 ≤ A ≤ 8, unsigned
//! 64-bit integers encoded as the [`predicate`](crate::predicate) module
//! describes) by appending the credential leaf
//!
//! ```text
//! leaf = Poseidon(identity commitment, attribute₁, …, attribute_A)
//! ```
//!
//! ([`credential_leaf`]) to its registry, a [`LeanImt`](crate::lean_imt::LeanImt).
//! Revocation replaces the leaf with 0.
//!
//! # The statement
//!
//! A circuit has a shape ([`EligibilityShape`]): a maximum tree depth `D`
//! and the number of attributes `A`. Its public parameters are an
//! [`EligibilityPublic`]; its private witness an [`EligibilityWitness`]
//! (secret, attributes, Merkle path). It proves:
//!
//! 1. *membership*: `Poseidon(commitment(secret), attributes…)`, computed in
//!    the circuit, is a leaf of the LeanIMT with root `root`, at any depth
//!    up to `D`;
//! 2. *predicates*: each attribute satisfies its [`AttributePredicate`];
//!    since the predicates are parameters, one circuit per shape serves
//!    every predicate;
//! 3. *nullifier*: `nullifier = Poseidon(scope, secret)`, so a credential
//!    claims once per scope;
//! 4. *message*: `message` (see [`message_field`]) is bound to the proof, so
//!    the proof cannot be replayed for another request.
//!
//! [`check`] evaluates all of it natively; the gadget is in `constraints`
//! (with the `r1cs` feature).
//!
//! # The public inputs
//!
//! The circuit's public inputs are the statement's parameters themselves
//! ([`public_inputs`]): `root`, `nullifier`, `scope`, `message`, then per
//! attribute `i` its predicate's `min`, `max`, set flag (1 or 0) and the 4
//! set values (0 without a set) — `4 + 7·A` inputs. The shape (`D`, `A`)
//! is fixed by the verifying key. Hashing them into one input was measured
//! and rejected: it adds 1,102 constraints, pushes `(20, 3)` past 2¹³ and
//! doubles the proving time, and it does not make verification cheaper
//! (the verifier would recompute the hash natively; a batch shares one
//! input multi-scalar multiplication anyway). The message is bound with
//! Semaphore's `m·m` constraint, so an unused input cannot be changed.
//!
//! [`EligibilityPublic::digest`] remains: the chained Poseidon over the
//! `7 + 7·A` elements `[tag, D, A, root, nullifier, scope, message,
//! predicates…]` (first hash over 15 elements, each next one over the
//! running hash and up to 14 more). The ballot statement builds on its
//! elements.
//!
//! # Soundness notes
//!
//! - The leaf is derived in-circuit from the range-checked secret, so a
//!   shorter Merkle path whose "leaf" is an internal node cannot be used
//!   (see `lean_imt::constraints`): that would take a public key whose
//!   commitment is a tree node. With `A = 1` the leaf hash has the width of
//!   a node hash; an internal node would also need a right child below 2⁶⁴
//!   to pass as an attribute.
//! - Predicate bounds are not range-checked in the circuit: they are fixed
//!   by the digest, which a verifier computes from `u64` values (see
//!   `predicate::constraints`). The range checks then also bound every
//!   attribute below 2⁶⁴.
//! - A revoked leaf is 0, and no credential leaf is 0.
//!
//! # Cost
//!
//! 7,335 constraints for `(D, A) = (20, 3)` (pinned in the tests); the
//! parts are in `constraints`.

#[cfg(feature = "r1cs")]
pub mod constraints;

use core::fmt;

use ark_ff::PrimeField;
use sha3::{Digest, Sha3_256};

use crate::identity::Identity;
use crate::lean_imt::CircuitPath;
use crate::poseidon::{MAX_INPUTS, poseidon_hash};
pub use crate::predicate::AttributePredicate;
use crate::{CircuitError, Fr, Result};

#[cfg(feature = "r1cs")]
pub use constraints::EligibilityCircuit;

/// The largest maximum tree depth of an eligibility circuit.
pub const MAX_DEPTH: usize = 32;

/// The largest number of attributes of a credential.
pub const MAX_ATTRIBUTES: usize = 8;

/// The domain-separation tag that starts every statement digest.
pub const DOMAIN_TAG: &[u8] = b"zkaudit/eligibility/v1";

/// The number of bytes of a SHA3-256 digest that [`message_field`] keeps:
/// 248 bits, always below the field modulus.
pub const MESSAGE_BYTES: usize = 31;

/// The number of digest elements before the predicates.
const HEADER_ELEMENTS: usize = 7;

/// The shape of an eligibility circuit; one proving key per shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EligibilityShape {
    /// The maximum depth of the registry tree (1 to [`MAX_DEPTH`]).
    pub depth: usize,
    /// The number of attributes of a credential (1 to [`MAX_ATTRIBUTES`]).
    pub attributes: usize,
}

impl EligibilityShape {
    /// The shape of depth `depth` with `attributes` attributes.
    ///
    /// # Errors
    ///
    /// As [`EligibilityShape::validate`].
    pub fn new(depth: usize, attributes: usize) -> Result<Self> {
        let shape = Self { depth, attributes };
        shape.validate()?;
        Ok(shape)
    }

    /// Checks `1 ≤ depth ≤ 32` and `1 ≤ attributes ≤ 8`.
    ///
    /// # Errors
    ///
    /// [`CircuitError::InvalidShape`] otherwise.
    pub fn validate(&self) -> Result<()> {
        let valid = (1..=MAX_DEPTH).contains(&self.depth)
            && (1..=MAX_ATTRIBUTES).contains(&self.attributes);
        if valid {
            Ok(())
        } else {
            Err(CircuitError::InvalidShape {
                depth: self.depth,
                attributes: self.attributes,
            })
        }
    }

    /// A stable name for caching keys, such as `eligibility-d20-a3`.
    pub fn id(&self) -> String {
        format!("eligibility-d{}-a{}", self.depth, self.attributes)
    }

    /// The digest elements that the shape fixes: the domain tag, `D`, `A`.
    fn header(&self) -> [Fr; 3] {
        [
            domain_tag(),
            Fr::from(self.depth as u64),
            Fr::from(self.attributes as u64),
        ]
    }

    /// Checks that `count` attributes or predicates fit the shape.
    fn expect_attributes(&self, count: usize) -> Result<()> {
        if count == self.attributes {
            Ok(())
        } else {
            Err(CircuitError::AttributeCountMismatch {
                expected: self.attributes,
                found: count,
            })
        }
    }

    /// Checks that `path` has one level per level of the circuit and a depth
    /// within them.
    fn expect_path(&self, path: &CircuitPath) -> Result<()> {
        for found in [path.siblings.len(), path.path_bits.len()] {
            if found != self.depth {
                return Err(CircuitError::PathLengthMismatch {
                    expected: self.depth,
                    found,
                });
            }
        }
        if path.depth > self.depth {
            return Err(CircuitError::MerkleProofTooDeep {
                depth: path.depth,
                max_depth: self.depth,
            });
        }
        Ok(())
    }
}

impl fmt::Display for EligibilityShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

/// The public parameters of an eligibility statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EligibilityPublic {
    /// The circuit's shape.
    pub shape: EligibilityShape,
    /// The registry root the credential is proved against (one of the
    /// registry's accepted roots).
    pub root: Fr,
    /// The holder's nullifier for `scope`.
    pub nullifier: Fr,
    /// The scope: what a credential may claim once (an election, a benefit
    /// period).
    pub scope: Fr,
    /// The request the proof is for, as [`message_field`] derives it.
    pub message: Fr,
    /// One predicate per attribute, in the credential's attribute order.
    pub predicates: Vec<AttributePredicate>,
}

impl EligibilityPublic {
    /// The statement digest: the circuit's single public input (the module
    /// documentation gives the layout).
    pub fn digest(&self) -> Fr {
        chained_poseidon(&self.digest_elements())
    }

    /// The elements the digest hashes, in order: the domain tag, `D`, `A`,
    /// root, nullifier, scope, message, then each predicate's
    /// [field elements](AttributePredicate::to_field_elements).
    pub fn digest_elements(&self) -> Vec<Fr> {
        let mut elements = Vec::with_capacity(HEADER_ELEMENTS + 7 * self.predicates.len());
        elements.extend(self.shape.header());
        elements.extend([self.root, self.nullifier, self.scope, self.message]);
        for predicate in &self.predicates {
            elements.extend(predicate.to_field_elements());
        }
        elements
    }
}

/// The private witness of an eligibility statement.
///
/// `Debug` shows only the path's depth.
#[derive(Clone, PartialEq, Eq)]
pub struct EligibilityWitness {
    /// The identity's secret scalar ([`Identity::secret_scalar`]).
    pub secret: Fr,
    /// The credential's attributes, in order.
    pub attributes: Vec<u64>,
    /// The credential leaf's Merkle path, padded to the circuit's depth
    /// ([`MerkleProof::to_circuit_path`](crate::lean_imt::MerkleProof::to_circuit_path)).
    pub path: CircuitPath,
}

impl EligibilityWitness {
    /// The values the witness determines for `scope`: its credential leaf,
    /// the root its path leads to, and its nullifier.
    ///
    /// # Errors
    ///
    /// [`CircuitError::SecretScalarOutOfRange`] for a secret that is no
    /// identity's, [`CircuitError::AttributeCount`] for no or too many
    /// attributes.
    pub fn derive(&self, scope: Fr) -> Result<Derived> {
        let identity = Identity::from_secret_scalar(self.secret)?;
        let leaf = credential_leaf(identity.commitment(), &self.attributes)?;
        Ok(Derived {
            leaf,
            root: self.path.compute_root(leaf),
            nullifier: identity.nullifier(scope),
        })
    }
}

impl fmt::Debug for EligibilityWitness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EligibilityWitness")
            .field("path_depth", &self.path.depth)
            .finish_non_exhaustive()
    }
}

/// What a witness determines: see [`EligibilityWitness::derive`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Derived {
    /// The credential leaf.
    pub leaf: Fr,
    /// The root the path leads to from the leaf.
    pub root: Fr,
    /// The identity's nullifier for the scope.
    pub nullifier: Fr,
}

/// The credential leaf `Poseidon(commitment, attributes…)`.
///
/// # Errors
///
/// [`CircuitError::AttributeCount`] for no attribute or more than
/// [`MAX_ATTRIBUTES`].
pub fn credential_leaf(commitment: Fr, attributes: &[u64]) -> Result<Fr> {
    if !(1..=MAX_ATTRIBUTES).contains(&attributes.len()) {
        return Err(CircuitError::AttributeCount(attributes.len()));
    }
    let mut inputs = Vec::with_capacity(1 + attributes.len());
    inputs.push(commitment);
    inputs.extend(attributes.iter().copied().map(Fr::from));
    poseidon_hash(&inputs)
}

/// Checks natively everything the circuit enforces, so that a false
/// statement is refused with a reason before proving.
///
/// # Errors
///
/// The first failure: [`CircuitError::InvalidShape`],
/// [`CircuitError::AttributeCountMismatch`] (predicates or attributes),
/// [`CircuitError::PathLengthMismatch`] or
/// [`CircuitError::MerkleProofTooDeep`] (a path of the wrong shape),
/// [`CircuitError::SecretScalarOutOfRange`], [`CircuitError::MerkleRootMismatch`]
/// (not in the registry at `root`, e.g. revoked),
/// [`CircuitError::NullifierMismatch`], [`CircuitError::PredicateFails`].
pub fn check(public: &EligibilityPublic, witness: &EligibilityWitness) -> Result<()> {
    let shape = public.shape;
    shape.validate()?;
    shape.expect_attributes(public.predicates.len())?;
    shape.expect_attributes(witness.attributes.len())?;
    shape.expect_path(&witness.path)?;
    let derived = witness.derive(public.scope)?;
    if derived.root != public.root {
        return Err(CircuitError::MerkleRootMismatch);
    }
    if derived.nullifier != public.nullifier {
        return Err(CircuitError::NullifierMismatch);
    }
    let failing = public
        .predicates
        .iter()
        .zip(&witness.attributes)
        .position(|(predicate, value)| !predicate.holds(*value));
    match failing {
        Some(attribute) => Err(CircuitError::PredicateFails { attribute }),
        None => Ok(()),
    }
}

/// The circuit's public inputs, in allocation order: root, nullifier,
/// scope, message, then each predicate's
/// [`to_field_elements`](AttributePredicate::to_field_elements). The shape
/// (depth, attribute count) is fixed by the verifying key, not an input.
pub fn public_inputs(public: &EligibilityPublic) -> Vec<Fr> {
    let constants = public.shape.header().len();
    public.digest_elements()[constants..].to_vec()
}

/// The message field element of a request: its SHA3-256 digest read as a
/// big-endian integer without its last byte (the first [`MESSAGE_BYTES`]
/// bytes, 248 bits, so always a canonical field element).
///
/// The caller chooses the bytes (a canonical encoding of the request,
/// with its own domain separation); equal bytes give equal messages.
pub fn message_field(request: &[u8]) -> Fr {
    let digest = Sha3_256::digest(request);
    Fr::from_be_bytes_mod_order(&digest[..MESSAGE_BYTES])
}

/// The domain tag [`DOMAIN_TAG`] as a field element (its bytes read as a
/// big-endian integer).
pub fn domain_tag() -> Fr {
    Fr::from_be_bytes_mod_order(DOMAIN_TAG)
}

/// Poseidon over any number of elements, chained in chunks as the module
/// documentation describes: the first hash takes up to 15 elements, each
/// next one the running hash and up to 14 more.
pub(crate) fn chained_poseidon(elements: &[Fr]) -> Fr {
    let (first, rest) = elements.split_at(elements.len().min(MAX_INPUTS));
    let hash = |inputs: &[Fr]| poseidon_hash(inputs).expect("chunks of 1 to 15 elements");
    rest.chunks(MAX_INPUTS - 1)
        .fold(hash(first), |running, chunk| {
            let mut inputs = Vec::with_capacity(MAX_INPUTS);
            inputs.push(running);
            inputs.extend_from_slice(chunk);
            hash(&inputs)
        })
}
