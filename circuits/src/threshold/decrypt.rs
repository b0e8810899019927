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
mod tests {
    use ark_ff::{One, UniformRand};
    use rand_chacha::ChaCha20Rng;
    use rand_chacha::rand_core::SeedableRng;

    use super::*;
    use crate::elgamal::{Scalar, encrypt, sum_ballots};
    use crate::threshold::dkg::{Qualification, honest_ceremony, key_share, qualify};

    const CONTEXT: &[u8] = b"election 2026-001";
    const OPTIONS: usize = 4;

    struct Election {
        params: ThresholdParams,
        qualification: Qualification,
        shares: Vec<KeyShare>,
        totals: Vec<Ciphertext>,
        expected: Vec<u64>,
        table: DlogTable,
    }

    /// A 3-of-5 ceremony, then 40 ballots of one choice among 4 options.
    fn election(seed: u64) -> (Election, ChaCha20Rng) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let params = ThresholdParams::new(3, 5).unwrap();
        let (secrets, keys, _, dealings) = honest_ceremony(&params, CONTEXT, &mut rng);
        let qualification = qualify(CONTEXT, &params, &keys, &dealings, &[]).unwrap();
        let shares = (1..=5)
            .map(|j| {
                key_share(
                    CONTEXT,
                    &params,
                    &qualification,
                    &dealings,
                    j,
                    &secrets[j as usize - 1],
                )
                .unwrap()
            })
            .collect();
        let pk = qualification.joint_public_key();
        let pattern = [3, 1, 2, 3, 2, 0, 3, 1, 2, 3];
        let choices: Vec<usize> = (0..40).map(|v| pattern[v % pattern.len()]).collect();
        let mut expected = vec![0u64; OPTIONS];
        let ballots: Vec<Vec<Ciphertext>> = choices
            .iter()
            .map(|&choice| {
                expected[choice] += 1;
                (0..OPTIONS)
                    .map(|o| encrypt(&pk, u64::from(o == choice), &Scalar::rand(&mut rng)))
                    .collect()
            })
            .collect();
        let totals = sum_ballots(&ballots, OPTIONS).unwrap();
        let election = Election {
            params,
            qualification,
            shares,
            totals,
            expected,
            table: DlogTable::new(1000).unwrap(),
        };
        (election, rng)
    }

    impl Election {
        fn partials(&self, trustees: &[u32], rng: &mut ChaCha20Rng) -> Vec<PartialDecryption> {
            trustees
                .iter()
                .flat_map(|&j| {
                    let share = &self.shares[j as usize - 1];
                    (0u32..)
                        .zip(&self.totals)
                        .map(|(o, ct)| partial_decrypt(CONTEXT, o, share, ct, rng))
                        .collect::<Vec<_>>()
                })
                .collect()
        }

        fn decrypt(&self, partials: &[PartialDecryption]) -> Result<Tally> {
            decrypt_tally(
                CONTEXT,
                &self.params,
                &self.qualification.verification_keys(),
                &self.totals,
                partials,
                &self.table,
            )
        }
    }

    #[test]
    fn three_of_five_tally_decrypts_to_the_votes() {
        let (e, mut rng) = election(21);
        assert!(e.expected.iter().all(|&c| c > 0) && e.expected.iter().sum::<u64>() == 40);
        let partials = e.partials(&[1, 3, 5], &mut rng);
        let tally = e.decrypt(&partials).unwrap();
        assert_eq!(tally.counts, e.expected);
        assert_eq!(tally.used, vec![1, 3, 5]);
        assert!(tally.rejected.is_empty());
        let keys = e.qualification.verification_keys();
        assert_eq!(
            verify_tally(CONTEXT, &e.params, &keys, &e.totals, &partials, &e.expected),
            Ok(())
        );
        // A false count is rejected by the verifier.
        let mut wrong = e.expected.clone();
        wrong[2] += 1;
        assert_eq!(
            verify_tally(CONTEXT, &e.params, &keys, &e.totals, &partials, &wrong),
            Err(ThresholdError::CountMismatch { option: 2 })
        );
        assert!(matches!(
            verify_tally(CONTEXT, &e.params, &keys, &e.totals, &partials, &wrong[..3]),
            Err(ThresholdError::CountLength { .. })
        ));
        // The same partials in another election do not verify.
        assert!(matches!(
            verify_tally(
                b"other",
                &e.params,
                &keys,
                &e.totals,
                &partials,
                &e.expected
            ),
            Err(ThresholdError::NotEnoughGoodPartials { .. })
        ));
        // Encoding round trip, and `combine` on verified partials.
        for partial in &partials {
            assert_eq!(
                PartialDecryption::from_bytes(&partial.to_bytes()),
                Ok(*partial)
            );
        }
        let option0: Vec<PartialDecryption> =
            partials.iter().filter(|p| p.option == 0).copied().collect();
        assert_eq!(
            combine(&e.params, &e.totals[0], &option0),
            Ok(encode_message(e.expected[0]))
        );
        assert_eq!(
            combine(&e.params, &e.totals[0], &option0[..2]),
            Err(ThresholdError::TooFewShares {
                needed: 3,
                found: 2
            })
        );
        // Two shares alone do not decrypt: combining them as a 2-of-n
        // gives something else.
        let two = ThresholdParams::new(2, 5).unwrap();
        assert_ne!(
            combine(&two, &e.totals[0], &option0[..2]),
            Ok(encode_message(e.expected[0]))
        );
    }

    #[test]
    fn absent_and_cheating_trustees_are_skipped() {
        let (e, mut rng) = election(22);
        // Trustee 2 is absent.
        let tally = e.decrypt(&e.partials(&[1, 3, 4, 5], &mut rng)).unwrap();
        assert_eq!(
            (tally.counts.clone(), tally.used.clone()),
            (e.expected.clone(), vec![1, 3, 4])
        );
        assert!(tally.rejected.is_empty());

        // Trustee 1 decrypts with a wrong share, proving it consistently
        // with the wrong key; trustee 3 alters a share after proving.
        let mut partials = e.partials(&[2, 4, 5], &mut rng);
        let impostor = KeyShare::new(1, Scalar::from(12345u64));
        for (o, ct) in (0u32..).zip(&e.totals) {
            partials.push(partial_decrypt(CONTEXT, o, &impostor, ct, &mut rng));
        }
        let mut altered = e.partials(&[3], &mut rng);
        altered[1].share = altered[1].share + BASE8;
        partials.extend(altered);
        let tally = e.decrypt(&partials).unwrap();
        assert_eq!(tally.counts, e.expected);
        assert_eq!(tally.used, vec![2, 4, 5]);
        assert_eq!(
            tally.rejected,
            vec![
                RejectedTrustee {
                    trustee: 1,
                    reason: ThresholdError::InvalidProof
                },
                RejectedTrustee {
                    trustee: 3,
                    reason: ThresholdError::InvalidProof
                },
            ]
        );
    }

    #[test]
    fn fewer_than_k_good_trustees_is_a_clear_error() {
        let (e, mut rng) = election(23);
        let mut partials = e.partials(&[1, 2, 3, 4], &mut rng);
        // Trustee 3 misses option 2, trustee 4 answers option 0 twice and
        // misdirects option 1's partial to another option's ciphertext.
        partials.retain(|p| !(p.trustee == 3 && p.option == 2));
        let dup = *partials
            .iter()
            .find(|p| p.trustee == 4 && p.option == 0)
            .unwrap();
        partials.push(dup);
        partials.push(PartialDecryption { trustee: 9, ..dup });
        assert_eq!(
            e.decrypt(&partials),
            Err(ThresholdError::NotEnoughGoodPartials {
                needed: 3,
                good: 2,
                rejected: vec![3, 4, 9]
            })
        );
        let combined = combine_tally(
            CONTEXT,
            &e.params,
            &e.qualification.verification_keys(),
            &e.totals,
            &[partials.clone(), e.partials(&[5], &mut rng)].concat(),
        )
        .unwrap();
        assert_eq!(combined.used, vec![1, 2, 5]);
        assert_eq!(
            combined.rejected,
            vec![
                RejectedTrustee {
                    trustee: 3,
                    reason: ThresholdError::MissingPartial {
                        trustee: 3,
                        option: 2
                    }
                },
                RejectedTrustee {
                    trustee: 4,
                    reason: ThresholdError::DuplicatePartial {
                        trustee: 4,
                        option: 0
                    }
                },
                RejectedTrustee {
                    trustee: 9,
                    reason: ThresholdError::TrusteeOutOfRange {
                        index: 9,
                        trustees: 5
                    }
                },
            ]
        );
    }

    #[test]
    fn partial_proofs_are_bound_to_their_statement() {
        let (e, mut rng) = election(24);
        let share = &e.shares[1];
        let key = e.qualification.verification_key(2).unwrap();
        let partial = partial_decrypt(CONTEXT, 1, share, &e.totals[1], &mut rng);
        assert_eq!(
            verify_partial(CONTEXT, &key, &e.totals[1], &partial),
            Ok(())
        );
        let invalid = Err(ThresholdError::InvalidProof);
        // Another option's ciphertext, option index, trustee, key, context.
        assert_eq!(
            verify_partial(CONTEXT, &key, &e.totals[0], &partial),
            invalid
        );
        let relabelled = PartialDecryption {
            option: 0,
            ..partial
        };
        assert_eq!(
            verify_partial(CONTEXT, &key, &e.totals[1], &relabelled),
            invalid
        );
        let reattributed = PartialDecryption {
            trustee: 3,
            ..partial
        };
        assert_eq!(
            verify_partial(CONTEXT, &key, &e.totals[1], &reattributed),
            invalid
        );
        let other_key = e.qualification.verification_key(3).unwrap();
        assert_eq!(
            verify_partial(CONTEXT, &other_key, &e.totals[1], &partial),
            invalid
        );
        assert_eq!(
            verify_partial(b"other", &key, &e.totals[1], &partial),
            invalid
        );
        // Same c1, different c2: still bound.
        let mut changed = e.totals[1];
        changed.c2 = changed.c2 + BASE8;
        assert_eq!(verify_partial(CONTEXT, &key, &changed, &partial), invalid);
        let mut tampered = partial;
        tampered.proof.response += Scalar::one();
        assert_eq!(
            verify_partial(CONTEXT, &key, &e.totals[1], &tampered),
            invalid
        );
        assert!(PartialDecryption::from_bytes(&partial.to_bytes()[1..]).is_err());
    }

    #[test]
    fn a_total_beyond_the_bound_is_reported() {
        let (e, mut rng) = election(25);
        let partials = e.partials(&[1, 2, 3], &mut rng);
        let small = DlogTable::new(5).unwrap();
        let result = decrypt_tally(
            CONTEXT,
            &e.params,
            &e.qualification.verification_keys(),
            &e.totals,
            &partials,
            &small,
        );
        let option = e.expected.iter().position(|&c| c > 5).unwrap() as u32;
        assert_eq!(
            result,
            Err(ThresholdError::DlogNotFound { option, bound: 5 })
        );
    }
}
