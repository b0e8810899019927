//! Reading the log for the API: entries, receipts, and entries with
//! inclusion proofs against one checkpoint (the evidence every bundle is
//! made of).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use zkaudit_ledger::record::Record;
use zkaudit_ledger::store::StoredEntry;
use zkaudit_verifier::{LogEntry, LogEvidence, RECEIPT_FORMAT, Receipt};

use crate::server::blocking::blocking;
use crate::server::error::{ApiError, ApiResult};
use crate::server::state::{Accepted, AppState};

/// Builds the receipt for an accepted record.
pub fn receipt(state: &AppState, record: &Record, accepted: Accepted) -> ApiResult<Receipt> {
    let checkpoint = accepted.checkpoint;
    let proof = state
        .sequencer()
        .with_tree(|tree, _| tree.inclusion_proof(accepted.index, checkpoint.size))
        .map_err(ApiError::internal)?;
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
    let (checkpoint, proofs) = state.sequencer().with_tree(|tree, latest| {
        let proofs = indices
            .iter()
            .map(|&index| {
                if index >= latest.size {
                    return Err(ApiError::not_found(format!(
                        "no entry {index}; the log has {}",
                        latest.size
                    )));
                }
                tree.inclusion_proof(index, latest.size)
                    .map_err(ApiError::internal)
            })
            .collect::<ApiResult<Vec<_>>>()?;
        Ok::<_, ApiError>((latest.clone(), proofs))
    })?;
    let mut leaves = Vec::with_capacity(indices.len());
    state
        .sequencer()
        .store()
        .with_reader(&mut |r| {
            leaves.clear();
            for &index in &indices {
                let entry = r.entries(index, index + 1)?.pop();
                leaves.push(entry.map(|e| e.leaf));
            }
            Ok(())
        })
        .map_err(ApiError::internal)?;
    let entries = indices
        .iter()
        .zip(leaves)
        .zip(proofs)
        .map(|((&index, leaf), proof)| {
            let leaf = leaf.ok_or_else(|| ApiError::internal("checkpointed entry missing"))?;
            Ok(LogEntry::new(index, &leaf, &proof))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(LogEvidence::new(
        String::from_utf8_lossy(&checkpoint.note).into_owned(),
        entries,
    ))
}
