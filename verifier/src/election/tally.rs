//! An election's seal and tally: the log's commitment to exactly the
//! ballots the replay holds, and the decryption of the homomorphic sum of
//! exactly the counted ones (the last per voter), by the trustees whose
//! partial decryptions verify.

use zkaudit_circuits::threshold::ThresholdError;
use zkaudit_circuits::threshold::decrypt::{combine_tally, verify_tally};
use zkaudit_ledger::election::{Election, SealRecord, TallyRecord, all_partials};

use crate::Result;
use crate::error::{ensure, mismatch};

/// Checks the seal the log wrote when `e` closed, if any, against the
/// ballots this replay holds: a bundle that leaves out a logged ballot, or
/// adds one, gives another count or root. Returns it, checked.
pub(super) fn check_seal(e: &Election) -> Result<Option<&SealRecord>> {
    let Some(seal) = &e.seal else {
        return Ok(None);
    };
    let replayed = e.ballots_seal();
    ensure(replayed == *seal, || {
        format!(
            "the log sealed {} cast ballots ({} counted, root {}), the bundle holds {} ({} counted, root {}): a ballot is missing or added",
            seal.cast,
            seal.counted,
            hex::encode(seal.ballots_root),
            replayed.cast,
            replayed.counted,
            hex::encode(replayed.ballots_root)
        )
    })?;
    Ok(Some(seal))
}

/// Checks the tally `e` logged, if any: that it counts exactly the counted
/// ballots, that its counts are the proven decryption of their sum, and
/// that it names the trustees the decryptions support. Returns it, checked.
pub(super) fn check_tally(e: &Election) -> Result<Option<&TallyRecord>> {
    let Some(tally) = &e.tally else {
        return Ok(None);
    };
    let spec = &e.spec;
    ensure(tally.ballots == e.counted_len() as u64, || {
        format!(
            "the tally counts {} ballots, the log holds {} that count (the last per voter)",
            tally.ballots,
            e.counted_len()
        )
    })?;
    let params = spec.params().map_err(|err| mismatch(err.to_string()))?;
    let keys = e
        .verification_keys()
        .map_err(|err| mismatch(err.to_string()))?;
    let sums = e.aggregate();
    let partials = all_partials(e);
    let threshold = |err: ThresholdError| mismatch(format!("tally: {err}"));
    verify_tally(
        &spec.context(),
        &params,
        &keys,
        &sums,
        &partials,
        &tally.counts,
    )
    .map_err(threshold)?;
    let combined =
        combine_tally(&spec.context(), &params, &keys, &sums, &partials).map_err(threshold)?;
    let mut bad: Vec<u32> = combined.rejected.iter().map(|r| r.trustee).collect();
    bad.sort_unstable();
    bad.dedup();
    ensure(combined.used == tally.used && bad == tally.rejected, || {
        "the tally names other trustees than the decryptions support".into()
    })?;
    Ok(Some(tally))
}
