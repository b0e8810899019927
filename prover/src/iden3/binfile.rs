//! The section container of iden3's binary files (`@iden3/binfileutils`):
//! a 4-byte magic, `u32` version, `u32` section count, then sections of
//! `u32` id, `u64` byte length and contents, all little-endian.

use std::ops::Range;

use super::FormatError;

/// A parsed container: where each section's bytes are.
pub struct BinFile<'a> {
    bytes: &'a [u8],
    sections: Vec<(u32, Range<usize>)>,
}

impl<'a> BinFile<'a> {
    /// Parses the container of a `kind` file (`magic` its first 4 bytes),
    /// refusing versions above `max_version`, sections that overrun the file
    /// and bytes after the last section.
    pub fn parse(
        bytes: &'a [u8],
        kind: &'static str,
        magic: &[u8; 4],
        max_version: u32,
    ) -> Result<Self, FormatError> {
        let mut reader = Reader::new(bytes, "the file header");
        if reader.take(4)? != magic {
            return Err(FormatError::Magic { expected: kind });
        }
        let version = reader.u32()?;
        if version == 0 || version > max_version {
            return Err(FormatError::Version {
                file: kind,
                found: version,
            });
        }
        let count = reader.u32()?;
        let mut sections = Vec::new();
        for _ in 0..count {
            reader.what = "a section header";
            let id = reader.u32()?;
            let len = usize::try_from(reader.u64()?)
                .map_err(|_| FormatError::Truncated { what: "a section" })?;
            reader.what = "a section";
            let start = reader.pos;
            reader.take(len)?;
            sections.push((id, start..start + len));
        }
        reader.what = "the file";
        reader.finish()?;
        Ok(Self { bytes, sections })
    }

    /// A reader over section `id`, which must appear exactly once.
    pub fn section(&self, id: u32, what: &'static str) -> Result<Reader<'a>, FormatError> {
        let mut found = self.sections.iter().filter(|(s, _)| *s == id);
        let (_, range) = found.next().ok_or(FormatError::Section {
            id,
            problem: "missing",
        })?;
        if found.next().is_some() {
            return Err(FormatError::Section {
                id,
                problem: "duplicated",
            });
        }
        Ok(Reader::new(&self.bytes[range.clone()], what))
    }

    /// Whether section `id` is present.
    pub fn has_section(&self, id: u32) -> bool {
        self.sections.iter().any(|(s, _)| *s == id)
    }
}

/// A bounds-checked little-endian reader over one section.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`, named `what` in errors.
    pub fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Self {
            bytes,
            pos: 0,
            what,
        }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or(FormatError::Truncated { what: self.what })?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], FormatError> {
        Ok(self.take(N)?.try_into().expect("take returns N bytes"))
    }

    /// A little-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, FormatError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self) -> Result<u64, FormatError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// Succeeds only if every byte was read.
    pub fn finish(self) -> Result<(), FormatError> {
        match self.remaining() {
            0 => Ok(()),
            extra => Err(FormatError::TrailingBytes {
                what: self.what,
                extra,
            }),
        }
    }
}

/// Writes a container section by section.
pub struct BinFileWriter {
    bytes: Vec<u8>,
}

impl BinFileWriter {
    /// Starts a file with `magic`, `version` and `sections` sections.
    pub fn new(magic: &[u8; 4], version: u32, sections: u32) -> Self {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(magic);
        bytes.extend_from_slice(&version.to_le_bytes());
        bytes.extend_from_slice(&sections.to_le_bytes());
        Self { bytes }
    }

    /// Appends section `id` with `contents`.
    pub fn section(&mut self, id: u32, contents: &[u8]) {
        self.bytes.extend_from_slice(&id.to_le_bytes());
        self.bytes
            .extend_from_slice(&(contents.len() as u64).to_le_bytes());
        self.bytes.extend_from_slice(contents);
    }

    /// The file's bytes.
    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }
}
