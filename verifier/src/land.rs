//! Parcel histories: every event of one land title, each with an inclusion
//! proof against one signed checkpoint, checkable offline.
//!
//! The events are [`LogEntry`]s, as in every kind of evidence (the list is
//! called `events` here). [`HistoryBundle::verify`] checks the checkpoint's
//! signature, each record's inclusion under it, and then — with
//! [`zkaudit_ledger::land::verify_history`], the same rules the service
//! enforces — that the chain of owners is unbroken: registered by the
//! registrar, every later event the next version naming its predecessor,
//! signed by the registrar and by the owner and counterparty.

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use zkaudit_ledger::land::{self, Parcel};
use zkaudit_ledger::note::Checkpoint;
use zkaudit_ledger::record::Record;

use crate::error::expect_format;
use crate::evidence::{LogEntry, Order, VerifiedEvidence, proofs_by_index};
use crate::log::open_checkpoint_of;
use crate::{Result, VerifyError};

/// Format tag of history bundles.
pub const HISTORY_FORMAT: &str = "zkaudit-land-history/v1";

/// A parcel's history as the service returns it (JSON).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HistoryBundle {
    /// Always [`HISTORY_FORMAT`].
    pub format: String,
    /// The log's origin.
    pub origin: String,
    /// The parcel.
    pub parcel: String,
    /// The signed checkpoint every proof is against (signed-note text).
    pub checkpoint: String,
    /// Every event, registration first, in log order, with inclusion
    /// proofs against `checkpoint`.
    pub events: Vec<LogEntry>,
}

/// What a verified history establishes.
#[derive(Clone, Debug)]
pub struct VerifiedHistory {
    /// The title after the last event.
    pub parcel: Parcel,
    /// The events, decoded, with their log indices.
    pub events: Vec<(u64, Record)>,
    /// The checkpoint they are included in, signature-checked.
    pub checkpoint: Checkpoint,
}

impl HistoryBundle {
    /// Checks the bundle against the log's signed-note verifier key and the
    /// land registrar's key.
    pub fn verify(&self, log_vkey: &str, registrar: &VerifyingKey) -> Result<VerifiedHistory> {
        expect_format(&self.format, HISTORY_FORMAT)?;
        let checkpoint =
            open_checkpoint_of(self.checkpoint.as_bytes(), log_vkey, &self.origin, "bundle")?;
        // Order is the title rules' to check (`verify_history`).
        let evidence =
            VerifiedEvidence::check(checkpoint, log_vkey, &self.events, Order::AsListed)?;
        let parcel = land::verify_history(&self.parcel, registrar, &evidence.entries)
            .map_err(|e| VerifyError::Mismatch(format!("title history: {e}")))?;
        Ok(VerifiedHistory {
            parcel,
            events: evidence.entries,
            checkpoint: evidence.checkpoint,
        })
    }
}

/// The parcel of a verified history as an ISO 19152 LADM document
/// ([`zkaudit_ledger::land::ladm`]), every right, restriction and source
/// with its log evidence from `bundle` (inclusion proofs against the
/// bundle's checkpoint, which the document carries).
pub fn history_ladm(
    bundle: &HistoryBundle,
    verified: &VerifiedHistory,
) -> std::result::Result<serde_json::Value, zkaudit_ledger::land::LandError> {
    let proofs = proofs_by_index(&bundle.events);
    let evidence = zkaudit_ledger::export::LogEvidence {
        checkpoint: &bundle.checkpoint,
        proofs: &proofs,
    };
    land::ladm::parcel_document(
        &bundle.parcel,
        &verified.parcel.registrar,
        &verified.events,
        Some(evidence),
    )
}
