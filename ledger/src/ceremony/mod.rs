//! The ceremony domain: a multi-party Groth16 setup (phase 2) coordinated
//! through the log, so that a circuit's keys are sound if any one
//! contributor was honest and anyone can check who contributed.
//!
//! | kind         | signed by                          | what it logs |
//! |--------------|------------------------------------|--------------|
//! | `start`      | an authority granted `ceremony/start` | the circuit shape, the phase-1 file (name and BLAKE2b-512, as the Perpetual Powers of Tau publish them), the initial key's digest, who may contribute |
//! | `contribute` | the contributor's own key          | one contribution: its number, the contributor's name, the previous and new key digests, the contribution hash snarkjs prints |
//! | `finalize`   | the authority that started it      | the random beacon (value and iteration exponent) applied last, the final key's digest and its verifying key's digest |
//!
//! The keys themselves (tens of megabytes) live beside the log in
//! content-addressed storage; the log holds their SHA3-256 digests, so a
//! key file served by anyone is checked against the log. Each step names
//! the digest of the key it extends: a step built on a stale key is
//! refused, and of two steps racing for one number exactly one is logged
//! (the service claims the unique key [`step_key`]).
//!
//! [`CeremonyBook`] is pure: it holds the ceremonies replayed from the log
//! and the rules a new record must meet. The cryptographic check of a
//! contribution (pairings, transcript, proof of knowledge) needs the key
//! files and runs in the service before a step is logged, and again in
//! `zkaudit ceremony verify`.

mod book;
mod error;
mod records;

pub use book::{Ceremony, CeremonyBook, Checked, LoggedStep};
pub use error::{CeremonyError, CeremonyResult};
pub use records::{CeremonyStart, Finalisation, Phase1, Step, is_valid_phase1_name};

/// The domain name.
pub const DOMAIN: &str = "ceremony";
/// Kind: an authority opens a ceremony.
pub const START: &str = "start";
/// Kind: a contributor's contribution.
pub const CONTRIBUTE: &str = "contribute";
/// Kind: the coordinator applies the random beacon and closes the ceremony.
pub const FINALIZE: &str = "finalize";
/// Most keys on a ceremony's contributor list (an empty list: anyone).
pub const MAX_CONTRIBUTORS: usize = 1024;
/// Longest contributor or beacon name, in bytes.
pub const MAX_NAME: usize = 64;
/// Longest beacon value, in bytes (snarkjs' limit).
pub const MAX_BEACON: usize = 255;
/// Fewest and most beacon hash iterations, as powers of two (snarkjs' range).
pub const BEACON_ITERATIONS_EXP: std::ops::RangeInclusive<u8> = 10..=63;

/// The unique key a step claims: `ceremony ‖ 0x00 ‖ number (u32 BE)`.
pub fn step_key(ceremony: &str, number: u32) -> Vec<u8> {
    let mut key = ceremony.as_bytes().to_vec();
    key.push(0);
    key.extend_from_slice(&number.to_be_bytes());
    key
}

#[cfg(test)]
mod tests;
