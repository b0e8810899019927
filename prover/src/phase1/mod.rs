//! Phase 1 of a Groth16 ceremony (powers of tau), compatible with snarkjs,
//! for an operator who cannot or will not start from the public Perpetual
//! Powers of Tau files:
//!
//! - [`new_powers_of_tau`], [`contribute`], [`beacon`]: `snarkjs powersoftau
//!   new`, `contribute` and `beacon`, with the same transcript (challenge,
//!   response and next-challenge hashes, the saved hash state), so
//!   `snarkjs powersoftau verify` accepts the files made here;
//! - [`prepare_phase2`]: the Lagrange sections phase 2 starts from;
//! - [`verify_powers_of_tau`]: the checks of `snarkjs powersoftau verify`,
//!   which accepts files made by snarkjs;
//! - [`hashes`] and [`blake2b`]: the transcript's hashes.
//!
//! Files are held whole in memory, up to power
//! [`MAX_IN_MEMORY_POWER`](crate::iden3::MAX_IN_MEMORY_POWER).

pub mod blake2b;
mod contribute;
pub mod hashes;
mod prepare;
mod verify;

pub use contribute::{beacon, contribute, new_powers_of_tau};
pub use prepare::prepare_phase2;
pub use verify::{VerifiedPhase1Contribution, VerifiedPowersOfTau, verify_powers_of_tau};

use crate::ceremony::transcript::Hash64;
use crate::iden3::{FormatError, MAX_IN_MEMORY_POWER, PowersOfTau};

/// Why a phase-1 file or contribution was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Phase1Error {
    /// A power outside what is supported.
    #[error("power {0} is outside 1 to {MAX_IN_MEMORY_POWER}")]
    Power(u32),
    /// A truncated file (its power below the ceremony's) takes no more
    /// contributions.
    #[error("the file was truncated from a larger ceremony: contribute to the full file")]
    Truncated,
    /// Bad beacon parameters.
    #[error("beacon: {0}")]
    Beacon(&'static str),
    /// A file nobody contributed to is not a setup.
    #[error("the file has no contribution: its secrets are all 1")]
    NoContributions,
    /// Contribution `n` (from 1) fails a check.
    #[error("contribution #{0}: {1}")]
    AtContribution(usize, &'static str),
    /// The file's points are not what the last contribution says.
    #[error("{0}")]
    Powers(&'static str),
    /// The hash chain does not match the file.
    #[error("{0}")]
    Transcript(&'static str),
    /// A level of a Lagrange section is not the inverse FFT of the powers.
    #[error("the Lagrange {series} section, level {level}, does not match the powers")]
    Lagrange {
        /// The series.
        series: &'static str,
        /// The level (domain `2^level`).
        level: u32,
    },
    /// A file was refused.
    #[error(transparent)]
    Format(#[from] FormatError),
}

/// Result alias of phase 1.
pub type Result<T, E = Phase1Error> = std::result::Result<T, E>;

/// The challenge the next contribution to `file` answers: the last
/// contribution's next challenge, or a new file's first challenge.
pub fn current_challenge(file: &PowersOfTau) -> Hash64 {
    file.contributions.last().map_or_else(
        || hashes::first_challenge(file.ceremony_power),
        |last| last.next_challenge,
    )
}
