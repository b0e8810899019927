//! C2SP signed notes: keys, checkpoints and cosignatures.
//!
//! * [`signed-note`](https://c2sp.org/signed-note): the note container, the
//!   verifier key strings `name+keyid+base64(type ‖ public key)` and the
//!   private key strings `PRIVATE+KEY+name+keyid+base64(type ‖ seed)`. The
//!   container (parsing, signature lines, the signature check loop) is the
//!   [`signed_note`] crate's, a port of Go's `golang.org/x/mod/sumdb/note`.
//! * [`tlog-checkpoint`](https://c2sp.org/tlog-checkpoint): the [`Checkpoint`]
//!   body, signed by the log's Ed25519 key (signature type `0x01`) whose key
//!   name is the checkpoint origin.
//! * [`tlog-cosignature`](https://c2sp.org/tlog-cosignature): Ed25519
//!   `cosignature/v1` witness cosignatures (signature type `0x04`).
//!
//! Key strings are parsed strictly: the key ID must be eight lowercase hex
//! digits and match the key, base64 must be canonical (standard alphabet,
//! padded), the key material must have exactly the expected length, and
//! the public key must pass [`crate::signature::parse_verifying_key`]
//! (small-order, non-canonical and mixed-order keys are refused). Every
//! signature on a note is verified strictly, by
//! [`crate::signature::verify`]. Private key material
//! never appears in an error message or in `Debug` output, and is zeroized when
//! dropped.
//!
//! The folder holds the keys, their string forms and what each signs
//! (`key`), checkpoints and signed checkpoints (`checkpoint`), witness
//! cosignatures and signature lines (`cosignature`), and the error
//! (`error`).

mod checkpoint;
mod cosignature;
mod error;
mod key;

pub use checkpoint::{
    Checkpoint, open_checkpoint, open_checkpoint_with_keys, parse_checkpoint_unverified,
    sign_checkpoint,
};
pub(crate) use checkpoint::{decode_hash_base64, parse_canonical_decimal};
pub use cosignature::{
    VerifiedCosignature, add_signature_lines, split_signature_lines, verify_cosignatures,
};
pub use error::NoteError;
pub use key::{
    CosignerKey, KeyType, NoteSigningKey, NoteVerifierKey, cosignature_message, key_id,
    parse_verifier_key,
};

/// The wrapper private key strings come in (wipes them on drop),
/// re-exported so callers need no `zeroize` dependency of their own.
pub use zeroize::Zeroizing;

/// The largest timestamp a cosignature may carry (tlog-cosignature: it MUST
/// NOT exceed 2^63 - 1).
pub const MAX_COSIGNATURE_TIMESTAMP: u64 = i64::MAX as u64;

/// The most signature lines a note may carry; the same bound
/// [`signed_note`] applies when it parses a note.
pub const MAX_NOTE_SIGNATURES: usize = 100;
