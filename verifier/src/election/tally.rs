//! An election's tally: the decryption of the homomorphic sum of exactly
//! the counted ballots, by the trustees whose partial decryptions verify.

use zkaudit_circuits::threshold::ThresholdError;
use zkaudit_circuits::threshold::decrypt::{combine_tally, verify_tally};
use zkaudit_ledger::election::{Election, TallyRecord, all_partials};

use crate::Result;
use crate::error::{ensure, mismatch};

/// Checks the tally `e` logged, if any: that it counts exactly the counted
/// ballots, that its counts are the proven decryption of their sum, and
/// that it names the trustees the decryptions support. Returns it, checked.
pub(super) fn check_tally(e: &Election) -> Result<Option<&TallyRecord>> {
    let Some(tally) = &e.tally else {
        return Ok(None);
    };
    let spec = &e.spec;
    ensure(tally.ballots == e.ballots.len() as u64, || {
        format!(
            "the tally counts {} ballots, the log holds {} valid ones",
            tally.ballots,
            e.ballots.len()
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
