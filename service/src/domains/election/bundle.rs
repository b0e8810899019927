//! An election's bundle: every record of the election and what a verifier
//! needs to check them offline, with inclusion proofs against one
//! checkpoint (see [`ElectionBundle`]).

use std::collections::BTreeMap;

use zkaudit_ledger::election::{CastBallot, Election};
use zkaudit_ledger::identity::RegistryRoot;
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
    domain.identity().with_book(state, |registries| {
        let registry = registries.get(&e.spec.registry).ok_or_else(|| {
            ApiError::internal("the election's registry is not in the registry book")
        })?;
        indices.push(registry.created_at);
        // Who may create registries then: the verifier checks its creator.
        indices.push(authority_set_before(state, registry.created_at)?);
        let shape = ElectionDomain::shape_of(registries, &e.spec)?;
        if let Some((_, index)) = registries.circuit_key(&shape.id()) {
            indices.push(*index);
        }
        // Each root's latest logging, for a log whose root records predate
        // the roots topic.
        for counted in &e.ballots {
            if let Some(index) = registry.root_record(&counted.ballot.root) {
                indices.push(index);
            }
        }
        Ok(())
    })?;
    indices.extend(root_loggings(state, &e.spec.registry, &e.ballots)?);
    indices.push(authority_set_before(state, e.created_at)?);
    Ok(ElectionBundle {
        format: ELECTION_BUNDLE_FORMAT.to_owned(),
        election: e.spec.id.clone(),
        evidence: build_evidence(state, indices)?,
    })
}

/// The `registry.root` entries a verifier needs to judge each ballot's
/// root against the registry's window: every logging of the registry's
/// roots from the earliest of the ballots' roots' latest loggings before
/// their ballots, up to the last ballot. Blocking: reads the store.
fn root_loggings(state: &AppState, registry: &str, ballots: &[CastBallot]) -> ApiResult<Vec<u64>> {
    let Some(last) = ballots.iter().map(|b| b.index).max() else {
        return Ok(Vec::new());
    };
    let indices = topic_before(state, &registry_roots_topic(registry), last)?;
    let mut loggings: BTreeMap<[u8; 32], Vec<u64>> = BTreeMap::new();
    for entry in read_entries(state, &indices)? {
        let record = Record::decode(&entry.leaf).map_err(ApiError::internal)?;
        let logged = RegistryRoot::decode(record.payload()).map_err(ApiError::internal)?;
        loggings.entry(logged.root).or_default().push(entry.index);
    }
    let earliest = ballots
        .iter()
        .filter_map(|b| {
            let of_root = loggings.get(&b.ballot.root)?;
            let before = of_root.partition_point(|&i| i < b.index);
            before.checked_sub(1).map(|at| of_root[at])
        })
        .min()
        .unwrap_or(last);
    Ok(indices.into_iter().filter(|&i| i >= earliest).collect())
}
