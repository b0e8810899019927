//! Typed log records and their canonical, versioned binary encoding.
//!
//! Every log leaf is one [`Record`]:
//!
//! ```text
//! u8      version            = 2
//! str     origin             u16 length, 1..=255 bytes: the origin line of the
//!                            checkpoints of the log the record is written for
//! str     domain             u16 length, 1..=32 bytes of [a-z0-9-]
//! str     kind               u16 length, 1..=48 bytes of [a-z0-9-.]
//! u8      author tag         0 = none (a citizen write, authorised by its proof)
//!                            1 = Ed25519, then 32 bytes of public key
//! u64     timestamp          Unix milliseconds, as claimed by the author
//! bytes   payload            u32 length, at most MAX_PAYLOAD bytes
//! u8      signature tag      0 = none, 1 = Ed25519, then 64 bytes
//! ```
//!
//! The signature covers [`SIGNING_CONTEXT`] followed by every field before the
//! signature tag, so it binds the log, domain, kind, author, time and payload:
//! a record signed for one log is refused by every other log that trusts the
//! same key ([`Record::check_log`]), and offline verifiers check that a record
//! is bound to the log whose checkpoint includes it. The
//! record id is `SHA3-256(id tag ‖ encoding)` with a tag per domain and kind
//! (see [`Record::id`]); identical submissions therefore have identical ids,
//! which is how the log answers a resubmission with the existing index.
//!
//! The decoder is strict: an encoding that decodes re-encodes to the same
//! bytes, so two different byte strings never denote the same record.
//!
//! Version 1 ([`LEGACY_RECORD_VERSION`]) is the same layout without the
//! origin. Such records were logged before records were bound to their log:
//! they still decode and verify (replay, bundles, mirrors read them), but a
//! log refuses new ones ([`LogBindingError::Unbound`]).

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha3::{Digest, Sha3_256};

use crate::codec::{CodecError, Reader, Writer};
use crate::signature::{self, KeyError, parse_verifying_key};

/// Version byte of the current encoding, which names the log.
pub const RECORD_VERSION: u8 = 2;
/// Version byte of the encoding without the log's origin: still read, never
/// accepted for new writes.
pub const LEGACY_RECORD_VERSION: u8 = 1;
/// Longest log origin a record may name.
pub const MAX_ORIGIN: usize = 255;
/// Largest payload a record may carry. Records must fit a C2SP entry bundle
/// (16-bit length prefix) with their header.
pub const MAX_PAYLOAD: usize = 60_000;
/// Largest encoded record.
pub const MAX_RECORD: usize = MAX_PAYLOAD + 256;
/// Prefix of every message an author signs.
pub const SIGNING_CONTEXT: &[u8] = b"zkaudit/v1/record-signature\0";

const MAX_DOMAIN: usize = 32;
const MAX_KIND: usize = 48;

/// Why a record was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The bytes are not a canonical record encoding.
    #[error("malformed record: {0}")]
    Malformed(#[from] CodecError),
    /// The record uses an encoding version this build does not know.
    #[error("unsupported record version {0}")]
    UnsupportedVersion(u8),
    /// Domain or kind names break the naming rules.
    #[error("invalid {field} name {value:?}: {reason}")]
    InvalidName {
        /// `"domain"` or `"kind"`.
        field: &'static str,
        /// The offending name (names are public metadata).
        value: String,
        /// The rule broken.
        reason: &'static str,
    },
    /// The author's public key is refused: not a point, not canonically
    /// encoded, or of small order or with a torsion component (see
    /// [`crate::signature`]).
    #[error("author key is refused: {0}")]
    InvalidAuthorKey(KeyError),
    /// A signature is present without an author, or an author without a signature.
    #[error("an authored record needs a signature and an unauthored one must have none")]
    SignatureMismatch,
    /// The signature does not verify, strictly, under the author's key.
    #[error("signature does not verify under the author's key")]
    BadSignature,
    /// The payload exceeds [`MAX_PAYLOAD`].
    #[error("payload is {0} bytes, more than the allowed {MAX_PAYLOAD}")]
    PayloadTooLarge(usize),
    /// The log origin is empty, too long, or not a valid note key name
    /// (printable, no spaces, no `+`).
    #[error("invalid log origin {0:?}: 1 to 255 bytes, no spaces or '+'")]
    InvalidOrigin(String),
}

/// Why a log refuses a well-formed, correctly signed record: it was not
/// written for this log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LogBindingError {
    /// A version-1 record, which names no log: anyone holding it could
    /// replay it into any log that trusts its author.
    #[error(
        "the record names no log (encoding version 1); sign a version-2 record for the log {log:?}"
    )]
    Unbound {
        /// The origin of the log refusing it.
        log: String,
    },
    /// The record was written for another log.
    #[error("the record was written for the log {bound_to:?}, not for {log:?}")]
    ForeignLog {
        /// The origin the record names.
        bound_to: String,
        /// The origin of the log refusing it.
        log: String,
    },
}

/// Who wrote a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Author {
    /// A citizen write (ballot, claim): authorised by the proof it carries.
    None,
    /// An authority or the log itself, by its Ed25519 key.
    Ed25519(VerifyingKey),
}

/// One log record. Construct with [`Record::signed`] or [`Record::unsigned`],
/// or decode untrusted bytes with [`Record::decode`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The log the record is written for; `None` for a version-1 record.
    origin: Option<String>,
    domain: String,
    kind: String,
    author: Author,
    timestamp_ms: u64,
    payload: Vec<u8>,
    signature: Option<Signature>,
}

impl Record {
    /// A record for the log `origin`, signed by `key` (an authority, a
    /// participant or the log).
    pub fn signed(
        origin: &str,
        domain: &str,
        kind: &str,
        timestamp_ms: u64,
        payload: Vec<u8>,
        key: &impl RecordSigner,
    ) -> Result<Self, RecordError> {
        let mut record = Self::unchecked(
            Some(origin),
            domain,
            kind,
            Author::Ed25519(key.record_key()),
            timestamp_ms,
            payload,
        )?;
        record.signature = Some(key.sign_record(&record.signing_message()));
        Ok(record)
    }

    /// A record for the log `origin` by `author`, with the `signature` the
    /// author made elsewhere over its [`signing_message`](Self::signing_message)
    /// (a payload the log derives from a standard document, e.g. a FHIR
    /// `AuditEvent`, which the author derives and signs the same way).
    /// The author key is parsed strictly and the signature verified.
    pub fn with_signature(
        origin: &str,
        domain: &str,
        kind: &str,
        author: &[u8; 32],
        timestamp_ms: u64,
        payload: Vec<u8>,
        signature: &[u8; 64],
    ) -> Result<Self, RecordError> {
        let key = parse_verifying_key(author).map_err(RecordError::InvalidAuthorKey)?;
        let mut record = Self::unchecked(
            Some(origin),
            domain,
            kind,
            Author::Ed25519(key),
            timestamp_ms,
            payload,
        )?;
        record.signature = Some(Signature::from_bytes(signature));
        record.verify_signature()?;
        Ok(record)
    }

    /// A record for the log `origin` without an author (a citizen write,
    /// authorised by its proof).
    pub fn unsigned(
        origin: &str,
        domain: &str,
        kind: &str,
        timestamp_ms: u64,
        payload: Vec<u8>,
    ) -> Result<Self, RecordError> {
        Self::unchecked(
            Some(origin),
            domain,
            kind,
            Author::None,
            timestamp_ms,
            payload,
        )
    }

    fn unchecked(
        origin: Option<&str>,
        domain: &str,
        kind: &str,
        author: Author,
        timestamp_ms: u64,
        payload: Vec<u8>,
    ) -> Result<Self, RecordError> {
        if let Some(origin) = origin {
            check_origin(origin)?;
        }
        check_name("domain", domain, MAX_DOMAIN, false)?;
        check_name("kind", kind, MAX_KIND, true)?;
        if payload.len() > MAX_PAYLOAD {
            return Err(RecordError::PayloadTooLarge(payload.len()));
        }
        Ok(Self {
            origin: origin.map(str::to_owned),
            domain: domain.to_owned(),
            kind: kind.to_owned(),
            author,
            timestamp_ms,
            payload,
            signature: None,
        })
    }

    /// Decodes and checks untrusted bytes: canonical encoding, valid names,
    /// an author key [`parse_verifying_key`] accepts, and a signature that
    /// verifies strictly.
    pub fn decode(bytes: &[u8]) -> Result<Self, RecordError> {
        if bytes.len() > MAX_RECORD {
            return Err(CodecError::TooLong {
                what: "record",
                len: bytes.len(),
                max: MAX_RECORD,
            }
            .into());
        }
        let mut r = Reader::new(bytes);
        let origin = match r.u8("version")? {
            RECORD_VERSION => Some(r.str("origin", MAX_ORIGIN)?),
            LEGACY_RECORD_VERSION => None,
            other => return Err(RecordError::UnsupportedVersion(other)),
        };
        let domain = r.str("domain", MAX_DOMAIN)?;
        let kind = r.str("kind", MAX_KIND)?;
        let author = match r.u8("author tag")? {
            0 => Author::None,
            1 => Author::Ed25519(
                parse_verifying_key(&r.array("author key")?)
                    .map_err(RecordError::InvalidAuthorKey)?,
            ),
            other => return Err(invalid("author tag", format!("unknown tag {other}"))),
        };
        let timestamp_ms = r.u64("timestamp")?;
        let payload = r.bytes("payload", MAX_PAYLOAD)?.to_vec();
        let signature = match r.u8("signature tag")? {
            0 => None,
            1 => Some(Signature::from_bytes(&r.array("signature")?)),
            other => return Err(invalid("signature tag", format!("unknown tag {other}"))),
        };
        r.finish()?;
        let mut record = Self::unchecked(origin, domain, kind, author, timestamp_ms, payload)?;
        record.signature = signature;
        record.verify_signature()?;
        Ok(record)
    }

    /// The canonical encoding: the log leaf.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = self.header();
        match &self.signature {
            None => w.u8(0),
            Some(sig) => w.u8(1).fixed(&sig.to_bytes()),
        };
        w.finish()
    }

    fn header(&self) -> Writer {
        let mut w = Writer::new();
        match &self.origin {
            Some(origin) => w.u8(RECORD_VERSION).str(origin),
            None => w.u8(LEGACY_RECORD_VERSION),
        };
        w.str(&self.domain).str(&self.kind);
        match &self.author {
            Author::None => w.u8(0),
            Author::Ed25519(key) => w.u8(1).fixed(key.as_bytes()),
        };
        w.u64(self.timestamp_ms).bytes(&self.payload);
        w
    }

    /// The exact bytes the author signs.
    pub fn signing_message(&self) -> Vec<u8> {
        let mut message = SIGNING_CONTEXT.to_vec();
        message.extend_from_slice(&self.header().finish());
        message
    }

    fn verify_signature(&self) -> Result<(), RecordError> {
        match (&self.author, &self.signature) {
            (Author::None, None) => Ok(()),
            (Author::Ed25519(key), Some(sig)) => {
                signature::verify(key, &self.signing_message(), sig)
                    .map_err(|_| RecordError::BadSignature)
            }
            _ => Err(RecordError::SignatureMismatch),
        }
    }

    /// The origin of the log the record was written for; `None` for a
    /// version-1 record, which names no log.
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// `Ok` if the record may be written to the log `log_origin`: it names
    /// exactly that log. A log calls this on every new write; version-1
    /// records are refused because they name no log.
    pub fn check_log(&self, log_origin: &str) -> Result<(), LogBindingError> {
        match &self.origin {
            None => Err(LogBindingError::Unbound {
                log: log_origin.to_owned(),
            }),
            Some(origin) if origin != log_origin => Err(LogBindingError::ForeignLog {
                bound_to: origin.clone(),
                log: log_origin.to_owned(),
            }),
            Some(_) => Ok(()),
        }
    }

    /// `Ok` unless the record names a log other than `log_origin`: the
    /// check for records read from that log, which may include version-1
    /// records logged before records named their log.
    pub fn check_logged_in(&self, log_origin: &str) -> Result<(), LogBindingError> {
        match self.check_log(log_origin) {
            Err(LogBindingError::Unbound { .. }) => Ok(()),
            other => other,
        }
    }

    /// SHA3-256 record id: `SHA3-256("zkaudit/v1/record-id/" ‖ domain ‖ "/" ‖ kind ‖ 0x00 ‖ encoding)`.
    pub fn id(&self) -> [u8; 32] {
        record_id(&self.domain, &self.kind, &self.encode())
    }

    /// SHA3-256 digest of the payload, tagged with the record's domain and kind.
    pub fn payload_digest(&self) -> [u8; 32] {
        tagged_digest("payload", &self.domain, &self.kind, &self.payload)
    }

    /// The domain, e.g. `"identity"`.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The kind within the domain, e.g. `"credential.issue"`.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// `domain/kind`, the name permissions are granted on.
    pub fn qualified_kind(&self) -> String {
        format!("{}/{}", self.domain, self.kind)
    }

    /// Who wrote it.
    pub fn author(&self) -> Author {
        self.author
    }

    /// Author's claimed time, Unix milliseconds.
    pub fn timestamp_ms(&self) -> u64 {
        self.timestamp_ms
    }

    /// The kind-specific payload (itself canonically encoded by its domain).
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The author's signature, if any.
    pub fn signature(&self) -> Option<&Signature> {
        self.signature.as_ref()
    }
}

/// The log origin the ledger's unit tests write records for.
#[cfg(test)]
pub(crate) const TEST_LOG: &str = "zkaudit.test/log";

/// Something that signs records: an Ed25519 key, raw or named.
pub trait RecordSigner {
    /// The public key recorded as the author.
    fn record_key(&self) -> VerifyingKey;
    /// Signs a record's signing message.
    fn sign_record(&self, message: &[u8]) -> Signature;
}

impl RecordSigner for SigningKey {
    fn record_key(&self) -> VerifyingKey {
        self.verifying_key()
    }
    fn sign_record(&self, message: &[u8]) -> Signature {
        self.sign(message)
    }
}

impl RecordSigner for crate::note::NoteSigningKey {
    fn record_key(&self) -> VerifyingKey {
        self.public_key()
    }
    fn sign_record(&self, message: &[u8]) -> Signature {
        self.sign_raw(message)
    }
}

/// The record id of an encoded record of `domain/kind`.
pub fn record_id(domain: &str, kind: &str, encoding: &[u8]) -> [u8; 32] {
    tagged_digest("record-id", domain, kind, encoding)
}

/// `SHA3-256("zkaudit/v1/" ‖ purpose ‖ "/" ‖ domain ‖ "/" ‖ kind ‖ 0x00 ‖ data)`:
/// the domain-separated digest used for record ids and payload digests.
pub fn tagged_digest(purpose: &str, domain: &str, kind: &str, data: &[u8]) -> [u8; 32] {
    let mut h = Sha3_256::new();
    h.update(b"zkaudit/v1/");
    h.update(purpose.as_bytes());
    h.update(b"/");
    h.update(domain.as_bytes());
    h.update(b"/");
    h.update(kind.as_bytes());
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

fn invalid(what: &'static str, reason: String) -> RecordError {
    CodecError::Invalid { what, reason }.into()
}

fn check_origin(origin: &str) -> Result<(), RecordError> {
    if origin.len() > MAX_ORIGIN
        || !signed_note::is_key_name_valid(origin)
        || origin.chars().any(char::is_control)
    {
        return Err(RecordError::InvalidOrigin(
            origin.chars().take(64).collect(),
        ));
    }
    Ok(())
}

fn check_name(
    field: &'static str,
    value: &str,
    max: usize,
    allow_dot: bool,
) -> Result<(), RecordError> {
    let fail = |reason| {
        Err(RecordError::InvalidName {
            field,
            value: value.chars().take(64).collect(),
            reason,
        })
    };
    if value.is_empty() || value.len() > max {
        return fail("must be 1 to the maximum length of bytes");
    }
    let allowed = |c: char| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || (allow_dot && c == '.')
    };
    if !value.chars().all(allowed) {
        return fail("only lowercase ASCII letters, digits, '-' (and '.' in kinds)");
    }
    if !value.starts_with(|c: char| c.is_ascii_lowercase()) {
        return fail("must start with a lowercase letter");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::forgery::{
        FORGED_SIGNATURE, IDENTITY_KEY, NON_CANONICAL_KEY, identity_r_signature, raw_record,
        small_order_keys, torsion_key,
    };
    use rand_chacha::ChaCha20Rng;
    use rand_chacha::rand_core::SeedableRng;

    fn key(seed: u64) -> SigningKey {
        SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(seed))
    }

    const LOG: &str = TEST_LOG;

    fn sample() -> Record {
        Record::signed(
            LOG,
            "ledger",
            "notice",
            1_700_000_000_000,
            b"hello".to_vec(),
            &key(1),
        )
        .unwrap()
    }

    #[test]
    fn encoding_round_trips_and_is_canonical() {
        let record = sample();
        let bytes = record.encode();
        let decoded = Record::decode(&bytes).unwrap();
        assert_eq!(decoded, record);
        assert_eq!(decoded.encode(), bytes);
        let citizen = Record::unsigned(LOG, "identity", "claim", 5, vec![1, 2, 3]).unwrap();
        assert_eq!(Record::decode(&citizen.encode()).unwrap(), citizen);
    }

    #[test]
    fn every_single_bit_flip_is_refused() {
        let bytes = sample().encode();
        for i in 0..bytes.len() {
            let mut tampered = bytes.clone();
            tampered[i] ^= 0x01;
            assert!(
                Record::decode(&tampered).is_err(),
                "byte {i} flipped yet the record still decodes and verifies"
            );
        }
    }

    #[test]
    fn strict_decoding() {
        let bytes = sample().encode();
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(matches!(
            Record::decode(&trailing),
            Err(RecordError::Malformed(CodecError::TrailingBytes(1)))
        ));
        assert!(Record::decode(&bytes[..bytes.len() - 1]).is_err());
        let mut v3 = bytes.clone();
        v3[0] = 3;
        assert_eq!(Record::decode(&v3), Err(RecordError::UnsupportedVersion(3)));
        // An authored record whose signature tag says "none".
        let mut unsigned = bytes[..bytes.len() - 65].to_vec();
        unsigned.push(0);
        assert_eq!(
            Record::decode(&unsigned),
            Err(RecordError::SignatureMismatch)
        );
    }

    #[test]
    fn names_are_validated() {
        assert!(Record::unsigned(LOG, "Ledger", "x", 0, vec![]).is_err());
        assert!(Record::unsigned(LOG, "ledger", "", 0, vec![]).is_err());
        assert!(Record::unsigned(LOG, "led.ger", "x", 0, vec![]).is_err());
        assert!(Record::unsigned(LOG, "ledger", "credential.issue", 0, vec![]).is_ok());
        assert!(Record::unsigned(LOG, "ledger", "x y", 0, vec![]).is_err());
        assert!(Record::unsigned(LOG, "ledger", "x", 0, vec![0; MAX_PAYLOAD + 1]).is_err());
    }

    #[test]
    fn wrong_key_signature_is_refused() {
        let mut record = sample();
        record.author = Author::Ed25519(key(2).verifying_key());
        assert_eq!(
            Record::decode(&record.encode()),
            Err(RecordError::BadSignature)
        );
    }

    #[test]
    fn identity_point_author_with_forged_signature_is_refused() {
        // The lax check accepted this for every payload: `[0]B = identity + [k]identity`.
        for payload in [&b""[..], b"any message", &[0xff; 100]] {
            assert_eq!(
                Record::decode(&raw_record(
                    "health",
                    "consent.grant",
                    &IDENTITY_KEY,
                    &FORGED_SIGNATURE,
                    payload
                )),
                Err(RecordError::InvalidAuthorKey(KeyError::SmallOrder))
            );
        }
        for weak in small_order_keys() {
            assert_eq!(
                Record::decode(&raw_record(
                    "health",
                    "consent.grant",
                    &weak,
                    &FORGED_SIGNATURE,
                    b"x"
                )),
                Err(RecordError::InvalidAuthorKey(KeyError::SmallOrder))
            );
        }
    }

    #[test]
    fn non_canonical_and_mixed_order_author_keys_are_refused() {
        let sig = sample().signature().unwrap().to_bytes();
        assert_eq!(
            Record::decode(&raw_record(
                "health",
                "consent.grant",
                &NON_CANONICAL_KEY,
                &sig,
                b"x"
            )),
            Err(RecordError::InvalidAuthorKey(KeyError::NonCanonical))
        );
        assert_eq!(
            Record::decode(&raw_record(
                "health",
                "consent.grant",
                &torsion_key(&key(1)),
                &sig,
                b"x"
            )),
            Err(RecordError::InvalidAuthorKey(KeyError::TorsionComponent))
        );
    }

    #[test]
    fn a_signature_only_the_lax_check_accepts_is_refused() {
        let author = key(4);
        let mut record =
            Record::signed(LOG, "health", "consent.grant", 9, b"x".to_vec(), &author).unwrap();
        assert!(Record::decode(&record.encode()).is_ok());
        record.signature = Some(identity_r_signature(&author, &record.signing_message()));
        assert_eq!(
            Record::decode(&record.encode()),
            Err(RecordError::BadSignature)
        );
    }

    #[test]
    fn a_record_names_its_log_and_the_signature_covers_it() {
        let record = sample();
        assert_eq!(record.origin(), Some(LOG));
        assert_eq!(record.check_log(LOG), Ok(()));
        assert_eq!(
            record.check_log("zkaudit.test/other"),
            Err(LogBindingError::ForeignLog {
                bound_to: LOG.into(),
                log: "zkaudit.test/other".into()
            })
        );
        // Re-pointing a signed record at another log of the same length
        // breaks its signature.
        let moved: Vec<u8> = {
            let bytes = record.encode();
            let at = bytes
                .windows(LOG.len())
                .position(|w| w == LOG.as_bytes())
                .unwrap();
            let mut moved = bytes.clone();
            moved[at..at + LOG.len()].copy_from_slice(b"zkaudit.test/lug");
            moved
        };
        assert_eq!(Record::decode(&moved), Err(RecordError::BadSignature));
        // Same payload, same key, two logs: two different records.
        let other = Record::signed(
            "zkaudit.test/other",
            "ledger",
            "notice",
            record.timestamp_ms(),
            record.payload().to_vec(),
            &key(1),
        )
        .unwrap();
        assert_ne!(other.id(), record.id());
    }

    #[test]
    fn origins_are_validated() {
        for bad in [
            "",
            "a b",
            "log+1",
            "tab\tlog",
            "nul\0",
            &"x".repeat(MAX_ORIGIN + 1),
        ] {
            assert!(
                matches!(
                    Record::unsigned(bad, "ledger", "x", 0, vec![]),
                    Err(RecordError::InvalidOrigin(_))
                ),
                "{bad:?}"
            );
        }
        assert!(Record::unsigned("example.com/log/2026", "ledger", "x", 0, vec![]).is_ok());
    }

    #[test]
    fn version_1_records_still_verify_but_name_no_log() {
        let author = key(5);
        // A version-1 record as the service wrote it before records named
        // their log: the same layout without the origin, signed the same way.
        let mut header = Writer::new();
        header.u8(LEGACY_RECORD_VERSION).str("ledger").str("notice");
        header.u8(1).fixed(author.verifying_key().as_bytes());
        header.u64(7).bytes(b"old");
        let header = header.finish();
        let mut message = SIGNING_CONTEXT.to_vec();
        message.extend_from_slice(&header);
        let mut bytes = header;
        bytes.push(1);
        bytes.extend_from_slice(&author.sign(&message).to_bytes());

        let legacy = Record::decode(&bytes).unwrap();
        assert_eq!(legacy.origin(), None);
        assert_eq!(legacy.encode(), bytes);
        assert_eq!(legacy.signing_message(), message);
        assert_eq!(
            legacy.check_log(LOG),
            Err(LogBindingError::Unbound { log: LOG.into() })
        );
        assert_eq!(legacy.check_logged_in(LOG), Ok(()));
        assert!(sample().check_logged_in("zkaudit.test/other").is_err());
        // A version-1 signature does not verify as version 2 and vice versa:
        // the version byte is signed.
        let mut relabelled = bytes.clone();
        relabelled[0] = RECORD_VERSION;
        assert!(Record::decode(&relabelled).is_err());
    }

    #[test]
    fn ids_are_domain_separated() {
        let a = sample();
        assert_ne!(a.id(), a.payload_digest());
        assert_ne!(
            record_id("ledger", "notice", b"x"),
            record_id("ledger", "notices", b"x")
        );
    }
}
