//! Dealing: a dealer's secret polynomial, its commitments and shares
//! encrypted to every trustee; decrypting and checking one's share.

use ark_ec::{AffineRepr, CurveGroup};
use ark_ed_on_bn254::EdwardsProjective;
use ark_ff::{UniformRand, Zero};
use ark_std::rand::{CryptoRng, RngCore};

use crate::babyjubjub::{BASE8, Point};
use crate::elgamal::{
    self, POINT_BYTES, SCALAR_BYTES, Scalar, base_mul, check_length, decode_point, decode_scalar,
    encode_point, encode_scalar, from_projective,
};
use crate::threshold::transcript::Transcript;
use crate::threshold::{Result, ThresholdError, ThresholdParams, read_u32};

/// The length of an encoded [`EncryptedShare`].
pub const ENCRYPTED_SHARE_BYTES: usize = POINT_BYTES + SCALAR_BYTES;

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
/// [`Complaint`](super::Complaint).
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

/// `Σ_m C_m·index^m` by Horner's rule.
pub(super) fn evaluate_in_exponent(
    commitments: impl DoubleEndedIterator<Item = EdwardsProjective>,
    index: u32,
) -> EdwardsProjective {
    let x = Scalar::from(index);
    commitments
        .rev()
        .fold(EdwardsProjective::zero(), |acc, c| acc * x + c)
}

/// The share `dealing` encrypted to `recipient`.
pub(super) fn encrypted_share(dealing: &Dealing, recipient: u32) -> Result<&EncryptedShare> {
    (recipient as usize)
        .checked_sub(1)
        .and_then(|i| dealing.shares.get(i))
        .ok_or(ThresholdError::ShareCount {
            expected: recipient as usize,
            found: dealing.shares.len(),
        })
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
