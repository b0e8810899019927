//! Reading snarkjs powers-of-tau (`.ptau`) files prepared for phase 2.
//!
//! Sections: 1 header (`u32` field width, the base field's modulus, `u32`
//! power, `u32` ceremony power), 2 `τⁱ·g₁` (`2·2^power − 1` points), 3
//! `τⁱ·g₂`, 4 `α·τⁱ·g₁`, 5 `β·τⁱ·g₁` (`2^power` each), 6 `β·g₂`, 7 the
//! contributions, and after `powersoftau prepare phase2` the same four
//! series in the Lagrange basis of every domain `2^p`, `p ≤ power` (12:
//! τ in G1, with one more level `power + 1`; 13: τ in G2; 14: ατ; 15: βτ),
//! level `p` starting at point `2^p − 1`.
//!
//! The whole file is read into memory: fine for the files circuits of this
//! size need (2^16: 72 MB); a streaming reader would be needed for the
//! largest public files.

use ark_bn254::{Fq, G1Affine, G2Affine};

use super::FormatError;
use super::binfile::{BinFile, Reader};
use super::encoding::{
    G1_BYTES, G2_BYTES, PointChecks, read_field_header, read_g1_points, read_g2_points,
};

/// The magic of `.ptau` files.
pub const PTAU_MAGIC: &[u8; 4] = b"ptau";

/// A parsed `.ptau` file.
pub struct Ptau<'a> {
    file: BinFile<'a>,
    /// The largest domain is `2^power`.
    pub power: u32,
}

impl<'a> Ptau<'a> {
    /// Parses the container and header of a BN254 `.ptau` file.
    ///
    /// # Errors
    ///
    /// [`FormatError`] for another file, field or an absurd power.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, FormatError> {
        let file = BinFile::parse(bytes, "ptau", PTAU_MAGIC, 1)?;
        let mut header = file.section(1, "the ptau header")?;
        read_field_header::<Fq>(&mut header, "the ptau's base field")?;
        let power = header.u32()?;
        let _ceremony_power = header.u32()?;
        header.finish()?;
        if power > 28 {
            return Err(FormatError::TooLarge {
                what: "the ptau power",
                found: power.into(),
                limit: 28,
            });
        }
        Ok(Self { file, power })
    }

    /// Whether `powersoftau prepare phase2` ran (the Lagrange sections).
    pub fn is_prepared(&self) -> bool {
        [12, 13, 14, 15].iter().all(|id| self.file.has_section(*id))
    }

    fn section_at(
        &self,
        id: u32,
        what: &'static str,
        skip_bytes: usize,
    ) -> Result<Reader<'a>, FormatError> {
        let mut section = self.file.section(id, what)?;
        section.take(skip_bytes)?;
        Ok(section)
    }

    /// `count` G1 points of section `id` from point `offset`.
    pub fn g1(
        &self,
        id: u32,
        offset: usize,
        count: usize,
        what: &'static str,
    ) -> Result<Vec<G1Affine>, FormatError> {
        let mut section = self.section_at(id, what, offset * G1_BYTES)?;
        read_g1_points(&mut section, count, what, PointChecks::Full)
    }

    /// `count` G2 points of section `id` from point `offset`.
    pub fn g2(
        &self,
        id: u32,
        offset: usize,
        count: usize,
        what: &'static str,
    ) -> Result<Vec<G2Affine>, FormatError> {
        let mut section = self.section_at(id, what, offset * G2_BYTES)?;
        read_g2_points(&mut section, count, what, PointChecks::Full)
    }

    /// The Lagrange-basis G1 points of domain `2^power` in section `id`.
    pub fn lagrange_g1(
        &self,
        id: u32,
        power: u32,
        what: &'static str,
    ) -> Result<Vec<G1Affine>, FormatError> {
        let n = 1usize << power;
        self.g1(id, n - 1, n, what)
    }

    /// The Lagrange-basis G2 points of domain `2^power` in section `id`.
    pub fn lagrange_g2(
        &self,
        id: u32,
        power: u32,
        what: &'static str,
    ) -> Result<Vec<G2Affine>, FormatError> {
        let n = 1usize << power;
        self.g2(id, n - 1, n, what)
    }
}
