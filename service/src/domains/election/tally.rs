//! The tally: per-option homomorphic sums of the counted ballots (in
//! parallel), the trustees' verified partial decryptions combined, and the
//! counts by a discrete log bounded by the number of ballots times the
//! most points a ballot gives an option.

use rayon::prelude::*;
use zkaudit_circuits::elgamal::{Ciphertext, sum_ballots};
use zkaudit_circuits::threshold::decrypt::decrypt_tally;
use zkaudit_circuits::threshold::dlog::DlogTable;
use zkaudit_ledger::election::{Election, ElectionError, TallyRecord, all_partials};

/// Ballots per parallel chunk of the homomorphic sum.
const CHUNK: usize = 4096;

/// The per-option sums of `election`'s counted ballots (the last per
/// voter), in parallel.
pub fn aggregate(election: &Election) -> Vec<Ciphertext> {
    let counted: Vec<&[Ciphertext]> = election
        .counted()
        .map(|b| b.ballot.ciphertexts.as_slice())
        .collect();
    sum_in_parallel(&counted, election.spec.option_count())
}

/// The per-option sums of `ballots` (each one ciphertext per option), in
/// parallel chunks of 4,096 ballots.
///
/// # Panics
///
/// If a ballot has another number of ciphertexts (the book admits none).
pub fn sum_in_parallel(ballots: &[&[Ciphertext]], options: usize) -> Vec<Ciphertext> {
    let partial_sums: Vec<Vec<Ciphertext>> = ballots
        .par_chunks(CHUNK)
        .map(|chunk| {
            sum_ballots(chunk, options).expect("counted ballots have one ciphertext per option")
        })
        .collect();
    sum_ballots(&partial_sums, options).expect("partial sums have one ciphertext per option")
}

/// The tally record for a closed election with at least `k` partial
/// decryptions: trustees whose proofs fail are listed as rejected and
/// skipped.
pub fn tally(election: &Election) -> Result<TallyRecord, ElectionError> {
    let crypto = |e: zkaudit_circuits::threshold::ThresholdError| ElectionError::InvalidCrypto {
        what: "tally",
        reason: e.to_string(),
    };
    let params = election.spec.params()?;
    let sums = aggregate(election);
    let ballots = election.counted_len() as u64;
    // An option's count is at most its contest's limit per ballot.
    let table = DlogTable::new(ballots * election.spec.max_points()).map_err(crypto)?;
    let result = decrypt_tally(
        &election.spec.context(),
        &params,
        &election.verification_keys()?,
        &sums,
        &all_partials(election),
        &table,
    )
    .map_err(crypto)?;
    let mut rejected: Vec<u32> = result.rejected.iter().map(|r| r.trustee).collect();
    rejected.sort_unstable();
    rejected.dedup();
    Ok(TallyRecord {
        election: election.spec.id.clone(),
        ballots,
        counts: result.counts,
        used: result.used,
        rejected,
    })
}
