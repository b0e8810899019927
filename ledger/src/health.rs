//! The health domain's records and the rules over them: medical-record
//! commitments, patient consent and the access audit, and the vaccine
//! supply chain.
//!
//! Everything here is pure (no storage), so the light verifier can replay a
//! patient's access log or a lot's chain of custody offline with exactly the
//! rules the service enforces up front.
//!
//! ## Records and access audit
//!
//! * `record.commit` (a hospital, an authority): one medical record version,
//!   as the SHA3-256 digest of the *encrypted* record and a Poseidon
//!   commitment `Poseidon(digest mod p, salt)` usable in proofs. Neither the
//!   record nor its keys nor the salt reach the log. Patients are named by a
//!   pseudonymous Ed25519 public key, never by name.
//! * `consent.grant` / `consent.revoke` (the patient, a participant): who
//!   may read, for what purpose, which record (or all), until when. The
//!   patient signs consents with their own key rather than the hospital on
//!   their behalf: the hospital is the party the access audit holds to
//!   account, and a consent it could sign itself could be forged after the
//!   fact to cover an improper access.
//! * `access` (the hospital): every read, with who, when, why and which
//!   record version. An access is always logged — refusing to log it would
//!   hide it — and [`HealthBook::access_verdict`] flags one that no valid
//!   consent covered at that time.
//!
//! ## Vaccine supply chain
//!
//! * `lot.register` (a manufacturer, an authority): product, lot number,
//!   quantity, expiry. The manufacturer holds the whole quantity.
//! * `lot.transfer` (the sender, a participant): the record is signed by the
//!   sender and carries the receiver's countersignature over the same
//!   transfer ([`transfer_receipt_message`]): one record, both signatures.
//! * `lot.administer` (a site, a participant): doses given from a lot.
//!
//! [`verify_trace`] checks a lot's whole chain offline: signatures, order,
//! no transfer of more than the sender holds, no administration after
//! expiry or beyond the site's stock, no unknown (counterfeit) lot.

use std::collections::BTreeMap;

use ed25519_dalek::{Signature, VerifyingKey};
use sha3::{Digest, Sha3_256};
use zkaudit_circuits::Fr;
use zkaudit_circuits::poseidon::poseidon_hash;

use crate::codec::{CodecError, Reader, Writer};
use crate::codec::{fr_from_bytes, fr_to_bytes};
use crate::record::{Author, Record, RecordSigner};

/// The domain name.
pub const DOMAIN: &str = "health";
/// Kind: a hospital commits to one version of a medical record.
pub const RECORD_COMMIT: &str = "record.commit";
/// Kind: a patient grants read access.
pub const CONSENT_GRANT: &str = "consent.grant";
/// Kind: a patient revokes a grant.
pub const CONSENT_REVOKE: &str = "consent.revoke";
/// Kind: a hospital logs an access to a record.
pub const ACCESS: &str = "access";
/// Kind: a manufacturer registers a vaccine lot.
pub const LOT_REGISTER: &str = "lot.register";
/// Kind: a custody transfer, signed by the sender and countersigned by the receiver.
pub const LOT_TRANSFER: &str = "lot.transfer";
/// Kind: a site administers doses from a lot.
pub const LOT_ADMINISTER: &str = "lot.administer";
/// Largest quantity one lot may hold (keeps every sum far from overflow).
pub const MAX_QUANTITY: u64 = 1_000_000_000;
/// Prefix of the message a transfer's receiver countersigns.
pub const RECEIPT_CONTEXT: &[u8] = b"zkaudit/v1/health/transfer-receipt\0";

const MAX_ID: usize = 64;

/// Why a health record is refused, or a check fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HealthError {
    /// The payload is not a canonical encoding.
    #[error("malformed payload: {0}")]
    Malformed(#[from] CodecError),
    /// A field breaks its rule (id syntax, zero quantity, bad key…).
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// Health records must be signed.
    #[error("health records must be signed by their author")]
    Unsigned,
    /// A record version out of sequence.
    #[error("record {record:?} is at version {current}; the next version is {}", current + 1)]
    VersionOutOfSequence {
        /// The record id.
        record: String,
        /// Its latest logged version (0: none).
        current: u32,
    },
    /// An access names a record version that was never committed.
    #[error("no committed record {record:?} version {version} for this patient")]
    UnknownRecord {
        /// The record id.
        record: String,
        /// The version.
        version: u32,
    },
    /// The consent id is taken for this patient.
    #[error("consent {0:?} already exists")]
    ConsentExists(String),
    /// No such consent of this patient (or already revoked).
    #[error("patient has no live consent {0:?}")]
    UnknownConsent(String),
    /// A lot that was never registered: counterfeit or mistyped.
    #[error("unknown lot {0:?}: never registered by a manufacturer")]
    UnknownLot(String),
    /// The lot number is taken.
    #[error("lot {0:?} is already registered")]
    LotExists(String),
    /// A sender or site moves more than it holds.
    #[error("{action} of {requested} from lot {lot:?} but the holder has only {held}")]
    OverQuantity {
        /// `"transfer"` or `"administration"`.
        action: &'static str,
        /// The lot.
        lot: String,
        /// Units requested.
        requested: u64,
        /// Units the holder has.
        held: u64,
    },
    /// A quantity above [`MAX_QUANTITY`] or a sum that would overflow.
    #[error("quantity overflow: {0}")]
    QuantityOverflow(String),
    /// Doses administered at or after the lot's expiry.
    #[error("lot {lot:?} expired at {expiry_ms} ms; administration at {at_ms} ms")]
    Expired {
        /// The lot.
        lot: String,
        /// Its expiry.
        expiry_ms: u64,
        /// The administration time.
        at_ms: u64,
    },
    /// The receiver's countersignature does not verify.
    #[error("the receiver's countersignature does not verify")]
    BadCountersignature,
    /// Events out of order (time before the lot or the holder's stock existed, or log order broken).
    #[error("out of order: {0}")]
    OutOfOrder(String),
    /// An entry in a trace or access log that does not belong there.
    #[error("foreign entry: {0}")]
    Foreign(String),
    /// A check failed at a given log entry.
    #[error("log entry {index}: {source}")]
    AtEntry {
        /// The entry's log index.
        index: u64,
        /// What failed.
        source: Box<HealthError>,
    },
}

/// Result alias of the health domain.
pub type HealthResult<T> = std::result::Result<T, HealthError>;

fn invalid<T>(field: &'static str, reason: impl Into<String>) -> HealthResult<T> {
    Err(HealthError::Invalid {
        field,
        reason: reason.into(),
    })
}

/// Ids (records, consents, lots, products, grantees, purposes): 1 to 64
/// bytes of `[A-Za-z0-9._@-]`.
fn check_id(field: &'static str, id: &str) -> HealthResult<()> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        invalid(field, "must be 1-64 bytes of [A-Za-z0-9._@-]")
    }
}

fn read_id(r: &mut Reader<'_>, field: &'static str) -> HealthResult<String> {
    let id = r.str(field, MAX_ID)?.to_owned();
    check_id(field, &id)?;
    Ok(id)
}

fn read_key(r: &mut Reader<'_>, field: &'static str) -> HealthResult<VerifyingKey> {
    let bytes: [u8; 32] = r.array(field)?;
    VerifyingKey::from_bytes(&bytes).or_else(|_| invalid(field, "not an Ed25519 public key"))
}

fn read_quantity(r: &mut Reader<'_>, field: &'static str) -> HealthResult<u64> {
    let q = r.u64(field)?;
    if q == 0 {
        return invalid(field, "must be at least 1");
    }
    if q > MAX_QUANTITY {
        return Err(HealthError::QuantityOverflow(format!(
            "{field} {q} exceeds the maximum {MAX_QUANTITY}"
        )));
    }
    Ok(q)
}

fn author_of(record: &Record) -> HealthResult<VerifyingKey> {
    match record.author() {
        Author::Ed25519(key) => Ok(key),
        Author::None => Err(HealthError::Unsigned),
    }
}

/// SHA3-256 digest of an encrypted medical record, domain-separated.
pub fn ciphertext_digest(ciphertext: &[u8]) -> [u8; 32] {
    let mut h = Sha3_256::new();
    h.update(b"zkaudit/v1/health/record-ciphertext\0");
    h.update(ciphertext);
    h.finalize().into()
}

/// The Poseidon commitment `Poseidon(digest mod p, salt)` to a record
/// version: binds the ciphertext digest, hides it behind the salt, and is
/// cheap to open inside a circuit.
pub fn record_commitment(digest: &[u8; 32], salt: Fr) -> Fr {
    let d = <Fr as ark_ff::PrimeField>::from_be_bytes_mod_order(digest);
    poseidon_hash(&[d, salt]).expect("two inputs are within Poseidon's arity")
}

/// `record.commit`: one version of a patient's medical record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordCommit {
    /// The patient's pseudonymous Ed25519 key.
    pub patient: VerifyingKey,
    /// The hospital's record id (no personal data).
    pub record: String,
    /// Version, 1 for the first, then consecutive.
    pub version: u32,
    /// [`ciphertext_digest`] of the encrypted record.
    pub ciphertext_sha3: [u8; 32],
    /// [`record_commitment`], canonical field bytes.
    pub commitment: [u8; 32],
}

impl RecordCommit {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.fixed(self.patient.as_bytes())
            .str(&self.record)
            .u32(self.version)
            .fixed(&self.ciphertext_sha3)
            .fixed(&self.commitment);
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> HealthResult<Self> {
        let mut r = Reader::new(bytes);
        let out = Self {
            patient: read_key(&mut r, "patient")?,
            record: read_id(&mut r, "record id")?,
            version: r.u32("version")?,
            ciphertext_sha3: r.array("ciphertext digest")?,
            commitment: r.array("commitment")?,
        };
        r.finish()?;
        if out.version == 0 {
            return invalid("version", "versions start at 1");
        }
        fr_from_bytes("commitment", &out.commitment).or_else(|_| {
            invalid(
                "commitment",
                "not a canonical BN254 field element".to_owned(),
            )
        })?;
        Ok(out)
    }
}

/// `consent.grant`: signed by the patient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentGrant {
    /// The patient's own id for this consent (unique per patient).
    pub consent: String,
    /// Who may read (a clinician's or organisation's identifier).
    pub grantee: String,
    /// For what purpose, e.g. `treatment`, `research`.
    pub purpose: String,
    /// One record id, or `None` for all the patient's records.
    pub record: Option<String>,
    /// Valid until this time, Unix ms (exclusive).
    pub valid_until_ms: u64,
}

impl ConsentGrant {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.consent).str(&self.grantee).str(&self.purpose);
        match &self.record {
            None => w.u8(0),
            Some(r) => w.u8(1).str(r),
        };
        w.u64(self.valid_until_ms);
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> HealthResult<Self> {
        let mut r = Reader::new(bytes);
        let consent = read_id(&mut r, "consent id")?;
        let grantee = read_id(&mut r, "grantee")?;
        let purpose = read_id(&mut r, "purpose")?;
        let record = match r.u8("record flag")? {
            0 => None,
            1 => Some(read_id(&mut r, "record id")?),
            other => return invalid("record flag", format!("{other} is not 0 or 1")),
        };
        let valid_until_ms = r.u64("valid until")?;
        r.finish()?;
        Ok(Self {
            consent,
            grantee,
            purpose,
            record,
            valid_until_ms,
        })
    }
}

/// `consent.revoke`: signed by the patient who granted it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentRevoke {
    /// The consent id.
    pub consent: String,
}

impl ConsentRevoke {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.consent);
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> HealthResult<Self> {
        let mut r = Reader::new(bytes);
        let consent = read_id(&mut r, "consent id")?;
        r.finish()?;
        Ok(Self { consent })
    }
}

/// `access`: one read of a record version, logged by the hospital.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessEvent {
    /// The patient's pseudonymous key.
    pub patient: VerifyingKey,
    /// The record id.
    pub record: String,
    /// The version read.
    pub version: u32,
    /// Who read it.
    pub accessor: String,
    /// The purpose given.
    pub purpose: String,
    /// When, Unix ms.
    pub at_ms: u64,
}

impl AccessEvent {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.fixed(self.patient.as_bytes())
            .str(&self.record)
            .u32(self.version)
            .str(&self.accessor)
            .str(&self.purpose)
            .u64(self.at_ms);
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> HealthResult<Self> {
        let mut r = Reader::new(bytes);
        let out = Self {
            patient: read_key(&mut r, "patient")?,
            record: read_id(&mut r, "record id")?,
            version: r.u32("version")?,
            accessor: read_id(&mut r, "accessor")?,
            purpose: read_id(&mut r, "purpose")?,
            at_ms: r.u64("access time")?,
        };
        r.finish()?;
        Ok(out)
    }
}

/// `lot.register`: signed by the manufacturer, who then holds the lot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LotRegister {
    /// Lot number, unique across the log.
    pub lot: String,
    /// Product code.
    pub product: String,
    /// Doses in the lot (1 to [`MAX_QUANTITY`]).
    pub quantity: u64,
    /// Expiry, Unix ms.
    pub expiry_ms: u64,
}

impl LotRegister {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.lot)
            .str(&self.product)
            .u64(self.quantity)
            .u64(self.expiry_ms);
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> HealthResult<Self> {
        let mut r = Reader::new(bytes);
        let out = Self {
            lot: read_id(&mut r, "lot")?,
            product: read_id(&mut r, "product")?,
            quantity: read_quantity(&mut r, "quantity")?,
            expiry_ms: r.u64("expiry")?,
        };
        r.finish()?;
        Ok(out)
    }
}

/// `lot.transfer`: the record's author is the sender; the receiver
/// countersigns [`transfer_receipt_message`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LotTransfer {
    /// The lot.
    pub lot: String,
    /// Doses moved.
    pub quantity: u64,
    /// The receiver's key.
    pub receiver: VerifyingKey,
    /// The receiver's Ed25519 signature over [`transfer_receipt_message`].
    pub receiver_signature: Signature,
}

impl LotTransfer {
    /// A transfer countersigned by `receiver` for a record `sender` will sign at `timestamp_ms`.
    pub fn countersigned(
        lot: &str,
        quantity: u64,
        sender: &VerifyingKey,
        timestamp_ms: u64,
        receiver: &impl RecordSigner,
    ) -> Self {
        let key = receiver.record_key();
        let message = transfer_receipt_message(sender, timestamp_ms, lot, quantity, &key);
        Self {
            lot: lot.to_owned(),
            quantity,
            receiver: key,
            receiver_signature: receiver.sign_record(&message),
        }
    }

    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.lot)
            .u64(self.quantity)
            .fixed(self.receiver.as_bytes())
            .fixed(&self.receiver_signature.to_bytes());
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> HealthResult<Self> {
        let mut r = Reader::new(bytes);
        let out = Self {
            lot: read_id(&mut r, "lot")?,
            quantity: read_quantity(&mut r, "quantity")?,
            receiver: read_key(&mut r, "receiver")?,
            receiver_signature: Signature::from_bytes(&r.array("receiver signature")?),
        };
        r.finish()?;
        Ok(out)
    }

    /// Checks the receiver's countersignature for the record `record` carrying it.
    pub fn verify_countersignature(&self, record: &Record) -> HealthResult<()> {
        let sender = author_of(record)?;
        let message = transfer_receipt_message(
            &sender,
            record.timestamp_ms(),
            &self.lot,
            self.quantity,
            &self.receiver,
        );
        self.receiver
            .verify_strict(&message, &self.receiver_signature)
            .map_err(|_| HealthError::BadCountersignature)
    }
}

/// What a transfer's receiver signs: [`RECEIPT_CONTEXT`] ‖ sender key ‖
/// u64 time ‖ lot ‖ u64 quantity ‖ receiver key. It binds the sender and the
/// record's timestamp, so a countersignature can't be replayed into another
/// transfer.
pub fn transfer_receipt_message(
    sender: &VerifyingKey,
    timestamp_ms: u64,
    lot: &str,
    quantity: u64,
    receiver: &VerifyingKey,
) -> Vec<u8> {
    let mut w = Writer::new();
    w.fixed(RECEIPT_CONTEXT)
        .fixed(sender.as_bytes())
        .u64(timestamp_ms)
        .str(lot)
        .u64(quantity)
        .fixed(receiver.as_bytes());
    w.finish()
}

/// `lot.administer`: signed by the site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LotAdminister {
    /// The lot.
    pub lot: String,
    /// Doses given.
    pub doses: u64,
}

impl LotAdminister {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.lot).u64(self.doses);
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> HealthResult<Self> {
        let mut r = Reader::new(bytes);
        let out = Self {
            lot: read_id(&mut r, "lot")?,
            doses: read_quantity(&mut r, "doses")?,
        };
        r.finish()?;
        Ok(out)
    }
}

/// The lot a supply-chain record is about, or `None` for other kinds.
pub fn lot_of(record: &Record) -> HealthResult<Option<String>> {
    Ok(match record.kind() {
        LOT_REGISTER => Some(LotRegister::decode(record.payload())?.lot),
        LOT_TRANSFER => Some(LotTransfer::decode(record.payload())?.lot),
        LOT_ADMINISTER => Some(LotAdminister::decode(record.payload())?.lot),
        _ => None,
    })
}

/// The patient a care record is about, or `None` for other kinds.
pub fn patient_of(record: &Record) -> HealthResult<Option<VerifyingKey>> {
    Ok(match record.kind() {
        RECORD_COMMIT => Some(RecordCommit::decode(record.payload())?.patient),
        ACCESS => Some(AccessEvent::decode(record.payload())?.patient),
        CONSENT_GRANT | CONSENT_REVOKE => Some(author_of(record)?),
        _ => None,
    })
}

/// One consent's derived state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentState {
    /// The grant.
    pub grant: ConsentGrant,
    /// When the patient granted it (the record's time), Unix ms.
    pub granted_ms: u64,
    /// Log index of the grant.
    pub granted_index: u64,
    /// When the patient revoked it, if they did.
    pub revoked_ms: Option<u64>,
}

/// Whether a logged access was covered by consent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccessVerdict {
    /// A valid consent covered it.
    Consented {
        /// The consent id.
        consent: String,
    },
    /// Nothing covered it: flagged, with the reason.
    Flagged {
        /// Why.
        reason: String,
    },
}

/// One lot's derived state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LotState {
    /// The registration.
    pub spec: LotRegister,
    /// The manufacturer's key.
    pub manufacturer: VerifyingKey,
    /// Log index of the registration.
    pub registered_index: u64,
    /// Registration time, Unix ms.
    pub registered_ms: u64,
    /// Doses held, by holder key.
    pub holdings: BTreeMap<[u8; 32], u64>,
    /// When each holder first received doses, Unix ms.
    pub first_received_ms: BTreeMap<[u8; 32], u64>,
    /// Doses administered, by site key.
    pub administered: BTreeMap<[u8; 32], u64>,
    /// Transfers out and administrations applied, by holder key: the
    /// sequence number a writer's next debit takes (how the service keeps
    /// two debits checked against the same balance from both being logged).
    pub debits: BTreeMap<[u8; 32], u64>,
    /// Events applied (registration included).
    pub events: u64,
}

impl LotState {
    /// Doses `holder` holds now.
    pub fn held_by(&self, holder: &VerifyingKey) -> u64 {
        self.holdings.get(holder.as_bytes()).copied().unwrap_or(0)
    }

    /// Debits (transfers out, administrations) `holder` has made.
    pub fn debits_of(&self, holder: &VerifyingKey) -> u64 {
        self.debits.get(holder.as_bytes()).copied().unwrap_or(0)
    }

    /// Doses administered in total.
    pub fn total_administered(&self) -> u64 {
        self.administered.values().sum()
    }
}

/// The health domain's state, replayed from the log in order.
#[derive(Clone, Debug, Default)]
pub struct HealthBook {
    /// Latest version per (patient, record id).
    records: BTreeMap<([u8; 32], String), u32>,
    /// Consents per (patient, consent id).
    consents: BTreeMap<([u8; 32], String), ConsentState>,
    lots: BTreeMap<String, LotState>,
    applied_up_to: u64,
}

impl HealthBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Log index after the last record applied.
    pub fn applied_up_to(&self) -> u64 {
        self.applied_up_to
    }

    /// A lot's state.
    pub fn lot(&self, lot: &str) -> Option<&LotState> {
        self.lots.get(lot)
    }

    /// The latest committed version of a patient's record (0 if none).
    pub fn record_version(&self, patient: &VerifyingKey, record: &str) -> u32 {
        self.records
            .get(&(patient.to_bytes(), record.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// A patient's consents.
    pub fn consents_of<'a>(
        &'a self,
        patient: &'a VerifyingKey,
    ) -> impl Iterator<Item = &'a ConsentState> + 'a {
        self.consents
            .iter()
            .filter(move |((p, _), _)| p == patient.as_bytes())
            .map(|(_, c)| c)
    }

    /// Checks, without applying, that a signed health record is valid
    /// against the current state (the service's up-front rules; the same
    /// rules [`verify_trace`] replays offline).
    pub fn check(&self, record: &Record) -> HealthResult<()> {
        let author = author_of(record)?;
        let at = record.timestamp_ms();
        match record.kind() {
            RECORD_COMMIT => {
                let c = RecordCommit::decode(record.payload())?;
                let current = self.record_version(&c.patient, &c.record);
                if c.version != current + 1 {
                    return Err(HealthError::VersionOutOfSequence {
                        record: c.record,
                        current,
                    });
                }
                Ok(())
            }
            CONSENT_GRANT => {
                let g = ConsentGrant::decode(record.payload())?;
                if self
                    .consents
                    .contains_key(&(author.to_bytes(), g.consent.clone()))
                {
                    return Err(HealthError::ConsentExists(g.consent));
                }
                if g.valid_until_ms <= at {
                    return invalid("valid until", "a consent must end after it is given");
                }
                Ok(())
            }
            CONSENT_REVOKE => {
                let r = ConsentRevoke::decode(record.payload())?;
                match self.consents.get(&(author.to_bytes(), r.consent.clone())) {
                    Some(c) if c.revoked_ms.is_none() => Ok(()),
                    _ => Err(HealthError::UnknownConsent(r.consent)),
                }
            }
            ACCESS => {
                let a = AccessEvent::decode(record.payload())?;
                if a.version == 0 || a.version > self.record_version(&a.patient, &a.record) {
                    return Err(HealthError::UnknownRecord {
                        record: a.record,
                        version: a.version,
                    });
                }
                if a.at_ms > at {
                    return invalid("access time", "an access is logged after it happens");
                }
                Ok(())
            }
            LOT_REGISTER => {
                let l = LotRegister::decode(record.payload())?;
                if self.lots.contains_key(&l.lot) {
                    return Err(HealthError::LotExists(l.lot));
                }
                if l.expiry_ms <= at {
                    return invalid("expiry", "a lot must expire after it is registered");
                }
                Ok(())
            }
            LOT_TRANSFER => {
                let t = LotTransfer::decode(record.payload())?;
                let lot = self.known_lot(&t.lot)?;
                t.verify_countersignature(record)?;
                if t.receiver == author {
                    return invalid("receiver", "a transfer moves doses to someone else");
                }
                self.check_holder(lot, &author, at, "transfer", t.quantity)?;
                let received = lot.held_by(&t.receiver);
                if received
                    .checked_add(t.quantity)
                    .is_none_or(|s| s > MAX_QUANTITY)
                {
                    return Err(HealthError::QuantityOverflow(format!(
                        "the receiver would hold more than {MAX_QUANTITY}"
                    )));
                }
                Ok(())
            }
            LOT_ADMINISTER => {
                let a = LotAdminister::decode(record.payload())?;
                let lot = self.known_lot(&a.lot)?;
                if at >= lot.spec.expiry_ms {
                    return Err(HealthError::Expired {
                        lot: a.lot,
                        expiry_ms: lot.spec.expiry_ms,
                        at_ms: at,
                    });
                }
                self.check_holder(lot, &author, at, "administration", a.doses)
            }
            other => invalid("kind", format!("no health kind {other:?}")),
        }
    }

    fn known_lot(&self, lot: &str) -> HealthResult<&LotState> {
        self.lots
            .get(lot)
            .ok_or_else(|| HealthError::UnknownLot(lot.to_owned()))
    }

    fn check_holder(
        &self,
        lot: &LotState,
        holder: &VerifyingKey,
        at: u64,
        action: &'static str,
        quantity: u64,
    ) -> HealthResult<()> {
        let held = lot.held_by(holder);
        if quantity > held {
            return Err(HealthError::OverQuantity {
                action,
                lot: lot.spec.lot.clone(),
                requested: quantity,
                held,
            });
        }
        if let Some(&since) = lot.first_received_ms.get(holder.as_bytes())
            && at < since
        {
            return Err(HealthError::OutOfOrder(format!(
                "{action} at {at} ms, before the holder received any of the lot ({since} ms)"
            )));
        }
        Ok(())
    }

    /// Checks then applies `record`, logged at `index`. Records that fail
    /// [`HealthBook::check`] are skipped (the service never logs them, and
    /// a replay must not be derailed by one a misbehaving operator let
    /// through); [`verify_trace`] reports them instead.
    pub fn apply(&mut self, index: u64, record: &Record) {
        self.applied_up_to = self.applied_up_to.max(index + 1);
        if record.domain() != DOMAIN || self.check(record).is_err() {
            return;
        }
        let Ok(author) = author_of(record) else {
            return;
        };
        let at = record.timestamp_ms();
        // Payloads decoded in `check` above; decoding again cannot fail.
        match record.kind() {
            RECORD_COMMIT => {
                if let Ok(c) = RecordCommit::decode(record.payload()) {
                    self.records
                        .insert((c.patient.to_bytes(), c.record), c.version);
                }
            }
            CONSENT_GRANT => {
                if let Ok(g) = ConsentGrant::decode(record.payload()) {
                    self.consents.insert(
                        (author.to_bytes(), g.consent.clone()),
                        ConsentState {
                            grant: g,
                            granted_ms: at,
                            granted_index: index,
                            revoked_ms: None,
                        },
                    );
                }
            }
            CONSENT_REVOKE => {
                if let Ok(r) = ConsentRevoke::decode(record.payload())
                    && let Some(c) = self.consents.get_mut(&(author.to_bytes(), r.consent))
                {
                    c.revoked_ms = Some(at);
                }
            }
            LOT_REGISTER => {
                if let Ok(l) = LotRegister::decode(record.payload()) {
                    let key = author.to_bytes();
                    self.lots.insert(
                        l.lot.clone(),
                        LotState {
                            holdings: BTreeMap::from([(key, l.quantity)]),
                            first_received_ms: BTreeMap::from([(key, at)]),
                            administered: BTreeMap::new(),
                            debits: BTreeMap::new(),
                            spec: l,
                            manufacturer: author,
                            registered_index: index,
                            registered_ms: at,
                            events: 1,
                        },
                    );
                }
            }
            LOT_TRANSFER => {
                if let Ok(t) = LotTransfer::decode(record.payload())
                    && let Some(lot) = self.lots.get_mut(&t.lot)
                {
                    *lot.holdings.entry(author.to_bytes()).or_default() -= t.quantity;
                    *lot.holdings.entry(t.receiver.to_bytes()).or_default() += t.quantity;
                    lot.first_received_ms
                        .entry(t.receiver.to_bytes())
                        .or_insert(at);
                    *lot.debits.entry(author.to_bytes()).or_default() += 1;
                    lot.events += 1;
                }
            }
            LOT_ADMINISTER => {
                if let Ok(a) = LotAdminister::decode(record.payload())
                    && let Some(lot) = self.lots.get_mut(&a.lot)
                {
                    *lot.holdings.entry(author.to_bytes()).or_default() -= a.doses;
                    *lot.administered.entry(author.to_bytes()).or_default() += a.doses;
                    *lot.debits.entry(author.to_bytes()).or_default() += 1;
                    lot.events += 1;
                }
            }
            _ => {}
        }
    }

    /// Whether a valid consent covered `access`, logged at `index`: a grant
    /// by the patient to this accessor for this purpose and record (or all
    /// records), logged before the access entry, given at or before the
    /// access time, not expired and not revoked by then.
    pub fn access_verdict(&self, access: &AccessEvent, index: u64) -> AccessVerdict {
        let mut reason = "no consent of the patient names this accessor and purpose".to_owned();
        for c in self.consents_of(&access.patient) {
            let g = &c.grant;
            if g.grantee != access.accessor
                || g.purpose != access.purpose
                || g.record.as_ref().is_some_and(|r| *r != access.record)
            {
                continue;
            }
            if c.granted_index >= index || c.granted_ms > access.at_ms {
                reason = format!("consent {:?} was given after the access", g.consent);
            } else if access.at_ms >= g.valid_until_ms {
                reason = format!("consent {:?} had expired", g.consent);
            } else if c.revoked_ms.is_some_and(|r| r <= access.at_ms) {
                reason = format!("consent {:?} had been revoked", g.consent);
            } else {
                return AccessVerdict::Consented {
                    consent: g.consent.clone(),
                };
            }
        }
        AccessVerdict::Flagged { reason }
    }
}

impl crate::replay::Book for HealthBook {
    fn applied_up_to(&self) -> u64 {
        self.applied_up_to
    }

    fn apply(&mut self, index: u64, record: &Record) {
        HealthBook::apply(self, index, record);
    }
}

/// A lot's verified chain of custody.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceReport {
    /// The lot's final state.
    pub lot: LotState,
    /// Transfers in the chain.
    pub transfers: u64,
    /// Administration records in the chain.
    pub administrations: u64,
}

fn at_entry(index: u64, e: HealthError) -> HealthError {
    HealthError::AtEntry {
        index,
        source: Box::new(e),
    }
}

/// Checks a lot's whole chain of custody offline: `entries` are
/// `(log index, record)` of every record about `lot`, in log order (their
/// inclusion in the log is checked separately, e.g. by the verifier crate).
/// Record signatures were checked when the records were decoded; this
/// checks countersignatures, order, quantities and expiry by replaying the
/// service's rules, and that the first entry registers the lot.
pub fn verify_trace(lot: &str, entries: &[(u64, Record)]) -> HealthResult<TraceReport> {
    let mut book = HealthBook::new();
    let (mut transfers, mut administrations) = (0, 0);
    let mut previous: Option<u64> = None;
    for (index, record) in entries {
        let index = *index;
        let fail = |e| Err(at_entry(index, e));
        if previous.is_some_and(|p| index <= p) {
            return fail(HealthError::OutOfOrder("entries not in log order".into()));
        }
        previous = Some(index);
        if record.domain() != DOMAIN {
            return fail(HealthError::Foreign(format!(
                "a {} record",
                record.qualified_kind()
            )));
        }
        match lot_of(record) {
            Ok(Some(l)) if l == lot => {}
            Ok(_) => {
                return fail(HealthError::Foreign(format!(
                    "{} is not about lot {lot:?}",
                    record.qualified_kind()
                )));
            }
            Err(e) => return fail(e),
        }
        if let Err(e) = book.check(record) {
            return fail(e);
        }
        match record.kind() {
            LOT_TRANSFER => transfers += 1,
            LOT_ADMINISTER => administrations += 1,
            _ => {}
        }
        book.apply(index, record);
    }
    let lot = book
        .lots
        .remove(lot)
        .ok_or_else(|| HealthError::UnknownLot(lot.to_owned()))?;
    Ok(TraceReport {
        lot,
        transfers,
        administrations,
    })
}

/// One access in a patient's audited log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditedAccess {
    /// Log index of the access record.
    pub index: u64,
    /// The access.
    pub access: AccessEvent,
    /// Consented or flagged.
    pub verdict: AccessVerdict,
}

/// Replays a patient's care records offline (every `record.commit`,
/// consent and `access` about `patient`, in log order) and returns every
/// access with its verdict. Fails on an entry that is not about the
/// patient, out of order, or breaks the rules (e.g. an access to a record
/// never committed).
pub fn audit_access(
    patient: &VerifyingKey,
    entries: &[(u64, Record)],
) -> HealthResult<Vec<AuditedAccess>> {
    let mut book = HealthBook::new();
    let mut out = Vec::new();
    let mut previous: Option<u64> = None;
    for (index, record) in entries {
        let index = *index;
        let fail = |e| Err(at_entry(index, e));
        if previous.is_some_and(|p| index <= p) {
            return fail(HealthError::OutOfOrder("entries not in log order".into()));
        }
        previous = Some(index);
        if record.domain() != DOMAIN {
            return fail(HealthError::Foreign(record.qualified_kind()));
        }
        match patient_of(record) {
            Ok(Some(p)) if p == *patient => {}
            Ok(_) => {
                return fail(HealthError::Foreign(format!(
                    "{} is not about this patient",
                    record.qualified_kind()
                )));
            }
            Err(e) => return fail(e),
        }
        if let Err(e) = book.check(record) {
            return fail(e);
        }
        if record.kind() == ACCESS {
            let access = AccessEvent::decode(record.payload()).map_err(|e| at_entry(index, e))?;
            let verdict = book.access_verdict(&access, index);
            out.push(AuditedAccess {
                index,
                access,
                verdict,
            });
        }
        book.apply(index, record);
    }
    Ok(out)
}

/// The hex name of a patient key (how routes and the CLI name patients).
pub fn patient_hex(patient: &VerifyingKey) -> String {
    hex::encode(patient.as_bytes())
}

/// Parses a patient's hex key.
pub fn parse_patient(hex_key: &str) -> HealthResult<VerifyingKey> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(hex_key, &mut bytes)
        .or_else(|e| invalid("patient", format!("not 64 hex digits: {e}")))?;
    VerifyingKey::from_bytes(&bytes).or_else(|_| invalid("patient", "not an Ed25519 public key"))
}

/// The field element bytes of a fresh record commitment (convenience for writers).
pub fn commitment_bytes(digest: &[u8; 32], salt: Fr) -> [u8; 32] {
    fr_to_bytes(&record_commitment(digest, salt))
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use rand_chacha::ChaCha20Rng;
    use rand_chacha::rand_core::SeedableRng;

    use super::*;

    const T0: u64 = 1_800_000_000_000;
    const DAY: u64 = 86_400_000;

    fn key(seed: u64) -> SigningKey {
        SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(seed))
    }

    fn rec(k: &SigningKey, kind: &str, at: u64, payload: Vec<u8>) -> Record {
        Record::signed(DOMAIN, kind, at, payload, k).unwrap()
    }

    fn register(m: &SigningKey, lot: &str, quantity: u64, at: u64) -> Record {
        let l = LotRegister {
            lot: lot.into(),
            product: "VAX-A".into(),
            quantity,
            expiry_ms: T0 + 30 * DAY,
        };
        rec(m, LOT_REGISTER, at, l.encode())
    }

    fn transfer(from: &SigningKey, to: &SigningKey, lot: &str, q: u64, at: u64) -> Record {
        let t = LotTransfer::countersigned(lot, q, &from.verifying_key(), at, to);
        rec(from, LOT_TRANSFER, at, t.encode())
    }

    fn administer(site: &SigningKey, lot: &str, doses: u64, at: u64) -> Record {
        let a = LotAdminister {
            lot: lot.into(),
            doses,
        };
        rec(site, LOT_ADMINISTER, at, a.encode())
    }

    /// manufacturer → distributor (600) → two sites (250, 300) → doses.
    fn chain() -> (Vec<(u64, Record)>, [SigningKey; 4]) {
        let (m, d, s1, s2) = (key(1), key(2), key(3), key(4));
        let records = vec![
            register(&m, "L1", 1000, T0),
            transfer(&m, &d, "L1", 600, T0 + 1),
            transfer(&d, &s1, "L1", 250, T0 + 2),
            transfer(&d, &s2, "L1", 300, T0 + 3),
            administer(&s1, "L1", 200, T0 + 4),
            administer(&s2, "L1", 300, T0 + 5),
        ];
        let entries = records
            .into_iter()
            .enumerate()
            .map(|(i, r)| (10 + 2 * i as u64, r))
            .collect();
        (entries, [m, d, s1, s2])
    }

    fn failure(result: HealthResult<TraceReport>) -> HealthError {
        match result {
            Err(HealthError::AtEntry { source, .. }) => *source,
            Err(e) => e,
            Ok(_) => panic!("a bad trace verified"),
        }
    }

    #[test]
    fn payloads_round_trip_strictly() {
        let p = key(9).verifying_key();
        let commit = RecordCommit {
            patient: p,
            record: "chart-1".into(),
            version: 1,
            ciphertext_sha3: ciphertext_digest(b"ciphertext"),
            commitment: commitment_bytes(&[7; 32], Fr::from(5u64)),
        };
        assert_eq!(RecordCommit::decode(&commit.encode()).unwrap(), commit);
        let grant = ConsentGrant {
            consent: "c1".into(),
            grantee: "dr.house@ppth".into(),
            purpose: "treatment".into(),
            record: Some("chart-1".into()),
            valid_until_ms: T0,
        };
        assert_eq!(ConsentGrant::decode(&grant.encode()).unwrap(), grant);
        let mut trailing = grant.encode();
        trailing.push(0);
        assert!(ConsentGrant::decode(&trailing).is_err());
        let t = LotTransfer::countersigned("L1", 5, &p, T0, &key(3));
        assert_eq!(LotTransfer::decode(&t.encode()).unwrap(), t);
        // A non-canonical commitment (the field modulus's top bytes) is refused.
        let mut bad = commit.clone();
        bad.commitment = [0xff; 32];
        assert!(matches!(
            RecordCommit::decode(&bad.encode()),
            Err(HealthError::Invalid {
                field: "commitment",
                ..
            })
        ));
        // Zero and over-large quantities are refused.
        let mut zero = LotRegister::decode(register(&key(1), "L", 1, T0).payload()).unwrap();
        zero.quantity = 0;
        assert!(LotRegister::decode(&zero.encode()).is_err());
        zero.quantity = MAX_QUANTITY + 1;
        assert!(matches!(
            LotRegister::decode(&zero.encode()),
            Err(HealthError::QuantityOverflow(_))
        ));
        assert!(
            LotRegister::decode(&{
                let mut l = zero.clone();
                l.quantity = 1;
                l.lot = "bad lot".into();
                l.encode()
            })
            .is_err()
        );
    }

    #[test]
    fn a_sound_chain_verifies() {
        let (entries, [m, d, s1, s2]) = chain();
        let report = verify_trace("L1", &entries).unwrap();
        assert_eq!(report.transfers, 3);
        assert_eq!(report.administrations, 2);
        assert_eq!(report.lot.manufacturer, m.verifying_key());
        assert_eq!(report.lot.held_by(&m.verifying_key()), 400);
        assert_eq!(report.lot.held_by(&d.verifying_key()), 50);
        assert_eq!(report.lot.held_by(&s1.verifying_key()), 50);
        assert_eq!(report.lot.held_by(&s2.verifying_key()), 0);
        assert_eq!(report.lot.total_administered(), 500);
    }

    #[test]
    fn a_counterfeit_lot_fails() {
        let (m, s) = (key(1), key(3));
        // Transfers of a lot no manufacturer registered.
        let entries = vec![(0, transfer(&m, &s, "FAKE", 10, T0))];
        assert_eq!(
            failure(verify_trace("FAKE", &entries)),
            HealthError::UnknownLot("FAKE".into())
        );
        // An empty trace proves no lot.
        assert_eq!(
            failure(verify_trace("FAKE", &[])),
            HealthError::UnknownLot("FAKE".into())
        );
    }

    #[test]
    fn diversion_and_over_administration_fail() {
        let (mut entries, [_, d, s1, _]) = chain();
        // The distributor ships 100 more than it still holds (50).
        entries.push((100, transfer(&d, &s1, "L1", 100, T0 + 6)));
        assert!(matches!(
            failure(verify_trace("L1", &entries)),
            HealthError::OverQuantity {
                action: "transfer",
                requested: 100,
                held: 50,
                ..
            }
        ));
        let (mut entries, [_, _, s1, _]) = chain();
        entries.push((100, administer(&s1, "L1", 51, T0 + 6)));
        assert!(matches!(
            failure(verify_trace("L1", &entries)),
            HealthError::OverQuantity {
                action: "administration",
                held: 50,
                ..
            }
        ));
        // A site that never received the lot.
        let (mut entries, _) = chain();
        entries.push((100, administer(&key(7), "L1", 1, T0 + 6)));
        assert!(matches!(
            failure(verify_trace("L1", &entries)),
            HealthError::OverQuantity { held: 0, .. }
        ));
    }

    #[test]
    fn administration_after_expiry_fails() {
        let (mut entries, [_, _, s1, _]) = chain();
        entries.push((100, administer(&s1, "L1", 1, T0 + 30 * DAY)));
        assert!(matches!(
            failure(verify_trace("L1", &entries)),
            HealthError::Expired { .. }
        ));
    }

    #[test]
    fn forged_countersignature_and_bad_order_fail() {
        let (mut entries, [m, d, _, _]) = chain();
        // The receiver signed 60, the record says 600.
        let mut t = LotTransfer::countersigned("L1", 60, &m.verifying_key(), T0 + 1, &d);
        t.quantity = 600;
        entries[1].1 = rec(&m, LOT_TRANSFER, T0 + 1, t.encode());
        assert_eq!(
            failure(verify_trace("L1", &entries)),
            HealthError::BadCountersignature
        );
        // A countersignature replayed into a later transfer (other timestamp).
        let (mut entries, [m, d, _, _]) = chain();
        let t = LotTransfer::countersigned("L1", 600, &m.verifying_key(), T0 + 1, &d);
        entries.push((100, rec(&m, LOT_TRANSFER, T0 + 9, t.encode())));
        assert_eq!(
            failure(verify_trace("L1", &entries)),
            HealthError::BadCountersignature
        );
        // Entries out of log order.
        let (mut entries, _) = chain();
        entries.swap(2, 3);
        assert!(matches!(
            failure(verify_trace("L1", &entries)),
            HealthError::OutOfOrder(_)
        ));
        // A site acting before it received anything.
        let (mut entries, [_, _, s1, _]) = chain();
        entries.push((100, administer(&s1, "L1", 1, T0 + 1)));
        assert!(matches!(
            failure(verify_trace("L1", &entries)),
            HealthError::OutOfOrder(_)
        ));
        // Another lot's record slipped into the trace.
        let (mut entries, [m, ..]) = chain();
        entries.push((100, register(&m, "L2", 5, T0 + 7)));
        assert!(matches!(
            failure(verify_trace("L1", &entries)),
            HealthError::Foreign(_)
        ));
    }

    #[test]
    fn receiver_overflow_is_refused() {
        let (m, d) = (key(1), key(2));
        let mut book = HealthBook::new();
        book.apply(0, &register(&m, "A", MAX_QUANTITY, T0));
        book.apply(1, &register(&m, "B", 10, T0));
        book.apply(2, &transfer(&m, &d, "A", MAX_QUANTITY, T0 + 1));
        assert_eq!(
            book.lot("A").unwrap().held_by(&d.verifying_key()),
            MAX_QUANTITY
        );
        // Register refuses a duplicate lot number.
        assert_eq!(
            book.check(&register(&m, "A", 1, T0 + 2)),
            Err(HealthError::LotExists("A".into()))
        );
        assert_eq!(
            book.check(&transfer(&m, &m, "B", 1, T0 + 2)),
            Err(HealthError::Invalid {
                field: "receiver",
                reason: "a transfer moves doses to someone else".into()
            })
        );
    }

    fn care(p: &SigningKey, h: &SigningKey) -> Vec<(u64, Record)> {
        let patient = p.verifying_key();
        let commit = |version, at| {
            let c = RecordCommit {
                patient,
                record: "chart".into(),
                version,
                ciphertext_sha3: ciphertext_digest(&[version as u8]),
                commitment: commitment_bytes(&[version as u8; 32], Fr::from(1u64)),
            };
            rec(h, RECORD_COMMIT, at, c.encode())
        };
        let grant = ConsentGrant {
            consent: "gp".into(),
            grantee: "dr-a".into(),
            purpose: "treatment".into(),
            record: None,
            valid_until_ms: T0 + 10 * DAY,
        };
        let access = |who: &str, purpose: &str, at: u64| {
            let a = AccessEvent {
                patient,
                record: "chart".into(),
                version: 1,
                accessor: who.into(),
                purpose: purpose.into(),
                at_ms: at,
            };
            rec(h, ACCESS, at, a.encode())
        };
        vec![
            (1, commit(1, T0)),
            (2, rec(p, CONSENT_GRANT, T0 + 1, grant.encode())),
            (3, access("dr-a", "treatment", T0 + 2)),
            (4, access("dr-b", "treatment", T0 + 3)),
            (5, access("dr-a", "marketing", T0 + 4)),
            (
                6,
                rec(
                    p,
                    CONSENT_REVOKE,
                    T0 + 5,
                    ConsentRevoke {
                        consent: "gp".into(),
                    }
                    .encode(),
                ),
            ),
            (7, access("dr-a", "treatment", T0 + 6)),
        ]
    }

    #[test]
    fn accesses_without_valid_consent_are_flagged() {
        let (p, h) = (key(20), key(21));
        let audit = audit_access(&p.verifying_key(), &care(&p, &h)).unwrap();
        let verdicts: Vec<_> = audit.iter().map(|a| (a.index, a.verdict.clone())).collect();
        assert_eq!(
            verdicts[0],
            (
                3,
                AccessVerdict::Consented {
                    consent: "gp".into()
                }
            )
        );
        for (i, (index, verdict)) in verdicts.iter().enumerate().skip(1) {
            assert!(
                matches!(verdict, AccessVerdict::Flagged { .. }),
                "access {i} at {index} should be flagged"
            );
        }
        assert!(
            matches!(&verdicts[3].1, AccessVerdict::Flagged { reason } if reason.contains("revoked"))
        );
    }

    #[test]
    fn consent_rules() {
        let (p, h, other) = (key(20), key(21), key(22));
        let mut book = HealthBook::new();
        for (i, r) in care(&p, &h) {
            book.apply(i, &r);
        }
        // Only the granting patient can revoke; a revoked consent can't be revoked again.
        let revoke = ConsentRevoke {
            consent: "gp".into(),
        }
        .encode();
        assert_eq!(
            book.check(&rec(&other, CONSENT_REVOKE, T0 + 9, revoke.clone())),
            Err(HealthError::UnknownConsent("gp".into()))
        );
        assert_eq!(
            book.check(&rec(&p, CONSENT_REVOKE, T0 + 9, revoke)),
            Err(HealthError::UnknownConsent("gp".into()))
        );
        // Versions are consecutive; accesses need a committed version.
        let skip = RecordCommit {
            patient: p.verifying_key(),
            record: "chart".into(),
            version: 3,
            ciphertext_sha3: [0; 32],
            commitment: [0; 32],
        };
        assert!(matches!(
            book.check(&rec(&h, RECORD_COMMIT, T0, skip.encode())),
            Err(HealthError::VersionOutOfSequence { current: 1, .. })
        ));
        let ghost = AccessEvent {
            patient: p.verifying_key(),
            record: "chart".into(),
            version: 2,
            accessor: "dr-a".into(),
            purpose: "treatment".into(),
            at_ms: T0,
        };
        assert!(matches!(
            book.check(&rec(&h, ACCESS, T0, ghost.encode())),
            Err(HealthError::UnknownRecord { version: 2, .. })
        ));
        // Another patient's entry in this patient's log is refused.
        let mut entries = care(&p, &h);
        entries.push((
            9,
            rec(&other, CONSENT_GRANT, T0, {
                let mut g = ConsentGrant::decode(entries[1].1.payload()).unwrap();
                g.consent = "x".into();
                g.encode()
            }),
        ));
        assert!(matches!(
            audit_access(&p.verifying_key(), &entries),
            Err(HealthError::AtEntry { index: 9, .. })
        ));
    }
}
