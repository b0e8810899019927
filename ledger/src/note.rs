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
//! small-order (weak) Ed25519 public keys are refused. Private key material
//! never appears in an error message or in `Debug` output, and is zeroized when
//! dropped.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use rand_core::{CryptoRng, RngCore};
use signed_note::{Note, Signature as NoteSignature, VerifierList};
/// The wrapper private key strings come in (wipes them on drop),
/// re-exported so callers need no `zeroize` dependency of their own.
pub use zeroize::Zeroizing;

use crate::merkle::Hash;

/// Prefix of every private key string.
const PRIVATE_KEY_PREFIX: &str = "PRIVATE+KEY+";
/// Domain-separation header of a `cosignature/v1` signed message.
const COSIGNATURE_V1_HEADER: &str = "cosignature/v1\n";
/// Length of the big-endian timestamp in front of a cosignature.
const TIMESTAMP_LEN: usize = 8;
/// Length of an Ed25519 public key or seed.
const ED25519_KEY_LEN: usize = 32;

/// The largest timestamp a cosignature may carry (tlog-cosignature: it MUST
/// NOT exceed 2^63 - 1).
pub const MAX_COSIGNATURE_TIMESTAMP: u64 = i64::MAX as u64;

/// The most signature lines a note may carry; the same bound
/// [`signed_note`] applies when it parses a note.
pub const MAX_NOTE_SIGNATURES: usize = 100;

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
    /// A cosignature timestamp exceeds [`MAX_COSIGNATURE_TIMESTAMP`].
    #[error("cosignature timestamp out of range")]
    TimestampOutOfRange,
    /// Producing a signature failed.
    #[error("signing failed")]
    Signing,
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

// ---------------------------------------------------------------------------
// Key types and key IDs
// ---------------------------------------------------------------------------

/// The signed-note signature types zkaudit uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyType {
    /// `0x01`: Ed25519 signatures over the note text (log keys).
    Ed25519,
    /// `0x04`: timestamped Ed25519 `cosignature/v1` witness cosignatures.
    CosignatureV1,
}

impl KeyType {
    /// The signature type identifier byte assigned by c2sp.org/signed-note.
    pub const fn id_byte(self) -> u8 {
        match self {
            Self::Ed25519 => 0x01,
            Self::CosignatureV1 => 0x04,
        }
    }

    fn from_id_byte(byte: u8) -> Result<Self, NoteError> {
        match byte {
            0x01 => Ok(Self::Ed25519),
            0x04 => Ok(Self::CosignatureV1),
            other => Err(NoteError::UnsupportedKeyType(other)),
        }
    }

    /// Errors unless `self` is `expected`.
    pub(crate) fn expect(self, expected: KeyType) -> Result<(), NoteError> {
        if self == expected {
            Ok(())
        } else {
            Err(NoteError::WrongKeyType {
                expected,
                found: self,
            })
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ed25519 => f.write_str("ed25519 (0x01)"),
            Self::CosignatureV1 => f.write_str("cosignature/v1 (0x04)"),
        }
    }
}

/// The key ID of an Ed25519 public key used with `key_type` under `name`:
/// `SHA-256(name ‖ "\n" ‖ type byte ‖ 32-byte public key)[:4]`, big-endian.
pub fn key_id(name: &str, key_type: KeyType, public_key: &VerifyingKey) -> u32 {
    signed_note::key_id(name, &typed_key_bytes(key_type, public_key.as_bytes()))
}

fn typed_key_bytes(key_type: KeyType, key: &[u8; ED25519_KEY_LEN]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(1 + ED25519_KEY_LEN);
    bytes.push(key_type.id_byte());
    bytes.extend_from_slice(key);
    bytes
}

fn check_key_name(name: &str) -> Result<(), NoteError> {
    if signed_note::is_key_name_valid(name) {
        Ok(())
    } else {
        Err(NoteError::InvalidKeyName)
    }
}

/// Parses a key ID written as exactly eight lowercase hex digits.
fn parse_key_id_hex(hex_id: &str) -> Result<u32, NoteError> {
    let canonical = hex_id.len() == 8
        && hex_id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !canonical {
        return Err(NoteError::MalformedKey);
    }
    u32::from_str_radix(hex_id, 16).map_err(|_| NoteError::MalformedKey)
}

/// Splits `<type byte> ‖ 32 bytes` key material.
fn split_typed_key(bytes: &[u8]) -> Result<(KeyType, &[u8; ED25519_KEY_LEN]), NoteError> {
    let (&type_byte, key) = bytes.split_first().ok_or(NoteError::MalformedKey)?;
    let key_type = KeyType::from_id_byte(type_byte)?;
    let key = key.try_into().map_err(|_| NoteError::MalformedKey)?;
    Ok((key_type, key))
}

fn decode_public_key(bytes: &[u8; ED25519_KEY_LEN]) -> Result<VerifyingKey, NoteError> {
    let key = VerifyingKey::from_bytes(bytes).map_err(|_| NoteError::MalformedKey)?;
    if key.is_weak() {
        return Err(NoteError::WeakKey);
    }
    Ok(key)
}

// ---------------------------------------------------------------------------
// Verifier keys
// ---------------------------------------------------------------------------

/// A parsed verifier key (`name+keyid+base64(type ‖ public key)`) of either
/// supported type. It implements [`signed_note::Verifier`], so it plugs into
/// the note verification loop directly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifierKey {
    name: String,
    key_id: u32,
    key_type: KeyType,
    public_key: VerifyingKey,
}

impl NoteVerifierKey {
    /// A verifier key for `public_key` used with `key_type` under `name`.
    pub fn new(name: &str, key_type: KeyType, public_key: VerifyingKey) -> Result<Self, NoteError> {
        check_key_name(name)?;
        if public_key.is_weak() {
            return Err(NoteError::WeakKey);
        }
        Ok(Self {
            name: name.to_owned(),
            key_id: key_id(name, key_type, &public_key),
            key_type,
            public_key,
        })
    }

    /// Parses a verifier key string strictly.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let (name, rest) = vkey.split_once('+').ok_or(NoteError::MalformedKey)?;
        let (hex_id, key_b64) = rest.split_once('+').ok_or(NoteError::MalformedKey)?;
        check_key_name(name)?;
        let claimed_id = parse_key_id_hex(hex_id)?;
        let key_bytes = BASE64
            .decode(key_b64)
            .map_err(|_| NoteError::MalformedKey)?;
        let (key_type, raw_key) = split_typed_key(&key_bytes)?;
        let key = Self::new(name, key_type, decode_public_key(raw_key)?)?;
        if key.key_id != claimed_id {
            return Err(NoteError::KeyIdMismatch);
        }
        Ok(key)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The signature type the key is for.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.public_key
    }

    /// The canonical verifier key string.
    pub fn to_vkey_string(&self) -> String {
        let key = typed_key_bytes(self.key_type, self.public_key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.key_id, BASE64.encode(key))
    }

    fn verify_cosignature_v1(&self, note_text: &[u8], sig: &[u8]) -> bool {
        match split_timestamped_signature(sig) {
            Some((timestamp, signature)) => {
                let message = cosignature_message(note_text, timestamp);
                verify_ed25519(&self.public_key, &message, signature)
            }
            None => false,
        }
    }
}

impl FromStr for NoteVerifierKey {
    type Err = NoteError;

    fn from_str(vkey: &str) -> Result<Self, Self::Err> {
        Self::parse(vkey)
    }
}

impl fmt::Display for NoteVerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_vkey_string())
    }
}

impl signed_note::Verifier for NoteVerifierKey {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> u32 {
        self.key_id
    }

    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        match self.key_type {
            KeyType::Ed25519 => verify_ed25519(&self.public_key, msg, sig),
            KeyType::CosignatureV1 => self.verify_cosignature_v1(msg, sig),
        }
    }
}

/// Parses a verifier key string strictly; see [`NoteVerifierKey::parse`].
pub fn parse_verifier_key(vkey: &str) -> Result<NoteVerifierKey, NoteError> {
    NoteVerifierKey::parse(vkey)
}

fn verify_ed25519(key: &VerifyingKey, msg: &[u8], sig: &[u8]) -> bool {
    Signature::from_slice(sig).is_ok_and(|sig| key.verify(msg, &sig).is_ok())
}

/// Splits `timestamp (8 bytes, big-endian) ‖ Ed25519 signature (64 bytes)`.
fn split_timestamped_signature(sig: &[u8]) -> Option<(u64, &[u8])> {
    if sig.len() != TIMESTAMP_LEN + Signature::BYTE_SIZE {
        return None;
    }
    let (timestamp, signature) = sig.split_at(TIMESTAMP_LEN);
    let timestamp = u64::from_be_bytes(timestamp.try_into().ok()?);
    (timestamp <= MAX_COSIGNATURE_TIMESTAMP).then_some((timestamp, signature))
}

// ---------------------------------------------------------------------------
// Signing keys
// ---------------------------------------------------------------------------

/// A named Ed25519 signing key of one signature type. Shared by
/// [`NoteSigningKey`] and [`CosignerKey`]; the seed is zeroized on drop (by
/// `ed25519_dalek::SigningKey`) and never printed.
struct NamedSigningKey {
    name: String,
    key_type: KeyType,
    key_id: u32,
    signing_key: SigningKey,
}

impl NamedSigningKey {
    fn new(name: &str, key_type: KeyType, signing_key: SigningKey) -> Result<Self, NoteError> {
        check_key_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            key_type,
            key_id: key_id(name, key_type, &signing_key.verifying_key()),
            signing_key,
        })
    }

    fn generate<R: RngCore + CryptoRng>(
        name: &str,
        key_type: KeyType,
        rng: &mut R,
    ) -> Result<Self, NoteError> {
        Self::new(name, key_type, SigningKey::generate(rng))
    }

    /// Parses `PRIVATE+KEY+name+keyid+base64(type ‖ 32-byte seed)`.
    fn parse(skey: &str, expected: KeyType) -> Result<Self, NoteError> {
        let rest = skey
            .strip_prefix(PRIVATE_KEY_PREFIX)
            .ok_or(NoteError::MalformedKey)?;
        let (name, rest) = rest.split_once('+').ok_or(NoteError::MalformedKey)?;
        let (hex_id, key_b64) = rest.split_once('+').ok_or(NoteError::MalformedKey)?;
        check_key_name(name)?;
        let claimed_id = parse_key_id_hex(hex_id)?;
        let key_bytes = Zeroizing::new(
            BASE64
                .decode(key_b64)
                .map_err(|_| NoteError::MalformedKey)?,
        );
        let (key_type, seed) = split_typed_key(&key_bytes)?;
        key_type.expect(expected)?;
        let key = Self::new(name, key_type, SigningKey::from_bytes(seed))?;
        if key.key_id != claimed_id {
            return Err(NoteError::KeyIdMismatch);
        }
        Ok(key)
    }

    fn to_skey_string(&self) -> Zeroizing<String> {
        let mut typed_seed = Zeroizing::new(Vec::with_capacity(1 + ED25519_KEY_LEN));
        typed_seed.push(self.key_type.id_byte());
        typed_seed.extend_from_slice(self.signing_key.as_bytes());
        let seed_b64 = Zeroizing::new(BASE64.encode(typed_seed.as_slice()));
        Zeroizing::new(format!(
            "{PRIVATE_KEY_PREFIX}{}+{:08x}+{}",
            self.name,
            self.key_id,
            seed_b64.as_str()
        ))
    }

    fn verifier_key(&self) -> NoteVerifierKey {
        NoteVerifierKey {
            name: self.name.clone(),
            key_id: self.key_id,
            key_type: self.key_type,
            public_key: self.signing_key.verifying_key(),
        }
    }
}

impl fmt::Debug for NamedSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamedSigningKey")
            .field("name", &self.name)
            .field("key_type", &self.key_type)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

/// A log's Ed25519 note signing key (signature type `0x01`).
///
/// Its string form is the signed-note private key string
/// `PRIVATE+KEY+name+keyid+base64(0x01 ‖ 32-byte seed)`, as produced by Go's
/// `note.GenerateKey`. `Debug` shows the name and key ID only.
#[derive(Debug)]
pub struct NoteSigningKey(NamedSigningKey);

impl NoteSigningKey {
    /// Generates a fresh key named `name`.
    pub fn generate<R: RngCore + CryptoRng>(name: &str, rng: &mut R) -> Result<Self, NoteError> {
        NamedSigningKey::generate(name, KeyType::Ed25519, rng).map(Self)
    }

    /// Wraps an existing Ed25519 key under `name`.
    pub fn from_signing_key(name: &str, signing_key: SigningKey) -> Result<Self, NoteError> {
        NamedSigningKey::new(name, KeyType::Ed25519, signing_key).map(Self)
    }

    /// Parses a signed-note private key string strictly.
    pub fn from_skey_str(skey: &str) -> Result<Self, NoteError> {
        NamedSigningKey::parse(skey, KeyType::Ed25519).map(Self)
    }

    /// The private key string. Keep it secret; it is zeroized on drop.
    pub fn to_skey_string(&self) -> Zeroizing<String> {
        self.0.to_skey_string()
    }

    /// The verifier key string `name+keyid+base64(0x01 ‖ public key)`.
    pub fn verifier_key_string(&self) -> String {
        signed_note::new_ed25519_verifier_key(&self.0.name, &self.public_key())
    }

    /// The parsed verifier key.
    pub fn verifier_key(&self) -> NoteVerifierKey {
        self.0.verifier_key()
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> VerifyingKey {
        self.0.signing_key.verifying_key()
    }

    /// The key name (for a log key: the checkpoint origin).
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.0.key_id
    }

    /// Signs `msg` with plain Ed25519, for records signed with the same key
    /// type outside of notes.
    pub fn sign_raw(&self, msg: &[u8]) -> Signature {
        self.0.signing_key.sign(msg)
    }
}

impl signed_note::Signer for NoteSigningKey {
    fn name(&self) -> &str {
        &self.0.name
    }

    fn key_id(&self) -> u32 {
        self.0.key_id
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, ed25519_dalek::SignatureError> {
        Ok(self.sign_raw(msg).to_vec())
    }
}

/// A witness's Ed25519 `cosignature/v1` key (signature type `0x04`).
///
/// Its string form mirrors the signed-note private key string with the
/// cosignature type byte: `PRIVATE+KEY+name+keyid+base64(0x04 ‖ 32-byte
/// seed)`, where `keyid` is the `0x04` key ID, the same as in the verifier
/// key. Tagging the seed with `0x04` means a witness key can never be loaded
/// as a log key (or the reverse) by mistake. `Debug` shows the name and key
/// ID only.
#[derive(Debug)]
pub struct CosignerKey(NamedSigningKey);

impl CosignerKey {
    /// Generates a fresh witness key named `name`.
    pub fn generate<R: RngCore + CryptoRng>(name: &str, rng: &mut R) -> Result<Self, NoteError> {
        NamedSigningKey::generate(name, KeyType::CosignatureV1, rng).map(Self)
    }

    /// Wraps an existing Ed25519 key under `name`.
    pub fn from_signing_key(name: &str, signing_key: SigningKey) -> Result<Self, NoteError> {
        NamedSigningKey::new(name, KeyType::CosignatureV1, signing_key).map(Self)
    }

    /// Parses a `PRIVATE+KEY+name+keyid+base64(0x04 ‖ seed)` string strictly.
    pub fn from_skey_str(skey: &str) -> Result<Self, NoteError> {
        NamedSigningKey::parse(skey, KeyType::CosignatureV1).map(Self)
    }

    /// The private key string. Keep it secret; it is zeroized on drop.
    pub fn to_skey_string(&self) -> Zeroizing<String> {
        self.0.to_skey_string()
    }

    /// The verifier key string `name+keyid+base64(0x04 ‖ public key)`.
    pub fn verifier_key_string(&self) -> String {
        self.verifier_key().to_vkey_string()
    }

    /// The parsed verifier key.
    pub fn verifier_key(&self) -> NoteVerifierKey {
        self.0.verifier_key()
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> VerifyingKey {
        self.0.signing_key.verifying_key()
    }

    /// The witness name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The `0x04` key ID.
    pub fn key_id(&self) -> u32 {
        self.0.key_id
    }

    /// Cosigns a note text (a checkpoint body, with its final newline and
    /// without signature lines) as of `timestamp` (POSIX seconds), returning
    /// the signature line `— name base64(keyid ‖ timestamp ‖ signature)\n`.
    pub fn cosign(&self, note_text: &[u8], timestamp: u64) -> Result<Vec<u8>, NoteError> {
        if timestamp > MAX_COSIGNATURE_TIMESTAMP {
            return Err(NoteError::TimestampOutOfRange);
        }
        // Validates the text (UTF-8, no control characters, final newline).
        Note::new(note_text, &[])?;
        let signature = self
            .0
            .signing_key
            .sign(&cosignature_message(note_text, timestamp));
        let mut timestamped = Vec::with_capacity(TIMESTAMP_LEN + Signature::BYTE_SIZE);
        timestamped.extend_from_slice(&timestamp.to_be_bytes());
        timestamped.extend_from_slice(&signature.to_bytes());
        let line = NoteSignature::new(self.0.name.clone(), self.0.key_id, timestamped)?;
        Ok(line.to_bytes())
    }
}

/// The message a `cosignature/v1` signature covers:
/// `"cosignature/v1\ntime <timestamp>\n"` followed by the note text.
pub fn cosignature_message(note_text: &[u8], timestamp: u64) -> Vec<u8> {
    let header = format!("{COSIGNATURE_V1_HEADER}time {timestamp}\n");
    let mut message = Vec::with_capacity(header.len() + note_text.len());
    message.extend_from_slice(header.as_bytes());
    message.extend_from_slice(note_text);
    message
}

// ---------------------------------------------------------------------------
// Checkpoints
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Signed checkpoints
// ---------------------------------------------------------------------------

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

/// A [`VerifierList`] of distinct keys (identical duplicates would make the
/// list report an ambiguous key).
fn verifier_list<'a>(keys: impl IntoIterator<Item = &'a NoteVerifierKey>) -> VerifierList {
    let mut distinct: Vec<&NoteVerifierKey> = Vec::new();
    for key in keys {
        if !distinct.contains(&key) {
            distinct.push(key);
        }
    }
    VerifierList::new(
        distinct
            .into_iter()
            .map(|key| Box::new(key.clone()) as Box<dyn signed_note::Verifier>)
            .collect(),
    )
}

// ---------------------------------------------------------------------------
// Cosignatures
// ---------------------------------------------------------------------------

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
/// log's signature: use [`open_checkpoint`] for that.
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
