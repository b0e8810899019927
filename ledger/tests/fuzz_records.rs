//! Fuzzing the record layer: the record encoding, every domain's payload
//! codecs, the authority set, and the circuit encodings payloads carry
//! (points, ciphertexts, threshold-decryption pieces, funds period proofs).
//!
//! Seeds are the records of the golden bundles (`verifier/tests/golden`),
//! their payloads sorted by domain and kind, and values built here for the
//! kinds no bundle carries. See `fuzz/mod.rs` for the invariants and
//! `ZKAUDIT_FUZZ_CASES`.

mod fuzz;

use std::fmt::Debug;

use fuzz::{Target, golden_records};
use zkaudit_circuits::elgamal::{Ciphertext, decode_point, encode_point};
use zkaudit_circuits::funds::PeriodProof;
use zkaudit_circuits::threshold::decrypt::PartialDecryption;
use zkaudit_circuits::threshold::dkg::{Complaint, Dealing};
use zkaudit_ledger::authority::{AUTHORITY_SET_KIND, AuthoritySet, LEDGER_DOMAIN};
use zkaudit_ledger::codec::fr_to_bytes;
use zkaudit_ledger::record::Record;
use zkaudit_ledger::{election, funds, health, identity, land};

/// Cases per property by default.
const CASES: u32 = 1000;

/// The golden records, decoded.
fn records() -> Vec<Record> {
    golden_records()
        .iter()
        .map(|bytes| Record::decode(bytes).expect("golden records decode"))
        .collect()
}

/// The payloads of the records of `domain` with one of `kinds`.
fn payloads(records: &[Record], domain: &str, kinds: &[&str]) -> Vec<Vec<u8>> {
    records
        .iter()
        .filter(|r| r.domain() == domain && kinds.contains(&r.kind()))
        .map(|r| r.payload().to_vec())
        .collect()
}

/// The payload codec of `domain/kinds`, seeded with the golden payloads and
/// `extra` (for kinds no golden bundle carries).
fn payload<T: PartialEq + Debug, E>(
    records: &[Record],
    domain: &str,
    kinds: &[&str],
    extra: Vec<Vec<u8>>,
    decode: impl Fn(&[u8]) -> Result<T, E> + 'static,
    encode: impl Fn(&T) -> Vec<u8> + 'static,
) -> Target {
    let mut seeds = payloads(records, domain, kinds);
    seeds.extend(extra);
    Target::codec(
        format!("{domain}/{}", kinds.join("|")),
        seeds,
        decode,
        encode,
    )
}

/// Decodes every seed of a target with `decode` and keeps `part` of each.
fn parts<T, E: Debug, P>(
    seeds: &[Vec<u8>],
    decode: impl Fn(&[u8]) -> Result<T, E>,
    part: impl Fn(T) -> Vec<P>,
) -> Vec<P> {
    seeds
        .iter()
        .flat_map(|s| part(decode(s).expect("seeds decode")))
        .collect()
}

fn identity_targets(r: &[Record]) -> Vec<Target> {
    use identity::*;
    let commitment = fr_to_bytes(&zkaudit_circuits::Fr::from(7u64));
    let issue = CredentialIssue {
        registry: "demo-civil-registry".into(),
        commitment,
        attributes: vec![1, 1990, u64::MAX],
    };
    let revoke = CredentialRevoke {
        registry: "demo-civil-registry".into(),
        leaf_index: 41,
    };
    vec![
        payload(
            r,
            DOMAIN,
            &[REGISTRY_CREATE],
            vec![],
            RegistrySpec::decode,
            RegistrySpec::encode,
        ),
        payload(
            r,
            DOMAIN,
            &[CREDENTIAL_ISSUE],
            vec![issue.encode()],
            CredentialIssue::decode,
            CredentialIssue::encode,
        ),
        payload(
            r,
            DOMAIN,
            &[CREDENTIAL_REVOKE],
            vec![revoke.encode()],
            CredentialRevoke::decode,
            CredentialRevoke::encode,
        ),
        payload(
            r,
            DOMAIN,
            &[REGISTRY_ROOT],
            vec![],
            RegistryRoot::decode,
            RegistryRoot::encode,
        ),
        payload(
            r,
            DOMAIN,
            &[SCOPE_CREATE],
            vec![],
            ScopeSpec::decode,
            ScopeSpec::encode,
        ),
        payload(
            r,
            DOMAIN,
            &[CIRCUIT_KEY],
            vec![],
            CircuitKey::decode,
            CircuitKey::encode,
        ),
        payload(r, DOMAIN, &[CLAIM], vec![], Claim::decode, Claim::encode),
    ]
}

fn land_targets(r: &[Record]) -> Vec<Target> {
    use land::*;
    let events = &[TITLE_TRANSFER, LIEN_REGISTER, LIEN_RELEASE];
    let terms = parts(&payloads(r, DOMAIN, events), TitleEvent::decode, |e| {
        vec![e.terms.encode()]
    });
    vec![
        payload(
            r,
            DOMAIN,
            &[PARCEL_REGISTER],
            vec![],
            ParcelRegistration::decode,
            ParcelRegistration::encode,
        ),
        payload(
            r,
            DOMAIN,
            events,
            vec![],
            TitleEvent::decode,
            TitleEvent::encode,
        ),
        Target::codec("land/terms", terms, Terms::decode, Terms::encode),
    ]
}

fn election_targets(r: &[Record]) -> Vec<Target> {
    use election::*;
    let spec = ElectionSpec::decode(&payloads(r, DOMAIN, &[CREATE])[0]).expect("golden spec");
    let params = spec.params().expect("golden parameters");
    let deal_params = params.clone();
    let deals = payloads(r, DOMAIN, &[DEAL]);
    let dealings = parts(
        &deals,
        |b| DealRecord::decode(b, &params),
        |d| vec![d.dealing.to_bytes()],
    );
    let ballots = payloads(r, DOMAIN, &[BALLOT]);
    let ciphertexts = parts(&ballots, Ballot::decode, |b| {
        b.ciphertexts
            .iter()
            .map(|c| c.to_bytes().to_vec())
            .collect()
    });
    let keys = parts(&payloads(r, DOMAIN, &[KEY]), ElectionKey::decode, |k| {
        vec![encode_point(&k.joint_key).to_vec()]
    });
    let partials = parts(
        &payloads(r, DOMAIN, &[DECRYPT]),
        DecryptRecord::decode,
        |d| d.partials.iter().map(|p| p.to_bytes().to_vec()).collect(),
    );
    let complaints = parts(
        &payloads(r, DOMAIN, &[COMPLAINT]),
        ComplaintRecord::decode,
        |c| vec![c.complaint.to_bytes().to_vec()],
    );
    vec![
        payload(
            r,
            DOMAIN,
            &[CREATE],
            vec![],
            ElectionSpec::decode,
            ElectionSpec::encode,
        ),
        payload(
            r,
            DOMAIN,
            &[PHASE],
            vec![],
            PhaseChange::decode,
            PhaseChange::encode,
        ),
        payload(
            r,
            DOMAIN,
            &[DEAL],
            vec![],
            move |b| DealRecord::decode(b, &deal_params),
            DealRecord::encode,
        ),
        payload(
            r,
            DOMAIN,
            &[COMPLAINT],
            vec![],
            ComplaintRecord::decode,
            ComplaintRecord::encode,
        ),
        payload(
            r,
            DOMAIN,
            &[KEY],
            vec![],
            ElectionKey::decode,
            ElectionKey::encode,
        ),
        payload(r, DOMAIN, &[BALLOT], vec![], Ballot::decode, Ballot::encode),
        Target::codec(
            "election/ballot (logged)",
            ballots,
            Ballot::decode_logged,
            Ballot::encode,
        ),
        payload(
            r,
            DOMAIN,
            &[DECRYPT],
            vec![],
            DecryptRecord::decode,
            DecryptRecord::encode,
        ),
        payload(
            r,
            DOMAIN,
            &[TALLY],
            vec![],
            TallyRecord::decode,
            TallyRecord::encode,
        ),
        Target::codec(
            "circuits/dealing",
            dealings,
            move |b| Dealing::from_bytes(&params, b),
            Dealing::to_bytes,
        ),
        Target::codec(
            "circuits/ciphertext",
            ciphertexts.clone(),
            Ciphertext::from_bytes,
            |c| c.to_bytes().to_vec(),
        ),
        Target::codec(
            "circuits/ciphertext (no subgroup check)",
            ciphertexts,
            Ciphertext::from_bytes_skipping_subgroup_check,
            |c| c.to_bytes().to_vec(),
        ),
        Target::codec("circuits/point", keys, decode_point, |p| {
            encode_point(p).to_vec()
        }),
        Target::codec(
            "circuits/partial decryption",
            partials,
            PartialDecryption::from_bytes,
            |p| p.to_bytes().to_vec(),
        ),
        Target::codec(
            "circuits/complaint",
            complaints,
            Complaint::from_bytes,
            |c| c.to_bytes().to_vec(),
        ),
    ]
}

fn health_targets(r: &[Record]) -> Vec<Target> {
    use health::*;
    let revoke = ConsentRevoke {
        consent: "gp-60448".into(),
    };
    vec![
        payload(
            r,
            DOMAIN,
            &[RECORD_COMMIT],
            vec![],
            RecordCommit::decode,
            RecordCommit::encode,
        ),
        payload(
            r,
            DOMAIN,
            &[CONSENT_GRANT],
            vec![],
            ConsentGrant::decode,
            ConsentGrant::encode,
        ),
        payload(
            r,
            DOMAIN,
            &[CONSENT_REVOKE],
            vec![revoke.encode()],
            ConsentRevoke::decode,
            ConsentRevoke::encode,
        ),
        payload(
            r,
            DOMAIN,
            &[ACCESS],
            vec![],
            AccessEvent::decode,
            AccessEvent::encode,
        ),
        payload(
            r,
            DOMAIN,
            &[LOT_REGISTER],
            vec![],
            LotRegister::decode,
            LotRegister::encode,
        ),
        payload(
            r,
            DOMAIN,
            &[LOT_TRANSFER],
            vec![],
            LotTransfer::decode,
            LotTransfer::encode,
        ),
        payload(
            r,
            DOMAIN,
            &[LOT_ADMINISTER],
            vec![],
            LotAdminister::decode,
            LotAdminister::encode,
        ),
    ]
}

fn funds_targets(r: &[Record]) -> Vec<Target> {
    use funds::*;
    let reports = payloads(r, DOMAIN, &[REPORT]);
    let proofs = parts(&reports, Report::decode, |report| vec![report.proof]);
    // A report part carries a run of the report's proof.
    let report_parts = parts(&reports, Report::decode, |report| {
        vec![
            ReportPart {
                period: report.period,
                first_chunk: 0,
                proof: report.proof,
            }
            .encode(),
        ]
    });
    vec![
        payload(r, DOMAIN, &[BUDGET], vec![], Budget::decode, Budget::encode),
        payload(
            r,
            DOMAIN,
            &[CONTRACT],
            vec![],
            Contract::decode,
            Contract::encode,
        ),
        payload(
            r,
            DOMAIN,
            &[EXPENDITURE],
            vec![],
            Expenditure::decode,
            Expenditure::encode,
        ),
        payload(r, DOMAIN, &[REPORT], vec![], Report::decode, Report::encode),
        payload(
            r,
            DOMAIN,
            &[REPORT_PART],
            report_parts,
            ReportPart::decode,
            ReportPart::encode,
        ),
        payload(
            r,
            DOMAIN,
            &[AUDIT_REQUEST],
            vec![],
            AuditRequest::decode,
            AuditRequest::encode,
        ),
        payload(
            r,
            DOMAIN,
            &[AUDIT_OPENING],
            vec![],
            AuditOpening::decode,
            AuditOpening::encode,
        ),
        Target::codec(
            "circuits/period proof",
            proofs,
            PeriodProof::from_bytes,
            PeriodProof::to_bytes,
        ),
    ]
}

#[test]
fn records_are_canonical_and_never_panic() {
    // Signed records resist mutation (any change breaks the signature), so
    // the same records unsigned are seeds too.
    let mut seeds = golden_records();
    seeds.extend(records().iter().map(|r| {
        Record::unsigned(r.domain(), r.kind(), r.timestamp_ms(), r.payload().to_vec())
            .expect("golden names and sizes")
            .encode()
    }));
    let targets = vec![Target::codec(
        "record",
        seeds,
        Record::decode,
        Record::encode,
    )];
    fuzz::fuzz(file!(), targets, fuzz::cases(CASES), 512);
}

#[test]
fn authority_sets_are_canonical_and_never_panic() {
    let seeds = payloads(&records(), LEDGER_DOMAIN, &[AUTHORITY_SET_KIND]);
    let targets = vec![Target::codec(
        "ledger/authority-set",
        seeds,
        AuthoritySet::decode,
        AuthoritySet::encode,
    )];
    fuzz::fuzz(file!(), targets, fuzz::cases(CASES), 512);
}

#[test]
fn identity_payloads_are_canonical_and_never_panic() {
    fuzz::fuzz(
        file!(),
        identity_targets(&records()),
        fuzz::cases(CASES),
        512,
    );
}

#[test]
fn land_payloads_are_canonical_and_never_panic() {
    fuzz::fuzz(file!(), land_targets(&records()), fuzz::cases(CASES), 512);
}

#[test]
fn election_payloads_are_canonical_and_never_panic() {
    fuzz::fuzz(
        file!(),
        election_targets(&records()),
        fuzz::cases(CASES),
        512,
    );
}

#[test]
fn health_payloads_are_canonical_and_never_panic() {
    fuzz::fuzz(file!(), health_targets(&records()), fuzz::cases(CASES), 512);
}

#[test]
fn funds_payloads_are_canonical_and_never_panic() {
    fuzz::fuzz(file!(), funds_targets(&records()), fuzz::cases(CASES), 512);
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(fuzz::cases(CASES)))]

    /// Generated records, unsigned and signed, decode to themselves.
    #[test]
    fn generated_records_round_trip(
        domain in "[a-z][a-z0-9-]{0,31}",
        kind in "[a-z][a-z0-9.-]{0,47}",
        timestamp in proptest::num::u64::ANY,
        payload in proptest::collection::vec(proptest::num::u8::ANY, 0..600),
        signer in proptest::option::of(proptest::array::uniform32(proptest::num::u8::ANY)),
    ) {
        let record = match signer {
            None => Record::unsigned(&domain, &kind, timestamp, payload),
            Some(seed) => {
                let key = ed25519_dalek::SigningKey::from_bytes(&seed);
                Record::signed(&domain, &kind, timestamp, payload, &key)
            }
        }
        .expect("valid names and sizes");
        let decoded = Record::decode(&record.encode());
        proptest::prop_assert_eq!(decoded, Ok(record));
    }
}
