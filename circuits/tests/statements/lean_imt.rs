//! LeanIMT: @zk-kit/lean-imt compatibility, proofs, gadget, costs.

use ark_ff::AdditiveGroup;
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::ConstraintSystemRef;
use zkaudit_circuits::lean_imt::constraints::{CircuitPathVar, lean_imt_root_var};
use zkaudit_circuits::lean_imt::{CircuitPath, LeanImt, MerkleProof};
use zkaudit_circuits::poseidon::poseidon_hash_pair;
use zkaudit_circuits::{CircuitError, Fr};

use crate::common::{assert_every_witness_is_pinned, fr, frs, new_cs, random_frs, rng, vectors};

/// The root by the definition, recomputed from scratch: pair up each level,
/// hashing pairs and carrying a lone last node up.
fn reference_root(leaves: &[Fr]) -> Option<Fr> {
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [left, right] => poseidon_hash_pair(*left, *right),
                [lone] => *lone,
                _ => unreachable!(),
            })
            .collect();
    }
    level.first().copied()
}

/// `shared/vectors/leanimt.json`: trees built by @zk-kit/lean-imt 2.2.5
/// with poseidon-lite's Poseidon, one `generateProof` per tree, and the root
/// after setting one leaf to zero.
#[test]
fn matches_zk_kit_lean_imt_vectors() {
    let file = vectors("leanimt.json");
    assert!(
        file["source"]
            .as_str()
            .unwrap()
            .starts_with("@zk-kit/lean-imt 2.2.5")
    );
    let trees = file["trees"].as_array().unwrap();
    assert!(!trees.is_empty());
    for case in trees {
        let leaves = frs(&case["leaves"]);
        let root = fr(&case["root"]);
        let depth = case["depth"].as_u64().unwrap() as usize;

        let mut one_by_one = LeanImt::new();
        leaves.iter().for_each(|leaf| one_by_one.insert(*leaf));
        let batched = LeanImt::from_leaves(&leaves);
        for tree in [&one_by_one, &batched] {
            assert_eq!(tree.root(), Some(root), "size {}", leaves.len());
            assert_eq!(tree.depth(), depth);
            assert_eq!(tree.size(), leaves.len());
            assert_eq!(tree.leaves(), leaves.as_slice());
        }
        assert_eq!(one_by_one, batched);

        let expected_proof = &case["proof"];
        let index = expected_proof["index"].as_u64().unwrap() as usize;
        let proof = batched.generate_proof(index).unwrap();
        assert_eq!(proof.root, root);
        assert_eq!(proof.leaf, fr(&expected_proof["leaf"]));
        assert_eq!(proof.siblings, frs(&expected_proof["siblings"]));
        assert_eq!(
            proof.index as u64,
            expected_proof["path_index_bits"].as_u64().unwrap()
        );
        assert_eq!(LeanImt::verify_proof(&proof), Ok(()));

        let revoked = &case["after_setting_index_to_zero"];
        let mut tree = batched.clone();
        tree.update(revoked["index"].as_u64().unwrap() as usize, Fr::ZERO)
            .unwrap();
        assert_eq!(tree.root(), Some(fr(&revoked["root"])));
    }
}

#[test]
fn empty_tree_has_no_root_and_no_proofs() {
    let mut tree = LeanImt::new();
    assert_eq!(tree.root(), None);
    assert_eq!((tree.size(), tree.depth()), (0, 0));
    assert!(tree.is_empty());
    let out_of_range = CircuitError::LeafIndexOutOfRange { index: 0, size: 0 };
    assert_eq!(tree.generate_proof(0), Err(out_of_range.clone()));
    assert_eq!(tree.update(0, Fr::ZERO), Err(out_of_range));
    tree.insert_many(&[]);
    assert_eq!(tree, LeanImt::new());
    assert_eq!(LeanImt::default(), LeanImt::new());
    assert_eq!(LeanImt::from_leaves(&[]).root(), None);
}

/// Insertion in any batches, one by one or all at once, gives the
/// definition's root and depth at every size.
#[test]
fn batched_and_single_insertion_agree_with_the_definition() {
    let mut rng = rng(10);
    let leaves = random_frs(&mut rng, 70);
    let mut batched = LeanImt::new();
    let mut single = LeanImt::new();
    let mut inserted = 0;
    for batch_size in [1, 2, 3, 1, 5, 8, 13, 4, 33] {
        let batch = &leaves[inserted..inserted + batch_size];
        batched.insert_many(batch);
        for leaf in batch {
            single.insert(*leaf);
            let size = single.size();
            assert_eq!(
                single.root(),
                reference_root(&leaves[..size]),
                "size {size}"
            );
            assert_eq!(
                single.depth(),
                size.next_power_of_two().trailing_zeros() as usize
            );
        }
        inserted += batch_size;
        assert_eq!(batched, single, "after {inserted} leaves");
    }
}

/// Every leaf of every tree up to 33 leaves has a proof that verifies, with
/// one sibling per level that has one.
#[test]
fn every_proof_verifies() {
    let mut rng = rng(11);
    let leaves = random_frs(&mut rng, 33);
    for size in 1..=leaves.len() {
        let tree = LeanImt::from_leaves(&leaves[..size]);
        for (index, leaf) in leaves[..size].iter().enumerate() {
            let proof = tree.generate_proof(index).unwrap();
            assert_eq!(proof.leaf, *leaf);
            assert_eq!(proof.root, tree.root().unwrap());
            assert!(proof.siblings.len() <= tree.depth());
            assert_eq!(proof.verify(), Ok(()), "size {size}, index {index}");
        }
        let out_of_range = CircuitError::LeafIndexOutOfRange { index: size, size };
        assert_eq!(tree.generate_proof(size), Err(out_of_range));
    }
}

#[test]
fn tampered_proofs_are_rejected() {
    let mut rng = rng(12);
    let tree = LeanImt::from_leaves(&random_frs(&mut rng, 13));
    let proof = tree.generate_proof(6).unwrap();
    let tamperings: [fn(&mut MerkleProof); 4] = [
        |proof| proof.leaf += Fr::from(1u64),
        |proof| proof.root += Fr::from(1u64),
        |proof| proof.siblings[1] += Fr::from(1u64),
        |proof| proof.index ^= 1,
    ];
    for tamper in tamperings {
        let mut tampered = proof.clone();
        tamper(&mut tampered);
        assert_eq!(tampered.verify(), Err(CircuitError::MerkleRootMismatch));
    }
    let mut overlong_index = proof.clone();
    overlong_index.index |= 1 << proof.siblings.len();
    assert_eq!(
        overlong_index.verify(),
        Err(CircuitError::MalformedMerkleProof)
    );
    assert_eq!(
        overlong_index.to_circuit_path(20),
        Err(CircuitError::MalformedMerkleProof)
    );
}

/// Updating and revoking recompute the same root as rebuilding, and proofs
/// stay valid.
#[test]
fn updates_match_a_rebuilt_tree() {
    let mut rng = rng(13);
    let mut leaves = random_frs(&mut rng, 21);
    let mut tree = LeanImt::from_leaves(&leaves);
    for (index, leaf) in [
        (0, Fr::from(7u64)),
        (20, Fr::from(8u64)),
        (13, Fr::from(9u64)),
    ] {
        tree.update(index, leaf).unwrap();
        leaves[index] = leaf;
        assert_eq!(tree, LeanImt::from_leaves(&leaves));
    }
    tree.revoke(5).unwrap();
    leaves[5] = Fr::ZERO;
    assert_eq!(tree.root(), reference_root(&leaves));
    for index in 0..leaves.len() {
        assert_eq!(tree.generate_proof(index).unwrap().verify(), Ok(()));
    }
    let out_of_range = CircuitError::LeafIndexOutOfRange {
        index: 21,
        size: 21,
    };
    assert_eq!(tree.update(21, Fr::ZERO), Err(out_of_range));
}

/// A large tree builds in one batch and takes single inserts and updates
/// with one hash per level (2¹⁶ leaves keep the test fast; the work is linear).
#[test]
fn large_tree_stays_incremental() {
    let mut rng = rng(14);
    let mut tree = LeanImt::from_leaves(&random_frs(&mut rng, 1 << 16));
    assert_eq!(tree.depth(), 16);
    let leaf = Fr::from(42u64);
    tree.insert(leaf);
    assert_eq!(tree.depth(), 17);
    let proof = tree.generate_proof(1 << 16).unwrap();
    assert_eq!(
        proof.siblings.len(),
        1,
        "the last leaf only meets the old root"
    );
    assert_eq!(proof.verify(), Ok(()));
    tree.revoke(12345).unwrap();
    assert_eq!(tree.generate_proof(12345).unwrap().verify(), Ok(()));
}

#[test]
fn circuit_paths_pad_proofs() {
    let mut rng = rng(15);
    let tree = LeanImt::from_leaves(&random_frs(&mut rng, 13));
    for index in 0..13 {
        let proof = tree.generate_proof(index).unwrap();
        let path = proof.to_circuit_path(6).unwrap();
        assert_eq!(path.max_depth(), 6);
        assert_eq!(path.depth, proof.siblings.len());
        assert_eq!(&path.siblings[..path.depth], proof.siblings.as_slice());
        assert!(
            path.siblings[path.depth..]
                .iter()
                .all(|sibling| *sibling == Fr::ZERO)
        );
        assert!(!path.path_bits[path.depth..].iter().any(|bit| *bit));
        assert_eq!(path.compute_root(proof.leaf), proof.root);
    }
    let proof = tree.generate_proof(0).unwrap();
    let too_deep = CircuitError::MerkleProofTooDeep {
        depth: 4,
        max_depth: 3,
    };
    assert_eq!(proof.to_circuit_path(3), Err(too_deep));
    assert_eq!(
        CircuitPath::zeroed(5).compute_root(Fr::from(3u64)),
        Fr::from(3u64)
    );
}

/// The membership statement: a witness leaf and path leading to a public
/// root. Returns the system and the in-circuit root.
fn prove_membership(
    leaf: Fr,
    path: &CircuitPath,
    root: Fr,
) -> (ConstraintSystemRef<Fr>, FpVar<Fr>) {
    let cs = new_cs();
    let root_var = FpVar::new_input(cs.clone(), || Ok(root)).unwrap();
    let leaf_var = FpVar::new_witness(cs.clone(), || Ok(leaf)).unwrap();
    let path_var = CircuitPathVar::new_witness(cs.clone(), || Ok(path)).unwrap();
    let computed = path_var.root(&leaf_var).unwrap();
    computed.enforce_equal(&root_var).unwrap();
    (cs, computed)
}

#[test]
fn gadget_matches_native_for_every_leaf() {
    let mut rng = rng(16);
    let leaves = random_frs(&mut rng, 23);
    for size in [1, 2, 3, 8, 23] {
        let tree = LeanImt::from_leaves(&leaves[..size]);
        for index in 0..size {
            let proof = tree.generate_proof(index).unwrap();
            let path = proof.to_circuit_path(6).unwrap();
            let (cs, computed) = prove_membership(proof.leaf, &path, proof.root);
            assert_eq!(
                computed.value().unwrap(),
                proof.root,
                "size {size}, index {index}"
            );
            assert!(cs.is_satisfied().unwrap(), "size {size}, index {index}");
        }
    }
}

/// The proofs from @zk-kit/lean-imt verify in-circuit at depth 20.
#[test]
fn gadget_accepts_zk_kit_proofs() {
    for case in vectors("leanimt.json")["trees"].as_array().unwrap() {
        let expected = &case["proof"];
        let proof = MerkleProof {
            root: fr(&case["root"]),
            leaf: fr(&expected["leaf"]),
            index: expected["path_index_bits"].as_u64().unwrap() as usize,
            siblings: frs(&expected["siblings"]),
        };
        let path = proof.to_circuit_path(20).unwrap();
        let (cs, _) = prove_membership(proof.leaf, &path, proof.root);
        assert!(cs.is_satisfied().unwrap());
    }
}

/// Wrong leaf, sibling, path bit or depth: the path no longer leads to the
/// public root.
#[test]
fn tampered_witnesses_are_unsatisfied() {
    let mut rng = rng(17);
    let tree = LeanImt::from_leaves(&random_frs(&mut rng, 13));
    let proof = tree.generate_proof(6).unwrap();
    let path = proof.to_circuit_path(8).unwrap();
    assert_eq!(path.depth, 4);
    let (honest, _) = prove_membership(proof.leaf, &path, proof.root);
    assert!(honest.is_satisfied().unwrap());

    let (wrong_leaf, _) = prove_membership(proof.leaf + Fr::from(1u64), &path, proof.root);
    assert!(!wrong_leaf.is_satisfied().unwrap());

    type Tampering = (&'static str, fn(&mut CircuitPath));
    let tamperings: [Tampering; 6] = [
        ("sibling", |path| path.siblings[2] += Fr::from(1u64)),
        ("path bit", |path| path.path_bits[1] = !path.path_bits[1]),
        ("shorter depth", |path| path.depth -= 1),
        ("longer depth", |path| path.depth += 1),
        ("depth beyond the maximum", |path| path.depth = 9),
        ("a level carried instead of hashed", |path| {
            // Drop the level-2 sibling: the hash that should happen there
            // is skipped.
            path.siblings.remove(2);
            path.siblings.push(Fr::ZERO);
            path.path_bits.remove(2);
            path.path_bits.push(false);
            path.depth -= 1;
        }),
    ];
    for (name, tamper) in tamperings {
        let mut tampered = path.clone();
        tamper(&mut tampered);
        let (cs, _) = prove_membership(proof.leaf, &tampered, proof.root);
        assert!(!cs.is_satisfied().unwrap(), "{name}");
    }
}

/// Padding above the depth does not matter: levels past the depth are
/// carried whatever their siblings and bits.
#[test]
fn padding_levels_are_ignored() {
    let mut rng = rng(18);
    let tree = LeanImt::from_leaves(&random_frs(&mut rng, 5));
    let proof = tree.generate_proof(1).unwrap();
    let mut path = proof.to_circuit_path(6).unwrap();
    path.siblings[5] = Fr::from(99u64);
    path.path_bits[4] = true;
    let (cs, _) = prove_membership(proof.leaf, &path, proof.root);
    assert!(cs.is_satisfied().unwrap());
}

#[test]
fn gadget_rejects_mismatched_lengths() {
    let cs = new_cs();
    let leaf = FpVar::new_witness(cs.clone(), || Ok(Fr::from(1u64))).unwrap();
    let siblings = vec![FpVar::zero(); 3];
    let bits = vec![Boolean::FALSE; 2];
    assert!(lean_imt_root_var(&leaf, &siblings, &bits, &FpVar::zero()).is_err());
}

/// Pinned cost of a depth-20 membership check, path allocation included:
/// per level 240 (Poseidon) + 1 (swap) + 1 (carry) + 1 (level in use) +
/// 1 (path bit booleanity), 19 orderings of the levels in use, 1 for the
/// depth, and 1 for the comparison with the public root.
#[test]
fn depth_twenty_constraint_count_is_pinned() {
    let (cs, _) = prove_membership(Fr::from(1u64), &CircuitPath::zeroed(20), Fr::from(1u64));
    assert!(cs.is_satisfied().unwrap());
    assert_eq!(cs.num_constraints(), 20 * 244 + 19 + 1 + 1);
    assert_eq!(cs.num_constraints(), 4901);
}

#[test]
fn every_witness_is_pinned() {
    let mut rng = rng(19);
    let tree = LeanImt::from_leaves(&random_frs(&mut rng, 5));
    let proof = tree.generate_proof(4).unwrap();
    let (cs, _) = prove_membership(proof.leaf, &proof.to_circuit_path(3).unwrap(), proof.root);
    assert_every_witness_is_pinned(&cs);
}
