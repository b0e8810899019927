//! Complaints: a trustee's public, provable claim that its share is bad,
//! and the public verdict on it.

use ark_std::rand::{CryptoRng, RngCore};

use super::dealing::{Dealing, encrypted_share, share_pad, verify_share};
use crate::babyjubjub::{BASE8, Point};
use crate::elgamal::{self, Scalar};
use crate::threshold::dleq::{DleqProof, PROVEN_POINT_BYTES, ProvenPoint};
use crate::threshold::{Result, ThresholdError, ThresholdParams, bind};

/// The length of an encoded [`Complaint`].
pub const COMPLAINT_BYTES: usize = PROVEN_POINT_BYTES;

/// A trustee's public complaint against a dealer: the Diffie–Hellman point
/// of its encrypted share, proved correct, so anyone can decrypt that one
/// share and check it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Complaint {
    /// The dealer complained against.
    pub dealer: u32,
    /// The complaining trustee, the share's recipient.
    pub recipient: u32,
    /// `S = sk_j·E` for the share's ephemeral point `E`.
    pub dh_point: Point,
    /// Chaum–Pedersen proof that `log_B8 P_j = log_E S`.
    pub proof: DleqProof,
}

impl Complaint {
    /// Trustee `recipient`'s complaint against `dealing`.
    ///
    /// # Errors
    ///
    /// [`ThresholdError::ShareCount`] if the dealing has no share for
    /// `recipient`.
    pub fn new(
        context: &[u8],
        dealing: &Dealing,
        recipient: u32,
        recipient_secret: &Scalar,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Self> {
        let ephemeral = encrypted_share(dealing, recipient)?.ephemeral;
        let proof = DleqProof::prove(
            rng,
            &complaint_context(context, dealing.dealer, recipient),
            &BASE8,
            &ephemeral,
            recipient_secret,
        );
        Ok(Self {
            dealer: dealing.dealer,
            recipient,
            dh_point: elgamal::mul(&ephemeral, recipient_secret),
            proof,
        })
    }

    /// The 136-byte encoding described in the module documentation.
    pub fn to_bytes(&self) -> [u8; COMPLAINT_BYTES] {
        ProvenPoint {
            indices: [self.dealer, self.recipient],
            point: self.dh_point,
            proof: self.proof,
        }
        .to_bytes()
    }

    /// Decodes untrusted bytes strictly (indices are checked when judged).
    ///
    /// # Errors
    ///
    /// [`ThresholdError::ElGamal`] for a wrong length or a bad point or
    /// scalar.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let ProvenPoint {
            indices: [dealer, recipient],
            point: dh_point,
            proof,
        } = ProvenPoint::from_bytes(bytes)?;
        Ok(Self {
            dealer,
            recipient,
            dh_point,
            proof,
        })
    }
}

/// The public decision on a well-formed complaint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ComplaintVerdict {
    /// The share is bad (or the dealing malformed): the dealer is
    /// disqualified.
    DealerAtFault,
    /// The share passes the Feldman check: the complaint is dismissed.
    Unfounded,
}

/// Decides a complaint publicly, from the dealing, the complainer's
/// registered key and the complaint alone.
///
/// # Errors
///
/// [`ThresholdError::DealerMismatch`] if the complaint is about another
/// dealing, [`ThresholdError::TrusteeOutOfRange`] or
/// [`ThresholdError::KeyCount`] for bad indices or keys,
/// [`ThresholdError::InvalidProof`] (or
/// [`ThresholdError::PointNotInSubgroup`]) if the Diffie–Hellman point is
/// not proved: the complaint is then ignored, never upheld.
pub fn judge_complaint(
    context: &[u8],
    params: &ThresholdParams,
    trustee_keys: &[Point],
    dealing: &Dealing,
    complaint: &Complaint,
) -> Result<ComplaintVerdict> {
    if complaint.dealer != dealing.dealer {
        return Err(ThresholdError::DealerMismatch {
            complaint: complaint.dealer,
            dealing: dealing.dealer,
        });
    }
    params.check_index(complaint.recipient)?;
    params.check_key_count(trustee_keys)?;
    if dealing.check(params).is_err() {
        return Ok(ComplaintVerdict::DealerAtFault);
    }
    let encrypted = encrypted_share(dealing, complaint.recipient)?;
    complaint.proof.verify(
        &complaint_context(context, dealing.dealer, complaint.recipient),
        &BASE8,
        &encrypted.ephemeral,
        &trustee_keys[complaint.recipient as usize - 1],
        &complaint.dh_point,
    )?;
    let pad = share_pad(
        context,
        dealing.dealer,
        complaint.recipient,
        &encrypted.ephemeral,
        &complaint.dh_point,
    );
    let share = encrypted.masked - pad;
    Ok(
        match verify_share(&dealing.commitments, complaint.recipient, &share) {
            Ok(()) => ComplaintVerdict::Unfounded,
            Err(_) => ComplaintVerdict::DealerAtFault,
        },
    )
}

fn complaint_context(context: &[u8], dealer: u32, recipient: u32) -> Vec<u8> {
    bind(&[
        b"zkaudit/dkg-complaint/v1",
        context,
        &dealer.to_be_bytes(),
        &recipient.to_be_bytes(),
    ])
}
