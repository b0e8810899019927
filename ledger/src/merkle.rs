//! RFC 6962 / RFC 9162 Merkle tree over SHA-256 (being written).

/// A SHA-256 digest: leaf, node or root hash.
pub type Hash = [u8; 32];
