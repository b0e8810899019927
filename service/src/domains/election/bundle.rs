//! An election's bundle: every record of the election and what a verifier
//! needs to check them offline, with inclusion proofs against one
//! checkpoint (see [`ElectionBundle`]).

use std::collections::BTreeMap;

use zkaudit_ledger::codec::fr_to_bytes;
use zkaudit_ledger::election::{CastBallot, Election};
use zkaudit_ledger::identity::{Registry, RegistryRoot};
use zkaudit_ledger::record::Record;
use zkaudit_verifier::election::{ELECTION_BUNDLE_FORMAT, ElectionBundle};

use super::ElectionDomain;
use crate::domains::identity::registry_roots_topic;
use crate::server::error::{ApiError, ApiResult};
use crate::server::log_access::{authority_set_before, build_evidence, read_entries, topic_before};
use crate::server::state::AppState;

/// The bundle of election `e`: its records; its registry's creation and
/// the authority set in force then; the ballot circuit's logged key; the
/// registry's root loggings its ballots need ([`root_loggings`]); the
/// authority set in force at the election's creation. Blocking: reads the
/// store.
pub(super) fn election_bundle(
    state: &AppState,
    domain: &ElectionDomain,
    e: &Election,
) -> ApiResult<ElectionBundle> {
    let mut indices = e.records.clone();
    let (registry_created_at, from) = domain.identity().with_book(state, |registries| {
        let registry = registries.get(&e.spec.registry).ok_or_else(|| {
            ApiError::internal("the election's registry is not in the registry book")
        })?;
        indices.push(registry.created_at);
        // A v3 election has no ballot circuit before its joint key.
        let shape = e.ballot_shape(registry.spec.depth as usize)?;
        if let Some((_, index)) = shape.and_then(|shape| registries.circuit_key(&shape.id())) {
            indices.push(*index);
        }
        // Each root's latest logging, for a log whose root records predate
        // the roots topic.
        for counted in &e.ballots {
            if let Some(index) = registry.root_record(&counted.ballot.root) {
                indices.push(index);
            }
        }
        Ok((
            registry.created_at,
            earliest_in_history(registry, &e.ballots),
        ))
    })?;
    // Who may create registries then: the verifier checks its creator.
    indices.push(authority_set_before(state, registry_created_at)?);
    indices.extend(root_loggings(state, &e.spec.registry, &e.ballots, from)?);
    indices.push(authority_set_before(state, e.created_at)?);
    Ok(ElectionBundle {
        format: ELECTION_BUNDLE_FORMAT.to_owned(),
        election: e.spec.id.clone(),
        evidence: build_evidence(state, indices)?,
    })
}

/// The earliest of the ballots' roots' latest loggings before their
/// ballots, if the registry's in-memory history (its last
/// [`ROOT_HISTORY`](zkaudit_ledger::identity::ROOT_HISTORY) loggings)
/// holds one for every ballot: where [`root_loggings`] may start reading.
/// Any logging after one in the history is in the history too, so no
/// logging the bundle needs comes before it.
fn earliest_in_history(registry: &Registry, ballots: &[CastBallot]) -> Option<u64> {
    let loggings = by_root(
        registry
            .logged_roots()
            .map(|logged| (fr_to_bytes(&logged.root), logged.record_index)),
    );
    ballots
        .iter()
        .map(|b| latest_before(loggings.get(&b.ballot.root)?, b.index))
        .try_fold(u64::MAX, |earliest, at| Some(earliest.min(at?)))
}

/// Root loggings `(root, log index)`, in log order, grouped by root.
fn by_root(loggings: impl IntoIterator<Item = ([u8; 32], u64)>) -> BTreeMap<[u8; 32], Vec<u64>> {
    let mut by_root: BTreeMap<[u8; 32], Vec<u64>> = BTreeMap::new();
    for (root, index) in loggings {
        by_root.entry(root).or_default().push(index);
    }
    by_root
}

/// The last of `indices` (ascending) below `index`.
fn latest_before(indices: &[u64], index: u64) -> Option<u64> {
    let before = indices.partition_point(|&i| i < index);
    before.checked_sub(1).map(|at| indices[at])
}

/// The `registry.root` entries a verifier needs to judge each ballot's
/// root against the registry's window: every logging of the registry's
/// roots from the earliest of the ballots' roots' latest loggings before
/// their ballots, up to the last ballot. Only loggings from `from` on are
/// read, if given ([`earliest_in_history`]). Blocking: reads the store.
fn root_loggings(
    state: &AppState,
    registry: &str,
    ballots: &[CastBallot],
    from: Option<u64>,
) -> ApiResult<Vec<u64>> {
    let Some(last) = ballots.iter().map(|b| b.index).max() else {
        return Ok(Vec::new());
    };
    let mut indices = topic_before(state, &registry_roots_topic(registry), last)?;
    indices.retain(|&i| i >= from.unwrap_or(0));
    let loggings = by_root(
        read_entries(state, &indices)?
            .into_iter()
            .map(|entry| {
                let record = Record::decode(&entry.leaf).map_err(ApiError::internal)?;
                let logged = RegistryRoot::decode(record.payload()).map_err(ApiError::internal)?;
                Ok((logged.root, entry.index))
            })
            .collect::<ApiResult<Vec<_>>>()?,
    );
    let earliest = ballots
        .iter()
        .filter_map(|b| latest_before(loggings.get(&b.ballot.root)?, b.index))
        .min()
        .unwrap_or(last);
    Ok(indices.into_iter().filter(|&i| i >= earliest).collect())
}
