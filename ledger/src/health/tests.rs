//! Unit tests of the health domain: payload codecs, chains of custody
//! (sound, counterfeit, diverted, expired, forged) and consent verdicts.

use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

use super::*;
use crate::record::{Record, RecordError, TEST_LOG};
use crate::signature::KeyError;
use crate::signature::forgery::{
    FORGED_SIGNATURE, IDENTITY_KEY, NON_CANONICAL_KEY, identity_r_signature, raw_record,
    torsion_key,
};
use zkaudit_circuits::Fr;

const T0: u64 = 1_800_000_000_000;
const DAY: u64 = 86_400_000;

fn key(seed: u64) -> SigningKey {
    SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(seed))
}

fn rec(k: &SigningKey, kind: &str, at: u64, payload: Vec<u8>) -> Record {
    Record::signed(TEST_LOG, DOMAIN, kind, at, payload, k).unwrap()
}

fn register(m: &SigningKey, lot: &str, quantity: u64, at: u64) -> Record {
    let l = LotRegister {
        lot: lot.into(),
        product: "VAX-A".into(),
        quantity,
        expiry_ms: T0 + 30 * DAY,
    };
    rec(m, LOT_REGISTER, at, l.encode())
}

fn transfer(from: &SigningKey, to: &SigningKey, lot: &str, q: u64, at: u64) -> Record {
    let t = LotTransfer::countersigned(lot, q, &from.verifying_key(), at, to);
    rec(from, LOT_TRANSFER, at, t.encode())
}

fn administer(site: &SigningKey, lot: &str, doses: u64, at: u64) -> Record {
    let a = LotAdminister {
        lot: lot.into(),
        doses,
    };
    rec(site, LOT_ADMINISTER, at, a.encode())
}

/// manufacturer → distributor (600) → two sites (250, 300) → doses.
fn chain() -> (Vec<(u64, Record)>, [SigningKey; 4]) {
    let (m, d, s1, s2) = (key(1), key(2), key(3), key(4));
    let records = vec![
        register(&m, "L1", 1000, T0),
        transfer(&m, &d, "L1", 600, T0 + 1),
        transfer(&d, &s1, "L1", 250, T0 + 2),
        transfer(&d, &s2, "L1", 300, T0 + 3),
        administer(&s1, "L1", 200, T0 + 4),
        administer(&s2, "L1", 300, T0 + 5),
    ];
    let entries = records
        .into_iter()
        .enumerate()
        .map(|(i, r)| (10 + 2 * i as u64, r))
        .collect();
    (entries, [m, d, s1, s2])
}

fn failure(result: HealthResult<TraceReport>) -> HealthError {
    match result {
        Err(HealthError::AtEntry { source, .. }) => *source,
        Err(e) => e,
        Ok(_) => panic!("a bad trace verified"),
    }
}

#[test]
fn payloads_round_trip_strictly() {
    let p = key(9).verifying_key();
    let commit = RecordCommit {
        patient: p,
        record: "chart-1".into(),
        version: 1,
        ciphertext_sha3: ciphertext_digest(b"ciphertext"),
        commitment: commitment_bytes(&[7; 32], Fr::from(5u64)),
    };
    assert_eq!(RecordCommit::decode(&commit.encode()).unwrap(), commit);
    let grant = ConsentGrant {
        consent: "c1".into(),
        grantee: "dr.house@ppth".into(),
        purpose: "treatment".into(),
        record: Some("chart-1".into()),
        valid_until_ms: T0,
    };
    assert_eq!(ConsentGrant::decode(&grant.encode()).unwrap(), grant);
    let mut trailing = grant.encode();
    trailing.push(0);
    assert!(ConsentGrant::decode(&trailing).is_err());
    let t = LotTransfer::countersigned("L1", 5, &p, T0, &key(3));
    assert_eq!(LotTransfer::decode(&t.encode()).unwrap(), t);
    // A non-canonical commitment (the field modulus's top bytes) is refused.
    let mut bad = commit.clone();
    bad.commitment = [0xff; 32];
    assert!(matches!(
        RecordCommit::decode(&bad.encode()),
        Err(HealthError::Invalid {
            field: "commitment",
            ..
        })
    ));
    // Zero and over-large quantities are refused.
    let mut zero = LotRegister::decode(register(&key(1), "L", 1, T0).payload()).unwrap();
    zero.quantity = 0;
    assert!(LotRegister::decode(&zero.encode()).is_err());
    zero.quantity = MAX_QUANTITY + 1;
    assert!(matches!(
        LotRegister::decode(&zero.encode()),
        Err(HealthError::QuantityOverflow(_))
    ));
    assert!(
        LotRegister::decode(&{
            let mut l = zero.clone();
            l.quantity = 1;
            l.lot = "bad lot".into();
            l.encode()
        })
        .is_err()
    );
}

#[test]
fn a_sound_chain_verifies() {
    let (entries, [m, d, s1, s2]) = chain();
    let report = verify_trace("L1", &entries).unwrap();
    assert_eq!(report.transfers, 3);
    assert_eq!(report.administrations, 2);
    assert_eq!(report.lot.manufacturer, m.verifying_key());
    assert_eq!(report.lot.held_by(&m.verifying_key()), 400);
    assert_eq!(report.lot.held_by(&d.verifying_key()), 50);
    assert_eq!(report.lot.held_by(&s1.verifying_key()), 50);
    assert_eq!(report.lot.held_by(&s2.verifying_key()), 0);
    assert_eq!(report.lot.total_administered(), 500);
}

#[test]
fn a_counterfeit_lot_fails() {
    let (m, s) = (key(1), key(3));
    // Transfers of a lot no manufacturer registered.
    let entries = vec![(0, transfer(&m, &s, "FAKE", 10, T0))];
    assert_eq!(
        failure(verify_trace("FAKE", &entries)),
        HealthError::UnknownLot("FAKE".into())
    );
    // An empty trace proves no lot.
    assert_eq!(
        failure(verify_trace("FAKE", &[])),
        HealthError::UnknownLot("FAKE".into())
    );
}

#[test]
fn diversion_and_over_administration_fail() {
    let (mut entries, [_, d, s1, _]) = chain();
    // The distributor ships 100 more than it still holds (50).
    entries.push((100, transfer(&d, &s1, "L1", 100, T0 + 6)));
    assert!(matches!(
        failure(verify_trace("L1", &entries)),
        HealthError::OverQuantity {
            action: "transfer",
            requested: 100,
            held: 50,
            ..
        }
    ));
    let (mut entries, [_, _, s1, _]) = chain();
    entries.push((100, administer(&s1, "L1", 51, T0 + 6)));
    assert!(matches!(
        failure(verify_trace("L1", &entries)),
        HealthError::OverQuantity {
            action: "administration",
            held: 50,
            ..
        }
    ));
    // A site that never received the lot.
    let (mut entries, _) = chain();
    entries.push((100, administer(&key(7), "L1", 1, T0 + 6)));
    assert!(matches!(
        failure(verify_trace("L1", &entries)),
        HealthError::OverQuantity { held: 0, .. }
    ));
}

#[test]
fn administration_after_expiry_fails() {
    let (mut entries, [_, _, s1, _]) = chain();
    entries.push((100, administer(&s1, "L1", 1, T0 + 30 * DAY)));
    assert!(matches!(
        failure(verify_trace("L1", &entries)),
        HealthError::Expired { .. }
    ));
}

#[test]
fn forged_countersignature_and_bad_order_fail() {
    let (mut entries, [m, d, _, _]) = chain();
    // The receiver signed 60, the record says 600.
    let mut t = LotTransfer::countersigned("L1", 60, &m.verifying_key(), T0 + 1, &d);
    t.quantity = 600;
    entries[1].1 = rec(&m, LOT_TRANSFER, T0 + 1, t.encode());
    assert_eq!(
        failure(verify_trace("L1", &entries)),
        HealthError::BadCountersignature
    );
    // A countersignature replayed into a later transfer (other timestamp).
    let (mut entries, [m, d, _, _]) = chain();
    let t = LotTransfer::countersigned("L1", 600, &m.verifying_key(), T0 + 1, &d);
    entries.push((100, rec(&m, LOT_TRANSFER, T0 + 9, t.encode())));
    assert_eq!(
        failure(verify_trace("L1", &entries)),
        HealthError::BadCountersignature
    );
    // Entries out of log order.
    let (mut entries, _) = chain();
    entries.swap(2, 3);
    assert!(matches!(
        failure(verify_trace("L1", &entries)),
        HealthError::OutOfOrder(_)
    ));
    // A site acting before it received anything.
    let (mut entries, [_, _, s1, _]) = chain();
    entries.push((100, administer(&s1, "L1", 1, T0 + 1)));
    assert!(matches!(
        failure(verify_trace("L1", &entries)),
        HealthError::OutOfOrder(_)
    ));
    // Another lot's record slipped into the trace.
    let (mut entries, [m, ..]) = chain();
    entries.push((100, register(&m, "L2", 5, T0 + 7)));
    assert!(matches!(
        failure(verify_trace("L1", &entries)),
        HealthError::Foreign(_)
    ));
}

#[test]
fn receiver_overflow_is_refused() {
    let (m, d) = (key(1), key(2));
    let mut book = HealthBook::new();
    book.apply(0, &register(&m, "A", MAX_QUANTITY, T0));
    book.apply(1, &register(&m, "B", 10, T0));
    book.apply(2, &transfer(&m, &d, "A", MAX_QUANTITY, T0 + 1));
    assert_eq!(
        book.lot("A").unwrap().held_by(&d.verifying_key()),
        MAX_QUANTITY
    );
    // Register refuses a duplicate lot number.
    assert_eq!(
        book.check(&register(&m, "A", 1, T0 + 2)),
        Err(HealthError::LotExists("A".into()))
    );
    assert_eq!(
        book.check(&transfer(&m, &m, "B", 1, T0 + 2)),
        Err(HealthError::Invalid {
            field: "receiver",
            reason: "a transfer moves doses to someone else".into()
        })
    );
}

fn care(p: &SigningKey, h: &SigningKey) -> Vec<(u64, Record)> {
    let patient = p.verifying_key();
    let commit = |version, at| {
        let c = RecordCommit {
            patient,
            record: "chart".into(),
            version,
            ciphertext_sha3: ciphertext_digest(&[version as u8]),
            commitment: commitment_bytes(&[version as u8; 32], Fr::from(1u64)),
        };
        rec(h, RECORD_COMMIT, at, c.encode())
    };
    let grant = ConsentGrant {
        consent: "gp".into(),
        grantee: "dr-a".into(),
        purpose: "treatment".into(),
        record: None,
        valid_until_ms: T0 + 10 * DAY,
    };
    let access = |who: &str, purpose: &str, at: u64| {
        let a = AccessEvent {
            patient,
            record: "chart".into(),
            version: 1,
            accessor: who.into(),
            purpose: purpose.into(),
            at_ms: at,
        };
        rec(h, ACCESS, at, a.encode())
    };
    vec![
        (1, commit(1, T0)),
        (2, rec(p, CONSENT_GRANT, T0 + 1, grant.encode())),
        (3, access("dr-a", "treatment", T0 + 2)),
        (4, access("dr-b", "treatment", T0 + 3)),
        (5, access("dr-a", "marketing", T0 + 4)),
        (
            6,
            rec(
                p,
                CONSENT_REVOKE,
                T0 + 5,
                ConsentRevoke {
                    consent: "gp".into(),
                }
                .encode(),
            ),
        ),
        (7, access("dr-a", "treatment", T0 + 6)),
    ]
}

#[test]
fn accesses_without_valid_consent_are_flagged() {
    let (p, h) = (key(20), key(21));
    let audit = audit_access(&p.verifying_key(), &care(&p, &h)).unwrap();
    let verdicts: Vec<_> = audit.iter().map(|a| (a.index, a.verdict.clone())).collect();
    assert_eq!(
        verdicts[0],
        (
            3,
            AccessVerdict::Consented {
                consent: "gp".into()
            }
        )
    );
    for (i, (index, verdict)) in verdicts.iter().enumerate().skip(1) {
        assert!(
            matches!(verdict, AccessVerdict::Flagged { .. }),
            "access {i} at {index} should be flagged"
        );
    }
    assert!(
        matches!(&verdicts[3].1, AccessVerdict::Flagged { reason } if reason.contains("revoked"))
    );
}

#[test]
fn consent_rules() {
    let (p, h, other) = (key(20), key(21), key(22));
    let mut book = HealthBook::new();
    for (i, r) in care(&p, &h) {
        book.apply(i, &r);
    }
    // Only the granting patient can revoke; a revoked consent can't be revoked again.
    let revoke = ConsentRevoke {
        consent: "gp".into(),
    }
    .encode();
    assert_eq!(
        book.check(&rec(&other, CONSENT_REVOKE, T0 + 9, revoke.clone())),
        Err(HealthError::UnknownConsent("gp".into()))
    );
    assert_eq!(
        book.check(&rec(&p, CONSENT_REVOKE, T0 + 9, revoke)),
        Err(HealthError::UnknownConsent("gp".into()))
    );
    // A key no committed record names as a patient cannot grant consent:
    // fresh keys cannot fill the log with grants (issue 12, defect 4).
    let grant = ConsentGrant::decode(care(&p, &h)[1].1.payload()).unwrap();
    assert_eq!(
        book.check(&rec(&other, CONSENT_GRANT, T0 + 9, grant.encode())),
        Err(HealthError::UnknownPatient)
    );
    // Versions are consecutive; accesses need a committed version.
    let skip = RecordCommit {
        patient: p.verifying_key(),
        record: "chart".into(),
        version: 3,
        ciphertext_sha3: [0; 32],
        commitment: [0; 32],
    };
    assert!(matches!(
        book.check(&rec(&h, RECORD_COMMIT, T0, skip.encode())),
        Err(HealthError::VersionOutOfSequence { current: 1, .. })
    ));
    let ghost = AccessEvent {
        patient: p.verifying_key(),
        record: "chart".into(),
        version: 2,
        accessor: "dr-a".into(),
        purpose: "treatment".into(),
        at_ms: T0,
    };
    assert!(matches!(
        book.check(&rec(&h, ACCESS, T0, ghost.encode())),
        Err(HealthError::UnknownRecord { version: 2, .. })
    ));
    // Another patient's entry in this patient's log is refused.
    let mut entries = care(&p, &h);
    entries.push((
        9,
        rec(&other, CONSENT_GRANT, T0, {
            let mut g = ConsentGrant::decode(entries[1].1.payload()).unwrap();
            g.consent = "x".into();
            g.encode()
        }),
    ));
    assert!(matches!(
        audit_access(&p.verifying_key(), &entries),
        Err(HealthError::AtEntry { index: 9, .. })
    ));
}

fn refused_key(err: HealthError, expected_field: &str, reason: &str) {
    match err {
        HealthError::Invalid { field, reason: why } => {
            assert_eq!(field, expected_field);
            assert!(why.contains(reason), "{why}");
        }
        other => panic!("refused for another reason: {other}"),
    }
}

#[test]
fn a_consent_grant_by_the_identity_point_is_refused() {
    // The forgery the service logged: a consent.grant whose author is the
    // identity point, "signed" R = identity, S = 0.
    let grant = ConsentGrant {
        consent: "all".into(),
        grantee: "anyone".into(),
        purpose: "treatment".into(),
        record: None,
        valid_until_ms: T0 + DAY,
    };
    let forged = raw_record(
        DOMAIN,
        CONSENT_GRANT,
        &IDENTITY_KEY,
        &FORGED_SIGNATURE,
        &grant.encode(),
    );
    assert_eq!(
        Record::decode(&forged),
        Err(RecordError::InvalidAuthorKey(KeyError::SmallOrder))
    );
    // Patients named by weak or non-canonical keys are refused too.
    for (bytes, reason) in [
        (IDENTITY_KEY, "small-order"),
        (NON_CANONICAL_KEY, "canonical"),
        (torsion_key(&key(1)), "torsion"),
    ] {
        refused_key(
            parse_patient(&hex::encode(bytes)).unwrap_err(),
            "patient",
            reason,
        );
        let commit = RecordCommit {
            patient: VerifyingKey::from_bytes(&bytes).unwrap(),
            record: "chart".into(),
            version: 1,
            ciphertext_sha3: ciphertext_digest(b"c"),
            commitment: commitment_bytes(&[1; 32], Fr::from(1u64)),
        };
        refused_key(
            RecordCommit::decode(&commit.encode()).unwrap_err(),
            "patient",
            reason,
        );
    }
    // An honest patient's grant still verifies and is logged.
    let patient = key(2);
    let honest = rec(&patient, CONSENT_GRANT, T0, grant.encode());
    assert_eq!(Record::decode(&honest.encode()), Ok(honest.clone()));
    assert_eq!(patient_of(&honest), Ok(Some(patient.verifying_key())));
}

#[test]
fn custody_countersignatures_are_checked_strictly() {
    let (m, d) = (key(1), key(2));
    // A receiver at the identity point with the forged countersignature.
    let weak = LotTransfer {
        lot: "L1".into(),
        quantity: 600,
        receiver: VerifyingKey::from_bytes(&IDENTITY_KEY).unwrap(),
        receiver_signature: Signature::from_bytes(&FORGED_SIGNATURE),
    };
    refused_key(
        LotTransfer::decode(&weak.encode()).unwrap_err(),
        "receiver",
        "small-order",
    );
    // Even built in memory, past the decoder, it does not verify.
    let record = rec(&m, LOT_TRANSFER, T0 + 1, weak.encode());
    assert_eq!(
        weak.verify_countersignature(&record),
        Err(HealthError::BadCountersignature)
    );
    for (bytes, reason) in [
        (NON_CANONICAL_KEY, "canonical"),
        (torsion_key(&d), "torsion"),
    ] {
        let t = LotTransfer {
            receiver: VerifyingKey::from_bytes(&bytes).unwrap(),
            ..weak.clone()
        };
        refused_key(
            LotTransfer::decode(&t.encode()).unwrap_err(),
            "receiver",
            reason,
        );
    }
    // The real receiver's countersignature with a small-order R.
    let honest = LotTransfer::countersigned("L1", 600, &m.verifying_key(), T0 + 1, &d);
    let message =
        transfer_receipt_message(&m.verifying_key(), T0 + 1, "L1", 600, &d.verifying_key());
    let lax_only = LotTransfer {
        receiver_signature: identity_r_signature(&d, &message),
        ..honest.clone()
    };
    let (mut entries, _) = chain();
    entries[1].1 = rec(&m, LOT_TRANSFER, T0 + 1, lax_only.encode());
    assert_eq!(
        failure(verify_trace("L1", &entries)),
        HealthError::BadCountersignature
    );
    // The honest countersignature still verifies.
    let record = rec(&m, LOT_TRANSFER, T0 + 1, honest.encode());
    assert_eq!(honest.verify_countersignature(&record), Ok(()));
}

#[test]
fn a_site_corrects_its_own_administration_once_and_the_trace_counts_it_back() {
    let (mut entries, [_, d, s1, s2]) = chain();
    let given = entries[4].1.clone(); // s1 gave 200 of its 250
    let correct = |site: &SigningKey, administration: [u8; 32], at: u64| {
        let c = LotCorrect {
            lot: "L1".into(),
            administration,
            reason: "incorrect_data".into(),
        };
        assert_eq!(LotCorrect::decode(&c.encode()), Ok(c.clone()));
        rec(site, LOT_CORRECT, at, c.encode())
    };
    entries.push((30, correct(&s1, given.id(), T0 + 6)));
    let report = verify_trace("L1", &entries).unwrap();
    assert_eq!(report.corrections, 1);
    assert_eq!(report.lot.held_by(&s1.verifying_key()), 250);
    assert_eq!(report.lot.total_administered(), 300);
    // The corrected doses can be given again.
    entries.push((32, administer(&s1, "L1", 250, T0 + 7)));
    assert_eq!(
        verify_trace("L1", &entries)
            .unwrap()
            .lot
            .total_administered(),
        550
    );
    // Not twice; not by another site or a distributor; not a transfer; not
    // a record of another lot.
    let (base, _) = chain();
    let with = |extra: Record| {
        let mut e = base.clone();
        e.push((30, correct(&s1, given.id(), T0 + 6)));
        e.push((40, extra));
        failure(verify_trace("L1", &e))
    };
    assert!(matches!(
        with(correct(&s1, given.id(), T0 + 8)),
        HealthError::Invalid {
            field: "administration",
            ..
        }
    ));
    assert_eq!(
        with(correct(&s2, given.id(), T0 + 8)),
        HealthError::NotTheSite
    );
    assert_eq!(
        with(correct(&d, given.id(), T0 + 8)),
        HealthError::NotTheSite
    );
    let shipped = base[2].1.id();
    assert!(matches!(
        with(correct(&d, shipped, T0 + 8)),
        HealthError::Invalid {
            field: "administration",
            ..
        }
    ));
    // A malformed reason is refused by the codec.
    let blank = LotCorrect {
        lot: "L1".into(),
        administration: given.id(),
        reason: String::new(),
    };
    assert!(LotCorrect::decode(&blank.encode()).is_err());
}
