//! Batch verification: many Groth16 proofs under one key, one multi-pairing.
//!
//! A Groth16 proof `(A, B, C)` for public inputs `x` verifies when
//!
//! ```text
//! e(A, B) = e(α, β) · e(L(x), γ) · e(C, δ),   L(x) = IC₀ + Σⱼ xⱼ·ICⱼ.
//! ```
//!
//! A batch checks `n` proofs at once with nonzero weights `rᵢ` of 128 bits:
//!
//! ```text
//! Πᵢ e(rᵢ·Aᵢ, Bᵢ) · e(Σᵢ rᵢ·L(xᵢ), −γ) · e(Σᵢ rᵢ·Cᵢ, −δ) · e((Σᵢ rᵢ)·α, −β) = 1
//! ```
//!
//! as one multi-Miller loop over `n + 3` pairs and one final exponentiation.
//! `Σᵢ rᵢ·L(xᵢ)` is a single multi-scalar multiplication over the key's `IC`
//! with scalars `(Σᵢ rᵢ, Σᵢ rᵢ·xᵢ₁, …)`.
//!
//! **Why a batch is sound.** Write `Dᵢ = e(Aᵢ,Bᵢ) · e(L(xᵢ),γ)⁻¹ ·
//! e(Cᵢ,δ)⁻¹ · e(α,β)⁻¹ = g^{dᵢ}` in the target group of prime order `q`;
//! proof `i` is valid iff `dᵢ = 0`, and the batch equation is
//! `Σᵢ rᵢ·dᵢ = 0 (mod q)`. If some `dₖ ≠ 0`, then for any fixed choice of the
//! other weights exactly one residue of `rₖ` satisfies it, and a weight the
//! prover cannot predict hits it with probability at most `2⁻¹²⁸` (its
//! `2¹²⁸` values are distinct mod `q > 2¹²⁸`). A batch of one is exact:
//! `r·d = 0` with `0 < r < q` means `d = 0`. The argument needs the points
//! in their prime-order groups, which the decoders guarantee.
//!
//! The weights come from one of two places:
//!
//! - [`verify_batch`]: **Fiat–Shamir**, for verifiers that have no secret
//!   randomness or must be reproducible (bundles, browsers). SHA3-256 over
//!   [`BATCH_SEED_TAG`], the [`vk_digest`](super::vk_digest) and every
//!   public input and proof of the batch, injectively encoded (lengths,
//!   fixed-width elements): the weights are fixed only after every proof
//!   is, and a prover who wants an invalid proof to pass must find a batch
//!   whose hash yields a bad weight, which succeeds with probability at
//!   most `Q·2⁻¹²⁸` after `Q` hash evaluations (SHA3-256 as a random
//!   oracle).
//! - [`verify_weighted`]: **the caller's secret**, for an online verifier
//!   (the service). Each proof is weighted by [`WeightedProof::new`] as it
//!   arrives, with a weight drawn uniformly from the nonzero 128-bit
//!   integers by a cryptographic generator after the proof was received and
//!   never revealed; its share of the batch (`rᵢ·Aᵢ`, `Bᵢ` prepared for the
//!   Miller loop, `rᵢ·xᵢ`) is computed then, on the thread that received
//!   it, so the batch itself is only sums, one multi-Miller loop and one
//!   final exponentiation. A prover sees only whether its proof was
//!   accepted, so each weight stays unpredictable: at most `2⁻¹²⁸` per
//!   invalid proof, without the hash's `Q`.
//!
//! On failure both locate the invalid proofs by bisection, with the same
//! kind of check on halves, down to single proofs.

use core::fmt;
use std::num::NonZeroU128;

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{BigInt, Zero};
use ark_groth16::Proof;
use sha3::{Digest, Sha3_256};

use super::{BATCH_SEED_TAG, PreparedKey, encode_field, encode_proof, verify};
use crate::{Result, VerifyError};

type G2Prepared = <Bn254 as Pairing>::G2Prepared;

/// Batches of at most this many proofs are located by single checks.
const SINGLE_CHECK_THRESHOLD: usize = 2;

/// The weight's 128 bits as the limbs of a scalar.
fn weight_limbs(r: u128) -> [u64; 2] {
    [r as u64, (r >> 64) as u64]
}

/// The terms of one batch equation, added proof by proof.
struct BatchSum {
    /// `(Σ rᵢ, Σ rᵢ·xᵢ₁, …)`, the scalars of `Σᵢ rᵢ·L(xᵢ)` over `IC`.
    ic_scalars: Vec<Fr>,
    /// The G1 side of the multi-Miller loop: `rᵢ·Aᵢ`, then the three sums.
    g1: Vec<G1Projective>,
    /// The G2 side: `Bᵢ` prepared, then `−γ`, `−δ`, `−β`.
    g2: Vec<G2Prepared>,
    /// `Cᵢ` and their weights, for `Σᵢ rᵢ·Cᵢ`.
    c: Vec<G1Affine>,
    weights: Vec<BigInt<4>>,
}

impl BatchSum {
    fn new(key: &PreparedKey, n: usize) -> Self {
        Self {
            ic_scalars: vec![Fr::zero(); key.num_public_inputs() + 1],
            g1: Vec::with_capacity(n + 3),
            g2: Vec::with_capacity(n + 3),
            c: Vec::with_capacity(n),
            weights: Vec::with_capacity(n),
        }
    }

    /// Adds one proof: its weight `r`, its inputs already weighted
    /// (`r·xⱼ`, as many as the key has), `r·A`, `B` prepared and `C`.
    fn add(
        &mut self,
        weight: u128,
        weighted_inputs: impl IntoIterator<Item = Fr>,
        weighted_a: G1Projective,
        b: G2Prepared,
        c: G1Affine,
    ) {
        self.ic_scalars[0] += Fr::from(weight);
        for (acc, rx) in self.ic_scalars[1..].iter_mut().zip(weighted_inputs) {
            *acc += rx;
        }
        self.g1.push(weighted_a);
        self.g2.push(b);
        self.c.push(c);
        let [low, high] = weight_limbs(weight);
        self.weights.push(BigInt::<4>([low, high, 0, 0]));
    }

    /// Whether the batch equation holds.
    fn holds(mut self, key: &PreparedKey) -> bool {
        let vk = key.vk();
        let sum_l = G1Projective::msm_unchecked(&vk.gamma_abc_g1, &self.ic_scalars);
        let sum_c = G1Projective::msm_bigint(&self.c, &self.weights);
        let sum_alpha = vk.alpha_g1 * self.ic_scalars[0];
        self.g1.extend([sum_l, sum_c, sum_alpha]);
        let g1 = G1Projective::normalize_batch(&self.g1);

        let pvk = key.prepared();
        self.g2.push(pvk.gamma_g2_neg_pc.clone());
        self.g2.push(pvk.delta_g2_neg_pc.clone());
        self.g2.push(key.neg_beta_g2.clone());

        let miller = Bn254::multi_miller_loop(g1, self.g2);
        matches!(Bn254::final_exponentiation(miller), Some(out) if out.is_zero())
    }
}

/// Bisection over `indices` for the items that fail: `holds` checks a
/// batch, `valid` one item. `known_failing` says a batch check over exactly
/// these indices already failed. Costs about `2·k·log₂(n/k)` batch checks
/// for `k` invalid items among `n`.
fn bisect(
    indices: &[usize],
    known_failing: bool,
    holds: &impl Fn(&[usize]) -> bool,
    valid: &impl Fn(usize) -> bool,
    invalid: &mut Vec<usize>,
) {
    if indices.len() <= SINGLE_CHECK_THRESHOLD {
        invalid.extend(indices.iter().copied().filter(|&i| !valid(i)));
        return;
    }
    if !known_failing && holds(indices) {
        return;
    }
    let (left, right) = indices.split_at(indices.len() / 2);
    let found = invalid.len();
    bisect(left, false, holds, valid, invalid);
    // Valid proofs pass every batch check, so if the whole failed and the
    // left half is clean, the right half fails: skip its batch check.
    bisect(right, invalid.len() == found, holds, valid, invalid);
}

/// A batch's verdict: `Ok` if nothing is known invalid and the candidates
/// pass one batch check; otherwise every invalid index, the known ones and
/// those bisection finds among the candidates, sorted.
fn check_then_locate(
    mut invalid: Vec<usize>,
    candidates: &[usize],
    holds: &impl Fn(&[usize]) -> bool,
    valid: &impl Fn(usize) -> bool,
) -> Result<()> {
    if invalid.is_empty() {
        if candidates.is_empty() || holds(candidates) {
            return Ok(());
        }
        bisect(candidates, true, holds, valid, &mut invalid);
    } else {
        bisect(candidates, false, holds, valid, &mut invalid);
    }
    invalid.sort_unstable();
    Err(VerifyError::BatchRejected { invalid })
}

// ---------------------------------------------------------------------------
// Fiat–Shamir weights
// ---------------------------------------------------------------------------

/// The Fiat–Shamir seed of a batch: SHA3-256 over [`BATCH_SEED_TAG`], the
/// key digest, the batch size, and for each item the number of inputs, the
/// inputs (32 bytes each) and the compressed proof (128 bytes).
fn batch_seed<'a>(
    key: &PreparedKey,
    items: impl ExactSizeIterator<Item = &'a (Vec<Fr>, Proof<Bn254>)>,
) -> [u8; 32] {
    let mut h = Sha3_256::new();
    h.update(BATCH_SEED_TAG);
    h.update(key.digest());
    h.update((items.len() as u64).to_le_bytes());
    for (inputs, proof) in items {
        h.update((inputs.len() as u64).to_le_bytes());
        for x in inputs {
            h.update(encode_field(x));
        }
        h.update(encode_proof(proof));
    }
    h.finalize().into()
}

/// Weight `i` of a batch: the first 16 bytes of `SHA3-256(seed ‖ u64le(i))`,
/// read as a little-endian 128-bit integer.
fn batch_weight(seed: &[u8; 32], i: usize) -> u128 {
    let mut h = Sha3_256::new();
    h.update(seed);
    h.update((i as u64).to_le_bytes());
    let digest: [u8; 32] = h.finalize().into();
    let mut low = [0u8; 16];
    low.copy_from_slice(&digest[..16]);
    u128::from_le_bytes(low)
}

/// One Fiat–Shamir batch check over `items[i]` for `i` in `indices`; every
/// item must have the right number of inputs.
fn batch_holds(key: &PreparedKey, items: &[(Vec<Fr>, Proof<Bn254>)], indices: &[usize]) -> bool {
    let seed = batch_seed(key, indices.iter().map(|&i| &items[i]));
    let mut sum = BatchSum::new(key, indices.len());
    for (k, &i) in indices.iter().enumerate() {
        let (inputs, proof) = &items[i];
        let r = batch_weight(&seed, k);
        let r_fr = Fr::from(r);
        sum.add(
            r,
            inputs.iter().map(|x| r_fr * x),
            proof.a.mul_bigint(weight_limbs(r)),
            proof.b.into(),
            proof.c,
        );
    }
    sum.holds(key)
}

/// Verifies a batch of proofs under one key with a random linear combination
/// and Fiat–Shamir weights: one multi-Miller loop over `n + 3` pairs and one
/// final exponentiation (see the [module documentation](self) for the
/// equation and why the weights are sound).
///
/// Returns `Ok(())` iff, except with probability `2⁻¹²⁸` per hash the prover
/// evaluated, every proof verifies on its own. On failure the invalid proofs
/// are located (as by [`locate_invalid`]) and reported as
/// [`VerifyError::BatchRejected`]. An empty batch verifies. Preconditions as
/// for [`verify`].
pub fn verify_batch(key: &PreparedKey, items: &[(Vec<Fr>, Proof<Bn254>)]) -> Result<()> {
    let (invalid, candidates) = split_by_input_count(key, items);
    check_then_locate(
        invalid,
        &candidates,
        &|indices: &[usize]| batch_holds(key, items, indices),
        &|i: usize| verify(key, &items[i].0, &items[i].1).is_ok(),
    )
}

/// Finds the proofs of a batch that do not verify on their own: items with a
/// wrong number of public inputs, then bisection with batch checks down to
/// single checks. Costs about `2·k·log₂(n/k)` batch checks for `k` invalid
/// proofs among `n`. Returns sorted indices into `items`; empty if all
/// verify.
pub fn locate_invalid(key: &PreparedKey, items: &[(Vec<Fr>, Proof<Bn254>)]) -> Vec<usize> {
    let (mut invalid, candidates) = split_by_input_count(key, items);
    let holds = |indices: &[usize]| batch_holds(key, items, indices);
    let valid = |i: usize| verify(key, &items[i].0, &items[i].1).is_ok();
    bisect(&candidates, false, &holds, &valid, &mut invalid);
    invalid.sort_unstable();
    invalid
}

/// Splits indices into those with a wrong input count and the rest.
fn split_by_input_count(
    key: &PreparedKey,
    items: &[(Vec<Fr>, Proof<Bn254>)],
) -> (Vec<usize>, Vec<usize>) {
    (0..items.len()).partition(|&i| items[i].0.len() != key.num_public_inputs())
}

// ---------------------------------------------------------------------------
// Secret weights
// ---------------------------------------------------------------------------

/// A proof with its share of a batch check done ahead of the batch: weighted
/// by a secret random `r`, its `B` prepared for the Miller loop (about
/// 0.15 ms together, most of a proof's cost in a batch). Made on the thread
/// that received the proof, checked later with others by
/// [`verify_weighted`].
#[derive(Clone)]
pub struct WeightedProof {
    key_digest: [u8; 32],
    weight: u128,
    /// `r·xⱼ` for each public input.
    weighted_inputs: Vec<Fr>,
    /// `r·A`.
    weighted_a: G1Projective,
    b: G2Prepared,
    c: G1Affine,
}

/// Shows the key and the number of inputs, never the weight: it must stay
/// secret until the proof's verdict.
impl fmt::Debug for WeightedProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeightedProof")
            .field("key_digest", &hex::encode(self.key_digest))
            .field("num_public_inputs", &self.weighted_inputs.len())
            .finish_non_exhaustive()
    }
}

impl WeightedProof {
    /// Weights `proof` for `public_inputs` under `key`.
    ///
    /// `weight` must be drawn uniformly from the nonzero 128-bit integers by
    /// a cryptographic generator, after the proof was received, and kept
    /// secret: the soundness of [`verify_weighted`] is the prover's inability
    /// to predict it. Preconditions on the proof as for [`verify`]. Fails
    /// only on a wrong number of public inputs.
    pub fn new(
        key: &PreparedKey,
        public_inputs: &[Fr],
        proof: &Proof<Bn254>,
        weight: NonZeroU128,
    ) -> Result<Self> {
        key.check_input_count(public_inputs)?;
        let weight = weight.get();
        let r_fr = Fr::from(weight);
        Ok(Self {
            key_digest: key.digest(),
            weight,
            weighted_inputs: public_inputs.iter().map(|x| r_fr * x).collect(),
            weighted_a: proof.a.mul_bigint(weight_limbs(weight)),
            b: proof.b.into(),
            c: proof.c,
        })
    }

    /// The digest of the key the proof was weighted under.
    pub fn key_digest(&self) -> [u8; 32] {
        self.key_digest
    }
}

/// One batch check over `proofs[i]` for `i` in `indices`, all weighted
/// under `key`.
fn weighted_holds(key: &PreparedKey, proofs: &[WeightedProof], indices: &[usize]) -> bool {
    let mut sum = BatchSum::new(key, indices.len());
    for &i in indices {
        let p = &proofs[i];
        sum.add(
            p.weight,
            p.weighted_inputs.iter().copied(),
            p.weighted_a,
            p.b.clone(),
            p.c,
        );
    }
    sum.holds(key)
}

/// Verifies proofs weighted by [`WeightedProof::new`] as one batch under
/// `key`: sums, one multi-Miller loop over `n + 3` pairs and one final
/// exponentiation.
///
/// Returns `Ok(())` iff, except with probability `2⁻¹²⁸` per invalid proof,
/// every proof verifies on its own. On failure the invalid proofs (and any
/// weighted under another key) are located by bisection with the same
/// weights and reported as [`VerifyError::BatchRejected`]; a single
/// weighted check is exact. An empty batch verifies.
pub fn verify_weighted(key: &PreparedKey, proofs: &[WeightedProof]) -> Result<()> {
    let (invalid, candidates): (Vec<usize>, Vec<usize>) =
        (0..proofs.len()).partition(|&i| proofs[i].key_digest != key.digest());
    check_then_locate(
        invalid,
        &candidates,
        &|indices: &[usize]| weighted_holds(key, proofs, indices),
        &|i: usize| weighted_holds(key, proofs, &[i]),
    )
}
