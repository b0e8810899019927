//! Witness cosignatures on a signed note: verifying them, and adding the
//! signature lines witnesses return.

use signed_note::{Note, Signature as NoteSignature};

use super::key::{split_timestamped_signature, verifier_list};
use super::{KeyType, MAX_NOTE_SIGNATURES, NoteError, NoteVerifierKey};

/// A cosignature that verified under a trusted witness key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedCosignature {
    /// The witness (key) name.
    pub name: String,
    /// The witness key ID.
    pub key_id: u32,
    /// When the witness cosigned, in POSIX seconds.
    pub timestamp: u64,
}

/// Verifies the `cosignature/v1` signatures on `note` by any of
/// `witness_vkeys` (`0x04` verifier key strings).
///
/// Signatures by other keys (the log's, unknown witnesses') are ignored; a
/// note with no trusted cosignature gives an empty list. A signature by a
/// trusted key that does not verify is an error. This does not check the
/// log's signature: use [`open_checkpoint`](super::open_checkpoint) for that.
pub fn verify_cosignatures<S: AsRef<str>>(
    note: &[u8],
    witness_vkeys: &[S],
) -> Result<Vec<VerifiedCosignature>, NoteError> {
    let keys = witness_vkeys
        .iter()
        .map(|vkey| {
            let key = NoteVerifierKey::parse(vkey.as_ref())?;
            key.key_type().expect(KeyType::CosignatureV1)?;
            Ok(key)
        })
        .collect::<Result<Vec<_>, NoteError>>()?;
    let parsed = Note::from_bytes(note)?;
    match parsed.verify(&verifier_list(&keys)) {
        Ok((verified, _unknown)) => verified.iter().map(verified_cosignature).collect(),
        Err(signed_note::NoteError::UnverifiedNote) => Ok(Vec::new()),
        Err(err) => Err(err.into()),
    }
}

fn verified_cosignature(sig: &NoteSignature) -> Result<VerifiedCosignature, NoteError> {
    let (timestamp, _) =
        split_timestamped_signature(sig.signature()).ok_or(NoteError::MalformedNote)?;
    Ok(VerifiedCosignature {
        name: sig.name().to_owned(),
        key_id: sig.id(),
        timestamp,
    })
}

/// Splits bytes holding one or more signature lines (each `— name base64\n`)
/// into canonical, individually validated lines.
pub fn split_signature_lines(lines: &[u8]) -> Result<Vec<Vec<u8>>, NoteError> {
    Ok(parse_signature_block(lines)?
        .iter()
        .map(NoteSignature::to_bytes)
        .collect())
}

/// Parses one or more signature lines, each ending in `\n`.
fn parse_signature_block(lines: &[u8]) -> Result<Vec<NoteSignature>, NoteError> {
    let block = lines.strip_suffix(b"\n").ok_or(NoteError::MalformedNote)?;
    let mut signatures = Vec::new();
    for line in block.split(|&b| b == b'\n') {
        if signatures.len() == MAX_NOTE_SIGNATURES {
            return Err(NoteError::TooManySignatures);
        }
        signatures.push(NoteSignature::from_bytes(line)?);
    }
    Ok(signatures)
}

/// Adds signature lines (e.g. witness responses, each element one or more
/// lines ending in `\n`) to a signed note.
///
/// The note's existing signatures stay first and in order, so the log's
/// signature keeps leading. A new line is dropped when a signature by the same
/// key (name and key ID) is already present, which also removes identical
/// duplicates. The lines are checked for syntax only, not verified.
pub fn add_signature_lines<L: AsRef<[u8]>>(note: &[u8], lines: &[L]) -> Result<Vec<u8>, NoteError> {
    let parsed = Note::from_bytes(note)?;
    // `from_bytes` accepted `text ‖ "\n" ‖ signature lines`.
    let existing = note
        .get(parsed.text().len() + 1..)
        .ok_or(NoteError::MalformedNote)?;
    let mut signatures = parse_signature_block(existing)?;
    for chunk in lines {
        for sig in parse_signature_block(chunk.as_ref())? {
            let same_key = |s: &NoteSignature| s.name() == sig.name() && s.id() == sig.id();
            if !signatures.iter().any(same_key) {
                signatures.push(sig);
            }
        }
    }
    if signatures.len() > MAX_NOTE_SIGNATURES {
        return Err(NoteError::TooManySignatures);
    }
    Ok(Note::new(parsed.text(), &signatures)?.to_bytes())
}
