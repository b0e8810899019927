//! Unit tests of the land domain: payload codecs, the transfer and lien
//! rules, forged events and offline history checks.

use super::*;
use crate::codec::fr_to_bytes;
use crate::record::{Record, TEST_LOG};
use crate::signature::forgery::{
    FORGED_SIGNATURE, IDENTITY_KEY, NON_CANONICAL_KEY, identity_r_signature, torsion_key,
};
use ed25519_dalek::SigningKey;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use zkaudit_circuits::Fr;

fn key(seed: u64) -> SigningKey {
    SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(seed))
}

fn registration(owner: &SigningKey) -> ParcelRegistration {
    ParcelRegistration {
        parcel: "D7-100".into(),
        district: 7,
        area_m2: 850,
        documents: vec![[3; 32]],
        title_registry: "titles".into(),
        owner: owner.verifying_key().to_bytes(),
        owner_commitment: fr_to_bytes(&Fr::from(11u64)),
    }
}

struct Chain {
    registrar: SigningKey,
    records: Vec<(u64, Record)>,
    book: TitleBook,
}

impl Chain {
    fn new(owner: &SigningKey) -> Self {
        let registrar = key(1);
        let record = Record::signed(
            TEST_LOG,
            DOMAIN,
            PARCEL_REGISTER,
            1,
            registration(owner).encode(),
            &registrar,
        )
        .unwrap();
        let mut chain = Self {
            registrar,
            records: Vec::new(),
            book: TitleBook::new(),
        };
        chain.push(record).unwrap();
        chain
    }

    fn terms(&self, action: Action) -> Terms {
        let p = self.book.get("D7-100").unwrap();
        Terms {
            parcel: "D7-100".into(),
            version: p.version + 1,
            previous: p.head,
            time_ms: 5,
            action,
        }
    }

    fn event(&self, terms: Terms, a: &SigningKey, b: &SigningKey) -> Record {
        let credential = matches!(terms.action, Action::Transfer { .. })
            .then_some(TitleCredential { revoke_leaf: 0 });
        let event = TitleEvent {
            signatures: [terms.sign(a), terms.sign(b)],
            terms,
            credential,
        };
        self.signed(&event)
    }

    /// `event` as the registrar logs it.
    fn signed(&self, event: &TitleEvent) -> Record {
        let kind = event.terms.action.kind();
        Record::signed(TEST_LOG, DOMAIN, kind, 10, event.encode(), &self.registrar).unwrap()
    }

    fn push(&mut self, record: Record) -> LandResult<()> {
        self.book.check(&record)?;
        let index = self.book.applied_up_to();
        self.book.apply(index, &record);
        self.records.push((index, record));
        Ok(())
    }
}

fn transfer_to(buyer: &SigningKey) -> Action {
    Action::Transfer {
        new_owner: buyer.verifying_key().to_bytes(),
        new_commitment: fr_to_bytes(&Fr::from(22u64)),
        price: Some(100_000),
    }
}

#[test]
fn payloads_round_trip_strictly() {
    let owner = key(2);
    let r = registration(&owner);
    assert_eq!(ParcelRegistration::decode(&r.encode()).unwrap(), r);
    let mut trailing = r.encode();
    trailing.push(0);
    assert!(ParcelRegistration::decode(&trailing).is_err());
    let mut zero_area = r.clone();
    zero_area.area_m2 = 0;
    assert!(ParcelRegistration::decode(&zero_area.encode()).is_err());
    let mut bad_commitment = r.clone();
    bad_commitment.owner_commitment = [0xff; 32];
    assert!(ParcelRegistration::decode(&bad_commitment.encode()).is_err());
    let terms = Terms {
        parcel: "D7-100".into(),
        version: 1,
        previous: [1; 32],
        time_ms: 9,
        action: transfer_to(&key(3)),
    };
    assert_eq!(Terms::decode(&terms.encode()).unwrap(), terms);
    let event = TitleEvent {
        signatures: [[1; 64], [2; 64]],
        terms: terms.clone(),
        credential: Some(TitleCredential { revoke_leaf: 4 }),
    };
    assert_eq!(TitleEvent::decode(&event.encode()).unwrap(), event);
    let without = TitleEvent {
        credential: None,
        ..event
    };
    assert!(matches!(
        TitleEvent::decode(&without.encode()),
        Err(LandError::CredentialMismatch(_))
    ));
}

#[test]
fn transfers_liens_and_releases_follow_the_rules() {
    let (owner, buyer, bank) = (key(2), key(3), key(4));
    let mut chain = Chain::new(&owner);
    // A lien signed by owner and bank.
    let lien = chain.event(
        chain.terms(Action::Lien {
            lienholder: bank.verifying_key().to_bytes(),
            amount: 50_000,
        }),
        &owner,
        &bank,
    );
    chain.push(lien.clone()).unwrap();
    // Transfer under lien is refused.
    let under_lien = chain.event(chain.terms(transfer_to(&buyer)), &owner, &buyer);
    assert_eq!(
        chain.book.check(&under_lien).unwrap_err(),
        LandError::UnderLien {
            parcel: "D7-100".into(),
            liens: 1
        }
    );
    // A release signed by someone other than the lienholder is refused.
    let release = chain.terms(Action::Release { lien: lien.id() });
    let forged = chain.event(release.clone(), &owner, &buyer);
    assert_eq!(
        chain.book.check(&forged).unwrap_err(),
        LandError::BadSignature("lienholder")
    );
    chain.push(chain.event(release, &owner, &bank)).unwrap();
    // Now the transfer goes through (with new terms: version 3).
    let transfer = chain.event(chain.terms(transfer_to(&buyer)), &owner, &buyer);
    chain.push(transfer.clone()).unwrap();
    let p = chain.book.get("D7-100").unwrap();
    assert_eq!(p.owner, buyer.verifying_key());
    assert_eq!(p.version, 3);
    assert!(p.liens.is_empty());
    // Replaying the same transfer (stale version) is refused.
    assert!(matches!(
        chain.book.check(&transfer),
        Err(LandError::StaleVersion { expected: 4, .. })
    ));
    // The old owner can no longer sell.
    let stolen = chain.event(chain.terms(transfer_to(&key(5))), &owner, &key(5));
    assert_eq!(
        chain.book.check(&stolen).unwrap_err(),
        LandError::BadSignature("owner")
    );
    let history =
        verify_history("D7-100", &chain.registrar.verifying_key(), &chain.records).unwrap();
    assert_eq!(history.owner, buyer.verifying_key());
    assert_eq!(history.events.len(), 4);
}

#[test]
fn forged_or_misdirected_events_are_refused() {
    let (owner, buyer) = (key(2), key(3));
    let chain = Chain::new(&owner);
    let terms = chain.terms(transfer_to(&buyer));
    // Buyer acceptance forged by the owner.
    let forged = chain.event(terms.clone(), &owner, &owner);
    assert_eq!(
        chain.book.check(&forged).unwrap_err(),
        LandError::BadSignature("buyer")
    );
    // Signed by a registrar other than the parcel's.
    let event = TitleEvent {
        signatures: [terms.sign(&owner), terms.sign(&buyer)],
        terms: terms.clone(),
        credential: Some(TitleCredential { revoke_leaf: 0 }),
    };
    let other =
        Record::signed(TEST_LOG, DOMAIN, TITLE_TRANSFER, 1, event.encode(), &key(9)).unwrap();
    assert_eq!(
        chain.book.check(&other).unwrap_err(),
        LandError::NotRegistrar("D7-100".into())
    );
    // Under the wrong kind.
    let wrong_kind = Record::signed(
        TEST_LOG,
        DOMAIN,
        LIEN_REGISTER,
        1,
        event.encode(),
        &chain.registrar,
    )
    .unwrap();
    assert!(matches!(
        chain.book.check(&wrong_kind),
        Err(LandError::KindMismatch(_))
    ));
    // Unknown parcel and wrong previous.
    let mut unknown = terms.clone();
    unknown.parcel = "D7-999".into();
    assert_eq!(
        chain
            .book
            .check(&chain.event(unknown, &owner, &buyer))
            .unwrap_err(),
        LandError::UnknownParcel("D7-999".into())
    );
    let mut wrong_previous = terms;
    wrong_previous.previous = [0; 32];
    assert_eq!(
        chain
            .book
            .check(&chain.event(wrong_previous, &owner, &buyer))
            .unwrap_err(),
        LandError::WrongPrevious("D7-100".into())
    );
}

#[test]
fn tampered_histories_fail_offline_verification() {
    let (owner, buyer, next) = (key(2), key(3), key(4));
    let mut chain = Chain::new(&owner);
    chain
        .push(chain.event(chain.terms(transfer_to(&buyer)), &owner, &buyer))
        .unwrap();
    chain
        .push(chain.event(chain.terms(transfer_to(&next)), &buyer, &next))
        .unwrap();
    let registrar = chain.registrar.verifying_key();
    assert!(verify_history("D7-100", &registrar, &chain.records).is_ok());
    // A missing middle event breaks the chain.
    let gap = vec![chain.records[0].clone(), chain.records[2].clone()];
    assert!(verify_history("D7-100", &registrar, &gap).is_err());
    // Reordered events.
    let mut swapped = chain.records.clone();
    swapped.swap(1, 2);
    assert!(verify_history("D7-100", &registrar, &swapped).is_err());
    // Another registrar's key.
    assert_eq!(
        verify_history("D7-100", &key(8).verifying_key(), &chain.records).unwrap_err(),
        LandError::NotRegistrar("D7-100".into())
    );
    // The wrong parcel, an empty history.
    assert!(verify_history("D7-101", &registrar, &chain.records).is_err());
    assert!(verify_history("D7-100", &registrar, &[]).is_err());
    // A re-signed event with a substituted buyer: the buyer's signature is the old one.
    let mut event = TitleEvent::decode(chain.records[2].1.payload()).unwrap();
    event.terms.action = transfer_to(&key(6));
    let tampered = chain.signed(&event);
    let mut records = chain.records.clone();
    records[2].1 = tampered;
    assert!(matches!(
        verify_history("D7-100", &registrar, &records),
        Err(LandError::BadSignature(_))
    ));
}

#[test]
fn registration_and_transfer_carry_the_credential_move() {
    let (owner, buyer) = (key(2), key(3));
    let chain = Chain::new(&owner);
    let transfer = chain.event(chain.terms(transfer_to(&buyer)), &owner, &buyer);
    let checked = chain.book.check(&transfer).unwrap();
    let change = chain.book.credential_change(&checked).unwrap();
    assert_eq!(change.revoke.as_ref().unwrap().0.leaf_index, 0);
    assert_eq!(change.issue.attributes, vec![7, 850]);
    assert_eq!(change.issue.commitment, fr_to_bytes(&Fr::from(22u64)));
    let lien = chain.event(
        chain.terms(Action::Lien {
            lienholder: buyer.verifying_key().to_bytes(),
            amount: 1,
        }),
        &owner,
        &buyer,
    );
    let checked = chain.book.check(&lien).unwrap();
    assert!(chain.book.credential_change(&checked).is_none());
}

#[test]
fn the_title_registry_changes_with_the_title_and_only_then() {
    use crate::identity::{REGISTRY_CREATE, RegistrySpec};
    use crate::registries::Registries;
    let (owner, buyer, log) = (key(2), key(3), key(9));
    let chain = Chain::new(&owner);
    let mut book = Registries::new(log.verifying_key());
    let spec = RegistrySpec {
        id: "titles".into(),
        title: String::new(),
        attributes: vec!["district".into(), "area_m2".into()],
        depth: 4,
        window_changes: 4,
        window_secs: 0,
    };
    let create = Record::signed(
        TEST_LOG,
        crate::identity::DOMAIN,
        REGISTRY_CREATE,
        0,
        spec.encode(),
        &chain.registrar,
    )
    .unwrap();
    book.apply(0, &create);
    book.apply(1, &chain.records[0].1);
    let registry = book.identity().get("titles").unwrap();
    assert_eq!(registry.leaves().len(), 1);
    assert_eq!(
        registry.leaves()[0],
        chain.book.get("D7-100").unwrap().credential_leaf().unwrap()
    );
    // A transfer naming the wrong seller leaf is refused by the registry
    // check, and neither the title nor the registry changes on replay.
    let terms = chain.terms(transfer_to(&buyer));
    let mut event =
        TitleEvent::decode(chain.event(terms.clone(), &owner, &buyer).payload()).unwrap();
    event.credential = Some(TitleCredential { revoke_leaf: 5 });
    let wrong = chain.signed(&event);
    let checked = book.titles().check(&wrong).unwrap();
    let change = book.titles().credential_change(&checked).unwrap();
    assert!(book.check_title_change(&wrong, &change).is_err());
    book.apply(2, &wrong);
    assert_eq!(book.titles().get("D7-100").unwrap().version, 0);
    assert_eq!(book.identity().get("titles").unwrap().version(), 1);
    // The right one moves both.
    let right = chain.event(terms, &owner, &buyer);
    book.apply(3, &right);
    let parcel = book.titles().get("D7-100").unwrap();
    assert_eq!(parcel.owner, buyer.verifying_key());
    let registry = book.identity().get("titles").unwrap();
    assert_eq!(registry.leaves()[0], Fr::from(0u64));
    assert_eq!(registry.leaves()[1], parcel.credential_leaf().unwrap());
    assert_eq!(registry.version(), 2);
}

/// A transfer or lien event on `chain` with the given raw party signatures.
fn raw_event(chain: &Chain, action: Action, signatures: [[u8; 64]; 2]) -> Record {
    let terms = chain.terms(action);
    let credential = matches!(terms.action, Action::Transfer { .. })
        .then_some(TitleCredential { revoke_leaf: 0 });
    let event = TitleEvent {
        signatures,
        terms,
        credential,
    };
    chain.signed(&event)
}

fn refused_key(result: LandResult<Checked>, what: &str, reason: &str) {
    match result {
        Err(LandError::Invalid(message)) => {
            assert!(message.starts_with(what), "{message}");
            assert!(message.contains(reason), "{message}");
        }
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(_) => panic!("{what} accepted"),
    }
}

#[test]
fn weak_or_non_canonical_party_keys_and_lax_only_signatures_are_refused() {
    let owner = key(2);
    let mut chain = Chain::new(&owner);
    let owner_signs = |chain: &Chain, action: &Action| chain.terms(action.clone()).sign(&owner);
    // The forgery: a transfer to the identity point, "signed" R = identity, S = 0.
    let to_identity = Action::Transfer {
        new_owner: IDENTITY_KEY,
        new_commitment: fr_to_bytes(&Fr::from(22u64)),
        price: None,
    };
    let forged = raw_event(
        &chain,
        to_identity.clone(),
        [owner_signs(&chain, &to_identity), FORGED_SIGNATURE],
    );
    refused_key(chain.book.check(&forged), "new owner key", "small-order");
    // Liens to a non-canonically encoded key or one with a torsion component.
    for (lienholder, reason) in [
        (NON_CANONICAL_KEY, "canonical"),
        (torsion_key(&key(3)), "torsion"),
    ] {
        let lien = Action::Lien {
            lienholder,
            amount: 1,
        };
        let event = raw_event(&chain, lien.clone(), [owner_signs(&chain, &lien), [0; 64]]);
        refused_key(chain.book.check(&event), "lienholder key", reason);
    }
    // A registration naming a weak owner.
    let mut weak_owner = registration(&owner);
    weak_owner.parcel = "D7-101".into();
    weak_owner.owner = IDENTITY_KEY;
    assert!(matches!(
        ParcelRegistration::decode(&weak_owner.encode()),
        Err(LandError::Invalid(m)) if m.contains("small-order")
    ));
    // The buyer's signature only the lax check accepts (R of small order).
    let buyer = key(4);
    let transfer = transfer_to(&buyer);
    let lax_only = identity_r_signature(&buyer, &chain.terms(transfer.clone()).signing_message());
    let event = raw_event(
        &chain,
        transfer.clone(),
        [owner_signs(&chain, &transfer), lax_only.to_bytes()],
    );
    assert_eq!(
        chain.book.check(&event).unwrap_err(),
        LandError::BadSignature("buyer")
    );
    // The honest transfer still goes through.
    chain
        .push(chain.event(chain.terms(transfer), &owner, &buyer))
        .unwrap();
    assert_eq!(
        chain.book.get("D7-100").unwrap().owner,
        buyer.verifying_key()
    );
}
