//! Roots and proofs of the RFC 6962 tree from its complete subtrees.
//!
//! Every subtree the recursive definition of RFC 6962 §2.1 visits splits
//! into at most `log2(n)` *complete* subtrees (`2^k` leaves starting at a
//! multiple of `2^k`), whose hashes never change once the tree holds them.
//! So a tree that can give the hash of any complete subtree — from memory
//! ([`MemoryTree`](super::MemoryTree)) or from stored tiles (the sequencer's
//! tree) — has roots, inclusion proofs and consistency proofs for every
//! past size at `O(log n)` look-ups, written here once.

use super::{EMPTY_ROOT, Hash, ProofError, node_hash};

/// A tree that can give the hash of every complete subtree inside its size.
/// Its roots and proofs come with it.
pub trait SubtreeHashes {
    /// Why a subtree hash could not be read (a tree held in memory never
    /// fails; a stored one may meet a storage error).
    type Error: From<ProofError>;

    /// The number of leaves.
    fn size(&self) -> u64;

    /// The hash of the complete subtree over leaves
    /// `[index·2^level, (index+1)·2^level)`. Callers only ask for subtrees
    /// inside [`size`](Self::size).
    fn subtree_hash(&self, level: u32, index: u64) -> Result<Hash, Self::Error>;

    /// The root the tree had when it held its first `size` leaves
    /// ([`EMPTY_ROOT`] for size 0).
    fn root_at(&self, size: u64) -> Result<Hash, Self::Error> {
        check_size(self.size(), size)?;
        range_hash(self, 0, size)
    }

    /// The inclusion proof of leaf `index` in the tree of the first `size`
    /// leaves: `PATH(index, D[0:size])` of RFC 6962 §2.1.1 (RFC 9162
    /// §2.1.3.1), ordered from the leaf's sibling up to the root's child.
    fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, Self::Error> {
        check_size(self.size(), size)?;
        if index >= size {
            return Err(ProofError::IndexOutOfRange { index, size }.into());
        }
        // Walk down from the root, recording the sibling of each subtree that
        // contains the leaf; the proof lists them bottom-up.
        let mut proof = Vec::new();
        let (mut start, mut end) = (0, size);
        while end - start > 1 {
            let split = start + largest_power_of_two_below(end - start);
            if index < split {
                proof.push(range_hash(self, split, end)?);
                end = split;
            } else {
                proof.push(range_hash(self, start, split)?);
                start = split;
            }
        }
        proof.reverse();
        Ok(proof)
    }

    /// The consistency proof between the trees of the first `old_size` and
    /// the first `new_size` leaves: `PROOF(old_size, D[0:new_size])` of RFC
    /// 6962 §2.1.2 (RFC 9162 §2.1.4.1). Empty when `old_size` is 0 or equals
    /// `new_size`.
    fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, Self::Error> {
        check_size(self.size(), new_size)?;
        if old_size > new_size {
            return Err(ProofError::OldSizeGreater {
                old: old_size,
                new: new_size,
            }
            .into());
        }
        if old_size == 0 || old_size == new_size {
            return Ok(Vec::new());
        }
        // SUBPROOF(m, D[start:end], b), unrolled: walk down while the old tree
        // still ends inside the current subtree, recording the sibling
        // subtrees; the proof lists them bottom-up.
        let mut proof = Vec::new();
        let (mut start, mut end) = (0, new_size);
        let mut old_tree_is_left_edge = true;
        while old_size != end {
            let split = start + largest_power_of_two_below(end - start);
            if old_size <= split {
                proof.push(range_hash(self, split, end)?);
                end = split;
            } else {
                proof.push(range_hash(self, start, split)?);
                start = split;
                old_tree_is_left_edge = false;
            }
        }
        // Here `[start, end)` is the complete subtree the old tree ends with.
        // When it is the whole old tree, the verifier already knows its hash.
        if !old_tree_is_left_edge {
            proof.push(range_hash(self, start, end)?);
        }
        proof.reverse();
        Ok(proof)
    }
}

/// Fails unless a tree of `tree_size` leaves has at least `size` leaves.
fn check_size(tree_size: u64, size: u64) -> Result<(), ProofError> {
    if size > tree_size {
        return Err(ProofError::SizeOutOfRange { size, tree_size });
    }
    Ok(())
}

/// `MTH(D[start:end])` for a subtree of the RFC 6962 tree, i.e. a range
/// whose `start` is a multiple of the largest power of two not above its
/// length (every range the recursive definition visits is one).
///
/// The range splits into complete subtrees of strictly decreasing size,
/// one per set bit of its length; their hashes fold from the right, so
/// the walk goes from the lowest bit (the rightmost subtree) up.
fn range_hash<T: SubtreeHashes + ?Sized>(tree: &T, start: u64, end: u64) -> Result<Hash, T::Error> {
    debug_assert!(start <= end && end <= tree.size());
    let len = end - start;
    let mut remaining_bits = len;
    let mut folded: Option<Hash> = None;
    while remaining_bits != 0 {
        let level = remaining_bits.trailing_zeros();
        remaining_bits &= remaining_bits - 1;
        // Larger subtrees, one per higher bit of `len`, come first.
        let bits_up_to_level = u64::MAX >> (u64::BITS - 1 - level);
        let offset = start + (len & !bits_up_to_level);
        debug_assert_eq!(offset % (1 << level), 0, "subtree is not aligned");
        let subtree = tree.subtree_hash(level, offset >> level)?;
        folded = Some(match folded {
            Some(right) => node_hash(&subtree, &right),
            None => subtree,
        });
    }
    Ok(folded.unwrap_or(EMPTY_ROOT))
}

/// The largest power of two strictly below `n`; `n` must be at least 2.
pub(super) fn largest_power_of_two_below(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (u64::BITS - 1 - (n - 1).leading_zeros())
}
