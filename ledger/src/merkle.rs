//! RFC 6962 / RFC 9162 Merkle tree over SHA-256.
//!
//! * [`leaf_hash`], [`node_hash`] and [`EMPTY_ROOT`]: the hashing rules of
//!   RFC 6962 §2.1 (`H(0x00 ‖ d)` for leaves, `H(0x01 ‖ l ‖ r)` for nodes);
//! * [`SubtreeHashes`]: roots, inclusion and consistency proofs for any
//!   past size from the hashes of `O(log n)` complete subtrees, for any tree
//!   that can give those hashes — in memory or read from a store;
//! * [`MemoryTree`]: an append-only tree that keeps every complete subtree
//!   hash in memory (64 bytes a leaf);
//! * [`Frontier`]: the right edge of a tree in tiles of 256 hashes — all a
//!   log needs in memory to append and sign, whatever its size, when the
//!   complete tiles are stored (the sequencer's tree);
//! * [`verify_inclusion`] and [`verify_consistency`]: the verification
//!   algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2, step for step;
//! * [`root_from_leaves`]: the recursive definition of the tree hash, kept as
//!   a reference for tests.
//!
//! Everything here is pure (no I/O, no allocation beyond proofs and the tree
//! itself) and builds for `wasm32`.

use sha2::{Digest, Sha256};

mod frontier;
mod subtrees;

pub use frontier::{Frontier, FrontierError, Placement, TILE_HEIGHT, TreeNode};
pub use subtrees::SubtreeHashes;
use subtrees::largest_power_of_two_below;

/// A SHA-256 digest: leaf, node or root hash.
pub type Hash = [u8; 32];

/// Domain-separation prefix of leaf hashes (RFC 6962 §2.1).
const LEAF_PREFIX: u8 = 0x00;

/// Domain-separation prefix of interior node hashes (RFC 6962 §2.1).
const NODE_PREFIX: u8 = 0x01;

/// The root of the empty tree: `SHA-256("")` (RFC 6962 §2.1).
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// The hash of a leaf holding `data`: `SHA-256(0x00 ‖ data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    Sha256::new()
        .chain_update([LEAF_PREFIX])
        .chain_update(data)
        .finalize()
        .into()
}

/// The hash of an interior node: `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Sha256::new()
        .chain_update([NODE_PREFIX])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// Why a proof could not be produced or did not verify.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is out of range for a tree of size {size}")]
    IndexOutOfRange {
        /// The requested leaf index.
        index: u64,
        /// The tree size the index was checked against.
        size: u64,
    },
    /// A tree size larger than the tree the request was made to.
    #[error("tree size {size} is larger than the current tree size {tree_size}")]
    SizeOutOfRange {
        /// The requested tree size.
        size: u64,
        /// The size of the tree that was asked.
        tree_size: u64,
    },
    /// A consistency proof was asked for an old tree larger than the new one.
    #[error("old tree size {old} is greater than new tree size {new}")]
    OldSizeGreater {
        /// The claimed old tree size.
        old: u64,
        /// The claimed new tree size.
        new: u64,
    },
    /// The proof does not have the number of hashes its sizes call for.
    #[error("proof has {got} hashes, but these sizes call for {expected}")]
    WrongProofLength {
        /// The number of hashes the sizes call for.
        expected: usize,
        /// The number of hashes in the proof.
        got: usize,
    },
    /// The proof must be empty for these sizes, but is not.
    #[error("proof must be empty for these tree sizes, but has {got} hashes")]
    UnexpectedNonEmptyProof {
        /// The number of hashes in the proof.
        got: usize,
    },
    /// The root recomputed from the proof differs from the expected root
    /// (for a consistency proof: from the new root).
    #[error("root computed from the proof does not match the expected root")]
    RootMismatch,
    /// The old root recomputed from a consistency proof differs from the
    /// claimed old root.
    #[error("old root computed from the consistency proof does not match the claimed old root")]
    OldRootMismatch,
}

/// An append-only Merkle tree held in memory.
///
/// Level `k` holds the hashes of all *complete* subtrees of `2^k` leaves, left
/// to right: level 0 holds the leaf hashes, level 1 the hashes of leaf pairs,
/// and so on. Every subtree of the RFC 6962 tree of any size up to
/// [`size`](Self::size) is either one of those complete subtrees or folds from
/// at most `log2(n)` of them, so roots and proofs never rehash leaf ranges.
/// The tree takes about two hashes (64 bytes) of memory per leaf.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryTree {
    /// `levels[k][i]` is the hash of leaves `[i·2^k, (i+1)·2^k)`.
    /// Invariant: `levels[k].len() == size >> k`, and no level is empty, so
    /// equal trees have equal representations.
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    /// Appends one leaf, given by its [`leaf_hash`].
    pub fn push(&mut self, leaf_hash: Hash) {
        // Like incrementing a binary counter: every level whose count becomes
        // even completes a subtree one level up.
        let mut carry = leaf_hash;
        for level in 0.. {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let hashes = &mut self.levels[level];
            hashes.push(carry);
            let count = hashes.len();
            if count % 2 == 1 {
                return;
            }
            carry = node_hash(&hashes[count - 2], &hashes[count - 1]);
        }
    }

    /// Appends leaves, given by their [`leaf_hash`]es, in order.
    pub fn extend<I: IntoIterator<Item = Hash>>(&mut self, leaf_hashes: I) {
        for leaf_hash in leaf_hashes {
            self.push(leaf_hash);
        }
    }

    /// Shrinks the tree to its first `size` leaves, as if the later ones had
    /// never been pushed (used to roll back a batch that failed to commit).
    /// Does nothing if `size` is not below the current size.
    pub fn truncate(&mut self, size: u64) {
        if size >= self.size() {
            return;
        }
        for (level, hashes) in self.levels.iter_mut().enumerate() {
            // `size` is below the current size, which fits in `usize`.
            hashes.truncate((size >> level) as usize);
        }
        while self.levels.last().is_some_and(Vec::is_empty) {
            self.levels.pop();
        }
    }

    /// The hash of leaf `index`, if the tree has that leaf.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.complete_subtree(0, index)
    }

    /// The hash of the complete subtree over leaves
    /// `[index·2^level, (index+1)·2^level)`, if all of them are in the tree.
    pub fn complete_subtree(&self, level: u32, index: u64) -> Option<Hash> {
        let hashes = self.levels.get(usize::try_from(level).ok()?)?;
        hashes.get(usize::try_from(index).ok()?).copied()
    }

    /// The number of complete subtrees of `2^level` leaves: `size >> level`.
    pub fn level_len(&self, level: u32) -> u64 {
        self.level_hashes(level).len() as u64
    }

    /// The hashes of all complete subtrees of `2^level` leaves, left to right
    /// (empty if the tree has no such subtree).
    pub fn level_hashes(&self, level: u32) -> &[Hash] {
        usize::try_from(level)
            .ok()
            .and_then(|level| self.levels.get(level))
            .map_or(&[], Vec::as_slice)
    }

    /// The root of the tree at its current size.
    pub fn root(&self) -> Hash {
        self.root_at(self.size())
            .expect("the current size is inside the tree")
    }

    /// The root the tree had when it held its first `size` leaves
    /// ([`EMPTY_ROOT`] for size 0).
    pub fn root_at(&self, size: u64) -> Result<Hash, ProofError> {
        SubtreeHashes::root_at(self, size)
    }

    /// The inclusion proof of leaf `index` in the tree of the first `size`
    /// leaves, see [`SubtreeHashes::inclusion_proof`].
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        SubtreeHashes::inclusion_proof(self, index, size)
    }

    /// The consistency proof between the trees of the first `old_size` and
    /// the first `new_size` leaves, see [`SubtreeHashes::consistency_proof`].
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, ProofError> {
        SubtreeHashes::consistency_proof(self, old_size, new_size)
    }
}

/// Every complete subtree is held in memory: reads never fail.
impl SubtreeHashes for MemoryTree {
    type Error = ProofError;

    fn size(&self) -> u64 {
        MemoryTree::size(self)
    }

    fn subtree_hash(&self, level: u32, index: u64) -> Result<Hash, ProofError> {
        self.complete_subtree(level, index)
            .ok_or(ProofError::SizeOutOfRange {
                size: index.saturating_add(1).saturating_mul(1 << level.min(63)),
                tree_size: MemoryTree::size(self),
            })
    }
}

impl FromIterator<Hash> for MemoryTree {
    fn from_iter<I: IntoIterator<Item = Hash>>(leaf_hashes: I) -> Self {
        let mut tree = Self::new();
        tree.extend(leaf_hashes);
        tree
    }
}

/// `MTH(D[n])` of RFC 6962 §2.1, computed from the leaf hashes by the
/// recursive definition. A reference for tests: it hashes every node.
pub fn root_from_leaves(leaf_hashes: &[Hash]) -> Hash {
    match leaf_hashes {
        [] => EMPTY_ROOT,
        [leaf] => *leaf,
        _ => {
            // `len >= 2` and a slice length fits in `u64`.
            let split = largest_power_of_two_below(leaf_hashes.len() as u64) as usize;
            let (left, right) = leaf_hashes.split_at(split);
            node_hash(&root_from_leaves(left), &root_from_leaves(right))
        }
    }
}

/// The number of hashes in the inclusion proof of leaf `index` in a tree of
/// `size` leaves (`index < size`).
fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let (inner, border) = inclusion_proof_shape(index, size);
    (inner + border) as usize
}

/// The inclusion proof of `index` in a tree of `size` leaves splits into
/// `inner` hashes below the node where the paths to `index` and to leaf
/// `size - 1` meet, and `border` hashes of left siblings above it.
fn inclusion_proof_shape(index: u64, size: u64) -> (u32, u32) {
    let inner = u64::BITS - (index ^ (size - 1)).leading_zeros();
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner, border)
}

/// The number of hashes in the consistency proof between trees of
/// `0 < old_size < new_size` leaves.
fn consistency_proof_len(old_size: u64, new_size: u64) -> usize {
    let (inner, border) = inclusion_proof_shape(old_size - 1, new_size);
    // Levels below the last complete subtree of the old tree are not proven.
    let shared_levels = old_size.trailing_zeros();
    let inner = inner.saturating_sub(shared_levels);
    // That subtree's hash leads the proof, unless it is the whole old tree.
    let seed = u32::from(!old_size.is_power_of_two());
    (seed + inner + border) as usize
}

/// Checks that `proof` shows leaf `leaf_hash` at `index` in the tree of `size`
/// leaves whose root is `root`, by the algorithm of RFC 9162 §2.1.3.2.
///
/// The proof binds the leaf and its position; the tree size is only bound
/// through `root`, which must come from a checkpoint that commits to `size`.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    // 1. The index must be inside the tree.
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let expected = inclusion_proof_len(index, size);
    let wrong_length = || ProofError::WrongProofLength {
        expected,
        got: proof.len(),
    };
    if proof.len() != expected {
        return Err(wrong_length());
    }
    // 2.–3. (`fn_` is the RFC's `fn`, a keyword in Rust.)
    let mut fn_ = index;
    let mut sn = size - 1;
    let mut r = *leaf_hash;
    // 4.
    for p in proof {
        // 4a.
        if sn == 0 {
            return Err(wrong_length());
        }
        // 4b.
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            // (Does nothing when LSB(fn) is set.)
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        // 4c.
        fn_ >>= 1;
        sn >>= 1;
    }
    // 5.
    if sn != 0 {
        return Err(wrong_length());
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks that `proof` shows the tree of `old_size` leaves with root
/// `old_root` to be a prefix of the tree of `new_size` leaves with root
/// `new_root`, by the algorithm of RFC 9162 §2.1.4.2.
///
/// Equal sizes (0 and 0 included) are consistent when the proof is empty and
/// the roots are equal. The empty tree is a prefix of every tree: for
/// `old_size == 0 < new_size` the proof must be empty and the roots are not
/// examined. As with inclusion, the sizes are only bound through the roots.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::OldSizeGreater {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == 0 || old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::UnexpectedNonEmptyProof { got: proof.len() });
        }
        if old_size == new_size && old_root != new_root {
            return Err(ProofError::RootMismatch);
        }
        return Ok(());
    }
    // 1. (An empty proof is one case of a wrong length.)
    let expected = consistency_proof_len(old_size, new_size);
    let wrong_length = || ProofError::WrongProofLength {
        expected,
        got: proof.len(),
    };
    if proof.len() != expected {
        return Err(wrong_length());
    }
    // 2. and 5.: the path starts with the hash of the last complete subtree
    // of the old tree; when that is the whole old tree, it is `old_root`.
    let (seed, rest) = if old_size.is_power_of_two() {
        (old_root, proof)
    } else {
        proof.split_first().ok_or_else(wrong_length)?
    };
    // 3. (`fn_` is the RFC's `fn`, a keyword in Rust.)
    let mut fn_ = old_size - 1;
    let mut sn = new_size - 1;
    // 4.
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // 5.
    let mut fr = *seed;
    let mut sr = *seed;
    // 6.
    for c in rest {
        // 6a.
        if sn == 0 {
            return Err(wrong_length());
        }
        // 6b.
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            // (Does nothing when LSB(fn) is set.)
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        // 6c.
        fn_ >>= 1;
        sn >>= 1;
    }
    // 7.
    if sn != 0 {
        return Err(wrong_length());
    }
    if fr != *old_root {
        return Err(ProofError::OldRootMismatch);
    }
    if sr != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
