//! # zkaudit-prover
//!
//! Groth16 proving over BN254 for zkaudit's holder-side statements: key
//! setup, a key cache on disk, and parallel batch proving.
//!
//! - [`setup_development`] makes circuit-specific keys whose toxic waste
//!   passed through this process: **development keys**. Production keys come
//!   from a multi-party ceremony (one honest contributor suffices): a
//!   snarkjs `.zkey` ([`iden3::Zkey`]) imported with [`KeyCache::import`].
//! - Keys use snarkjs' QAP reduction ([`CircomReduction`]), so `.zkey`
//!   files prove here and `.r1cs` exports ([`iden3::R1cs`]) are the keys'
//!   circuits; keys made before it still prove ([`Reduction::of_key`]).
//! - [`KeyCache`] stores keys per circuit shape with a manifest carrying the
//!   verifying key's digest, which the log records as authoritative.
//! - [`phase1`] and [`ceremony`] run both phases of a multi-party setup,
//!   file-compatible with snarkjs.
//! - [`prove`] makes one proof; [`prove_batch`] many, in parallel on rayon's
//!   pool, with per-proof randomness derived from one secret seed.
//!
//! Everything is generic over `C: ConstraintSynthesizer<Fr>`: the prover
//! knows circuits only through their synthesizers. Verification lives in
//! [`zkaudit_verifier::groth16`]. Proving is CPU-bound: call it from
//! `spawn_blocking` or a rayon pool, never on an async runtime's workers.

pub mod ceremony;
mod error;
pub mod iden3;
mod keys;
pub mod phase1;
mod prove;
mod reduction;

pub use ark_bn254::{Bn254, Fr};
pub use ark_groth16::{Proof, ProvingKey, VerifyingKey};
pub use error::{ProverError, Result};
pub use keys::{
    KEY_MANIFEST_FORMAT, KeyCache, KeyManifest, Keys, ZkeySource, read_untrusted_proving_key,
    setup_development,
};
pub use prove::{proof_rng, prove, prove_batch, prove_batch_with_progress};
pub use reduction::{CircomReduction, Reduction};
pub use zkaudit_verifier::groth16::PreparedKey;
