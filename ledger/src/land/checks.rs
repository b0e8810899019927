//! Offline checks: one parcel's whole history, replayed with the title
//! book's rules.

use ed25519_dalek::VerifyingKey;

use super::book::{Parcel, TitleBook};
use super::{LandError, LandResult, PARCEL_REGISTER};
use crate::record::{Author, Record};

/// Verifies, offline, one parcel's complete history: `events` (log index,
/// record) in log order must start with the parcel's registration by
/// `registrar` and continue with every later event, each signed by the
/// registrar and by the parties the rules require, each the next version
/// of the title and naming its predecessor. Returns the resulting title.
///
/// Inclusion of the records in the log is checked separately (see the
/// verifier's history bundles); this checks the chain of owners.
pub fn verify_history(
    parcel: &str,
    registrar: &VerifyingKey,
    events: &[(u64, Record)],
) -> LandResult<Parcel> {
    let Some((_, first)) = events.first() else {
        return Err(LandError::History("no events".into()));
    };
    if first.kind() != PARCEL_REGISTER {
        return Err(LandError::History(
            "the first event is not the registration".into(),
        ));
    }
    let mut book = TitleBook::new();
    let mut last_index = None;
    for (index, record) in events {
        if last_index.is_some_and(|last| *index <= last) {
            return Err(LandError::History("events are not in log order".into()));
        }
        last_index = Some(*index);
        let checked = book.check(record)?;
        if checked.parcel() != parcel {
            return Err(LandError::History(format!(
                "event at index {index} is for another parcel"
            )));
        }
        if record.author() != Author::Ed25519(*registrar) {
            return Err(LandError::NotRegistrar(parcel.to_owned()));
        }
        book.apply_checked(*index, record, checked);
    }
    book.get(parcel)
        .cloned()
        .ok_or_else(|| LandError::UnknownParcel(parcel.to_owned()))
}
