//! k-of-n threshold ElGamal for elections: a distributed key generation
//! among trustees, partial decryptions with Chaum–Pedersen proofs, their
//! combination, and the bounded discrete log that turns `m·B8` into a count.
//!
//! - [`transcript`]: the Fiat–Shamir transcript (SHA3-256, domain-separated);
//! - [`dleq`]: Chaum–Pedersen proofs of discrete-log equality;
//! - [`dkg`]: Feldman VSS with a Pedersen-style joint key, shares encrypted
//!   to each trustee, publicly decidable complaints and the qualified set;
//! - [`decrypt`]: partial decryptions, Lagrange combination and the tally;
//! - [`dlog`]: baby-step giant-step over `m·B8` for `0 ≤ m ≤ bound`.
//!
//! Trustees are numbered `1..=n`; a secret shared with threshold `k` is
//! recovered from any `k` shares and from no fewer. Nothing here uses OS
//! randomness, threads or clocks: randomness comes from the caller's RNG, so
//! it builds for wasm32 and tests are deterministic.

pub mod decrypt;
pub mod dkg;
pub mod dleq;
pub mod dlog;
pub mod transcript;

use ark_ff::{Field, One};

use crate::babyjubjub::Point;
use crate::elgamal::{ElGamalError, Scalar};

/// The largest number of trustees.
pub const MAX_TRUSTEES: u32 = 32;

/// What can go wrong in the key ceremony, in decryption and in checking
/// either.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ThresholdError {
    /// A point, scalar or ciphertext that failed to decode, or a sum of
    /// ballots of the wrong width.
    #[error(transparent)]
    ElGamal(#[from] ElGamalError),
    /// Parameters outside `1 ≤ k ≤ n ≤ 32`.
    #[error("no {threshold}-of-{trustees} threshold scheme (need 1 ≤ k ≤ n ≤ 32)")]
    InvalidParameters {
        /// The requested threshold `k`.
        threshold: u32,
        /// The requested number of trustees `n`.
        trustees: u32,
    },
    /// A trustee index outside `1..=n`.
    #[error("trustee {index} is not one of trustees 1 to {trustees}")]
    TrusteeOutOfRange {
        /// The index given.
        index: u32,
        /// The number of trustees.
        trustees: u32,
    },
    /// A point outside the prime-order subgroup given to a proof.
    #[error("point is not in BabyJubJub's prime-order subgroup")]
    PointNotInSubgroup,
    /// A Chaum–Pedersen proof that does not verify.
    #[error("Chaum–Pedersen proof does not verify")]
    InvalidProof,
    /// A share that fails the Feldman check against its dealer's
    /// commitments.
    #[error("share does not match the dealer's commitments")]
    InvalidShare,
    /// A dealing with the wrong number of coefficient commitments.
    #[error("expected {expected} commitments, found {found}")]
    CommitmentCount {
        /// The threshold `k`.
        expected: usize,
        /// The number given.
        found: usize,
    },
    /// A dealing with the wrong number of encrypted shares.
    #[error("expected {expected} encrypted shares, found {found}")]
    ShareCount {
        /// The number of trustees `n`.
        expected: usize,
        /// The number given.
        found: usize,
    },
    /// A list of keys that is not one per trustee.
    #[error("expected {expected} keys, one per trustee, found {found}")]
    KeyCount {
        /// The number of trustees `n`.
        expected: usize,
        /// The number given.
        found: usize,
    },
    /// A trustee's registered key that is the identity or outside the
    /// prime-order subgroup.
    #[error("trustee {0}'s key is not a valid encryption key")]
    InvalidTrusteeKey(u32),
    /// A complaint judged against another dealer's dealing.
    #[error("complaint names dealer {complaint}, the dealing is dealer {dealing}'s")]
    DealerMismatch {
        /// The dealer the complaint names.
        complaint: u32,
        /// The dealer of the dealing given.
        dealing: u32,
    },
    /// A trustee index that appears twice where indices must be distinct.
    #[error("trustee {0} appears twice")]
    DuplicateIndex(u32),
    /// A complaint about a dealer that published no dealing.
    #[error("dealer {0} published no dealing")]
    NoDealing(u32),
    /// A key ceremony in which no dealer qualified.
    #[error("no dealer qualified")]
    NoQualifiedDealer,
    /// Fewer than `k` shares or partial decryptions to combine.
    #[error("{needed} shares are needed, {found} given")]
    TooFewShares {
        /// The threshold `k`.
        needed: u32,
        /// The number given.
        found: u32,
    },
    /// A partial decryption for an option the tally does not have.
    #[error("option {option} is not one of the tally's {options} options")]
    OptionOutOfRange {
        /// The option given.
        option: u32,
        /// The number of options.
        options: usize,
    },
    /// A trustee that did not submit a partial decryption for an option.
    #[error("trustee {trustee} has no partial decryption for option {option}")]
    MissingPartial {
        /// The trustee.
        trustee: u32,
        /// The option.
        option: u32,
    },
    /// A trustee that submitted two partial decryptions for an option.
    #[error("trustee {trustee} submitted two partial decryptions for option {option}")]
    DuplicatePartial {
        /// The trustee.
        trustee: u32,
        /// The option.
        option: u32,
    },
    /// Fewer than `k` trustees whose partial decryptions all verify.
    #[error(
        "{needed} trustees with valid partial decryptions are needed, {good} found; rejected: {rejected:?}"
    )]
    NotEnoughGoodPartials {
        /// The threshold `k`.
        needed: u32,
        /// The number of trustees whose partial decryptions all verified.
        good: u32,
        /// The trustees whose partial decryptions were rejected.
        rejected: Vec<u32>,
    },
    /// A bound for the discrete log larger than [`dlog::MAX_BOUND`].
    #[error("discrete log bound {0} is too large")]
    DlogBoundTooLarge(u64),
    /// A decrypted point that is not `m·B8` for any `m` up to the bound.
    #[error("option {option}'s total is not between 0 and {bound}")]
    DlogNotFound {
        /// The option.
        option: u32,
        /// The bound searched.
        bound: u64,
    },
    /// A published count that is not what the partial decryptions give.
    #[error("option {option}'s published count does not match its decryption")]
    CountMismatch {
        /// The option.
        option: u32,
    },
    /// A published tally with a number of counts other than the number of
    /// options.
    #[error("expected {expected} counts, found {found}")]
    CountLength {
        /// The number of options (ciphertexts).
        expected: usize,
        /// The number of counts given.
        found: usize,
    },
}

/// `Result` with [`ThresholdError`] as the default error.
pub type Result<T, E = ThresholdError> = core::result::Result<T, E>;

/// A k-of-n threshold scheme: `n` trustees numbered `1..=n`, any `k` of
/// whom can decrypt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ThresholdParams {
    threshold: u32,
    trustees: u32,
}

impl ThresholdParams {
    /// `threshold`-of-`trustees`.
    ///
    /// # Errors
    ///
    /// [`ThresholdError::InvalidParameters`] unless
    /// `1 ≤ threshold ≤ trustees ≤ MAX_TRUSTEES`.
    pub fn new(threshold: u32, trustees: u32) -> Result<Self> {
        if 1 <= threshold && threshold <= trustees && trustees <= MAX_TRUSTEES {
            Ok(Self {
                threshold,
                trustees,
            })
        } else {
            Err(ThresholdError::InvalidParameters {
                threshold,
                trustees,
            })
        }
    }

    /// The threshold `k`.
    pub fn threshold(&self) -> u32 {
        self.threshold
    }

    /// The number of trustees `n`.
    pub fn trustees(&self) -> u32 {
        self.trustees
    }

    /// Checks that `index` is a trustee, `1 ≤ index ≤ n`.
    ///
    /// # Errors
    ///
    /// [`ThresholdError::TrusteeOutOfRange`] otherwise.
    pub fn check_index(&self, index: u32) -> Result<()> {
        if (1..=self.trustees).contains(&index) {
            Ok(())
        } else {
            Err(ThresholdError::TrusteeOutOfRange {
                index,
                trustees: self.trustees,
            })
        }
    }

    /// Checks that `keys` holds one key per trustee.
    fn check_key_count<T>(&self, keys: &[T]) -> Result<()> {
        if keys.len() == self.trustees as usize {
            Ok(())
        } else {
            Err(ThresholdError::KeyCount {
                expected: self.trustees as usize,
                found: keys.len(),
            })
        }
    }

    /// Checks the trustees' registered encryption keys: one per trustee,
    /// each in the prime-order subgroup and not the identity (a share
    /// encrypted to the identity would be public).
    fn check_trustee_keys(&self, keys: &[Point]) -> Result<()> {
        self.check_key_count(keys)?;
        for (index, key) in (1..).zip(keys) {
            if *key == Point::IDENTITY || !key.is_in_prime_order_subgroup() {
                return Err(ThresholdError::InvalidTrusteeKey(index));
            }
        }
        Ok(())
    }
}

/// The Lagrange coefficients at 0 for the distinct non-zero `indices`:
/// `λ_j = Π_{m ≠ j} m / (m − j)`, so that `f(0) = Σ λ_j·f(j)` for every
/// polynomial `f` of degree below `indices.len()`.
///
/// # Errors
///
/// [`ThresholdError::DuplicateIndex`] if an index repeats,
/// [`ThresholdError::TrusteeOutOfRange`] for index 0.
pub fn lagrange_at_zero(indices: &[u32]) -> Result<Vec<Scalar>> {
    for (position, &index) in indices.iter().enumerate() {
        if index == 0 {
            return Err(ThresholdError::TrusteeOutOfRange {
                index,
                trustees: MAX_TRUSTEES,
            });
        }
        if indices[..position].contains(&index) {
            return Err(ThresholdError::DuplicateIndex(index));
        }
    }
    Ok(indices
        .iter()
        .map(|&j| {
            let (numerator, denominator) = indices.iter().filter(|&&m| m != j).fold(
                (Scalar::one(), Scalar::one()),
                |(num, den), &m| {
                    let m_scalar = Scalar::from(m);
                    (num * m_scalar, den * (m_scalar - Scalar::from(j)))
                },
            );
            numerator * denominator.inverse().expect("indices are distinct")
        })
        .collect())
}

/// A big-endian `u32` from 4 bytes (the caller checks the length).
fn read_u32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes(bytes.try_into().expect("4 bytes"))
}

/// Length-prefixed concatenation, for proof contexts built from several
/// fields (no two different field lists give the same bytes).
fn bind(parts: &[&[u8]]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(parts.iter().map(|part| part.len() + 8).sum());
    for part in parts {
        bytes.extend_from_slice(&(part.len() as u64).to_le_bytes());
        bytes.extend_from_slice(part);
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_bounded() {
        assert!(ThresholdParams::new(1, 1).is_ok());
        assert!(ThresholdParams::new(32, 32).is_ok());
        for (k, n) in [(0, 3), (4, 3), (1, 33), (0, 0)] {
            assert_eq!(
                ThresholdParams::new(k, n),
                Err(ThresholdError::InvalidParameters {
                    threshold: k,
                    trustees: n
                })
            );
        }
        let params = ThresholdParams::new(2, 3).unwrap();
        assert_eq!(params.check_index(3), Ok(()));
        assert!(params.check_index(0).is_err());
        assert!(params.check_index(4).is_err());
    }

    #[test]
    fn lagrange_interpolates_at_zero() {
        // f(x) = 5 + 3x + 2x²
        let f = |x: u32| Scalar::from(5u64 + 3 * u64::from(x) + 2 * u64::from(x) * u64::from(x));
        for indices in [vec![1, 2, 3], vec![2, 4, 5], vec![5, 1, 3, 2]] {
            let lambdas = lagrange_at_zero(&indices).unwrap();
            let at_zero: Scalar = indices.iter().zip(&lambdas).map(|(&j, l)| *l * f(j)).sum();
            assert_eq!(at_zero, Scalar::from(5u64));
        }
        // Two points do not determine a quadratic.
        let lambdas = lagrange_at_zero(&[1, 2]).unwrap();
        assert_ne!(lambdas[0] * f(1) + lambdas[1] * f(2), Scalar::from(5u64));
        assert_eq!(
            lagrange_at_zero(&[1, 2, 1]),
            Err(ThresholdError::DuplicateIndex(1))
        );
        assert!(lagrange_at_zero(&[0, 1]).is_err());
    }

    #[test]
    fn contexts_are_unambiguous() {
        assert_ne!(bind(&[b"ab", b"c"]), bind(&[b"a", b"bc"]));
        assert_ne!(bind(&[b"ab"]), bind(&[b"ab", b""]));
    }
}
