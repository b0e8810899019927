//! Errors from parsing keys, checkpoints and notes, and from checking
//! their signatures.

use super::{KeyType, MAX_NOTE_SIGNATURES};
use crate::signature::KeyError;

/// Errors from parsing keys, checkpoints and notes, and from checking their
/// signatures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// A key name is empty or contains a Unicode space or a `+`.
    #[error("invalid key name")]
    InvalidKeyName,
    /// A key string is not of the form its kind requires.
    #[error("malformed key string")]
    MalformedKey,
    /// A key string's key ID is not the one its name and key imply.
    #[error("key id does not match the key")]
    KeyIdMismatch,
    /// A key string uses a signature type this crate does not support.
    #[error("unsupported signature type 0x{0:02x}")]
    UnsupportedKeyType(u8),
    /// A key of one signature type was given where another was required.
    #[error("wrong key type: expected {expected}, found {found}")]
    WrongKeyType {
        /// The type the operation needs.
        expected: KeyType,
        /// The type of the key given.
        found: KeyType,
    },
    /// A public key is a small-order point, for which signatures prove nothing.
    #[error("weak public key")]
    WeakKey,
    /// A public key is not canonically encoded or has a torsion component
    /// (see [`crate::signature`]).
    #[error("refused public key: {0}")]
    RefusedKey(KeyError),
    /// The bytes are not a well-formed signed note, or a signature line is
    /// malformed.
    #[error("malformed signed note")]
    MalformedNote,
    /// A note carries more signatures than [`MAX_NOTE_SIGNATURES`].
    #[error("note has more than {MAX_NOTE_SIGNATURES} signatures")]
    TooManySignatures,
    /// The note text is not a well-formed checkpoint body.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(&'static str),
    /// The checkpoint origin is not the name of the log key.
    #[error("checkpoint origin {origin:?} is not the log key name {key_name:?}")]
    OriginMismatch {
        /// The checkpoint's origin line.
        origin: String,
        /// The name of the log key it was checked against.
        key_name: String,
    },
    /// None of the note's signatures is by a trusted key.
    #[error("note has no signature by a trusted key")]
    NoTrustedSignature,
    /// A signature by a trusted key does not verify.
    #[error("invalid signature by key {name}+{key_id:08x}")]
    InvalidSignature {
        /// Name of the key.
        name: String,
        /// ID of the key.
        key_id: u32,
    },
    /// Two different trusted keys share a name and key ID.
    #[error("ambiguous key {name}+{key_id:08x}")]
    AmbiguousKey {
        /// Name of the keys.
        name: String,
        /// ID of the keys.
        key_id: u32,
    },
    /// A cosignature timestamp exceeds [`MAX_COSIGNATURE_TIMESTAMP`](super::MAX_COSIGNATURE_TIMESTAMP).
    #[error("cosignature timestamp out of range")]
    TimestampOutOfRange,
    /// Producing a signature failed.
    #[error("signing failed")]
    Signing,
}

impl From<KeyError> for NoteError {
    fn from(err: KeyError) -> Self {
        match err {
            KeyError::NotAPoint => Self::MalformedKey,
            KeyError::SmallOrder => Self::WeakKey,
            other => Self::RefusedKey(other),
        }
    }
}

impl From<signed_note::NoteError> for NoteError {
    fn from(err: signed_note::NoteError) -> Self {
        use signed_note::{NoteError as E, VerificationError as V};
        match err {
            E::MalformedNote => Self::MalformedNote,
            E::InvalidSigner => Self::InvalidKeyName,
            E::InvalidSignature { name, id } => Self::InvalidSignature { name, key_id: id },
            // VerifierList only hands out verifiers whose name and ID match.
            E::MismatchedVerifier => Self::MalformedNote,
            E::UnverifiedNote | E::VerificationError(V::UnknownKey { .. }) => {
                Self::NoTrustedSignature
            }
            E::VerificationError(V::AmbiguousKey { name, id }) => {
                Self::AmbiguousKey { name, key_id: id }
            }
            E::SignatureError(_) => Self::Signing,
        }
    }
}
