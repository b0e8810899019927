//! The land domain's serde view types.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zkaudit_ledger::codec::fr_from_bytes;
use zkaudit_ledger::identity::RegistryBook;
use zkaudit_ledger::land::Parcel;

use crate::server::state::AppState;

/// An active lien as served.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct LienView {
    /// Lien id: record id of its `lien.register` event, hex.
    pub id: String,
    /// Lienholder's Ed25519 key, hex.
    pub holder_key: String,
    /// Secured amount.
    pub amount: u64,
    /// Log index of its registration.
    pub index: u64,
}

/// A parcel's current title as served.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ParcelView {
    /// Parcel id.
    pub parcel: String,
    /// District code.
    pub district: u64,
    /// Area, m².
    pub area_m2: u64,
    /// Deed document digests, hex.
    pub documents: Vec<String>,
    /// The title registry holding the owner's credential.
    pub title_registry: String,
    /// Registrar's Ed25519 key, hex.
    pub registrar_key: String,
    /// Registrar's authority name.
    pub registrar: Option<String>,
    /// Current owner's Ed25519 key, hex.
    pub owner_key: String,
    /// Current owner's identity commitment (decimal).
    pub owner_commitment: String,
    /// Log index of the event that made them the owner.
    pub owner_since_index: u64,
    /// Its time, Unix ms.
    pub owner_since_ms: u64,
    /// Title version (0 after registration); the next event's terms use version + 1.
    pub version: u64,
    /// Record id of the latest event, hex (the next event's terms name it).
    pub head: String,
    /// Active liens.
    pub liens: Vec<LienView>,
    /// Log indices of every event, registration first.
    pub events: Vec<u64>,
    /// Leaf index of the owner's credential in the title registry (a transfer revokes it).
    pub owner_leaf: Option<u64>,
}

pub(super) fn parcel_view(state: &AppState, book: &RegistryBook, p: &Parcel) -> ParcelView {
    let owner_leaf = p.credential_leaf().ok().and_then(|leaf| {
        let registry = book.get(&p.registration.title_registry)?;
        registry
            .leaves()
            .iter()
            .rposition(|l| *l == leaf)
            .map(|i| i as u64)
    });
    ParcelView {
        parcel: p.registration.parcel.clone(),
        district: p.registration.district,
        area_m2: p.registration.area_m2,
        documents: p.registration.documents.iter().map(hex::encode).collect(),
        title_registry: p.registration.title_registry.clone(),
        registrar_key: hex::encode(p.registrar.as_bytes()),
        registrar: state
            .authorities()
            .by_key(&p.registrar)
            .map(|a| a.name.clone()),
        owner_key: hex::encode(p.owner.as_bytes()),
        owner_commitment: fr_from_bytes("commitment", &p.owner_commitment)
            .map(|f| f.to_string())
            .unwrap_or_default(),
        owner_since_index: p.owner_since_index,
        owner_since_ms: p.owner_since_ms,
        version: p.version,
        head: hex::encode(p.head),
        liens: p
            .liens
            .iter()
            .map(|l| LienView {
                id: hex::encode(l.id),
                holder_key: hex::encode(l.holder.as_bytes()),
                amount: l.amount,
                index: l.index,
            })
            .collect(),
        events: p.events.clone(),
        owner_leaf,
    }
}
