//! The vaccine supply-chain payloads and their canonical codecs: lot
//! registrations, countersigned transfers and administrations.

use ed25519_dalek::{Signature, VerifyingKey};

use super::error::invalid;
use super::records::{author_of, read_id, read_key};
use super::{
    HealthError, HealthResult, LOT_ADMINISTER, LOT_CORRECT, LOT_REGISTER, LOT_TRANSFER,
    MAX_QUANTITY, RECEIPT_CONTEXT,
};
use crate::codec::{Reader, Writer};
use crate::record::{Record, RecordSigner};
use crate::signature;

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
        signature::verify(&self.receiver, &message, &self.receiver_signature)
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

/// `lot.correct`: signed by the site that logged the administration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LotCorrect {
    /// The lot.
    pub lot: String,
    /// The record id of the erroneous `lot.administer`.
    pub administration: [u8; 32],
    /// Why (e.g. the CBV error reason `incorrect_data`).
    pub reason: String,
}

impl LotCorrect {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.lot)
            .fixed(&self.administration)
            .str(&self.reason);
        w.finish()
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> HealthResult<Self> {
        let mut r = Reader::new(bytes);
        let out = Self {
            lot: read_id(&mut r, "lot")?,
            administration: r.array("administration record id")?,
            reason: r.str("reason", 128)?.to_owned(),
        };
        r.finish()?;
        if out.reason.is_empty() || out.reason.chars().any(char::is_control) {
            return invalid("reason", "1-128 bytes, no control characters");
        }
        Ok(out)
    }
}

/// The lot a supply-chain record is about, or `None` for other kinds.
pub fn lot_of(record: &Record) -> HealthResult<Option<String>> {
    Ok(match record.kind() {
        LOT_REGISTER => Some(LotRegister::decode(record.payload())?.lot),
        LOT_TRANSFER => Some(LotTransfer::decode(record.payload())?.lot),
        LOT_ADMINISTER => Some(LotAdminister::decode(record.payload())?.lot),
        LOT_CORRECT => Some(LotCorrect::decode(record.payload())?.lot),
        _ => None,
    })
}
