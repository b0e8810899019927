//! The cast ballots of an election bundle — superseded ones too, since the
//! log vouched for each: each on a root the log logged for the registry
//! before it, under the logged key, with a fresh nullifier unless the
//! election allows re-voting, and its proof valid (verified in batches).

use std::collections::{BTreeMap, HashSet};

use ark_bn254::{Bn254, Fr};
use ark_groth16::Proof;
use zkaudit_circuits::ballot::{BallotShape, public_inputs};
use zkaudit_ledger::election::{Election, ballot_statement};
use zkaudit_ledger::identity::CircuitKey;

use crate::error::{ensure, mismatch};
use crate::groth16::{self, PreparedKey};
use crate::{Result, VerifyError};

/// Ballot proofs verified per batch.
pub const BATCH: usize = 64;

/// Checks every ballot `e` holds against the logged `roots` of its
/// registry (root → log index) and the ballot circuit's logged `key`
/// (`prepared`), then verifies all their proofs, [`BATCH`] at a time.
pub(super) fn check_ballots(
    e: &Election,
    shape: BallotShape,
    key: &CircuitKey,
    prepared: &PreparedKey,
    roots: &BTreeMap<[u8; 32], u64>,
) -> Result<()> {
    let spec = &e.spec;
    let mut nullifiers = HashSet::new();
    let mut items: Vec<(Vec<Fr>, Proof<Bn254>)> = Vec::with_capacity(e.ballots.len());
    if !e.ballots.is_empty() {
        let joint_key = e
            .key
            .as_ref()
            .ok_or_else(|| mismatch("ballots were cast without a logged key"))?
            .joint_key;
        for counted in &e.ballots {
            let ballot = &counted.ballot;
            let root_index = roots.get(&ballot.root).ok_or_else(|| {
                mismatch(format!(
                    "ballot at {} uses a root the bundle shows no logged record for",
                    counted.index
                ))
            })?;
            ensure(*root_index < counted.index, || {
                format!("ballot at {} uses a root logged after it", counted.index)
            })?;
            ensure(ballot.vk_digest == key.vk_digest, || {
                format!("ballot at {} names another verifying key", counted.index)
            })?;
            ensure(nullifiers.insert(ballot.nullifier) || spec.revoting, || {
                format!(
                    "ballot at {} repeats a nullifier in an election without re-voting",
                    counted.index
                )
            })?;
            let public = ballot_statement(spec, shape, ballot, joint_key)
                .map_err(|err| mismatch(format!("ballot at {}: {err}", counted.index)))?;
            items.push((
                public_inputs(&public),
                groth16::decode_proof(&ballot.proof)?,
            ));
        }
    }
    for (batch, chunk) in items.chunks(BATCH).enumerate() {
        if let Err(VerifyError::BatchRejected { invalid }) = groth16::verify_batch(prepared, chunk)
        {
            let at: Vec<u64> = invalid
                .iter()
                .map(|i| e.ballots[batch * BATCH + i].index)
                .collect();
            return Err(VerifyError::Groth16 {
                reason: format!("the proofs of the ballots logged at {at:?} do not verify"),
            });
        }
    }
    Ok(())
}
