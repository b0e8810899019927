//! Claim bundles verify offline — proof included — and a bundle whose
//! claim, key or authorities are not what the statement needs is refused.
//!
//! The log here is a test log that accepts anything, so it can hold what
//! the service would have refused (a claim with a proof for another
//! message): the offline verifier must catch it on its own.

mod common;

use ark_bn254::Bn254;
use ark_groth16::Groth16;
use ark_snark::SNARK;
use common::{LOG_ORIGIN, TestLog, test_rng};
use ed25519_dalek::SigningKey;
use zkaudit_circuits::eligibility::constraints::EligibilityCircuit;
use zkaudit_circuits::eligibility::{
    EligibilityPublic, EligibilityShape, EligibilityWitness, credential_leaf,
};
use zkaudit_circuits::identity::Identity;
use zkaudit_circuits::lean_imt::LeanImt;
use zkaudit_circuits::predicate::AttributePredicate;
use zkaudit_ledger::authority::{AUTHORITY_SET_KIND, Authority, AuthoritySet, LEDGER_DOMAIN};
use zkaudit_ledger::codec::fr_to_bytes;
use zkaudit_ledger::identity::{
    CIRCUIT_KEY, CLAIM, CircuitKey, Claim, DOMAIN, REGISTRY_CREATE, REGISTRY_ROOT, RegistryRoot,
    RegistrySpec, SCOPE_CREATE, ScopeSpec, claim_message_field,
};
use zkaudit_ledger::record::Record;
use zkaudit_verifier::VerifyError;
use zkaudit_verifier::claim::{CLAIM_BUNDLE_FORMAT, ClaimBundle, ClaimIndices};
use zkaudit_verifier::groth16::{encode_proof, encode_vk, vk_digest};

const T: u64 = 1_795_000_000_000;

struct Scenario {
    log: TestLog,
    indices: ClaimIndices,
}

/// Options for what the scenario gets wrong.
#[derive(Default, Clone, Copy)]
struct Faults {
    /// The claim names another message than the proof was made for.
    other_message: bool,
    /// The benefits office may create registries but not scopes.
    office_not_granted_scopes: bool,
    /// The circuit key is signed by an authority, not by the log.
    key_not_from_log: bool,
}

fn scenario(faults: Faults) -> Scenario {
    let mut log = TestLog::new(1);
    let registry_key = SigningKey::from_bytes(&[7; 32]);
    let office_key = SigningKey::from_bytes(&[8; 32]);
    let office_grants = if faults.office_not_granted_scopes {
        vec!["identity/registry.create".to_owned()]
    } else {
        vec![format!("{DOMAIN}/{SCOPE_CREATE}")]
    };
    let authorities = AuthoritySet::new(vec![
        Authority {
            name: "civil-registry".into(),
            key: registry_key.verifying_key(),
            grants: vec!["identity/*".into()],
        },
        Authority {
            name: "benefits-office".into(),
            key: office_key.verifying_key(),
            grants: office_grants,
        },
    ])
    .unwrap();
    let set_index = log.push(
        &Record::signed(
            LOG_ORIGIN,
            LEDGER_DOMAIN,
            AUTHORITY_SET_KIND,
            T,
            authorities.encode(),
            &log.key,
        )
        .unwrap(),
    );

    let spec = RegistrySpec {
        id: "national-id".into(),
        title: "National ID".into(),
        attributes: vec!["birth_date".into(), "region".into()],
        depth: 4,
        window_changes: 4,
        window_secs: 3600,
    };
    let registry_index = log.push(
        &Record::signed(
            LOG_ORIGIN,
            DOMAIN,
            REGISTRY_CREATE,
            T + 1,
            spec.encode(),
            &registry_key,
        )
        .unwrap(),
    );
    let mut rng = test_rng(2);
    let holder = Identity::random(&mut rng);
    let attributes = vec![19_900_101, 7];
    let mut tree = LeanImt::new();
    tree.insert(credential_leaf(Identity::random(&mut rng).commitment(), &[1, 1]).unwrap());
    tree.insert(credential_leaf(holder.commitment(), &attributes).unwrap());
    let root = tree.root().unwrap();
    let root_index = log.push(
        &Record::signed(
            LOG_ORIGIN,
            DOMAIN,
            REGISTRY_ROOT,
            T + 2,
            RegistryRoot {
                registry: spec.id.clone(),
                version: 2,
                size: 2,
                root: fr_to_bytes(&root),
                change_index: registry_index,
            }
            .encode(),
            &log.key,
        )
        .unwrap(),
    );
    let scope = ScopeSpec {
        id: "heating-2027".into(),
        title: "Heating allowance".into(),
        registry: spec.id.clone(),
        predicates: vec![
            AttributePredicate::at_most(20_081_123),
            AttributePredicate::one_of(&[3, 7]).unwrap(),
        ],
        circuit_key: None,
    };
    let scope_index = log.push(
        &Record::signed(
            LOG_ORIGIN,
            DOMAIN,
            SCOPE_CREATE,
            T + 3,
            scope.encode(),
            &office_key,
        )
        .unwrap(),
    );

    let shape = EligibilityShape::new(4, 2).unwrap();
    let (pk, vk) =
        Groth16::<Bn254>::circuit_specific_setup(EligibilityCircuit::blank(shape), &mut rng)
            .unwrap();
    let key = CircuitKey {
        shape: shape.id(),
        vk_digest: vk_digest(&vk),
        vk: encode_vk(&vk),
        development: true,
        ceremony: None,
    };
    let key_record = if faults.key_not_from_log {
        Record::signed(
            LOG_ORIGIN,
            DOMAIN,
            CIRCUIT_KEY,
            T + 4,
            key.encode(),
            &registry_key,
        )
    } else {
        Record::signed(
            LOG_ORIGIN,
            DOMAIN,
            CIRCUIT_KEY,
            T + 4,
            key.encode(),
            &log.key,
        )
    };
    let key_index = log.push(&key_record.unwrap());

    let message = b"application 7781".to_vec();
    let public = EligibilityPublic {
        shape,
        root,
        nullifier: holder.nullifier(scope.scope_field()),
        scope: scope.scope_field(),
        message: claim_message_field(&scope.id, &message),
        predicates: scope.predicates.clone(),
    };
    let witness = EligibilityWitness {
        secret: holder.secret_scalar(),
        attributes,
        path: tree
            .generate_proof(1)
            .unwrap()
            .to_circuit_path(shape.depth)
            .unwrap(),
    };
    let proof = Groth16::<Bn254>::prove(
        &pk,
        EligibilityCircuit::new(public.clone(), witness),
        &mut rng,
    )
    .unwrap();
    let claim = Claim {
        scope: scope.id.clone(),
        root: fr_to_bytes(&root),
        nullifier: fr_to_bytes(&public.nullifier),
        message: if faults.other_message {
            b"application 9999".to_vec()
        } else {
            message
        },
        vk_digest: key.vk_digest,
        proof: encode_proof(&proof).to_vec(),
    };
    let claim_index =
        log.push(&Record::unsigned(LOG_ORIGIN, DOMAIN, CLAIM, T + 5, claim.encode()).unwrap());
    Scenario {
        log,
        indices: ClaimIndices {
            claim: claim_index,
            scope: scope_index,
            registry: registry_index,
            root: root_index,
            circuit_key: key_index,
            authority_set: set_index,
        },
    }
}

fn bundle(s: &Scenario) -> ClaimBundle {
    let at = s.indices;
    ClaimBundle {
        format: CLAIM_BUNDLE_FORMAT.to_owned(),
        indices: at,
        evidence: s.log.evidence(&[
            at.claim,
            at.scope,
            at.registry,
            at.root,
            at.circuit_key,
            at.authority_set,
        ]),
    }
}

#[test]
fn an_honest_claim_bundle_verifies_with_its_proof() {
    let s = scenario(Faults::default());
    let report = bundle(&s).verify(&s.log.vkey()).unwrap();
    assert_eq!(report.scope, "heating-2027");
    assert_eq!(report.registry, "national-id");
    assert_eq!(report.issuer, "civil-registry");
    assert_eq!(report.scope_owner, "benefits-office");
    assert_eq!(report.message, b"application 7781");
    assert!(report.development_key);
    assert_eq!(report.checkpoint_size, 6);
}

#[test]
fn a_logged_claim_with_a_proof_for_another_request_is_rejected_offline() {
    let s = scenario(Faults {
        other_message: true,
        ..Faults::default()
    });
    let err = bundle(&s).verify(&s.log.vkey()).unwrap_err();
    assert!(matches!(err, VerifyError::Groth16 { .. }), "{err}");
}

#[test]
fn a_scope_by_an_authority_not_granted_scopes_is_rejected() {
    let s = scenario(Faults {
        office_not_granted_scopes: true,
        ..Faults::default()
    });
    let err = bundle(&s).verify(&s.log.vkey()).unwrap_err();
    assert!(err.to_string().contains("may not write"), "{err}");
}

#[test]
fn a_verifying_key_the_log_did_not_sign_is_rejected() {
    let s = scenario(Faults {
        key_not_from_log: true,
        ..Faults::default()
    });
    let err = bundle(&s).verify(&s.log.vkey()).unwrap_err();
    assert!(err.to_string().contains("not signed by the log"), "{err}");
}

#[test]
fn indices_pointing_at_the_wrong_records_are_rejected() {
    let s = scenario(Faults::default());
    let mut b = bundle(&s);
    b.indices.root = b.indices.scope;
    assert!(b.verify(&s.log.vkey()).is_err());
    let mut b = bundle(&s);
    b.indices.circuit_key = b.indices.claim + 7;
    let err = b.verify(&s.log.vkey()).unwrap_err();
    assert!(err.to_string().contains("no entry"), "{err}");
}

#[test]
fn evidence_for_another_log_key_or_a_tampered_record_is_rejected() {
    let s = scenario(Faults::default());
    let other = TestLog::new(99);
    assert!(bundle(&s).verify(&other.vkey()).is_err());
    let mut b = bundle(&s);
    let entry = &mut b.evidence.entries[2];
    let mut bytes = base64_decode(&entry.record);
    let last = bytes.len() - 70;
    bytes[last] ^= 1;
    entry.record = base64_encode(&bytes);
    assert!(b.verify(&s.log.vkey()).is_err());
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}
