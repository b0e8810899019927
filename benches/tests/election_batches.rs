//! A bundle's ballot proofs are checked in batches of [`BATCH`], spread
//! over threads: a bad proof in a later batch must be found as surely as
//! one in the first, named alone (the failing batch is bisected), and on
//! any number of threads. The ballots are proved by the development
//! setup's trapdoor (a millisecond each) so that a bundle spans several
//! batches; their proofs verify like a voter's.

#[path = "../benches/support/mod.rs"]
mod support;

use support::bundle::{Proving, ballot_keys, election_bundle_proved};
use zkaudit_verifier::election::BATCH;

#[test]
fn a_forged_proof_in_a_later_batch_is_named_and_the_bundle_refused() {
    let keys = ballot_keys();
    let n = 3 * BATCH + 10;
    let (honest, log_key) = election_bundle_proved(&keys, n, Proving::Trapdoor);
    for threads in [1, 2, 4] {
        honest.verify_with_threads(&log_key, threads).unwrap();
    }

    // The ballot in the middle of the third batch carries a valid proof of
    // another ballot's statement.
    let at = 2 * BATCH + BATCH / 2;
    let (forged, log_key) = election_bundle_proved(&keys, n, Proving::TrapdoorForgedAt(at));
    // The ballots are the n entries before the close, the two partial
    // decryptions and the tally.
    let entries = &forged.evidence.entries;
    let first_ballot = entries.len() - 4 - n;
    let index = entries[first_ballot + at].index;
    for threads in [1, 2, 4] {
        let refusal = forged
            .verify_with_threads(&log_key, threads)
            .unwrap_err()
            .to_string();
        assert!(
            refusal.contains(&format!(
                "the proofs of the ballots logged at [{index}] do not verify"
            )),
            "{threads} thread(s): {refusal}"
        );
    }
}
