//! Health: offline verification of a vaccine lot's chain of custody with
//! 1,000 events, and write throughput of health records through the
//! service in process (authorisation, the domain's rule check against the
//! replayed book, group commit, durable SQLite append; no HTTP).
//!
//! `cargo bench -p zkaudit-benches --bench health`

mod support;

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use support::{AuthorityConfig, start_service, submit_in_lanes};
use zkaudit_benches::named_key as key;
use zkaudit_ledger::health::{
    ACCESS, AccessEvent, CONSENT_GRANT, ConsentGrant, DOMAIN, LOT_ADMINISTER, LOT_REGISTER,
    LOT_TRANSFER, LotAdminister, LotRegister, LotTransfer, RECORD_COMMIT, RecordCommit,
    ciphertext_digest,
};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::{Record, RecordSigner};
use zkaudit_service::clock::now_ms;
use zkaudit_service::server::state::AppState;

/// Sites receiving from the distributor (and writing concurrently).
const SITES: usize = 32;
/// Events in the benchmarked lot (registration included).
const EVENTS: usize = 1_000;
const DAY: u64 = 86_400_000;

struct Service {
    _dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    state: AppState,
    log_key: String,
    hospital: NoteSigningKey,
    maker: NoteSigningKey,
}

/// The service in process on SQLite in a tempdir.
fn service() -> Service {
    let log = key(SERVICE_LOG, 1);
    let (hospital, maker) = (key("hospital", 2), key("maker", 3));
    let authorities: [AuthorityConfig<'_>; 2] = [
        (
            "hospital",
            &hospital,
            &["health/record.commit", "health/access"],
        ),
        ("maker", &maker, &["health/lot.register"]),
    ];
    let (running, _) = start_service(&log, &authorities, false);
    let log_key = running.state.sequencer().verifier_key();
    Service {
        _dir: running.dir,
        runtime: running.runtime,
        state: running.state,
        log_key,
        hospital,
        maker,
    }
}

/// Submits `records` from `lanes` concurrent writers; record `i` goes to
/// lane `i % lanes`, and each lane writes in order (a holder's debits must
/// be sequential: a second debit checked against the same balance gets 409).
fn submit(svc: &Service, records: Vec<Record>, lanes: usize) -> Duration {
    submit_in_lanes(&svc.runtime, &svc.state, records, lanes)
}

/// The origin of the in-process service's log.
const SERVICE_LOG: &str = "bench.zkaudit/health";

fn signed(key: &NoteSigningKey, kind: &str, at: u64, payload: Vec<u8>) -> Record {
    Record::signed(SERVICE_LOG, DOMAIN, kind, at, payload, key).unwrap()
}

fn bench(c: &mut Criterion) {
    let svc = service();
    let sites: Vec<NoteSigningKey> = (0..SITES).map(|i| key("site", 100 + i as u64)).collect();
    let distributor = key("distributor", 4);

    // A lot of EVENTS events: register, 1 + SITES transfers, then administrations.
    let lot = "LOT-BENCH";
    let t0 = now_ms();
    let register = LotRegister {
        lot: lot.into(),
        product: "VAX-A".into(),
        quantity: 1_000_000,
        expiry_ms: t0 + 365 * DAY,
    };
    let mut chain = vec![signed(&svc.maker, LOT_REGISTER, t0, register.encode())];
    let ship = |from: &NoteSigningKey, to: &NoteSigningKey, q: u64, at: u64| {
        let t = LotTransfer::countersigned(lot, q, &from.record_key(), at, to);
        signed(from, LOT_TRANSFER, at, t.encode())
    };
    chain.push(ship(&svc.maker, &distributor, 500_000, t0 + 1));
    for (i, site) in sites.iter().enumerate() {
        chain.push(ship(&distributor, site, 10_000, t0 + 2 + i as u64));
    }
    submit(&svc, chain, 1);
    let doses: Vec<Record> = (0..EVENTS - 2 - SITES)
        .map(|i| {
            let a = LotAdminister {
                lot: lot.into(),
                doses: 1 + (i % 5) as u64,
            };
            signed(&sites[i % SITES], LOT_ADMINISTER, now_ms(), a.encode())
        })
        .collect();
    // Concurrent sites: one debit sequence per (lot, site), so they don't conflict.
    let took = submit(&svc, doses, SITES);
    println!(
        "wrote {} lot.administer records from {SITES} concurrent sites in {:.2} s ({:.0} records/s)",
        EVENTS - 2 - SITES,
        took.as_secs_f64(),
        (EVENTS - 2 - SITES) as f64 / took.as_secs_f64()
    );

    // Blocking storage reads: fine on this (non-runtime) thread.
    let extract = zkaudit_service::domains::health::lot_extract(&svc.state, lot)
        .map_err(|e| e.to_string())
        .unwrap();
    assert_eq!(extract.entries.len(), EVENTS);
    let json = serde_json::to_vec(&extract).unwrap();
    println!("trace of {EVENTS} events: {} bytes of JSON", json.len());
    let verified = extract.verify(&svc.log_key).unwrap();

    let mut group = c.benchmark_group("health trace (1,000 events)");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.bench_function("rules only", |b| {
        b.iter(|| zkaudit_ledger::health::verify_trace(lot, &verified.entries).unwrap())
    });
    group.bench_function(
        "full offline check (JSON, proofs, signatures, rules)",
        |b| {
            b.iter(|| {
                let extract: zkaudit_verifier::health::Extract =
                    serde_json::from_slice(&json).unwrap();
                zkaudit_verifier::health::verify_trace(&extract, &svc.log_key, lot).unwrap()
            })
        },
    );
    group.finish();

    // Write throughput of care records through the service.
    let mut group = c.benchmark_group("health writes through the service");
    group.sample_size(10);
    let patients: Vec<NoteSigningKey> = (0..64).map(|i| key("patient", 1000 + i)).collect();
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
            signed(&svc.hospital, RECORD_COMMIT, now_ms(), c.encode())
        })
        .collect();
    submit(&svc, commits, 8);
    let consents: Vec<Record> = patients
        .iter()
        .map(|p| {
            let g = ConsentGrant {
                consent: "gp".into(),
                grantee: "dr-gp".into(),
                purpose: "treatment".into(),
                record: None,
                valid_until_ms: now_ms() + DAY,
            };
            signed(p, CONSENT_GRANT, now_ms(), g.encode())
        })
        .collect();
    submit(&svc, consents, 8);
    const BATCH: usize = 256;
    let mut counter = 0u64;
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("access events, 64 concurrent writers", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let records: Vec<Record> = (0..BATCH)
                    .map(|i| {
                        counter += 1;
                        let a = AccessEvent {
                            patient: patients[i % patients.len()].record_key(),
                            record: format!("chart-{}", i % patients.len()),
                            version: 1,
                            accessor: "dr-gp".into(),
                            purpose: "treatment".into(),
                            at_ms: now_ms() - (counter % 1000),
                        };
                        signed(&svc.hospital, ACCESS, now_ms(), a.encode())
                    })
                    .collect();
                total += submit(&svc, records, 64);
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
