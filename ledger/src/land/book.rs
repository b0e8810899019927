//! The titles derived by replaying land records: each parcel's owner,
//! version, events and liens, and the rules a new event must meet.

use std::collections::BTreeMap;

use ed25519_dalek::{Signature, VerifyingKey};
use zkaudit_circuits::Fr;

use super::records::{Action, ParcelRegistration, TitleEvent, key_from_bytes};
use super::{
    DOMAIN, LIEN_REGISTER, LIEN_RELEASE, LandError, LandResult, MAX_LIENS, PARCEL_REGISTER,
    TITLE_TRANSFER,
};
use crate::identity::{CredentialChange, CredentialIssue, CredentialRevoke};
use crate::record::{Author, Record};
use crate::replay::Book;
use crate::signature;

/// An active lien.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lien {
    /// Record id of its `lien.register` event (names it in releases).
    pub id: [u8; 32],
    /// The lienholder.
    pub holder: VerifyingKey,
    /// The secured amount.
    pub amount: u64,
    /// Log index of the `lien.register` event.
    pub index: u64,
}

/// A parcel's current title, derived by replaying its events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parcel {
    /// The registration.
    pub registration: ParcelRegistration,
    /// The registrar (author of the registration).
    pub registrar: VerifyingKey,
    /// The current owner.
    pub owner: VerifyingKey,
    /// The current owner's identity commitment.
    pub owner_commitment: [u8; 32],
    /// Log index of the event that made the current owner the owner.
    pub owner_since_index: u64,
    /// Time of that event (record timestamp, Unix ms).
    pub owner_since_ms: u64,
    /// Title version: 0 after registration, +1 per event.
    pub version: u64,
    /// Record id of the latest event.
    pub head: [u8; 32],
    /// Log indices of every event, registration first.
    pub events: Vec<u64>,
    /// Active liens.
    pub liens: Vec<Lien>,
}

impl Parcel {
    /// The current owner's title credential.
    pub fn credential(&self) -> CredentialIssue {
        CredentialIssue {
            registry: self.registration.title_registry.clone(),
            commitment: self.owner_commitment,
            attributes: vec![self.registration.district, self.registration.area_m2],
        }
    }

    /// The current owner's credential leaf.
    pub fn credential_leaf(&self) -> LandResult<Fr> {
        self.credential()
            .leaf()
            .map_err(|e| LandError::Invalid(e.to_string()))
    }
}

/// A land record checked against the book, ready to apply.
#[derive(Clone, Debug)]
pub enum Checked {
    /// A new parcel.
    Register(ParcelRegistration),
    /// An event of an existing parcel.
    Event(TitleEvent),
}

impl Checked {
    /// The parcel concerned.
    pub fn parcel(&self) -> &str {
        match self {
            Self::Register(r) => &r.parcel,
            Self::Event(e) => &e.terms.parcel,
        }
    }

    /// The title version the record creates (0 for a registration): the
    /// service claims the unique key (parcel, version).
    pub fn version(&self) -> u64 {
        match self {
            Self::Register(_) => 0,
            Self::Event(e) => e.terms.version,
        }
    }
}

/// The unique key one title version claims: `parcel ‖ 0x00 ‖ version (u64 BE)`.
pub fn version_key(parcel: &str, version: u64) -> Vec<u8> {
    let mut key = parcel.as_bytes().to_vec();
    key.push(0);
    key.extend_from_slice(&version.to_be_bytes());
    key
}

/// Every parcel's title, derived by replaying land records in log order.
#[derive(Clone, Debug, Default)]
pub struct TitleBook {
    parcels: BTreeMap<String, Parcel>,
    applied_up_to: u64,
}

impl TitleBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Log index after the last record applied.
    pub fn applied_up_to(&self) -> u64 {
        self.applied_up_to
    }

    /// A parcel by id.
    pub fn get(&self, id: &str) -> Option<&Parcel> {
        self.parcels.get(id)
    }

    /// Number of parcels.
    pub fn len(&self) -> usize {
        self.parcels.len()
    }

    /// Whether no parcel is registered.
    pub fn is_empty(&self) -> bool {
        self.parcels.is_empty()
    }

    /// All parcels, by id.
    pub fn parcels(&self) -> impl Iterator<Item = &Parcel> {
        self.parcels.values()
    }

    /// Checks, without applying, that a land record is valid against the
    /// current titles: registrar-signed, the right version and previous
    /// event, both parties' signatures, no transfer under lien.
    pub fn check(&self, record: &Record) -> LandResult<Checked> {
        if record.domain() != DOMAIN {
            return Err(LandError::KindMismatch(record.qualified_kind()));
        }
        let Author::Ed25519(author) = record.author() else {
            return Err(LandError::Unsigned);
        };
        if record.kind() == PARCEL_REGISTER {
            let registration = ParcelRegistration::decode(record.payload())?;
            if self.parcels.contains_key(&registration.parcel) {
                return Err(LandError::ParcelExists(registration.parcel));
            }
            return Ok(Checked::Register(registration));
        }
        if ![TITLE_TRANSFER, LIEN_REGISTER, LIEN_RELEASE].contains(&record.kind()) {
            return Err(LandError::KindMismatch(record.qualified_kind()));
        }
        let event = TitleEvent::decode(record.payload())?;
        let terms = &event.terms;
        if terms.action.kind() != record.kind() {
            return Err(LandError::KindMismatch(record.qualified_kind()));
        }
        let parcel = self
            .parcels
            .get(&terms.parcel)
            .ok_or_else(|| LandError::UnknownParcel(terms.parcel.clone()))?;
        if author != parcel.registrar {
            return Err(LandError::NotRegistrar(terms.parcel.clone()));
        }
        if terms.version != parcel.version + 1 {
            return Err(LandError::StaleVersion {
                parcel: terms.parcel.clone(),
                expected: parcel.version + 1,
                got: terms.version,
            });
        }
        if terms.previous != parcel.head {
            return Err(LandError::WrongPrevious(terms.parcel.clone()));
        }
        let counterparty = match &terms.action {
            Action::Transfer { new_owner, .. } => {
                if !parcel.liens.is_empty() {
                    return Err(LandError::UnderLien {
                        parcel: terms.parcel.clone(),
                        liens: parcel.liens.len(),
                    });
                }
                let buyer = key_from_bytes("new owner key", new_owner)?;
                if buyer == parcel.owner {
                    return Err(LandError::SameOwner(terms.parcel.clone()));
                }
                buyer
            }
            Action::Lien { lienholder, .. } => {
                if parcel.liens.len() >= MAX_LIENS {
                    return Err(LandError::Invalid("too many active liens".into()));
                }
                key_from_bytes("lienholder key", lienholder)?
            }
            Action::Release { lien } => {
                parcel
                    .liens
                    .iter()
                    .find(|l| &l.id == lien)
                    .ok_or_else(|| LandError::UnknownLien(terms.parcel.clone()))?
                    .holder
            }
        };
        let message = terms.signing_message();
        let parties = terms.action.parties();
        for (i, key) in [parcel.owner, counterparty].iter().enumerate() {
            signature::verify(key, &message, &Signature::from_bytes(&event.signatures[i]))
                .map_err(|_| LandError::BadSignature(parties[i]))?;
        }
        Ok(Checked::Event(event))
    }

    /// Applies the logged land record at `index`. Records must be applied in
    /// log order; records that were invalid when logged are skipped,
    /// identically by every replayer.
    pub fn apply(&mut self, index: u64, record: &Record) {
        self.applied_up_to = self.applied_up_to.max(index + 1);
        if record.domain() != DOMAIN {
            return;
        }
        if let Ok(checked) = self.check(record) {
            self.apply_checked(index, record, checked);
        }
    }

    pub(super) fn apply_checked(&mut self, index: u64, record: &Record, checked: Checked) {
        let Author::Ed25519(registrar) = record.author() else {
            return;
        };
        match checked {
            Checked::Register(registration) => {
                let Ok(owner) = key_from_bytes("owner key", &registration.owner) else {
                    return;
                };
                self.parcels.insert(
                    registration.parcel.clone(),
                    Parcel {
                        registrar,
                        owner,
                        owner_commitment: registration.owner_commitment,
                        owner_since_index: index,
                        owner_since_ms: record.timestamp_ms(),
                        version: 0,
                        head: record.id(),
                        events: vec![index],
                        liens: Vec::new(),
                        registration,
                    },
                );
            }
            Checked::Event(event) => {
                let Some(parcel) = self.parcels.get_mut(&event.terms.parcel) else {
                    return;
                };
                match event.terms.action {
                    Action::Transfer {
                        new_owner,
                        new_commitment,
                        ..
                    } => {
                        let Ok(owner) = key_from_bytes("new owner key", &new_owner) else {
                            return;
                        };
                        parcel.owner = owner;
                        parcel.owner_commitment = new_commitment;
                        parcel.owner_since_index = index;
                        parcel.owner_since_ms = record.timestamp_ms();
                    }
                    Action::Lien { lienholder, amount } => {
                        let Ok(holder) = key_from_bytes("lienholder key", &lienholder) else {
                            return;
                        };
                        parcel.liens.push(Lien {
                            id: record.id(),
                            holder,
                            amount,
                            index,
                        });
                    }
                    Action::Release { lien } => parcel.liens.retain(|l| l.id != lien),
                }
                parcel.version = event.terms.version;
                parcel.head = record.id();
                parcel.events.push(index);
            }
        }
    }

    /// The identity-registry change a land record makes, given the title
    /// before it (`None` for records that change no credential).
    pub fn credential_change(&self, checked: &Checked) -> Option<CredentialChange> {
        match checked {
            Checked::Register(registration) => Some(CredentialChange {
                revoke: None,
                issue: registration.credential(),
            }),
            Checked::Event(event) => {
                let Action::Transfer { new_commitment, .. } = &event.terms.action else {
                    return None;
                };
                let parcel = self.parcels.get(&event.terms.parcel)?;
                let credential = event.credential.as_ref()?;
                Some(CredentialChange {
                    revoke: Some((
                        CredentialRevoke {
                            registry: parcel.registration.title_registry.clone(),
                            leaf_index: credential.revoke_leaf,
                        },
                        parcel.credential(),
                    )),
                    issue: CredentialIssue {
                        commitment: *new_commitment,
                        ..parcel.credential()
                    },
                })
            }
        }
    }
}

impl Book for TitleBook {
    fn applied_up_to(&self) -> u64 {
        self.applied_up_to
    }

    fn apply(&mut self, index: u64, record: &Record) {
        TitleBook::apply(self, index, record);
    }
}
