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

/// One payload target per `domain::KIND => Type [extra seeds]`, seeded with
/// the golden payloads of that kind and the extra seeds.
macro_rules! payload_targets {
    ($records:expr; $($domain:ident::$kind:ident => $ty:ty $([$($extra:expr),*])?),* $(,)?) => {
        vec![$(payload(
            $records,
            $domain::DOMAIN,
            &[$domain::$kind],
            vec![$($($extra),*)?],
            <$ty>::decode,
            <$ty>::encode,
        )),*]
    };
}

/// A codec whose encoding is a fixed-size array.
fn array_codec<T: PartialEq + Debug, E, const N: usize>(
    name: &str,
    seeds: Vec<Vec<u8>>,
    decode: impl Fn(&[u8]) -> Result<T, E> + 'static,
    encode: impl Fn(&T) -> [u8; N] + 'static,
) -> Target {
    Target::codec(name, seeds, decode, move |x| encode(x).to_vec())
}

/// Values of the kinds no golden bundle carries.
fn extra_seeds() -> [Vec<u8>; 4] {
    let issue = identity::CredentialIssue {
        registry: "demo-civil-registry".into(),
        commitment: fr_to_bytes(&zkaudit_circuits::Fr::from(7u64)),
        attributes: vec![1, 1990, u64::MAX],
    };
    let revoke = identity::CredentialRevoke {
        registry: "demo-civil-registry".into(),
        leaf_index: 41,
    };
    let consent = health::ConsentRevoke {
        consent: "gp-60448".into(),
    };
    // A report part carries a run of a report's proof.
    let report = funds::Report::decode(&payloads(&records(), funds::DOMAIN, &[funds::REPORT])[0])
        .expect("the golden report");
    let part = funds::ReportPart {
        period: report.period,
        first_chunk: 0,
        proof: report.proof,
    };
    [
        issue.encode(),
        revoke.encode(),
        consent.encode(),
        part.encode(),
    ]
}

/// The payload codecs of every domain, and the authority set.
fn payload_targets(r: &[Record]) -> Vec<Target> {
    use election::{Ballot, DealRecord, ElectionSpec};
    use land::TitleEvent;
    let [issue, revoke, consent, part] = extra_seeds();
    let mut targets = payload_targets![r;
        identity::REGISTRY_CREATE => identity::RegistrySpec,
        identity::CREDENTIAL_ISSUE => identity::CredentialIssue [issue],
        identity::CREDENTIAL_REVOKE => identity::CredentialRevoke [revoke],
        identity::REGISTRY_ROOT => identity::RegistryRoot,
        identity::SCOPE_CREATE => identity::ScopeSpec,
        identity::CIRCUIT_KEY => identity::CircuitKey,
        identity::CLAIM => identity::Claim,
        land::PARCEL_REGISTER => land::ParcelRegistration,
        election::CREATE => election::ElectionSpec,
        election::PHASE => election::PhaseChange,
        election::COMPLAINT => election::ComplaintRecord,
        election::KEY => election::ElectionKey,
        election::BALLOT => election::Ballot,
        election::DECRYPT => election::DecryptRecord,
        election::TALLY => election::TallyRecord,
        health::RECORD_COMMIT => health::RecordCommit,
        health::CONSENT_GRANT => health::ConsentGrant,
        health::CONSENT_REVOKE => health::ConsentRevoke [consent],
        health::ACCESS => health::AccessEvent,
        health::LOT_REGISTER => health::LotRegister,
        health::LOT_TRANSFER => health::LotTransfer,
        health::LOT_ADMINISTER => health::LotAdminister,
        funds::BUDGET => funds::Budget,
        funds::CONTRACT => funds::Contract,
        funds::EXPENDITURE => funds::Expenditure,
        funds::REPORT => funds::Report,
        funds::REPORT_PART => funds::ReportPart [part],
        funds::AUDIT_REQUEST => funds::AuditRequest,
        funds::AUDIT_OPENING => funds::AuditOpening,
    ];
    let authority_sets = payloads(r, LEDGER_DOMAIN, &[AUTHORITY_SET_KIND]);
    let title_kinds = [
        land::TITLE_TRANSFER,
        land::LIEN_REGISTER,
        land::LIEN_RELEASE,
    ];
    let spec = &payloads(r, election::DOMAIN, &[election::CREATE])[0];
    let params = ElectionSpec::decode(spec)
        .and_then(|s| s.params())
        .expect("golden spec");
    let ballots = payloads(r, election::DOMAIN, &[election::BALLOT]);
    targets.extend([
        Target::codec(
            "ledger/authority-set",
            authority_sets,
            AuthoritySet::decode,
            AuthoritySet::encode,
        ),
        payload(
            r,
            land::DOMAIN,
            &title_kinds,
            vec![],
            TitleEvent::decode,
            TitleEvent::encode,
        ),
        payload(
            r,
            election::DOMAIN,
            &[election::DEAL],
            vec![],
            move |b| DealRecord::decode(b, &params),
            DealRecord::encode,
        ),
        Target::codec(
            "election/ballot (logged)",
            ballots,
            Ballot::decode_logged,
            Ballot::encode,
        ),
    ]);
    targets
}

/// The encodings payloads carry, each seeded with the parts of the golden
/// payloads it decodes: land terms, threshold pieces, ciphertexts, points
/// and funds period proofs.
fn part_targets(r: &[Record]) -> Vec<Target> {
    use election::*;
    let titles = &[
        land::TITLE_TRANSFER,
        land::LIEN_REGISTER,
        land::LIEN_RELEASE,
    ];
    let terms = parts(
        &payloads(r, land::DOMAIN, titles),
        land::TitleEvent::decode,
        |e| vec![e.terms.encode()],
    );
    let spec = ElectionSpec::decode(&payloads(r, DOMAIN, &[CREATE])[0]).expect("golden spec");
    let params = spec.params().expect("golden parameters");
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
    let reports = payloads(r, funds::DOMAIN, &[funds::REPORT]);
    let proofs = parts(&reports, funds::Report::decode, |report| vec![report.proof]);
    vec![
        Target::codec(
            "land/terms",
            terms,
            land::Terms::decode,
            land::Terms::encode,
        ),
        Target::codec(
            "circuits/dealing",
            dealings,
            move |b| Dealing::from_bytes(&params, b),
            Dealing::to_bytes,
        ),
        array_codec(
            "circuits/ciphertext",
            ciphertexts.clone(),
            Ciphertext::from_bytes,
            Ciphertext::to_bytes,
        ),
        array_codec(
            "circuits/ciphertext (any order)",
            ciphertexts,
            Ciphertext::from_bytes_skipping_subgroup_check,
            Ciphertext::to_bytes,
        ),
        array_codec("circuits/point", keys, decode_point, encode_point),
        array_codec(
            "circuits/partial decryption",
            partials,
            PartialDecryption::from_bytes,
            PartialDecryption::to_bytes,
        ),
        array_codec(
            "circuits/complaint",
            complaints,
            Complaint::from_bytes,
            Complaint::to_bytes,
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
    // the same records unsigned are seeds too, as version-2 records naming
    // the demo log (the golden ones are version 1).
    let mut seeds = golden_records();
    seeds.extend(records().iter().map(|r| {
        let origin = r.origin().unwrap_or("zkaudit.localhost/dev-log");
        Record::unsigned(
            origin,
            r.domain(),
            r.kind(),
            r.timestamp_ms(),
            r.payload().to_vec(),
        )
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
fn payloads_are_canonical_and_never_panic() {
    fuzz::fuzz(
        file!(),
        payload_targets(&records()),
        fuzz::cases(CASES),
        512,
    );
}

#[test]
fn payload_parts_are_canonical_and_never_panic() {
    fuzz::fuzz(file!(), part_targets(&records()), fuzz::cases(CASES), 512);
}

proptest::proptest! {
    #![proptest_config(fuzz::config(fuzz::cases(CASES)))]

    /// Generated records, unsigned and signed, decode to themselves.
    #[test]
    fn generated_records_round_trip(
        origin in "[!-*,-~]{1,80}",
        domain in "[a-z][a-z0-9-]{0,31}",
        kind in "[a-z][a-z0-9.-]{0,47}",
        timestamp in proptest::num::u64::ANY,
        payload in proptest::collection::vec(proptest::num::u8::ANY, 0..600),
        signer in proptest::option::of(proptest::array::uniform32(proptest::num::u8::ANY)),
    ) {
        let record = match signer {
            None => Record::unsigned(&origin, &domain, &kind, timestamp, payload),
            Some(seed) => {
                let key = ed25519_dalek::SigningKey::from_bytes(&seed);
                Record::signed(&origin, &domain, &kind, timestamp, payload, &key)
            }
        }
        .expect("valid names and sizes");
        let decoded = Record::decode(&record.encode());
        proptest::prop_assert_eq!(decoded, Ok(record));
    }
}
