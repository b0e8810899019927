//! Groth16 over BN254: strict decoding, single and batch verification.
//!
//! Everything here takes untrusted input. Decoders accept exactly one
//! encoding per value: arkworks' compressed canonical serialization, points
//! on the curve **and** in the prime-order subgroup (the G2 check matters:
//! BN254's G2 has a large cofactor), field elements below the modulus, no
//! trailing bytes. A [`Proof`] or [`VerifyingKey`] obtained from these
//! decoders, from [`crate::snarkjs`] or from an honest prover satisfies the
//! preconditions of [`verify`] and [`verify_batch`].
//!
//! # Keys
//!
//! A [`PreparedKey`] is a verifying key prepared once for pairings, together
//! with its [`vk_digest`]. The digest is what the log records, so every
//! verifier knows which key is authoritative for a circuit shape.
//!
//! # Batch verification
//!
//! [`verify_batch`] checks many proofs under one key with one multi-pairing
//! and Fiat–Shamir weights, reproducibly (bundles, browsers);
//! [`verify_weighted`] does the same with weights the caller draws in
//! secret, so that each proof's share of the work can be done as it
//! arrives (the service). See the [`batch`] module for the equation and
//! why each is sound.

mod batch;

pub use batch::{WeightedProof, locate_invalid, verify_batch, verify_weighted};

use core::fmt;

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::{Pairing, PairingOutput};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{BigInt, PrimeField};
use ark_groth16::{PreparedVerifyingKey, Proof, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use sha3::{Digest, Sha3_256};

use crate::{Result, VerifyError};

/// Length of a compressed proof: `A` (G1, 32 bytes) ‖ `B` (G2, 64) ‖ `C` (G1, 32).
pub const PROOF_BYTES: usize = 128;

/// Length of an encoded field element (little-endian, canonical).
pub const FIELD_BYTES: usize = 32;

/// Most public inputs a verifying key may have. Bounds what untrusted keys
/// can make us allocate; our statements have one, snarkjs keys a handful.
pub const MAX_PUBLIC_INPUTS: usize = 1 << 16;

/// Domain tag of [`vk_digest`].
pub const VK_DIGEST_TAG: &[u8] = b"zkaudit/v1/groth16-vk\0";

/// Domain tag of the Fiat–Shamir seed of [`verify_batch`].
pub const BATCH_SEED_TAG: &[u8] = b"zkaudit/v1/groth16-batch\0";

/// Compressed lengths of the fixed part of a verifying key: `α` (G1), `β`,
/// `γ`, `δ` (G2) and the `u64` length prefix of `IC`.
const VK_FIXED_BYTES: usize = 32 + 3 * 64 + 8;
const G1_BYTES: usize = 32;

// ---------------------------------------------------------------------------
// Encodings
// ---------------------------------------------------------------------------

fn malformed(what: &'static str, reason: impl Into<String>) -> VerifyError {
    VerifyError::Malformed {
        what,
        reason: reason.into(),
    }
}

/// Deserializes `bytes` as exactly one canonical compressed `T`: no
/// trailing bytes, re-encoding to the same bytes, and with
/// `Validate::Yes` arkworks' curve and subgroup checks of every point.
fn decode_canonical<T: CanonicalSerialize + CanonicalDeserialize>(
    what: &'static str,
    bytes: &[u8],
    validate: Validate,
) -> Result<T> {
    let mut reader = bytes;
    let value = T::deserialize_with_mode(&mut reader, Compress::Yes, validate)
        .map_err(|e| malformed(what, e.to_string()))?;
    if !reader.is_empty() {
        return Err(malformed(what, format!("{} trailing bytes", reader.len())));
    }
    let mut again = Vec::with_capacity(bytes.len());
    value
        .serialize_compressed(&mut again)
        .map_err(|e| malformed(what, e.to_string()))?;
    if again != bytes {
        return Err(malformed(what, "non-canonical encoding"));
    }
    Ok(value)
}

fn encode_compressed<T: CanonicalSerialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.compressed_size());
    // Serializing into a `Vec` cannot fail.
    value
        .serialize_compressed(&mut out)
        .expect("serialization into a Vec is infallible");
    out
}

/// Encodes a proof in its compact binary form: arkworks' compressed
/// canonical serialization, [`PROOF_BYTES`] bytes (`A` ‖ `B` ‖ `C`).
pub fn encode_proof(proof: &Proof<Bn254>) -> [u8; PROOF_BYTES] {
    let mut out = [0u8; PROOF_BYTES];
    proof
        .serialize_compressed(&mut out[..])
        .expect("a compressed BN254 proof is 128 bytes");
    out
}

/// Decodes an untrusted proof from its compact binary form (see
/// [`encode_proof`]).
///
/// Strict: exactly [`PROOF_BYTES`] bytes, every point on the curve and in the
/// prime-order subgroup, every coordinate canonical, and the bytes must be
/// the unique encoding of the proof.
pub fn decode_proof(bytes: &[u8]) -> Result<Proof<Bn254>> {
    const WHAT: &str = "groth16 proof";
    if bytes.len() != PROOF_BYTES {
        return Err(malformed(
            WHAT,
            format!("expected {PROOF_BYTES} bytes, got {}", bytes.len()),
        ));
    }
    // Checked here rather than by arkworks: its G2 subgroup test costs
    // twice [`g2_valid`]'s.
    let proof: Proof<Bn254> = decode_canonical(WHAT, bytes, Validate::No)?;
    if !(g1_valid(&proof.a) && g2_valid(&proof.b) && g1_valid(&proof.c)) {
        return Err(malformed(
            WHAT,
            "a point is off the curve or outside the prime-order subgroup",
        ));
    }
    Ok(proof)
}

/// Encodes a verifying key: arkworks' compressed canonical serialization
/// (`α` ‖ `β` ‖ `γ` ‖ `δ` ‖ `u64` length ‖ `IC`). These bytes are what
/// [`vk_digest`] hashes.
pub fn encode_vk(vk: &VerifyingKey<Bn254>) -> Vec<u8> {
    encode_compressed(vk)
}

/// Decodes an untrusted verifying key (see [`encode_vk`]).
///
/// Strict like [`decode_proof`], and the key must be usable: at least one
/// `IC` point, at most [`MAX_PUBLIC_INPUTS`] public inputs, and `α`, `β`,
/// `γ`, `δ` not the identity.
pub fn decode_vk(bytes: &[u8]) -> Result<VerifyingKey<Bn254>> {
    const WHAT: &str = "groth16 verifying key";
    let ic_bytes = bytes
        .len()
        .checked_sub(VK_FIXED_BYTES)
        .ok_or_else(|| malformed(WHAT, format!("only {} bytes", bytes.len())))?;
    if ic_bytes % G1_BYTES != 0 {
        return Err(malformed(WHAT, format!("bad length {}", bytes.len())));
    }
    let ic_len = ic_bytes / G1_BYTES;
    if ic_len == 0 || ic_len > MAX_PUBLIC_INPUTS + 1 {
        return Err(malformed(WHAT, format!("{ic_len} IC points")));
    }
    // The length prefix must agree with the byte length before arkworks
    // reads it.
    let mut prefix = [0u8; 8];
    prefix.copy_from_slice(&bytes[VK_FIXED_BYTES - 8..VK_FIXED_BYTES]);
    if u64::from_le_bytes(prefix) != ic_len as u64 {
        return Err(malformed(
            WHAT,
            "IC length prefix disagrees with the length",
        ));
    }
    let vk: VerifyingKey<Bn254> = decode_canonical(WHAT, bytes, Validate::Yes)?;
    check_vk_shape(&vk)?;
    Ok(vk)
}

/// Encodes a field element: 32 bytes, little-endian, canonical.
pub fn encode_field(x: &Fr) -> [u8; FIELD_BYTES] {
    let mut out = [0u8; FIELD_BYTES];
    x.serialize_compressed(&mut out[..])
        .expect("a BN254 scalar is 32 bytes");
    out
}

/// Decodes an untrusted public input from 32 little-endian bytes; the value
/// must be below the scalar field modulus (no silent reduction).
pub fn decode_field(bytes: &[u8]) -> Result<Fr> {
    const WHAT: &str = "field element";
    if bytes.len() != FIELD_BYTES {
        return Err(malformed(
            WHAT,
            format!("expected {FIELD_BYTES} bytes, got {}", bytes.len()),
        ));
    }
    decode_canonical(WHAT, bytes, Validate::Yes)
}

/// Encodes a field element as its canonical decimal string (as snarkjs does).
pub fn encode_field_decimal(x: &Fr) -> String {
    decimal_string(x)
}

/// Decodes an untrusted public input from its canonical decimal string:
/// ASCII digits only, no sign, no whitespace, no leading zeros (except `"0"`)
/// and below the scalar field modulus.
pub fn decode_field_decimal(s: &str) -> Result<Fr> {
    parse_decimal("field element", s)
}

/// The canonical decimal form of a prime-field element.
pub(crate) fn decimal_string<F: PrimeField>(x: &F) -> String {
    x.into_bigint().to_string()
}

/// Parses a canonical decimal string into a prime-field element of 256 bits
/// at most (strictly: see [`decode_field_decimal`]).
pub(crate) fn parse_decimal<F: PrimeField<BigInt = BigInt<4>>>(
    what: &'static str,
    s: &str,
) -> Result<F> {
    // Both BN254 moduli have 77 decimal digits.
    const MAX_DIGITS: usize = 77;
    if s.is_empty() || s.len() > MAX_DIGITS || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(
            what,
            format!("not a canonical decimal: {s:.80?}"),
        ));
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err(malformed(what, format!("leading zero in {s:?}")));
    }
    // Accumulate in five 64-bit limbs (little-endian): 77 digits stay below
    // 2^256, so the fifth limb only catches what does not fit in four.
    let mut limbs = [0u64; 5];
    for digit in s.bytes() {
        let mut carry = u128::from(digit - b'0');
        for limb in &mut limbs {
            let v = u128::from(*limb) * 10 + carry;
            *limb = v as u64;
            carry = v >> 64;
        }
    }
    let [l0, l1, l2, l3, l4] = limbs;
    // `from_bigint` rejects values at or above the modulus.
    (l4 == 0)
        .then(|| F::from_bigint(BigInt([l0, l1, l2, l3])))
        .flatten()
        .ok_or_else(|| malformed(what, format!("{s} is not below the field modulus")))
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/// SHA3-256 digest of a verifying key: `SHA3-256(`[`VK_DIGEST_TAG`]` ‖ `
/// [`encode_vk`]`(vk))`. The log records it, so verifiers know which key is
/// authoritative for a circuit shape.
pub fn vk_digest(vk: &VerifyingKey<Bn254>) -> [u8; 32] {
    let mut h = Sha3_256::new();
    h.update(VK_DIGEST_TAG);
    h.update(encode_vk(vk));
    h.finalize().into()
}

/// Checks what [`PreparedKey::new`] requires beyond point validity.
fn check_vk_shape(vk: &VerifyingKey<Bn254>) -> Result<()> {
    const WHAT: &str = "groth16 verifying key";
    if vk.gamma_abc_g1.is_empty() {
        return Err(malformed(WHAT, "no IC points"));
    }
    if vk.gamma_abc_g1.len() > MAX_PUBLIC_INPUTS + 1 {
        return Err(malformed(
            WHAT,
            format!("{} public inputs", vk.gamma_abc_g1.len() - 1),
        ));
    }
    if vk.alpha_g1.is_zero()
        || vk.beta_g2.is_zero()
        || vk.gamma_g2.is_zero()
        || vk.delta_g2.is_zero()
    {
        return Err(malformed(
            WHAT,
            "alpha, beta, gamma or delta is the identity",
        ));
    }
    Ok(())
}

/// Whether every point of the key is on the curve and in its prime-order
/// subgroup.
fn vk_points_valid(vk: &VerifyingKey<Bn254>) -> bool {
    g1_valid(&vk.alpha_g1)
        && [vk.beta_g2, vk.gamma_g2, vk.delta_g2].iter().all(g2_valid)
        && vk.gamma_abc_g1.iter().all(g1_valid)
}

fn g1_valid(p: &G1Affine) -> bool {
    p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve()
}

fn g2_valid(p: &G2Affine) -> bool {
    p.is_on_curve() && crate::g2_subgroup::in_g2_assuming_on_curve(p)
}

/// A Groth16 verifying key prepared once for pairings, with its digest.
///
/// Preparing costs about a millisecond (one pairing for `e(α, β)` and the
/// line coefficients of `−β`, `−γ`, `−δ`); do it once per key and reuse it.
#[derive(Clone)]
pub struct PreparedKey {
    pvk: PreparedVerifyingKey<Bn254>,
    neg_beta_g2: <Bn254 as Pairing>::G2Prepared,
    digest: [u8; 32],
}

impl fmt::Debug for PreparedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedKey")
            .field("digest", &hex::encode(self.digest))
            .field("num_public_inputs", &self.num_public_inputs())
            .finish_non_exhaustive()
    }
}

impl PreparedKey {
    /// Prepares `vk` after checking it: every point on the curve and in the
    /// prime-order subgroup, at least one `IC` point, at most
    /// [`MAX_PUBLIC_INPUTS`] public inputs, `α`, `β`, `γ`, `δ` not the
    /// identity.
    pub fn new(vk: VerifyingKey<Bn254>) -> Result<Self> {
        check_vk_shape(&vk)?;
        if !vk_points_valid(&vk) {
            return Err(malformed(
                "groth16 verifying key",
                "a point is off the curve or outside the prime-order subgroup",
            ));
        }
        let digest = vk_digest(&vk);
        let neg_beta_g2 = (-vk.beta_g2).into();
        let pvk = ark_groth16::prepare_verifying_key(&vk);
        Ok(Self {
            pvk,
            neg_beta_g2,
            digest,
        })
    }

    /// The key's [`vk_digest`].
    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }

    /// The verifying key.
    pub fn vk(&self) -> &VerifyingKey<Bn254> {
        &self.pvk.vk
    }

    /// The arkworks prepared key.
    pub fn prepared(&self) -> &PreparedVerifyingKey<Bn254> {
        &self.pvk
    }

    /// How many public inputs a proof under this key has.
    pub fn num_public_inputs(&self) -> usize {
        self.pvk.vk.gamma_abc_g1.len() - 1
    }

    fn check_input_count(&self, public_inputs: &[Fr]) -> Result<()> {
        let expected = self.num_public_inputs();
        if public_inputs.len() != expected {
            return Err(VerifyError::PublicInputCount {
                expected,
                got: public_inputs.len(),
            });
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------

/// `L(x) = IC₀ + Σⱼ xⱼ·ICⱼ` for inputs of the right length.
fn input_commitment(key: &PreparedKey, public_inputs: &[Fr]) -> G1Projective {
    let ic = &key.vk().gamma_abc_g1;
    ic[0].into_group() + G1Projective::msm_unchecked(&ic[1..], public_inputs)
}

/// Verifies one proof against a prepared key.
///
/// The proof's points must be valid (on the curve, in the prime-order
/// subgroups), as [`decode_proof`], [`crate::snarkjs::import_proof`] and an
/// honest prover guarantee. They are not checked again here: the G2 subgroup
/// check of `B` costs about 0.1 ms, 40 % of a batched verification.
pub fn verify(key: &PreparedKey, public_inputs: &[Fr], proof: &Proof<Bn254>) -> Result<()> {
    key.check_input_count(public_inputs)?;
    let l = input_commitment(key, public_inputs).into_affine();
    let miller = Bn254::multi_miller_loop(
        [proof.a, l, proof.c],
        [
            proof.b.into(),
            key.pvk.gamma_g2_neg_pc.clone(),
            key.pvk.delta_g2_neg_pc.clone(),
        ],
    );
    match Bn254::final_exponentiation(miller) {
        Some(PairingOutput(f)) if f == key.pvk.alpha_g1_beta_g2 => Ok(()),
        _ => Err(VerifyError::Groth16 {
            reason: "pairing check failed".into(),
        }),
    }
}
