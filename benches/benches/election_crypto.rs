//! Election cryptography, natively: the homomorphic tally of 100,000
//! ballots × 4 options, strict ciphertext decoding, one partial decryption
//! with its Chaum–Pedersen proof and its verification, and the bounded
//! discrete log at 100,000; and a whole tally of 1,000,000 ballots × 12
//! options (two contests of 4 and 8) with the trustees' decryption, as the
//! service computes it; and the decoding of a Groth16 proof from untrusted
//! bytes (every cast ballot and every bundle ballot pays it), beside
//! arkworks' own validated decoding, the path before.
//!
//! `cargo bench -p zkaudit-benches --bench election_crypto`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use zkaudit_circuits::elgamal::{
    Ciphertext, encode_message, encrypt, public_key, random_scalar, sum_ballots,
};
use zkaudit_circuits::threshold::ThresholdParams;
use zkaudit_circuits::threshold::decrypt::{decrypt_tally, partial_decrypt, verify_partial};
use zkaudit_circuits::threshold::dkg::{DealerSecret, deal, key_share, qualify};
use zkaudit_circuits::threshold::dlog::DlogTable;
use zkaudit_service::domains::election::tally::sum_in_parallel;

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

/// Ballots and options of the large tally: the issue's "1,000,000 ballots ×
/// 12 options with decryption, ≤ 10 s".
const LARGE_BALLOTS: usize = 1_000_000;
const LARGE_OPTIONS: usize = 12;

/// The whole tally of a closed election of 1,000,000 ballots × 12 options:
/// the service's parallel homomorphic sums (`sum_in_parallel`, what
/// `aggregate` runs), two of three trustees' partial decryptions with
/// their Chaum–Pedersen proofs, and the combination with every proof
/// checked and the bounded discrete logs (`decrypt_tally`, as the service's
/// `tally`). The sums alone are measured too.
fn large_tally(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let params = ThresholdParams::new(2, 3).unwrap();
    let secrets: Vec<_> = (0..3).map(|_| random_scalar(&mut rng)).collect();
    let keys: Vec<_> = secrets.iter().map(public_key).collect();
    let dealings: Vec<_> = (1..=3)
        .map(|dealer| {
            let secret = DealerSecret::random(&params, &mut rng);
            deal(&params, CONTEXT, dealer, &secret, &keys, &mut rng).unwrap()
        })
        .collect();
    let qualification = qualify(CONTEXT, &params, &keys, &dealings, &[]).unwrap();
    let joint = qualification.joint_public_key();
    // A mayor (one of 4) and a council (two of 8).
    let distinct: Vec<Vec<Ciphertext>> = (0..DISTINCT)
        .map(|i| {
            (0..LARGE_OPTIONS)
                .map(|o| {
                    let marked = o == i % 4 || o == 4 + i % 8 || o == 4 + (i + 3) % 8;
                    encrypt(&joint, u64::from(marked), &random_scalar(&mut rng))
                })
                .collect()
        })
        .collect();
    let ballots: Vec<&[Ciphertext]> = distinct
        .iter()
        .map(Vec::as_slice)
        .cycle()
        .take(LARGE_BALLOTS)
        .collect();
    let shares: Vec<_> = (1..=2u32)
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
    let verification_keys = qualification.verification_keys();
    let mut group = c.benchmark_group("election");
    group.sample_size(10);
    group.throughput(Throughput::Elements(LARGE_BALLOTS as u64));
    group.bench_function("sums of 1M ballots x 12 options (2 threads)", |b| {
        b.iter(|| sum_in_parallel(&ballots, LARGE_OPTIONS))
    });
    group.bench_function("tally of 1M ballots x 12 options with decryption", |b| {
        b.iter(|| {
            let sums = sum_in_parallel(&ballots, LARGE_OPTIONS);
            let partials: Vec<_> = shares
                .iter()
                .flat_map(|share| {
                    let mut rng = ChaCha20Rng::seed_from_u64(9);
                    (0u32..)
                        .zip(&sums)
                        .map(|(option, sum)| partial_decrypt(CONTEXT, option, share, sum, &mut rng))
                        .collect::<Vec<_>>()
                })
                .collect();
            let table = DlogTable::new(LARGE_BALLOTS as u64).unwrap();
            let tally = decrypt_tally(
                CONTEXT,
                &params,
                &verification_keys,
                &sums,
                &partials,
                &table,
            )
            .unwrap();
            assert_eq!(
                tally.counts.iter().take(4).sum::<u64>(),
                LARGE_BALLOTS as u64
            );
            tally
        })
    });
    group.finish();
}

/// A ballot's proof decoded from untrusted bytes: `decode_proof` (G2
/// membership by the 63-bit test) against arkworks' validated decoding
/// (its 127-bit test), on the same 256 proofs of random points.
fn proof_decoding(c: &mut Criterion) {
    use ark_bn254::{Bn254, G1Projective, G2Projective};
    use ark_ec::CurveGroup;
    use ark_ff::UniformRand;
    use ark_groth16::Proof;
    use ark_serialize::{CanonicalDeserialize, Compress, Validate};
    use zkaudit_verifier::groth16::{decode_proof, encode_proof};

    let mut rng = ChaCha20Rng::seed_from_u64(17);
    let proofs: Vec<[u8; 128]> = (0..256)
        .map(|_| {
            encode_proof(&Proof::<Bn254> {
                a: G1Projective::rand(&mut rng).into_affine(),
                b: G2Projective::rand(&mut rng).into_affine(),
                c: G1Projective::rand(&mut rng).into_affine(),
            })
        })
        .collect();
    let mut group = c.benchmark_group("groth16 proof decoding");
    group.throughput(Throughput::Elements(proofs.len() as u64));
    group.bench_function("decode_proof, 256 proofs", |b| {
        b.iter(|| {
            proofs
                .iter()
                .map(|p| decode_proof(p).unwrap())
                .collect::<Vec<_>>()
        })
    });
    group.bench_function("arkworks validated decoding, 256 proofs (before)", |b| {
        b.iter(|| {
            proofs
                .iter()
                .map(|p| {
                    Proof::<Bn254>::deserialize_with_mode(&p[..], Compress::Yes, Validate::Yes)
                        .unwrap()
                })
                .collect::<Vec<_>>()
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    proof_decoding,
    tally,
    decryption,
    discrete_log,
    large_tally
);
criterion_main!(benches);
