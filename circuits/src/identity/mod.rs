//! Semaphore v4 identities.
//!
//! An identity is a secret scalar `s` with `0 ≤ s < l` (BabyJubJub's
//! subgroup order). Its public key is `s·Base8` in circomlib's BabyJubJub
//! coordinates, its commitment (the registry leaf of Semaphore) is
//! `Poseidon(pk.x, pk.y)`, and its nullifier for a scope is
//! `Poseidon(scope, s)`, as `@semaphore-protocol/identity` 4 and Semaphore's
//! circuit compute them.
//!
//! Semaphore derives the secret scalar from a private key with BLAKE-512;
//! this crate starts from the secret scalar.
//!
//! The bound `s < l` matters: `s` and `s + l` have the same public key but
//! different nullifiers, so without it one identity could claim twice per
//! scope. The gadget enforces it, as Semaphore's circuit does.

#[cfg(feature = "r1cs")]
pub mod constraints;

use core::fmt;

use ark_ff::{PrimeField, UniformRand};
use ark_std::rand::Rng;

use crate::babyjubjub::{BASE8, Point, SUBGROUP_ORDER};
use crate::poseidon::poseidon_hash_pair;
use crate::{CircuitError, Fr, Result};

/// The number of bits of a secret scalar (`l < 2²⁵¹`).
pub const SECRET_SCALAR_BITS: usize = 251;

/// A Semaphore v4 identity: a secret scalar and its public key.
///
/// `Debug` shows the public key only.
#[derive(Clone, PartialEq, Eq)]
pub struct Identity {
    secret_scalar: Fr,
    public_key: Point,
}

impl Identity {
    /// The identity of `secret_scalar`, as a BN254 scalar field element
    /// below BabyJubJub's subgroup order `l`.
    ///
    /// # Errors
    ///
    /// [`CircuitError::SecretScalarOutOfRange`] if `secret_scalar ≥ l`.
    pub fn from_secret_scalar(secret_scalar: Fr) -> Result<Self> {
        let scalar = secret_scalar.into_bigint();
        if scalar >= SUBGROUP_ORDER {
            return Err(CircuitError::SecretScalarOutOfRange);
        }
        Ok(Self {
            secret_scalar,
            public_key: BASE8.mul_bigint(scalar),
        })
    }

    /// A fresh identity with a uniformly random secret scalar.
    pub fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        let scalar = ark_ed_on_bn254::Fr::rand(rng).into_bigint();
        let secret_scalar = Fr::from_bigint(scalar).expect("l is smaller than the BN254 modulus");
        Self::from_secret_scalar(secret_scalar).expect("the scalar is below l")
    }

    /// The secret scalar.
    pub fn secret_scalar(&self) -> Fr {
        self.secret_scalar
    }

    /// The public key `secret·Base8` in circomlib coordinates.
    pub fn public_key(&self) -> Point {
        self.public_key
    }

    /// The identity commitment `Poseidon(pk.x, pk.y)`.
    pub fn commitment(&self) -> Fr {
        poseidon_hash_pair(self.public_key.x(), self.public_key.y())
    }

    /// The nullifier for `scope`: `Poseidon(scope, secret)`.
    pub fn nullifier(&self, scope: Fr) -> Fr {
        poseidon_hash_pair(scope, self.secret_scalar)
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}
