//! Extracts: every entry under a topic with inclusion proofs against the
//! latest checkpoint, for offline checking.

use zkaudit_ledger::record::Record;
use zkaudit_ledger::store::{StoredCheckpoint, StoredEntry};
use zkaudit_verifier::health::{Extract, MAX_EXTRACT_ENTRIES};

use super::lot_topic;
use crate::server::error::{ApiError, ApiResult};
use crate::server::log_access::{prove_entries, read_entries};
use crate::server::state::AppState;

/// A lot's chain of custody as an [`Extract`] against the latest
/// checkpoint (what `GET /v1/health/lots/{lot}/trace` serves). Blocking.
pub fn lot_extract(state: &AppState, lot: &str) -> ApiResult<Extract> {
    Ok(extract(state, &lot_topic(lot))?.0)
}

/// Builds an extract of the entries under `topic`, with inclusion proofs
/// against the latest checkpoint. Blocking.
pub(super) fn extract(state: &AppState, topic: &[u8]) -> ApiResult<(Extract, Vec<(u64, Record)>)> {
    let TopicEntries {
        checkpoint,
        stored,
        records,
    } = topic_entries(state, topic)?;
    let entries = prove_entries(state, &checkpoint, &stored)?;
    Ok((
        Extract::new(
            String::from_utf8_lossy(&checkpoint.note).into_owned(),
            entries,
        ),
        records,
    ))
}

/// The records under `topic` up to the latest checkpoint, decoded, without
/// proofs (what a page shows; [`extract`] proves them). Blocking.
pub(super) fn topic_records(state: &AppState, topic: &[u8]) -> ApiResult<Vec<(u64, Record)>> {
    Ok(topic_entries(state, topic)?.records)
}

/// The latest checkpoint, and the entries under a topic up to it.
struct TopicEntries {
    checkpoint: StoredCheckpoint,
    /// As stored.
    stored: Vec<StoredEntry>,
    /// Decoded, with their indices.
    records: Vec<(u64, Record)>,
}

fn topic_entries(state: &AppState, topic: &[u8]) -> ApiResult<TopicEntries> {
    let checkpoint = state.sequencer().latest_checkpoint();
    let mut indices = Vec::new();
    loop {
        let after = indices.last().map_or(0, |&i: &u64| i + 1);
        let page = state
            .sequencer()
            .store()
            .topic(topic, after, 4096)
            .map_err(ApiError::internal)?;
        let done = page.len() < 4096;
        indices.extend(page.into_iter().filter(|&i| i < checkpoint.size));
        if indices.len() > MAX_EXTRACT_ENTRIES {
            return Err(ApiError::unprocessable(
                "too_many_entries",
                format!("more than {MAX_EXTRACT_ENTRIES} entries"),
            ));
        }
        if done || indices.last().is_some_and(|&i| i + 1 >= checkpoint.size) {
            break;
        }
    }
    let stored = read_entries(state, &indices)?;
    let records = stored
        .iter()
        .map(|e| {
            Ok((
                e.index,
                Record::decode(&e.leaf).map_err(ApiError::internal)?,
            ))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(TopicEntries {
        checkpoint,
        stored,
        records,
    })
}
