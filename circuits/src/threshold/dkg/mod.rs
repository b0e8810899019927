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
//!    by a [`Transcript`](super::transcript::Transcript) from the context,
//!    `i`, `j`, `E` and the Diffie–Hellman point `e·P_j = sk_j·E`.
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
//! The dealing and the share checks are in `dealing`, complaints and their
//! verdicts in `complaint`, the qualified set and the keys it yields in
//! `qualification`; everything is re-exported here.
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

mod complaint;
mod dealing;
mod qualification;

pub use complaint::{COMPLAINT_BYTES, Complaint, ComplaintVerdict, judge_complaint};
pub use dealing::{
    DealerSecret, Dealing, ENCRYPTED_SHARE_BYTES, EncryptedShare, deal, decrypt_share,
    receive_share, share_pad, verify_share,
};
pub use qualification::{
    Disqualification, KEY_SHARE_BYTES, KeyShare, Qualification, joint_public_key, key_share,
    qualify, verification_key,
};

#[cfg(test)]
pub(crate) use dealing::honest_ceremony;

#[cfg(test)]
mod tests {
    use ark_ff::One;
    use rand_chacha::ChaCha20Rng;
    use rand_chacha::rand_core::SeedableRng;

    use super::*;
    use crate::babyjubjub::{BASE8, Point};
    use crate::elgamal::{Scalar, base_mul};
    use crate::threshold::{ThresholdError, ThresholdParams, lagrange_at_zero};

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
