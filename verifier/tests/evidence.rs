//! The one evidence shape: kinds differ only in their format tag, their
//! order promise and their size bound, and every kind checks its entries
//! the same way.

mod common;

use common::{LOG_ORIGIN, TestLog};
use ed25519_dalek::SigningKey;
use zkaudit_ledger::authority::LEDGER_DOMAIN;
use zkaudit_ledger::record::Record;
use zkaudit_verifier::health::{EXTRACT_FORMAT, Extract, MAX_EXTRACT_ENTRIES};
use zkaudit_verifier::{EVIDENCE_FORMAT, LogEntry, LogEvidence, VerifyError};

const T: u64 = 1_795_000_000_000;

/// A log of four notices, two of them written by an authority.
fn log() -> TestLog {
    let mut log = TestLog::new(3);
    let authority = SigningKey::from_bytes(&[9; 32]);
    for i in 0..4u8 {
        let record = if i % 2 == 0 {
            Record::signed(LOG_ORIGIN, LEDGER_DOMAIN, "notice", T, vec![i], &log.key)
        } else {
            Record::signed(LOG_ORIGIN, LEDGER_DOMAIN, "notice", T, vec![i], &authority)
        };
        log.push(&record.unwrap());
    }
    log
}

fn indices(entries: &[(u64, Record)]) -> Vec<u64> {
    entries.iter().map(|(i, _)| *i).collect()
}

#[test]
fn bundle_evidence_and_extracts_are_one_shape_under_two_tags() {
    let log = log();
    let evidence = log.evidence(&[0, 1, 2, 3]);
    let json = serde_json::to_string(&evidence).unwrap();
    assert!(
        json.starts_with(&format!(r#"{{"format":"{EVIDENCE_FORMAT}","checkpoint":"#)),
        "{json}"
    );
    let verified = evidence.verify(&log.vkey()).unwrap();
    assert_eq!(indices(&verified.entries), [0, 1, 2, 3]);
    assert_eq!(verified.record(2, "notice").unwrap().payload(), [2]);
    assert!(
        verified
            .log_record(1, LEDGER_DOMAIN, "notice", "notice")
            .is_err()
    );

    // The same entries as an extract: the same JSON but for the tag.
    let extract = Extract::new(evidence.checkpoint.clone(), evidence.entries.clone());
    assert_eq!(
        serde_json::to_string(&extract).unwrap(),
        json.replacen(EVIDENCE_FORMAT, EXTRACT_FORMAT, 1)
    );
    let from_extract = extract.verify(&log.vkey()).unwrap();
    assert_eq!(indices(&from_extract.entries), [0, 1, 2, 3]);

    // Each kind insists on its own tag.
    let as_extract: Extract = serde_json::from_str(&json).unwrap();
    assert!(matches!(
        as_extract.verify(&log.vkey()),
        Err(VerifyError::Malformed { what: "format", .. })
    ));
    let as_evidence: LogEvidence =
        serde_json::from_str(&serde_json::to_string(&extract).unwrap()).unwrap();
    assert!(matches!(
        as_evidence.verify(&log.vkey()),
        Err(VerifyError::Malformed { what: "format", .. })
    ));
}

#[test]
fn only_bundle_evidence_promises_increasing_indices() {
    let log = log();
    let evidence = log.evidence(&[0, 1, 2, 3]);
    let mut swapped = evidence.entries.clone();
    swapped.swap(1, 2);
    let mut repeated = evidence.entries.clone();
    repeated[2] = repeated[1].clone();
    for entries in [swapped.clone(), repeated.clone()] {
        let bundled = LogEvidence::new(evidence.checkpoint.clone(), entries);
        assert!(matches!(
            bundled.verify(&log.vkey()),
            Err(VerifyError::Malformed {
                what: "evidence",
                ..
            })
        ));
    }
    // An extract keeps the operator's order; the health rules judge it.
    let extract = Extract::new(evidence.checkpoint.clone(), swapped);
    let verified = extract.verify(&log.vkey()).unwrap();
    assert_eq!(indices(&verified.entries), [0, 2, 1, 3]);
    let extract = Extract::new(evidence.checkpoint.clone(), repeated);
    assert_eq!(
        indices(&extract.verify(&log.vkey()).unwrap().entries),
        [0, 1, 1, 3]
    );
}

#[test]
fn every_kind_checks_each_entry_and_only_extracts_are_bounded() {
    let log = log();
    let evidence = log.evidence(&[0, 1, 2, 3]);
    let mut tampered = evidence.clone();
    tampered.entries[3].inclusion_proof[0] = "00".repeat(32);
    assert!(matches!(
        tampered.verify(&log.vkey()),
        Err(VerifyError::Proof { .. })
    ));
    let extract = Extract::new(tampered.checkpoint, tampered.entries);
    assert!(matches!(
        extract.verify(&log.vkey()),
        Err(VerifyError::Proof { .. })
    ));

    let entry = LogEntry::new(0, b"leaf", &[]);
    let many = vec![entry; MAX_EXTRACT_ENTRIES + 1];
    let extract = Extract::new(evidence.checkpoint.clone(), many.clone());
    assert!(matches!(
        extract.verify(&log.vkey()),
        Err(VerifyError::Malformed {
            what: "entries",
            ..
        })
    ));
    // Bundle evidence has no bound: it fails on the first entry itself.
    let bundled = LogEvidence::new(evidence.checkpoint, many);
    assert!(matches!(
        bundled.verify(&log.vkey()),
        Err(VerifyError::Signature(_))
    ));
}

/// Issue 12, defect 5, offline: a record that names another log was never
/// admissible in this one, so evidence including it fails, whoever signed it.
#[test]
fn a_record_naming_another_log_fails_offline() {
    let mut log = log();
    let authority = SigningKey::from_bytes(&[9; 32]);
    let foreign = Record::signed(
        "other.example/log",
        LEDGER_DOMAIN,
        "notice",
        T,
        vec![9],
        &authority,
    );
    let index = log.push(&foreign.unwrap());
    assert!(log.evidence(&[0, 1]).verify(&log.vkey()).is_ok());
    match log.evidence(&[0, index]).verify(&log.vkey()) {
        Err(VerifyError::Mismatch(message)) => {
            assert!(message.contains("other.example/log"), "{message}")
        }
        other => panic!("a foreign record passed or failed otherwise: {other:?}"),
    }
}
