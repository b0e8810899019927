//! The log's own proofs, checked with nothing but its public key:
//! signed checkpoints, their consistency and witness cosignatures, hex
//! hashes, and the one check every logged record gets.
//!
//! [`open_checkpoint`] checks the log's signature on a checkpoint;
//! [`verify_extension`] that a later checkpoint extends an earlier one
//! (RFC 9162 consistency), which is how a holder of an old receipt learns
//! the log has not rewritten history since; [`verify_quorum`] that enough
//! witnesses cosigned. [`verify_logged_record`] decodes a logged record,
//! checks its signature and its audit path to a checkpoint: receipts and
//! every kind of evidence check their records with it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use zkaudit_ledger::merkle::{self, Hash, leaf_hash};
use zkaudit_ledger::note::{self, Checkpoint};
use zkaudit_ledger::record::Record;

use crate::error::malformed;
use crate::{Result, VerifyError};

/// Opens a signed checkpoint with the log's verifier key.
pub fn open_checkpoint(note_text: &[u8], log_vkey: &str) -> Result<Checkpoint> {
    note::open_checkpoint(note_text, log_vkey)
        .map_err(|e| VerifyError::Signature(format!("checkpoint: {e}")))
}

/// Opens a signed checkpoint that a document (its `holder`: "receipt",
/// "bundle") says is of the log `origin`, and checks it is.
pub(crate) fn open_checkpoint_of(
    note_text: &[u8],
    log_vkey: &str,
    origin: &str,
    holder: &str,
) -> Result<Checkpoint> {
    let checkpoint = open_checkpoint(note_text, log_vkey)?;
    if checkpoint.origin != origin {
        return Err(VerifyError::Mismatch(format!(
            "{holder} names origin {origin:?} but its checkpoint is for {:?}",
            checkpoint.origin
        )));
    }
    Ok(checkpoint)
}

/// Checks that the signed checkpoint `newer` extends `older` (both signed by
/// the log), given the RFC 9162 consistency proof between their sizes.
pub fn verify_extension(
    older: &[u8],
    newer: &[u8],
    consistency_proof: &[String],
    log_vkey: &str,
) -> Result<(Checkpoint, Checkpoint)> {
    let old = open_checkpoint(older, log_vkey)?;
    let new = open_checkpoint(newer, log_vkey)?;
    if old.origin != new.origin {
        return Err(VerifyError::Mismatch(
            "checkpoints of different logs".into(),
        ));
    }
    let proof = parse_hashes("consistency proof", consistency_proof)?;
    merkle::verify_consistency(old.size, new.size, &old.root, &new.root, &proof).map_err(
        |source| VerifyError::Proof {
            what: "consistency proof",
            source,
        },
    )?;
    Ok((old, new))
}

/// Checks that at least `quorum` of `witness_vkeys` cosigned the checkpoint note.
pub fn verify_quorum(note_text: &[u8], witness_vkeys: &[String], quorum: usize) -> Result<usize> {
    let verified = note::verify_cosignatures(note_text, witness_vkeys)
        .map_err(|e| VerifyError::Signature(format!("cosignature: {e}")))?;
    if verified.len() < quorum {
        return Err(VerifyError::Quorum {
            got: verified.len(),
            required: quorum,
        });
    }
    Ok(verified.len())
}

/// Decodes one logged record (base64 of its leaf bytes), checking its
/// encoding, its signature and that it names `checkpoint`'s log (if it names
/// one), and verifies its audit path to `checkpoint`:
/// the check every receipt, extract and bundle makes per entry.
pub(crate) fn verify_logged_record(
    checkpoint: &Checkpoint,
    index: u64,
    record: &str,
    inclusion_proof: &[String],
) -> Result<Record> {
    let leaf = BASE64
        .decode(record)
        .map_err(|e| malformed("record", format!("entry {index}: {e}")))?;
    let decoded = Record::decode(&leaf)
        .map_err(|e| VerifyError::Signature(format!("record at index {index}: {e}")))?;
    // A record names the log it was written for (records logged before
    // they did name none): one naming another log was never admissible.
    decoded
        .check_logged_in(&checkpoint.origin)
        .map_err(|e| VerifyError::Mismatch(format!("record at index {index}: {e}")))?;
    let proof = parse_hashes("inclusion proof", inclusion_proof)?;
    merkle::verify_inclusion(
        &leaf_hash(&leaf),
        index,
        checkpoint.size,
        &proof,
        &checkpoint.root,
    )
    .map_err(|source| VerifyError::Proof {
        what: "inclusion proof",
        source,
    })?;
    Ok(decoded)
}

/// Parses hex hashes strictly (64 lowercase or uppercase hex digits each).
pub fn parse_hashes(what: &'static str, hashes: &[String]) -> Result<Vec<Hash>> {
    if hashes.len() > 64 {
        return Err(malformed(what, "more than 64 hashes".into()));
    }
    hashes.iter().map(|h| parse_hash(what, h)).collect()
}

/// Parses one hex hash.
pub fn parse_hash(what: &'static str, h: &str) -> Result<Hash> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(h, &mut out).map_err(|e| malformed(what, format!("{e} in {h:?}")))?;
    Ok(out)
}
