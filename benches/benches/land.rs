//! Land titles: offline verification of a parcel history with 100 transfers
//! (inclusion proofs against a signed checkpoint of a 10k-entry log, plus the
//! chain of owners: 3 Ed25519 signatures per transfer), and the write path of
//! land transfers as the service runs it minus HTTP — the title and registry
//! checks of `admit`, one durable SQLite batch with the (parcel, version) and
//! revoked-leaf unique keys, and the replay.
//!
//! `cargo bench -p zkaudit-benches --bench land`

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use zkaudit_benches::{BENCH_LOG, log_key, pending_notices};
use zkaudit_circuits::Fr;
use zkaudit_ledger::codec::fr_to_bytes;
use zkaudit_ledger::identity::{DOMAIN as IDENTITY, REGISTRY_CREATE, RegistrySpec};
use zkaudit_ledger::land::{
    Action, DOMAIN, PARCEL_REGISTER, ParcelRegistration, Terms, TitleCredential, TitleEvent,
    version_key,
};
use zkaudit_ledger::merkle::SubtreeHashes;
use zkaudit_ledger::record::Record;
use zkaudit_ledger::registries::Registries;
use zkaudit_ledger::sequencer::{Pending, Sequencer};
use zkaudit_ledger::store::sqlite::SqliteStore;
use zkaudit_verifier::LogEntry;
use zkaudit_verifier::land::{HISTORY_FORMAT, HistoryBundle};

const T0: u64 = 1_700_000_000_000;

fn key(seed: u64) -> SigningKey {
    SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(seed))
}

fn registry_spec() -> RegistrySpec {
    RegistrySpec {
        id: "titles".into(),
        title: "Titles".into(),
        attributes: vec!["district".into(), "area_m2".into()],
        depth: 20,
        window_changes: 16,
        window_secs: 0,
    }
}

fn register(registrar: &SigningKey, parcel: &str, owner: &SigningKey, commitment: u64) -> Record {
    let registration = ParcelRegistration {
        parcel: parcel.into(),
        district: 4,
        area_m2: 640,
        documents: vec![[7; 32]],
        title_registry: "titles".into(),
        owner: owner.verifying_key().to_bytes(),
        owner_commitment: fr_to_bytes(&Fr::from(commitment)),
    };
    Record::signed(
        BENCH_LOG,
        DOMAIN,
        PARCEL_REGISTER,
        T0,
        registration.encode(),
        registrar,
    )
    .unwrap()
}

/// The transfer of `parcel` at `version` after `previous`, signed by all three.
#[allow(clippy::too_many_arguments)]
fn transfer(
    registrar: &SigningKey,
    parcel: &str,
    version: u64,
    previous: [u8; 32],
    seller: &SigningKey,
    buyer: &SigningKey,
    commitment: u64,
    revoke_leaf: u64,
) -> Record {
    let terms = Terms {
        parcel: parcel.into(),
        version,
        previous,
        time_ms: T0 + version,
        action: Action::Transfer {
            new_owner: buyer.verifying_key().to_bytes(),
            new_commitment: fr_to_bytes(&Fr::from(commitment)),
            price: Some(100_000 + version),
        },
    };
    let event = TitleEvent {
        signatures: [terms.sign(seller), terms.sign(buyer)],
        terms,
        credential: Some(TitleCredential { revoke_leaf }),
    };
    Record::signed(
        BENCH_LOG,
        DOMAIN,
        "title.transfer",
        T0 + version,
        event.encode(),
        registrar,
    )
    .unwrap()
}

fn history(c: &mut Criterion) {
    let registrar = key(1);
    let owners: Vec<SigningKey> = (0..101).map(|i| key(100 + i)).collect();
    let mut records = vec![register(&registrar, "H-1", &owners[0], 1)];
    for v in 1..=100u64 {
        let previous = records.last().unwrap().id();
        records.push(transfer(
            &registrar,
            "H-1",
            v,
            previous,
            &owners[v as usize - 1],
            &owners[v as usize],
            v + 1,
            v - 1,
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let sequencer = Sequencer::open(store, log_key()).unwrap();
    let mut indices = Vec::new();
    let mut next = 0u64;
    for record in &records {
        // About 100 other entries between two events of the parcel.
        sequencer.integrate(pending_notices(next, 99, 200)).unwrap();
        next += 99;
        sequencer.integrate(vec![Pending::new(record)]).unwrap();
        indices.push(sequencer.latest_checkpoint().size - 1);
    }
    let bundle = sequencer.with_tree(|tree, checkpoint| HistoryBundle {
        format: HISTORY_FORMAT.into(),
        origin: sequencer.origin().into(),
        parcel: "H-1".into(),
        checkpoint: String::from_utf8(checkpoint.note.clone()).unwrap(),
        events: records
            .iter()
            .zip(&indices)
            .map(|(r, &index)| {
                LogEntry::new(
                    index,
                    &r.encode(),
                    &tree.inclusion_proof(index, checkpoint.size).unwrap(),
                )
            })
            .collect(),
    });
    let log_vkey = sequencer.verifier_key();
    let verified = bundle
        .verify(&log_vkey, &registrar.verifying_key())
        .unwrap();
    assert_eq!(verified.parcel.owner, owners[100].verifying_key());
    println!(
        "history: {} events in a log of {} entries, bundle {} bytes of JSON",
        bundle.events.len(),
        verified.checkpoint.size,
        serde_json::to_string(&bundle).unwrap().len()
    );
    let mut group = c.benchmark_group("land history");
    group.sample_size(10);
    group.bench_function("verify 100 transfers offline", |b| {
        b.iter(|| {
            bundle
                .verify(&log_vkey, &registrar.verifying_key())
                .unwrap()
        })
    });
    group.finish();
}

/// The service's `admit` for a land record, minus HTTP and the lock.
fn admit(book: &Registries, record: &Record) -> Pending {
    let checked = book.titles().check(record).unwrap();
    let change = book.titles().credential_change(&checked);
    let mut pending = Pending::new(record)
        .topic(b"identity".to_vec())
        .topic(b"land".to_vec())
        .unique(
            "land/version",
            version_key(checked.parcel(), checked.version()),
        );
    if let Some(change) = change {
        book.check_title_change(record, &change).unwrap();
        if let Some((revoke, _)) = change.revoke {
            let mut key = revoke.registry.into_bytes();
            key.extend_from_slice(&revoke.leaf_index.to_be_bytes());
            pending = pending.unique("identity/revoked", key);
        }
    }
    pending
}

fn writes(c: &mut Criterion) {
    const PARCELS: usize = 200;
    let registrar = key(1);
    let people: Vec<SigningKey> = (0..PARCELS as u64 * 2).map(|i| key(1000 + i)).collect();
    let log = log_key();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let sequencer = Sequencer::open(store, log_key()).unwrap();
    let mut book = Registries::new(log.public_key());
    let apply = |book: &mut Registries, records: &[Record], pending: Vec<Pending>| {
        let start = sequencer.latest_checkpoint().size;
        sequencer.integrate(pending).unwrap();
        for (i, r) in records.iter().enumerate() {
            book.apply(start + i as u64, r);
        }
    };
    let create = Record::signed(
        BENCH_LOG,
        IDENTITY,
        REGISTRY_CREATE,
        T0,
        registry_spec().encode(),
        &registrar,
    )
    .unwrap();
    apply(
        &mut book,
        std::slice::from_ref(&create),
        vec![Pending::new(&create)],
    );
    let registrations: Vec<Record> = (0..PARCELS)
        .map(|p| register(&registrar, &format!("W-{p}"), &people[p], p as u64 + 1))
        .collect();
    let pending = registrations.iter().map(|r| admit(&book, r)).collect();
    apply(&mut book, &registrations, pending);

    // Each iteration: every parcel is sold once (PARCELS transfers), in
    // batches of `batch` as the queue would group concurrent requests.
    let mut owner: Vec<usize> = (0..PARCELS).collect();
    let mut group = c.benchmark_group("land writes (SQLite, durable)");
    group.sample_size(10);
    for batch in [1usize, 50] {
        group.throughput(Throughput::Elements(PARCELS as u64));
        group.bench_function(format!("transfers, batch {batch}"), |b| {
            b.iter(|| {
                let records: Vec<Record> = (0..PARCELS)
                    .map(|p| {
                        let id = format!("W-{p}");
                        let parcel = book.titles().get(&id).unwrap();
                        let seller = &people[owner[p]];
                        owner[p] = (owner[p] + PARCELS) % people.len();
                        let buyer = &people[owner[p]];
                        let owned = parcel.credential_leaf().unwrap();
                        let leaf = book
                            .identity()
                            .get("titles")
                            .unwrap()
                            .leaves()
                            .iter()
                            .rposition(|l| *l == owned)
                            .unwrap() as u64;
                        transfer(
                            &registrar,
                            &id,
                            parcel.version + 1,
                            parcel.head,
                            seller,
                            buyer,
                            p as u64 + 1,
                            leaf,
                        )
                    })
                    .collect();
                for chunk in records.chunks(batch) {
                    let pending = chunk.iter().map(|r| admit(&book, r)).collect();
                    apply(&mut book, chunk, pending);
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, history, writes);
criterion_main!(benches);
