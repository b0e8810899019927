//! Tests of planning: jobs prove alone to the bytes a single process
//! proves, their encoding is strict, and assembling refuses proofs that
//! are not the planned ones.

use chacha20::ChaCha20Rng;
use rand_core_halo2::SeedableRng;

use super::*;
use crate::funds::FundsLayout;
use crate::funds::fixtures::{keys, keys_in, openings};
use crate::funds::verify_period;

fn plan(items: usize, seed: u64) -> PeriodPlan {
    let (_, pk, _) = keys();
    plan_period(
        &openings(items, 1),
        pk.shape,
        ChaCha20Rng::seed_from_u64(seed),
    )
    .unwrap()
}

/// Verifies `report` against the commitments of `items`.
fn verify(
    items: &[ItemOpening],
    report: &PeriodReport,
    params: &FundsParams,
    vk: &crate::funds::FundsVerifyingKey,
) -> Result<()> {
    let log: Vec<Fp> = items.iter().map(item_commitment).collect();
    verify_period(
        &log,
        &report.totals,
        report.final_blinding,
        &report.proof,
        params,
        vk,
    )
}

#[test]
fn jobs_proved_apart_from_their_encoding_give_the_single_process_proof() {
    let (params, pk, vk) = keys();
    let items = openings(10, 1);
    let single = prove_period(&items, pk, params, ChaCha20Rng::seed_from_u64(2)).unwrap();

    let plan = plan(10, 2);
    assert_eq!(plan.jobs().len(), 3);
    // Proved in reverse order, each from its bytes, as a worker would.
    let mut proofs: Vec<ChunkProof> = plan
        .jobs()
        .iter()
        .rev()
        .map(|job| {
            let job = ChunkJob::from_bytes(&job.to_bytes()).unwrap();
            job.prove(pk, params).unwrap()
        })
        .collect();
    proofs.reverse();
    let report = plan.assemble(proofs).unwrap();
    assert_eq!(report.proof, single.proof);
    assert_eq!(report.totals, single.totals);
    assert_eq!(report.final_blinding, single.final_blinding);

    verify(&items, &report, params, vk).unwrap();
    // A false total is still refused.
    let mut false_totals = report.clone();
    false_totals.totals[1] += 1;
    assert_eq!(
        verify(&items, &false_totals, params, vk),
        Err(FundsError::TotalsMismatch)
    );
}

#[test]
fn jobs_chain_from_the_initial_commitment_to_the_totals() {
    let plan = plan(10, 3);
    let jobs = plan.jobs();
    assert_eq!(jobs[0].before(), super::super::initial_totals_commitment());
    for pair in jobs.windows(2) {
        assert_eq!(pair[0].after(), pair[1].before());
    }
    let totals = totals_to_field(&plan.totals);
    assert_eq!(
        jobs.last().unwrap().after(),
        totals_commitment(&totals, plan.final_blinding)
    );
    // Each job knows its position and hides its items from `Debug`.
    for (index, job) in jobs.iter().enumerate() {
        assert_eq!(job.index(), index);
        assert!(!format!("{job:?}").contains("salt"));
    }
    // An empty period is one all-padding job.
    assert_eq!(self::plan(0, 3).jobs().len(), 1);
}

#[test]
fn assembling_refuses_proofs_that_are_not_the_planned_ones() {
    let (params, pk, _) = keys();
    let plan_a = plan(10, 4);
    let plan_b = plan(10, 5);
    let proofs_a: Vec<ChunkProof> = plan_a
        .jobs()
        .iter()
        .map(|job| job.prove(pk, params).unwrap())
        .collect();

    let mut missing = proofs_a.clone();
    missing.pop();
    assert_eq!(
        plan_a.clone().assemble(missing).unwrap_err(),
        FundsError::NotThePlannedChunk { chunk: 2 }
    );
    let mut swapped = proofs_a.clone();
    swapped.swap(0, 1);
    assert_eq!(
        plan_a.clone().assemble(swapped).unwrap_err(),
        FundsError::NotThePlannedChunk { chunk: 0 }
    );
    // Another plan of the same items has other blindings.
    assert_eq!(
        plan_b.assemble(proofs_a.clone()).unwrap_err(),
        FundsError::NotThePlannedChunk { chunk: 0 }
    );
    assert!(plan_a.assemble(proofs_a).is_ok());
}

#[test]
fn a_job_for_another_shape_or_layout_is_not_proved() {
    let (params, pk, _) = keys();
    let other = FundsShape::new(4, 2).unwrap();
    let old_layout = pk.shape.with_layout(FundsLayout::OneHasher);
    for shape in [other, old_layout] {
        let plan = plan_period(&[], shape, ChaCha20Rng::seed_from_u64(6)).unwrap();
        assert_eq!(
            plan.jobs()[0].prove(pk, params).unwrap_err(),
            FundsError::ShapeMismatch
        );
    }
}

/// A job names its layout (`zkfjob01`, `zkfjob02`) and a worker proves it
/// in that layout: the proof a job of the old layout gives is the one the
/// single-process path gives in that layout, and verifies with its key.
#[test]
fn jobs_keep_their_layout() {
    let (params, pk, vk) = keys_in(FundsLayout::OneHasher);
    let items = openings(5, 1);
    let plan = plan_period(&items, pk.shape, ChaCha20Rng::seed_from_u64(8)).unwrap();
    let single = prove_period(&items, pk, params, ChaCha20Rng::seed_from_u64(8)).unwrap();
    let mut proofs = Vec::new();
    for job in plan.jobs() {
        let bytes = job.to_bytes();
        assert_eq!(&bytes[..8], b"zkfjob01");
        let decoded = ChunkJob::from_bytes(&bytes).unwrap();
        assert_eq!(decoded.shape().layout(), FundsLayout::OneHasher);
        proofs.push(decoded.prove(pk, params).unwrap());
    }
    let report = plan.assemble(proofs).unwrap();
    assert_eq!(report.proof.to_bytes(), single.proof.to_bytes());
    assert_eq!(verify(&items, &report, params, vk), Ok(()));
    assert_eq!(&self::plan(1, 1).jobs()[0].to_bytes()[..8], b"zkfjob02");
}

#[test]
fn job_decoding_is_strict() {
    let plan = plan(6, 7);
    let job = &plan.jobs()[1];
    let bytes = job.to_bytes();
    assert_eq!(&ChunkJob::from_bytes(&bytes).unwrap(), job);
    // 21 header bytes, 2 items of 42, 3 totals, 2 blindings, the seed.
    assert_eq!(bytes.len(), 21 + 2 * 42 + 3 * 32 + 2 * 32 + 32);

    for cut in 0..bytes.len() {
        assert_eq!(
            ChunkJob::from_bytes(&bytes[..cut]).unwrap_err(),
            FundsError::MalformedJob("truncated"),
            "cut at {cut}"
        );
    }
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert_eq!(
        ChunkJob::from_bytes(&trailing).unwrap_err(),
        FundsError::MalformedJob("trailing bytes")
    );

    let altered = |offset: usize, value: &[u8]| {
        let mut altered = bytes.clone();
        altered[offset..offset + value.len()].copy_from_slice(value);
        ChunkJob::from_bytes(&altered).unwrap_err()
    };
    assert_eq!(altered(0, b"x"), FundsError::MalformedJob("bad magic"));
    for version in [b"0", b"3", b"9"] {
        assert_eq!(altered(7, version), FundsError::MalformedJob("bad magic"));
    }
    assert_eq!(
        altered(8, &0u32.to_le_bytes()),
        FundsError::MalformedJob("invalid shape")
    );
    assert_eq!(
        altered(12, &[17]),
        FundsError::MalformedJob("invalid shape")
    );
    assert_eq!(
        altered(13, &(MAX_CHUNKS as u32).to_le_bytes()),
        FundsError::MalformedJob("chunk index out of range")
    );
    assert_eq!(
        altered(17, &5u32.to_le_bytes()),
        FundsError::MalformedJob("more items than a chunk holds")
    );
    // The first item's category (after its amount) beyond the shape's 3.
    assert_eq!(
        altered(21 + 8, &3u16.to_le_bytes()),
        FundsError::MalformedJob("item category out of range")
    );
    // The first item's salt set to the all-ones string, above the modulus.
    assert_eq!(altered(21 + 10, &[0xff; 32]), FundsError::NonCanonicalField);
    // The seed is any 32 bytes: another seed is another (valid) job.
    let other_seed = {
        let mut b = bytes.clone();
        let end = b.len();
        b[end - 1] ^= 1;
        ChunkJob::from_bytes(&b).unwrap()
    };
    assert_ne!(&other_seed, job);
    assert_eq!(other_seed.after(), job.after());
}
