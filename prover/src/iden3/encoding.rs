//! Field elements and points as iden3's files hold them.
//!
//! - Scalars (`Fr`) in `.r1cs` and `.wtns` files: 32 bytes, little-endian,
//!   canonical (below the modulus).
//! - Points in `.zkey` and `.ptau` files: ffjavascript's "LEM" form, each
//!   base-field coordinate (`Fq`, or `Fq2` as `c0 ‖ c1`) in Montgomery form
//!   (`x·2²⁵⁶ mod q`), little-endian; `x ‖ y` affine, all zeros for the point
//!   at infinity. Every point read is checked to be on its curve and in the
//!   prime-order subgroup.

use std::sync::LazyLock;

use ark_bn254::{Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ec::short_weierstrass::{Affine, SWCurveConfig};
use ark_ff::{BigInteger, Field, PrimeField};
use rayon::prelude::*;

use super::FormatError;
use super::binfile::Reader;

/// Bytes of a BN254 base- or scalar-field element.
pub const FIELD_BYTES: usize = 32;
/// Bytes of a G1 point in LEM form.
pub const G1_BYTES: usize = 2 * FIELD_BYTES;
/// Bytes of a G2 point in LEM form.
pub const G2_BYTES: usize = 4 * FIELD_BYTES;

/// `2²⁵⁶ mod q`, the Montgomery factor of ffjavascript's `Fq`.
static MONTGOMERY_R: LazyLock<Fq> = LazyLock::new(montgomery_r);
/// Its inverse.
static MONTGOMERY_R_INV: LazyLock<Fq> =
    LazyLock::new(|| MONTGOMERY_R.inverse().expect("2^256 is invertible mod q"));

/// `2²⁵⁶` in `F`: the Montgomery factor of ffjavascript's 256-bit fields
/// (an integer `m` read as a Montgomery form is the element `m / 2²⁵⁶`).
pub fn montgomery_r<F: PrimeField>() -> F {
    F::from(2u64).pow([256])
}

/// Writes a field header: `u32` byte width, then the modulus.
pub fn write_field_header<F: PrimeField>(out: &mut Vec<u8>) {
    out.extend_from_slice(&(FIELD_BYTES as u32).to_le_bytes());
    out.extend_from_slice(&F::MODULUS.to_bytes_le());
}

/// Reads a field header and checks it names `F`.
pub fn read_field_header<F: PrimeField>(
    reader: &mut Reader<'_>,
    what: &'static str,
) -> Result<(), FormatError> {
    if reader.u32()? as usize != FIELD_BYTES
        || reader.take(FIELD_BYTES)? != F::MODULUS.to_bytes_le().as_slice()
    {
        return Err(FormatError::WrongField { what });
    }
    Ok(())
}

/// A scalar as 32 little-endian bytes.
pub fn write_fr(out: &mut Vec<u8>, value: &Fr) {
    out.extend_from_slice(&value.into_bigint().to_bytes_le());
}

/// A canonical element of `F` from 32 little-endian bytes.
pub fn canonical<F: PrimeField>(bytes: &[u8], what: &'static str) -> Result<F, FormatError> {
    // Reduce, then insist that reducing changed nothing.
    let value = F::from_le_bytes_mod_order(bytes);
    if value.into_bigint().to_bytes_le() == bytes {
        Ok(value)
    } else {
        Err(FormatError::NonCanonical { what })
    }
}

fn fq_from_lem(bytes: &[u8], what: &'static str) -> Result<Fq, FormatError> {
    Ok(canonical::<Fq>(bytes, what)? * *MONTGOMERY_R_INV)
}

fn write_fq_lem(out: &mut Vec<u8>, value: &Fq) {
    out.extend_from_slice(&(*value * *MONTGOMERY_R).into_bigint().to_bytes_le());
}

/// Writes a G1 point in LEM form.
pub fn write_g1(out: &mut Vec<u8>, point: &G1Affine) {
    match point.xy() {
        Some((x, y)) => {
            write_fq_lem(out, &x);
            write_fq_lem(out, &y);
        }
        None => out.extend_from_slice(&[0; G1_BYTES]),
    }
}

/// Writes a G2 point in LEM form.
pub fn write_g2(out: &mut Vec<u8>, point: &G2Affine) {
    match point.xy() {
        Some((x, y)) => {
            for c in [x.c0, x.c1, y.c0, y.c1] {
                write_fq_lem(out, &c);
            }
        }
        None => out.extend_from_slice(&[0; G2_BYTES]),
    }
}

/// G1 points in LEM form, one after another.
pub fn g1_points_bytes(points: &[G1Affine]) -> Vec<u8> {
    let mut out = Vec::with_capacity(points.len() * G1_BYTES);
    points.iter().for_each(|p| write_g1(&mut out, p));
    out
}

/// G2 points in LEM form, one after another.
pub fn g2_points_bytes(points: &[G2Affine]) -> Vec<u8> {
    let mut out = Vec::with_capacity(points.len() * G2_BYTES);
    points.iter().for_each(|p| write_g2(&mut out, p));
    out
}

/// How much of a point read is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointChecks {
    /// Canonical coordinates, on the curve, in the prime-order subgroup.
    Full,
    /// Canonical coordinates only: for points a contributor copies through
    /// untouched (its secret never multiplies them, and the coordinator
    /// checks the whole key).
    CopiedOnly,
}

fn g1_from_lem(
    bytes: &[u8],
    what: &'static str,
    index: usize,
    checks: PointChecks,
) -> Result<G1Affine, FormatError> {
    if bytes.iter().all(|b| *b == 0) {
        return Ok(G1Affine::zero());
    }
    let x = fq_from_lem(&bytes[..FIELD_BYTES], what)?;
    let y = fq_from_lem(&bytes[FIELD_BYTES..], what)?;
    checked(G1Affine::new_unchecked(x, y), what, index, checks)
}

fn g2_from_lem(
    bytes: &[u8],
    what: &'static str,
    index: usize,
    checks: PointChecks,
) -> Result<G2Affine, FormatError> {
    if bytes.iter().all(|b| *b == 0) {
        return Ok(G2Affine::zero());
    }
    let c = |i: usize| fq_from_lem(&bytes[i * FIELD_BYTES..(i + 1) * FIELD_BYTES], what);
    let point = G2Affine::new_unchecked(Fq2::new(c(0)?, c(1)?), Fq2::new(c(2)?, c(3)?));
    checked(point, what, index, checks)
}

fn checked<C: SWCurveConfig>(
    point: Affine<C>,
    what: &'static str,
    index: usize,
    checks: PointChecks,
) -> Result<Affine<C>, FormatError> {
    if checks == PointChecks::CopiedOnly {
        return Ok(point);
    }
    if !point.is_on_curve() {
        return Err(FormatError::NotOnCurve { what, index });
    }
    if !point.is_in_correct_subgroup_assuming_on_curve() {
        return Err(FormatError::NotInSubgroup { what, index });
    }
    Ok(point)
}

/// Reads one G1 point.
pub fn read_g1(reader: &mut Reader<'_>, what: &'static str) -> Result<G1Affine, FormatError> {
    g1_from_lem(reader.take(G1_BYTES)?, what, 0, PointChecks::Full)
}

/// Reads one G2 point.
pub fn read_g2(reader: &mut Reader<'_>, what: &'static str) -> Result<G2Affine, FormatError> {
    g2_from_lem(reader.take(G2_BYTES)?, what, 0, PointChecks::Full)
}

/// Reads `count` G1 points, checking them in parallel.
pub fn read_g1_points(
    reader: &mut Reader<'_>,
    count: usize,
    what: &'static str,
    checks: PointChecks,
) -> Result<Vec<G1Affine>, FormatError> {
    let bytes = reader.take(
        count
            .checked_mul(G1_BYTES)
            .ok_or(FormatError::Truncated { what })?,
    )?;
    bytes
        .par_chunks_exact(G1_BYTES)
        .enumerate()
        .map(|(index, chunk)| g1_from_lem(chunk, what, index, checks))
        .collect()
}

/// Reads `count` G2 points, checking them in parallel.
pub fn read_g2_points(
    reader: &mut Reader<'_>,
    count: usize,
    what: &'static str,
    checks: PointChecks,
) -> Result<Vec<G2Affine>, FormatError> {
    let bytes = reader.take(
        count
            .checked_mul(G2_BYTES)
            .ok_or(FormatError::Truncated { what })?,
    )?;
    bytes
        .par_chunks_exact(G2_BYTES)
        .enumerate()
        .map(|(index, chunk)| g2_from_lem(chunk, what, index, checks))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::CurveGroup;
    use ark_ff::UniformRand;
    use rand::SeedableRng;

    #[test]
    fn points_round_trip_and_tampering_is_caught() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let g1 = (G1Affine::generator() * Fr::rand(&mut rng)).into_affine();
        let g2 = (G2Affine::generator() * Fr::rand(&mut rng)).into_affine();
        let mut bytes = Vec::new();
        write_g1(&mut bytes, &g1);
        write_g2(&mut bytes, &g2);
        write_g1(&mut bytes, &G1Affine::zero());
        let mut reader = Reader::new(&bytes, "test");
        assert_eq!(read_g1(&mut reader, "a").unwrap(), g1);
        assert_eq!(read_g2(&mut reader, "b").unwrap(), g2);
        assert_eq!(read_g1(&mut reader, "c").unwrap(), G1Affine::zero());
        reader.finish().unwrap();

        // ffjavascript's generator: x = 1, y = 2, i.e. R and 2R mod q.
        let mut generator = Vec::new();
        write_g1(&mut generator, &G1Affine::generator());
        assert_eq!(
            canonical::<Fq>(&generator[..32], "x").unwrap(),
            *MONTGOMERY_R
        );

        let mut off_curve = bytes.clone();
        off_curve[0] ^= 1;
        assert_eq!(
            read_g1(&mut Reader::new(&off_curve, "t"), "a"),
            Err(FormatError::NotOnCurve {
                what: "a",
                index: 0
            })
        );
        let mut too_big = vec![0xff; G1_BYTES];
        too_big[0] = 1;
        assert_eq!(
            read_g1(&mut Reader::new(&too_big, "t"), "a"),
            Err(FormatError::NonCanonical { what: "a" })
        );
    }
}
