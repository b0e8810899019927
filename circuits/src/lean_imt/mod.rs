//! The Lean Incremental Merkle Tree of Semaphore v4 (`@zk-kit/lean-imt`).
//!
//! A binary tree over Poseidon: a node is `Poseidon(left, right)`, and a left
//! child without a right sibling is carried up to the next level unchanged,
//! with no hashing. The depth is `⌈log₂(size)⌉` and grows as leaves are
//! added, so equal leaves give the same root as every other LeanIMT
//! implementation. An empty tree has no root ([`LeanImt::root`] is `None`);
//! a one-leaf tree's root is the leaf.
//!
//! [`LeanImt::generate_proof`] returns proofs as `@zk-kit/lean-imt` does:
//! siblings only at the levels where one exists, and an `index` whose bit `j`
//! (least significant first) is 1 when the path is the right child at the
//! `j`-th included sibling. Levels without a sibling leave the node
//! unchanged, so such a proof is a plain Merkle path of `siblings.len()`
//! hashes.
//!
//! For circuits, which have a fixed shape, [`MerkleProof::to_circuit_path`]
//! pads a proof to a maximum depth; see `constraints` (with the `r1cs`
//! feature) for the gadget.

#[cfg(feature = "r1cs")]
pub mod constraints;

use ark_ff::AdditiveGroup;

use crate::poseidon::poseidon_hash_pair;
use crate::{CircuitError, Fr, Result};

/// A LeanIMT, holding every node level by level.
///
/// Insertion costs one hash per level, `insert_many` one per changed node,
/// and memory is about two field elements per leaf, so a million leaves fit
/// in about 64 MiB.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeanImt {
    /// `levels[0]` holds the leaves, `levels[depth]` the root (when there is
    /// a leaf). Always at least one level.
    levels: Vec<Vec<Fr>>,
}

/// A proof of membership, as `@zk-kit/lean-imt`'s `generateProof` makes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerkleProof {
    /// The tree's root.
    pub root: Fr,
    /// The leaf proved to be in the tree.
    pub leaf: Fr,
    /// The path: bit `j` (least significant first) is 1 when the node is the
    /// right child at the `j`-th sibling. This is the leaf's position in the
    /// tree only when every level has a sibling.
    pub index: usize,
    /// The siblings, from the leaf's level up, only at levels where one
    /// exists.
    pub siblings: Vec<Fr>,
}

/// A Merkle proof padded to a circuit's fixed maximum depth.
///
/// Levels `0..depth` hash the running node with `siblings[level]` (the
/// sibling on the left when `path_bits[level]` is set); levels from `depth` on carry the node
/// up unchanged. Padding levels have a zero sibling and a clear bit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CircuitPath {
    /// One sibling per level, `max_depth` in all.
    pub siblings: Vec<Fr>,
    /// One bit per level: whether the running node is the right child.
    pub path_bits: Vec<bool>,
    /// The number of levels that hash (the proof's number of siblings).
    pub depth: usize,
}

impl LeanImt {
    /// An empty tree.
    pub fn new() -> Self {
        Self {
            levels: vec![Vec::new()],
        }
    }

    /// A tree holding `leaves`, built level by level.
    pub fn from_leaves(leaves: &[Fr]) -> Self {
        let mut tree = Self::new();
        tree.insert_many(leaves);
        tree
    }

    /// The root, or `None` for an empty tree.
    pub fn root(&self) -> Option<Fr> {
        self.levels.last()?.first().copied()
    }

    /// The number of hashing levels, `⌈log₂(size)⌉` (0 for at most one leaf).
    pub fn depth(&self) -> usize {
        self.levels.len() - 1
    }

    /// The number of leaves.
    pub fn size(&self) -> usize {
        self.levels[0].len()
    }

    /// Whether the tree has no leaf.
    pub fn is_empty(&self) -> bool {
        self.size() == 0
    }

    /// The leaves, in insertion order.
    pub fn leaves(&self) -> &[Fr] {
        &self.levels[0]
    }

    /// Appends one leaf.
    pub fn insert(&mut self, leaf: Fr) {
        self.insert_many(&[leaf]);
    }

    /// Appends `leaves` in order, hashing each changed node once.
    pub fn insert_many(&mut self, leaves: &[Fr]) {
        if leaves.is_empty() {
            return;
        }
        let mut first_changed = self.size();
        self.levels[0].extend_from_slice(leaves);
        let depth = depth_for_size(self.size());
        self.levels.resize_with(depth + 1, Vec::new);
        for level in 0..depth {
            let first_parent = first_changed / 2;
            let parent_count = self.levels[level].len().div_ceil(2);
            let parents: Vec<Fr> = (first_parent..parent_count)
                .map(|parent| self.parent_value(level, parent))
                .collect();
            let above = &mut self.levels[level + 1];
            debug_assert!(first_parent <= above.len());
            above.truncate(first_parent);
            above.extend(parents);
            first_changed = first_parent;
        }
    }

    /// Replaces the leaf at `index` (revocation replaces it with zero).
    ///
    /// # Errors
    ///
    /// [`CircuitError::LeafIndexOutOfRange`] if there is no leaf at `index`.
    pub fn update(&mut self, index: usize, leaf: Fr) -> Result<()> {
        let size = self.size();
        let slot = self.levels[0]
            .get_mut(index)
            .ok_or(CircuitError::LeafIndexOutOfRange { index, size })?;
        *slot = leaf;
        let mut node = index;
        for level in 0..self.depth() {
            node /= 2;
            self.levels[level + 1][node] = self.parent_value(level, node);
        }
        Ok(())
    }

    /// Revokes the leaf at `index` by setting it to zero.
    ///
    /// # Errors
    ///
    /// [`CircuitError::LeafIndexOutOfRange`] if there is no leaf at `index`.
    pub fn revoke(&mut self, index: usize) -> Result<()> {
        self.update(index, Fr::ZERO)
    }

    /// The proof that the leaf at `index` is in the tree, exactly as
    /// `@zk-kit/lean-imt`'s `generateProof` makes it.
    ///
    /// # Errors
    ///
    /// [`CircuitError::LeafIndexOutOfRange`] if there is no leaf at `index`.
    pub fn generate_proof(&self, index: usize) -> Result<MerkleProof> {
        let out_of_range = CircuitError::LeafIndexOutOfRange {
            index,
            size: self.size(),
        };
        let leaf = *self.leaves().get(index).ok_or(out_of_range)?;
        let mut siblings = Vec::with_capacity(self.depth());
        let mut path = 0;
        let mut node = index;
        for level in &self.levels[..self.depth()] {
            if let Some(sibling) = level.get(node ^ 1) {
                path |= (node & 1) << siblings.len();
                siblings.push(*sibling);
            }
            node /= 2;
        }
        let root = self.root().expect("a tree with a leaf has a root");
        Ok(MerkleProof {
            root,
            leaf,
            index: path,
            siblings,
        })
    }

    /// Checks that `proof` leads from its leaf to its root (the root is not
    /// compared with any tree: check it against the accepted roots).
    ///
    /// # Errors
    ///
    /// As [`MerkleProof::verify`].
    pub fn verify_proof(proof: &MerkleProof) -> Result<()> {
        proof.verify()
    }

    /// The node above children `2·parent` and `2·parent + 1` of `level`.
    fn parent_value(&self, level: usize, parent: usize) -> Fr {
        let children = &self.levels[level];
        let left = children[2 * parent];
        match children.get(2 * parent + 1) {
            Some(right) => poseidon_hash_pair(left, *right),
            None => left,
        }
    }
}

impl Default for LeanImt {
    fn default() -> Self {
        Self::new()
    }
}

/// `⌈log₂(size)⌉`, and 0 for an empty tree.
fn depth_for_size(size: usize) -> usize {
    size.next_power_of_two().trailing_zeros() as usize
}

impl MerkleProof {
    /// The root this proof leads to from its leaf.
    ///
    /// # Errors
    ///
    /// [`CircuitError::MalformedMerkleProof`] if `index` has bits beyond the
    /// siblings.
    pub fn compute_root(&self) -> Result<Fr> {
        if !self.index_fits_siblings() {
            return Err(CircuitError::MalformedMerkleProof);
        }
        let root = self
            .siblings
            .iter()
            .enumerate()
            .fold(self.leaf, |node, (level, sibling)| {
                hash_with_sibling(node, *sibling, (self.index >> level) & 1 == 1)
            });
        Ok(root)
    }

    /// Checks that the proof leads from its leaf to its root.
    ///
    /// # Errors
    ///
    /// [`CircuitError::MalformedMerkleProof`] for an index that does not fit
    /// the siblings, [`CircuitError::MerkleRootMismatch`] when the path leads
    /// elsewhere.
    pub fn verify(&self) -> Result<()> {
        if self.compute_root()? == self.root {
            Ok(())
        } else {
            Err(CircuitError::MerkleRootMismatch)
        }
    }

    /// The proof padded to a circuit's `max_depth`.
    ///
    /// # Errors
    ///
    /// [`CircuitError::MerkleProofTooDeep`] if the proof has more than
    /// `max_depth` siblings, [`CircuitError::MalformedMerkleProof`] if its
    /// index does not fit its siblings.
    pub fn to_circuit_path(&self, max_depth: usize) -> Result<CircuitPath> {
        let depth = self.siblings.len();
        if depth > max_depth {
            return Err(CircuitError::MerkleProofTooDeep { depth, max_depth });
        }
        if !self.index_fits_siblings() {
            return Err(CircuitError::MalformedMerkleProof);
        }
        let mut siblings = self.siblings.clone();
        siblings.resize(max_depth, Fr::ZERO);
        let path_bits = (0..max_depth)
            .map(|level| level < depth && (self.index >> level) & 1 == 1)
            .collect();
        Ok(CircuitPath {
            siblings,
            path_bits,
            depth,
        })
    }
}

impl MerkleProof {
    /// Whether `index` has no bit set beyond the siblings (which also bounds
    /// their number by the bits of `usize`).
    fn index_fits_siblings(&self) -> bool {
        match u32::try_from(self.siblings.len()) {
            Ok(len) if len < usize::BITS => self.index >> len == 0,
            Ok(len) => len == usize::BITS,
            Err(_) => false,
        }
    }
}

impl CircuitPath {
    /// An all-zero path of `max_depth` levels and depth 0: a placeholder
    /// witness of the right shape for key generation.
    pub fn zeroed(max_depth: usize) -> Self {
        Self {
            siblings: vec![Fr::ZERO; max_depth],
            path_bits: vec![false; max_depth],
            depth: 0,
        }
    }

    /// The circuit's maximum depth: the number of levels.
    pub fn max_depth(&self) -> usize {
        self.siblings.len()
    }

    /// The root from `leaf` along this path, computed as the gadget does.
    pub fn compute_root(&self, leaf: Fr) -> Fr {
        self.siblings
            .iter()
            .zip(&self.path_bits)
            .take(self.depth)
            .fold(leaf, |node, (sibling, is_right)| {
                hash_with_sibling(node, *sibling, *is_right)
            })
    }
}

/// `Poseidon(sibling, node)` if the node is the right child, else
/// `Poseidon(node, sibling)`.
fn hash_with_sibling(node: Fr, sibling: Fr, node_is_right: bool) -> Fr {
    if node_is_right {
        poseidon_hash_pair(sibling, node)
    } else {
        poseidon_hash_pair(node, sibling)
    }
}
