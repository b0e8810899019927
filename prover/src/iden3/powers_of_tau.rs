//! A whole snarkjs powers-of-tau (`.ptau`) file in memory, read and written,
//! for phase-1 contributions (the lazy [`Ptau`](super::Ptau) reader serves
//! phase 2).
//!
//! Sections: 1 header (field, `power`, `ceremonyPower`), 2 `τⁱ·g₁`
//! (`2^(power+1) − 1` points), 3 `τⁱ·g₂`, 4 `α·τⁱ·g₁`, 5 `β·τⁱ·g₁` (`2^power`
//! each), 6 `β·g₂`, 7 the contributions; after `prepare phase2`, 12 to 15
//! the same series in the Lagrange basis of every domain `2^p`, `p ≤ power`
//! (section 12 one level more), concatenated from `p = 0`.
//!
//! A contribution record (section 7): `τ·g₁`, `τ·g₂`, `α·g₁`, `β·g₁`, `β·g₂`
//! after it, its public key (LEM form), the 216-byte saved response-hash
//! state, the next challenge (BLAKE2b-512), then the type and parameters.

use ark_bn254::{Fq, G1Affine, G2Affine};

use super::FormatError;
use super::binfile::{BinFile, BinFileWriter, Reader};
use super::encoding::{
    PointChecks, g1_points_bytes, g2_points_bytes, read_field_header, read_g1, read_g1_points,
    read_g2, read_g2_points, write_field_header, write_g1, write_g2,
};
use super::params::{ContributionKind, read_params, write_params};
use super::ptau::PTAU_MAGIC;

/// The largest power read whole into memory here (2^20: about 400 MB of
/// points prepared). Public files up to 2^28 still serve phase 2 through
/// the lazy reader.
pub const MAX_IN_MEMORY_POWER: u32 = 20;

/// Bytes of a saved BLAKE2b state in a contribution record.
pub const PARTIAL_HASH_BYTES: usize = 216;

/// One secret's public key: `s·g₁`, `s·x·g₁` and `x·g₂'`, with `g₂'` hashed
/// from the challenge and the two G1 points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyPart {
    /// `s·g₁` for a random `s`.
    pub g1_s: G1Affine,
    /// `s·x·g₁`.
    pub g1_sx: G1Affine,
    /// `x·g₂'`.
    pub g2_spx: G2Affine,
}

/// The public key of a phase-1 contribution: one part per secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PtauKey {
    /// τ's part (personalisation 0).
    pub tau: KeyPart,
    /// α's part (1).
    pub alpha: KeyPart,
    /// β's part (2).
    pub beta: KeyPart,
}

impl PtauKey {
    /// The parts in personalisation order.
    pub fn parts(&self) -> [&KeyPart; 3] {
        [&self.tau, &self.alpha, &self.beta]
    }

    fn write(&self, out: &mut Vec<u8>) {
        for part in self.parts() {
            write_g1(out, &part.g1_s);
            write_g1(out, &part.g1_sx);
        }
        for part in self.parts() {
            write_g2(out, &part.g2_spx);
        }
    }

    fn read(reader: &mut Reader<'_>) -> Result<Self, FormatError> {
        let what = "a contribution's public key";
        let mut g1 = [G1Affine::default(); 6];
        for point in &mut g1 {
            *point = read_g1(reader, what)?;
        }
        let mut g2 = [G2Affine::default(); 3];
        for point in &mut g2 {
            *point = read_g2(reader, what)?;
        }
        let part = |i: usize| KeyPart {
            g1_s: g1[2 * i],
            g1_sx: g1[2 * i + 1],
            g2_spx: g2[i],
        };
        Ok(Self {
            tau: part(0),
            alpha: part(1),
            beta: part(2),
        })
    }
}

/// One phase-1 contribution as section 7 records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phase1Contribution {
    /// `τ·g₁` after it.
    pub tau_g1: G1Affine,
    /// `τ·g₂` after it.
    pub tau_g2: G2Affine,
    /// `α·g₁` after it.
    pub alpha_g1: G1Affine,
    /// `β·g₁` after it.
    pub beta_g1: G1Affine,
    /// `β·g₂` after it.
    pub beta_g2: G2Affine,
    /// The proofs of knowledge of its three secrets.
    pub key: PtauKey,
    /// The response hash's BLAKE2b state after the challenge and the new
    /// points, before the public key (snarkjs' `partialHash`).
    pub partial_hash: [u8; PARTIAL_HASH_BYTES],
    /// The challenge the next contribution builds on: BLAKE2b-512 of the
    /// response hash and the new points, uncompressed.
    pub next_challenge: [u8; 64],
    /// Contributor or beacon.
    pub kind: ContributionKind,
    /// The contributor's name, if given.
    pub name: Option<String>,
}

impl Phase1Contribution {
    fn write(&self, out: &mut Vec<u8>) {
        write_g1(out, &self.tau_g1);
        write_g2(out, &self.tau_g2);
        write_g1(out, &self.alpha_g1);
        write_g1(out, &self.beta_g1);
        write_g2(out, &self.beta_g2);
        self.key.write(out);
        out.extend_from_slice(&self.partial_hash);
        out.extend_from_slice(&self.next_challenge);
        write_params(out, &self.kind, self.name.as_deref());
    }

    fn read(reader: &mut Reader<'_>) -> Result<Self, FormatError> {
        let what = "a phase-1 contribution";
        let tau_g1 = read_g1(reader, what)?;
        let tau_g2 = read_g2(reader, what)?;
        let alpha_g1 = read_g1(reader, what)?;
        let beta_g1 = read_g1(reader, what)?;
        let beta_g2 = read_g2(reader, what)?;
        let key = PtauKey::read(reader)?;
        let partial_hash = reader.array::<PARTIAL_HASH_BYTES>()?;
        let next_challenge = reader.array::<64>()?;
        let (kind, name) = read_params(reader)?;
        Ok(Self {
            tau_g1,
            tau_g2,
            alpha_g1,
            beta_g1,
            beta_g2,
            key,
            partial_hash,
            next_challenge,
            kind,
            name,
        })
    }
}

/// Sections 12 to 15: every level `p` of a series in the Lagrange basis of
/// the domain `2^p`, concatenated from `p = 0`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LagrangeSections {
    /// τ in G1, levels `0..=power + 1`.
    pub tau_g1: Vec<G1Affine>,
    /// τ in G2, levels `0..=power`.
    pub tau_g2: Vec<G2Affine>,
    /// ατ in G1, levels `0..=power`.
    pub alpha_tau_g1: Vec<G1Affine>,
    /// βτ in G1, levels `0..=power`.
    pub beta_tau_g1: Vec<G1Affine>,
}

/// A whole powers-of-tau file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PowersOfTau {
    /// The largest domain is `2^power`.
    pub power: u32,
    /// The power the ceremony ran at (larger for a truncated file, which
    /// takes no more contributions).
    pub ceremony_power: u32,
    /// `τⁱ·g₁`, `i < 2^(power+1) − 1`.
    pub tau_g1: Vec<G1Affine>,
    /// `τⁱ·g₂`, `i < 2^power`.
    pub tau_g2: Vec<G2Affine>,
    /// `α·τⁱ·g₁`, `i < 2^power`.
    pub alpha_tau_g1: Vec<G1Affine>,
    /// `β·τⁱ·g₁`, `i < 2^power`.
    pub beta_tau_g1: Vec<G1Affine>,
    /// `β·g₂`.
    pub beta_g2: G2Affine,
    /// The contributions, oldest first.
    pub contributions: Vec<Phase1Contribution>,
    /// The Lagrange sections, once prepared for phase 2.
    pub lagrange: Option<LagrangeSections>,
}

/// Points in levels `0..=top` (`2^(top+1) − 1`): also the number of
/// `τⁱ·g₁` of a file of power `top`.
pub fn level_points(top: u32) -> usize {
    (1usize << (top + 1)) - 1
}

impl PowersOfTau {
    /// Reads a whole file, checking every point (canonical, on the curve,
    /// in the subgroup).
    ///
    /// # Errors
    ///
    /// [`FormatError`] for another file or field, a power above
    /// [`MAX_IN_MEMORY_POWER`], a bad point or a malformed section.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FormatError> {
        let file = BinFile::parse(bytes, "ptau", PTAU_MAGIC, 1)?;
        let mut header = file.section(1, "the ptau header")?;
        read_field_header::<Fq>(&mut header, "the ptau's base field")?;
        let power = header.u32()?;
        let ceremony_power = header.u32()?;
        header.finish()?;
        if !(1..=MAX_IN_MEMORY_POWER).contains(&power) {
            return Err(FormatError::TooLarge {
                what: "the ptau power",
                found: power.into(),
                limit: MAX_IN_MEMORY_POWER.into(),
            });
        }
        if ceremony_power < power || ceremony_power > 28 {
            return Err(FormatError::Unsupported(
                "a ceremony power below the file's power or above 28",
            ));
        }
        let n = 1usize << power;
        let g1 = |id, count, what| -> Result<Vec<G1Affine>, FormatError> {
            let mut section = file.section(id, what)?;
            let points = read_g1_points(&mut section, count, what, PointChecks::Full)?;
            section.finish()?;
            Ok(points)
        };
        let g2 = |id, count, what| -> Result<Vec<G2Affine>, FormatError> {
            let mut section = file.section(id, what)?;
            let points = read_g2_points(&mut section, count, what, PointChecks::Full)?;
            section.finish()?;
            Ok(points)
        };
        let tau_g1 = g1(2, level_points(power), "tau·g1")?;
        let tau_g2 = g2(3, n, "tau·g2")?;
        let alpha_tau_g1 = g1(4, n, "alpha·tau·g1")?;
        let beta_tau_g1 = g1(5, n, "beta·tau·g1")?;
        let beta_g2 = g2(6, 1, "beta·g2")?[0];

        let mut section = file.section(7, "the contributions")?;
        let count = section.u32()?;
        let mut contributions = Vec::new();
        for _ in 0..count {
            contributions.push(Phase1Contribution::read(&mut section)?);
        }
        section.finish()?;

        let prepared = [12, 13, 14, 15].map(|id| file.has_section(id));
        let lagrange = match prepared {
            [false, false, false, false] => None,
            [true, true, true, true] => Some(LagrangeSections {
                tau_g1: g1(12, level_points(power + 1), "the Lagrange tau·g1")?,
                tau_g2: g2(13, level_points(power), "the Lagrange tau·g2")?,
                alpha_tau_g1: g1(14, level_points(power), "the Lagrange alpha·tau·g1")?,
                beta_tau_g1: g1(15, level_points(power), "the Lagrange beta·tau·g1")?,
            }),
            _ => {
                return Err(FormatError::Unsupported(
                    "a file with only some of the Lagrange sections",
                ));
            }
        };
        Ok(Self {
            power,
            ceremony_power,
            tau_g1,
            tau_g2,
            alpha_tau_g1,
            beta_tau_g1,
            beta_g2,
            contributions,
            lagrange,
        })
    }

    /// The file's bytes, as snarkjs writes them.
    pub fn to_bytes(&self) -> Vec<u8> {
        let sections = if self.lagrange.is_some() { 11 } else { 7 };
        let mut file = BinFileWriter::new(PTAU_MAGIC, 1, sections);
        let mut header = Vec::new();
        write_field_header::<Fq>(&mut header);
        header.extend_from_slice(&self.power.to_le_bytes());
        header.extend_from_slice(&self.ceremony_power.to_le_bytes());
        file.section(1, &header);
        file.section(2, &g1_points_bytes(&self.tau_g1));
        file.section(3, &g2_points_bytes(&self.tau_g2));
        file.section(4, &g1_points_bytes(&self.alpha_tau_g1));
        file.section(5, &g1_points_bytes(&self.beta_tau_g1));
        file.section(6, &g2_points_bytes(&[self.beta_g2]));
        let mut contributions = (self.contributions.len() as u32).to_le_bytes().to_vec();
        for contribution in &self.contributions {
            contribution.write(&mut contributions);
        }
        file.section(7, &contributions);
        if let Some(lagrange) = &self.lagrange {
            file.section(12, &g1_points_bytes(&lagrange.tau_g1));
            file.section(13, &g2_points_bytes(&lagrange.tau_g2));
            file.section(14, &g1_points_bytes(&lagrange.alpha_tau_g1));
            file.section(15, &g1_points_bytes(&lagrange.beta_tau_g1));
        }
        file.finish()
    }
}
