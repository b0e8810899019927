//! The health domain's serde view types.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zkaudit_verifier::health::Extract;

/// A lot's current state.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct LotView {
    /// Lot number.
    pub lot: String,
    /// Product code.
    pub product: String,
    /// Registered quantity.
    pub quantity: u64,
    /// Expiry, Unix ms.
    pub expiry_ms: u64,
    /// Manufacturer's key, hex.
    pub manufacturer: String,
    /// Log index of the registration.
    pub registered_index: u64,
    /// Doses held, by holder key (hex).
    pub holdings: std::collections::BTreeMap<String, u64>,
    /// Doses administered, by site key (hex).
    pub administered: std::collections::BTreeMap<String, u64>,
    /// Events (registration, transfers, administrations).
    pub events: u64,
}

pub(super) fn lot_view(l: &zkaudit_ledger::health::LotState) -> LotView {
    let hexed = |m: &std::collections::BTreeMap<[u8; 32], u64>| {
        m.iter()
            .filter(|(_, q)| **q > 0)
            .map(|(k, q)| (hex::encode(k), *q))
            .collect()
    };
    LotView {
        lot: l.spec.lot.clone(),
        product: l.spec.product.clone(),
        quantity: l.spec.quantity,
        expiry_ms: l.spec.expiry_ms,
        manufacturer: hex::encode(l.manufacturer.as_bytes()),
        registered_index: l.registered_index,
        holdings: hexed(&l.holdings),
        administered: hexed(&l.administered),
        events: l.events,
    }
}

/// The result of the server's own check of an extract (clients re-check).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct CheckView {
    /// Whether every rule held.
    pub ok: bool,
    /// The first failure, with the log index it happened at.
    pub error: Option<String>,
}

/// `GET /v1/health/lots/{lot}/trace`.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct TraceView {
    /// The lot.
    pub lot: String,
    /// Every record about the lot, with inclusion proofs.
    pub extract: Extract,
    /// The server's check of the chain.
    pub check: CheckView,
    /// The lot's state after the chain, when the check passed.
    pub state: Option<LotView>,
}

/// One access in `GET /v1/health/patients/{patient}/access-log`.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct AccessView {
    /// Log index of the access record.
    pub index: u64,
    /// Record id.
    pub record: String,
    /// Version read.
    pub version: u32,
    /// Who read it.
    pub accessor: String,
    /// Purpose given.
    pub purpose: String,
    /// When, Unix ms.
    pub at_ms: u64,
    /// The consent that covered it.
    pub consent: Option<String>,
    /// Why it is flagged (no valid consent at that time).
    pub flagged: Option<String>,
}

/// `GET /v1/health/patients/{patient}/access-log`.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct AccessLogView {
    /// The patient's key, hex.
    pub patient: String,
    /// Every record about the patient (commits, consents, accesses), with inclusion proofs.
    pub extract: Extract,
    /// The server's check of the entries.
    pub check: CheckView,
    /// Every access, with its verdict.
    pub accesses: Vec<AccessView>,
}

/// `GET /v1/health/flagged`: log indices of accesses flagged when logged.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct FlaggedView {
    /// Log indices of `health/access` records logged without a valid consent.
    pub indices: Vec<u64>,
}
