//! A strict reader over the funds encodings (period proofs, chunk jobs),
//! and the header both start with: a magic whose last character is the
//! layout's version digit, the chunk size and the number of categories.

use pasta_curves::pallas;

use super::{FundsError, FundsLayout, FundsShape, Result, field_from_bytes};

/// Bytes of the shape header: magic, chunk size, categories.
pub(super) const SHAPE_HEADER: usize = 8 + 4 + 1;

/// Appends the shape header of `shape` to `out`: `prefix` and the layout's
/// version digit (`b'1'`, `b'2'`), the chunk size (u32 little-endian) and
/// the categories (u8).
pub(super) fn write_shape_header(out: &mut Vec<u8>, prefix: &[u8; 7], shape: FundsShape) {
    out.extend_from_slice(prefix);
    out.push(b'0' + shape.layout().version());
    out.extend_from_slice(&(shape.chunk_size() as u32).to_le_bytes());
    out.push(shape.categories() as u8);
}

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

    /// A shape header written by [`write_shape_header`] with `prefix`:
    /// `malformed("bad magic")` for another prefix or a version no layout
    /// has, `malformed("invalid shape")` for a shape out of bounds.
    pub(super) fn shape_header(&mut self, prefix: &[u8; 7]) -> Result<FundsShape> {
        let magic: [u8; 8] = self.array()?;
        let layout = magic[7]
            .checked_sub(b'0')
            .and_then(FundsLayout::from_version)
            .filter(|_| magic[..7] == prefix[..])
            .ok_or((self.malformed)("bad magic"))?;
        let chunk_size = self.u32()? as usize;
        let categories = usize::from(self.array::<1>()?[0]);
        FundsShape::new(chunk_size, categories)
            .map(|shape| shape.with_layout(layout))
            .map_err(|_| (self.malformed)("invalid shape"))
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
