//! The trustees' key ceremony: Feldman VSS with a Pedersen-style joint key.
//!
//! Each trustee `j` has a long-term BabyJubJub key pair
//! `(sk_j, P_j = sk_j·B8)`, registered beforehand. In the ceremony, each
//! trustee `i` acting as a dealer:
//!
//! 1. draws a random polynomial `f_i` of degree `k − 1`
//!    ([`DealerSecret`]) and publishes commitments `C_im = a_im·B8` to its
//!    coefficients;
//! 2. publishes, for every trustee `j` (itself included, which keeps the
//!    dealing uniform), `f_i(j)` encrypted to `P_j` ([`EncryptedShare`]):
//!    ephemeral `e`, `E = e·B8`, `masked = f_i(j) + pad` with `pad` derived
//!    by a [`Transcript`] from the context, `i`, `j`, `E` and the
//!    Diffie–Hellman point `e·P_j = sk_j·E`.
//!
//! Each recipient decrypts and checks its share against the commitments
//! ([`verify_share`]: `Σ_m C_im·j^m = f_i(j)·B8`). If the check fails, it
//! publishes a [`Complaint`]: the Diffie–Hellman point `S = sk_j·E` with a
//! Chaum–Pedersen proof that `log_B8 P_j = log_E S`. Anyone can then
//! recompute the pad, the share and the check ([`judge_complaint`]): if the
//! share is bad the dealer is disqualified; if it is good the complaint is
//! unfounded. Revealing `S` reveals only that one share, which was
//! published as bad (or which the complainer already knew).
//!
//! The qualified set ([`qualify`]) is every dealer with a well-formed
//! dealing and no upheld complaint. The joint public key is
//! `Σ_{i qualified} C_i0`; trustee `j`'s secret share is
//! `x_j = Σ_{i qualified} f_i(j)` ([`key_share`]) and its public
//! verification key `Y_j = x_j·B8 = Σ_i Σ_m C_im·j^m`
//! ([`verification_key`]), computable by anyone from the commitments. Nobody
//! ever holds the joint secret `Σ_i f_i(0)`.
//!
//! # Byte encodings
//!
//! - [`EncryptedShare`], 96 bytes: `ephemeral (64) ‖ masked (32)`;
//! - [`Dealing`]: `dealer (u32 BE) ‖ k (u32 BE) ‖ k commitments (64 each) ‖
//!   n (u32 BE) ‖ n encrypted shares (96 each)`;
//! - [`Complaint`], 136 bytes: `dealer (u32 BE) ‖ recipient (u32 BE) ‖
//!   S (64) ‖ proof (64)`;
//! - [`KeyShare`], 36 bytes (secret, for the trustee's own storage):
//!   `index (u32 BE) ‖ x_j (32)`.

use ark_ec::{AffineRepr, CurveGroup};
use ark_ed_on_bn254::EdwardsProjective;
use ark_ff::{UniformRand, Zero};
use ark_std::rand::{CryptoRng, RngCore};

use super::dleq::{DleqProof, PROVEN_POINT_BYTES, ProvenPoint};
use super::transcript::Transcript;
use super::{Result, ThresholdError, ThresholdParams, bind, read_u32};
use crate::babyjubjub::{BASE8, Point};
use crate::elgamal::{
    self, POINT_BYTES, SCALAR_BYTES, Scalar, base_mul, check_length, decode_point, decode_scalar,
    encode_point, encode_scalar, from_projective,
};

/// The length of an encoded [`EncryptedShare`].
pub const ENCRYPTED_SHARE_BYTES: usize = POINT_BYTES + SCALAR_BYTES;

/// The length of an encoded [`Complaint`].
pub const COMPLAINT_BYTES: usize = PROVEN_POINT_BYTES;

/// The length of an encoded [`KeyShare`].
pub const KEY_SHARE_BYTES: usize = 4 + SCALAR_BYTES;

/// A dealer's secret polynomial `f(x) = a_0 + a_1·x + … + a_{k−1}·x^{k−1}`.
///
/// `Debug` shows the degree only.
#[derive(Clone, PartialEq, Eq)]
pub struct DealerSecret {
    coefficients: Vec<Scalar>,
}

impl core::fmt::Debug for DealerSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DealerSecret")
            .field("degree", &(self.coefficients.len() - 1))
            .finish_non_exhaustive()
    }
}

impl DealerSecret {
    /// A uniformly random polynomial of degree `k − 1`.
    pub fn random(params: &ThresholdParams, rng: &mut (impl RngCore + CryptoRng)) -> Self {
        Self {
            coefficients: (0..params.threshold()).map(|_| Scalar::rand(rng)).collect(),
        }
    }

    /// The commitments `a_m·B8` to the coefficients, constant term first.
    pub fn commitments(&self) -> Vec<Point> {
        let base = BASE8.to_ark();
        let points: Vec<EdwardsProjective> = self.coefficients.iter().map(|a| base * a).collect();
        EdwardsProjective::normalize_batch(&points)
            .iter()
            .map(Point::from_ark)
            .collect()
    }

    /// `f(index)`, the share for trustee `index`.
    pub fn evaluate(&self, index: u32) -> Scalar {
        let x = Scalar::from(index);
        self.coefficients
            .iter()
            .rev()
            .fold(Scalar::zero(), |acc, a| acc * x + a)
    }

    #[cfg(test)]
    pub(crate) fn constant_term(&self) -> Scalar {
        self.coefficients[0]
    }
}

/// A share `f_i(j)` encrypted to trustee `j`'s key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncryptedShare {
    /// `E = e·B8` for the dealer's ephemeral secret `e`.
    pub ephemeral: Point,
    /// `f_i(j) + pad(context, i, j, E, e·P_j)`.
    pub masked: Scalar,
}

impl EncryptedShare {
    /// The 96-byte encoding `ephemeral ‖ masked`.
    pub fn to_bytes(&self) -> [u8; ENCRYPTED_SHARE_BYTES] {
        let mut bytes = [0u8; ENCRYPTED_SHARE_BYTES];
        bytes[..POINT_BYTES].copy_from_slice(&encode_point(&self.ephemeral));
        bytes[POINT_BYTES..].copy_from_slice(&encode_scalar(&self.masked));
        bytes
    }

    /// Decodes untrusted bytes strictly.
    ///
    /// # Errors
    ///
    /// [`ThresholdError::ElGamal`] for a wrong length or a bad point or
    /// scalar.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        check_length(bytes, ENCRYPTED_SHARE_BYTES)?;
        Ok(Self {
            ephemeral: decode_point(&bytes[..POINT_BYTES])?,
            masked: decode_scalar(&bytes[POINT_BYTES..])?,
        })
    }
}

/// A dealer's public message: commitments and one encrypted share per
/// trustee (`shares[j − 1]` is trustee `j`'s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dealing {
    /// The dealer's trustee index.
    pub dealer: u32,
    /// `a_m·B8` for `m = 0..k`.
    pub commitments: Vec<Point>,
    /// The encrypted `f(j)` for `j = 1..=n`.
    pub shares: Vec<EncryptedShare>,
}

impl Dealing {
    /// Checks the dealing's shape for `params`: a dealer in range, `k`
    /// commitments and `n` shares, every point in the prime-order subgroup.
    ///
    /// # Errors
    ///
    /// [`ThresholdError::TrusteeOutOfRange`],
    /// [`ThresholdError::CommitmentCount`], [`ThresholdError::ShareCount`],
    /// [`ThresholdError::PointNotInSubgroup`].
    pub fn check(&self, params: &ThresholdParams) -> Result<()> {
        params.check_index(self.dealer)?;
        if self.commitments.len() != params.threshold() as usize {
            return Err(ThresholdError::CommitmentCount {
                expected: params.threshold() as usize,
                found: self.commitments.len(),
            });
        }
        if self.shares.len() != params.trustees() as usize {
            return Err(ThresholdError::ShareCount {
                expected: params.trustees() as usize,
                found: self.shares.len(),
            });
        }
        let points = self
            .commitments
            .iter()
            .chain(self.shares.iter().map(|share| &share.ephemeral));
        for point in points {
            if !point.is_in_prime_order_subgroup() {
                return Err(ThresholdError::PointNotInSubgroup);
            }
        }
        Ok(())
    }

    /// The encoding described in the module documentation.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(
            12 + self.commitments.len() * POINT_BYTES + self.shares.len() * ENCRYPTED_SHARE_BYTES,
        );
        bytes.extend_from_slice(&self.dealer.to_be_bytes());
        bytes.extend_from_slice(&(self.commitments.len() as u32).to_be_bytes());
        for commitment in &self.commitments {
            bytes.extend_from_slice(&encode_point(commitment));
        }
        bytes.extend_from_slice(&(self.shares.len() as u32).to_be_bytes());
        for share in &self.shares {
            bytes.extend_from_slice(&share.to_bytes());
        }
        bytes
    }

    /// Decodes an untrusted dealing strictly for `params`: the counts must
    /// be `k` and `n` (so lengths are bounded before anything is read), the
    /// total length exact, every point and scalar canonical.
    ///
    /// # Errors
    ///
    /// [`ThresholdError::ElGamal`] with [`ElGamalError::Length`](elgamal::ElGamalError::Length) for a
    /// wrong length, or the point or scalar error; the errors of
    /// [`Dealing::check`].
    pub fn from_bytes(params: &ThresholdParams, bytes: &[u8]) -> Result<Self> {
        let (k, n) = (params.threshold() as usize, params.trustees() as usize);
        check_length(bytes, 12 + k * POINT_BYTES + n * ENCRYPTED_SHARE_BYTES)?;
        let dealer = read_u32(&bytes[0..4]);
        let found_k = read_u32(&bytes[4..8]) as usize;
        if found_k != k {
            return Err(ThresholdError::CommitmentCount {
                expected: k,
                found: found_k,
            });
        }
        let shares_at = 8 + k * POINT_BYTES;
        let commitments = bytes[8..shares_at]
            .chunks_exact(POINT_BYTES)
            .map(decode_point)
            .collect::<Result<Vec<_>, _>>()?;
        let found_n = read_u32(&bytes[shares_at..shares_at + 4]) as usize;
        if found_n != n {
            return Err(ThresholdError::ShareCount {
                expected: n,
                found: found_n,
            });
        }
        let shares = bytes[shares_at + 4..]
            .chunks_exact(ENCRYPTED_SHARE_BYTES)
            .map(EncryptedShare::from_bytes)
            .collect::<Result<Vec<_>>>()?;
        let dealing = Self {
            dealer,
            commitments,
            shares,
        };
        dealing.check(params)?;
        Ok(dealing)
    }
}

/// Dealer `dealer`'s dealing of `secret` to the trustees whose keys are
/// `trustee_keys` (`trustee_keys[j − 1]` is trustee `j`'s `P_j`).
///
/// `context` names the ceremony (the election id) and is bound into every
/// pad, so a dealing cannot be replayed into another ceremony.
///
/// # Errors
///
/// [`ThresholdError::TrusteeOutOfRange`] for a bad dealer index,
/// [`ThresholdError::KeyCount`] unless one key per trustee,
/// [`ThresholdError::InvalidTrusteeKey`] for the identity or a point outside
/// the subgroup, [`ThresholdError::CommitmentCount`] if `secret` is not of
/// degree `k − 1`.
pub fn deal(
    params: &ThresholdParams,
    context: &[u8],
    dealer: u32,
    secret: &DealerSecret,
    trustee_keys: &[Point],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Dealing> {
    params.check_index(dealer)?;
    params.check_trustee_keys(trustee_keys)?;
    if secret.coefficients.len() != params.threshold() as usize {
        return Err(ThresholdError::CommitmentCount {
            expected: params.threshold() as usize,
            found: secret.coefficients.len(),
        });
    }
    let shares = (1..=params.trustees())
        .zip(trustee_keys)
        .map(|(recipient, key)| {
            let ephemeral_secret = Scalar::rand(rng);
            let ephemeral = base_mul(&ephemeral_secret);
            let dh_point = elgamal::mul(key, &ephemeral_secret);
            let pad = share_pad(context, dealer, recipient, &ephemeral, &dh_point);
            EncryptedShare {
                ephemeral,
                masked: secret.evaluate(recipient) + pad,
            }
        })
        .collect();
    Ok(Dealing {
        dealer,
        commitments: secret.commitments(),
        shares,
    })
}

/// The one-time pad of dealer `dealer`'s share for `recipient`, from the
/// ephemeral point and the Diffie–Hellman point `e·P_j = sk_j·E`.
pub fn share_pad(
    context: &[u8],
    dealer: u32,
    recipient: u32,
    ephemeral: &Point,
    dh_point: &Point,
) -> Scalar {
    let mut transcript = Transcript::new(b"zkaudit/dkg-share-pad/v1");
    transcript.append(b"context", context);
    transcript.append_u32(b"dealer", dealer);
    transcript.append_u32(b"recipient", recipient);
    transcript.append_point(b"ephemeral", ephemeral);
    transcript.append_point(b"dh", dh_point);
    transcript.challenge_scalar(b"pad")
}

/// Trustee `recipient`'s share of `dealing`, decrypted with its secret key
/// and not yet checked (see [`receive_share`]).
///
/// # Errors
///
/// [`ThresholdError::ShareCount`] if the dealing has no share for
/// `recipient`.
pub fn decrypt_share(
    context: &[u8],
    dealing: &Dealing,
    recipient: u32,
    recipient_secret: &Scalar,
) -> Result<Scalar> {
    let encrypted = encrypted_share(dealing, recipient)?;
    let dh_point = elgamal::mul(&encrypted.ephemeral, recipient_secret);
    let pad = share_pad(
        context,
        dealing.dealer,
        recipient,
        &encrypted.ephemeral,
        &dh_point,
    );
    Ok(encrypted.masked - pad)
}

/// The Feldman check of trustee `index`'s `share` against a dealer's
/// `commitments`: `Σ_m C_m·index^m = share·B8`.
///
/// # Errors
///
/// [`ThresholdError::InvalidShare`] if the check fails.
pub fn verify_share(commitments: &[Point], index: u32, share: &Scalar) -> Result<()> {
    let expected = evaluate_in_exponent(commitments.iter().map(|c| c.to_ark().into_group()), index);
    if from_projective(&expected) == base_mul(share) {
        Ok(())
    } else {
        Err(ThresholdError::InvalidShare)
    }
}

/// Trustee `recipient`'s share of a dealing, decrypted and checked: the
/// dealing's shape, then the Feldman check.
///
/// # Errors
///
/// The errors of [`Dealing::check`]; [`ThresholdError::InvalidShare`] if
/// the share fails its check, when the trustee should publish a
/// [`Complaint`].
pub fn receive_share(
    context: &[u8],
    params: &ThresholdParams,
    dealing: &Dealing,
    recipient: u32,
    recipient_secret: &Scalar,
) -> Result<Scalar> {
    dealing.check(params)?;
    params.check_index(recipient)?;
    let share = decrypt_share(context, dealing, recipient, recipient_secret)?;
    verify_share(&dealing.commitments, recipient, &share)?;
    Ok(share)
}

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

/// `Σ_m C_m·index^m` by Horner's rule.
fn evaluate_in_exponent(
    commitments: impl DoubleEndedIterator<Item = EdwardsProjective>,
    index: u32,
) -> EdwardsProjective {
    let x = Scalar::from(index);
    commitments
        .rev()
        .fold(EdwardsProjective::zero(), |acc, c| acc * x + c)
}

fn encrypted_share(dealing: &Dealing, recipient: u32) -> Result<&EncryptedShare> {
    (recipient as usize)
        .checked_sub(1)
        .and_then(|i| dealing.shares.get(i))
        .ok_or(ThresholdError::ShareCount {
            expected: recipient as usize,
            found: dealing.shares.len(),
        })
}

fn complaint_context(context: &[u8], dealer: u32, recipient: u32) -> Vec<u8> {
    bind(&[
        b"zkaudit/dkg-complaint/v1",
        context,
        &dealer.to_be_bytes(),
        &recipient.to_be_bytes(),
    ])
}

/// A whole honest ceremony for tests: trustee secrets, keys, dealer
/// secrets and dealings.
#[cfg(test)]
pub(crate) fn honest_ceremony(
    params: &ThresholdParams,
    context: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> (Vec<Scalar>, Vec<Point>, Vec<DealerSecret>, Vec<Dealing>) {
    let secrets: Vec<Scalar> = (0..params.trustees()).map(|_| Scalar::rand(rng)).collect();
    let keys: Vec<Point> = secrets.iter().map(base_mul).collect();
    let dealer_secrets: Vec<DealerSecret> = (0..params.trustees())
        .map(|_| DealerSecret::random(params, rng))
        .collect();
    let dealings = (1..)
        .zip(&dealer_secrets)
        .map(|(dealer, secret)| deal(params, context, dealer, secret, &keys, rng).unwrap())
        .collect();
    (secrets, keys, dealer_secrets, dealings)
}

#[cfg(test)]
mod tests {
    use ark_ff::One;
    use rand_chacha::ChaCha20Rng;
    use rand_chacha::rand_core::SeedableRng;

    use super::*;
    use crate::threshold::lagrange_at_zero;

    const CONTEXT: &[u8] = b"election 2026-001";

    /// Every trustee's key share, from its secret key.
    fn all_key_shares(
        params: &ThresholdParams,
        qualification: &Qualification,
        dealings: &[Dealing],
        secrets: &[Scalar],
    ) -> Vec<KeyShare> {
        (1..)
            .zip(secrets)
            .map(|(j, secret)| {
                key_share(CONTEXT, params, qualification, dealings, j, secret).unwrap()
            })
            .collect()
    }

    /// Each key share's verification key is the one the qualification
    /// publishes, and any `k` shares interpolate to the joint secret, whose
    /// public key is the joint key; fewer do not.
    fn assert_shares_fit(
        params: &ThresholdParams,
        qualification: &Qualification,
        shares: &[KeyShare],
        joint_secret: Scalar,
    ) {
        for share in shares {
            assert_eq!(
                Ok(share.verification_key()),
                qualification.verification_key(share.index())
            );
        }
        assert_eq!(base_mul(&joint_secret), qualification.joint_public_key());
        let k = params.threshold() as usize;
        for start in 0..shares.len() {
            let subset: Vec<&KeyShare> = shares.iter().cycle().skip(start).take(k).collect();
            let indices: Vec<u32> = subset.iter().map(|s| s.index()).collect();
            let lambdas = lagrange_at_zero(&indices).unwrap();
            let interpolated: Scalar = subset
                .iter()
                .zip(&lambdas)
                .map(|(s, l)| *l * s.secret())
                .sum();
            assert_eq!(interpolated, joint_secret);
            let fewer = &indices[..k - 1];
            let lambdas = lagrange_at_zero(fewer).unwrap();
            let partial: Scalar = subset
                .iter()
                .zip(&lambdas)
                .map(|(s, l)| *l * s.secret())
                .sum();
            assert_ne!(partial, joint_secret);
        }
    }

    #[test]
    fn honest_three_of_five_ceremony() {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let params = ThresholdParams::new(3, 5).unwrap();
        let (secrets, keys, dealer_secrets, dealings) = honest_ceremony(&params, CONTEXT, &mut rng);
        for dealing in &dealings {
            assert_eq!(
                Dealing::from_bytes(&params, &dealing.to_bytes()).as_ref(),
                Ok(dealing)
            );
            for j in 1..=5 {
                let share = receive_share(CONTEXT, &params, dealing, j, &secrets[j as usize - 1]);
                assert_eq!(
                    share,
                    Ok(dealer_secrets[dealing.dealer as usize - 1].evaluate(j))
                );
                // Another trustee's key does not decrypt it.
                let other = &secrets[j as usize % 5];
                assert_eq!(
                    receive_share(CONTEXT, &params, dealing, j, other),
                    Err(ThresholdError::InvalidShare)
                );
            }
            // Nor does the right key in another ceremony.
            assert_eq!(
                receive_share(b"another election", &params, dealing, 1, &secrets[0]),
                Err(ThresholdError::InvalidShare)
            );
        }
        let qualification = qualify(CONTEXT, &params, &keys, &dealings, &[]).unwrap();
        assert_eq!(qualification.qualified(), &[1, 2, 3, 4, 5]);
        assert!(qualification.disqualified().is_empty());
        let joint_secret: Scalar = dealer_secrets.iter().map(|d| d.constant_term()).sum();
        let commitments: Vec<&[Point]> =
            dealings.iter().map(|d| d.commitments.as_slice()).collect();
        assert_eq!(
            joint_public_key(&commitments),
            qualification.joint_public_key()
        );
        let shares = all_key_shares(&params, &qualification, &dealings, &secrets);
        for share in &shares {
            let public = qualification.verification_key(share.index()).unwrap();
            assert_eq!(share.verification_key(), public);
            assert_eq!(verification_key(&commitments, share.index()), public);
            assert_eq!(KeyShare::from_bytes(&share.to_bytes()), Ok(share.clone()));
            assert!(!format!("{share:?}").contains(&format!("{}", share.secret())));
        }
        assert_eq!(qualification.verification_keys().len(), 5);
        assert_shares_fit(&params, &qualification, &shares, joint_secret);
    }

    #[test]
    fn a_bad_share_is_upheld_and_its_dealer_disqualified() {
        let mut rng = ChaCha20Rng::seed_from_u64(12);
        let params = ThresholdParams::new(3, 5).unwrap();
        let (secrets, keys, dealer_secrets, mut dealings) =
            honest_ceremony(&params, CONTEXT, &mut rng);
        // Dealer 2 sends trustee 4 a share off its polynomial.
        dealings[1].shares[3].masked += Scalar::one();
        let received = receive_share(CONTEXT, &params, &dealings[1], 4, &secrets[3]);
        assert_eq!(received, Err(ThresholdError::InvalidShare));
        let complaint = Complaint::new(CONTEXT, &dealings[1], 4, &secrets[3], &mut rng).unwrap();
        assert_eq!(Complaint::from_bytes(&complaint.to_bytes()), Ok(complaint));
        assert_eq!(
            judge_complaint(CONTEXT, &params, &keys, &dealings[1], &complaint),
            Ok(ComplaintVerdict::DealerAtFault)
        );
        // Trustee 3 complains falsely about dealer 1's good share.
        let false_complaint =
            Complaint::new(CONTEXT, &dealings[0], 3, &secrets[2], &mut rng).unwrap();
        assert_eq!(
            judge_complaint(CONTEXT, &params, &keys, &dealings[0], &false_complaint),
            Ok(ComplaintVerdict::Unfounded)
        );
        // Trustee 5 tries to frame dealer 3 with a wrong DH point: the proof
        // fails and the complaint is ignored.
        let mut framing = Complaint::new(CONTEXT, &dealings[2], 5, &secrets[4], &mut rng).unwrap();
        framing.dh_point = framing.dh_point + BASE8;
        assert_eq!(
            judge_complaint(CONTEXT, &params, &keys, &dealings[2], &framing),
            Err(ThresholdError::InvalidProof)
        );
        // A complaint replayed against the wrong dealing, or in another
        // ceremony, is not upheld.
        assert!(matches!(
            judge_complaint(CONTEXT, &params, &keys, &dealings[0], &complaint),
            Err(ThresholdError::DealerMismatch { .. })
        ));
        assert_eq!(
            judge_complaint(b"other", &params, &keys, &dealings[1], &complaint),
            Err(ThresholdError::InvalidProof)
        );

        let complaints = [complaint, false_complaint, framing];
        let qualification = qualify(CONTEXT, &params, &keys, &dealings, &complaints).unwrap();
        assert_eq!(qualification.qualified(), &[1, 3, 4, 5]);
        assert_eq!(
            qualification.disqualified(),
            &[(2, Disqualification::ComplaintUpheld { complainant: 4 })]
        );
        assert_eq!(
            qualification.verdicts(),
            &[
                Ok(ComplaintVerdict::DealerAtFault),
                Ok(ComplaintVerdict::Unfounded),
                Err(ThresholdError::InvalidProof)
            ]
        );
        // The joint key excludes dealer 2, and every trustee (trustee 4
        // included) gets a share that interpolates to it.
        let joint_secret: Scalar = [0, 2, 3, 4]
            .iter()
            .map(|&i| dealer_secrets[i].constant_term())
            .sum();
        let shares = all_key_shares(&params, &qualification, &dealings, &secrets);
        assert_shares_fit(&params, &qualification, &shares, joint_secret);
    }

    #[test]
    fn malformed_or_missing_dealings_are_disqualified() {
        let mut rng = ChaCha20Rng::seed_from_u64(13);
        let params = ThresholdParams::new(2, 4).unwrap();
        let (secrets, keys, _, mut dealings) = honest_ceremony(&params, CONTEXT, &mut rng);
        dealings[0].commitments.pop();
        dealings.remove(2);
        let duplicate = dealings[2].clone();
        dealings.push(duplicate);
        // A dealing from a non-trustee, complained about, changes nothing;
        // nor does a complaint about a dealer with no dealing.
        let mut stray = dealings[1].clone();
        stray.dealer = 0;
        let complaint = Complaint::new(CONTEXT, &stray, 1, &secrets[0], &mut rng).unwrap();
        let missing = Complaint::new(CONTEXT, &dealings[1], 1, &secrets[0], &mut rng)
            .map(|c| Complaint { dealer: 3, ..c })
            .unwrap();
        dealings.push(stray);
        let qualification =
            qualify(CONTEXT, &params, &keys, &dealings, &[complaint, missing]).unwrap();
        assert_eq!(
            qualification.verdicts(),
            &[
                Err(ThresholdError::TrusteeOutOfRange {
                    index: 0,
                    trustees: 4
                }),
                Err(ThresholdError::NoDealing(3))
            ]
        );
        assert_eq!(qualification.qualified(), &[2]);
        assert_eq!(
            qualification.disqualified(),
            &[
                (
                    1,
                    Disqualification::Malformed(ThresholdError::CommitmentCount {
                        expected: 2,
                        found: 1
                    })
                ),
                (3, Disqualification::NoDealing),
                (4, Disqualification::DuplicateDealing),
            ]
        );
        assert_eq!(
            qualify(CONTEXT, &params, &keys, &[], &[]),
            Err(ThresholdError::NoQualifiedDealer)
        );
        assert!(matches!(
            qualify(CONTEXT, &params, &keys[..3], &dealings, &[]),
            Err(ThresholdError::KeyCount { .. })
        ));
        let mut weak_keys = keys.clone();
        weak_keys[2] = Point::IDENTITY;
        assert_eq!(
            qualify(CONTEXT, &params, &weak_keys, &dealings, &[]),
            Err(ThresholdError::InvalidTrusteeKey(3))
        );
        let secret = DealerSecret::random(&params, &mut rng);
        assert_eq!(
            deal(&params, CONTEXT, 1, &secret, &weak_keys, &mut rng),
            Err(ThresholdError::InvalidTrusteeKey(3))
        );
        // Strict decoding: wrong counts and truncation.
        let bytes = dealings[1].to_bytes();
        assert!(Dealing::from_bytes(&params, &bytes[..bytes.len() - 1]).is_err());
        let other = ThresholdParams::new(3, 4).unwrap();
        assert!(Dealing::from_bytes(&other, &bytes).is_err());
        let mut bad_count = bytes.clone();
        bad_count[7] = 3;
        assert!(Dealing::from_bytes(&params, &bad_count).is_err());
        assert!(format!("{:?}", DealerSecret::random(&params, &mut rng)).contains("degree: 1"));
    }
}
