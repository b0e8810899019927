//! Tests of the Merkle tree: roots, inclusion and consistency proofs against RFC 6962.

use super::*;

/// Distinct, reproducible leaf hashes.
fn leaves(n: u64) -> Vec<Hash> {
    (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
}

/// `PATH(m, D[n])` by the recursive definition of RFC 6962 §2.1.1.
fn reference_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    if leaves.len() <= 1 {
        return Vec::new();
    }
    let k = largest_power_of_two_below(leaves.len() as u64) as usize;
    let (left, right) = leaves.split_at(k);
    if m < k {
        let mut path = reference_path(m, left);
        path.push(root_from_leaves(right));
        path
    } else {
        let mut path = reference_path(m - k, right);
        path.push(root_from_leaves(left));
        path
    }
}

/// `SUBPROOF(m, D[n], b)` by the recursive definition of RFC 6962 §2.1.2.
fn reference_subproof(m: usize, leaves: &[Hash], complete: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if complete {
            Vec::new()
        } else {
            vec![root_from_leaves(leaves)]
        };
    }
    let k = largest_power_of_two_below(n as u64) as usize;
    let (left, right) = leaves.split_at(k);
    if m <= k {
        let mut proof = reference_subproof(m, left, complete);
        proof.push(root_from_leaves(right));
        proof
    } else {
        let mut proof = reference_subproof(m - k, right, false);
        proof.push(root_from_leaves(left));
        proof
    }
}

#[test]
fn empty_root_is_sha256_of_nothing() {
    let digest: Hash = Sha256::digest(b"").into();
    assert_eq!(EMPTY_ROOT, digest);
    assert_eq!(MemoryTree::new().root(), EMPTY_ROOT);
    assert_eq!(root_from_leaves(&[]), EMPTY_ROOT);
}

#[test]
fn hashes_are_domain_separated() {
    let left = leaf_hash(b"a");
    let right = leaf_hash(b"b");
    let mut concatenated = left.to_vec();
    concatenated.extend_from_slice(&right);
    assert_ne!(leaf_hash(&concatenated), node_hash(&left, &right));
    assert_ne!(node_hash(&left, &right), node_hash(&right, &left));
}

#[test]
fn levels_hold_exactly_the_complete_subtrees() {
    let all = leaves(37);
    let tree: MemoryTree = all.iter().copied().collect();
    assert_eq!(tree.size(), 37);
    for level in 0..8u32 {
        assert_eq!(tree.level_len(level), 37 >> level);
        for index in 0..(37u64 >> level) + 1 {
            let width = 1usize << level;
            let start = index as usize * width;
            let expected = all.get(start..start + width).map(root_from_leaves);
            assert_eq!(tree.complete_subtree(level, index), expected);
        }
    }
    assert_eq!(tree.leaf(36), Some(all[36]));
    assert_eq!(tree.leaf(37), None);
    assert_eq!(tree.complete_subtree(u32::MAX, 0), None);
    assert!(tree.level_hashes(40).is_empty());
}

#[test]
fn roots_match_the_recursive_definition_at_every_size() {
    let all = leaves(130);
    let tree: MemoryTree = all.iter().copied().collect();
    for size in 0..=130 {
        let expected = root_from_leaves(&all[..size]);
        assert_eq!(tree.root_at(size as u64), Ok(expected), "size {size}");
    }
    assert_eq!(tree.root(), root_from_leaves(&all));
    assert_eq!(
        tree.root_at(131),
        Err(ProofError::SizeOutOfRange {
            size: 131,
            tree_size: 130
        })
    );
}

#[test]
fn truncate_then_push_rebuilds_the_same_tree() {
    let all = leaves(100);
    let full: MemoryTree = all.iter().copied().collect();
    for size in [0u64, 1, 2, 3, 31, 32, 33, 64, 99, 100, 150] {
        let mut tree = full.clone();
        tree.truncate(size);
        let kept = size.min(100);
        assert_eq!(tree.size(), kept);
        assert_eq!(tree.root(), root_from_leaves(&all[..kept as usize]));
        tree.extend(all[kept as usize..].iter().copied());
        assert_eq!(tree, full, "truncated to {size}");
    }
}

#[test]
fn proofs_match_the_recursive_definitions() {
    let all = leaves(70);
    let tree: MemoryTree = all.iter().copied().collect();
    for size in 1..=all.len() {
        for index in 0..size {
            let proof = tree.inclusion_proof(index as u64, size as u64);
            assert_eq!(proof, Ok(reference_path(index, &all[..size])));
        }
        for old in 1..size {
            let proof = tree.consistency_proof(old as u64, size as u64);
            assert_eq!(proof, Ok(reference_subproof(old, &all[..size], true)));
        }
    }
}

#[test]
fn proof_lengths_match_the_generated_proofs() {
    let tree: MemoryTree = leaves(70).into_iter().collect();
    for size in 1..=70u64 {
        for index in 0..size {
            let proof = tree.inclusion_proof(index, size).unwrap();
            assert_eq!(inclusion_proof_len(index, size), proof.len());
        }
        for old in 1..size {
            let proof = tree.consistency_proof(old, size).unwrap();
            assert_eq!(consistency_proof_len(old, size), proof.len());
        }
    }
}

#[test]
fn proof_requests_outside_the_tree_are_refused() {
    let tree: MemoryTree = leaves(10).into_iter().collect();
    assert_eq!(
        tree.inclusion_proof(10, 10),
        Err(ProofError::IndexOutOfRange {
            index: 10,
            size: 10
        })
    );
    assert_eq!(
        tree.inclusion_proof(0, 11),
        Err(ProofError::SizeOutOfRange {
            size: 11,
            tree_size: 10
        })
    );
    assert_eq!(
        tree.consistency_proof(5, 4),
        Err(ProofError::OldSizeGreater { old: 5, new: 4 })
    );
    assert_eq!(tree.consistency_proof(0, 10), Ok(Vec::new()));
    assert_eq!(tree.consistency_proof(10, 10), Ok(Vec::new()));
}

#[test]
fn trivial_consistency_cases() {
    let a = leaf_hash(b"a");
    let b = leaf_hash(b"b");
    assert_eq!(verify_consistency(0, 0, &a, &a, &[]), Ok(()));
    assert_eq!(
        verify_consistency(0, 0, &a, &b, &[]),
        Err(ProofError::RootMismatch)
    );
    assert_eq!(verify_consistency(0, 5, &a, &b, &[]), Ok(()));
    assert_eq!(verify_consistency(3, 3, &a, &a, &[]), Ok(()));
    assert_eq!(
        verify_consistency(3, 3, &a, &b, &[]),
        Err(ProofError::RootMismatch)
    );
    assert_eq!(
        verify_consistency(0, 5, &a, &b, &[a]),
        Err(ProofError::UnexpectedNonEmptyProof { got: 1 })
    );
    assert_eq!(
        verify_consistency(3, 3, &a, &a, &[a]),
        Err(ProofError::UnexpectedNonEmptyProof { got: 1 })
    );
    assert_eq!(
        verify_consistency(4, 3, &a, &a, &[]),
        Err(ProofError::OldSizeGreater { old: 4, new: 3 })
    );
    assert_eq!(
        verify_consistency(1, 2, &a, &b, &[]),
        Err(ProofError::WrongProofLength {
            expected: 1,
            got: 0
        })
    );
}

#[test]
fn single_leaf_tree() {
    let leaf = leaf_hash(b"only");
    assert_eq!(verify_inclusion(&leaf, 0, 1, &[], &leaf), Ok(()));
    assert_eq!(
        verify_inclusion(&leaf, 0, 1, &[], &EMPTY_ROOT),
        Err(ProofError::RootMismatch)
    );
    assert_eq!(
        verify_inclusion(&leaf, 0, 0, &[], &EMPTY_ROOT),
        Err(ProofError::IndexOutOfRange { index: 0, size: 0 })
    );
}

#[test]
fn huge_sizes_do_not_overflow() {
    let leaf = leaf_hash(b"x");
    let proof = vec![leaf; 64];
    for (index, size) in [(0, u64::MAX), (u64::MAX - 1, u64::MAX), (1 << 63, u64::MAX)] {
        let result = verify_inclusion(&leaf, index, size, &proof, &leaf);
        assert!(result.is_err(), "{index} in {size}");
    }
    for (old, new) in [(1, u64::MAX), (u64::MAX - 1, u64::MAX), (1 << 63, u64::MAX)] {
        let result = verify_consistency(old, new, &leaf, &leaf, &proof);
        assert!(result.is_err(), "{old} -> {new}");
    }
}
