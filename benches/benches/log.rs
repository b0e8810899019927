//! Log proofs at 1M entries, and checkpoint signing and verification.
//!
//! `cargo bench -p zkaudit-benches --bench log`

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use zkaudit_benches::log_key;
use zkaudit_ledger::merkle::{self, MemoryTree};
use zkaudit_ledger::note::{
    Checkpoint, CosignerKey, open_checkpoint, sign_checkpoint, verify_cosignatures,
};

const SIZE: u64 = 1 << 20;

fn tree() -> MemoryTree {
    (0..SIZE)
        .map(|i| merkle::leaf_hash(&i.to_be_bytes()))
        .collect()
}

fn proofs(c: &mut Criterion) {
    let tree = tree();
    let root = tree.root();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let mut group = c.benchmark_group("proofs at 1M entries");
    group.bench_function("inclusion proof", |b| {
        b.iter_batched(
            || rng.next_u64() % SIZE,
            |i| tree.inclusion_proof(i, SIZE).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("consistency proof", |b| {
        b.iter_batched(
            || 1 + rng.next_u64() % (SIZE - 1),
            |old| tree.consistency_proof(old, SIZE).unwrap(),
            BatchSize::SmallInput,
        )
    });
    let index = 777_777;
    let proof = tree.inclusion_proof(index, SIZE).unwrap();
    let leaf = tree.leaf(index).unwrap();
    group.bench_function("verify inclusion", |b| {
        b.iter(|| merkle::verify_inclusion(&leaf, index, SIZE, &proof, &root).unwrap())
    });
    let old = 654_321;
    let old_root = tree.root_at(old).unwrap();
    let cproof = tree.consistency_proof(old, SIZE).unwrap();
    group.bench_function("verify consistency", |b| {
        b.iter(|| merkle::verify_consistency(old, SIZE, &old_root, &root, &cproof).unwrap())
    });
    group.finish();
}

fn checkpoints(c: &mut Criterion) {
    let key = log_key();
    let vkey = key.verifier_key_string();
    let checkpoint = Checkpoint::new(key.name(), SIZE, [7u8; 32]);
    let note = sign_checkpoint(&checkpoint, &key).unwrap();
    let witness =
        CosignerKey::generate("bench-witness", &mut ChaCha20Rng::seed_from_u64(4)).unwrap();
    let witness_vkey = vec![witness.verifier_key_string()];
    let body = checkpoint.to_body();
    let line = witness.cosign(body.as_bytes(), 1_700_000_000).unwrap();
    let cosigned = zkaudit_ledger::note::add_signature_lines(&note, &[line]).unwrap();

    let mut group = c.benchmark_group("checkpoints");
    group.bench_function("sign checkpoint", |b| {
        b.iter(|| sign_checkpoint(&checkpoint, &key).unwrap())
    });
    group.bench_function("open (verify) checkpoint", |b| {
        b.iter(|| open_checkpoint(&note, &vkey).unwrap())
    });
    group.bench_function("cosign checkpoint", |b| {
        b.iter(|| witness.cosign(body.as_bytes(), 1_700_000_000).unwrap())
    });
    group.bench_function("verify cosignature", |b| {
        b.iter(|| verify_cosignatures(&cosigned, &witness_vkey).unwrap())
    });
    group.finish();
}

criterion_group!(benches, proofs, checkpoints);
criterion_main!(benches);
