//! Ceremony transcripts: a Groth16 ceremony's records (start, every
//! contribution, the beacon, the circuit key it produced), each with an
//! inclusion proof against one signed checkpoint.
//!
//! [`CeremonyTranscript::verify`] checks the log evidence, that the
//! coordinator was an authority granted `ceremony/start` and
//! `ceremony/finalize` when it wrote them, and replays the records with
//! [`CeremonyBook`] — the rules the service enforced — so every step is the
//! next one on the key before it. For a finalised ceremony it also checks
//! that the log then logged the final verifying key as the shape's circuit
//! key. The keys themselves are checked against the phase-1 file by the
//! prover crate (`zkaudit ceremony verify` does both); this proves which
//! contributions the log accepted, in which order, from whom.

use serde::{Deserialize, Serialize};
use zkaudit_ledger::ceremony::{self, Ceremony, CeremonyBook, Checked, FINALIZE, START};
use zkaudit_ledger::identity::{self, CIRCUIT_KEY, CircuitKey};
use zkaudit_ledger::note::Checkpoint;
use zkaudit_ledger::record::{Author, Record};

use crate::Result;
use crate::error::{ensure, expect_format, malformed_as, mismatch};
use crate::evidence::{LogEvidence, granted};

/// Format tag of ceremony transcripts.
pub const TRANSCRIPT_FORMAT: &str = "zkaudit-ceremony-transcript/v1";

/// A ceremony's records as the service returns them (JSON).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CeremonyTranscript {
    /// Always [`TRANSCRIPT_FORMAT`].
    pub format: String,
    /// The ceremony id.
    pub ceremony: String,
    /// Its start and steps, the authority sets in force when the
    /// coordinator wrote, and (once final) the circuit key record.
    pub evidence: LogEvidence,
}

/// What a verified transcript establishes.
#[derive(Clone, Debug)]
pub struct VerifiedTranscript {
    /// The ceremony as the log accepted it.
    pub ceremony: Ceremony,
    /// The coordinator's authority name.
    pub coordinator: String,
    /// The circuit key the log logged from it, with its index (final
    /// ceremonies only).
    pub circuit_key: Option<(CircuitKey, u64)>,
    /// The checkpoint the records are included in, signature-checked.
    pub checkpoint: Checkpoint,
}

impl CeremonyTranscript {
    /// Checks the transcript against the log's signed-note verifier key.
    pub fn verify(&self, log_vkey: &str) -> Result<VerifiedTranscript> {
        expect_format(&self.format, TRANSCRIPT_FORMAT)?;
        let evidence = self.evidence.verify(log_vkey)?;
        let mut book = CeremonyBook::new();
        let mut coordinator = None;
        let mut circuit_key = None;
        for (index, record) in &evidence.entries {
            if evidence.is_log_record(record, identity::DOMAIN, CIRCUIT_KEY) {
                let key =
                    CircuitKey::decode(record.payload()).map_err(malformed_as("circuit key"))?;
                circuit_key.get_or_insert((key, *index));
                continue;
            }
            if record.domain() != ceremony::DOMAIN {
                // The authority sets, read through `authority_before`.
                continue;
            }
            let checked = book
                .check(record)
                .map_err(|e| mismatch(format!("entry {index}: {e}")))?;
            let id = match &checked {
                Checked::Start(start) => &start.id,
                other => &other.step().expect("a step").ceremony,
            };
            ensure(*id == self.ceremony, || {
                format!("entry {index} belongs to ceremony {id:?}")
            })?;
            if matches!(record.kind(), START | FINALIZE) {
                let name = self.coordinator_of(&evidence, *index, record)?;
                coordinator.get_or_insert(name);
            }
            book.apply(*index, record);
        }
        let ceremony = book
            .get(&self.ceremony)
            .cloned()
            .ok_or_else(|| mismatch("the transcript lacks the ceremony's start"))?;
        if let Some((f, _)) = &ceremony.finalisation {
            let (key, _) = circuit_key
                .as_ref()
                .ok_or_else(|| mismatch("the final ceremony's circuit key record is missing"))?;
            let named = key.ceremony.as_ref().is_some_and(|c| {
                c.id == ceremony.start.id
                    && c.final_key == f.step.key
                    && c.contributions as usize == ceremony.contributions.len()
            });
            ensure(
                key.shape == ceremony.start.shape
                    && key.vk_digest == f.vk_digest
                    && !key.development
                    && named,
                || "the logged circuit key is not the ceremony's final key".into(),
            )?;
        } else {
            circuit_key = None;
        }
        Ok(VerifiedTranscript {
            ceremony,
            coordinator: coordinator.unwrap_or_default(),
            circuit_key,
            checkpoint: evidence.checkpoint,
        })
    }

    /// The authority that wrote `record` at `index`, granted its kind.
    fn coordinator_of(
        &self,
        evidence: &crate::VerifiedEvidence,
        index: u64,
        record: &Record,
    ) -> Result<String> {
        let Author::Ed25519(key) = record.author() else {
            return Err(mismatch("an unsigned ceremony record"));
        };
        let set = evidence.authority_before(index, "the ceremony record")?;
        let authority = granted(
            &set,
            &key,
            ceremony::DOMAIN,
            record.kind(),
            "the coordinator",
        )?;
        Ok(authority.name.clone())
    }
}
