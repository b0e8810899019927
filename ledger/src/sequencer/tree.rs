//! The log's tree in bounded memory: the [`Frontier`] in memory, every
//! complete tile in the store.
//!
//! The sequencer writes each hash a completed tile hands up (a
//! [`TreeNode`]) in the same transaction as the entries that complete it,
//! so the store always holds every complete tile: the leaf hashes (tier 0)
//! with the entries, the tiers above in `tree_nodes`. Memory holds only the
//! frontier (at most 255 hashes a tier, with their inner levels) and a
//! bounded cache of complete tiles, whatever the size of the log; opening a
//! log reads the frontier's tails, a few hundred hashes, instead of
//! rebuilding the tree.
//!
//! A [`TreeView`] answers roots and proofs at any size up to its own: a
//! subtree in a tail from memory, any other from its complete tile, read
//! once from the store and then cached (complete tiles never change).

use std::sync::{Arc, RwLock};

use quick_cache::sync::Cache;

use crate::merkle::{
    Frontier, FrontierError, Hash, MemoryTree, Placement, ProofError, SubtreeHashes, TILE_HEIGHT,
};
use crate::store::{LogRead, Store, StoreError, read_in};

/// Complete tiles kept in memory, expanded with their inner levels (about
/// 16 KiB each): 1,024 tiles is 16 MiB, enough for the upper tiers of any
/// log and the recently proven leaves.
const CACHED_TILES: usize = 1_024;

/// Hashes per complete tile.
const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;

/// Why a root, proof or tile could not be produced from the stored tree.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TreeError {
    /// The request is outside the tree (an index or size too large).
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A complete tile the tree relies on is not (wholly) in the store.
    #[error("tile {index} of tier {tier} should be complete in the store, but has {found} hashes")]
    MissingTile {
        /// The tier.
        tier: u8,
        /// The tile's index in the tier's row.
        index: u64,
        /// The hashes found.
        found: usize,
    },
}

/// The frontier of the latest committed tree and the cache of complete
/// tiles, shared by the sequencer and every view.
pub(super) struct StoredTree {
    frontier: RwLock<Arc<Frontier>>,
    tiles: Cache<(u8, u64), Arc<MemoryTree>>,
}

impl StoredTree {
    /// The tree of the empty log.
    pub(super) fn new() -> Self {
        Self {
            frontier: RwLock::new(Arc::new(Frontier::new())),
            tiles: Cache::new(CACHED_TILES),
        }
    }

    /// The frontier as of the latest commit (cheap: shared, not copied).
    pub(super) fn frontier(&self) -> Arc<Frontier> {
        Arc::clone(&self.frontier.read().expect("frontier lock poisoned"))
    }

    /// Takes `frontier` as the tree's, once what it covers is committed.
    pub(super) fn set_frontier(&self, frontier: Frontier) {
        *self.frontier.write().expect("frontier lock poisoned") = Arc::new(frontier);
    }

    /// A view of the tree as of the latest commit, reading complete tiles
    /// from `store`.
    pub(super) fn view<'a>(&'a self, store: &'a dyn Store) -> TreeView<'a> {
        TreeView {
            frontier: self.frontier(),
            tree: self,
            store,
        }
    }
}

/// Reads the frontier of the tree of `size` leaves: the tail of every tier.
pub(super) fn read_frontier(
    reader: &mut dyn LogRead,
    size: u64,
) -> Result<Result<Frontier, FrontierError>, StoreError> {
    let tails = (0..Frontier::tiers(size))
        .map(|tier| {
            let range = Frontier::tail_range(size, tier);
            reader.tree_row(tier, range.start, range.end)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Frontier::from_tails(size, tails))
}

/// The tree at one size, for roots, proofs and tiles: see the module
/// documentation. Views are cheap; take one per request.
pub struct TreeView<'a> {
    frontier: Arc<Frontier>,
    tree: &'a StoredTree,
    store: &'a dyn Store,
}

impl std::fmt::Debug for TreeView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TreeView")
            .field("size", &self.frontier.size())
            .finish_non_exhaustive()
    }
}

impl TreeView<'_> {
    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// The hash of leaf `index`.
    pub fn leaf(&self, index: u64) -> Result<Hash, TreeError> {
        if index >= self.size() {
            return Err(ProofError::IndexOutOfRange {
                index,
                size: self.size(),
            }
            .into());
        }
        self.subtree_hash(0, index)
    }

    /// The hashes of tier `tier` (tree level `8·tier`) at positions
    /// `start..end`, which must lie in one tile: the contents of a C2SP
    /// hash tile, full or partial.
    pub fn tile_hashes(&self, tier: u8, start: u64, end: u64) -> Result<Vec<Hash>, TreeError> {
        let tail = Frontier::tail_range(self.size(), tier);
        let tile = start / TILE_WIDTH;
        let out_of_range = || ProofError::SizeOutOfRange {
            size: end.saturating_mul(1u64 << (TILE_HEIGHT * u32::from(tier)).min(63)),
            tree_size: self.size(),
        };
        if start > end || end > tail.end || (end - start > 0 && (end - 1) / TILE_WIDTH != tile) {
            return Err(out_of_range().into());
        }
        if start >= tail.start {
            let hashes = self.frontier.tail(tier);
            let (from, to) = (start - tail.start, end - tail.start);
            return Ok(hashes[from as usize..to as usize].to_vec());
        }
        let tile_tree = self.complete_tile(tier, tile)?;
        let from = start - tile * TILE_WIDTH;
        let to = end - tile * TILE_WIDTH;
        Ok(tile_tree.level_hashes(0)[from as usize..to as usize].to_vec())
    }

    /// Complete tile `index` of tier `tier`, from the cache or the store.
    fn complete_tile(&self, tier: u8, index: u64) -> Result<Arc<MemoryTree>, TreeError> {
        self.tree.tiles.get_or_insert_with(&(tier, index), || {
            let start = index * TILE_WIDTH;
            let hashes = read_in(self.store, |r| r.tree_row(tier, start, start + TILE_WIDTH))?;
            if hashes.len() as u64 != TILE_WIDTH {
                return Err(TreeError::MissingTile {
                    tier,
                    index,
                    found: hashes.len(),
                });
            }
            Ok(Arc::new(hashes.into_iter().collect()))
        })
    }
}

impl SubtreeHashes for TreeView<'_> {
    type Error = TreeError;

    fn size(&self) -> u64 {
        self.frontier.size()
    }

    fn subtree_hash(&self, level: u32, index: u64) -> Result<Hash, TreeError> {
        let outside = || ProofError::SizeOutOfRange {
            size: index.saturating_add(1).saturating_mul(1 << level.min(63)),
            tree_size: self.size(),
        };
        match self.frontier.place(level, index).ok_or_else(outside)? {
            Placement::Tail(hash) => Ok(hash),
            Placement::CompleteTile {
                tier,
                tile,
                height,
                in_tile,
            } => self
                .complete_tile(tier, tile)?
                .complete_subtree(height, in_tile)
                .ok_or_else(|| outside().into()),
        }
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;
    use crate::merkle::{TreeNode, leaf_hash};
    use crate::store::StoredEntry;
    use crate::store::sqlite::SqliteStore;

    /// A store holding `n` entries and every tree node they complete, as
    /// the sequencer writes them, and the full tree for reference.
    fn stored(dir: &std::path::Path, n: u64) -> (SqliteStore, MemoryTree, Frontier) {
        let store = SqliteStore::open(dir).expect("open");
        let mut txn = store.begin_write().expect("begin");
        let mut frontier = Frontier::new();
        let mut full = MemoryTree::new();
        let mut nodes: Vec<TreeNode> = Vec::new();
        for index in 0..n {
            let leaf = index.to_be_bytes().to_vec();
            let hash = leaf_hash(&leaf);
            txn.append(&StoredEntry {
                index,
                record_id: crate::merkle::node_hash(&hash, &hash),
                leaf_hash: hash,
                leaf,
            })
            .expect("append");
            frontier.push(hash, &mut nodes);
            full.push(hash);
        }
        for node in &nodes {
            txn.put_tree_node(node).expect("node");
        }
        txn.commit().expect("commit");
        (store, full, frontier)
    }

    /// Roots, proofs, leaves and tiles from the stored tree equal the
    /// in-memory tree's at sizes across tile and tier boundaries, and the
    /// frontier read back equals the one built while appending.
    #[test]
    fn stored_tree_answers_like_the_memory_tree() {
        let dir = tempfile::tempdir().expect("tempdir");
        let n = 66_000;
        let (store, full, frontier) = stored(dir.path(), n);
        let read = read_in(&store, |r| read_frontier(r, n)).expect("read");
        assert_eq!(read.as_ref(), Ok(&frontier));
        let tree = StoredTree::new();
        tree.set_frontier(frontier);
        let view = tree.view(&store);
        for size in [1, 255, 256, 257, 65_535, 65_536, 65_537, n] {
            assert_eq!(
                view.root_at(size).expect("root"),
                full.root_at(size).unwrap()
            );
            for index in [0, size / 3, size - 1] {
                assert_eq!(
                    view.inclusion_proof(index, size).expect("inclusion"),
                    full.inclusion_proof(index, size).unwrap()
                );
            }
            for old in [1, size / 2, size - 1] {
                assert_eq!(
                    view.consistency_proof(old, size).expect("consistency"),
                    full.consistency_proof(old, size).unwrap()
                );
            }
        }
        assert_eq!(view.leaf(12_345).expect("leaf"), full.leaf(12_345).unwrap());
        assert_eq!(
            view.tile_hashes(0, 256, 512).expect("full tile"),
            full.level_hashes(0)[256..512]
        );
        assert_eq!(
            view.tile_hashes(1, 256, 257).expect("tail tile"),
            full.level_hashes(8)[256..257]
        );
        assert!(view.tile_hashes(0, 250, 260).is_err(), "spans two tiles");
        assert!(matches!(view.leaf(n), Err(TreeError::Proof(_))));
        assert!(matches!(
            view.inclusion_proof(0, n + 1),
            Err(TreeError::Proof(_))
        ));
    }

    /// A complete tile missing from the store is an error, not a wrong proof.
    #[test]
    fn a_missing_tile_is_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, _, frontier) = stored(dir.path(), 1_000);
        let conn = rusqlite::Connection::open(store.path()).expect("open");
        conn.execute("DELETE FROM entries WHERE idx = 300", [])
            .expect("delete");
        let tree = StoredTree::new();
        tree.set_frontier(frontier);
        let view = tree.view(&store);
        // Leaf 0's path reads tile 0 only.
        assert!(view.inclusion_proof(0, 1_000).is_ok());
        assert!(matches!(
            view.inclusion_proof(300, 1_000),
            Err(TreeError::MissingTile {
                tier: 0,
                index: 1,
                found: 255
            })
        ));
    }
}
