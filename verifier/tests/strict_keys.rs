//! The light verifier checks Ed25519 strictly (issue 12, item 3): a bundle
//! or extract carrying a record by a small-order key, or a signature only
//! the lax check accepts, is refused, and so are weak log and agency keys;
//! honest bundles still verify.

mod common;

use common::{LOG_ORIGIN, TestLog};
use curve25519_dalek::Scalar;
use curve25519_dalek::constants::EIGHT_TORSION;
use ed25519_dalek::{Signature, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha512};
use zkaudit_circuits::funds::FundsParams;
use zkaudit_ledger::codec::Writer;
use zkaudit_ledger::health::{CONSENT_GRANT, ConsentGrant, DOMAIN as HEALTH};
use zkaudit_ledger::note::{KeyType, key_id};
use zkaudit_ledger::record::{RECORD_VERSION, Record, SIGNING_CONTEXT};
use zkaudit_verifier::VerifyError;
use zkaudit_verifier::funds::FundsBundle;
use zkaudit_verifier::health::Extract;

const T: u64 = 1_795_000_000_000;

/// The identity point: the weak key of the forgery `R = identity, S = 0`.
const IDENTITY_KEY: [u8; 32] = {
    let mut key = [0u8; 32];
    key[0] = 1;
    key
};

/// `R = identity, S = 0`.
const FORGED_SIGNATURE: [u8; 64] = {
    let mut sig = [0u8; 64];
    sig[0] = 1;
    sig
};

/// `y = p + 3`: a point of large order, not canonically encoded.
const NON_CANONICAL_KEY: [u8; 32] = {
    let mut key = [0xff; 32];
    key[0] = 0xf0;
    key[31] = 0x7f;
    key
};

fn torsion_key(key: &SigningKey) -> [u8; 32] {
    (key.verifying_key().to_edwards() + EIGHT_TORSION[1])
        .compress()
        .to_bytes()
}

/// The header of a `health/consent.grant` record by raw `key` (everything
/// the signature covers, after [`SIGNING_CONTEXT`]).
fn header(key: &[u8; 32], payload: &[u8]) -> Writer {
    let mut w = Writer::new();
    w.u8(RECORD_VERSION)
        .str(LOG_ORIGIN)
        .str(HEALTH)
        .str(CONSENT_GRANT);
    w.u8(1).fixed(key).u64(T).bytes(payload);
    w
}

fn raw_record(key: &[u8; 32], sig: &[u8; 64], payload: &[u8]) -> Vec<u8> {
    let mut w = header(key, payload);
    w.u8(1).fixed(sig);
    w.finish()
}

/// A record by the honest `key` whose signature has `R = identity`,
/// `S = k·a`: accepted by the lax check, refused by the strict one.
fn lax_only_record(key: &SigningKey, payload: &[u8]) -> Vec<u8> {
    let public = key.verifying_key().to_bytes();
    let message = [SIGNING_CONTEXT, &header(&public, payload).finish()].concat();
    let mut h = Sha512::new();
    h.update(IDENTITY_KEY);
    h.update(public);
    h.update(&message);
    let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&IDENTITY_KEY);
    sig[32..].copy_from_slice((k * key.to_scalar()).as_bytes());
    assert!(
        key.verifying_key()
            .verify(&message, &Signature::from_bytes(&sig))
            .is_ok(),
        "the lax check accepts it"
    );
    raw_record(&public, &sig, payload)
}

fn grant() -> Vec<u8> {
    ConsentGrant {
        consent: "all".into(),
        grantee: "anyone".into(),
        purpose: "treatment".into(),
        record: None,
        valid_until_ms: T + 1,
    }
    .encode()
}

/// A log of one honest consent grant, then `leaf`.
fn log_with(leaf: Vec<u8>) -> TestLog {
    let mut log = TestLog::new(5);
    let patient = SigningKey::from_bytes(&[7; 32]);
    log.push(&Record::signed(LOG_ORIGIN, HEALTH, CONSENT_GRANT, T, grant(), &patient).unwrap());
    log.push_leaf(leaf);
    log
}

/// Evidence of both entries is refused, naming `reason`.
fn assert_refused(log: &TestLog, reason: &str) {
    let evidence = log.evidence(&[0, 1]);
    let err = evidence.verify(&log.vkey()).unwrap_err();
    assert!(
        matches!(&err, VerifyError::Signature(m) if m.starts_with("record at index 1") && m.contains(reason)),
        "{err}"
    );
    let what = reason;
    let extract = Extract::new(evidence.checkpoint.clone(), evidence.entries.clone());
    assert!(extract.verify(&log.vkey()).is_err(), "{what} in an extract");
    // The honest entry alone still verifies.
    evidence_of_first(log);
}

fn evidence_of_first(log: &TestLog) {
    let verified = log.evidence(&[0]).verify(&log.vkey()).unwrap();
    assert_eq!(verified.entries.len(), 1);
}

#[test]
fn a_consent_grant_by_the_identity_point_is_refused_in_bundles_and_extracts() {
    let log = log_with(raw_record(&IDENTITY_KEY, &FORGED_SIGNATURE, &grant()));
    assert_refused(&log, "small-order");
}

#[test]
fn records_by_non_canonical_or_mixed_order_keys_are_refused() {
    let honest = SigningKey::from_bytes(&[8; 32]);
    for (key, reason) in [
        (NON_CANONICAL_KEY, "canonical"),
        (torsion_key(&honest), "torsion"),
    ] {
        let log = log_with(raw_record(&key, &[0; 64], &grant()));
        assert_refused(&log, reason);
    }
}

#[test]
fn a_record_signature_only_the_lax_check_accepts_is_refused() {
    let log = log_with(lax_only_record(&SigningKey::from_bytes(&[8; 32]), &grant()));
    assert_refused(&log, "signature does not verify");
}

#[test]
fn weak_log_keys_are_refused() {
    let log = log_with(
        Record::signed(
            LOG_ORIGIN,
            HEALTH,
            CONSENT_GRANT,
            T,
            grant(),
            &SigningKey::from_bytes(&[9; 32]),
        )
        .unwrap()
        .encode(),
    );
    let evidence = log.evidence(&[0, 1]);
    evidence.verify(&log.vkey()).unwrap();
    let name = "test.example/log";
    let lax = VerifyingKey::from_bytes(&IDENTITY_KEY).unwrap();
    let weak_vkey = format!(
        "{name}+{:08x}+{}",
        key_id(name, KeyType::Ed25519, &lax),
        base64_typed(&IDENTITY_KEY)
    );
    assert!(evidence.verify(&weak_vkey).is_err());
}

fn base64_typed(key: &[u8; 32]) -> String {
    use base64::Engine as _;
    let mut typed = vec![KeyType::Ed25519.id_byte()];
    typed.extend_from_slice(key);
    base64::engine::general_purpose::STANDARD.encode(typed)
}

#[test]
fn a_funds_bundle_naming_a_weak_or_non_canonical_agency_is_refused() {
    let path = format!(
        "{}/tests/golden/funds-bundle.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let bundle: FundsBundle =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let honest = SigningKey::from_bytes(&[8; 32]);
    for (agency, reason) in [
        (IDENTITY_KEY, "small-order"),
        (NON_CANONICAL_KEY, "canonical"),
        (torsion_key(&honest), "torsion"),
    ] {
        let forged = FundsBundle {
            agency: hex::encode(agency),
            ..bundle.clone()
        };
        let err = forged
            .verify("unused", |k| Ok(FundsParams::new(k)))
            .unwrap_err();
        match err {
            VerifyError::Malformed { what, reason: why } => {
                assert_eq!(what, "agency");
                assert!(why.contains(reason), "{why}");
            }
            other => panic!("{other}"),
        }
    }
}
