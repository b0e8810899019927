//! Threshold decryption of a tally: partial decryptions with Chaum–Pedersen
//! proofs, their verification, and Lagrange combination.
//!
//! For each option's aggregate ciphertext `(c1, c2)`, trustee `j` publishes
//! `D_j = x_j·c1` with a proof that `log_B8 Y_j = log_c1 D_j` (its
//! verification key `Y_j` from the key ceremony), bound to the election,
//! the trustee, the option and the whole ciphertext. Any `k` valid partials
//! from distinct trustees give `m·B8 = c2 − Σ_j λ_j·D_j` with `λ_j` the
//! Lagrange coefficients at 0; [`DlogTable`] turns that into `m`.
//!
//! [`PartialDecryption`] encodes to 136 bytes:
//! `trustee (u32 BE) ‖ option (u32 BE) ‖ D (64) ‖ proof (64)`.

use ark_ec::{AffineRepr, CurveGroup};
use ark_ed_on_bn254::EdwardsProjective;
use ark_ff::Zero;
use ark_std::rand::{CryptoRng, RngCore};

use super::dkg::KeyShare;
use super::dleq::{DleqProof, PROVEN_POINT_BYTES, ProvenPoint};
use super::dlog::DlogTable;
use super::{Result, ThresholdError, ThresholdParams, bind, lagrange_at_zero};
use crate::babyjubjub::{BASE8, Point};
use crate::elgamal::{self, Ciphertext, encode_message, from_projective};

/// The length of an encoded [`PartialDecryption`].
pub const PARTIAL_DECRYPTION_BYTES: usize = PROVEN_POINT_BYTES;

/// Trustee `trustee`'s share `D = x_j·c1` of the decryption of option
/// `option`'s ciphertext, with its proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartialDecryption {
    /// The trustee's index.
    pub trustee: u32,
    /// The option (position of the ciphertext in the tally), from 0.
    pub option: u32,
    /// `D = x_j·c1`.
    pub share: Point,
    /// Chaum–Pedersen proof that `log_B8 Y_j = log_c1 D`.
    pub proof: DleqProof,
}

impl PartialDecryption {
    /// The 136-byte encoding described in the module documentation.
    pub fn to_bytes(&self) -> [u8; PARTIAL_DECRYPTION_BYTES] {
        ProvenPoint {
            indices: [self.trustee, self.option],
            point: self.share,
            proof: self.proof,
        }
        .to_bytes()
    }

    /// Decodes untrusted bytes strictly (indices are checked on use).
    ///
    /// # Errors
    ///
    /// [`ThresholdError::ElGamal`] for a wrong length or a bad point or
    /// scalar.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let ProvenPoint {
            indices: [trustee, option],
            point: share,
            proof,
        } = ProvenPoint::from_bytes(bytes)?;
        Ok(Self {
            trustee,
            option,
            share,
            proof,
        })
    }
}

/// The key share holder's partial decryption of option `option`'s
/// `ciphertext`, for the election named by `context`.
pub fn partial_decrypt(
    context: &[u8],
    option: u32,
    key_share: &KeyShare,
    ciphertext: &Ciphertext,
    rng: &mut (impl RngCore + CryptoRng),
) -> PartialDecryption {
    let trustee = key_share.index();
    let proof = DleqProof::prove(
        rng,
        &partial_context(context, trustee, option, ciphertext),
        &BASE8,
        &ciphertext.c1,
        key_share.secret(),
    );
    PartialDecryption {
        trustee,
        option,
        share: elgamal::mul(&ciphertext.c1, key_share.secret()),
        proof,
    }
}

/// Checks a partial decryption of `ciphertext` against its trustee's
/// `verification_key`.
///
/// # Errors
///
/// [`ThresholdError::InvalidProof`] (or
/// [`ThresholdError::PointNotInSubgroup`]) if it is not proved.
pub fn verify_partial(
    context: &[u8],
    verification_key: &Point,
    ciphertext: &Ciphertext,
    partial: &PartialDecryption,
) -> Result<()> {
    partial.proof.verify(
        &partial_context(context, partial.trustee, partial.option, ciphertext),
        &BASE8,
        &ciphertext.c1,
        verification_key,
        &partial.share,
    )
}

/// `m·B8 = c2 − Σ λ_j·D_j` from the first `k` of `partials`, which must
/// come from distinct trustees and be verified already.
///
/// # Errors
///
/// [`ThresholdError::TooFewShares`] with fewer than `k` partials,
/// [`ThresholdError::DuplicateIndex`] if two of the first `k` come from one
/// trustee.
pub fn combine(
    params: &ThresholdParams,
    ciphertext: &Ciphertext,
    partials: &[PartialDecryption],
) -> Result<Point> {
    let k = params.threshold();
    if partials.len() < k as usize {
        return Err(ThresholdError::TooFewShares {
            needed: k,
            found: partials.len() as u32,
        });
    }
    let used = &partials[..k as usize];
    let indices: Vec<u32> = used.iter().map(|partial| partial.trustee).collect();
    for &index in &indices {
        params.check_index(index)?;
    }
    let lambdas = lagrange_at_zero(&indices)?;
    Ok(from_projective(&combine_with(
        ciphertext,
        used.iter().map(|p| &p.share),
        &lambdas,
    )))
}

fn combine_with<'a>(
    ciphertext: &Ciphertext,
    shares: impl Iterator<Item = &'a Point>,
    lambdas: &[elgamal::Scalar],
) -> EdwardsProjective {
    let blinding: EdwardsProjective = shares
        .zip(lambdas)
        .map(|(share, lambda)| share.to_ark() * lambda)
        .fold(EdwardsProjective::zero(), |acc, term| acc + term);
    ciphertext.c2.to_ark().into_group() - blinding
}

/// A trustee whose partial decryptions were not used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedTrustee {
    /// The trustee's index (as submitted).
    pub trustee: u32,
    /// The first problem found with its submissions.
    pub reason: ThresholdError,
}

/// The combined tally: `m_o·B8` for each option `o`, with the trustees used
/// and those rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CombinedTally {
    /// `m_o·B8` per option.
    pub totals: Vec<Point>,
    /// The `k` trustees whose partials were combined, in increasing order.
    pub used: Vec<u32>,
    /// The trustees that submitted something unusable.
    pub rejected: Vec<RejectedTrustee>,
}

/// Verifies every submitted partial decryption of the per-option
/// `ciphertexts` and combines those of the first `k` trustees whose
/// partials are all valid.
///
/// `verification_keys[j − 1]` is trustee `j`'s `Y_j`. A trustee is usable
/// if it submitted exactly one valid partial for every option; one that
/// submitted anything else is reported in [`CombinedTally::rejected`]; one
/// that submitted nothing is simply absent.
///
/// # Errors
///
/// [`ThresholdError::KeyCount`] unless one key per trustee,
/// [`ThresholdError::NotEnoughGoodPartials`] with fewer than `k` usable
/// trustees.
pub fn combine_tally(
    context: &[u8],
    params: &ThresholdParams,
    verification_keys: &[Point],
    ciphertexts: &[Ciphertext],
    partials: &[PartialDecryption],
) -> Result<CombinedTally> {
    params.check_key_count(verification_keys)?;
    let options = ciphertexts.len();
    let mut rejected = Vec::new();
    for partial in partials {
        if let Err(reason) = params.check_index(partial.trustee)
            && !rejected
                .iter()
                .any(|r: &RejectedTrustee| r.trustee == partial.trustee)
        {
            rejected.push(RejectedTrustee {
                trustee: partial.trustee,
                reason,
            });
        }
    }
    let mut good: Vec<(u32, Vec<Point>)> = Vec::new();
    for trustee in 1..=params.trustees() {
        let submitted: Vec<&PartialDecryption> =
            partials.iter().filter(|p| p.trustee == trustee).collect();
        if submitted.is_empty() {
            continue;
        }
        let key = &verification_keys[trustee as usize - 1];
        match check_trustee(context, key, ciphertexts, trustee, &submitted) {
            Ok(shares) => good.push((trustee, shares)),
            Err(reason) => rejected.push(RejectedTrustee { trustee, reason }),
        }
    }
    rejected.sort_by_key(|r| r.trustee);
    let k = params.threshold() as usize;
    if good.len() < k {
        return Err(ThresholdError::NotEnoughGoodPartials {
            needed: params.threshold(),
            good: good.len() as u32,
            rejected: rejected.iter().map(|r| r.trustee).collect(),
        });
    }
    good.truncate(k);
    let used: Vec<u32> = good.iter().map(|(trustee, _)| *trustee).collect();
    let lambdas = lagrange_at_zero(&used)?;
    let totals: Vec<EdwardsProjective> = (0..options)
        .map(|o| combine_with(&ciphertexts[o], good.iter().map(|(_, s)| &s[o]), &lambdas))
        .collect();
    Ok(CombinedTally {
        totals: EdwardsProjective::normalize_batch(&totals)
            .iter()
            .map(Point::from_ark)
            .collect(),
        used,
        rejected,
    })
}

/// A trustee's shares `D` per option, if it submitted exactly one valid
/// partial for each.
fn check_trustee(
    context: &[u8],
    key: &Point,
    ciphertexts: &[Ciphertext],
    trustee: u32,
    submitted: &[&PartialDecryption],
) -> Result<Vec<Point>> {
    let mut shares: Vec<Option<Point>> = vec![None; ciphertexts.len()];
    for partial in submitted {
        let slot =
            shares
                .get_mut(partial.option as usize)
                .ok_or(ThresholdError::OptionOutOfRange {
                    option: partial.option,
                    options: ciphertexts.len(),
                })?;
        if slot.is_some() {
            return Err(ThresholdError::DuplicatePartial {
                trustee,
                option: partial.option,
            });
        }
        verify_partial(context, key, &ciphertexts[partial.option as usize], partial)?;
        *slot = Some(partial.share);
    }
    (0u32..)
        .zip(shares)
        .map(|(option, share)| share.ok_or(ThresholdError::MissingPartial { trustee, option }))
        .collect()
}

/// The decrypted tally: a count per option, with the trustees used and
/// those rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    /// The count per option.
    pub counts: Vec<u64>,
    /// The `k` trustees whose partials were combined, in increasing order.
    pub used: Vec<u32>,
    /// The trustees that submitted something unusable.
    pub rejected: Vec<RejectedTrustee>,
}

/// [`combine_tally`], then the discrete log of each option's total with
/// `table`.
///
/// # Errors
///
/// Those of [`combine_tally`]; [`ThresholdError::DlogNotFound`] if a total
/// is above the table's bound.
pub fn decrypt_tally(
    context: &[u8],
    params: &ThresholdParams,
    verification_keys: &[Point],
    ciphertexts: &[Ciphertext],
    partials: &[PartialDecryption],
    table: &DlogTable,
) -> Result<Tally> {
    let combined = combine_tally(context, params, verification_keys, ciphertexts, partials)?;
    let counts = (0u32..)
        .zip(&combined.totals)
        .map(|(option, total)| {
            table.solve(total).ok_or(ThresholdError::DlogNotFound {
                option,
                bound: table.bound(),
            })
        })
        .collect::<Result<_>>()?;
    Ok(Tally {
        counts,
        used: combined.used,
        rejected: combined.rejected,
    })
}

/// Checks published `counts` against the ciphertexts and partial
/// decryptions, without a discrete log: `combine_tally` must succeed and
/// give `counts[o]·B8` for every option.
///
/// # Errors
///
/// Those of [`combine_tally`]; [`ThresholdError::CountLength`] unless one
/// count per ciphertext; [`ThresholdError::CountMismatch`] for the first
/// option whose count is wrong.
pub fn verify_tally(
    context: &[u8],
    params: &ThresholdParams,
    verification_keys: &[Point],
    ciphertexts: &[Ciphertext],
    partials: &[PartialDecryption],
    counts: &[u64],
) -> Result<()> {
    if counts.len() != ciphertexts.len() {
        return Err(ThresholdError::CountLength {
            expected: ciphertexts.len(),
            found: counts.len(),
        });
    }
    let combined = combine_tally(context, params, verification_keys, ciphertexts, partials)?;
    for ((option, total), count) in (0u32..).zip(&combined.totals).zip(counts) {
        if *total != encode_message(*count) {
            return Err(ThresholdError::CountMismatch { option });
        }
    }
    Ok(())
}

fn partial_context(context: &[u8], trustee: u32, option: u32, ciphertext: &Ciphertext) -> Vec<u8> {
    bind(&[
        b"zkaudit/partial-decryption/v1",
        context,
        &trustee.to_be_bytes(),
        &option.to_be_bytes(),
        &ciphertext.to_bytes(),
    ])
}

#[cfg(test)]
mod tests;
