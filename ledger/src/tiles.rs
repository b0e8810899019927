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

/// The number of tree levels a tile spans: a tile's hashes are the leaves of
/// a subtree of this height.
pub use crate::merkle::TILE_HEIGHT;
use crate::merkle::{Hash, MemoryTree};

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

/// The positions of tree level `8·level` that hash tile `level`/`index`
/// with `width` hashes holds: `index·256 .. index·256 + width`.
///
/// Fails if `level` or `width` is out of range, or if a tree of
/// `tree_size` leaves does not have all of those hashes (a tile must never
/// hold the hash of an incomplete subtree). A partial tile of an earlier
/// size is served from a larger tree: its hashes do not change as the tree
/// grows.
pub fn hash_tile_positions(
    level: u8,
    index: u64,
    width: u16,
    tree_size: u64,
) -> Result<std::ops::Range<u64>, TileError> {
    check_level(level)?;
    check_width(width)?;
    let not_available = || TileError::TileNotAvailable {
        level,
        index,
        width,
        tree_size,
    };
    let first = index
        .checked_mul(u64::from(TILE_WIDTH))
        .ok_or_else(not_available)?;
    let end = first
        .checked_add(u64::from(width))
        .ok_or_else(not_available)?;
    if end > tree_size >> tree_level(level) {
        return Err(not_available());
    }
    Ok(first..end)
}

/// The contents of hash tile `level`/`index` with `width` hashes from a
/// tree held in memory: the concatenated 32-byte hashes at
/// [`hash_tile_positions`], which says when it fails.
pub fn hash_tile(
    tree: &MemoryTree,
    level: u8,
    index: u64,
    width: u16,
) -> Result<Vec<u8>, TileError> {
    let positions = hash_tile_positions(level, index, width, tree.size())?;
    // The positions are below the level's length, which fits in `usize`.
    let hashes =
        &tree.level_hashes(tree_level(level))[positions.start as usize..positions.end as usize];
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
mod tests;
