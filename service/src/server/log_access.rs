//! Reading the log for the API: entries, receipts, and entries with
//! inclusion proofs against one checkpoint (the evidence every bundle is
//! made of).

use axum::Json;
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use zkaudit_ledger::merkle::SubtreeHashes;
use zkaudit_ledger::record::{Record, RecordError};
use zkaudit_ledger::store::{StoredCheckpoint, StoredEntry};
use zkaudit_verifier::{LogEntry, LogEvidence, RECEIPT_FORMAT, Receipt};

use crate::server::blocking::blocking;
use crate::server::error::{ApiError, ApiResult};
use crate::server::state::{Accepted, AppState};

/// A submitted record from its base64 encoding: `400` with the code
/// `malformed_record`, `bad_signature` or `refused_key` if it does not
/// decode, or its signature or author key is refused.
pub fn decode_record(base64: &str) -> ApiResult<Record> {
    let bytes = BASE64.decode(base64.as_bytes()).map_err(|e| {
        ApiError::bad_request("malformed_record", format!("record is not base64: {e}"))
    })?;
    Record::decode(&bytes).map_err(|e| {
        let code = match e {
            RecordError::BadSignature | RecordError::SignatureMismatch => "bad_signature",
            RecordError::InvalidAuthorKey(_) => "refused_key",
            _ => "malformed_record",
        };
        ApiError::bad_request(code, e.to_string())
    })
}

/// Builds the receipt for an accepted record.
pub fn receipt(state: &AppState, record: &Record, accepted: Accepted) -> ApiResult<Receipt> {
    let record = accepted.logged.as_ref().unwrap_or(record);
    let checkpoint = accepted.checkpoint;
    let proof = accepted.inclusion_proof;
    Ok(Receipt {
        format: RECEIPT_FORMAT.to_owned(),
        origin: state.sequencer().origin().to_owned(),
        index: accepted.index,
        record_id: hex::encode(record.id()),
        record: BASE64.encode(record.encode()),
        inclusion_proof: proof.iter().map(hex::encode).collect(),
        checkpoint: String::from_utf8_lossy(&checkpoint.note).into_owned(),
        duplicate: accepted.duplicate,
    })
}

/// The answer to an accepted submission: `201 Created` with the receipt,
/// or `200 OK` with the existing entry's receipt for a resubmission.
pub fn receipt_answer(
    state: &AppState,
    record: &Record,
    accepted: Accepted,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    let status = if accepted.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(receipt(state, record, accepted)?)))
}

/// Loads one committed entry (404 past the latest checkpoint).
pub async fn load_entry(state: &AppState, index: u64) -> ApiResult<StoredEntry> {
    let size = state.sequencer().latest_checkpoint().size;
    if index >= size {
        return Err(ApiError::not_found(format!(
            "no entry {index}; the log has {size}"
        )));
    }
    let state = state.clone();
    let mut entries = blocking(move || {
        let mut out = Vec::new();
        state.sequencer().store().with_reader(&mut |r| {
            out = r.entries(index, index + 1)?;
            Ok(())
        })?;
        Ok(out)
    })
    .await?;
    entries
        .pop()
        .ok_or_else(|| ApiError::not_found(format!("no entry {index}")))
}

/// The records at `indices` (deduplicated, sorted) with inclusion proofs
/// against the latest checkpoint. Blocking: reads the store.
pub fn build_evidence(state: &AppState, mut indices: Vec<u64>) -> ApiResult<LogEvidence> {
    indices.sort_unstable();
    indices.dedup();
    let checkpoint = state.sequencer().latest_checkpoint();
    if let Some(&index) = indices.iter().find(|&&i| i >= checkpoint.size) {
        return Err(ApiError::not_found(format!(
            "no entry {index}; the log has {}",
            checkpoint.size
        )));
    }
    let entries = read_entries(state, &indices)?;
    Ok(LogEvidence::new(
        String::from_utf8_lossy(&checkpoint.note).into_owned(),
        prove_entries(state, &checkpoint, &entries)?,
    ))
}

/// The stored entries at `indices`, in that order. Blocking: reads the store.
pub fn read_entries(state: &AppState, indices: &[u64]) -> ApiResult<Vec<StoredEntry>> {
    let mut entries = Vec::with_capacity(indices.len());
    state
        .sequencer()
        .store()
        .with_reader(&mut |r| {
            entries.clear();
            for &index in indices {
                entries.extend(r.entries(index, index + 1)?);
            }
            Ok(())
        })
        .map_err(ApiError::internal)?;
    if entries.len() != indices.len() {
        return Err(ApiError::internal("checkpointed entry missing"));
    }
    Ok(entries)
}

/// `entries` with their inclusion proofs against `checkpoint`, which must
/// cover them: what every bundle's evidence is made of.
pub fn prove_entries(
    state: &AppState,
    checkpoint: &StoredCheckpoint,
    entries: &[StoredEntry],
) -> ApiResult<Vec<LogEntry>> {
    state.sequencer().with_tree(|tree, _| {
        entries
            .iter()
            .map(|entry| {
                let proof = tree.inclusion_proof(entry.index, checkpoint.size)?;
                Ok(LogEntry::new(entry.index, &entry.leaf, &proof))
            })
            .collect()
    })
}

/// Index of the last `ledger/authority-set` record logged before `before`.
pub fn authority_set_before(state: &AppState, before: u64) -> ApiResult<u64> {
    topic_before(state, b"ledger/authority-set", before)?
        .last()
        .copied()
        .ok_or_else(|| ApiError::internal("no authority set was logged before the registry"))
}

/// The indices of the entries tagged `topic` before index `before`, in log
/// order. Blocking: reads the store.
pub fn topic_before(state: &AppState, topic: &[u8], before: u64) -> ApiResult<Vec<u64>> {
    const PAGE: usize = 1000;
    let store = state.sequencer().store();
    let (mut indices, mut after) = (Vec::new(), 0);
    loop {
        let page = store
            .topic(topic, after, PAGE)
            .map_err(ApiError::internal)?;
        indices.extend(page.iter().copied().take_while(|&i| i < before));
        match page.last() {
            Some(&end) if end < before && page.len() == PAGE => after = end + 1,
            _ => return Ok(indices),
        }
    }
}
