//! A strict reader over the funds encodings (period proofs, chunk jobs).

use pasta_curves::pallas;

use super::{FundsError, Result, field_from_bytes};

/// Reads a byte string front to back; running out is reported with the
/// encoding's own error (`malformed("truncated")`).
pub(super) struct Reader<'a> {
    rest: &'a [u8],
    malformed: fn(&'static str) -> FundsError,
}

impl<'a> Reader<'a> {
    /// A reader over `bytes` reporting malformations with `malformed`.
    pub(super) fn new(bytes: &'a [u8], malformed: fn(&'static str) -> FundsError) -> Self {
        Self {
            rest: bytes,
            malformed,
        }
    }

    /// The next `n` bytes.
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.rest.len() < n {
            return Err((self.malformed)("truncated"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// The next `N` bytes as an array.
    pub(super) fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }

    /// A little-endian `u32`.
    pub(super) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// A canonical Pallas base element ([`FundsError::NonCanonicalField`]).
    pub(super) fn field(&mut self) -> Result<pallas::Base> {
        field_from_bytes(&self.array()?)
    }

    /// Fails with `malformed("trailing bytes")` unless everything was read.
    pub(super) fn finish(self) -> Result<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err((self.malformed)("trailing bytes"))
        }
    }
}
