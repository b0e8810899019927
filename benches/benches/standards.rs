//! The fields' standards: what speaking them costs beside zkaudit's own
//! forms, in the same run.
//!
//! - GS1 EPCIS 2.0: a lot's chain of 10,000 events as an EPCIS document,
//!   against checking the same chain's rules alone (the work the export
//!   does first).
//! - HL7 FHIR: accesses submitted as `AuditEvent`s through HTTP
//!   (`POST /v1/health/fhir/AuditEvent`), against the same accesses as
//!   zkaudit's own records (`POST /v1/log/entries`), 16 connections.
//! - OCDS 1.1: `import_ocds` of release packages through HTTP (schema
//!   validation, compilation, look-ups, contract records), releases/s.
//! - GS1 EPCIS 2.0: `import_epcis` of a site's dispensing events through
//!   HTTP (schema validation, reading, journal, one durable append per
//!   event), events/s.
//!
//! `cargo bench -p zkaudit-benches --bench standards`

mod support;

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use support::{AuthorityConfig, start_service, submit_in_lanes};
use zkaudit_benches::named_key as key;
use zkaudit_ledger::funds::ocds::Money;
use zkaudit_ledger::health::fhir::PATIENT_SYSTEM;
use zkaudit_ledger::health::{
    ACCESS, AccessEvent, DOMAIN, LOT_ADMINISTER, LOT_REGISTER, LOT_TRANSFER, LotAdminister,
    LotRegister, LotTransfer, RECORD_COMMIT, RecordCommit, ciphertext_digest, patient_hex,
};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::{Record, RecordSigner};
use zkaudit_service::client::Client;
use zkaudit_service::client::funds::ocds::{ImportOptions, import_ocds};
use zkaudit_service::client::health::epcis::{EpcisOptions, import_epcis};
use zkaudit_service::client::health::submit_audit_event;
use zkaudit_service::clock::now_ms;

const LOG: &str = "bench.zkaudit/standards";
const EVENTS: usize = 10_000;
const SITES: usize = 32;
const PATIENTS: usize = 64;
const CONNECTIONS: usize = 16;
const DAY: u64 = 86_400_000;

fn signed(key: &NoteSigningKey, kind: &str, at: u64, payload: Vec<u8>) -> Record {
    Record::signed(LOG, DOMAIN, kind, at, payload, key).unwrap()
}

fn bench(c: &mut Criterion) {
    let log = key(LOG, 1);
    let (hospital, maker, ministry) = (key("hospital", 2), key("maker", 3), key("ministry", 5));
    let authorities: [AuthorityConfig<'_>; 3] = [
        (
            "hospital",
            &hospital,
            &["health/record.commit", "health/access"],
        ),
        ("maker", &maker, &["health/lot.register"]),
        ("ministry", &ministry, &["funds/*"]),
    ];
    let (running, base) = start_service(&log, &authorities, true);
    let base = base.unwrap();
    let state = &running.state;
    let log_key = state.sequencer().verifier_key();

    // A lot of EVENTS events: registration, transfers to every site, doses.
    let sites: Vec<NoteSigningKey> = (0..SITES).map(|i| key("site", 100 + i as u64)).collect();
    let distributor = key("distributor", 4);
    let lot = "LOT-EPCIS";
    // In the past, so every dose comes after every transfer.
    let t0 = now_ms() - 10_000;
    let register = LotRegister {
        lot: lot.into(),
        product: "VAX-A".into(),
        quantity: 10_000_000,
        expiry_ms: t0 + 365 * DAY,
    };
    let mut chain = vec![signed(&maker, LOT_REGISTER, t0, register.encode())];
    let ship = |from: &NoteSigningKey, to: &NoteSigningKey, q: u64, at: u64| {
        let t = LotTransfer::countersigned(lot, q, &from.record_key(), at, to);
        signed(from, LOT_TRANSFER, at, t.encode())
    };
    chain.push(ship(&maker, &distributor, 5_000_000, t0 + 1));
    for (i, site) in sites.iter().enumerate() {
        chain.push(ship(&distributor, site, 100_000, t0 + 2 + i as u64));
    }
    submit_in_lanes(&running.runtime, state, chain, 1);
    let doses: Vec<Record> = (0..EVENTS - 2 - SITES)
        .map(|i| {
            let a = LotAdminister {
                lot: lot.into(),
                doses: 1 + (i % 5) as u64,
            };
            signed(&sites[i % SITES], LOT_ADMINISTER, now_ms(), a.encode())
        })
        .collect();
    submit_in_lanes(&running.runtime, state, doses, SITES);
    let extract = zkaudit_service::domains::health::lot_extract(state, lot)
        .map_err(|e| e.to_string())
        .unwrap();
    assert_eq!(extract.entries.len(), EVENTS);
    let verified = extract.verify(&log_key).unwrap();
    let document =
        zkaudit_ledger::health::epcis::chain_document(lot, &verified.entries, None, now_ms())
            .unwrap();
    println!(
        "EPCIS document of {EVENTS} events: {} bytes",
        serde_json::to_vec(&document).unwrap().len()
    );
    let mut group = c.benchmark_group("EPCIS export, a lot of 10,000 events");
    group.sample_size(10);
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.bench_function("anchor: the chain's rules only", |b| {
        b.iter(|| zkaudit_ledger::health::verify_trace(lot, &verified.entries).unwrap())
    });
    group.bench_function("EPCIS 2.0 document (rules, JSON-LD, serialised)", |b| {
        b.iter(|| {
            let document = zkaudit_ledger::health::epcis::chain_document(
                lot,
                &verified.entries,
                None,
                now_ms(),
            )
            .unwrap();
            serde_json::to_vec(&document).unwrap()
        })
    });
    group.finish();

    // Accesses: FHIR AuditEvents against zkaudit's own records, over HTTP.
    let patients: Vec<NoteSigningKey> = (0..PATIENTS)
        .map(|i| key("patient", 1000 + i as u64))
        .collect();
    let commits: Vec<Record> = patients
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let c = RecordCommit {
                patient: p.record_key(),
                record: format!("chart-{i}"),
                version: 1,
                ciphertext_sha3: ciphertext_digest(&[i as u8]),
                commitment: [0; 32],
            };
            signed(&hospital, RECORD_COMMIT, now_ms(), c.encode())
        })
        .collect();
    submit_in_lanes(&running.runtime, state, commits, 8);
    let patient_ids: Vec<String> = patients
        .iter()
        .map(|p| patient_hex(&p.record_key()))
        .collect();
    const BATCH: usize = 512;
    let mut counter = 0u64;
    let mut group = c.benchmark_group("accesses through HTTP, 16 connections");
    group.sample_size(10);
    group.throughput(Throughput::Elements(BATCH as u64));
    for fhir in [false, true] {
        let name = if fhir {
            "FHIR AuditEvents (POST /v1/health/fhir/AuditEvent)"
        } else {
            "anchor: access records (POST /v1/log/entries)"
        };
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    counter += BATCH as u64;
                    let stamp = counter;
                    let start = Instant::now();
                    std::thread::scope(|scope| {
                        for lane in 0..CONNECTIONS {
                            let (base, hospital, patient_ids) = (&base, &hospital, &patient_ids);
                            scope.spawn(move || {
                                let client = Client::new(base);
                                for i in (lane..BATCH).step_by(CONNECTIONS) {
                                    let p = i % PATIENTS;
                                    // Distinct reads: the access time differs.
                                    let at = now_ms() - 60_000 + ((stamp + i as u64) % 50_000);
                                    if fhir {
                                        submit_audit_event(
                                            &client,
                                            hospital,
                                            &audit_event(&patient_ids[p], p, at),
                                        )
                                        .unwrap();
                                    } else {
                                        let access = AccessEvent {
                                            patient: zkaudit_ledger::health::parse_patient(
                                                &patient_ids[p],
                                            )
                                            .unwrap(),
                                            record: format!("chart-{p}"),
                                            version: 1,
                                            accessor: "dr.ward".into(),
                                            purpose: "TREAT".into(),
                                            at_ms: at,
                                        };
                                        let record = client
                                            .sign(hospital, DOMAIN, ACCESS, access.encode())
                                            .unwrap();
                                        client.append(&record).unwrap();
                                    }
                                }
                            });
                        }
                    });
                    total += start.elapsed();
                }
                total
            })
        });
    }
    group.finish();

    // OCDS: packages of fresh contracts imported through HTTP.
    const RELEASES: usize = 100;
    let money = Money::new("EUR", 2).unwrap();
    let openings = running.dir.path().join("openings.json");
    let client = Client::new(&base);
    let mut round = 0usize;
    let mut group = c.benchmark_group("OCDS import through HTTP");
    group.sample_size(10);
    group.throughput(Throughput::Elements(RELEASES as u64));
    group.bench_function("release packages of 100 contracts", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                round += 1;
                let package = ocds_package(round, RELEASES).to_string();
                let start = Instant::now();
                let outcome = import_ocds(
                    &client,
                    &ministry,
                    &package,
                    &ImportOptions {
                        money: &money,
                        period: None,
                        openings: &openings,
                        dry_run: false,
                    },
                )
                .unwrap();
                total += start.elapsed();
                assert_eq!(outcome.logged, RELEASES);
            }
            total
        })
    });
    group.finish();

    // EPCIS: a site's dispensing events imported through HTTP.
    const DOSES: usize = 200;
    let site = &sites[0];
    let class = zkaudit_ledger::health::epcis::lot_class("VAX-A", lot);
    let site_party = zkaudit_ledger::health::epcis::party(site.record_key().as_bytes());
    let mut round = 0usize;
    let mut group = c.benchmark_group("EPCIS import through HTTP");
    group.sample_size(10);
    group.throughput(Throughput::Elements(DOSES as u64));
    group.bench_function("documents of 200 dispensing events", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                round += 1;
                let document = dispensing_document(round, DOSES, &class, &site_party);
                let journal = running.dir.path().join(format!("journal-{round}.json"));
                let start = Instant::now();
                let outcome = import_epcis(
                    &client,
                    site,
                    &document,
                    &EpcisOptions {
                        countersigned: &[],
                        countersign_out: None,
                        journal: &journal,
                        dry_run: false,
                    },
                )
                .unwrap();
                total += start.elapsed();
                assert_eq!(outcome.done, DOSES);
            }
            total
        })
    });
    group.finish();
}

/// An EPCIS document of `n` dispensing events of `lot` at `site`.
fn dispensing_document(round: usize, n: usize, lot_class: &str, site: &str) -> Value {
    let events: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "type": "ObjectEvent",
                "eventID": format!("urn:uuid:00000000-0000-4000-8000-{round:06}{i:06}"),
                "eventTime": "2026-12-04T09:00:00.000+01:00",
                "eventTimeZoneOffset": "+01:00",
                "action": "OBSERVE",
                "bizStep": "dispensing",
                "disposition": "dispensed",
                "quantityList": [{ "epcClass": lot_class, "quantity": 1 }],
                "sourceList": [{ "type": "possessing_party", "source": site }],
            })
        })
        .collect();
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-12-04T12:00:00.000+01:00",
        "epcisBody": { "eventList": events },
    })
}

/// An IHE BALP patient read of chart `p`.
fn audit_event(patient: &str, p: usize, at_ms: u64) -> Value {
    let at = zkaudit_ledger::export::timestamp(at_ms);
    json!({
        "resourceType": "AuditEvent",
        "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest" }] }],
        "code": { "coding": [{ "system": "http://hl7.org/fhir/restful-interaction", "code": "vread" }] },
        "action": "R",
        "occurredDateTime": at,
        "recorded": at,
        "authorization": [{ "coding": [{ "code": "TREAT" }] }],
        "patient": { "identifier": { "system": PATIENT_SYSTEM, "value": patient } },
        "agent": [{ "who": { "display": "dr.ward" }, "requestor": true }],
        "entity": [{ "what": { "reference": format!("DocumentReference/chart-{p}/_history/1") } }],
    })
}

/// A release package of `n` contracts, each its own process.
fn ocds_package(round: usize, n: usize) -> Value {
    let releases: Vec<Value> = (0..n)
        .map(|i| {
            let ocid = format!("ocds-bench-{round}-{i}");
            json!({
                "ocid": ocid, "id": format!("{ocid}-1"), "date": "2027-01-20T10:00:00Z",
                "tag": ["award", "contract"], "initiationType": "tender",
                "tender": { "id": format!("T-{round}-{i}"), "title": "Road maintenance" },
                "awards": [{ "id": format!("A-{round}-{i}"), "status": "active", "date": "2027-01-20T10:00:00Z",
                    "value": { "amount": 1000.5, "currency": "EUR" },
                    "suppliers": [{ "id": "GB-COH-1", "name": "Acme Roads Ltd" }] }],
                "contracts": [{ "id": format!("C-{round}-{i}"), "awardID": format!("A-{round}-{i}"), "status": "active",
                    "value": { "amount": 1000.5, "currency": "EUR" }, "dateSigned": "2027-01-25T12:00:00Z",
                    "period": { "startDate": "2027-02-01T00:00:00Z", "endDate": "2027-12-31T00:00:00Z" } }],
            })
        })
        .collect();
    json!({ "uri": "https://example.org/p.json", "version": "1.1", "publishedDate": "2027-01-25T12:00:00Z",
        "publisher": { "name": "Ministry" }, "releases": releases })
}

criterion_group!(benches, bench);
criterion_main!(benches);
