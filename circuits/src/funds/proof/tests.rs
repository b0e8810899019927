//! Tests of the chained funds proofs: proving, verifying and the encoding of period proofs.

use std::sync::OnceLock;

use chacha20::ChaCha20Rng;

use super::*;
use crate::funds::fixtures::{keys, keys_in, openings};
use crate::funds::{FundsLayout, category_totals, item_commitment, prove_period};
use ff::Field;
use rand_core_halo2::SeedableRng;

/// An honest 10-item period (three chunks), proved once for all tests.
fn period() -> &'static (Vec<Fp>, PeriodReport) {
    static PERIOD: OnceLock<(Vec<Fp>, PeriodReport)> = OnceLock::new();
    PERIOD.get_or_init(|| {
        let (params, pk, _) = keys();
        let items = openings(10, 1);
        let report = prove_period(&items, pk, params, ChaCha20Rng::seed_from_u64(2)).unwrap();
        (items.iter().map(item_commitment).collect(), report)
    })
}

fn verify(commitments: &[Fp], totals: &[u128], blinding: Fp, proof: &PeriodProof) -> Result<()> {
    let (params, _, vk) = keys();
    verify_period(commitments, totals, blinding, proof, params, vk)
}

#[test]
fn honest_period_verifies_and_false_totals_are_rejected() {
    let (log, report) = period();
    assert_eq!(report.proof.chunks.len(), 3);
    assert_eq!(report.totals, category_totals(&openings(10, 1), 3).unwrap());
    assert_eq!(
        verify(log, &report.totals, report.final_blinding, &report.proof),
        Ok(())
    );
    for category in 0..3 {
        for delta in [1i128, -1] {
            let mut totals = report.totals.clone();
            totals[category] = (totals[category] as i128 + delta) as u128;
            assert_eq!(
                verify(log, &totals, report.final_blinding, &report.proof),
                Err(FundsError::TotalsMismatch)
            );
        }
    }
    assert_eq!(
        verify(
            log,
            &report.totals,
            report.final_blinding + Fp::ONE,
            &report.proof
        ),
        Err(FundsError::TotalsMismatch)
    );
    assert_eq!(
        verify(
            log,
            &report.totals[..2],
            report.final_blinding,
            &report.proof
        ),
        Err(FundsError::TotalsCount {
            expected: 3,
            found: 2
        })
    );
}

#[test]
fn a_period_verifies_run_by_run_and_a_run_must_continue_the_chain() {
    let (params, _, vk) = keys();
    let (log, report) = period();
    // Runs of at most two chunks each: [0, 1] and [2].
    let one = 68 + report.proof.chunks[0].proof.len();
    let runs = report.proof.runs(17 + 2 * one).unwrap();
    assert_eq!(
        runs.iter().map(|r| r.chunks.len()).collect::<Vec<_>>(),
        vec![2, 1]
    );
    assert!(report.proof.runs(one).is_none());
    assert_eq!(report.proof.runs(usize::MAX).unwrap().len(), 1);

    let end = verify_chunk_run(log, ChainStart::initial(), &runs[0], params, vk).unwrap();
    assert_eq!(end.chunk, 2);
    assert_eq!(
        verify_period_from(
            log,
            &report.totals,
            report.final_blinding,
            end,
            &runs[1],
            params,
            vk
        ),
        Ok(())
    );
    // The tail's totals are still checked.
    let mut totals = report.totals.clone();
    totals[1] += 1;
    assert_eq!(
        verify_period_from(
            log,
            &totals,
            report.final_blinding,
            end,
            &runs[1],
            params,
            vk
        ),
        Err(FundsError::TotalsMismatch)
    );
    // A run that starts elsewhere in the chain, or covers chunks the
    // log does not have, is rejected.
    assert_eq!(
        verify_chunk_run(log, end, &runs[0], params, vk),
        Err(FundsError::ChunkCount {
            items: 10,
            expected: 3,
            found: 4
        })
    );
    let shifted = ChainStart {
        chunk: 1,
        commitment: runs[0].chunks[0].before,
    };
    assert_eq!(
        verify_chunk_run(log, shifted, &runs[1], params, vk),
        Err(FundsError::ChainBroken { chunk: 1 })
    );
    // The right chain position but another slice of the log: chunk 0's
    // proof checked as chunk 1 fails.
    let misplaced = PeriodProof {
        shape: runs[0].shape,
        chunks: vec![runs[0].chunks[0].clone()],
    };
    let at_one = ChainStart {
        chunk: 1,
        commitment: runs[0].chunks[0].before,
    };
    assert_eq!(
        verify_chunk_run(log, at_one, &misplaced, params, vk),
        Err(FundsError::ChunkProofInvalid { chunk: 1 })
    );
    // A tail that leaves a chunk out.
    assert_eq!(
        verify_period_from(
            log,
            &report.totals,
            report.final_blinding,
            ChainStart::initial(),
            &runs[1],
            params,
            vk
        ),
        Err(FundsError::ChunkCount {
            items: 10,
            expected: 3,
            found: 1
        })
    );
}

#[test]
fn omitted_repeated_reordered_and_foreign_items_are_rejected() {
    let (log, report) = period();
    let check = |log: &[Fp]| verify(log, &report.totals, report.final_blinding, &report.proof);

    let mut omitted = log.clone();
    omitted.remove(5);
    assert_eq!(
        check(&omitted),
        Err(FundsError::ChunkProofInvalid { chunk: 1 })
    );

    let mut repeated = log.clone();
    repeated.insert(9, log[9]);
    assert_eq!(
        check(&repeated),
        Err(FundsError::ChunkProofInvalid { chunk: 2 })
    );

    let mut swapped = log.clone();
    swapped.swap(0, 1);
    assert_eq!(
        check(&swapped),
        Err(FundsError::ChunkProofInvalid { chunk: 0 })
    );

    let mut foreign = log.clone();
    foreign[7] = item_commitment(&openings(1, 99)[0]);
    assert_eq!(
        check(&foreign),
        Err(FundsError::ChunkProofInvalid { chunk: 1 })
    );

    // Two items fewer: the log needs one chunk less than the proof has.
    assert_eq!(
        check(&log[..8]),
        Err(FundsError::ChunkCount {
            items: 8,
            expected: 2,
            found: 3
        })
    );
    // The proof's last chunk covers 2 items; appending one is caught.
    let mut extra = log.clone();
    extra.push(log[0]);
    assert_eq!(
        check(&extra),
        Err(FundsError::ChunkProofInvalid { chunk: 2 })
    );
}

#[test]
fn broken_chains_and_tampered_proofs_are_rejected() {
    let (log, report) = period();
    let check = |proof: &PeriodProof| verify(log, &report.totals, report.final_blinding, proof);

    let mut reordered = report.proof.clone();
    reordered.chunks.swap(0, 1);
    assert_eq!(check(&reordered), Err(FundsError::ChainBroken { chunk: 0 }));

    let mut rechained = report.proof.clone();
    rechained.chunks[1].before = Fp::from(42);
    assert_eq!(check(&rechained), Err(FundsError::ChainBroken { chunk: 1 }));

    // A consistent but false chain: the verifier's chain checks pass,
    // chunk 1's proof does not hold for the claimed commitments.
    let mut forged = report.proof.clone();
    forged.chunks[1].after = Fp::from(42);
    forged.chunks[2].before = Fp::from(42);
    assert_eq!(
        check(&forged),
        Err(FundsError::ChunkProofInvalid { chunk: 1 })
    );

    let mut flipped = report.proof.clone();
    let byte = flipped.chunks[2].proof.len() / 2;
    flipped.chunks[2].proof[byte] ^= 1;
    assert_eq!(
        check(&flipped),
        Err(FundsError::ChunkProofInvalid { chunk: 2 })
    );

    let mut truncated = report.proof.clone();
    truncated.chunks[0].proof.truncate(100);
    assert_eq!(
        check(&truncated),
        Err(FundsError::ChunkProofInvalid { chunk: 0 })
    );

    let mut reshaped = report.proof.clone();
    reshaped.shape = FundsShape::new(4, 2).unwrap();
    assert_eq!(check(&reshaped), Err(FundsError::ShapeMismatch));
}

#[test]
fn empty_period_proves_zero_totals() {
    let (params, pk, _) = keys();
    let report = prove_period(&[], pk, params, ChaCha20Rng::seed_from_u64(3)).unwrap();
    assert_eq!(report.totals, vec![0, 0, 0]);
    assert_eq!(report.proof.chunks.len(), 1);
    assert_eq!(
        verify(&[], &[0, 0, 0], report.final_blinding, &report.proof),
        Ok(())
    );
    assert_eq!(
        verify(&[], &[0, 1, 0], report.final_blinding, &report.proof),
        Err(FundsError::TotalsMismatch)
    );
    // Padding is not an item: the padding commitment as a logged item
    // makes the count public input differ.
    assert_eq!(
        verify(
            &[crate::funds::padding_commitment()],
            &[0, 0, 0],
            report.final_blinding,
            &report.proof
        ),
        Err(FundsError::ChunkProofInvalid { chunk: 0 })
    );
}

#[test]
fn foreign_categories_cannot_be_proved() {
    let (params, pk, _) = keys();
    let mut items = openings(3, 4);
    items[2].category = 3;
    assert_eq!(
        prove_period(&items, pk, params, ChaCha20Rng::seed_from_u64(5)).unwrap_err(),
        FundsError::CategoryOutOfRange {
            item: 2,
            category: 3,
            categories: 3
        }
    );
}

#[test]
fn encoding_round_trips_and_is_strict() {
    let (log, report) = period();
    let bytes = report.proof.to_bytes();
    let decoded = PeriodProof::from_bytes(&bytes).unwrap();
    assert_eq!(decoded, report.proof);
    assert_eq!(
        verify(log, &report.totals, report.final_blinding, &decoded),
        Ok(())
    );

    let malformed = |bytes: &[u8]| PeriodProof::from_bytes(bytes).unwrap_err();
    assert_eq!(
        malformed(&bytes[..bytes.len() - 1]),
        FundsError::MalformedProof("truncated")
    );
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert_eq!(
        malformed(&trailing),
        FundsError::MalformedProof("trailing bytes")
    );
    let mut magic = bytes.clone();
    magic[0] ^= 1;
    assert_eq!(malformed(&magic), FundsError::MalformedProof("bad magic"));
    // A version digit no layout has.
    for version in [b'0', b'3', b'9', 0, 1] {
        magic = bytes.clone();
        magic[7] = version;
        assert_eq!(malformed(&magic), FundsError::MalformedProof("bad magic"));
    }
    let mut shape = bytes.clone();
    shape[12] = 17; // categories
    assert_eq!(
        malformed(&shape),
        FundsError::MalformedProof("invalid shape")
    );
    let mut count = bytes.clone();
    count[13..17].copy_from_slice(&0u32.to_le_bytes());
    assert_eq!(
        malformed(&count),
        FundsError::MalformedProof("chunk count out of range")
    );
    let mut field = bytes.clone();
    field[17..49].copy_from_slice(&[0xff; 32]); // chunk 0's before
    assert_eq!(malformed(&field), FundsError::NonCanonicalField);
    let mut length = bytes.clone();
    length[81..85].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        malformed(&length),
        FundsError::MalformedProof("chunk proof length out of range")
    );
}

/// A report proved in the old layout (version 1, as logged before version
/// 2 existed) still verifies with version 1's key. A proof is checked only
/// with the key of the layout it names ([`FundsError::ShapeMismatch`]
/// otherwise), and relabelling its layout does not make it verify.
#[test]
fn each_layout_verifies_with_its_own_key_only() {
    let items = openings(6, 3);
    let log: Vec<Fp> = items.iter().map(item_commitment).collect();
    let (old_params, old_pk, old_vk) = keys_in(FundsLayout::OneHasher);
    let (params, _, vk) = keys();
    let old = prove_period(&items, old_pk, old_params, ChaCha20Rng::seed_from_u64(4)).unwrap();
    let (_, current) = period();
    assert_eq!(current.proof.shape.layout(), FundsLayout::TwoHashers);
    assert_eq!(old.proof.shape.layout(), FundsLayout::OneHasher);

    for (report, log, layout_params, layout_vk, other_params, other_vk, version, other) in [
        (&old, &log[..], old_params, old_vk, params, vk, b'1', b'2'),
        (
            current,
            &period().0[..],
            params,
            vk,
            old_params,
            old_vk,
            b'2',
            b'1',
        ),
    ] {
        let bytes = report.proof.to_bytes();
        assert_eq!(
            &bytes[..8],
            &[b"zkfunds".as_slice(), &[version]].concat()[..]
        );
        let decoded = PeriodProof::from_bytes(&bytes).unwrap();
        assert_eq!(decoded, report.proof);
        let check = |proof: &PeriodProof, params, vk| {
            verify_period(
                log,
                &report.totals,
                report.final_blinding,
                proof,
                params,
                vk,
            )
        };
        assert_eq!(check(&decoded, layout_params, layout_vk), Ok(()));
        assert_eq!(
            check(&decoded, other_params, other_vk),
            Err(FundsError::ShapeMismatch)
        );
        let mut relabelled = bytes.clone();
        relabelled[7] = other;
        let relabelled = PeriodProof::from_bytes(&relabelled).unwrap();
        assert_eq!(
            check(&relabelled, other_params, other_vk),
            Err(FundsError::ChunkProofInvalid { chunk: 0 })
        );
    }
}
