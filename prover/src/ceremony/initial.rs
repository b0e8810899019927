//! The ceremony's starting key: a circuit's Groth16 key over a phase-1
//! powers of tau with γ = δ = 1, exactly as `snarkjs groth16 setup`
//! (`zkey new`) computes it, circuit hash included — so anyone can
//! recompute it from the public `.r1cs` and `.ptau` and check that a
//! ceremony started where it says.

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::Zero;
use ark_groth16::{ProvingKey, VerifyingKey};
use blake2::{Blake2b512, Digest};
use rayon::prelude::*;

use super::transcript::{Hash64, g1_uncompressed, g2_uncompressed};
use super::{CeremonyError, Result};
use crate::iden3::{MpcParams, Ptau, R1cs, Zkey};

/// Per wire, the `(row, coefficient)` terms of one matrix.
type WireTerms = Vec<Vec<(usize, Fr)>>;

/// snarkjs hashes the H points in chunks of this many (see [`h_hash_points`]).
const H_HASH_CHUNK: usize = 1 << 14;

/// The initial phase-2 key of `r1cs` over the prepared `ptau`.
///
/// # Errors
///
/// [`CeremonyError::Phase1`] if the `.ptau` is not prepared for phase 2
/// or too small for the circuit; [`CeremonyError::Format`] for bad points.
pub fn initial_key(r1cs: &R1cs, ptau: &Ptau<'_>) -> Result<Zkey> {
    if !ptau.is_prepared() {
        return Err(CeremonyError::Phase1(
            "the .ptau is not prepared for phase 2 (snarkjs powersoftau prepare phase2)".into(),
        ));
    }
    let n = r1cs.domain_size();
    let power = n.trailing_zeros();
    if power > ptau.power {
        return Err(CeremonyError::Phase1(format!(
            "the circuit needs a .ptau of power {power}; this one has {}",
            ptau.power
        )));
    }
    let tau_g1 = ptau.lagrange_g1(12, power, "tau G1 (Lagrange)")?;
    let tau_g2 = ptau.lagrange_g2(13, power, "tau G2 (Lagrange)")?;
    let alpha_tau = ptau.lagrange_g1(14, power, "alpha tau G1 (Lagrange)")?;
    let beta_tau = ptau.lagrange_g1(15, power, "beta tau G1 (Lagrange)")?;
    let alpha_g1 = ptau.g1(4, 0, 1, "alpha G1")?[0];
    let beta_g1 = ptau.g1(5, 0, 1, "beta G1")?[0];
    let beta_g2 = ptau.g2(6, 0, 1, "beta G2")?[0];

    let [a, b, c] = wire_terms(r1cs);
    let a_query = G1Projective::normalize_batch(&combine(&tau_g1, &a));
    let b_g1_query = G1Projective::normalize_batch(&combine(&tau_g1, &b));
    let b_g2_query = G2Projective::normalize_batch(&combine(&tau_g2, &b));
    // βA + αB + C: IC for the public wires, L for the rest.
    let abc: Vec<G1Projective> = combine(&beta_tau, &a)
        .into_par_iter()
        .zip(combine(&alpha_tau, &b))
        .zip(combine(&tau_g1, &c))
        .map(|((a, b), c)| a + b + c)
        .collect();
    let mut abc = G1Projective::normalize_batch(&abc);
    let l_query = abc.split_off(r1cs.num_public + 1);
    let ic = abc;
    let h_query: Vec<G1Affine> = ptau
        .lagrange_g1(12, power + 1, "tau G1 (Lagrange, doubled domain)")?
        .into_iter()
        .skip(1)
        .step_by(2)
        .collect();

    let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
    let pk = ProvingKey {
        vk: VerifyingKey {
            alpha_g1,
            beta_g2,
            gamma_g2: g2,
            delta_g2: g2,
            gamma_abc_g1: ic,
        },
        beta_g1,
        delta_g1: g1,
        a_query,
        b_g1_query,
        b_g2_query,
        h_query,
        l_query,
    };
    let cs_hash = circuit_hash(&pk, &h_hash_points(ptau, n)?);
    Ok(Zkey {
        pk,
        coefficients: crate::iden3::snarkjs_coefficients(r1cs),
        mpc: Some(MpcParams {
            cs_hash,
            contributions: Vec::new(),
        }),
    })
}

/// Transposes the matrices to per-wire terms, with the input rows
/// (`input · 1 = 0`, one per public wire, after the constraints) in A.
fn wire_terms(r1cs: &R1cs) -> [WireTerms; 3] {
    let mut out: [WireTerms; 3] = std::array::from_fn(|_| vec![Vec::new(); r1cs.num_wires()]);
    for (matrix, terms) in r1cs.matrices.iter().zip(&mut out) {
        for (row, entries) in matrix.iter().enumerate() {
            for (coefficient, wire) in entries {
                terms[*wire].push((row, *coefficient));
            }
        }
    }
    let first_input_row = r1cs.num_constraints();
    for (input, terms) in out[0][..=r1cs.num_public].iter_mut().enumerate() {
        terms.push((first_input_row + input, Fr::from(1u64)));
    }
    out
}

/// Wires with at least this many terms are summed by a Pippenger MSM: the
/// constant wire, above all, which carries every constant of the circuit
/// (Poseidon's round constants) as a coefficient.
const PIPPENGER_FROM: usize = 32;

/// `Σ coefficient · bases[row]` for every wire: light wires in parallel,
/// each serially ([`msm`]); heavy ones one after the other, each by
/// arkworks' parallel MSM (nested inside a parallel loop it overflowed
/// worker stacks).
fn combine<P>(bases: &[P], wires: &WireTerms) -> Vec<P::Group>
where
    P: AffineRepr<ScalarField = Fr>,
    P::Group: VariableBaseMSM<MulBase = P>,
{
    let mut sums: Vec<P::Group> = wires
        .par_iter()
        .map(|terms| {
            if terms.len() < PIPPENGER_FROM {
                msm(bases, terms)
            } else {
                P::Group::zero()
            }
        })
        .collect();
    for (sum, terms) in sums.iter_mut().zip(wires) {
        if terms.len() >= PIPPENGER_FROM {
            let points: Vec<P> = terms.iter().map(|(row, _)| bases[*row]).collect();
            let scalars: Vec<Fr> = terms.iter().map(|(_, c)| *c).collect();
            *sum = P::Group::msm(&points, &scalars).expect("one scalar per point");
        }
    }
    sums
}

/// `Σ coefficient · bases[row]`, serially (see [`combine`]): most
/// coefficients are ±1, which cost an addition.
fn msm<P: AffineRepr<ScalarField = Fr>>(bases: &[P], terms: &[(usize, Fr)]) -> P::Group {
    let (one, minus_one) = (Fr::from(1u64), -Fr::from(1u64));
    let mut sum = P::Group::zero();
    for (row, coefficient) in terms {
        let base = bases[*row];
        if *coefficient == one {
            sum += base;
        } else if *coefficient == minus_one {
            sum -= base;
        } else {
            sum += base * coefficient;
        }
    }
    sum
}

/// The smallest power of a prepared phase-1 file from which a
/// snarkjs-compatible initial key for a domain of `n` points can be made:
/// `log₂ n`, and one more from `n = 2^15` up, where snarkjs' H hash reads
/// one point past the domain (see `h_hash_points`).
pub fn required_ptau_power(n: usize) -> u32 {
    let power = n.trailing_zeros();
    if n > H_HASH_CHUNK { power + 1 } else { power }
}

/// The points snarkjs hashes in place of H: `τ^(i+n)·g₁ − τⁱ·g₁` (the
/// monomial-basis H of arkworks' reduction), for `i` in chunks of 2^14
/// that each count `min(n − 1, 2^14)` points — so for `n ≥ 2^15` the last
/// chunk runs one point past `n − 2` (snarkjs then needs a `.ptau` of
/// power above the circuit's, or it reads past its section).
fn h_hash_points(ptau: &Ptau<'_>, n: usize) -> Result<Vec<G1Affine>> {
    let per_chunk = (n - 1).min(H_HASH_CHUNK);
    let indices: Vec<usize> = (0..n - 1)
        .step_by(H_HASH_CHUNK)
        .flat_map(|start| start..start + per_chunk)
        .collect();
    let last = indices.last().map_or(0, |i| i + n);
    let available = 2 * (1usize << ptau.power) - 1;
    if last >= available {
        return Err(CeremonyError::Phase1(format!(
            "snarkjs needs a .ptau of power above {} for a domain of 2^{}",
            ptau.power,
            n.trailing_zeros()
        )));
    }
    let powers = ptau.g1(2, 0, last + 1, "tau G1")?;
    let diffs: Vec<G1Projective> = indices
        .par_iter()
        .map(|i| powers[i + n].into_group() - powers[*i])
        .collect();
    Ok(G1Projective::normalize_batch(&diffs))
}

/// snarkjs' circuit hash (`csHash`): BLAKE2b-512 over the header points,
/// then IC, the H stand-ins, L, A, B₁ and B₂, each list preceded by its
/// length as a big-endian `u32`, every point uncompressed.
fn circuit_hash(pk: &ProvingKey<ark_bn254::Bn254>, h_points: &[G1Affine]) -> Hash64 {
    let mut hasher = Blake2b512::new();
    hasher.update(g1_uncompressed(&pk.vk.alpha_g1));
    hasher.update(g1_uncompressed(&pk.beta_g1));
    hasher.update(g2_uncompressed(&pk.vk.beta_g2));
    hasher.update(g2_uncompressed(&pk.vk.gamma_g2));
    hasher.update(g1_uncompressed(&pk.delta_g1));
    hasher.update(g2_uncompressed(&pk.vk.delta_g2));
    let g1_list = |hasher: &mut Blake2b512, count: usize, points: &[G1Affine]| {
        hasher.update((count as u32).to_be_bytes());
        for p in points {
            hasher.update(g1_uncompressed(p));
        }
    };
    g1_list(&mut hasher, pk.vk.gamma_abc_g1.len(), &pk.vk.gamma_abc_g1);
    g1_list(&mut hasher, pk.h_query.len() - 1, h_points);
    g1_list(&mut hasher, pk.l_query.len(), &pk.l_query);
    g1_list(&mut hasher, pk.a_query.len(), &pk.a_query);
    g1_list(&mut hasher, pk.b_g1_query.len(), &pk.b_g1_query);
    hasher.update((pk.b_g2_query.len() as u32).to_be_bytes());
    for p in &pk.b_g2_query {
        hasher.update(g2_uncompressed(p));
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Up to 2^14 the H hash stays inside a phase-1 file of the domain's
    /// power; from 2^15 it reads `τ^(2n − 1)`, one point past a file of
    /// power `log₂ n` (`2n − 1` powers), so one more power is needed.
    #[test]
    fn snarkjs_needs_one_more_power_from_2_15() {
        for (n, power) in [(1 << 10, 10), (1 << 14, 14), (1 << 15, 16), (1 << 16, 17)] {
            assert_eq!(required_ptau_power(n), power, "2^{}", n.trailing_zeros());
        }
    }
}
