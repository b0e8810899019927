//! A real eligibility statement (the production circuit at a small depth)
//! with a witness that satisfies it.

use zkaudit_circuits::eligibility::{
    EligibilityPublic, EligibilityShape, EligibilityWitness, credential_leaf, message_field,
};
use zkaudit_circuits::identity::Identity;
use zkaudit_circuits::lean_imt::LeanImt;
use zkaudit_circuits::predicate::AttributePredicate;
use zkaudit_prover::Fr;

use super::test_rng;

/// A holder in a registry of six proves two predicates at depth 4, for the
/// shape `eligibility-d4-a2`.
pub fn eligibility_statement() -> (EligibilityShape, EligibilityPublic, EligibilityWitness) {
    let shape = EligibilityShape::new(4, 2).unwrap();
    let mut rng = test_rng(41);
    let holder = Identity::random(&mut rng);
    let attributes = vec![19_900_101, 7];
    let mut tree = LeanImt::new();
    for other in 0..5u64 {
        let someone = Identity::random(&mut rng);
        tree.insert(credential_leaf(someone.commitment(), &[other, other]).unwrap());
    }
    tree.insert(credential_leaf(holder.commitment(), &attributes).unwrap());
    let scope = Fr::from(2027u64);
    let public = EligibilityPublic {
        shape,
        root: tree.root().unwrap(),
        nullifier: holder.nullifier(scope),
        scope,
        message: message_field(b"application 7781"),
        predicates: vec![
            AttributePredicate::at_most(20_081_123),
            AttributePredicate::one_of(&[3, 7, 9]).unwrap(),
        ],
    };
    let witness = EligibilityWitness {
        secret: holder.secret_scalar(),
        attributes,
        path: tree
            .generate_proof(5)
            .unwrap()
            .to_circuit_path(shape.depth)
            .unwrap(),
    };
    (shape, public, witness)
}
