//! The ceremony domain's serde view types.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zkaudit_ledger::ceremony::{Ceremony, LoggedStep};

use crate::server::state::AppState;

/// One step (a contribution or the beacon) as served.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct StepView {
    /// The step's number, from 1.
    pub number: u32,
    /// The name recorded in the key.
    pub name: String,
    /// The signer's Ed25519 key, hex (the contributor; the coordinator for the beacon).
    pub signer_key: String,
    /// SHA3-256 of the key it extends, hex.
    pub previous_key: String,
    /// SHA3-256 of the key it made, hex (`GET /v1/ceremony/keys/{it}`).
    pub key: String,
    /// The contribution hash snarkjs prints, hex.
    pub contribution_hash: String,
    /// Log index of its record.
    pub index: u64,
}

/// The final beacon as served.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BeaconView {
    /// The beacon step.
    pub step: StepView,
    /// The beacon value, hex.
    pub beacon: String,
    /// SHA-256 iterated 2^this times.
    pub iterations_exp: u8,
    /// SHA3-256 of the final verifying key, hex: the shape's circuit key.
    pub vk_digest: String,
}

/// A ceremony as served.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CeremonyView {
    /// Ceremony id.
    pub id: String,
    /// The circuit shape whose keys it makes.
    pub shape: String,
    /// `open` or `final`.
    pub status: String,
    /// The phase-1 file's name (`GET /v1/ceremony/phase1/{it}`).
    pub phase1_name: String,
    /// Its BLAKE2b-512, hex.
    pub phase1_blake2b: String,
    /// SHA3-256 of the initial key, hex.
    pub initial_key: String,
    /// The coordinator's Ed25519 key, hex.
    pub coordinator_key: String,
    /// The coordinator's authority name.
    pub coordinator: Option<String>,
    /// Log index of the start record.
    pub index: u64,
    /// Keys invited to contribute, hex; empty: anyone may.
    pub invited: Vec<String>,
    /// The contributions, in order.
    pub contributions: Vec<StepView>,
    /// The beacon, once finalised.
    pub beacon: Option<BeaconView>,
    /// SHA3-256 of the current key, hex: the next step extends it.
    pub head: String,
    /// The number the next step must carry.
    pub next_number: u32,
}

fn step_view(logged: &LoggedStep) -> StepView {
    StepView {
        number: logged.step.number,
        name: logged.step.name.clone(),
        signer_key: hex::encode(logged.signer.as_bytes()),
        previous_key: hex::encode(logged.step.previous_key),
        key: hex::encode(logged.step.key),
        contribution_hash: hex::encode(logged.step.contribution_hash),
        index: logged.index,
    }
}

/// The view of a ceremony.
pub fn ceremony_view(state: &AppState, c: &Ceremony) -> CeremonyView {
    let beacon = c.finalisation.as_ref().map(|(f, index)| BeaconView {
        step: step_view(&LoggedStep {
            step: f.step.clone(),
            signer: c.coordinator,
            index: *index,
        }),
        beacon: hex::encode(&f.beacon),
        iterations_exp: f.iterations_exp,
        vk_digest: hex::encode(f.vk_digest),
    });
    CeremonyView {
        id: c.start.id.clone(),
        shape: c.start.shape.clone(),
        status: if c.is_final() { "final" } else { "open" }.into(),
        phase1_name: c.start.phase1.name.clone(),
        phase1_blake2b: hex::encode(c.start.phase1.blake2b),
        initial_key: hex::encode(c.start.initial_key),
        coordinator_key: hex::encode(c.coordinator.as_bytes()),
        coordinator: state
            .authorities()
            .by_key(&c.coordinator)
            .map(|a| a.name.clone()),
        index: c.index,
        invited: c.start.contributors.iter().map(hex::encode).collect(),
        contributions: c.contributions.iter().map(step_view).collect(),
        beacon,
        head: hex::encode(c.head()),
        next_number: c.next_number(),
    }
}
