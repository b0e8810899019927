//! C2SP `tlog-checkpoint` bodies, and checkpoints signed by the log's key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use signed_note::Note;

use super::key::verifier_list;
use super::{KeyType, NoteError, NoteSigningKey, NoteVerifierKey};
use crate::merkle::Hash;

/// A C2SP `tlog-checkpoint` body: the log's origin, tree size and root hash,
/// plus optional extension lines.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Checkpoint {
    /// The log's identity; also the name of the log's signing key.
    pub origin: String,
    /// The number of leaves in the tree.
    pub size: u64,
    /// The RFC 6962 root hash at `size`.
    pub root: Hash,
    /// Extension lines, without their newlines (NOT RECOMMENDED by the spec).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: impl Into<String>, size: u64, root: Hash) -> Self {
        Self {
            origin: origin.into(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// The note text: `origin\nsize\nbase64(root)\n` then each extension line
    /// followed by `\n`.
    pub fn to_body(&self) -> String {
        let mut body = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root)
        );
        for line in &self.extensions {
            body.push_str(line);
            body.push('\n');
        }
        body
    }

    /// Parses a note text strictly; `parse_body(b).to_body() == b` for every
    /// accepted `b`.
    pub fn parse_body(body: &str) -> Result<Self, NoteError> {
        let lines = body
            .strip_suffix('\n')
            .ok_or(NoteError::MalformedCheckpoint("missing final newline"))?;
        if lines.chars().any(|c| c < '\u{20}' && c != '\n') {
            return Err(NoteError::MalformedCheckpoint("control character"));
        }
        let mut lines = lines.split('\n');
        let origin = parse_origin(lines.next())?;
        let size = parse_tree_size(lines.next())?;
        let root = parse_root(lines.next())?;
        let extensions = lines.map(parse_extension).collect::<Result<_, _>>()?;
        Ok(Self {
            origin,
            size,
            root,
            extensions,
        })
    }

    /// Checks that [`Checkpoint::to_body`] gives a text that parses back to
    /// `self` (origin and extensions without newlines or control characters,
    /// no empty extension line).
    pub fn validate(&self) -> Result<(), NoteError> {
        if Self::parse_body(&self.to_body())? == *self {
            Ok(())
        } else {
            Err(NoteError::MalformedCheckpoint(
                "origin or extension contains a newline",
            ))
        }
    }
}

fn parse_origin(line: Option<&str>) -> Result<String, NoteError> {
    match line {
        Some(origin) if !origin.is_empty() => Ok(origin.to_owned()),
        _ => Err(NoteError::MalformedCheckpoint("empty origin")),
    }
}

/// Parses an ASCII decimal with no leading zeroes (unless it is `0`).
pub(crate) fn parse_canonical_decimal(text: &str) -> Option<u64> {
    let digits_only = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let leading_zero = text.len() > 1 && text.starts_with('0');
    if !digits_only || leading_zero {
        return None;
    }
    text.parse().ok()
}

fn parse_tree_size(line: Option<&str>) -> Result<u64, NoteError> {
    line.and_then(parse_canonical_decimal)
        .ok_or(NoteError::MalformedCheckpoint(
            "tree size is not a canonical decimal",
        ))
}

/// Decodes canonical standard base64 of exactly 32 bytes.
pub(crate) fn decode_hash_base64(text: &str) -> Option<Hash> {
    BASE64.decode(text).ok()?.try_into().ok()
}

fn parse_root(line: Option<&str>) -> Result<Hash, NoteError> {
    line.and_then(decode_hash_base64)
        .ok_or(NoteError::MalformedCheckpoint(
            "root hash is not base64 of 32 bytes",
        ))
}

fn parse_extension(line: &str) -> Result<String, NoteError> {
    if line.is_empty() {
        return Err(NoteError::MalformedCheckpoint("empty extension line"));
    }
    Ok(line.to_owned())
}

/// Signs `checkpoint` with the log key and returns the signed note.
///
/// The key name must be the checkpoint origin, as [`open_checkpoint`]
/// requires.
pub fn sign_checkpoint(
    checkpoint: &Checkpoint,
    log_key: &NoteSigningKey,
) -> Result<Vec<u8>, NoteError> {
    checkpoint.validate()?;
    if checkpoint.origin != log_key.name() {
        return Err(NoteError::OriginMismatch {
            origin: checkpoint.origin.clone(),
            key_name: log_key.name().to_owned(),
        });
    }
    let mut note = Note::new(checkpoint.to_body().as_bytes(), &[])?;
    note.add_sigs(&[log_key as &dyn signed_note::Signer])?;
    Ok(note.to_bytes())
}

/// Verifies the log's signature on a signed checkpoint and returns the
/// checkpoint. Signatures by other keys (cosignatures, rotated keys) are
/// ignored; the checkpoint origin must be the log key's name.
pub fn open_checkpoint(note: &[u8], log_vkey: &str) -> Result<Checkpoint, NoteError> {
    open_checkpoint_with_keys(note, &[NoteVerifierKey::parse(log_vkey)?])
}

/// Like [`open_checkpoint`], trusting any of `log_keys` (all Ed25519) whose
/// name is the checkpoint origin, e.g. during a key rotation.
pub fn open_checkpoint_with_keys(
    note: &[u8],
    log_keys: &[NoteVerifierKey],
) -> Result<Checkpoint, NoteError> {
    let Some(first_key) = log_keys.first() else {
        return Err(NoteError::NoTrustedSignature);
    };
    for key in log_keys {
        key.key_type().expect(KeyType::Ed25519)?;
    }
    let parsed = Note::from_bytes(note)?;
    let checkpoint = checkpoint_of(&parsed)?;
    let origin_keys: Vec<&NoteVerifierKey> = log_keys
        .iter()
        .filter(|key| key.name() == checkpoint.origin)
        .collect();
    if origin_keys.is_empty() {
        return Err(NoteError::OriginMismatch {
            origin: checkpoint.origin,
            key_name: first_key.name().to_owned(),
        });
    }
    parsed.verify(&verifier_list(origin_keys))?;
    Ok(checkpoint)
}

/// Parses a signed checkpoint WITHOUT checking any signature: only for
/// finding which log (and so which key) the note claims to be from.
pub fn parse_checkpoint_unverified(note: &[u8]) -> Result<Checkpoint, NoteError> {
    checkpoint_of(&Note::from_bytes(note)?)
}

fn checkpoint_of(note: &Note) -> Result<Checkpoint, NoteError> {
    let text = std::str::from_utf8(note.text()).map_err(|_| NoteError::MalformedNote)?;
    Checkpoint::parse_body(text)
}
