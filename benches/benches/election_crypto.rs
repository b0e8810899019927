//! Election cryptography, natively: the homomorphic tally of 100,000
//! ballots × 4 options, strict ciphertext decoding, one partial decryption
//! with its Chaum–Pedersen proof and its verification, and the bounded
//! discrete log at 100,000.
//!
//! `cargo bench -p zkaudit-benches --bench election_crypto`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use zkaudit_circuits::elgamal::{
    Ciphertext, encode_message, encrypt, public_key, random_scalar, sum_ballots,
};
use zkaudit_circuits::threshold::ThresholdParams;
use zkaudit_circuits::threshold::decrypt::{partial_decrypt, verify_partial};
use zkaudit_circuits::threshold::dkg::{DealerSecret, deal, key_share, qualify};
use zkaudit_circuits::threshold::dlog::DlogTable;

const BALLOTS: usize = 100_000;
const OPTIONS: usize = 4;
/// Distinct encrypted ballots, cycled to make up the 100,000 (encrypting
/// 400,000 options would dominate the bench's set-up; summing repeated
/// points costs the same as summing distinct ones).
const DISTINCT: usize = 1_000;
const CONTEXT: &[u8] = b"bench election";

fn tally(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let pk = public_key(&random_scalar(&mut rng));
    let distinct: Vec<[Ciphertext; OPTIONS]> = (0..DISTINCT)
        .map(|i| {
            core::array::from_fn(|o| {
                encrypt(&pk, u64::from(i % OPTIONS == o), &random_scalar(&mut rng))
            })
        })
        .collect();
    let ballots: Vec<[Ciphertext; OPTIONS]> =
        distinct.iter().cycle().take(BALLOTS).copied().collect();
    let mut group = c.benchmark_group("election");
    group.sample_size(10);
    group.throughput(Throughput::Elements(BALLOTS as u64));
    group.bench_function("sum 100k ballots x 4 options", |b| {
        b.iter(|| sum_ballots(&ballots, OPTIONS).unwrap())
    });
    let bytes: Vec<[u8; 128]> = distinct.iter().map(|ballot| ballot[0].to_bytes()).collect();
    group.throughput(Throughput::Elements(DISTINCT as u64));
    group.bench_function("decode 1k ciphertexts (strict)", |b| {
        b.iter(|| {
            bytes
                .iter()
                .map(|b| Ciphertext::from_bytes(b).unwrap())
                .collect::<Vec<_>>()
        })
    });
    group.bench_function("decode 1k ciphertexts (no subgroup check)", |b| {
        b.iter(|| {
            bytes
                .iter()
                .map(|b| Ciphertext::from_bytes_skipping_subgroup_check(b).unwrap())
                .collect::<Vec<_>>()
        })
    });
    group.finish();
}

fn decryption(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let params = ThresholdParams::new(3, 5).unwrap();
    let secrets: Vec<_> = (0..5).map(|_| random_scalar(&mut rng)).collect();
    let keys: Vec<_> = secrets.iter().map(public_key).collect();
    let dealings: Vec<_> = (1..=5)
        .map(|dealer| {
            let secret = DealerSecret::random(&params, &mut rng);
            deal(&params, CONTEXT, dealer, &secret, &keys, &mut rng).unwrap()
        })
        .collect();
    let qualification = qualify(CONTEXT, &params, &keys, &dealings, &[]).unwrap();
    let share = key_share(CONTEXT, &params, &qualification, &dealings, 2, &secrets[1]).unwrap();
    let verification_key = qualification.verification_key(2).unwrap();
    let ciphertext = encrypt(
        &qualification.joint_public_key(),
        1234,
        &random_scalar(&mut rng),
    );
    let partial = partial_decrypt(CONTEXT, 0, &share, &ciphertext, &mut rng);

    let mut group = c.benchmark_group("election");
    group.bench_function("partial decryption with proof", |b| {
        b.iter(|| partial_decrypt(CONTEXT, 0, &share, &ciphertext, &mut rng))
    });
    group.bench_function("verify partial decryption", |b| {
        b.iter(|| verify_partial(CONTEXT, &verification_key, &ciphertext, &partial).unwrap())
    });
    group.finish();
}

fn discrete_log(c: &mut Criterion) {
    let bound = 100_000;
    let table = DlogTable::new(bound).unwrap();
    let worst = encode_message(bound);
    let mut group = c.benchmark_group("election");
    group.bench_function("bsgs table, bound 100k", |b| {
        b.iter(|| DlogTable::new(bound).unwrap())
    });
    group.bench_function("bsgs solve 100k (worst case)", |b| {
        b.iter(|| assert_eq!(table.solve(&worst), Some(bound)))
    });
    group.finish();
}

criterion_group!(benches, tally, decryption, discrete_log);
criterion_main!(benches);
