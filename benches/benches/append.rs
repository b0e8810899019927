//! Durable append throughput against batch size, on SQLite and PostgreSQL.
//!
//! Each iteration integrates one batch through the sequencer: de-duplication
//! and uniqueness checks, inserts, tree update, checkpoint signing and a
//! committed (fsynced) storage transaction — everything a 2xx answer waits
//! for, minus HTTP. Also prints the storage bytes per entry.
//!
//! `cargo bench -p zkaudit-benches --bench append`

use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use zkaudit_benches::{log_key, pending_notices, postgres_url};
use zkaudit_ledger::sequencer::Sequencer;
use zkaudit_ledger::store::Store;
use zkaudit_ledger::store::postgres::PostgresStore;
use zkaudit_ledger::store::sqlite::SqliteStore;

const BATCH_SIZES: [u64; 5] = [1, 10, 100, 500, 1000];
const PAYLOAD: usize = 200;

fn bench_backend(c: &mut Criterion, name: &str, open: &dyn Fn() -> Arc<dyn Store>) {
    let mut group = c.benchmark_group(format!("durable append ({name})"));
    group.sample_size(10);
    for &batch in &BATCH_SIZES {
        let store = open();
        let sequencer = Sequencer::open(store.clone(), log_key()).unwrap();
        let mut next = 0u64;
        group.throughput(Throughput::Elements(batch));
        group.bench_with_input(BenchmarkId::from_parameter(batch), &batch, |b, &batch| {
            b.iter_batched(
                || {
                    let pending = pending_notices(next, batch, PAYLOAD);
                    next += batch;
                    pending
                },
                |pending| sequencer.integrate(pending).unwrap(),
                criterion::BatchSize::PerIteration,
            )
        });
        let size = sequencer.latest_checkpoint().size;
        let bytes = store.storage_bytes().unwrap();
        println!(
            "{name} batch {batch}: {size} entries of ~{} bytes, {bytes} bytes stored, {:.0} bytes/entry",
            PAYLOAD + 150,
            bytes as f64 / size.max(1) as f64
        );
    }
    group.finish();
}

fn sqlite(c: &mut Criterion) {
    let dirs = std::cell::RefCell::new(Vec::new());
    bench_backend(c, "SQLite", &|| {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
        dirs.borrow_mut().push(dir);
        store
    });
}

fn postgres(c: &mut Criterion) {
    let counter = std::cell::Cell::new(0);
    let pid = std::process::id();
    bench_backend(c, "PostgreSQL", &|| {
        counter.set(counter.get() + 1);
        let schema = format!("bench_{pid}_{}", counter.get());
        Arc::new(PostgresStore::connect_with_schema(&postgres_url(), &schema).unwrap())
    });
}

criterion_group!(benches, sqlite, postgres);
criterion_main!(benches);
