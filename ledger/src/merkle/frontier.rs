//! The right edge of a tree, in tiles: what a log keeps in memory.
//!
//! Cut the tree into *tiers* of [`TILE_HEIGHT`] levels, as C2SP
//! `tlog-tiles` does: tier `t` is the row of hashes at tree level `8·t`
//! (tier 0 the leaf hashes), and each row is cut into tiles of 256 hashes.
//! A complete tile never changes again, so it can be written once to the
//! store and forgotten. Only the last, incomplete tile of each tier — its
//! *tail*, at most 255 hashes — changes as leaves are appended.
//!
//! [`Frontier`] holds just those tails: at most `255 · 8` hashes a tier
//! with their inner levels, a few hundred kilobytes for any size up to
//! `2^64`. That is enough to append (every completed tile hands one new
//! hash up to the next tier, a [`TreeNode`] to store) and to compute the
//! root: every complete subtree the root folds from lies in a tail.
//! Subtrees further left are in complete tiles, which the caller reads from
//! where it stored them.

use super::{Hash, MemoryTree, ProofError, SubtreeHashes};

/// Tree levels per tier (and per C2SP tile): a tile holds `2^8` hashes.
pub const TILE_HEIGHT: u32 = 8;

/// Hashes per complete tile.
const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;

/// A hash of tier `tier` ≥ 1 that a completed tile handed up: the hash of
/// the complete subtree over leaves `[index·256^tier, (index+1)·256^tier)`.
/// Tier 0 (the leaf hashes) is stored with the entries and never appears.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeNode {
    /// The tier (tree level `8·tier`), at least 1.
    pub tier: u8,
    /// Position in the tier's row, from 0.
    pub index: u64,
    /// The subtree hash.
    pub hash: Hash,
}

/// Why a frontier could not be assembled or could not answer.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrontierError {
    /// A tail read from storage has the wrong number of hashes.
    #[error(
        "tier {tier} of a tree of size {size} needs a tail of {expected} hashes, found {found}"
    )]
    WrongTail {
        /// The tier.
        tier: u8,
        /// The tree size the tail was read for.
        size: u64,
        /// The hashes the tail must have.
        expected: u64,
        /// The hashes found.
        found: usize,
    },
    /// Tails were given for the wrong number of tiers.
    #[error("a tree of size {size} has {expected} tiers, but {found} tails were given")]
    WrongTierCount {
        /// The tree size.
        size: u64,
        /// Its number of tiers.
        expected: u8,
        /// The tails given.
        found: usize,
    },
    /// The subtree lies in a complete tile, which the frontier does not hold.
    #[error("the subtree at level {level}, index {index} is in a complete tile, not in memory")]
    InCompleteTile {
        /// The subtree's tree level.
        level: u32,
        /// Its index in that level.
        index: u64,
    },
    /// A size or index outside the tree.
    #[error(transparent)]
    Proof(#[from] ProofError),
}

/// The tails of every tier of a tree: see the module documentation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// `tails[t]`: the hashes of tier `t` from the start of its last tile,
    /// positions [`tail_range(size, t)`](Self::tail_range), as a tree (so
    /// the tile's inner levels are at hand). One per tier whose row is not
    /// empty; a tail is empty when its row ends on a tile boundary.
    tails: Vec<MemoryTree>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of tiers with at least one hash in a tree of `size`
    /// leaves: the tails [`from_tails`](Self::from_tails) wants.
    pub fn tiers(size: u64) -> u8 {
        let mut tiers = 0;
        while size
            .checked_shr(TILE_HEIGHT * u32::from(tiers))
            .unwrap_or(0)
            > 0
        {
            tiers += 1;
        }
        tiers
    }

    /// The positions of tier `tier`'s row that its tail holds in a tree of
    /// `size` leaves: from the start of the last tile to the row's end.
    pub fn tail_range(size: u64, tier: u8) -> std::ops::Range<u64> {
        let row_len = size.checked_shr(TILE_HEIGHT * u32::from(tier)).unwrap_or(0);
        (row_len & !(TILE_WIDTH - 1))..row_len
    }

    /// Assembles the frontier of a tree of `size` leaves from its tails,
    /// tier 0 first, one for each of the [`tiers`](Self::tiers) (as read
    /// from storage: each must span its [`tail_range`](Self::tail_range)).
    pub fn from_tails(size: u64, tails: Vec<Vec<Hash>>) -> Result<Self, FrontierError> {
        let tiers = Self::tiers(size);
        if tails.len() != usize::from(tiers) {
            return Err(FrontierError::WrongTierCount {
                size,
                expected: tiers,
                found: tails.len(),
            });
        }
        let tails = (0..tiers)
            .zip(tails)
            .map(|(tier, tail)| {
                let range = Self::tail_range(size, tier);
                let expected = range.end - range.start;
                if tail.len() as u64 != expected {
                    return Err(FrontierError::WrongTail {
                        tier,
                        size,
                        expected,
                        found: tail.len(),
                    });
                }
                Ok(tail.into_iter().collect())
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { size, tails })
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The hashes of tier `tier`'s tail, positions
    /// [`tail_range(size, tier)`](Self::tail_range).
    pub fn tail(&self, tier: u8) -> &[Hash] {
        self.tails
            .get(usize::from(tier))
            .map_or(&[], |tail| tail.level_hashes(0))
    }

    /// Appends one leaf hash; every tile it completes hands one hash up to
    /// the next tier, which is pushed onto `completed` for the caller to store.
    pub fn push(&mut self, leaf_hash: Hash, completed: &mut Vec<TreeNode>) {
        self.size += 1;
        let mut carry = leaf_hash;
        let mut tier = 0;
        loop {
            if self.tails.len() == usize::from(tier) {
                self.tails.push(MemoryTree::new());
            }
            let tail = &mut self.tails[usize::from(tier)];
            tail.push(carry);
            if tail.size() < TILE_WIDTH {
                return;
            }
            carry = tail.root();
            *tail = MemoryTree::new();
            tier += 1;
            let row_len = self.size >> (TILE_HEIGHT * u32::from(tier));
            completed.push(TreeNode {
                tier,
                index: row_len - 1,
                hash: carry,
            });
        }
    }

    /// The root at the current size.
    pub fn root(&self) -> Hash {
        self.root_at(self.size)
            .expect("every subtree of the current root lies in a tail")
    }

    /// The hash of the complete subtree over leaves
    /// `[index·2^level, (index+1)·2^level)` if it lies in a tail; `None` if
    /// it lies in a complete tile, or outside the tree.
    pub fn subtree(&self, level: u32, index: u64) -> Option<Hash> {
        match self.place(level, index)? {
            Placement::Tail(hash) => Some(hash),
            Placement::CompleteTile { .. } => None,
        }
    }

    /// Where the complete subtree over leaves
    /// `[index·2^level, (index+1)·2^level)` is: in a tail (its hash), or in
    /// a complete tile the caller reads from storage; `None` outside the tree.
    pub fn place(&self, level: u32, index: u64) -> Option<Placement> {
        let end = index
            .checked_add(1)?
            .checked_mul(1u64.checked_shl(level)?)?;
        if end > self.size {
            return None;
        }
        let tier = u8::try_from(level / TILE_HEIGHT).ok()?;
        let height = level % TILE_HEIGHT;
        let tail_start = Self::tail_range(self.size, tier).start;
        let row_first = index << height;
        if row_first < tail_start {
            let tile = row_first / TILE_WIDTH;
            return Some(Placement::CompleteTile {
                tier,
                tile,
                height,
                in_tile: (row_first - tile * TILE_WIDTH) >> height,
            });
        }
        let tail = self.tails.get(usize::from(tier))?;
        tail.complete_subtree(height, (row_first - tail_start) >> height)
            .map(Placement::Tail)
    }
}

/// Where a complete subtree of the tree is ([`Frontier::place`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// In a tail: its hash.
    Tail(Hash),
    /// In complete tile `tile` of tier `tier`, as the subtree at `height`
    /// levels above the tile's hashes, `in_tile`-th from the left.
    CompleteTile {
        /// The tier.
        tier: u8,
        /// The tile's index in the tier's row.
        tile: u64,
        /// The subtree's height inside the tile (0 to 7).
        height: u32,
        /// Its index among the tile's subtrees of that height.
        in_tile: u64,
    },
}

/// The frontier answers for subtrees in its tails only: enough for the
/// root at the current size, and for recent leaves' proofs.
impl SubtreeHashes for Frontier {
    type Error = FrontierError;

    fn size(&self) -> u64 {
        self.size
    }

    fn subtree_hash(&self, level: u32, index: u64) -> Result<Hash, FrontierError> {
        self.subtree(level, index)
            .ok_or(FrontierError::InCompleteTile { level, index })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::leaf_hash;

    fn leaves(n: u64) -> impl Iterator<Item = Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes()))
    }

    /// The frontier's root and hand-ups agree with the full tree at every
    /// size across tile and tier boundaries, and the tails it reports
    /// reassemble into the same frontier.
    #[test]
    fn agrees_with_the_memory_tree_and_reassembles_from_its_tails() {
        let mut frontier = Frontier::new();
        let mut full = MemoryTree::new();
        let mut completed = Vec::new();
        for (i, leaf) in leaves(70_000).enumerate() {
            frontier.push(leaf, &mut completed);
            full.push(leaf);
            let size = i as u64 + 1;
            if size < 600 || size.is_multiple_of(4_099) || size % 65_536 <= 1 {
                assert_eq!(frontier.root(), full.root(), "root at size {size}");
                let tails = (0..Frontier::tiers(size))
                    .map(|tier| frontier.tail(tier).to_vec())
                    .collect();
                assert_eq!(Frontier::from_tails(size, tails), Ok(frontier.clone()));
            }
        }
        // Every hand-up is the subtree hash the full tree holds there.
        assert_eq!(completed.len(), 70_000 / 256 + 1);
        for node in &completed {
            let level = TILE_HEIGHT * u32::from(node.tier);
            assert_eq!(full.complete_subtree(level, node.index), Some(node.hash));
        }
        let tier_two: Vec<_> = completed.iter().filter(|n| n.tier == 2).collect();
        assert_eq!(tier_two.len(), 1);
        assert_eq!(tier_two[0].index, 0);
    }

    /// Subtrees in a complete tile are not answered from memory, those in
    /// a tail are, and a tail of the wrong length is refused.
    #[test]
    fn answers_only_for_its_tails() {
        let frontier = {
            let mut f = Frontier::new();
            leaves(1_000).for_each(|leaf| f.push(leaf, &mut Vec::new()));
            f
        };
        let full: MemoryTree = leaves(1_000).collect();
        // Leaves 768..1000 are in tier 0's tail; 0..768 in complete tiles.
        assert_eq!(frontier.subtree(0, 999), full.complete_subtree(0, 999));
        assert_eq!(frontier.subtree(0, 768), full.complete_subtree(0, 768));
        assert_eq!(frontier.subtree(0, 767), None);
        assert_eq!(frontier.subtree(3, 121), full.complete_subtree(3, 121));
        assert_eq!(frontier.subtree(0, 1_000), None);
        // Tier 1 holds the three complete tiles' hashes.
        assert_eq!(frontier.subtree(8, 2), full.complete_subtree(8, 2));
        assert_eq!(frontier.subtree(9, 0), full.complete_subtree(9, 0));
        assert!(matches!(
            frontier.inclusion_proof(5, 1_000),
            Err(FrontierError::InCompleteTile { .. })
        ));
        assert_eq!(
            frontier.inclusion_proof(990, 1_000),
            Ok(full.inclusion_proof(990, 1_000).expect("proof"))
        );
        let short = vec![frontier.tail(0)[1..].to_vec(), frontier.tail(1).to_vec()];
        assert!(matches!(
            Frontier::from_tails(1_000, short),
            Err(FrontierError::WrongTail { tier: 0, .. })
        ));
        assert!(Frontier::from_tails(1_000, vec![frontier.tail(0).to_vec()]).is_err());
    }
}
