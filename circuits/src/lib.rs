//! zkaudit's statements: what citizens and authorities prove, each written
//! once natively and once as a circuit, and the election cryptography
//! around them.
//!
//! # Layout
//!
//! One statement is one folder: the native reference in `mod.rs` (types,
//! encodings, and a `check` that refuses a false statement with a reason)
//! beside its R1CS gadget in `constraints.rs`, as arkworks lays out its
//! primitives. Tests show that native and in-circuit values agree, that a
//! tampered witness does not satisfy, and pin each circuit.
//!
//! Groth16 over BN254, for what a holder proves (field elements are
//! [`Fr`], the BN254 scalar field, which is also BabyJubJub's base field):
//!
//! - [`poseidon`]: Poseidon with circomlib's parameters (1 to 15 inputs), equal
//!   bit for bit to circomlib, circomlibjs and poseidon-lite.
//! - [`lean_imt`]: the LeanIMT of Semaphore v4 / `@zk-kit/lean-imt` and an
//!   in-circuit root computation for proofs of any depth up to a maximum.
//! - [`babyjubjub`]: BabyJubJub in circomlib's coordinates, with conversions
//!   to `ark-ed-on-bn254`'s model and in-circuit fixed-base multiplication.
//! - [`identity`]: Semaphore v4 identities (public key, commitment,
//!   nullifier) natively and in-circuit.
//! - [`predicate`]: range and set predicates on unsigned 64-bit attributes.
//! - [`eligibility`]: "my credential is in the registry and its attributes
//!   satisfy these predicates", with a scoped nullifier and a bound message;
//!   its public inputs are its parameters.
//! - [`ballot`]: an eligible voter's encrypted ballot of valid choices
//!   (exponential ElGamal, each option 0 or 1, a bounded number of 1s) in
//!   one proof.
//! - `constraints` (with `r1cs`): the one circuit both statements are proved
//!   with (`StatementCircuit`: parameters as public inputs, the statement's
//!   gadget, the message bound); their constraint systems are pinned by
//!   digest in the tests, since a changed circuit invalidates every key.
//!
//! halo2 (IPA over Pasta, no trusted setup), for what an authority proves:
//!
//! - [`funds`]: hidden expenditure line items and proven per-category
//!   totals, a chunk circuit proved in chained chunks; the verifier
//!   regenerates the key from the code, so the tests pin the verifying keys.
//!
//! The election cryptography, native only:
//!
//! - [`elgamal`]: exponential ElGamal on BabyJubJub with strict byte
//!   encodings of points, scalars and ciphertexts.
//! - [`threshold`]: the trustees' k-of-n key ceremony, partial decryptions
//!   with Chaum–Pedersen proofs, their combination and the bounded discrete
//!   log that yields the counts.
//!
//! # Features
//!
//! - `r1cs`: the R1CS gadgets (every `constraints` module) and the Groth16
//!   circuits, with `ark-r1cs-std`; for crates that prove or synthesise.
//!   Without it the crate is the native references, the halo2 funds circuit
//!   and the election cryptography: what the ledger and the light
//!   (wasm32) verifier need.
//! - `parallel`: funds chunks proved in parallel (rayon) and halo2 on all
//!   cores.
//!
//! Native code reports [`CircuitError`] (the funds statement
//! [`funds::FundsError`], the election cryptography
//! [`elgamal::ElGamalError`] and [`threshold::ThresholdError`]); gadgets
//! report `ark_relations`' `SynthesisError`, as arkworks gadgets do.

use core::str::FromStr;

pub use ark_bn254::Fr;

pub mod babyjubjub;
pub mod ballot;
#[cfg(feature = "r1cs")]
pub mod constraints;
pub mod elgamal;
pub mod eligibility;
pub mod funds;
pub mod identity;
pub mod lean_imt;
pub mod poseidon;
pub mod predicate;
pub mod threshold;

mod error;

pub use error::{CircuitError, Result};

/// Parses a field element from its canonical decimal form.
///
/// Strict, for untrusted input: only ASCII digits, no sign, no leading
/// zeros (except `"0"` itself) and a value below the BN254 scalar field
/// modulus. Everything else is [`CircuitError::InvalidFieldElement`].
pub fn fr_from_decimal(decimal: &str) -> Result<Fr> {
    // The modulus has 77 decimal digits; anything longer is out of range.
    const MAX_DIGITS: usize = 77;
    let well_formed = !decimal.is_empty()
        && decimal.len() <= MAX_DIGITS
        && decimal.bytes().all(|byte| byte.is_ascii_digit());
    if !well_formed {
        return Err(CircuitError::InvalidFieldElement);
    }
    // `from_str` reduces modulo p; the round trip rejects reduced values and
    // leading zeros.
    Fr::from_str(decimal)
        .ok()
        .filter(|element| element.to_string() == decimal)
        .ok_or(CircuitError::InvalidFieldElement)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_parsing_is_canonical() {
        assert_eq!(fr_from_decimal("0"), Ok(Fr::from(0u64)));
        assert_eq!(fr_from_decimal("7919"), Ok(Fr::from(7919u64)));
        let p_minus_1 =
            "21888242871839275222246405745257275088548364400416034343698204186575808495616";
        assert_eq!(fr_from_decimal(p_minus_1), Ok(-Fr::from(1u64)));
        let p = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
        for bad in ["", "01", "-1", "+1", " 1", "1 ", "0x1", "1.0", p] {
            assert_eq!(
                fr_from_decimal(bad),
                Err(CircuitError::InvalidFieldElement),
                "{bad:?}"
            );
        }
    }
}
