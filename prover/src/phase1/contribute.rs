//! Making a phase-1 file and contributing to it (snarkjs' `powersoftau
//! new`, `contribute` and `beacon`): three fresh secrets τ, α, β multiply
//! every point — `τⁱ·g₁` by `τⁱ`, `α·τⁱ·g₁` by `α·τⁱ`, and so on — with a
//! proof of knowledge of each bound to the challenge.

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{One, Zero};
use rand::{CryptoRng, RngCore};
use rayon::prelude::*;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::hashes::{g2_sp, next_challenge, response_hash, response_state};
use super::{Phase1Error, Result, current_challenge};
use crate::ceremony::transcript::Hash64;
use crate::ceremony::{beacon_rng, nonzero};
use crate::iden3::{
    ContributionKind, KeyPart, MAX_IN_MEMORY_POWER, Phase1Contribution, PowersOfTau, PtauKey,
    level_points, truncate_name,
};

/// A new phase-1 file at `power` (1 to [`MAX_IN_MEMORY_POWER`]): generators
/// in every slot and no contribution, as `snarkjs powersoftau new` writes it.
///
/// # Errors
///
/// [`Phase1Error::Power`] outside that range.
pub fn new_powers_of_tau(power: u32) -> Result<PowersOfTau> {
    if !(1..=MAX_IN_MEMORY_POWER).contains(&power) {
        return Err(Phase1Error::Power(power));
    }
    let n = 1usize << power;
    Ok(PowersOfTau {
        power,
        ceremony_power: power,
        tau_g1: vec![G1Affine::generator(); level_points(power)],
        tau_g2: vec![G2Affine::generator(); n],
        alpha_tau_g1: vec![G1Affine::generator(); n],
        beta_tau_g1: vec![G1Affine::generator(); n],
        beta_g2: G2Affine::generator(),
        contributions: Vec::new(),
        lagrange: None,
    })
}

/// τ, α and β, zeroised when dropped.
#[derive(Zeroize, ZeroizeOnDrop)]
struct Secrets {
    tau: Fr,
    alpha: Fr,
    beta: Fr,
}

impl Secrets {
    fn in_order(&self) -> [&Fr; 3] {
        [&self.tau, &self.alpha, &self.beta]
    }
}

/// Adds one contribution by `name` to `file` with secrets drawn from `rng`
/// (use [`contribution_rng`](crate::ceremony::contribution_rng)); returns
/// the new file and the contribution's response hash, which the contributor
/// publishes. The secrets never leave this function and are zeroised.
///
/// The new file drops any Lagrange sections: prepare it again for phase 2.
///
/// # Errors
///
/// [`Phase1Error::Truncated`] for a truncated file.
pub fn contribute<R: RngCore + CryptoRng>(
    file: &PowersOfTau,
    name: &str,
    rng: &mut R,
) -> Result<(PowersOfTau, Hash64)> {
    let secrets = Secrets {
        tau: nonzero(rng),
        alpha: nonzero(rng),
        beta: nonzero(rng),
    };
    let bases = [0; 3].map(|_| {
        let mut s = nonzero(rng);
        let base = (G1Affine::generator() * s).into_affine();
        s.zeroize();
        base
    });
    apply(file, &secrets, bases, ContributionKind::Contributor, name)
}

/// Adds a contribution whose secrets come from a public random beacon
/// (snarkjs' `powersoftau beacon`): anyone recomputes them from the value
/// and `2^iterations_exp` SHA-256 rounds, so the last word of phase 1 is
/// nobody's choice.
///
/// # Errors
///
/// [`Phase1Error::Beacon`] for bad beacon parameters,
/// [`Phase1Error::Truncated`].
pub fn beacon(
    file: &PowersOfTau,
    name: &str,
    beacon_hash: &[u8],
    iterations_exp: u8,
) -> Result<(PowersOfTau, Hash64)> {
    let (secrets, bases) = beacon_secrets(beacon_hash, iterations_exp)?;
    let kind = ContributionKind::Beacon {
        iterations_exp,
        hash: beacon_hash.to_vec(),
    };
    apply(file, &secrets, bases, kind, name)
}

/// The secrets and proof bases a beacon gives, in snarkjs' draw order
/// (`createPTauKey`: τ, α, β, then one `s·g₁` per secret).
fn beacon_secrets(beacon_hash: &[u8], iterations_exp: u8) -> Result<(Secrets, [G1Affine; 3])> {
    let mut rng = beacon_rng(beacon_hash, iterations_exp).map_err(Phase1Error::Beacon)?;
    let secrets = Secrets {
        tau: rng.field(),
        alpha: rng.field(),
        beta: rng.field(),
    };
    let bases = [rng.g1(), rng.g1(), rng.g1()];
    Ok((secrets, bases))
}

/// The public key a beacon must have on `challenge` (for verification).
pub(super) fn beacon_key(
    challenge: &Hash64,
    beacon_hash: &[u8],
    iterations_exp: u8,
) -> Result<PtauKey> {
    let (secrets, bases) = beacon_secrets(beacon_hash, iterations_exp)?;
    Ok(public_key(challenge, &secrets, bases))
}

fn public_key(challenge: &Hash64, secrets: &Secrets, bases: [G1Affine; 3]) -> PtauKey {
    let mut parts = secrets.in_order().into_iter().zip(bases).enumerate().map(
        |(personalisation, (secret, g1_s))| {
            let g1_sx = (g1_s * secret).into_affine();
            let g2_sp = g2_sp(personalisation as u8, challenge, &g1_s, &g1_sx);
            KeyPart {
                g1_s,
                g1_sx,
                g2_spx: (g2_sp * secret).into_affine(),
            }
        },
    );
    let mut next = || parts.next().expect("three secrets");
    PtauKey {
        tau: next(),
        alpha: next(),
        beta: next(),
    }
}

fn apply(
    file: &PowersOfTau,
    secrets: &Secrets,
    bases: [G1Affine; 3],
    kind: ContributionKind,
    name: &str,
) -> Result<(PowersOfTau, Hash64)> {
    if file.power != file.ceremony_power {
        return Err(Phase1Error::Truncated);
    }
    if secrets.in_order().iter().any(|s| s.is_zero()) {
        return Err(Phase1Error::Beacon("the beacon gives a zero secret"));
    }
    let challenge = current_challenge(file);
    let key = public_key(&challenge, secrets, bases);

    let tau_g1 = scale(&file.tau_g1, Fr::one(), secrets.tau);
    let tau_g2 = scale(&file.tau_g2, Fr::one(), secrets.tau);
    let alpha_tau_g1 = scale(&file.alpha_tau_g1, secrets.alpha, secrets.tau);
    let beta_tau_g1 = scale(&file.beta_tau_g1, secrets.beta, secrets.tau);
    let beta_g2 = (file.beta_g2 * secrets.beta).into_affine();

    let mut next = PowersOfTau {
        power: file.power,
        ceremony_power: file.ceremony_power,
        tau_g1,
        tau_g2,
        alpha_tau_g1,
        beta_tau_g1,
        beta_g2,
        contributions: file.contributions.clone(),
        lagrange: None,
    };
    let state = response_state(&challenge, &next);
    let response = response_hash(&state, &key);
    let contribution = Phase1Contribution {
        tau_g1: next.tau_g1[1],
        tau_g2: next.tau_g2[1],
        alpha_g1: next.alpha_tau_g1[0],
        beta_g1: next.beta_tau_g1[0],
        beta_g2: next.beta_g2,
        key,
        partial_hash: state.to_partial_hash(),
        next_challenge: next_challenge(&response, &next),
        kind,
        name: (!name.is_empty()).then(|| truncate_name(name).to_owned()),
    };
    next.contributions.push(contribution);
    Ok((next, response))
}

/// `first·incⁱ` for `i < n`; the caller zeroises them.
fn powers(first: Fr, inc: Fr, n: usize) -> Vec<Fr> {
    let mut out = Vec::with_capacity(n);
    let mut current = first;
    for _ in 0..n {
        out.push(current);
        current *= inc;
    }
    current.zeroize();
    out
}

/// `points[i]·first·incⁱ`, in parallel (each point made projective first:
/// arkworks multiplies projective BN254 points with the GLV endomorphism,
/// affine ones without).
fn scale<P: AffineRepr<ScalarField = Fr>>(points: &[P], first: Fr, inc: Fr) -> Vec<P> {
    let mut scalars = powers(first, inc, points.len());
    let scaled: Vec<P::Group> = points
        .par_iter()
        .zip(&scalars)
        .map(|(p, s)| p.into_group() * s)
        .collect();
    scalars.zeroize();
    P::Group::normalize_batch(&scaled)
}
