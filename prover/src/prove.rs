//! Single and parallel batch proving.

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, Proof, ProvingKey};
use ark_relations::gr1cs::ConstraintSynthesizer;
use ark_snark::SNARK;
use rand::{CryptoRng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use sha3::{Digest, Sha3_256};

use crate::{CircomReduction, ProverError, Reduction, Result};

/// Domain tag of [`proof_rng`]'s seed derivation.
const PROOF_RNG_TAG: &[u8] = b"zkaudit/v1/groth16-prove-rng\0";

/// Proves one statement, with the QAP reduction `pk` was made for
/// ([`Reduction::of_key`]).
///
/// `rng` supplies the proof's blinding factors `r`, `s`; whoever knows them
/// can strip zero knowledge from the proof, so use a cryptographic RNG
/// (`rand::rngs::OsRng`) outside tests.
///
/// An unsatisfied circuit is not detected here (arkworks only checks it in
/// debug builds): the proof then fails verification.
pub fn prove<C, R>(pk: &ProvingKey<Bn254>, circuit: C, rng: &mut R) -> Result<Proof<Bn254>>
where
    C: ConstraintSynthesizer<Fr>,
    R: RngCore + CryptoRng,
{
    Ok(match Reduction::of_key(pk) {
        Reduction::Circom => {
            <Groth16<Bn254, CircomReduction> as SNARK<Fr>>::prove(pk, circuit, rng)?
        }
        Reduction::Libsnark => <Groth16<Bn254> as SNARK<Fr>>::prove(pk, circuit, rng)?,
    })
}

/// The RNG of proof `index` in a batch seeded with `seed`: ChaCha20 keyed
/// with `SHA3-256(tag ‖ seed ‖ u64le(index))`.
pub fn proof_rng(seed: &[u8; 32], index: usize) -> ChaCha20Rng {
    let mut h = Sha3_256::new();
    h.update(PROOF_RNG_TAG);
    h.update(seed);
    h.update((index as u64).to_le_bytes());
    ChaCha20Rng::from_seed(h.finalize().into())
}

/// Proves many statements in parallel on rayon's pool; proof `i` uses
/// [`proof_rng`]`(seed, i)`. Returns the proofs in the order of `circuits`,
/// or the first failure as [`ProverError::BatchItem`].
///
/// `seed` must be secret and used for one batch only (draw it from
/// `rand::rngs::OsRng`): it determines every proof's blinding factors.
/// Fixed seeds are for tests and reproducible benchmarks.
pub fn prove_batch<C>(
    pk: &ProvingKey<Bn254>,
    circuits: Vec<C>,
    seed: [u8; 32],
) -> Result<Vec<Proof<Bn254>>>
where
    C: ConstraintSynthesizer<Fr> + Send,
{
    prove_batch_with_progress(pk, circuits, seed, |_| {})
}

/// [`prove_batch`], calling `on_done(i)` as soon as proof `i` is made (from
/// worker threads, in completion order), e.g. to advance a progress bar.
pub fn prove_batch_with_progress<C, F>(
    pk: &ProvingKey<Bn254>,
    circuits: Vec<C>,
    seed: [u8; 32],
    on_done: F,
) -> Result<Vec<Proof<Bn254>>>
where
    C: ConstraintSynthesizer<Fr> + Send,
    F: Fn(usize) + Sync,
{
    circuits
        .into_par_iter()
        .enumerate()
        .map(|(index, circuit)| {
            let proof = prove(pk, circuit, &mut proof_rng(&seed, index)).map_err(|e| {
                ProverError::BatchItem {
                    index,
                    source: Box::new(e),
                }
            })?;
            on_done(index);
            Ok(proof)
        })
        .collect()
}
