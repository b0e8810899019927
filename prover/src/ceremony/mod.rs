//! Phase 2 of a Groth16 ceremony, compatible with snarkjs: contributions
//! that anyone can check, so a key is sound if one contributor was honest.
//!
//! - [`contribute`] adds a contribution to a `.zkey` ([`Zkey`](crate::iden3::Zkey)),
//!   [`beacon`] the final one from a public random beacon;
//! - [`initial_key`] computes the starting key from the `.r1cs` and a
//!   prepared `.ptau`, as `snarkjs groth16 setup` does;
//! - [`verify_contribution`] checks that one key extends another by exactly
//!   one valid contribution;
//! - [`verify_ceremony`] checks a whole transcript from the `.r1cs` and
//!   `.ptau` to the final key, as `snarkjs zkey verify` does;
//! - [`transcript`] holds snarkjs' hashes (`hashToG2`, transcripts,
//!   contribution hashes).
//!
//! `snarkjs zkey verify` accepts keys contributed to here, and
//! [`verify_contribution`] accepts contributions made with snarkjs.

mod against_phase1;
mod contribute;
pub(crate) mod ffjs_rng;
mod fixed_scalar;
mod initial;
pub mod transcript;
mod verify;

pub use against_phase1::check_against_phase1;
pub use contribute::{
    MAX_BEACON_ITERATIONS_EXP, MIN_BEACON_ITERATIONS_EXP, beacon, contribute, contribution_rng,
};
pub(crate) use contribute::{beacon_rng, nonzero};
pub use fixed_scalar::mul_by_fixed_scalar;
pub use initial::{initial_key, required_ptau_power};
pub use verify::{VerifiedContribution, verify_ceremony, verify_contribution};

use crate::iden3::FormatError;

/// Why a contribution was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CeremonyError {
    /// A key without phase-2 parameters (section 10).
    #[error("the key has no phase-2 parameters: it does not come from a ceremony")]
    NotACeremonyKey,
    /// Something a contribution must not touch changed.
    #[error("the contribution changed {0}")]
    Changed(&'static str),
    /// The new key does not add exactly one contribution to the current one
    /// (built on a stale key, or earlier contributions altered).
    #[error("the key does not extend the current key by one contribution")]
    DoesNotExtend,
    /// The contribution's transcript is not the chain's.
    #[error("the contribution's transcript does not follow from the earlier contributions")]
    Transcript,
    /// The proof of knowledge of the secret fails.
    #[error("the proof of knowledge of the contribution's secret is wrong")]
    ProofOfKnowledge,
    /// δ was not updated as the proof says.
    #[error("delta: {0}")]
    Delta(&'static str),
    /// L or H was not divided by the secret.
    #[error("the {0} query was not updated with the new delta")]
    QueryNotUpdated(&'static str),
    /// Contribution `n` (from 1) of a transcript failed.
    #[error("contribution #{0}: {1}")]
    AtContribution(usize, Box<CeremonyError>),
    /// The phase-1 file cannot start this circuit's phase 2.
    #[error("phase 1: {0}")]
    Phase1(String),
    /// A beacon with bad parameters, or a key that does not follow from
    /// its beacon.
    #[error("beacon: {0}")]
    Beacon(&'static str),
    /// A key file was refused.
    #[error(transparent)]
    Format(#[from] FormatError),
}

/// `e(a, d) = e(b, c)` with no point at infinity: `b/a = d/c` in the
/// exponent (snarkjs' `sameRatio`, which also refuses the identity, since
/// it would make any ratio hold).
pub(crate) fn same_ratio(
    a: ark_bn254::G1Affine,
    b: ark_bn254::G1Affine,
    c: ark_bn254::G2Affine,
    d: ark_bn254::G2Affine,
) -> bool {
    use ark_ec::AffineRepr;
    use ark_ec::pairing::Pairing;
    use ark_ff::Zero;
    if a.is_zero() || b.is_zero() || c.is_zero() || d.is_zero() {
        return false;
    }
    let negated_b = (-b.into_group()).into();
    ark_bn254::Bn254::multi_pairing([a, negated_b], [d, c]).is_zero()
}

/// A random 128-bit weight for the linear-combination checks: a wrong
/// point survives one with probability about 2⁻¹²⁸.
pub(crate) fn random_weight<R: rand::RngCore>(rng: &mut R) -> ark_bn254::Fr {
    ark_bn254::Fr::from(u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64()))
}

/// Result alias of the ceremony.
pub type Result<T, E = CeremonyError> = std::result::Result<T, E>;
