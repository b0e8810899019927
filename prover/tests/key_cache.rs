//! The on-disk key cache: create, reload, detect corruption.

mod common;

use std::fs;

use common::{Cubic, test_rng};
use zkaudit_prover::{KEY_MANIFEST_FORMAT, KeyCache, ProverError, prove};
use zkaudit_verifier::groth16::{decode_vk, verify, vk_digest};

#[test]
fn creates_then_reloads_identical_keys() {
    let dir = tempfile::tempdir().unwrap();
    let cache = KeyCache::new(dir.path().join("keys"));
    assert!(cache.load("cubic-v1").unwrap().is_none());
    assert!(cache.manifest("cubic-v1").unwrap().is_none());

    let created = cache
        .load_or_create_with_rng("cubic-v1", Cubic::blank, &mut test_rng(11))
        .unwrap();
    let [pk_path, vk_path, manifest_path] = cache.paths("cubic-v1").unwrap();
    assert!(pk_path.is_file() && vk_path.is_file() && manifest_path.is_file());
    // Only the three files: no temporary files left behind.
    assert_eq!(fs::read_dir(cache.dir()).unwrap().count(), 3);

    let manifest = cache.manifest("cubic-v1").unwrap().unwrap();
    assert_eq!(manifest.format, KEY_MANIFEST_FORMAT);
    assert!(manifest.development);
    assert_eq!(manifest.vk_digest, hex::encode(created.vk_digest()));
    assert_eq!(manifest.num_public_inputs, 2);
    assert_eq!(manifest.pk_bytes, fs::metadata(&pk_path).unwrap().len());
    assert_eq!(manifest.vk_bytes, fs::metadata(&vk_path).unwrap().len());
    assert_eq!(manifest.created_at.len(), "2025-01-01T00:00:00Z".len());
    let raw: serde_json::Value =
        serde_json::from_slice(&fs::read(&manifest_path).unwrap()).unwrap();
    assert_eq!(raw["development"], true);
    // The .vk file is the compressed key whose digest the manifest records.
    let vk = decode_vk(&fs::read(&vk_path).unwrap()).unwrap();
    assert_eq!(hex::encode(vk_digest(&vk)), manifest.vk_digest);

    // A second cache over the same directory loads, never regenerates.
    let reloaded = KeyCache::new(cache.dir())
        .load_or_create("cubic-v1", || -> Cubic { panic!("keys exist; no setup") })
        .unwrap();
    assert_eq!(reloaded.vk_digest(), created.vk_digest());
    assert_eq!(reloaded.vk, created.vk);
    assert!(reloaded.pk == created.pk);

    // And the reloaded proving key proves.
    let circuit = Cubic::new(5);
    let proof = prove(&reloaded.pk, circuit, &mut test_rng(12)).unwrap();
    verify(&created.prepared, &circuit.public_inputs(), &proof).unwrap();

    // Another shape gets other keys.
    let other = cache
        .load_or_create_with_rng("cubic-v2", Cubic::blank, &mut test_rng(13))
        .unwrap();
    assert_ne!(other.vk_digest(), created.vk_digest());
}

#[test]
fn detects_corrupted_files() {
    let dir = tempfile::tempdir().unwrap();
    let cache = KeyCache::new(dir.path());
    cache
        .load_or_create_with_rng("cubic", Cubic::blank, &mut test_rng(21))
        .unwrap();
    let [pk_path, vk_path, manifest_path] = cache.paths("cubic").unwrap();
    let pk = fs::read(&pk_path).unwrap();
    let vk = fs::read(&vk_path).unwrap();
    let manifest = fs::read(&manifest_path).unwrap();

    let expect_corrupt = |what: &str| match cache.load("cubic") {
        Err(ProverError::CorruptKey { .. }) => {}
        other => panic!("{what}: {other:?}"),
    };

    // One flipped bit in the proving key.
    let mut flipped = pk.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x10;
    fs::write(&pk_path, &flipped).unwrap();
    expect_corrupt("flipped pk bit");
    // load_or_create does not paper over it by making new keys.
    assert!(matches!(
        cache.load_or_create("cubic", Cubic::blank),
        Err(ProverError::CorruptKey { .. })
    ));
    // Truncated, then missing.
    fs::write(&pk_path, &pk[..pk.len() - 1]).unwrap();
    expect_corrupt("truncated pk");
    fs::remove_file(&pk_path).unwrap();
    expect_corrupt("missing pk");
    fs::write(&pk_path, &pk).unwrap();
    assert!(cache.load("cubic").unwrap().is_some());

    // The verifying key.
    let mut flipped = vk.clone();
    flipped[40] ^= 0x01;
    fs::write(&vk_path, &flipped).unwrap();
    expect_corrupt("flipped vk bit");
    fs::write(&vk_path, &vk).unwrap();

    // Keys of another setup under this manifest.
    let other = KeyCache::new(dir.path().join("other"));
    other
        .load_or_create_with_rng("cubic", Cubic::blank, &mut test_rng(22))
        .unwrap();
    let [other_pk, other_vk, _] = other.paths("cubic").unwrap();
    fs::copy(&other_vk, &vk_path).unwrap();
    expect_corrupt("vk of another setup");
    fs::write(&vk_path, &vk).unwrap();
    fs::copy(&other_pk, &pk_path).unwrap();
    expect_corrupt("pk of another setup");
    fs::write(&pk_path, &pk).unwrap();

    // The manifest itself.
    fs::write(&manifest_path, b"{not json").unwrap();
    expect_corrupt("unreadable manifest");
    fs::write(&manifest_path, &manifest).unwrap();
    assert!(cache.load("cubic").unwrap().is_some());
}

#[test]
fn concurrent_creators_in_one_process_agree() {
    let dir = tempfile::tempdir().unwrap();
    let digests: Vec<[u8; 32]> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4u8)
            .map(|i| {
                let cache = KeyCache::new(dir.path());
                scope.spawn(move || {
                    cache
                        .load_or_create_with_rng("cubic", Cubic::blank, &mut test_rng(40 + i))
                        .unwrap()
                        .vk_digest()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(digests.iter().all(|d| d == &digests[0]));
    let stored = KeyCache::new(dir.path()).load("cubic").unwrap().unwrap();
    assert_eq!(stored.vk_digest(), digests[0]);
}

#[test]
fn rejects_shape_ids_that_are_not_file_names() {
    let dir = tempfile::tempdir().unwrap();
    let cache = KeyCache::new(dir.path());
    for bad in ["", "../escape", "a/b", ".hidden"] {
        assert!(matches!(
            cache.load_or_create(bad, Cubic::blank),
            Err(ProverError::InvalidShapeId(_))
        ));
    }
}
