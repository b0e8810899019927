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
//! * `lot.correct` (the same site): declares one of its administrations
//!   erroneous, with a reason; its doses count as held again. An
//!   administration is corrected at most once, and the correction is
//!   itself in the chain for anyone to see.
//!
//! [`verify_trace`] checks a lot's whole chain offline: signatures, order,
//! no transfer of more than the sender holds, no administration after
//! expiry or beyond the site's stock, no unknown (counterfeit) lot.
//!
//! The folder holds the care payloads (`records`) and the supply-chain
//! payloads (`lots`) with their codecs, the error (`error`), the replayed
//! state (`book`), the offline checks (`checks`), a lot's chain as a GS1
//! EPCIS 2.0 document ([`epcis`]), a patient's access log and consents as
//! HL7 FHIR resources ([`fhir`]) and the tests.

mod book;
mod checks;
pub mod epcis;
mod error;
pub mod fhir;
mod lots;
mod records;

pub use book::{AccessVerdict, Administration, ConsentState, HealthBook, HealthCounts, LotState};
pub use checks::{AuditedAccess, TraceReport, audit_access, verify_trace};
pub use error::{HealthError, HealthResult};
pub use lots::{
    LotAdminister, LotCorrect, LotRegister, LotTransfer, lot_of, transfer_receipt_message,
};
pub use records::{
    AccessEvent, ConsentGrant, ConsentRevoke, RecordCommit, ciphertext_digest, commitment_bytes,
    parse_patient, patient_hex, patient_of, record_commitment,
};

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
/// Kind: a site declares one of its administrations erroneous (GS1 EPCIS's
/// `errorDeclaration`): its doses are counted back as held, not given.
pub const LOT_CORRECT: &str = "lot.correct";
/// Largest quantity one lot may hold (keeps every sum far from overflow).
pub const MAX_QUANTITY: u64 = 1_000_000_000;
/// Prefix of the message a transfer's receiver countersigns.
pub const RECEIPT_CONTEXT: &[u8] = b"zkaudit/v1/health/transfer-receipt\0";

const MAX_ID: usize = 64;

#[cfg(test)]
mod tests;
