//! Known answers and properties of the RFC 6962 / RFC 9162 tree in
//! `zkaudit_ledger::merkle`.
//!
//! * Roots: `shared/vectors/rfc6962.json`, whose `source` reads "RFC 6962
//!   reference vectors as published in transparency-dev/merkle
//!   testonly/constants.go (originally from Certificate Transparency)": eight
//!   leaf inputs and the roots of their prefixes of sizes 0 to 8.
//! * Proofs: the `inclusionProofs` and `consistencyProofs` tables of
//!   transparency-dev/merkle `proof/verify_test.go`, over the same leaves.
//!   That table numbers leaves from 1; below they are numbered from 0.
//! * Everything else checks generated proofs against roots from the
//!   recursive definition ([`root_from_leaves`]), and checks that tampered
//!   proofs, positions, sizes and roots are refused.

use proptest::prelude::*;
use zkaudit_ledger::merkle::{
    EMPTY_ROOT, Hash, MemoryTree, ProofError, leaf_hash, root_from_leaves, verify_consistency,
    verify_inclusion,
};

/// The reference leaves and roots.
struct Rfc6962Vectors {
    leaf_inputs: Vec<Vec<u8>>,
    root_by_size: Vec<Hash>,
}

fn rfc6962_vectors() -> Rfc6962Vectors {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/rfc6962.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let json: serde_json::Value = serde_json::from_str(&text).expect("vectors are JSON");
    let hex_strings = |field: &str| -> Vec<String> {
        json[field]
            .as_array()
            .unwrap_or_else(|| panic!("{field} is an array"))
            .iter()
            .map(|value| value.as_str().expect("hex string").to_owned())
            .collect()
    };
    Rfc6962Vectors {
        leaf_inputs: hex_strings("leaf_inputs_hex")
            .iter()
            .map(|h| hex::decode(h).expect("leaf input is hex"))
            .collect(),
        root_by_size: hex_strings("root_by_size_hex")
            .iter()
            .map(|h| hash_from_hex(h))
            .collect(),
    }
}

fn hash_from_hex(text: &str) -> Hash {
    let mut hash = [0; 32];
    hex::decode_to_slice(text, &mut hash).expect("a hash is 64 hex digits");
    hash
}

fn hashes_from_hex(texts: &[&str]) -> Vec<Hash> {
    texts.iter().map(|text| hash_from_hex(text)).collect()
}

/// The tree over the eight reference leaves.
fn reference_tree(vectors: &Rfc6962Vectors) -> MemoryTree {
    vectors
        .leaf_inputs
        .iter()
        .map(|input| leaf_hash(input))
        .collect()
}

#[test]
fn roots_match_the_rfc6962_vectors() {
    let vectors = rfc6962_vectors();
    assert_eq!(vectors.leaf_inputs.len(), 8);
    assert_eq!(vectors.root_by_size.len(), 9);
    assert_eq!(vectors.root_by_size[0], EMPTY_ROOT);
    let leaves: Vec<Hash> = vectors.leaf_inputs.iter().map(|d| leaf_hash(d)).collect();
    let mut tree = MemoryTree::new();
    for (size, expected) in vectors.root_by_size.iter().enumerate() {
        assert_eq!(tree.size(), size as u64);
        assert_eq!(tree.root(), *expected, "root of size {size}");
        assert_eq!(root_from_leaves(&leaves[..size]), *expected);
        if let Some(leaf) = leaves.get(size) {
            tree.push(*leaf);
        }
    }
    for (size, expected) in vectors.root_by_size.iter().enumerate() {
        assert_eq!(tree.root_at(size as u64), Ok(*expected));
    }
}

#[test]
fn inclusion_proofs_match_transparency_dev_vectors() {
    let vectors = rfc6962_vectors();
    let tree = reference_tree(&vectors);
    // (0-based leaf index, tree size, proof)
    let cases: [(u64, u64, Vec<Hash>); 5] = [
        (0, 1, Vec::new()),
        (
            0,
            8,
            hashes_from_hex(&[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]),
        ),
        (
            5,
            8,
            hashes_from_hex(&[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]),
        ),
        (
            2,
            3,
            hashes_from_hex(&["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        ),
        (
            1,
            5,
            hashes_from_hex(&[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]),
        ),
    ];
    for (index, size, expected) in cases {
        let proof = tree.inclusion_proof(index, size).unwrap();
        assert_eq!(proof, expected, "inclusion of {index} in {size}");
        let leaf = leaf_hash(&vectors.leaf_inputs[index as usize]);
        let root = vectors.root_by_size[size as usize];
        assert_eq!(verify_inclusion(&leaf, index, size, &proof, &root), Ok(()));
    }
}

#[test]
fn consistency_proofs_match_transparency_dev_vectors() {
    let vectors = rfc6962_vectors();
    let tree = reference_tree(&vectors);
    // (old size, new size, proof)
    let cases: [(u64, u64, Vec<Hash>); 5] = [
        (1, 1, Vec::new()),
        (
            1,
            8,
            hashes_from_hex(&[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]),
        ),
        (
            6,
            8,
            hashes_from_hex(&[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]),
        ),
        (
            2,
            5,
            hashes_from_hex(&[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]),
        ),
        (
            6,
            7,
            hashes_from_hex(&[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]),
        ),
    ];
    for (old_size, new_size, expected) in cases {
        let proof = tree.consistency_proof(old_size, new_size).unwrap();
        assert_eq!(proof, expected, "consistency of {old_size} with {new_size}");
        let old_root = vectors.root_by_size[old_size as usize];
        let new_root = vectors.root_by_size[new_size as usize];
        assert_eq!(
            verify_consistency(old_size, new_size, &old_root, &new_root, &proof),
            Ok(())
        );
    }
}

/// Distinct, reproducible leaf hashes.
fn leaves(count: u64) -> Vec<Hash> {
    (0..count).map(|i| leaf_hash(&i.to_le_bytes())).collect()
}

/// Roots of every prefix, by the recursive definition.
fn roots_by_size(leaves: &[Hash]) -> Vec<Hash> {
    (0..=leaves.len())
        .map(|size| root_from_leaves(&leaves[..size]))
        .collect()
}

#[test]
fn every_proof_in_small_trees_verifies() {
    let all = leaves(64);
    let roots = roots_by_size(&all);
    let tree: MemoryTree = all.iter().copied().collect();
    for new_size in 0..=64u64 {
        let new_root = &roots[new_size as usize];
        for index in 0..new_size {
            let proof = tree.inclusion_proof(index, new_size).unwrap();
            let leaf = &all[index as usize];
            assert_eq!(
                verify_inclusion(leaf, index, new_size, &proof, new_root),
                Ok(()),
                "inclusion of {index} in {new_size}"
            );
        }
        for old_size in 0..=new_size {
            let proof = tree.consistency_proof(old_size, new_size).unwrap();
            let old_root = &roots[old_size as usize];
            assert_eq!(
                verify_consistency(old_size, new_size, old_root, new_root, &proof),
                Ok(()),
                "consistency of {old_size} with {new_size}"
            );
        }
    }
}

/// Which side each inclusion-proof hash is on (`true`: left of the path),
/// bottom-up, by the recursion of RFC 6962 §2.1.1. Two (index, size) pairs
/// with the same shape make the verifier compute the same root from the same
/// proof.
fn inclusion_shape(index: u64, size: u64) -> Vec<bool> {
    if size <= 1 {
        return Vec::new();
    }
    let split = largest_power_of_two_below(size);
    let mut shape = if index < split {
        inclusion_shape(index, split)
    } else {
        inclusion_shape(index - split, size - split)
    };
    shape.push(index >= split);
    shape
}

/// The shape of a consistency proof for `0 < old < new`, by the recursion of
/// RFC 6962 §2.1.2: whether the first hash comes from the proof (rather
/// than being the old root), and for each further hash, bottom-up, whether
/// it is inside the old tree too (`true`) or only in the new one.
fn consistency_shape(old: u64, new: u64, old_is_left_edge: bool) -> (bool, Vec<bool>) {
    if old == new {
        return (!old_is_left_edge, Vec::new());
    }
    let split = largest_power_of_two_below(new);
    let (seed_in_proof, mut shape) = if old <= split {
        consistency_shape(old, split, old_is_left_edge)
    } else {
        consistency_shape(old - split, new - split, false)
    };
    shape.push(old > split);
    (seed_in_proof, shape)
}

fn largest_power_of_two_below(n: u64) -> u64 {
    assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// `hash` with bit `bit` (0..=255) flipped.
fn flip_bit(hash: &Hash, bit: u8) -> Hash {
    let mut flipped = *hash;
    flipped[usize::from(bit / 8)] ^= 1 << (bit % 8);
    flipped
}

/// Every proof with one bit flipped in one hash.
fn proofs_with_one_flipped_bit(proof: &[Hash], bit: u8) -> Vec<Vec<Hash>> {
    (0..proof.len())
        .map(|position| {
            let mut tampered = proof.to_vec();
            tampered[position] = flip_bit(&tampered[position], bit);
            tampered
        })
        .collect()
}

/// The proof with one hash removed at either end, or one added at either end.
fn proofs_of_the_wrong_length(proof: &[Hash], extra: Hash) -> Vec<Vec<Hash>> {
    let mut variants = vec![[proof, &[extra]].concat(), [&[extra][..], proof].concat()];
    if let Some((_, without_first)) = proof.split_first() {
        variants.push(without_first.to_vec());
    }
    if let Some((_, without_last)) = proof.split_last() {
        variants.push(without_last.to_vec());
    }
    variants
}

fn tree_and_case(max_size: u64) -> impl Strategy<Value = (u64, u64, u8)> {
    (1..=max_size).prop_flat_map(|size| (Just(size), 0..size, any::<u8>()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn inclusion_proofs_verify_and_tampering_is_refused((size, index, bit) in tree_and_case(300)) {
        let all = leaves(size + 1);
        let tree: MemoryTree = all.iter().copied().collect();
        let root = root_from_leaves(&all[..size as usize]);
        let leaf = all[index as usize];
        let proof = tree.inclusion_proof(index, size).unwrap();
        prop_assert_eq!(verify_inclusion(&leaf, index, size, &proof, &root), Ok(()));

        for tampered in proofs_with_one_flipped_bit(&proof, bit) {
            prop_assert!(verify_inclusion(&leaf, index, size, &tampered, &root).is_err());
        }
        for tampered in proofs_of_the_wrong_length(&proof, root) {
            prop_assert!(verify_inclusion(&leaf, index, size, &tampered, &root).is_err());
        }
        prop_assert!(verify_inclusion(&flip_bit(&leaf, bit), index, size, &proof, &root).is_err());
        prop_assert!(verify_inclusion(&leaf, index, size, &proof, &flip_bit(&root, bit)).is_err());
        prop_assert!(verify_inclusion(&leaf, index, size, &proof, &EMPTY_ROOT).is_err());

        // A wrong position is always refused.
        let other_indices = [index.wrapping_sub(1), index + 1, index ^ 2];
        for wrong_index in other_indices.into_iter().filter(|&i| i < size && i != index) {
            prop_assert!(verify_inclusion(&leaf, wrong_index, size, &proof, &root).is_err());
        }

        // A proof only binds the size through the root: against the root of
        // the claimed size it fails, and against the true root it passes
        // exactly when both sizes give the proof the same shape.
        for wrong_size in [size - 1, size + 1].into_iter().filter(|&s| s > index) {
            let wrong_root = root_from_leaves(&all[..wrong_size as usize]);
            prop_assert!(
                verify_inclusion(&leaf, index, wrong_size, &proof, &wrong_root).is_err()
            );
            let accepted = verify_inclusion(&leaf, index, wrong_size, &proof, &root).is_ok();
            let same_shape = inclusion_shape(index, wrong_size) == inclusion_shape(index, size);
            prop_assert_eq!(accepted, same_shape, "size {} claimed as {}", size, wrong_size);
        }
    }

    #[test]
    fn consistency_proofs_verify_and_tampering_is_refused((new_size, old_size, bit) in tree_and_case(300)) {
        let all = leaves(new_size + 1);
        let roots = roots_by_size(&all);
        let tree: MemoryTree = all.iter().copied().collect();
        let (old_root, new_root) = (roots[old_size as usize], roots[new_size as usize]);
        let proof = tree.consistency_proof(old_size, new_size).unwrap();
        let verify = |old, new, old_root: &Hash, new_root: &Hash, proof: &[Hash]| {
            verify_consistency(old, new, old_root, new_root, proof)
        };
        prop_assert_eq!(verify(old_size, new_size, &old_root, &new_root, &proof), Ok(()));

        for tampered in proofs_with_one_flipped_bit(&proof, bit) {
            prop_assert!(verify(old_size, new_size, &old_root, &new_root, &tampered).is_err());
        }
        for tampered in proofs_of_the_wrong_length(&proof, new_root) {
            prop_assert!(verify(old_size, new_size, &old_root, &new_root, &tampered).is_err());
        }
        if old_size == 0 {
            // The empty tree is a prefix of every tree, whatever its claimed root.
            return Ok(());
        }
        let flipped_old = flip_bit(&old_root, bit);
        let flipped_new = flip_bit(&new_root, bit);
        prop_assert!(verify(old_size, new_size, &flipped_old, &new_root, &proof).is_err());
        prop_assert!(verify(old_size, new_size, &old_root, &flipped_new, &proof).is_err());
        prop_assert!(verify(old_size, new_size, &new_root, &old_root, &proof).is_err()
            || old_root == new_root);
        if old_size == new_size {
            return Ok(());
        }
        prop_assert!(verify(old_size, new_size, &old_root, &new_root, &[]).is_err());

        // Wrong sizes: refused against the roots of the claimed sizes, and
        // against the true roots unless the proof has the same shape.
        let shape = consistency_shape(old_size, new_size, true);
        for wrong_old in [old_size - 1, old_size + 1].into_iter().filter(|&s| 0 < s && s < new_size) {
            let wrong_root = roots[wrong_old as usize];
            prop_assert!(verify(wrong_old, new_size, &wrong_root, &new_root, &proof).is_err());
            let accepted = verify(wrong_old, new_size, &old_root, &new_root, &proof).is_ok();
            let same_shape = consistency_shape(wrong_old, new_size, true) == shape;
            prop_assert_eq!(accepted, same_shape, "old size {} claimed as {}", old_size, wrong_old);
        }
        for wrong_new in [new_size - 1, new_size + 1].into_iter().filter(|&s| s > old_size) {
            let wrong_root = roots[wrong_new as usize];
            prop_assert!(verify(old_size, wrong_new, &old_root, &wrong_root, &proof).is_err());
            let accepted = verify(old_size, wrong_new, &old_root, &new_root, &proof).is_ok();
            let same_shape = consistency_shape(old_size, wrong_new, true) == shape;
            prop_assert_eq!(accepted, same_shape, "new size {} claimed as {}", new_size, wrong_new);
        }
    }
}

#[test]
fn trivial_consistency_proofs_must_be_empty() {
    let all = leaves(5);
    let tree: MemoryTree = all.iter().copied().collect();
    let root = tree.root();
    for (old, new) in [(0, 0), (0, 5), (5, 5)] {
        assert_eq!(tree.consistency_proof(old, new), Ok(Vec::new()));
        assert_eq!(
            verify_consistency(old, new, &tree.root_at(old).unwrap(), &root, &[root]),
            Err(ProofError::UnexpectedNonEmptyProof { got: 1 })
        );
    }
}

#[test]
fn proofs_verify_in_a_large_tree() {
    let size = 100_000;
    let all = leaves(size);
    let tree: MemoryTree = all.iter().copied().collect();
    let root = root_from_leaves(&all);
    assert_eq!(tree.root(), root);
    for index in [0, 1, 255, 256, 65_535, 65_536, 99_998, 99_999] {
        let proof = tree.inclusion_proof(index, size).unwrap();
        let leaf = &all[index as usize];
        assert_eq!(verify_inclusion(leaf, index, size, &proof, &root), Ok(()));
    }
    for old_size in [1, 2, 3, 4_097, 65_536, 70_001, 99_999] {
        let old_root = root_from_leaves(&all[..old_size as usize]);
        let proof = tree.consistency_proof(old_size, size).unwrap();
        assert_eq!(
            verify_consistency(old_size, size, &old_root, &root, &proof),
            Ok(())
        );
    }
}

#[test]
fn errors_say_what_was_wrong() {
    let tree: MemoryTree = leaves(3).into_iter().collect();
    let messages = [
        tree.inclusion_proof(3, 3).unwrap_err().to_string(),
        tree.root_at(4).unwrap_err().to_string(),
        tree.consistency_proof(3, 2).unwrap_err().to_string(),
        verify_inclusion(&EMPTY_ROOT, 0, 3, &[], &EMPTY_ROOT)
            .unwrap_err()
            .to_string(),
    ];
    assert_eq!(
        messages,
        [
            "leaf index 3 is out of range for a tree of size 3",
            "tree size 4 is larger than the current tree size 3",
            "old tree size 3 is greater than new tree size 2",
            "proof has 0 hashes, but these sizes call for 2",
        ]
    );
}

#[test]
fn proofs_bind_the_size_only_through_the_root() {
    // Leaf 0 has the same path shape in trees of 3 and 4 leaves (right
    // sibling, right sibling), so the proof for size 3 also "verifies" for a
    // claimed size 4 against the size-3 root. This is inherent to RFC 6962
    // proofs: the size is bound by the checkpoint that signs size and root.
    let all = leaves(4);
    let tree: MemoryTree = all.iter().copied().collect();
    let root_3 = tree.root_at(3).unwrap();
    let proof = tree.inclusion_proof(0, 3).unwrap();
    assert_eq!(verify_inclusion(&all[0], 0, 4, &proof, &root_3), Ok(()));
    assert!(verify_inclusion(&all[0], 0, 4, &proof, &tree.root_at(4).unwrap()).is_err());

    // Likewise the consistency proof from 2 to 4 also fits sizes 2 to 3.
    let root_2 = tree.root_at(2).unwrap();
    let root_4 = tree.root_at(4).unwrap();
    let proof = tree.consistency_proof(2, 4).unwrap();
    assert_eq!(verify_consistency(2, 3, &root_2, &root_4, &proof), Ok(()));
    let root_3 = tree.root_at(3).unwrap();
    assert!(verify_consistency(2, 3, &root_2, &root_3, &proof).is_err());
}
