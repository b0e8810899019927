//! The log evidence of an OCDS release package zkaudit published
//! (`zkaudit_ledger::funds::ocds`): every release's `zkaudit` extension
//! names the log entries of its contract and reports with their leaf
//! hashes and inclusion proofs against a signed checkpoint; this checks
//! them all with the log's key, trusting nothing else the package says.

use serde_json::Value;
use zkaudit_ledger::merkle::{Hash, verify_inclusion};

use crate::error::mismatch;
use crate::log::open_checkpoint;
use crate::{Result, VerifyError};

/// Checks every log entry the releases of `package` name against the
/// checkpoint each release carries, signed by `log_vkey`; returns how many
/// entries were proven.
pub fn verify_ocds_evidence(package: &Value, log_vkey: &str) -> Result<usize> {
    let releases = package["releases"]
        .as_array()
        .ok_or_else(|| malformed("a release package without releases"))?;
    let mut proven = 0;
    for release in releases {
        let evidence = &release["zkaudit"];
        let note = evidence["checkpoint"]
            .as_str()
            .ok_or_else(|| malformed("a release without its zkaudit checkpoint"))?;
        let checkpoint = open_checkpoint(note.as_bytes(), log_vkey)?;
        let payments = evidence["payments"]
            .as_array()
            .ok_or_else(|| malformed("a release without its zkaudit payments"))?;
        let entries =
            std::iter::once(&evidence["contract"]).chain(payments.iter().map(|p| &p["report"]));
        for entry in entries {
            let index = entry["logIndex"]
                .as_u64()
                .ok_or_else(|| malformed("an entry without its log index"))?;
            let leaf = hash(&entry["leafHash"])?;
            let proof = entry["inclusionProof"]
                .as_array()
                .ok_or_else(|| {
                    mismatch(format!("entry {index} comes without its inclusion proof"))
                })?
                .iter()
                .map(hash)
                .collect::<Result<Vec<Hash>>>()?;
            verify_inclusion(&leaf, index, checkpoint.size, &proof, &checkpoint.root).map_err(
                |source| VerifyError::Proof {
                    what: "an OCDS release's inclusion proof",
                    source,
                },
            )?;
            proven += 1;
        }
    }
    Ok(proven)
}

fn hash(value: &Value) -> Result<Hash> {
    value
        .as_str()
        .and_then(|text| hex::decode(text).ok())
        .and_then(|bytes| Hash::try_from(bytes).ok())
        .ok_or_else(|| malformed("a hash that is not 32 bytes of hex"))
}

fn malformed(reason: &str) -> VerifyError {
    VerifyError::Malformed {
        what: "OCDS release package",
        reason: reason.to_owned(),
    }
}
