//! Tests of the tiles: tile paths and data, and trees rebuilt from tiles.

use super::*;
use crate::merkle::{leaf_hash, node_hash, root_from_leaves};
use proptest::prelude::*;

fn tree_of(size: u64) -> MemoryTree {
    (0..size).map(|i| leaf_hash(&i.to_be_bytes())).collect()
}

fn hash_path(level: u8, index: u64, width: u16) -> TilePath {
    TilePath::new_hash(level, index, width).unwrap()
}

#[test]
fn paths_follow_the_spec_examples() {
    assert_eq!(
        hash_path(0, 1_234_067, 256).to_path(),
        "tile/0/x001/x234/067"
    );
    assert_eq!(hash_path(3, 5, 256).to_path(), "tile/3/005");
    assert_eq!(hash_path(0, 0, 8).to_path(), "tile/0/000.p/8");
    assert_eq!(hash_path(1, 1000, 255).to_path(), "tile/1/x001/000.p/255");
    let entries = TilePath::new_entries(1_234_067, 17).unwrap();
    assert_eq!(entries.to_path(), "tile/entries/x001/x234/067.p/17");
    assert_eq!(
        TilePath::new_entries(u64::MAX, 256).unwrap().to_path(),
        "tile/entries/x018/x446/x744/x073/x709/x551/615"
    );
    assert_eq!(
        TilePath::parse("tile/0/x001/x234/067.p/8"),
        Ok(hash_path(0, 1_234_067, 8))
    );
    assert_eq!(
        "tile/entries/x018/x446/x744/x073/x709/x551/615".parse(),
        Ok(TilePath::new_entries(u64::MAX, 256).unwrap())
    );
    assert_eq!(TilePath::parse("tile/63/000"), Ok(hash_path(63, 0, 256)));
}

#[test]
fn non_canonical_paths_are_refused() {
    let refused = [
        "",
        "/tile/0/000",
        "tile/0/000/",
        "tiles/0/000",
        "tile",
        "tile/",
        "tile/0",
        "tile/0/",
        "tile//000",
        "tile/00/000",
        "tile/01/000",
        "tile/64/000",
        "tile/100/000",
        "tile/-1/000",
        "tile/+1/000",
        "tile/a/000",
        "tile/0/0",
        "tile/0/00",
        "tile/0/0000",
        "tile/0/5",
        "tile/0/+05",
        "tile/0/x005",
        "tile/0/001/234",
        "tile/0/x001/234/067",
        "tile/0/x000/001",
        "tile/0/x001//001",
        "tile/0/x01/001",
        "tile/0/X001/001",
        "tile/0/xx01/001",
        "tile/0/00a",
        "tile/0/000.p",
        "tile/0/000.p/",
        "tile/0/000.p/0",
        "tile/0/000.p/00",
        "tile/0/000.p/08",
        "tile/0/000.p/256",
        "tile/0/000.p/1000",
        "tile/0/000.p/8/",
        "tile/0/000.p/8/9",
        "tile/0/000.q/8",
        "tile/0/000.p8",
        "tile/0/x001.p/8/000",
        "tile/0/000/extra",
        "tile/entries/000.p/256",
        "tile/entries",
        "tile/entries/",
        "tile/0/x018/x446/x744/x073/x709/x551/616",
        "tile/0/x001/x018/x446/x744/x073/x709/x551/615",
        "tile/0/\u{0661}\u{0662}\u{0663}",
    ];
    for path in refused {
        assert!(TilePath::parse(path).is_err(), "{path:?} was accepted");
    }
    let long = format!("tile/0/{}000", "x000/".repeat(20));
    assert_eq!(
        TilePath::parse(&long),
        Err(TileError::PathTooLong {
            len: long.len(),
            max: MAX_TILE_PATH_LEN
        })
    );
}

#[test]
fn malformed_path_errors_say_why() {
    let error = TilePath::parse("tile/0/000.p/256").unwrap_err();
    assert_eq!(
        error.to_string(),
        "malformed tile path \"tile/0/000.p/256\": width is not a decimal integer \
         from 1 to 255 without leading zeros"
    );
}

#[test]
fn checked_constructors_refuse_out_of_range_values() {
    assert_eq!(
        TilePath::new_hash(64, 0, 256),
        Err(TileError::LevelOutOfRange { level: 64 })
    );
    assert_eq!(
        TilePath::new_hash(0, 0, 0),
        Err(TileError::WidthOutOfRange { width: 0 })
    );
    assert_eq!(
        TilePath::new_entries(0, 257),
        Err(TileError::WidthOutOfRange { width: 257 })
    );
    // Hand-built out-of-range values print as given and do not parse.
    for tile in [
        TilePath::Hash {
            level: 64,
            index: 0,
            width: 256,
        },
        TilePath::Hash {
            level: 0,
            index: 0,
            width: 0,
        },
        TilePath::Entries {
            index: 0,
            width: 257,
        },
    ] {
        assert!(TilePath::parse(&tile.to_path()).is_err(), "{tile:?}");
    }
}

fn any_tile_path() -> impl Strategy<Value = TilePath> {
    let index = prop_oneof![0..2000u64, any::<u64>()];
    let width = prop_oneof![Just(TILE_WIDTH), 1..=TILE_WIDTH];
    prop_oneof![
        (0..=MAX_TILE_LEVEL, index.clone(), width.clone()).prop_map(|(level, index, width)| {
            TilePath::Hash {
                level,
                index,
                width,
            }
        }),
        (index, width).prop_map(|(index, width)| TilePath::Entries { index, width }),
    ]
}

proptest! {
    #[test]
    fn paths_round_trip(tile in any_tile_path()) {
        let path = tile.to_path();
        prop_assert!(path.len() <= MAX_TILE_PATH_LEN);
        prop_assert_eq!(TilePath::parse(&path), Ok(tile));
    }

    #[test]
    fn parsing_never_panics(path in "tile/[0-9a-z/.px]{0,40}") {
        if let Ok(tile) = TilePath::parse(&path) {
            prop_assert_eq!(tile.to_path(), path);
        }
    }
}

#[test]
fn widths_follow_the_spec_example() {
    // tlog-tiles: a tree of 70,000 leaves has 273 full level-0 tiles, a
    // partial level-0 tile of width 112, a full level-1 tile, a partial
    // level-1 tile of width 17 and a partial level-2 tile of width 1.
    assert_eq!(tile_width_at(70_000, 0, 0), Some(256));
    assert_eq!(tile_width_at(70_000, 0, 272), Some(256));
    assert_eq!(tile_width_at(70_000, 0, 273), Some(112));
    assert_eq!(tile_width_at(70_000, 0, 274), None);
    assert_eq!(tile_width_at(70_000, 1, 0), Some(256));
    assert_eq!(tile_width_at(70_000, 1, 1), Some(17));
    assert_eq!(tile_width_at(70_000, 1, 2), None);
    assert_eq!(tile_width_at(70_000, 2, 0), Some(1));
    assert_eq!(tile_width_at(70_000, 3, 0), None);
    // A tree of 256 leaves: one full level-0 tile, a level-1 tile of 1.
    assert_eq!(tile_width_at(256, 0, 0), Some(256));
    assert_eq!(tile_width_at(256, 0, 1), None);
    assert_eq!(tile_width_at(256, 1, 0), Some(1));
    assert_eq!(tile_width_at(0, 0, 0), None);
    assert_eq!(tile_width_at(u64::MAX, 7, 0), Some(255));
    assert_eq!(tile_width_at(u64::MAX, 8, 0), None);
    assert_eq!(tile_width_at(u64::MAX, 63, 0), None);
    assert_eq!(tile_width_at(u64::MAX, 0, u64::MAX), None);
}

#[test]
fn hash_tiles_hold_only_complete_subtrees() {
    let tree = tree_of(70_000);
    let not_available = |level, index, width| TileError::TileNotAvailable {
        level,
        index,
        width,
        tree_size: 70_000,
    };
    assert_eq!(hash_tile(&tree, 0, 273, 112).map(|t| t.len()), Ok(112 * 32));
    assert_eq!(hash_tile(&tree, 0, 273, 10).map(|t| t.len()), Ok(10 * 32));
    assert_eq!(
        hash_tile(&tree, 0, 273, 113),
        Err(not_available(0, 273, 113))
    );
    assert_eq!(
        hash_tile(&tree, 0, 273, 256),
        Err(not_available(0, 273, 256))
    );
    assert_eq!(hash_tile(&tree, 1, 1, 18), Err(not_available(1, 1, 18)));
    assert_eq!(hash_tile(&tree, 2, 0, 2), Err(not_available(2, 0, 2)));
    assert_eq!(hash_tile(&tree, 3, 0, 1), Err(not_available(3, 0, 1)));
    assert_eq!(
        hash_tile(&tree, 0, u64::MAX, 1),
        Err(not_available(0, u64::MAX, 1))
    );
    assert_eq!(
        hash_tile(&tree, 64, 0, 1),
        Err(TileError::LevelOutOfRange { level: 64 })
    );
    assert_eq!(
        hash_tile(&tree, 0, 0, 0),
        Err(TileError::WidthOutOfRange { width: 0 })
    );
    assert_eq!(
        hash_tile(&tree, 0, 0, 257),
        Err(TileError::WidthOutOfRange { width: 257 })
    );
}

/// Fetches the tile holding tree-level `8·level` position `position` as
/// a verifier would: by path, checking the width the size implies.
fn fetch_tile(tree: &MemoryTree, size: u64, level: u8, tile_index: u64) -> Vec<Hash> {
    let width = tile_width_at(size, level, tile_index).expect("tile exists");
    let path = TilePath::parse(&hash_path(level, tile_index, width).to_path()).unwrap();
    let TilePath::Hash {
        level,
        index,
        width,
    } = path
    else {
        unreachable!("a hash tile path parses as a hash tile");
    };
    let hashes = decode_hash_tile(&hash_tile(tree, level, index, width).unwrap()).unwrap();
    assert_eq!(hashes.len(), usize::from(width));
    hashes
}

/// The hash of the complete subtree of `2^height` leaves at `index`,
/// from the tile holding its leftmost descendant at the tile level
/// just below it.
fn subtree_from_tiles(tree: &MemoryTree, size: u64, height: u32, index: u64) -> Hash {
    let level = u8::try_from(height / TILE_HEIGHT).unwrap();
    let span = 1usize << (height % TILE_HEIGHT);
    let first = index << (height % TILE_HEIGHT);
    let tile = fetch_tile(tree, size, level, first / 256);
    let offset = (first % 256) as usize;
    root_from_leaves(&tile[offset..offset + span])
}

/// The root of the tree of `size` leaves, from tiles only: one complete
/// subtree per set bit of `size`, folded from the right.
fn root_from_tiles(tree: &MemoryTree, size: u64) -> Hash {
    let mut subtrees = Vec::new();
    let mut position = 0;
    for height in (0..u64::BITS).rev() {
        if size & (1 << height) != 0 {
            subtrees.push(subtree_from_tiles(tree, size, height, position >> height));
            position += 1 << height;
        }
    }
    let last = subtrees.pop().unwrap_or(crate::merkle::EMPTY_ROOT);
    subtrees
        .iter()
        .rev()
        .fold(last, |right, left| node_hash(left, &right))
}

#[test]
fn a_verifier_recomputes_the_tree_from_tiles() {
    let size = 70_000;
    let tree = tree_of(size);
    let level_1 = fetch_tile(&tree, size, 1, 0);
    let level_1_partial = fetch_tile(&tree, size, 1, 1);
    assert_eq!(level_1_partial.len(), 17);
    let level_1_hashes: Vec<Hash> = level_1.iter().chain(&level_1_partial).copied().collect();
    // Each full level-0 tile, hashed as a perfect tree, is the matching
    // hash of level 1; the partial level-0 tile is in no level-1 hash.
    for tile_index in 0..273 {
        let tile = fetch_tile(&tree, size, 0, tile_index);
        assert_eq!(tile.len(), 256);
        assert_eq!(root_from_leaves(&tile), level_1_hashes[tile_index as usize]);
    }
    assert_eq!(fetch_tile(&tree, size, 0, 273).len(), 112);
    // Likewise the full level-1 tile is the one hash of level 2.
    assert_eq!(
        fetch_tile(&tree, size, 2, 0),
        vec![root_from_leaves(&level_1)]
    );
    assert_eq!(root_from_tiles(&tree, size), tree.root());
    // Earlier sizes are served from the same tree by partial tiles.
    for earlier in [1, 255, 256, 257, 65_535, 65_536, 65_537, 69_999] {
        assert_eq!(
            root_from_tiles(&tree, earlier),
            tree.root_at(earlier).unwrap()
        );
    }
}

#[test]
fn hash_tiles_must_be_whole_hashes() {
    assert_eq!(decode_hash_tile(&[7; 64]), Ok(vec![[7; 32]; 2]));
    for len in [0, 1, 31, 33, 8192 + 32] {
        assert_eq!(
            decode_hash_tile(&vec![0; len]),
            Err(TileError::MalformedHashTile { len })
        );
    }
}

#[test]
fn entry_bundles_round_trip() {
    let entries: [&[u8]; 4] = [b"", b"a", &[0xff; 300], &[1; MAX_ENTRY_LEN]];
    let bundle = encode_entry_bundle(&entries).unwrap();
    assert_eq!(&bundle[..5], &[0, 0, 0, 1, b'a']);
    assert_eq!(&bundle[5..7], &300u16.to_be_bytes());
    assert_eq!(
        decode_entry_bundle(&bundle),
        Ok(entries.map(<[u8]>::to_vec).to_vec())
    );
    assert_eq!(decode_entry_bundle(&[]), Ok(Vec::new()));
}

#[test]
fn oversized_entries_and_bundles_are_refused() {
    let large = vec![0; MAX_ENTRY_LEN + 1];
    assert_eq!(
        encode_entry_bundle(&[b"ok", &large]),
        Err(TileError::EntryTooLarge {
            position: 1,
            len: MAX_ENTRY_LEN + 1
        })
    );
    let many = vec![&b"e"[..]; 257];
    assert_eq!(
        encode_entry_bundle(&many),
        Err(TileError::TooManyEntries { count: 257 })
    );
    assert_eq!(
        decode_entry_bundle(&[0, 0].repeat(257)),
        Err(TileError::TooManyEntries { count: 257 })
    );
    assert_eq!(
        decode_entry_bundle(&[0, 0].repeat(256)).map(|e| e.len()),
        Ok(256)
    );
}

#[test]
fn truncated_bundles_are_refused() {
    assert_eq!(
        decode_entry_bundle(&[0, 1, b'a', 0]),
        Err(TileError::TruncatedLengthPrefix {
            position: 1,
            offset: 3
        })
    );
    assert_eq!(
        decode_entry_bundle(&[0, 1, b'a', 0, 3, b'b', b'c']),
        Err(TileError::TruncatedEntry {
            position: 1,
            declared: 3,
            available: 2
        })
    );
    assert_eq!(
        decode_entry_bundle(&[0xff, 0xff]),
        Err(TileError::TruncatedEntry {
            position: 0,
            declared: 65_535,
            available: 0
        })
    );
}

proptest! {
    #[test]
    fn bundles_round_trip_and_every_truncation_is_refused(
        entries in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..20)
    ) {
        let borrowed: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
        let bundle = encode_entry_bundle(&borrowed).unwrap();
        prop_assert_eq!(decode_entry_bundle(&bundle), Ok(entries.clone()));
        // Cutting anywhere but at an entry boundary must fail; cutting at
        // a boundary yields a prefix of the entries.
        for cut in 0..bundle.len() {
            match decode_entry_bundle(&bundle[..cut]) {
                Ok(prefix) => prop_assert_eq!(&prefix[..], &entries[..prefix.len()]),
                Err(error) => {
                    let is_truncation = matches!(
                        error,
                        TileError::TruncatedLengthPrefix { .. }
                            | TileError::TruncatedEntry { .. }
                    );
                    prop_assert!(is_truncation, "unexpected error: {}", error);
                }
            }
        }
    }
}
