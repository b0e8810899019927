//! Tests of threshold decryption: partials, their proofs, and the combined tally.

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
    let relabelled = PartialDecryption {
        option: 0,
        ..partial
    };
    let reattributed = PartialDecryption {
        trustee: 3,
        ..partial
    };
    let other_key = e.qualification.verification_key(3).unwrap();
    let mut changed = e.totals[1];
    changed.c2 = changed.c2 + BASE8;
    let mut tampered = partial;
    tampered.proof.response += Scalar::one();
    // Another option's ciphertext, option index, trustee, key, context; the
    // same c1 with another c2 (still bound); a tampered proof.
    let forgeries: [(&[u8], &Point, &Ciphertext, &PartialDecryption); 7] = [
        (CONTEXT, &key, &e.totals[0], &partial),
        (CONTEXT, &key, &e.totals[1], &relabelled),
        (CONTEXT, &key, &e.totals[1], &reattributed),
        (CONTEXT, &other_key, &e.totals[1], &partial),
        (b"other", &key, &e.totals[1], &partial),
        (CONTEXT, &key, &changed, &partial),
        (CONTEXT, &key, &e.totals[1], &tampered),
    ];
    for (case, (context, key, ciphertext, forged)) in forgeries.into_iter().enumerate() {
        assert_eq!(
            verify_partial(context, key, ciphertext, forged),
            Err(ThresholdError::InvalidProof),
            "forgery {case}"
        );
    }
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
