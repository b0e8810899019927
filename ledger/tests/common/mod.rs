//! What several of the ledger's integration tests share.

use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;
use zkaudit_ledger::sequencer::{Pending, Sequencer};

/// Logs notices `from..to` by `author` through `sequencer`, `batch` at a
/// time; notice `i` carries `i` and is stamped `1_000 + i`.
pub fn append_notices(
    sequencer: &Sequencer,
    author: &NoteSigningKey,
    from: u64,
    to: u64,
    batch: u64,
) {
    let origin = sequencer.origin().to_owned();
    let mut next = from;
    while next < to {
        let end = to.min(next + batch);
        let pending = (next..end)
            .map(|i| {
                let payload = i.to_be_bytes().to_vec();
                let record =
                    Record::signed(&origin, "ledger", "notice", 1_000 + i, payload, author)
                        .unwrap();
                Pending::new(&record)
            })
            .collect();
        sequencer.integrate(pending).unwrap();
        next = end;
    }
}
