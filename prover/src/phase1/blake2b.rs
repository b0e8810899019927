//! BLAKE2b-512 whose mid-state can be saved and resumed in the layout
//! snarkjs stores in a `.ptau` contribution (`partialHash`, 216 bytes).
//!
//! Written by hand because no maintained crate exposes BLAKE2b's chaining
//! state (`blake2` and `blake2b_simd` keep it private), and the phase-1
//! transcript needs it: the response hash is saved after the points and
//! before the public key. The compression function follows RFC 7693; the
//! tests hold it to the `blake2` crate.

use zeroize::Zeroize;

/// Bytes of a BLAKE2b block.
const BLOCK: usize = 128;

pub use crate::iden3::PARTIAL_HASH_BYTES;

const IV: [u64; 8] = [
    0x6a09_e667_f3bc_c908,
    0xbb67_ae85_84ca_a73b,
    0x3c6e_f372_fe94_f82b,
    0xa54f_f53a_5f1d_36f1,
    0x510e_527f_ade6_82d1,
    0x9b05_688c_2b3e_6c1f,
    0x1f83_d9ab_fb41_bd6b,
    0x5be0_cd19_137e_2179,
];

const SIGMA: [[usize; 16]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

/// A saved state that cannot be resumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the saved hash state is malformed")]
pub struct MalformedState;

/// A streaming BLAKE2b-512 (unkeyed) that keeps its last block buffered,
/// as the reference implementation and snarkjs' hasher do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blake2bState {
    chain: [u64; 8],
    buffer: [u8; BLOCK],
    buffered: usize,
    compressed: u64,
}

impl Default for Blake2bState {
    fn default() -> Self {
        Self::new()
    }
}

impl Blake2bState {
    /// The state of an empty message.
    pub fn new() -> Self {
        let mut chain = IV;
        // Parameter block: 64-byte digest, no key, fan-out and depth 1.
        chain[0] ^= 0x0101_0040;
        Self {
            chain,
            buffer: [0; BLOCK],
            buffered: 0,
            compressed: 0,
        }
    }

    /// Absorbs `data`.
    pub fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.buffered == BLOCK {
                self.compressed += BLOCK as u64;
                compress(&mut self.chain, &self.buffer, self.compressed, false);
                self.buffered = 0;
            }
            let take = (BLOCK - self.buffered).min(data.len());
            self.buffer[self.buffered..self.buffered + take].copy_from_slice(&data[..take]);
            self.buffered += take;
            data = &data[take..];
        }
    }

    /// The digest.
    pub fn finalize(mut self) -> [u8; 64] {
        self.buffer[self.buffered..].fill(0);
        let total = self.compressed + self.buffered as u64;
        compress(&mut self.chain, &self.buffer, total, true);
        let mut out = [0u8; 64];
        for (chunk, word) in out.chunks_exact_mut(8).zip(self.chain) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        self.buffer.zeroize();
        out
    }

    /// The state in snarkjs' layout: the 128-byte buffer, the eight chain
    /// words as little-endian (low, high) 32-bit halves, the bytes
    /// compressed and the bytes buffered as 64-bit little-endian, and eight
    /// zero bytes.
    pub fn to_partial_hash(&self) -> [u8; PARTIAL_HASH_BYTES] {
        let mut out = [0u8; PARTIAL_HASH_BYTES];
        out[..self.buffered].copy_from_slice(&self.buffer[..self.buffered]);
        for (chunk, word) in out[BLOCK..BLOCK + 64].chunks_exact_mut(8).zip(self.chain) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out[192..200].copy_from_slice(&self.compressed.to_le_bytes());
        out[200..208].copy_from_slice(&(self.buffered as u64).to_le_bytes());
        out
    }

    /// Resumes a state saved by [`to_partial_hash`](Self::to_partial_hash)
    /// or by snarkjs. Buffer bytes past the buffered count are ignored (a
    /// saved state may hold stale bytes there).
    ///
    /// # Errors
    ///
    /// [`MalformedState`] when the counts are impossible.
    pub fn from_partial_hash(bytes: &[u8; PARTIAL_HASH_BYTES]) -> Result<Self, MalformedState> {
        let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        let compressed = word(192);
        let buffered = word(200);
        if compressed % BLOCK as u64 != 0
            || buffered > BLOCK as u64
            || (compressed > 0 && buffered == 0)
        {
            return Err(MalformedState);
        }
        let buffered = buffered as usize;
        let mut buffer = [0u8; BLOCK];
        buffer[..buffered].copy_from_slice(&bytes[..buffered]);
        Ok(Self {
            chain: std::array::from_fn(|i| word(BLOCK + 8 * i)),
            buffer,
            buffered,
            compressed,
        })
    }
}

/// RFC 7693's compression `F` of `block` into `chain`, `counter` bytes in.
fn compress(chain: &mut [u64; 8], block: &[u8; BLOCK], counter: u64, last: bool) {
    let m: [u64; 16] = std::array::from_fn(|i| {
        u64::from_le_bytes(block[8 * i..8 * i + 8].try_into().expect("8 bytes"))
    });
    let mut v = [0u64; 16];
    v[..8].copy_from_slice(chain);
    v[8..].copy_from_slice(&IV);
    v[12] ^= counter; // The high word of the 128-bit counter stays 0.
    if last {
        v[14] = !v[14];
    }
    for round in 0..12 {
        let s = &SIGMA[round % 10];
        mix(&mut v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
        mix(&mut v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
        mix(&mut v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
        mix(&mut v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
        mix(&mut v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
        mix(&mut v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
        mix(&mut v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
        mix(&mut v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for i in 0..8 {
        chain[i] ^= v[i] ^ v[i + 8];
    }
}

/// The mixing function `G`.
fn mix(v: &mut [u64; 16], a: usize, b: usize, c: usize, d: usize, x: u64, y: u64) {
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(x);
    v[d] = (v[d] ^ v[a]).rotate_right(32);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(24);
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(y);
    v[d] = (v[d] ^ v[a]).rotate_right(16);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(63);
}

#[cfg(test)]
mod tests {
    use super::*;
    use blake2::{Blake2b512, Digest};

    fn message(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 + 7) as u8).collect()
    }

    #[test]
    fn digests_match_the_blake2_crate_across_block_boundaries() {
        for len in [0, 1, 63, 64, 127, 128, 129, 255, 256, 257, 1000, 4096] {
            let data = message(len);
            let mut ours = Blake2bState::new();
            // Uneven pieces, to exercise the buffering.
            for piece in data.chunks(37) {
                ours.update(piece);
            }
            let theirs: [u8; 64] = Blake2b512::digest(&data).into();
            assert_eq!(ours.finalize(), theirs, "length {len}");
        }
    }

    #[test]
    fn a_saved_state_resumes_to_the_same_digest() {
        for split in [0, 1, 64, 128, 200, 256, 300] {
            let data = message(700);
            let mut first = Blake2bState::new();
            first.update(&data[..split]);
            let saved = first.to_partial_hash();
            let mut resumed = Blake2bState::from_partial_hash(&saved).unwrap();
            resumed.update(&data[split..]);
            let expected: [u8; 64] = Blake2b512::digest(&data).into();
            assert_eq!(resumed.finalize(), expected, "split at {split}");
        }
    }

    #[test]
    fn impossible_counts_are_refused() {
        let mut saved = Blake2bState::new().to_partial_hash();
        saved[200] = 129; // more buffered than a block
        assert_eq!(Blake2bState::from_partial_hash(&saved), Err(MalformedState));
        let mut saved = Blake2bState::new().to_partial_hash();
        saved[192] = 5; // a partial block compressed
        assert_eq!(Blake2bState::from_partial_hash(&saved), Err(MalformedState));
    }
}
