//! The LeanIMT root computation as an R1CS gadget.
//!
//! # Convention
//!
//! A circuit has a fixed maximum depth `D`. The witness is a
//! [`CircuitPath`]: `D` siblings, `D` path bits and the proof's depth
//! `d ≤ D`. At each level `i`, the gadget hashes the running node with
//! `siblings[i]` (the node on the right when `path_bits[i]` is set); at levels
//! `i < d` the result becomes the next node, at levels `i ≥ d` the node is
//! carried up unchanged. The gadget allocates one "level in use" boolean per
//! level and enforces that they are `d` ones followed by zeros (so
//! `d ≤ D`). This matches the proofs of `@zk-kit/lean-imt`, which omit the
//! levels where a lone left child is carried up, and Semaphore v4's
//! `BinaryMerkleRoot`.
//!
//! # Soundness
//!
//! The depth and the path are private and need no constraint tying them to
//! the tree's size: a root equal to the public root binds the path. Poseidon
//! is collision resistant, and a LeanIMT root of two or more leaves is a
//! Poseidon node; so, descending from the root, every hash the prover
//! computed must have the same inputs as a node of the actual tree (carried
//! nodes equal the node below them, so skipping them changes nothing). A
//! prover can therefore neither skip a level that has a sibling (the next
//! hash would have different inputs) nor invent one. What the public root
//! alone does not rule out is a *shorter* path whose "leaf" is an internal
//! node or a leaf's preimage element, a value of the tree that is not a
//! leaf. Statements must therefore derive the leaf in-circuit from a witness
//! that no such value has: a Semaphore leaf is `Poseidon(public key)` with the
//! public key computed from the secret, and no one knows a discrete
//! logarithm for a pair of tree nodes.
//!
//! # Cost
//!
//! Per level: the Poseidon hash (240), the left/right swap (1), the carry
//! select (1), the level-in-use boolean (1) and its ordering with the level
//! below (1, none for level 0); plus one constraint tying the levels in use to
//! the depth, and one per path bit when allocating a [`CircuitPathVar`]. At
//! maximum depth 20 that is 4,880 for the root and 4,900 with the path.

use ark_ff::PrimeField;
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::SynthesisError;

use super::CircuitPath;
use crate::Fr;
use crate::constraints::alloc_var;
use crate::poseidon::constraints::poseidon_hash_var;

/// A [`CircuitPath`] in the constraint system.
#[derive(Clone, Debug)]
pub struct CircuitPathVar {
    /// One sibling per level.
    pub siblings: Vec<FpVar<Fr>>,
    /// One bit per level: whether the running node is the right child.
    pub path_bits: Vec<Boolean<Fr>>,
    /// The number of levels that hash.
    pub depth: FpVar<Fr>,
}

impl CircuitPathVar {
    /// The root from `leaf` along this path; see [`lean_imt_root_var`].
    ///
    /// # Errors
    ///
    /// As [`lean_imt_root_var`].
    pub fn root(&self, leaf: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
        lean_imt_root_var(leaf, &self.siblings, &self.path_bits, &self.depth)
    }
}

alloc_var!(
    /// Allocates the siblings, the path bits (booleanity enforced) and the
    /// depth. The path's shape fixes the circuit's; for key generation pass
    /// [`CircuitPath::zeroed`].
    CircuitPathVar,
    |cs, path: &CircuitPath, mode| {
        let siblings = Vec::new_variable(cs.clone(), || Ok(path.siblings.as_slice()), mode)?;
        let path_bits = Vec::new_variable(cs.clone(), || Ok(path.path_bits.as_slice()), mode)?;
        let depth = FpVar::new_variable(cs, || Ok(Fr::from(path.depth as u64)), mode)?;
        Ok(Self {
            siblings,
            path_bits,
            depth,
        })
    }
);

/// The LeanIMT root from `leaf` along a path padded to a fixed maximum depth
/// (the module documentation gives the convention and why it is sound).
///
/// Levels `i < depth` hash the running node with `siblings[i]`, with the node
/// on the right when `path_bits[i]` is set; the levels above carry the node
/// up. The maximum depth is `siblings.len()`; `depth` must be at most that,
/// or the constraint system is unsatisfiable. Equals
/// [`CircuitPath::compute_root`].
///
/// # Errors
///
/// [`SynthesisError::ArityMismatch`] if `siblings` and `path_bits` differ in
/// length; otherwise whatever synthesis reports.
pub fn lean_imt_root_var(
    leaf: &FpVar<Fr>,
    siblings: &[FpVar<Fr>],
    path_bits: &[Boolean<Fr>],
    depth: &FpVar<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
    if siblings.len() != path_bits.len() {
        return Err(SynthesisError::ArityMismatch);
    }
    let levels_in_use = levels_in_use(depth, siblings.len())?;
    let mut node = leaf.clone();
    for ((sibling, node_is_right), in_use) in siblings.iter().zip(path_bits).zip(&levels_in_use) {
        let parent = hash_with_sibling(&node, sibling, node_is_right)?;
        node = in_use.select(&parent, &node)?;
    }
    Ok(node)
}

/// `Poseidon(sibling, node)` if the node is the right child, else
/// `Poseidon(node, sibling)`: one constraint for the swap.
fn hash_with_sibling(
    node: &FpVar<Fr>,
    sibling: &FpVar<Fr>,
    node_is_right: &Boolean<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
    let left = node_is_right.select(sibling, node)?;
    let right = node + sibling - &left;
    poseidon_hash_var(&[left, right])
}

/// `max_depth` booleans, the first `depth` of them true: enforced to be
/// ones then zeros and to add up to `depth`.
fn levels_in_use(depth: &FpVar<Fr>, max_depth: usize) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    let mode = if depth.is_constant() {
        AllocationMode::Constant
    } else {
        AllocationMode::Witness
    };
    let depth_value = depth.value().map(|value| value.into_bigint());
    let levels_in_use = (0..max_depth)
        .map(|level| {
            let level = <Fr as PrimeField>::BigInt::from(level as u64);
            Boolean::new_variable(depth.cs(), || depth_value.map(|d| level < d), mode)
        })
        .collect::<Result<Vec<_>, _>>()?;
    for pair in levels_in_use.windows(2) {
        // A level is in use only if the one below it is.
        pair[0].conditional_enforce_equal(&Boolean::TRUE, &pair[1])?;
    }
    let count: FpVar<Fr> = levels_in_use
        .iter()
        .map(|in_use| FpVar::from(in_use.clone()))
        .sum();
    count.enforce_equal(depth)?;
    Ok(levels_in_use)
}
