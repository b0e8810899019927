//! The ceremony's outcome: the qualified dealers, the joint key, the
//! trustees' verification keys and their key shares.

use ark_ec::{AffineRepr, CurveGroup};
use ark_ed_on_bn254::EdwardsProjective;
use ark_ff::Zero;

use super::complaint::{Complaint, ComplaintVerdict, judge_complaint};
use super::dealing::{Dealing, evaluate_in_exponent, receive_share};
use crate::babyjubjub::Point;
use crate::elgamal::{
    SCALAR_BYTES, Scalar, base_mul, check_length, decode_scalar, encode_scalar, from_projective,
};
use crate::threshold::{Result, ThresholdError, ThresholdParams, read_u32};

/// The length of an encoded [`KeyShare`].
pub const KEY_SHARE_BYTES: usize = 4 + SCALAR_BYTES;

/// Why a dealer is not in the qualified set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Disqualification {
    /// The dealer published no dealing.
    NoDealing,
    /// The dealer published more than one dealing.
    DuplicateDealing,
    /// The dealing is malformed (counts, or points outside the subgroup).
    Malformed(ThresholdError),
    /// A complaint against the dealer was upheld.
    ComplaintUpheld {
        /// The trustee whose complaint was upheld (the first, if several).
        complainant: u32,
    },
}

/// The outcome of a key ceremony: who qualified, who did not and why, the
/// verdict on every complaint, and the joint and per-trustee public keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Qualification {
    params: ThresholdParams,
    qualified: Vec<u32>,
    disqualified: Vec<(u32, Disqualification)>,
    verdicts: Vec<Result<ComplaintVerdict>>,
    /// `Σ_{i qualified} C_im` for `m = 0..k`.
    aggregate: Vec<Point>,
}

impl Qualification {
    /// The qualified dealers, in increasing order.
    pub fn qualified(&self) -> &[u32] {
        &self.qualified
    }

    /// The disqualified dealers, in increasing order, with the reason.
    pub fn disqualified(&self) -> &[(u32, Disqualification)] {
        &self.disqualified
    }

    /// The verdict on each complaint, in the order given to [`qualify`]; an
    /// error means the complaint was ignored.
    pub fn verdicts(&self) -> &[Result<ComplaintVerdict>] {
        &self.verdicts
    }

    /// The joint public key `Σ_{i qualified} C_i0`, to which ballots are
    /// encrypted.
    pub fn joint_public_key(&self) -> Point {
        self.aggregate[0]
    }

    /// Trustee `index`'s verification key `Y_j = x_j·B8`.
    ///
    /// # Errors
    ///
    /// [`ThresholdError::TrusteeOutOfRange`] for a bad index.
    pub fn verification_key(&self, index: u32) -> Result<Point> {
        self.params.check_index(index)?;
        Ok(from_projective(&evaluate_in_exponent(
            self.aggregate.iter().map(|c| c.to_ark().into_group()),
            index,
        )))
    }

    /// The verification keys of trustees `1..=n`, in order.
    pub fn verification_keys(&self) -> Vec<Point> {
        (1..=self.params.trustees())
            .map(|index| self.verification_key(index).expect("index in range"))
            .collect()
    }
}

/// Decides the ceremony from everything published: the trustees' keys, the
/// dealings (in any order) and the complaints.
///
/// A dealer is qualified if it published exactly one well-formed dealing and
/// no complaint against it was upheld. Complaints that cannot be judged
/// (bad proof, unknown dealer…) are ignored, with their error in
/// [`Qualification::verdicts`].
///
/// # Errors
///
/// [`ThresholdError::KeyCount`] unless one key per trustee,
/// [`ThresholdError::InvalidTrusteeKey`] for a bad key,
/// [`ThresholdError::NoQualifiedDealer`] if nobody qualified.
pub fn qualify(
    context: &[u8],
    params: &ThresholdParams,
    trustee_keys: &[Point],
    dealings: &[Dealing],
    complaints: &[Complaint],
) -> Result<Qualification> {
    params.check_trustee_keys(trustee_keys)?;
    let n = params.trustees() as usize;
    // One slot per dealer: its dealing, or why it has none usable.
    let mut status: Vec<Result<&Dealing, Disqualification>> =
        vec![Err(Disqualification::NoDealing); n];
    for dealing in dealings {
        let Some(slot) = (dealing.dealer as usize)
            .checked_sub(1)
            .and_then(|i| status.get_mut(i))
        else {
            continue;
        };
        *slot = match slot {
            Err(Disqualification::NoDealing) => dealing
                .check(params)
                .map(|()| dealing)
                .map_err(Disqualification::Malformed),
            _ => Err(Disqualification::DuplicateDealing),
        };
    }
    let verdicts: Vec<Result<ComplaintVerdict>> = complaints
        .iter()
        .map(|complaint| {
            params.check_index(complaint.dealer)?;
            let dealing = dealings
                .iter()
                .find(|dealing| dealing.dealer == complaint.dealer)
                .ok_or(ThresholdError::NoDealing(complaint.dealer))?;
            judge_complaint(context, params, trustee_keys, dealing, complaint)
        })
        .collect();
    for (complaint, verdict) in complaints.iter().zip(&verdicts) {
        if verdict == &Ok(ComplaintVerdict::DealerAtFault) {
            let slot = &mut status[complaint.dealer as usize - 1];
            if slot.is_ok() {
                *slot = Err(Disqualification::ComplaintUpheld {
                    complainant: complaint.recipient,
                });
            }
        }
    }
    let mut qualified = Vec::new();
    let mut disqualified = Vec::new();
    let mut aggregate = vec![EdwardsProjective::zero(); params.threshold() as usize];
    for (dealer, slot) in (1..).zip(status) {
        match slot {
            Ok(dealing) => {
                qualified.push(dealer);
                for (sum, commitment) in aggregate.iter_mut().zip(&dealing.commitments) {
                    *sum += commitment.to_ark();
                }
            }
            Err(reason) => disqualified.push((dealer, reason)),
        }
    }
    if qualified.is_empty() {
        return Err(ThresholdError::NoQualifiedDealer);
    }
    Ok(Qualification {
        params: *params,
        qualified,
        disqualified,
        verdicts,
        aggregate: EdwardsProjective::normalize_batch(&aggregate)
            .iter()
            .map(Point::from_ark)
            .collect(),
    })
}

/// The joint public key `Σ_i C_i0` of the qualified dealers' commitments.
pub fn joint_public_key(qualified_commitments: &[&[Point]]) -> Point {
    from_projective(
        &qualified_commitments
            .iter()
            .filter_map(|commitments| commitments.first())
            .map(|c0| c0.to_ark().into_group())
            .sum(),
    )
}

/// Trustee `index`'s verification key `Y_j = Σ_i Σ_m C_im·j^m` from the
/// qualified dealers' commitments.
pub fn verification_key(qualified_commitments: &[&[Point]], index: u32) -> Point {
    let width = qualified_commitments
        .iter()
        .map(|commitments| commitments.len())
        .max()
        .unwrap_or(0);
    let mut aggregate = vec![EdwardsProjective::zero(); width];
    for commitments in qualified_commitments {
        for (sum, commitment) in aggregate.iter_mut().zip(*commitments) {
            *sum += commitment.to_ark();
        }
    }
    from_projective(&evaluate_in_exponent(aggregate.into_iter(), index))
}

/// A trustee's share `x_j` of the joint secret.
///
/// `Debug` shows the index only.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyShare {
    index: u32,
    secret: Scalar,
}

impl core::fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyShare")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl KeyShare {
    /// Trustee `index`'s share `secret`.
    pub fn new(index: u32, secret: Scalar) -> Self {
        Self { index, secret }
    }

    /// The trustee's index.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The share itself.
    pub(crate) fn secret(&self) -> &Scalar {
        &self.secret
    }

    /// `x_j·B8`, which must equal the public
    /// [`Qualification::verification_key`].
    pub fn verification_key(&self) -> Point {
        base_mul(&self.secret)
    }

    /// The 36-byte encoding `index ‖ x_j`. Secret: for the trustee's own
    /// storage only.
    pub fn to_bytes(&self) -> [u8; KEY_SHARE_BYTES] {
        let mut bytes = [0u8; KEY_SHARE_BYTES];
        bytes[..4].copy_from_slice(&self.index.to_be_bytes());
        bytes[4..].copy_from_slice(&encode_scalar(&self.secret));
        bytes
    }

    /// Decodes a stored share strictly.
    ///
    /// # Errors
    ///
    /// [`ThresholdError::ElGamal`] for a wrong length or a non-canonical
    /// scalar.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        check_length(bytes, KEY_SHARE_BYTES)?;
        Ok(Self {
            index: read_u32(&bytes[..4]),
            secret: decode_scalar(&bytes[4..])?,
        })
    }
}

/// Trustee `recipient`'s key share `x_j = Σ_{i qualified} f_i(j)`, from the
/// qualified dealers' dealings.
///
/// # Errors
///
/// [`ThresholdError::InvalidShare`] if a qualified dealer's share fails its
/// check (the trustee should have complained), or
/// [`ThresholdError::NoQualifiedDealer`] if a qualified dealer's dealing is
/// missing from `dealings`.
pub fn key_share(
    context: &[u8],
    params: &ThresholdParams,
    qualification: &Qualification,
    dealings: &[Dealing],
    recipient: u32,
    recipient_secret: &Scalar,
) -> Result<KeyShare> {
    params.check_index(recipient)?;
    let mut secret = Scalar::zero();
    for &dealer in qualification.qualified() {
        let dealing = dealings
            .iter()
            .find(|dealing| dealing.dealer == dealer)
            .ok_or(ThresholdError::NoQualifiedDealer)?;
        secret += receive_share(context, params, dealing, recipient, recipient_secret)?;
    }
    Ok(KeyShare::new(recipient, secret))
}
