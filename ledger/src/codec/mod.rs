//! The canonical binary encoding used for every byte string zkaudit hashes
//! or signs.
//!
//! Big-endian fixed-width integers, length-prefixed byte strings, no
//! optional padding and no alternative forms: one value has exactly one
//! encoding. [`Reader`] is strict — it refuses truncated input, over-long
//! lengths and trailing bytes — so `decode(encode(x)) == x` and
//! `encode(decode(b)) == b` for every accepted `b`.
//!
//! Beside the primitives, the encodings several domains share: BN254 field
//! elements ([`fr_to_bytes`], [`fr_from_bytes`]), ids and attribute
//! predicates (the eligibility rules of claim scopes and elections).

mod field;
mod id;
mod predicate;

pub use field::{fr_from_bytes, fr_to_bytes};
pub(crate) use id::{MAX_ID, is_valid_id};
pub use predicate::PredicateError;
pub(crate) use predicate::{read_predicates, write_predicates};

/// Why bytes were refused by the strict decoder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The input ended inside a value.
    #[error("truncated input: needed {needed} more bytes for {what}")]
    Truncated {
        /// Field being read.
        what: &'static str,
        /// Bytes missing.
        needed: usize,
    },
    /// Bytes were left after the last field.
    #[error("{0} trailing bytes after the last field")]
    TrailingBytes(usize),
    /// A length prefix exceeds the field's bound.
    #[error("{what} is {len} bytes, more than the allowed {max}")]
    TooLong {
        /// Field being read.
        what: &'static str,
        /// Length found.
        len: usize,
        /// Bound for the field.
        max: usize,
    },
    /// A field has a value outside its allowed set.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// Field being read.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A field element is not canonical (≥ the BN254 scalar field modulus).
    #[error("{0} is not a canonical BN254 field element")]
    NonCanonicalField(&'static str),
}

/// Appends canonical encodings to a buffer.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// One byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    /// Big-endian u16.
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Big-endian u32.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Big-endian u64.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Fixed-size bytes, no length prefix.
    pub fn fixed(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }

    /// Bytes with a u32 length prefix.
    ///
    /// # Panics
    /// If `v` is 4 GiB or longer (callers bound their inputs far below that).
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        let len = u32::try_from(v.len()).expect("encoded fields are bounded below 4 GiB");
        self.u32(len).fixed(v)
    }

    /// A UTF-8 string with a u16 length prefix.
    ///
    /// # Panics
    /// If `s` is 64 KiB or longer (callers validate string fields first).
    pub fn str(&mut self, s: &str) -> &mut Self {
        let len = u16::try_from(s.len()).expect("string fields are bounded below 64 KiB");
        self.u16(len).fixed(s.as_bytes())
    }

    /// The bytes written so far.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads canonical encodings, strictly.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Reads from `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// The next `n` bytes.
    pub fn fixed(&mut self, what: &'static str, n: usize) -> Result<&'a [u8], CodecError> {
        if self.rest.len() < n {
            return Err(CodecError::Truncated {
                what,
                needed: n - self.rest.len(),
            });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], CodecError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.fixed(what, N)?);
        Ok(out)
    }

    /// One byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, CodecError> {
        Ok(self.array::<1>(what)?[0])
    }

    /// Big-endian u16.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, CodecError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    /// Big-endian u32.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, CodecError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    /// Big-endian u64.
    pub fn u64(&mut self, what: &'static str) -> Result<u64, CodecError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    /// A flag byte: 0 or 1, nothing else.
    pub fn flag(&mut self, what: &'static str) -> Result<bool, CodecError> {
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(CodecError::Invalid {
                what,
                reason: format!("{other} is not 0 or 1"),
            }),
        }
    }

    /// Bytes with a u32 length prefix of at most `max`.
    pub fn bytes(&mut self, what: &'static str, max: usize) -> Result<&'a [u8], CodecError> {
        let len = self.u32(what)? as usize;
        if len > max {
            return Err(CodecError::TooLong { what, len, max });
        }
        self.fixed(what, len)
    }

    /// A UTF-8 string with a u16 length prefix of at most `max` bytes.
    pub fn str(&mut self, what: &'static str, max: usize) -> Result<&'a str, CodecError> {
        let len = self.u16(what)? as usize;
        if len > max {
            return Err(CodecError::TooLong { what, len, max });
        }
        let raw = self.fixed(what, len)?;
        std::str::from_utf8(raw).map_err(|_| CodecError::Invalid {
            what,
            reason: "not UTF-8".into(),
        })
    }

    /// How many bytes are left (to tell optional trailing parts apart).
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Whether every byte was consumed (an optional trailing part is absent).
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Succeeds only if every byte was consumed.
    pub fn finish(self) -> Result<(), CodecError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(CodecError::TrailingBytes(self.rest.len()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_of_every_field_type() {
        let mut w = Writer::new();
        w.u8(7).u16(300).u32(70_000).u64(u64::MAX).fixed(&[1, 2]);
        w.bytes(b"payload").str("kind");
        let bytes = w.finish();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u8("a").unwrap(), 7);
        assert_eq!(r.u16("b").unwrap(), 300);
        assert_eq!(r.u32("c").unwrap(), 70_000);
        assert_eq!(r.u64("d").unwrap(), u64::MAX);
        assert_eq!(r.array::<2>("e").unwrap(), [1, 2]);
        assert_eq!(r.bytes("f", 16).unwrap(), b"payload");
        assert_eq!(r.str("g", 16).unwrap(), "kind");
        r.finish().unwrap();
    }

    #[test]
    fn flags_are_zero_or_one() {
        let mut r = Reader::new(&[0, 1, 2]);
        assert_eq!(r.flag("a"), Ok(false));
        assert_eq!(r.flag("b"), Ok(true));
        assert_eq!(
            r.flag("c"),
            Err(CodecError::Invalid {
                what: "c",
                reason: "2 is not 0 or 1".into()
            })
        );
    }

    #[test]
    fn strictness() {
        let mut w = Writer::new();
        w.bytes(b"0123456789");
        let bytes = w.finish();
        assert!(matches!(
            Reader::new(&bytes).bytes("x", 9),
            Err(CodecError::TooLong { len: 10, .. })
        ));
        assert!(matches!(
            Reader::new(&bytes[..8]).bytes("x", 10),
            Err(CodecError::Truncated { needed: 6, .. })
        ));
        let mut r = Reader::new(&[0, 0]);
        r.u8("x").unwrap();
        assert_eq!(r.finish(), Err(CodecError::TrailingBytes(1)));
        let mut w = Writer::new();
        w.u16(2).fixed(&[0xff, 0xfe]);
        assert!(matches!(
            Reader::new(&w.finish()).str("s", 8),
            Err(CodecError::Invalid { .. })
        ));
    }
}
