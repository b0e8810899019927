//! The health state replayed from the log: record versions, consents and
//! lots, the rules a new record must meet, and access verdicts.

use std::collections::{BTreeMap, BTreeSet};

use ed25519_dalek::VerifyingKey;

use super::error::invalid;
use super::lots::{LotAdminister, LotCorrect, LotRegister, LotTransfer};
use super::records::{AccessEvent, ConsentGrant, ConsentRevoke, RecordCommit, author_of};
use super::{
    ACCESS, CONSENT_GRANT, CONSENT_REVOKE, DOMAIN, HealthError, HealthResult, LOT_ADMINISTER,
    LOT_CORRECT, LOT_REGISTER, LOT_TRANSFER, MAX_QUANTITY, RECORD_COMMIT,
};
use crate::record::Record;
use crate::replay::Book;

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
    /// Every administration, by record id: who gave how many doses, and
    /// whether a correction has declared it erroneous.
    pub administrations: BTreeMap<[u8; 32], Administration>,
}

/// One logged administration of a lot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Administration {
    /// The site's key.
    pub site: [u8; 32],
    /// Doses given.
    pub doses: u64,
    /// Log index of the `lot.correct` that declared it erroneous.
    pub corrected_by: Option<u64>,
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

/// The public counts of the health domain (the board shows them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HealthCounts {
    /// Patient records committed (each record id once, whatever its versions).
    pub records: usize,
    /// Patients named by a committed record.
    pub patients: usize,
    /// Consents granted.
    pub consents: usize,
    /// Of those, not revoked.
    pub consents_in_force: usize,
    /// Vaccine lots registered.
    pub lots: usize,
}

/// The health domain's state, replayed from the log in order.
#[derive(Clone, Debug, Default)]
pub struct HealthBook {
    /// Latest version per (patient, record id).
    records: BTreeMap<([u8; 32], String), u32>,
    /// Keys named as patients by a committed record: who may grant consent.
    patients: BTreeSet<[u8; 32]>,
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

    /// What the book holds, counted: nothing about any one patient.
    pub fn counts(&self) -> HealthCounts {
        HealthCounts {
            records: self.records.len(),
            patients: self.patients.len(),
            consents: self.consents.len(),
            consents_in_force: self
                .consents
                .values()
                .filter(|c| c.revoked_ms.is_none())
                .count(),
            lots: self.lots.len(),
        }
    }

    /// Every lot's state, by lot number.
    pub fn lots(&self) -> impl Iterator<Item = &LotState> {
        self.lots.values()
    }

    /// A lot's state.
    pub fn lot(&self, lot: &str) -> Option<&LotState> {
        self.lots.get(lot)
    }

    /// The book's state of `lot`, keeping nothing else.
    pub(super) fn into_lot(mut self, lot: &str) -> Option<LotState> {
        self.lots.remove(lot)
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
    /// rules [`verify_trace`](super::verify_trace) replays offline).
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
                if !self.patients.contains(author.as_bytes()) {
                    return Err(HealthError::UnknownPatient);
                }
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
            LOT_CORRECT => {
                let c = LotCorrect::decode(record.payload())?;
                let lot = self.known_lot(&c.lot)?;
                let Some(given) = lot.administrations.get(&c.administration) else {
                    return invalid(
                        "administration",
                        "no administration of this lot has that record id",
                    );
                };
                if given.site != author.to_bytes() {
                    return Err(HealthError::NotTheSite);
                }
                if let Some(index) = given.corrected_by {
                    return invalid(
                        "administration",
                        format!("already declared erroneous at log index {index}"),
                    );
                }
                Ok(())
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
    /// through); [`verify_trace`](super::verify_trace) reports them instead.
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
                    self.patients.insert(c.patient.to_bytes());
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
                            administrations: BTreeMap::new(),
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
                    lot.administrations.insert(
                        record.id(),
                        Administration {
                            site: author.to_bytes(),
                            doses: a.doses,
                            corrected_by: None,
                        },
                    );
                }
            }
            LOT_CORRECT => {
                if let Ok(c) = LotCorrect::decode(record.payload())
                    && let Some(lot) = self.lots.get_mut(&c.lot)
                    && let Some(given) = lot.administrations.get_mut(&c.administration)
                    && given.corrected_by.is_none()
                {
                    given.corrected_by = Some(index);
                    *lot.holdings.entry(given.site).or_default() += given.doses;
                    *lot.administered.entry(given.site).or_default() -= given.doses;
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

impl Book for HealthBook {
    fn applied_up_to(&self) -> u64 {
        self.applied_up_to
    }

    fn apply(&mut self, index: u64, record: &Record) {
        HealthBook::apply(self, index, record);
    }
}
