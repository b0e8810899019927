//! Checking a phase-1 file as `snarkjs powersoftau verify` does, and a
//! little more:
//!
//! - every contribution's proofs of knowledge of τ, α and β, on the
//!   challenge of the one before (a beacon's key recomputed from its value);
//! - every contribution's `τ·g₁`, `τ·g₂`, `α·g₁`, `β·g₁`, `β·g₂` the previous
//!   ones times the proven secrets;
//! - the file's points powers of the last contribution's τ (random linear
//!   combinations of successive points, 128-bit weights), starting where
//!   its record says;
//! - the last contribution's saved response-hash state and its next
//!   challenge recomputed from the file (snarkjs checks the challenge only);
//! - once prepared, each level of the Lagrange sections the inverse FFT of
//!   the powers (a random combination checked in both bases).

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::Zero;
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use rand::RngCore;

use super::blake2b::Blake2bState;
use super::contribute::beacon_key;
use super::hashes::{first_challenge, g2_sp, next_challenge, response_hash, response_state};
use super::{Phase1Error, Result};
use crate::ceremony::transcript::Hash64;
use crate::ceremony::{random_weight, same_ratio};
use crate::iden3::{ContributionKind, Phase1Contribution, PowersOfTau};

/// One checked contribution, for a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedPhase1Contribution {
    /// The contributor's name.
    pub name: Option<String>,
    /// Contributor or beacon.
    pub kind: ContributionKind,
    /// Its response hash (what its contributor published).
    pub response_hash: Hash64,
    /// The challenge it left for the next.
    pub next_challenge: Hash64,
}

/// What [`verify_powers_of_tau`] established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedPowersOfTau {
    /// The file's power.
    pub power: u32,
    /// The ceremony's (larger when the file was truncated: its last
    /// challenge could then not be recomputed).
    pub ceremony_power: u32,
    /// The contributions, oldest first.
    pub contributions: Vec<VerifiedPhase1Contribution>,
    /// Whether the Lagrange sections are present (and were checked).
    pub prepared: bool,
}

/// The values a contribution builds on: the previous record's, or a new
/// file's generators and first challenge.
struct Previous {
    tau_g1: G1Affine,
    tau_g2: G2Affine,
    alpha_g1: G1Affine,
    beta_g1: G1Affine,
    beta_g2: G2Affine,
    challenge: Hash64,
}

impl Previous {
    fn initial(ceremony_power: u32) -> Self {
        Self {
            tau_g1: G1Affine::generator(),
            tau_g2: G2Affine::generator(),
            alpha_g1: G1Affine::generator(),
            beta_g1: G1Affine::generator(),
            beta_g2: G2Affine::generator(),
            challenge: first_challenge(ceremony_power),
        }
    }

    fn after(contribution: &Phase1Contribution) -> Self {
        Self {
            tau_g1: contribution.tau_g1,
            tau_g2: contribution.tau_g2,
            alpha_g1: contribution.alpha_g1,
            beta_g1: contribution.beta_g1,
            beta_g2: contribution.beta_g2,
            challenge: contribution.next_challenge,
        }
    }
}

/// Checks a whole phase-1 file (see the module documentation).
///
/// # Errors
///
/// The first [`Phase1Error`] found; [`Phase1Error::NoContributions`] for a
/// file nobody contributed to (its τ is 1).
pub fn verify_powers_of_tau<R: RngCore>(
    file: &PowersOfTau,
    rng: &mut R,
) -> Result<VerifiedPowersOfTau> {
    let last = file
        .contributions
        .last()
        .ok_or(Phase1Error::NoContributions)?;
    let mut previous = Previous::initial(file.ceremony_power);
    let mut contributions = Vec::new();
    for (index, contribution) in file.contributions.iter().enumerate() {
        check_contribution(&previous, contribution)
            .map_err(|what| Phase1Error::AtContribution(index + 1, what))?;
        let state = Blake2bState::from_partial_hash(&contribution.partial_hash).map_err(|_| {
            Phase1Error::AtContribution(index + 1, "its saved hash state is malformed")
        })?;
        contributions.push(VerifiedPhase1Contribution {
            name: contribution.name.clone(),
            kind: contribution.kind.clone(),
            response_hash: response_hash(&state, &contribution.key),
            next_challenge: contribution.next_challenge,
        });
        if index + 1 < file.contributions.len() {
            previous = Previous::after(contribution);
        }
    }

    check_powers(file, last, rng)?;
    if file.power == file.ceremony_power {
        let state = response_state(&previous.challenge, file);
        let saved = Blake2bState::from_partial_hash(&last.partial_hash)
            .map_err(|_| Phase1Error::Transcript("the last saved hash state is malformed"))?;
        if saved.to_partial_hash() != state.to_partial_hash() {
            return Err(Phase1Error::Transcript(
                "the last contribution's saved hash state is not that of the file's points",
            ));
        }
        if next_challenge(&response_hash(&state, &last.key), file) != last.next_challenge {
            return Err(Phase1Error::Transcript(
                "the file's points do not hash to the last contribution's next challenge",
            ));
        }
    }
    if file.lagrange.is_some() {
        check_lagrange(file, rng)?;
    }
    Ok(VerifiedPowersOfTau {
        power: file.power,
        ceremony_power: file.ceremony_power,
        contributions,
        prepared: file.lagrange.is_some(),
    })
}

/// snarkjs' `verifyContribution`: the key proves τ, α, β, and the record's
/// points are the previous ones times them.
fn check_contribution(
    previous: &Previous,
    current: &Phase1Contribution,
) -> std::result::Result<(), &'static str> {
    if let ContributionKind::Beacon {
        iterations_exp,
        hash,
    } = &current.kind
    {
        let expected = beacon_key(&previous.challenge, hash, *iterations_exp)
            .map_err(|_| "its beacon parameters are invalid")?;
        if expected != current.key {
            return Err("its key does not follow from its beacon");
        }
    }
    let key = &current.key;
    let mut sp = [G2Affine::zero(); 3];
    for (personalisation, (part, refusal)) in key
        .parts()
        .into_iter()
        .zip([
            "the proof of knowledge of tau fails",
            "the proof of knowledge of alpha fails",
            "the proof of knowledge of beta fails",
        ])
        .enumerate()
    {
        sp[personalisation] = g2_sp(
            personalisation as u8,
            &previous.challenge,
            &part.g1_s,
            &part.g1_sx,
        );
        if !same_ratio(part.g1_s, part.g1_sx, sp[personalisation], part.g2_spx) {
            return Err(refusal);
        }
    }
    let checks = [
        (
            same_ratio(previous.tau_g1, current.tau_g1, sp[0], key.tau.g2_spx),
            "tau·g1 does not follow the previous contribution",
        ),
        (
            same_ratio(key.tau.g1_s, key.tau.g1_sx, previous.tau_g2, current.tau_g2),
            "tau·g2 does not follow the previous contribution",
        ),
        (
            same_ratio(previous.alpha_g1, current.alpha_g1, sp[1], key.alpha.g2_spx),
            "alpha·g1 does not follow the previous contribution",
        ),
        (
            same_ratio(previous.beta_g1, current.beta_g1, sp[2], key.beta.g2_spx),
            "beta·g1 does not follow the previous contribution",
        ),
        (
            same_ratio(
                key.beta.g1_s,
                key.beta.g1_sx,
                previous.beta_g2,
                current.beta_g2,
            ),
            "beta·g2 does not follow the previous contribution",
        ),
    ];
    match checks.into_iter().find(|(ok, _)| !ok) {
        Some((_, what)) => Err(what),
        None => Ok(()),
    }
}

/// `Σ rᵢ·Pᵢ` and `Σ rᵢ·Pᵢ₊₁` for random `rᵢ`: if each point is τ times the
/// one before, so is the second sum the first.
fn successive<P: AffineRepr<ScalarField = Fr>, R: RngCore>(points: &[P], rng: &mut R) -> (P, P) {
    let weights: Vec<Fr> = (1..points.len()).map(|_| random_weight(rng)).collect();
    let msm = |bases: &[P]| {
        P::Group::msm(bases, &weights)
            .expect("one weight per point")
            .into_affine()
    };
    (msm(&points[..points.len() - 1]), msm(&points[1..]))
}

/// The file's series are powers of the last contribution's τ, times its α
/// and β, starting at the generators and at its record's points.
fn check_powers<R: RngCore>(
    file: &PowersOfTau,
    last: &Phase1Contribution,
    rng: &mut R,
) -> Result<()> {
    let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
    let (a, b) = successive(&file.tau_g1, rng);
    let (c, d) = successive(&file.tau_g2, rng);
    let (e, f) = successive(&file.alpha_tau_g1, rng);
    let (g, h) = successive(&file.beta_tau_g1, rng);
    let checks = [
        (
            same_ratio(a, b, g2, last.tau_g2),
            "the tau·g1 powers do not follow",
        ),
        (
            file.tau_g1[0] == g1 && file.tau_g1[1] == last.tau_g1,
            "tau·g1 does not start at g1 and the last contribution's tau·g1",
        ),
        (
            same_ratio(g1, last.tau_g1, c, d),
            "the tau·g2 powers do not follow",
        ),
        (
            file.tau_g2[0] == g2 && file.tau_g2[1] == last.tau_g2,
            "tau·g2 does not start at g2 and the last contribution's tau·g2",
        ),
        (
            same_ratio(e, f, g2, last.tau_g2),
            "the alpha·tau·g1 powers do not follow",
        ),
        (
            file.alpha_tau_g1[0] == last.alpha_g1,
            "alpha·tau·g1 does not start at the last contribution's alpha·g1",
        ),
        (
            same_ratio(g, h, g2, last.tau_g2),
            "the beta·tau·g1 powers do not follow",
        ),
        (
            file.beta_tau_g1[0] == last.beta_g1,
            "beta·tau·g1 does not start at the last contribution's beta·g1",
        ),
        (
            file.beta_g2 == last.beta_g2,
            "beta·g2 is not the last contribution's",
        ),
    ];
    match checks.into_iter().find(|(ok, _)| !ok) {
        Some((_, what)) => Err(Phase1Error::Powers(what)),
        None => Ok(()),
    }
}

/// Each level `p` of each Lagrange section against the powers: for random
/// `r`, `Σ rⱼ·τʲ` equals `Σ FFT(r)ᵢ·Lᵢ(τ)`.
fn check_lagrange<R: RngCore>(file: &PowersOfTau, rng: &mut R) -> Result<()> {
    let lagrange = file.lagrange.as_ref().expect("checked by the caller");
    let power = file.power;
    check_series(&file.tau_g1, &lagrange.tau_g1, power + 1, "tau·g1", rng)?;
    check_series(&file.tau_g2, &lagrange.tau_g2, power, "tau·g2", rng)?;
    check_series(
        &file.alpha_tau_g1,
        &lagrange.alpha_tau_g1,
        power,
        "alpha·tau·g1",
        rng,
    )?;
    check_series(
        &file.beta_tau_g1,
        &lagrange.beta_tau_g1,
        power,
        "beta·tau·g1",
        rng,
    )
}

fn check_series<P: AffineRepr<ScalarField = Fr>, R: RngCore>(
    powers: &[P],
    lagrange: &[P],
    top: u32,
    series: &'static str,
    rng: &mut R,
) -> Result<()> {
    for level in 0..=top {
        let n = 1usize << level;
        // The top level of τ·g₁ lacks its last power (taken as zero).
        let available = powers.len().min(n);
        let mut weights: Vec<Fr> = (0..n).map(|_| random_weight(rng)).collect();
        weights[available..]
            .iter_mut()
            .for_each(|w| *w = Fr::zero());
        let domain = Radix2EvaluationDomain::<Fr>::new(n).expect("a power-of-two domain");
        let evaluations = domain.fft(&weights);
        let in_powers = P::Group::msm(&powers[..available], &weights[..available])
            .expect("one weight per point");
        let in_lagrange =
            P::Group::msm(&lagrange[n - 1..2 * n - 1], &evaluations).expect("one weight per point");
        if in_powers != in_lagrange {
            return Err(Phase1Error::Lagrange { series, level });
        }
    }
    Ok(())
}
