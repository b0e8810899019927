//! Checking that one key extends another by exactly one honest-looking
//! contribution (what the service checks before it logs a contribution,
//! and `ceremony verify` checks for each step).

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use rand::RngCore;

use super::against_phase1::check_against_phase1;
use super::contribute::beacon_secret;
use super::transcript::{Hash64, contribution_hash, hash_to_g2, transcript};
use super::{CeremonyError, Result, random_weight, same_ratio};
use crate::iden3::{Contribution, ContributionKind, Ptau, R1cs, Zkey};

/// Checks that `next` is `previous` plus one contribution (a contributor's
/// or a beacon's, whose secret is recomputed),
/// and returns that contribution's hash:
///
/// - the circuit, α, β, γ, IC, A, B₁, B₂ and the coefficients unchanged;
/// - the earlier contributions and the circuit hash unchanged (a key built
///   on a stale key fails here), one contribution more;
/// - its transcript recomputed from the chain, its proof of knowledge
///   (`s·g₁`, `s·x·g₁` against the transcript's G2 point and `x` times it),
///   δ multiplied by that same `x` (and by something other than 1), δ₁ and
///   δ₂ in step;
/// - L and H divided by `x`: a random linear combination of each, paired
///   with δ before and after, agrees (128-bit weights from `rng`).
///
/// # Errors
///
/// The first [`CeremonyError`] found.
pub fn verify_contribution<R: RngCore>(
    previous: &Zkey,
    next: &Zkey,
    rng: &mut R,
) -> Result<Hash64> {
    let (before, after) = match (&previous.mpc, &next.mpc) {
        (Some(before), Some(after)) => (before, after),
        _ => return Err(CeremonyError::NotACeremonyKey),
    };
    unchanged(previous, next)?;
    if after.cs_hash != before.cs_hash {
        return Err(CeremonyError::Changed("the circuit hash"));
    }
    if after.contributions.len() != before.contributions.len() + 1
        || after.contributions[..before.contributions.len()] != before.contributions[..]
    {
        return Err(CeremonyError::DoesNotExtend);
    }
    let contribution = after.contributions.last().expect("one more than before");
    check_step(
        &after.cs_hash,
        &before.contributions,
        contribution,
        previous.pk.delta_g1,
    )?;
    check_delta(next, contribution.delta_after)?;
    check_queries(previous, next, rng)?;
    Ok(contribution_hash(contribution))
}

/// One contribution of a verified ceremony.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedContribution {
    /// The contributor's name (`None` if unnamed).
    pub name: Option<String>,
    /// Contributor or beacon (with its value and iterations).
    pub kind: ContributionKind,
    /// The hash the contributor was told (and can look for).
    pub hash: Hash64,
}

/// Checks a whole phase-2 transcript: `key` must be the phase-2 key of
/// `r1cs` over `ptau` for its δ ([`check_against_phase1`]: α, β, γ, IC, A,
/// B₁, B₂ and the coefficients as `groth16 setup` makes them, L and H
/// divided by δ), and its contributions, checked in order (transcript
/// chain from the key's circuit hash, proof of knowledge, beacon
/// recomputed, δ moved by the proven secret from the generator to the
/// key's). Returns the contributions, oldest first. The key is sound if
/// any one contributor was honest.
///
/// The circuit hash is taken from the key: it only labels the transcript
/// (recomputing it needs the initial L points, [`initial_key`](super::initial_key)'s slowest
/// part); the key's content is what is checked against the circuit.
///
/// # Errors
///
/// The first [`CeremonyError`] found.
pub fn verify_ceremony<R: RngCore>(
    r1cs: &R1cs,
    ptau: &Ptau<'_>,
    key: &Zkey,
    rng: &mut R,
) -> Result<Vec<VerifiedContribution>> {
    let mpc = key.mpc.as_ref().ok_or(CeremonyError::NotACeremonyKey)?;
    check_against_phase1(r1cs, ptau, key, rng)?;
    let mut delta = G1Affine::generator();
    let mut verified = Vec::with_capacity(mpc.contributions.len());
    for (index, contribution) in mpc.contributions.iter().enumerate() {
        check_step(
            &mpc.cs_hash,
            &mpc.contributions[..index],
            contribution,
            delta,
        )
        .map_err(|e| CeremonyError::AtContribution(index + 1, Box::new(e)))?;
        delta = contribution.delta_after;
        verified.push(VerifiedContribution {
            name: contribution.name.clone(),
            kind: contribution.kind.clone(),
            hash: contribution_hash(contribution),
        });
    }
    check_delta(key, delta)?;
    Ok(verified)
}

/// Checks one contribution against the chain before it and δ before it:
/// beacon recomputed, transcript, proof of knowledge, δ moved by the proven
/// secret (and not by 1).
fn check_step(
    cs_hash: &Hash64,
    earlier: &[Contribution],
    contribution: &Contribution,
    delta_before: G1Affine,
) -> Result<()> {
    if let ContributionKind::Beacon {
        iterations_exp,
        hash,
    } = &contribution.kind
    {
        // Anyone can recompute a beacon's secret: it must be that one.
        let (secret, g1_s) = beacon_secret(hash, *iterations_exp)?;
        if contribution.g1_s != g1_s || contribution.g1_sx != (g1_s * secret).into_affine() {
            return Err(CeremonyError::Beacon(
                "the key does not follow from the beacon",
            ));
        }
    }
    let expected = transcript(cs_hash, earlier, &contribution.g1_s, &contribution.g1_sx);
    if contribution.transcript != expected {
        return Err(CeremonyError::Transcript);
    }
    let g2_sp = hash_to_g2(&expected);
    if contribution.g1_s.is_zero()
        || contribution.g1_sx.is_zero()
        || !same_ratio(
            contribution.g1_s,
            contribution.g1_sx,
            g2_sp,
            contribution.g2_spx,
        )
    {
        return Err(CeremonyError::ProofOfKnowledge);
    }
    if contribution.delta_after == delta_before {
        return Err(CeremonyError::Delta(
            "delta is unchanged (the secret was 1)",
        ));
    }
    if !same_ratio(
        delta_before,
        contribution.delta_after,
        g2_sp,
        contribution.g2_spx,
    ) {
        return Err(CeremonyError::Delta(
            "delta was not multiplied by the proven secret",
        ));
    }
    Ok(())
}

/// The key's δ₁ is the chain's last, and δ₂ matches it.
fn check_delta(key: &Zkey, chain_delta: G1Affine) -> Result<()> {
    if key.pk.delta_g1 != chain_delta {
        return Err(CeremonyError::Delta(
            "the key's delta is not the last contribution's",
        ));
    }
    if !same_ratio(
        G1Affine::generator(),
        key.pk.delta_g1,
        G2Affine::generator(),
        key.pk.vk.delta_g2,
    ) {
        return Err(CeremonyError::Delta("delta in G1 and G2 differ"));
    }
    Ok(())
}

/// L and H of `next` are those of `previous` divided by δ's growth: a
/// random linear combination (128-bit weights) paired with each δ₂ agrees.
fn check_queries<R: RngCore>(previous: &Zkey, next: &Zkey, rng: &mut R) -> Result<()> {
    for (what, old, new) in [
        ("L", &previous.pk.l_query, &next.pk.l_query),
        ("H", &previous.pk.h_query, &next.pk.h_query),
    ] {
        if old.len() != new.len() {
            return Err(CeremonyError::Changed(what));
        }
        let weights: Vec<Fr> = (0..old.len()).map(|_| random_weight(rng)).collect();
        let old_sum = G1Projective::msm(old, &weights).map_err(|_| CeremonyError::Changed(what))?;
        let new_sum = G1Projective::msm(new, &weights).map_err(|_| CeremonyError::Changed(what))?;
        // L'ᵢ = Lᵢ/x and δ' = x·δ: e(ΣrL, δ) = e(ΣrL', δ').
        if Bn254::pairing(old_sum, previous.pk.vk.delta_g2)
            != Bn254::pairing(new_sum, next.pk.vk.delta_g2)
        {
            return Err(CeremonyError::QueryNotUpdated(what));
        }
    }
    Ok(())
}

/// Everything but δ, L, H and the contributions is the same.
fn unchanged(previous: &Zkey, next: &Zkey) -> Result<()> {
    let (a, b) = (&previous.pk, &next.pk);
    let checks: [(&'static str, bool); 10] = [
        (
            "the circuit's size",
            (
                previous.num_wires(),
                previous.num_public(),
                previous.domain_size(),
            ) == (next.num_wires(), next.num_public(), next.domain_size()),
        ),
        (
            "the coefficients",
            previous.coefficients == next.coefficients,
        ),
        ("alpha", a.vk.alpha_g1 == b.vk.alpha_g1),
        (
            "beta",
            a.beta_g1 == b.beta_g1 && a.vk.beta_g2 == b.vk.beta_g2,
        ),
        ("gamma", a.vk.gamma_g2 == b.vk.gamma_g2),
        ("IC", a.vk.gamma_abc_g1 == b.vk.gamma_abc_g1),
        ("A", a.a_query == b.a_query),
        ("B1", a.b_g1_query == b.b_g1_query),
        ("B2", a.b_g2_query == b.b_g2_query),
        (
            "L and H sizes",
            a.l_query.len() == b.l_query.len() && a.h_query.len() == b.h_query.len(),
        ),
    ];
    match checks.into_iter().find(|(_, same)| !same) {
        Some((what, _)) => Err(CeremonyError::Changed(what)),
        None => Ok(()),
    }
}
