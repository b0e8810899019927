//! C2SP `tlog-tiles` (<https://c2sp.org/tlog-tiles>): the static read path.
//!
//! The tree is served as immutable *tiles* of height [`TILE_HEIGHT`]. The
//! hash tile at level `L`, index `N` holds up to [`TILE_WIDTH`] consecutive
//! hashes of tree level `8·L`, starting at position `N·256`: at level 0 the
//! leaf hashes, above that the hashes of complete subtrees of `256^L` leaves.
//! The rightmost tiles of a tree are usually *partial*: a tile of width
//! `W < 256` holds the first `W` hashes. Entry bundles carry the entries
//! behind the level-0 tile of the same index and width.
//!
//! * [`TilePath`]: the `tile/<L>/<N>[.p/<W>]` and
//!   `tile/entries/<N>[.p/<W>]` coordinates, with a strict parser;
//! * [`tile_width_at`]: which tile (full or partial) a tree size has;
//! * [`hash_tile`]: a hash tile's contents from a [`MemoryTree`];
//! * [`decode_hash_tile`], [`encode_entry_bundle`], [`decode_entry_bundle`]:
//!   the wire formats.

use core::fmt;
use core::str::FromStr;

use crate::merkle::{Hash, MemoryTree};

/// The number of tree levels a tile spans: a tile's hashes are the leaves of
/// a subtree of this height.
pub const TILE_HEIGHT: u32 = 8;

/// The number of hashes in a full tile, and of entries in a full bundle.
pub const TILE_WIDTH: u16 = 1 << TILE_HEIGHT;

/// The highest tile level a path may name.
pub const MAX_TILE_LEVEL: u8 = 63;

/// The largest entry an entry bundle can hold: its length is a `u16`.
pub const MAX_ENTRY_LEN: usize = u16::MAX as usize;

/// The longest valid tile path: `tile/entries/` plus a 20-digit index in
/// seven groups plus `.p/255` is 53 bytes; anything longer is rejected
/// before parsing.
pub const MAX_TILE_PATH_LEN: usize = 64;

/// The size of one hash in a hash tile.
const HASH_LEN: usize = 32;

/// Why a tile path, tile or entry bundle was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TileError {
    /// The path is longer than any valid tile path.
    #[error("tile path is {len} bytes long, but no valid tile path exceeds {max} bytes")]
    PathTooLong {
        /// The length of the path, in bytes.
        len: usize,
        /// [`MAX_TILE_PATH_LEN`].
        max: usize,
    },
    /// The path is not a canonical tile path.
    #[error("malformed tile path {path:?}: {reason}")]
    MalformedPath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A tile level above [`MAX_TILE_LEVEL`].
    #[error("tile level {level} is above the maximum level {MAX_TILE_LEVEL}")]
    LevelOutOfRange {
        /// The requested level.
        level: u8,
    },
    /// A tile width outside `1..=256`.
    #[error("tile width {width} is outside 1..={TILE_WIDTH}")]
    WidthOutOfRange {
        /// The requested width.
        width: u16,
    },
    /// The tree does not (yet) have every hash the tile holds.
    #[error(
        "hash tile at level {level}, index {index}, width {width} is not available \
         in a tree of size {tree_size}"
    )]
    TileNotAvailable {
        /// The tile level.
        level: u8,
        /// The tile index.
        index: u64,
        /// The tile width.
        width: u16,
        /// The size of the tree that was asked.
        tree_size: u64,
    },
    /// A hash tile whose length is not 1 to 256 whole hashes.
    #[error("hash tile is {len} bytes long, but a tile holds 1 to {TILE_WIDTH} hashes of 32 bytes")]
    MalformedHashTile {
        /// The length of the tile, in bytes.
        len: usize,
    },
    /// An entry too long for its `u16` length prefix.
    #[error(
        "entry {position} is {len} bytes long, but bundled entries hold at most {MAX_ENTRY_LEN} bytes"
    )]
    EntryTooLarge {
        /// The entry's position in the bundle.
        position: usize,
        /// Its length, in bytes.
        len: usize,
    },
    /// More entries than one bundle holds.
    #[error("{count} entries do not fit in one entry bundle, which holds at most {TILE_WIDTH}")]
    TooManyEntries {
        /// The number of entries.
        count: usize,
    },
    /// The bundle ends inside an entry's length prefix.
    #[error("entry bundle ends inside the length prefix of entry {position} (at byte {offset})")]
    TruncatedLengthPrefix {
        /// The entry's position in the bundle.
        position: usize,
        /// Where its length prefix starts, in bytes.
        offset: usize,
    },
    /// The bundle ends before an entry's declared length.
    #[error(
        "entry bundle ends inside entry {position}: {declared} bytes declared, {available} left"
    )]
    TruncatedEntry {
        /// The entry's position in the bundle.
        position: usize,
        /// The length its prefix declares.
        declared: usize,
        /// The bytes left in the bundle after the prefix.
        available: usize,
    },
}

/// The coordinates of a hash tile or an entry bundle.
///
/// `width` is in `1..=256`; 256 is a full tile, whose path has no `.p/`
/// suffix. Build values with [`new_hash`](Self::new_hash),
/// [`new_entries`](Self::new_entries) or [`parse`](Self::parse) to have them
/// checked; then `parse(to_path())` gives the value back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, core::hash::Hash)]
pub enum TilePath {
    /// A hash tile: `tile/<level>/<index>[.p/<width>]`.
    Hash {
        /// The tile level, `0..=63`; its hashes are of tree level `8·level`.
        level: u8,
        /// The tile's index within its level.
        index: u64,
        /// The number of hashes, `1..=256`.
        width: u16,
    },
    /// An entry bundle: `tile/entries/<index>[.p/<width>]`.
    Entries {
        /// The bundle's index (that of the level-0 tile it matches).
        index: u64,
        /// The number of entries, `1..=256`.
        width: u16,
    },
}

impl TilePath {
    /// The hash tile at `level`, `index` with `width` hashes, checked.
    pub fn new_hash(level: u8, index: u64, width: u16) -> Result<Self, TileError> {
        check_level(level)?;
        check_width(width)?;
        Ok(Self::Hash {
            level,
            index,
            width,
        })
    }

    /// The entry bundle at `index` with `width` entries, checked.
    pub fn new_entries(index: u64, width: u16) -> Result<Self, TileError> {
        check_width(width)?;
        Ok(Self::Entries { index, width })
    }

    /// The tile's index within its level.
    pub fn index(&self) -> u64 {
        match *self {
            Self::Hash { index, .. } | Self::Entries { index, .. } => index,
        }
    }

    /// The number of hashes or entries in the tile.
    pub fn width(&self) -> u16 {
        match *self {
            Self::Hash { width, .. } | Self::Entries { width, .. } => width,
        }
    }

    /// Whether the tile holds fewer than [`TILE_WIDTH`] hashes or entries.
    pub fn is_partial(&self) -> bool {
        self.width() < TILE_WIDTH
    }

    /// The path, without a leading slash, e.g. `tile/0/x001/x234/067.p/8`.
    ///
    /// A value with a level or width out of range (possible only by building
    /// the variant by hand) is written as given, and [`parse`](Self::parse)
    /// refuses the result.
    pub fn to_path(&self) -> String {
        self.to_string()
    }

    /// Parses a path (without a leading slash) in its one canonical form.
    ///
    /// Refused: anything but `tile/<L>/<N>[.p/<W>]` or
    /// `tile/entries/<N>[.p/<W>]`; a level above 63 or with leading zeros;
    /// index groups that are not exactly three digits, an `x` missing on
    /// any group but the last or present on the last, a leading all-zero
    /// group, an index above `u64::MAX`; a width of 0, of 256 or more, or
    /// with leading zeros; empty components, a leading or trailing slash;
    /// paths longer than [`MAX_TILE_PATH_LEN`].
    pub fn parse(path: &str) -> Result<Self, TileError> {
        if path.len() > MAX_TILE_PATH_LEN {
            return Err(TileError::PathTooLong {
                len: path.len(),
                max: MAX_TILE_PATH_LEN,
            });
        }
        parse_components(path).map_err(|reason| TileError::MalformedPath {
            path: path.to_owned(),
            reason,
        })
    }
}

impl fmt::Display for TilePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Hash { level, .. } => write!(f, "tile/{level}/")?,
            Self::Entries { .. } => f.write_str("tile/entries/")?,
        }
        write_index(f, self.index())?;
        if self.width() != TILE_WIDTH {
            write!(f, ".p/{}", self.width())?;
        }
        Ok(())
    }
}

impl FromStr for TilePath {
    type Err = TileError;

    fn from_str(path: &str) -> Result<Self, TileError> {
        Self::parse(path)
    }
}

/// Writes `index` as 3-digit groups, all but the last prefixed with `x`.
fn write_index(f: &mut fmt::Formatter<'_>, index: u64) -> fmt::Result {
    let mut groups = Vec::with_capacity(7);
    let mut rest = index;
    loop {
        groups.push(rest % 1000);
        rest /= 1000;
        if rest == 0 {
            break;
        }
    }
    let (last, leading) = groups
        .split_first()
        .expect("an index has at least one group");
    for group in leading.iter().rev() {
        write!(f, "x{group:03}/")?;
    }
    write!(f, "{last:03}")
}

/// Parses a whole path; the error is the reason it is malformed.
fn parse_components(path: &str) -> Result<TilePath, &'static str> {
    let mut components = path.split('/');
    if components.next() != Some("tile") {
        return Err("does not start with \"tile/\"");
    }
    let kind = components.next().ok_or("ends after \"tile\"")?;
    let (index, width) = parse_index_and_width(&mut components)?;
    if kind == "entries" {
        return Ok(TilePath::Entries { index, width });
    }
    let level = parse_level(kind)
        .ok_or("level is not a decimal integer from 0 to 63 without leading zeros")?;
    Ok(TilePath::Hash {
        level,
        index,
        width,
    })
}

/// Parses `[x<ddd>/]*<ddd>[.p/<W>]` and checks nothing follows it.
fn parse_index_and_width<'a>(
    components: &mut impl Iterator<Item = &'a str>,
) -> Result<(u64, u16), &'static str> {
    let mut index: u64 = 0;
    let mut is_first_group = true;
    loop {
        let component = components.next().ok_or(if is_first_group {
            "has no tile index"
        } else {
            "index ends with an x-prefixed group"
        })?;
        let (group, is_last) = match component.strip_prefix('x') {
            Some(group) => (group, false),
            None => (component, true),
        };
        let (group, is_partial) = match group.strip_suffix(".p") {
            Some(group) if is_last => (group, true),
            _ => (group, false),
        };
        let value = parse_index_group(group)?;
        if is_first_group && !is_last && value == 0 {
            return Err("index has a leading all-zero group");
        }
        index = index
            .checked_mul(1000)
            .and_then(|index| index.checked_add(value))
            .ok_or("index does not fit in 64 bits")?;
        is_first_group = false;
        if !is_last {
            continue;
        }
        let width = if is_partial {
            let width = components.next().ok_or("ends after \".p\"")?;
            parse_partial_width(width)
                .ok_or("width is not a decimal integer from 1 to 255 without leading zeros")?
        } else {
            TILE_WIDTH
        };
        if components.next().is_some() {
            return Err("has components after the tile index");
        }
        return Ok((index, width));
    }
}

/// Parses exactly three ASCII digits.
fn parse_index_group(group: &str) -> Result<u64, &'static str> {
    if group.len() != 3 || !group.bytes().all(|b| b.is_ascii_digit()) {
        return Err("index group is not exactly three digits");
    }
    group
        .parse()
        .map_err(|_| "index group is not exactly three digits")
}

/// Parses a decimal integer without sign or leading zeros, with at most
/// `max_digits` digits.
fn parse_canonical_decimal(text: &str, max_digits: usize) -> Option<u16> {
    let is_canonical = (1..=max_digits).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if !is_canonical {
        return None;
    }
    text.parse().ok()
}

/// Parses a level: `0..=63`, canonical decimal.
fn parse_level(text: &str) -> Option<u8> {
    let level = parse_canonical_decimal(text, 2)?;
    u8::try_from(level)
        .ok()
        .filter(|&level| level <= MAX_TILE_LEVEL)
}

/// Parses the `<W>` of `.p/<W>`: `1..=255`, canonical decimal.
fn parse_partial_width(text: &str) -> Option<u16> {
    parse_canonical_decimal(text, 3).filter(|width| (1..TILE_WIDTH).contains(width))
}

/// Fails if `level` is above [`MAX_TILE_LEVEL`].
fn check_level(level: u8) -> Result<(), TileError> {
    if level > MAX_TILE_LEVEL {
        return Err(TileError::LevelOutOfRange { level });
    }
    Ok(())
}

/// Fails unless `width` is in `1..=256`.
fn check_width(width: u16) -> Result<(), TileError> {
    if !(1..=TILE_WIDTH).contains(&width) {
        return Err(TileError::WidthOutOfRange { width });
    }
    Ok(())
}

/// The tree level whose hashes tiles of `tile_level` hold, `8·tile_level`.
fn tree_level(tile_level: u8) -> u32 {
    u32::from(tile_level) * TILE_HEIGHT
}

/// The width of hash tile `level`/`index` (or, at level 0, of entry bundle
/// `index`) in a tree of `size` leaves: 256 for a full tile, less for the
/// partial tile at the right edge, `None` if the tree has no hash for it
/// yet (empty tiles do not exist).
pub fn tile_width_at(size: u64, level: u8, index: u64) -> Option<u16> {
    let hashes_at_level = size.checked_shr(tree_level(level)).unwrap_or(0);
    let first = index.checked_mul(u64::from(TILE_WIDTH))?;
    let available = hashes_at_level.checked_sub(first).filter(|&n| n > 0)?;
    let width = available.min(u64::from(TILE_WIDTH));
    u16::try_from(width).ok()
}

/// The contents of hash tile `level`/`index` with `width` hashes: the
/// concatenated 32-byte hashes of tree level `8·level`, positions
/// `index·256 .. index·256 + width`.
///
/// Fails if `level` or `width` is out of range, or if the tree does not have
/// all of those hashes (a tile must never hold the hash of an incomplete
/// subtree). A partial tile of an earlier size is served from a larger tree:
/// its hashes do not change as the tree grows.
pub fn hash_tile(
    tree: &MemoryTree,
    level: u8,
    index: u64,
    width: u16,
) -> Result<Vec<u8>, TileError> {
    check_level(level)?;
    check_width(width)?;
    let not_available = || TileError::TileNotAvailable {
        level,
        index,
        width,
        tree_size: tree.size(),
    };
    let first = index
        .checked_mul(u64::from(TILE_WIDTH))
        .and_then(|first| usize::try_from(first).ok())
        .ok_or_else(not_available)?;
    let end = first
        .checked_add(usize::from(width))
        .ok_or_else(not_available)?;
    let hashes = tree
        .level_hashes(tree_level(level))
        .get(first..end)
        .ok_or_else(not_available)?;
    Ok(hashes.as_flattened().to_vec())
}

/// Splits a fetched hash tile into its hashes. Fails unless it holds 1 to
/// 256 whole hashes; the caller checks the count against the width it asked
/// for.
pub fn decode_hash_tile(bytes: &[u8]) -> Result<Vec<Hash>, TileError> {
    let malformed = || TileError::MalformedHashTile { len: bytes.len() };
    let (hashes, remainder) = bytes.as_chunks::<HASH_LEN>();
    if !remainder.is_empty() || hashes.is_empty() || hashes.len() > usize::from(TILE_WIDTH) {
        return Err(malformed());
    }
    Ok(hashes.to_vec())
}

/// Encodes an entry bundle: each entry prefixed by its length as a
/// big-endian `u16`. Fails for an entry of 65536 bytes or more, or for more
/// than 256 entries.
pub fn encode_entry_bundle(entries: &[&[u8]]) -> Result<Vec<u8>, TileError> {
    check_entry_count(entries.len())?;
    let total_len = entries.iter().map(|entry| 2 + entry.len()).sum();
    let mut bundle = Vec::with_capacity(total_len);
    for (position, entry) in entries.iter().enumerate() {
        let len = u16::try_from(entry.len()).map_err(|_| TileError::EntryTooLarge {
            position,
            len: entry.len(),
        })?;
        bundle.extend_from_slice(&len.to_be_bytes());
        bundle.extend_from_slice(entry);
    }
    Ok(bundle)
}

/// Decodes an entry bundle. Strict: fails if the bundle ends inside a length
/// prefix or an entry, or holds more than 256 entries. The caller checks the
/// count against the width it asked for, and the entries against the
/// level-0 tile.
pub fn decode_entry_bundle(bytes: &[u8]) -> Result<Vec<Vec<u8>>, TileError> {
    let mut entries = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let position = entries.len();
        let (prefix, after_prefix) =
            rest.split_first_chunk::<2>()
                .ok_or(TileError::TruncatedLengthPrefix {
                    position,
                    offset: bytes.len() - rest.len(),
                })?;
        let declared = usize::from(u16::from_be_bytes(*prefix));
        let (entry, after_entry) =
            after_prefix
                .split_at_checked(declared)
                .ok_or(TileError::TruncatedEntry {
                    position,
                    declared,
                    available: after_prefix.len(),
                })?;
        entries.push(entry.to_vec());
        rest = after_entry;
    }
    check_entry_count(entries.len())?;
    Ok(entries)
}

/// Fails if `count` entries exceed one bundle.
fn check_entry_count(count: usize) -> Result<(), TileError> {
    if count > usize::from(TILE_WIDTH) {
        return Err(TileError::TooManyEntries { count });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
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
}
