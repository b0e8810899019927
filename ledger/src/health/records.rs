//! The care payloads and their canonical codecs: medical-record
//! commitments, consents and accesses, and the field rules every health
//! payload shares.

use ed25519_dalek::VerifyingKey;
use sha3::{Digest, Sha3_256};
use zkaudit_circuits::Fr;
use zkaudit_circuits::poseidon::poseidon_hash;

use super::error::invalid;
use super::{
    ACCESS, CONSENT_GRANT, CONSENT_REVOKE, HealthError, HealthResult, MAX_ID, RECORD_COMMIT,
};
use crate::codec::{Reader, Writer, fr_from_bytes, fr_to_bytes};
use crate::record::{Author, Record};
use crate::signature::parse_verifying_key;

/// Ids (records, consents, lots, products, grantees, purposes): 1 to 64
/// bytes of `[A-Za-z0-9._@-]`.
pub(super) fn check_id(field: &'static str, id: &str) -> HealthResult<()> {
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

pub(super) fn read_id(r: &mut Reader<'_>, field: &'static str) -> HealthResult<String> {
    let id = r.str(field, MAX_ID)?.to_owned();
    check_id(field, &id)?;
    Ok(id)
}

/// Reads a participant's key, parsed strictly ([`parse_verifying_key`]).
pub(super) fn read_key(r: &mut Reader<'_>, field: &'static str) -> HealthResult<VerifyingKey> {
    let bytes: [u8; 32] = r.array(field)?;
    parse_verifying_key(&bytes).or_else(|e| invalid(field, e.to_string()))
}

pub(super) fn author_of(record: &Record) -> HealthResult<VerifyingKey> {
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

/// The patient a care record is about, or `None` for other kinds.
pub fn patient_of(record: &Record) -> HealthResult<Option<VerifyingKey>> {
    Ok(match record.kind() {
        RECORD_COMMIT => Some(RecordCommit::decode(record.payload())?.patient),
        ACCESS => Some(AccessEvent::decode(record.payload())?.patient),
        CONSENT_GRANT | CONSENT_REVOKE => Some(author_of(record)?),
        _ => None,
    })
}

/// The hex name of a patient key (how routes and the CLI name patients).
pub fn patient_hex(patient: &VerifyingKey) -> String {
    hex::encode(patient.as_bytes())
}

/// Parses a patient's hex key; the key is parsed strictly
/// ([`parse_verifying_key`]).
pub fn parse_patient(hex_key: &str) -> HealthResult<VerifyingKey> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(hex_key, &mut bytes)
        .or_else(|e| invalid("patient", format!("not 64 hex digits: {e}")))?;
    parse_verifying_key(&bytes).or_else(|e| invalid("patient", e.to_string()))
}

/// The field element bytes of a fresh record commitment (convenience for writers).
pub fn commitment_bytes(digest: &[u8; 32], salt: Fr) -> [u8; 32] {
    fr_to_bytes(&record_commitment(digest, salt))
}
