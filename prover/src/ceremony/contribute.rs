//! Making a phase-2 contribution: a fresh secret `x` multiplies δ and
//! divides the L and H queries, with a proof of knowledge of `x` bound to
//! the transcript (snarkjs' `zkey contribute`).

use ark_bn254::{Fr, G1Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{Field, UniformRand, Zero};
use blake2::{Blake2b512, Digest};
use rand::{CryptoRng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use zeroize::Zeroize;

use sha2::Sha256;

use super::ffjs_rng::FfjsRng;
use super::transcript::{Hash64, contribution_hash, hash_to_g2, transcript};
use super::{CeremonyError, Result};
use crate::iden3::{Contribution, ContributionKind, Zkey, truncate_name};

/// The randomness of one contribution: ChaCha20 keyed with
/// BLAKE2b-512(64 bytes of OS randomness ‖ `typed`), so the contribution is
/// secret if either source is. `typed` is whatever the contributor typed or
/// rolled; it may be empty.
pub fn contribution_rng(typed: &[u8]) -> ChaCha20Rng {
    let mut os = [0u8; 64];
    rand::rngs::OsRng.fill_bytes(&mut os);
    let mut hasher = Blake2b512::new();
    hasher.update(os);
    hasher.update(typed);
    let mut digest: [u8; 64] = hasher.finalize().into();
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&digest[..32]);
    let rng = ChaCha20Rng::from_seed(seed);
    os.zeroize();
    digest.zeroize();
    seed.zeroize();
    rng
}

/// Adds one contribution by `name` to `key` with secrets drawn from `rng`
/// (use [`contribution_rng`]); returns the new key and its contribution
/// hash. The secret never leaves this function and is zeroised before it
/// returns.
///
/// # Errors
///
/// [`CeremonyError::NotACeremonyKey`] for a key without phase-2 parameters.
pub fn contribute<R: RngCore + CryptoRng>(
    key: &Zkey,
    name: &str,
    rng: &mut R,
) -> Result<(Zkey, Hash64)> {
    let mut secret = nonzero(rng);
    let mut s = nonzero(rng);
    let g1_s = (G1Affine::generator() * s).into_affine();
    s.zeroize();
    let result = apply(key, &secret, g1_s, ContributionKind::Contributor, name);
    secret.zeroize();
    result
}

/// The fewest hash iterations (as a power of two) snarkjs accepts for a
/// beacon.
pub const MIN_BEACON_ITERATIONS_EXP: u8 = 10;
/// The most.
pub const MAX_BEACON_ITERATIONS_EXP: u8 = 63;

/// Finalises `key` with a public random beacon (snarkjs' `zkey beacon`):
/// the "secret" is derived from `beacon_hash` (1 to 255 bytes, e.g. a
/// future block hash or a lottery draw announced in advance) by
/// `2^iterations_exp` rounds of SHA-256, so anyone can recompute it and no
/// contributor could have predicted it.
///
/// # Errors
///
/// [`CeremonyError::Beacon`] for an empty or long hash or an exponent
/// outside 10 to 63; [`CeremonyError::NotACeremonyKey`].
pub fn beacon(
    key: &Zkey,
    name: &str,
    beacon_hash: &[u8],
    iterations_exp: u8,
) -> Result<(Zkey, Hash64)> {
    let (secret, g1_s) = beacon_secret(beacon_hash, iterations_exp)?;
    let kind = ContributionKind::Beacon {
        iterations_exp,
        hash: beacon_hash.to_vec(),
    };
    apply(key, &secret, g1_s, kind, name)
}

/// The beacon's secret and `s·g₁`, as snarkjs derives them (the first two
/// draws of [`beacon_rng`]).
pub(super) fn beacon_secret(beacon_hash: &[u8], iterations_exp: u8) -> Result<(Fr, G1Affine)> {
    let mut rng = beacon_rng(beacon_hash, iterations_exp).map_err(CeremonyError::Beacon)?;
    let secret = rng.field::<Fr>();
    Ok((secret, rng.g1()))
}

/// snarkjs' `rngFromBeaconParams`: SHA-256 iterated `2^iterations_exp`
/// times over the beacon value, then ffjavascript's ChaCha draws keyed
/// with the result — the same for phase 1 and phase 2.
///
/// # Errors
///
/// Why the parameters are refused: an empty or long value, or an exponent
/// outside 10 to 63.
pub(crate) fn beacon_rng(
    beacon_hash: &[u8],
    iterations_exp: u8,
) -> std::result::Result<FfjsRng, &'static str> {
    if beacon_hash.is_empty() || beacon_hash.len() > 255 {
        return Err("the beacon hash must be 1 to 255 bytes");
    }
    if !(MIN_BEACON_ITERATIONS_EXP..=MAX_BEACON_ITERATIONS_EXP).contains(&iterations_exp) {
        return Err("the iteration exponent must be 10 to 63");
    }
    let mut hash = beacon_hash.to_vec();
    for _ in 0..(1u64 << iterations_exp) {
        hash = Sha256::digest(&hash).to_vec();
    }
    Ok(FfjsRng::from_hash(&hash))
}

/// Applies `secret` to `key` as one contribution with proof-of-knowledge
/// base `g1_s`.
fn apply(
    key: &Zkey,
    secret: &Fr,
    g1_s: G1Affine,
    kind: ContributionKind,
    name: &str,
) -> Result<(Zkey, Hash64)> {
    let mpc = key.mpc.as_ref().ok_or(CeremonyError::NotACeremonyKey)?;
    if secret.is_zero() {
        return Err(CeremonyError::Delta("a zero secret"));
    }
    let g1_sx = (g1_s * secret).into_affine();
    let transcript = transcript(&mpc.cs_hash, &mpc.contributions, &g1_s, &g1_sx);
    let g2_spx = (hash_to_g2(&transcript) * secret).into_affine();

    let mut next = key.clone();
    next.pk.delta_g1 = (key.pk.delta_g1 * secret).into_affine();
    next.pk.vk.delta_g2 = (key.pk.vk.delta_g2 * secret).into_affine();
    let mut inverse = secret.inverse().expect("the secret is not zero");
    next.pk.l_query = scale(&key.pk.l_query, inverse);
    next.pk.h_query = scale(&key.pk.h_query, inverse);
    inverse.zeroize();

    let contribution = Contribution {
        delta_after: next.pk.delta_g1,
        g1_s,
        g1_sx,
        g2_spx,
        transcript,
        kind,
        name: (!name.is_empty()).then(|| truncate_name(name).to_owned()),
    };
    let hash = contribution_hash(&contribution);
    next.mpc
        .as_mut()
        .expect("cloned from a key with parameters")
        .contributions
        .push(contribution);
    Ok((next, hash))
}

/// A uniformly random non-zero scalar.
pub(crate) fn nonzero<R: RngCore + CryptoRng>(rng: &mut R) -> Fr {
    loop {
        let value = Fr::rand(rng);
        if !value.is_zero() {
            return value;
        }
    }
}

/// `factor · p` for every point, in parallel.
pub(super) fn scale(points: &[G1Affine], factor: Fr) -> Vec<G1Affine> {
    super::mul_by_fixed_scalar(points, factor)
}
