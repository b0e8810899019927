//! Reading snarkjs Groth16 `.zkey` files (version 1) into arkworks proving
//! keys.
//!
//! Sections: 1 protocol (Groth16 = 1), 2 Groth16 header (fields, `nVars`,
//! `nPublic`, `domainSize`, α₁, β₁, β₂, γ₂, δ₁, δ₂), 3 IC, 4 the A and B
//! coefficients, 5 A, 6 B₁, 7 B₂, 8 C (arkworks' L query), 9 H, and 10 the
//! phase-2 contributions. The H query is snarkjs' (see
//! [`CircomReduction`](crate::CircomReduction)), so a key read here proves
//! with that reduction.

use std::sync::LazyLock;

use ark_bn254::{Bn254, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ec::pairing::Pairing;
use ark_ff::Field;
use ark_groth16::{ProvingKey, VerifyingKey};

use ark_ff::{BigInteger, PrimeField};

use super::binfile::{BinFile, BinFileWriter, Reader};
use super::encoding::{
    FIELD_BYTES, PointChecks, canonical, g1_points_bytes, g2_points_bytes, read_field_header,
    read_g1, read_g1_points, read_g2, read_g2_points, write_field_header, write_g1, write_g2,
};
use super::params::{ContributionKind, read_params, write_params};
use super::{FormatError, R1cs};
use ark_bn254::Fq;

/// The magic of `.zkey` files.
pub const ZKEY_MAGIC: &[u8; 4] = b"zkey";
/// snarkjs' protocol id of Groth16 keys.
const GROTH16: u32 = 1;
/// The largest domain BN254's scalar field has (2-adicity 28).
const MAX_DOMAIN: u64 = 1 << 28;

/// `R²` for `R = 2²⁵⁶ mod r`: snarkjs stores coefficients as `v·R² mod r`.
static COEFFICIENT_SCALE: LazyLock<Fr> = LazyLock::new(|| Fr::from(2u64).pow([512]));
/// Its inverse.
static COEFFICIENT_UNSCALE: LazyLock<Fr> = LazyLock::new(|| {
    COEFFICIENT_SCALE
        .inverse()
        .expect("2^512 is invertible mod r")
});

/// One coefficient of section 4: `matrix` 0 is A, 1 is B.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Coefficient {
    /// 0 for A, 1 for B.
    pub matrix: u32,
    /// The constraint (rows past the circuit's are the input rows).
    pub constraint: u32,
    /// The wire.
    pub signal: u32,
    /// The coefficient.
    pub value: Fr,
}

/// One phase-2 contribution as section 10 records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contribution {
    /// δ₁ after this contribution.
    pub delta_after: G1Affine,
    /// The proof of knowledge: `s·g₁`, `s·x·g₁` and `x·g₂'` (with `g₂'`
    /// derived from the transcript).
    pub g1_s: G1Affine,
    /// See `g1_s`.
    pub g1_sx: G1Affine,
    /// See `g1_s`.
    pub g2_spx: G2Affine,
    /// The transcript hash (BLAKE2b-512) the proof of knowledge binds.
    pub transcript: [u8; 64],
    /// Contributor or beacon.
    pub kind: ContributionKind,
    /// The contributor's name, if given.
    pub name: Option<String>,
}

/// Section 10: the circuit hash and the contributions, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MpcParams {
    /// BLAKE2b-512 of the initial key (snarkjs' `csHash`).
    pub cs_hash: [u8; 64],
    /// The contributions, oldest first.
    pub contributions: Vec<Contribution>,
}

/// A Groth16 `.zkey` file, parsed and checked point by point.
#[derive(Clone, Debug)]
pub struct Zkey {
    /// The proving key (with its verifying key), for [`CircomReduction`](crate::CircomReduction).
    pub pk: ProvingKey<Bn254>,
    /// Section 4, in file order.
    pub coefficients: Vec<Coefficient>,
    /// Section 10, if present (a key straight from `groth16 setup` has one
    /// with no contributions).
    pub mpc: Option<MpcParams>,
}

impl Zkey {
    /// Parses a `.zkey` file. Every point must be on its curve and in the
    /// prime-order subgroup, every field element canonical, every section
    /// exactly as long as the header implies; β and δ must agree between G1
    /// and G2 (snarkjs' keys use the standard generators, so
    /// `e(β₁, g₂) = e(g₁, β₂)` is checkable), and α, β, δ must not be the
    /// identity.
    ///
    /// # Errors
    ///
    /// The first [`FormatError`] found.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FormatError> {
        Self::parse(bytes, PointChecks::Full)
    }

    /// Parses a key to contribute to: as [`from_bytes`](Self::from_bytes),
    /// except that the points a contribution copies unchanged (IC, A, B₁,
    /// B₂) are only decoded, not checked — the contributor's secret never
    /// touches them, and whoever accepts the contribution checks the whole
    /// new key. δ, L and H, which the secret multiplies, are fully checked
    /// (a point off the curve could leak the secret).
    ///
    /// # Errors
    ///
    /// As [`from_bytes`](Self::from_bytes).
    pub fn for_contribution(bytes: &[u8]) -> Result<Self, FormatError> {
        Self::parse(bytes, PointChecks::CopiedOnly)
    }

    fn parse(bytes: &[u8], copied: PointChecks) -> Result<Self, FormatError> {
        let file = BinFile::parse(bytes, "zkey", ZKEY_MAGIC, 1)?;

        let mut protocol = file.section(1, "the protocol section")?;
        if protocol.u32()? != GROTH16 {
            return Err(FormatError::Unsupported(
                "zkey for a protocol other than Groth16",
            ));
        }
        protocol.finish()?;

        let mut header = file.section(2, "the Groth16 header")?;
        read_field_header::<Fq>(&mut header, "the base field")?;
        read_field_header::<Fr>(&mut header, "the scalar field")?;
        let num_wires = header.u32()? as usize;
        let num_public = header.u32()? as usize;
        let domain_size = header.u32()? as u64;
        if !domain_size.is_power_of_two() || domain_size > MAX_DOMAIN {
            return Err(FormatError::TooLarge {
                what: "domain size (or not a power of two)",
                found: domain_size,
                limit: MAX_DOMAIN,
            });
        }
        if num_wires as u64 > MAX_DOMAIN || num_public >= num_wires {
            return Err(FormatError::TooLarge {
                what: "wires (or public inputs)",
                found: num_wires as u64,
                limit: MAX_DOMAIN,
            });
        }
        let domain_size = domain_size as usize;
        let alpha_g1 = read_g1(&mut header, "alpha_1")?;
        let beta_g1 = read_g1(&mut header, "beta_1")?;
        let beta_g2 = read_g2(&mut header, "beta_2")?;
        let gamma_g2 = read_g2(&mut header, "gamma_2")?;
        let delta_g1 = read_g1(&mut header, "delta_1")?;
        let delta_g2 = read_g2(&mut header, "delta_2")?;
        header.finish()?;
        check_toxic_pairs(alpha_g1, beta_g1, beta_g2, gamma_g2, delta_g1, delta_g2)?;

        let full = PointChecks::Full;
        let ic = points_section(&file, 3, "IC", num_public + 1, copied, read_g1_points)?;
        let coefficients = read_coefficients(file.section(4, "the coefficients")?)?;
        let a_query = points_section(&file, 5, "A", num_wires, copied, read_g1_points)?;
        let b_g1_query = points_section(&file, 6, "B1", num_wires, copied, read_g1_points)?;
        let b_g2_query = points_section(&file, 7, "B2", num_wires, copied, read_g2_points)?;
        let witness = num_wires - num_public - 1;
        let l_query = points_section(&file, 8, "C", witness, full, read_g1_points)?;
        let h_query = points_section(&file, 9, "H", domain_size, full, read_g1_points)?;
        let mpc = if file.has_section(10) {
            Some(read_mpc(file.section(10, "the contributions")?)?)
        } else {
            None
        };

        let pk = ProvingKey {
            vk: VerifyingKey {
                alpha_g1,
                beta_g2,
                gamma_g2,
                delta_g2,
                gamma_abc_g1: ic,
            },
            beta_g1,
            delta_g1,
            a_query,
            b_g1_query,
            b_g2_query,
            h_query,
            l_query,
        };
        Ok(Self {
            pk,
            coefficients,
            mpc,
        })
    }

    /// All wires (`nVars`): one A point each.
    pub fn num_wires(&self) -> usize {
        self.pk.a_query.len()
    }

    /// Public inputs (`nPublic`), not counting the constant one.
    pub fn num_public(&self) -> usize {
        self.pk.vk.gamma_abc_g1.len() - 1
    }

    /// The evaluation domain's size: one H point per row.
    pub fn domain_size(&self) -> usize {
        self.pk.h_query.len()
    }

    /// Checks that this key was made for `r1cs`: the same wires, public
    /// inputs and domain, and exactly the A and B coefficients (with the
    /// input rows) that `snarkjs groth16 setup` derives from its `.r1cs`.
    ///
    /// # Errors
    ///
    /// [`FormatError::CircuitMismatch`] naming the first difference.
    pub fn check_circuit(&self, r1cs: &R1cs) -> Result<(), FormatError> {
        let mismatch = |what, expected: usize, found: usize| {
            if expected == found {
                Ok(())
            } else {
                Err(FormatError::CircuitMismatch {
                    what,
                    expected: expected.to_string(),
                    found: found.to_string(),
                })
            }
        };
        mismatch("the number of wires", r1cs.num_wires(), self.num_wires())?;
        mismatch(
            "the number of public inputs",
            r1cs.num_public,
            self.num_public(),
        )?;
        mismatch("the domain size", r1cs.domain_size(), self.domain_size())?;
        let mut expected = snarkjs_coefficients(r1cs);
        expected.sort_unstable();
        mismatch(
            "the number of A and B coefficients",
            expected.len(),
            self.coefficients.len(),
        )?;
        let mut found = self.coefficients.clone();
        found.sort_unstable();
        if let Some((e, f)) = expected.iter().zip(&found).find(|(e, f)| e != f) {
            return Err(FormatError::CircuitMismatch {
                what: "an A or B coefficient",
                expected: format!(
                    "matrix {} row {} wire {} = {}",
                    e.matrix, e.constraint, e.signal, e.value
                ),
                found: format!(
                    "matrix {} row {} wire {} = {}",
                    f.matrix, f.constraint, f.signal, f.value
                ),
            });
        }
        Ok(())
    }

    /// The `.zkey` file, sections 1 to 9 (and 10 if there are MPC
    /// parameters) in order, as snarkjs reads them.
    pub fn to_bytes(&self) -> Vec<u8> {
        let pk = &self.pk;
        let mut header = Vec::new();
        write_field_header::<Fq>(&mut header);
        write_field_header::<Fr>(&mut header);
        for count in [self.num_wires(), self.num_public(), self.domain_size()] {
            header.extend_from_slice(&(count as u32).to_le_bytes());
        }
        write_g1(&mut header, &pk.vk.alpha_g1);
        write_g1(&mut header, &pk.beta_g1);
        write_g2(&mut header, &pk.vk.beta_g2);
        write_g2(&mut header, &pk.vk.gamma_g2);
        write_g1(&mut header, &pk.delta_g1);
        write_g2(&mut header, &pk.vk.delta_g2);

        let mut coefficients = Vec::with_capacity(4 + self.coefficients.len() * 44);
        coefficients.extend_from_slice(&(self.coefficients.len() as u32).to_le_bytes());
        for c in &self.coefficients {
            for word in [c.matrix, c.constraint, c.signal] {
                coefficients.extend_from_slice(&word.to_le_bytes());
            }
            let scaled = c.value * *COEFFICIENT_SCALE;
            coefficients.extend_from_slice(&scaled.into_bigint().to_bytes_le());
        }

        let mut file = BinFileWriter::new(ZKEY_MAGIC, 1, if self.mpc.is_some() { 10 } else { 9 });
        file.section(1, &GROTH16.to_le_bytes());
        file.section(2, &header);
        file.section(3, &g1_points_bytes(&pk.vk.gamma_abc_g1));
        file.section(4, &coefficients);
        file.section(5, &g1_points_bytes(&pk.a_query));
        file.section(6, &g1_points_bytes(&pk.b_g1_query));
        file.section(7, &g2_points_bytes(&pk.b_g2_query));
        file.section(8, &g1_points_bytes(&pk.l_query));
        file.section(9, &g1_points_bytes(&pk.h_query));
        if let Some(mpc) = &self.mpc {
            file.section(10, &mpc.to_bytes());
        }
        file.finish()
    }

    /// The number of phase-2 contributions (0 for a key straight from
    /// `groth16 setup`, which is no better than a development key).
    pub fn contributions(&self) -> usize {
        self.mpc.as_ref().map_or(0, |m| m.contributions.len())
    }
}

/// The A and B coefficients `snarkjs groth16 setup` writes for `r1cs`, in
/// its order: per constraint its A terms then its B terms, then one A
/// entry per input row.
pub fn snarkjs_coefficients(r1cs: &R1cs) -> Vec<Coefficient> {
    let mut out = Vec::new();
    for row in 0..r1cs.num_constraints() {
        for (matrix, rows) in r1cs.matrices[..2].iter().enumerate() {
            for (value, signal) in &rows[row] {
                out.push(coefficient(
                    matrix as u32,
                    row as u32,
                    *signal as u32,
                    value,
                ));
            }
        }
    }
    for input in 0..=r1cs.num_public {
        let row = (r1cs.num_constraints() + input) as u32;
        out.push(coefficient(0, row, input as u32, &Fr::from(1u64)));
    }
    out
}

fn coefficient(matrix: u32, constraint: u32, signal: u32, value: &Fr) -> Coefficient {
    Coefficient {
        matrix,
        constraint,
        signal,
        value: *value,
    }
}

/// A reader of `count` points with the given checks.
type PointsReader<P> =
    fn(&mut Reader<'_>, usize, &'static str, PointChecks) -> Result<Vec<P>, FormatError>;

fn points_section<P>(
    file: &BinFile<'_>,
    id: u32,
    what: &'static str,
    count: usize,
    checks: PointChecks,
    read: PointsReader<P>,
) -> Result<Vec<P>, FormatError> {
    let mut section = file.section(id, what)?;
    let points = read(&mut section, count, what, checks)?;
    section.finish()?;
    Ok(points)
}

fn read_coefficients(mut section: Reader<'_>) -> Result<Vec<Coefficient>, FormatError> {
    let count = section.u32()? as usize;
    if count.saturating_mul(12 + FIELD_BYTES) > section.remaining() {
        return Err(FormatError::Truncated {
            what: "the coefficients",
        });
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let matrix = section.u32()?;
        let constraint = section.u32()?;
        let signal = section.u32()?;
        let scaled: Fr = canonical(section.take(FIELD_BYTES)?, "a coefficient")?;
        if matrix > 1 {
            return Err(FormatError::Unsupported(
                "a coefficient outside the A and B matrices",
            ));
        }
        out.push(coefficient(
            matrix,
            constraint,
            signal,
            &(scaled * *COEFFICIENT_UNSCALE),
        ));
    }
    section.finish()?;
    Ok(out)
}

fn check_toxic_pairs(
    alpha_g1: G1Affine,
    beta_g1: G1Affine,
    beta_g2: G2Affine,
    gamma_g2: G2Affine,
    delta_g1: G1Affine,
    delta_g2: G2Affine,
) -> Result<(), FormatError> {
    if alpha_g1.is_zero() || beta_g1.is_zero() || delta_g1.is_zero() || gamma_g2.is_zero() {
        return Err(FormatError::Unsupported(
            "a key with alpha, beta, gamma or delta zero",
        ));
    }
    let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
    if Bn254::pairing(beta_g1, g2) != Bn254::pairing(g1, beta_g2) {
        return Err(FormatError::CircuitMismatch {
            what: "beta in G1 against beta in G2",
            expected: "equal".into(),
            found: "different".into(),
        });
    }
    if Bn254::pairing(delta_g1, g2) != Bn254::pairing(g1, delta_g2) {
        return Err(FormatError::CircuitMismatch {
            what: "delta in G1 against delta in G2",
            expected: "equal".into(),
            found: "different".into(),
        });
    }
    Ok(())
}

impl MpcParams {
    /// Section 10's contents.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&self.cs_hash);
        out.extend_from_slice(&(self.contributions.len() as u32).to_le_bytes());
        for c in &self.contributions {
            write_g1(&mut out, &c.delta_after);
            write_g1(&mut out, &c.g1_s);
            write_g1(&mut out, &c.g1_sx);
            write_g2(&mut out, &c.g2_spx);
            out.extend_from_slice(&c.transcript);
            write_params(&mut out, &c.kind, c.name.as_deref());
        }
        out
    }
}

fn read_mpc(mut section: Reader<'_>) -> Result<MpcParams, FormatError> {
    let cs_hash = section.array::<64>()?;
    let count = section.u32()?;
    let mut contributions = Vec::new();
    for _ in 0..count {
        contributions.push(read_contribution(&mut section)?);
    }
    section.finish()?;
    Ok(MpcParams {
        cs_hash,
        contributions,
    })
}

fn read_contribution(section: &mut Reader<'_>) -> Result<Contribution, FormatError> {
    let delta_after = read_g1(section, "a contribution's delta")?;
    let g1_s = read_g1(section, "a contribution's proof")?;
    let g1_sx = read_g1(section, "a contribution's proof")?;
    let g2_spx = read_g2(section, "a contribution's proof")?;
    let transcript = section.array::<64>()?;
    let (kind, name) = read_params(section)?;
    Ok(Contribution {
        delta_after,
        g1_s,
        g1_sx,
        g2_spx,
        transcript,
        kind,
        name,
    })
}
