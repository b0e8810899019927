//! The witness loop: asks every configured witness to cosign the latest
//! checkpoint (C2SP `tlog-witness` `add-checkpoint`), merges the
//! cosignatures into the stored checkpoint note, and serves it from then on.
//!
//! Writes never wait for witnesses: the loop runs beside the sequencer and
//! always works on the newest checkpoint, so under load it cosigns every few
//! batches rather than every one. A witness that is down or slow (each
//! request times out after [`REQUEST_TIMEOUT`]) only delays cosignatures:
//! failures are counted in `zkaudit_cosignatures_total{result="error"}`,
//! progress shows in `zkaudit_witness_cosigned_size`, and the loop retries
//! every [`RETRY_PAUSE`] until the witness answers again.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use zkaudit_ledger::merkle::SubtreeHashes;
use zkaudit_ledger::note::add_signature_lines;
use zkaudit_ledger::sequencer::Sequencer;
use zkaudit_ledger::witness::AddCheckpointRequest;

use crate::server::config::WitnessConfig;
use crate::server::metrics::Metrics;
use crate::witness::client::{WitnessClientError, request_cosignature};

const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const RETRY_PAUSE: Duration = Duration::from_secs(2);

/// Per-witness progress: the size the witness last cosigned (or told us).
struct WitnessProgress {
    config: WitnessConfig,
    known_size: u64,
}

/// Runs until the task is aborted.
pub async fn run(
    sequencer: Arc<Sequencer>,
    witnesses: Vec<WitnessConfig>,
    mut sizes: watch::Receiver<u64>,
    metrics: Metrics,
) {
    let mut progress: Vec<WitnessProgress> = witnesses
        .into_iter()
        .map(|config| WitnessProgress {
            config,
            known_size: 0,
        })
        .collect();
    loop {
        let size = sequencer.latest_checkpoint().size;
        let seq = sequencer.clone();
        let mut moved = std::mem::take(&mut progress);
        let metrics_now = metrics.clone();
        let all_done = tokio::task::spawn_blocking(move || {
            // Every witness is asked, even after one fails: no short-circuit.
            let results: Vec<bool> = moved
                .iter_mut()
                .map(|w| cosign_once(&seq, w, size, &metrics_now))
                .collect();
            let done = results.iter().all(|ok| *ok);
            (moved, done)
        })
        .await;
        let done = match all_done {
            Ok((back, done)) => {
                progress = back;
                done
            }
            Err(e) => {
                tracing::error!(error = %e, "witness task panicked");
                return;
            }
        };
        if done {
            if sizes.changed().await.is_err() {
                return;
            }
        } else {
            tokio::time::sleep(RETRY_PAUSE).await;
        }
    }
}

/// Brings one witness up to `size`. Returns false if it should be retried.
fn cosign_once(seq: &Sequencer, w: &mut WitnessProgress, size: u64, metrics: &Metrics) -> bool {
    if w.known_size == size && size > 0 {
        return true;
    }
    for _attempt in 0..2 {
        let Some(request) = build_request(seq, w.known_size, size) else {
            return false;
        };
        match request_cosignature(&w.config.url, &request, REQUEST_TIMEOUT) {
            Ok(lines) => {
                let merged = seq.store().checkpoint(size).ok().flatten().and_then(|cp| {
                    add_signature_lines(&cp.note, std::slice::from_ref(&lines)).ok()
                });
                let Some(note) = merged else {
                    tracing::warn!(witness = %w.config.url, "could not merge cosignature");
                    return false;
                };
                if let Err(e) = seq.store().update_checkpoint_note(size, &note) {
                    tracing::error!(error = %e, "storing cosigned checkpoint failed");
                    return false;
                }
                w.known_size = size;
                metrics
                    .witness_cosigned_size
                    .with_label_values(&[&w.config.url])
                    .set(i64::try_from(size).unwrap_or(i64::MAX));
                metrics
                    .cosignatures
                    .with_label_values(&[&w.config.url, "ok"])
                    .inc();
                return true;
            }
            Err(WitnessClientError::Conflict { witness_size }) if witness_size <= size => {
                // The witness knows another size (e.g. after our restart): retry from it.
                w.known_size = witness_size;
                metrics
                    .cosignatures
                    .with_label_values(&[&w.config.url, "conflict"])
                    .inc();
            }
            Err(e) => {
                tracing::warn!(witness = %w.config.url, error = %e, "witness refused or unreachable");
                metrics
                    .cosignatures
                    .with_label_values(&[&w.config.url, "error"])
                    .inc();
                return false;
            }
        }
    }
    false
}

fn build_request(seq: &Sequencer, old_size: u64, size: u64) -> Option<AddCheckpointRequest> {
    let checkpoint = seq.store().checkpoint(size).ok().flatten()?;
    let proof = seq
        .with_tree(|tree, _| tree.consistency_proof(old_size, size))
        .ok()?;
    Some(AddCheckpointRequest {
        old_size,
        consistency_proof: proof,
        checkpoint: checkpoint.note,
    })
}
