//! Keys: signature types and key IDs, verifier keys, the log's note
//! signing key and witnesses' cosigner keys, their strict string forms, and
//! the messages each signs.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use rand_core::{CryptoRng, RngCore};
use signed_note::{Note, Signature as NoteSignature, VerifierList};
use zeroize::Zeroizing;

use super::{MAX_COSIGNATURE_TIMESTAMP, NoteError};
use crate::signature::{self, check_verifying_key, parse_verifying_key};

/// Prefix of every private key string.
const PRIVATE_KEY_PREFIX: &str = "PRIVATE+KEY+";
/// Domain-separation header of a `cosignature/v1` signed message.
const COSIGNATURE_V1_HEADER: &str = "cosignature/v1\n";
/// Length of the big-endian timestamp in front of a cosignature.
const TIMESTAMP_LEN: usize = 8;
/// Length of an Ed25519 public key or seed.
const ED25519_KEY_LEN: usize = 32;

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
    parse_verifying_key(bytes).map_err(NoteError::from)
}

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
    /// The key must pass [`check_verifying_key`]: a small-order, non-canonical
    /// or mixed-order key is refused.
    pub fn new(name: &str, key_type: KeyType, public_key: VerifyingKey) -> Result<Self, NoteError> {
        check_key_name(name)?;
        check_verifying_key(&public_key)?;
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

/// Every note and cosignature signature is checked here, strictly
/// ([`signature::verify`]); the [`signed_note`] crate calls this through
/// [`signed_note::Verifier`] and never verifies a signature by itself.
fn verify_ed25519(key: &VerifyingKey, msg: &[u8], sig: &[u8]) -> bool {
    signature::verify_slice(key, msg, sig).is_ok()
}

/// Splits `timestamp (8 bytes, big-endian) ‖ Ed25519 signature (64 bytes)`.
pub(super) fn split_timestamped_signature(sig: &[u8]) -> Option<(u64, &[u8])> {
    if sig.len() != TIMESTAMP_LEN + Signature::BYTE_SIZE {
        return None;
    }
    let (timestamp, signature) = sig.split_at(TIMESTAMP_LEN);
    let timestamp = u64::from_be_bytes(timestamp.try_into().ok()?);
    (timestamp <= MAX_COSIGNATURE_TIMESTAMP).then_some((timestamp, signature))
}

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

/// A [`VerifierList`] of distinct keys (identical duplicates would make the
/// list report an ambiguous key).
pub(super) fn verifier_list<'a>(
    keys: impl IntoIterator<Item = &'a NoteVerifierKey>,
) -> VerifierList {
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
