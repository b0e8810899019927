//! The land domain's records, the title book replayed from them, and the
//! offline verification of a parcel's history.
//!
//! The land registry (an authority) registers parcels and logs every later
//! event of a title — transfers, liens, lien releases — as ONE record that it
//! signs and whose payload carries the other parties' Ed25519 signatures over
//! the event's [`Terms`]:
//!
//! | kind              | parties who sign the terms      |
//! |-------------------|---------------------------------|
//! | `title.transfer`  | current owner, buyer            |
//! | `lien.register`   | current owner, lienholder       |
//! | `lien.release`    | current owner, that lienholder  |
//!
//! Terms name the parcel, the new title version (previous + 1) and the record
//! id of the previous event, so a signature is good for one step of one
//! title only and cannot be replayed. A parcel with an active lien cannot be
//! transferred. The service claims the unique key (parcel, version) for each
//! event, so of two conflicting events for one version exactly one is logged.
//!
//! A title is also a credential: registration issues the owner's leaf
//! `Poseidon(identity commitment, district, area_m2)` into the parcel's title
//! registry (an identity-domain registry the registrar issues), and a
//! transfer revokes the seller's leaf and issues the buyer's. The land record
//! itself carries that credential change ([`TitleCredential`]), and the
//! identity registries apply it when they replay the log, so the title
//! history and the registry change in the same log entry and cannot
//! disagree.
//!
//! [`TitleBook`] is pure (no storage): the service replays the log into it,
//! and [`verify_history`] replays one parcel's events offline with the very
//! same rules.

use std::collections::BTreeMap;

use ed25519_dalek::{Signature, VerifyingKey};
use zkaudit_circuits::Fr;

use crate::codec::{CodecError, Reader, Writer};
use crate::identity::{CredentialIssue, CredentialRevoke, fr_from_bytes};
use crate::record::{Author, Record, RecordSigner};

/// The domain name.
pub const DOMAIN: &str = "land";
/// Kind: the registrar registers a parcel and its first owner.
pub const PARCEL_REGISTER: &str = "parcel.register";
/// Kind: a transfer of ownership (owner + buyer + registrar).
pub const TITLE_TRANSFER: &str = "title.transfer";
/// Kind: a lien (mortgage) on a parcel (owner + lienholder + registrar).
pub const LIEN_REGISTER: &str = "lien.register";
/// Kind: the release of a lien (owner + lienholder + registrar).
pub const LIEN_RELEASE: &str = "lien.release";
/// Prefix of every message a party signs over terms.
pub const TERMS_CONTEXT: &[u8] = b"zkaudit/v1/land-terms\0";
/// Most document digests a parcel registration carries.
pub const MAX_DOCUMENTS: usize = 16;
/// Most active liens on one parcel.
pub const MAX_LIENS: usize = 16;

const MAX_ID: usize = 64;

/// Why a land record or history is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LandError {
    /// The payload is not a canonical encoding.
    #[error("malformed payload: {0}")]
    Malformed(#[from] CodecError),
    /// A field breaks a rule (id syntax, key encoding, zero area…).
    #[error("invalid {0}")]
    Invalid(String),
    /// The record's kind is not a land kind or does not match its terms.
    #[error("record kind {0:?} does not match its payload")]
    KindMismatch(String),
    /// Land records are signed by the registrar.
    #[error("land records must be signed by the registrar")]
    Unsigned,
    /// No parcel has this id.
    #[error("unknown parcel {0:?}")]
    UnknownParcel(String),
    /// The parcel id is taken.
    #[error("parcel {0:?} is already registered")]
    ParcelExists(String),
    /// The record is not signed by the registrar that registered the parcel.
    #[error("only the registrar of parcel {0:?} may record its events")]
    NotRegistrar(String),
    /// The terms are for another title version than the next one.
    #[error(
        "stale terms for parcel {parcel:?}: they are for version {got}, the next is {expected}"
    )]
    StaleVersion {
        /// The parcel.
        parcel: String,
        /// The version the next event must have.
        expected: u64,
        /// The version in the terms.
        got: u64,
    },
    /// The terms name another previous event than the title's latest.
    #[error("the terms for parcel {0:?} do not follow its latest event")]
    WrongPrevious(String),
    /// A party's signature over the terms is missing or does not verify.
    #[error("the {0}'s signature over the terms does not verify")]
    BadSignature(&'static str),
    /// The parcel has active liens; they must be released first.
    #[error("parcel {parcel:?} has {liens} active lien(s); the lienholder must release them first")]
    UnderLien {
        /// The parcel.
        parcel: String,
        /// Active liens.
        liens: usize,
    },
    /// No active lien has this id.
    #[error("parcel {0:?} has no such active lien")]
    UnknownLien(String),
    /// The buyer already owns the parcel.
    #[error("the buyer already owns parcel {0:?}")]
    SameOwner(String),
    /// The credential change a record carries does not match the title.
    #[error("the title credential change does not match the title: {0}")]
    CredentialMismatch(&'static str),
    /// A history is empty, or mixes parcels.
    #[error("history: {0}")]
    History(String),
}

/// Result alias of the land domain.
pub type LandResult<T> = std::result::Result<T, LandError>;

/// Parcel ids: 1 to 64 bytes of `[A-Za-z0-9-.]` (they appear in URL paths).
pub fn is_valid_parcel_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
}

fn key_from_bytes(what: &str, bytes: &[u8; 32]) -> LandResult<VerifyingKey> {
    let key = VerifyingKey::from_bytes(bytes)
        .map_err(|_| LandError::Invalid(format!("{what}: not an Ed25519 public key")))?;
    if key.is_weak() {
        return Err(LandError::Invalid(format!("{what}: a weak Ed25519 key")));
    }
    Ok(key)
}

fn read_parcel_id(r: &mut Reader<'_>) -> LandResult<String> {
    let id = r.str("parcel id", MAX_ID)?.to_owned();
    if !is_valid_parcel_id(&id) {
        return Err(LandError::Invalid(
            "parcel id: 1-64 of [A-Za-z0-9-.]".into(),
        ));
    }
    Ok(id)
}

fn read_flag(r: &mut Reader<'_>, what: &'static str) -> LandResult<bool> {
    match r.u8(what)? {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(CodecError::Invalid {
            what,
            reason: format!("{other} is not 0 or 1"),
        }
        .into()),
    }
}

/// `parcel.register`: a parcel and its first owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParcelRegistration {
    /// Parcel id, e.g. `"D07-1234.5"`.
    pub parcel: String,
    /// District code.
    pub district: u64,
    /// Area in square metres (> 0).
    pub area_m2: u64,
    /// SHA-256/SHA3 digests of the deed documents (at most 16).
    pub documents: Vec<[u8; 32]>,
    /// The title registry (an identity registry whose schema is
    /// `(district, area_m2)`), issued by the registrar.
    pub title_registry: String,
    /// The owner's Ed25519 key (signs transfers and liens).
    pub owner: [u8; 32],
    /// The owner's identity commitment (canonical field bytes), for the title credential.
    pub owner_commitment: [u8; 32],
}

impl ParcelRegistration {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.parcel)
            .u64(self.district)
            .u64(self.area_m2)
            .u8(self.documents.len() as u8);
        for d in &self.documents {
            w.fixed(d);
        }
        w.str(&self.title_registry)
            .fixed(&self.owner)
            .fixed(&self.owner_commitment);
        w.finish()
    }

    /// Strict decoding and validation.
    pub fn decode(bytes: &[u8]) -> LandResult<Self> {
        let mut r = Reader::new(bytes);
        let parcel = read_parcel_id(&mut r)?;
        let district = r.u64("district")?;
        let area_m2 = r.u64("area")?;
        let n = r.u8("document count")? as usize;
        if n > MAX_DOCUMENTS {
            return Err(LandError::Invalid("at most 16 documents".into()));
        }
        let documents = (0..n)
            .map(|_| r.array("document digest"))
            .collect::<Result<_, _>>()?;
        let out = Self {
            parcel,
            district,
            area_m2,
            documents,
            title_registry: r.str("title registry", MAX_ID)?.to_owned(),
            owner: r.array("owner key")?,
            owner_commitment: r.array("owner commitment")?,
        };
        r.finish()?;
        if out.area_m2 == 0 {
            return Err(LandError::Invalid("area must be positive".into()));
        }
        key_from_bytes("owner key", &out.owner)?;
        fr_from_bytes("owner commitment", &out.owner_commitment)
            .map_err(|e| LandError::Invalid(e.to_string()))?;
        Ok(out)
    }

    /// The owner's title credential this registration issues.
    pub fn credential(&self) -> CredentialIssue {
        CredentialIssue {
            registry: self.title_registry.clone(),
            commitment: self.owner_commitment,
            attributes: vec![self.district, self.area_m2],
        }
    }
}

/// What an event does to a title.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Ownership passes to `new_owner`.
    Transfer {
        /// The buyer's Ed25519 key.
        new_owner: [u8; 32],
        /// The buyer's identity commitment (canonical field bytes).
        new_commitment: [u8; 32],
        /// The price, if declared.
        price: Option<u64>,
    },
    /// A lien (mortgage) in favour of `lienholder`.
    Lien {
        /// The lienholder's Ed25519 key.
        lienholder: [u8; 32],
        /// The secured amount.
        amount: u64,
    },
    /// Release of the active lien registered by the event with this record id.
    Release {
        /// Record id of the `lien.register` event.
        lien: [u8; 32],
    },
}

impl Action {
    /// The record kind that carries this action.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Transfer { .. } => TITLE_TRANSFER,
            Self::Lien { .. } => LIEN_REGISTER,
            Self::Release { .. } => LIEN_RELEASE,
        }
    }

    /// Names of the two parties who sign, in signature order.
    pub fn parties(&self) -> [&'static str; 2] {
        match self {
            Self::Transfer { .. } => ["owner", "buyer"],
            Self::Lien { .. } | Self::Release { .. } => ["owner", "lienholder"],
        }
    }
}

/// The terms of one title event, which the parties sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terms {
    /// The parcel.
    pub parcel: String,
    /// The title version this event creates (the previous version + 1).
    pub version: u64,
    /// Record id of the parcel's latest event (the registration for version 1).
    pub previous: [u8; 32],
    /// When the parties agreed, Unix ms.
    pub time_ms: u64,
    /// What happens.
    pub action: Action,
}

impl Terms {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(&self.parcel)
            .u64(self.version)
            .fixed(&self.previous)
            .u64(self.time_ms);
        match &self.action {
            Action::Transfer {
                new_owner,
                new_commitment,
                price,
            } => {
                w.u8(1).fixed(new_owner).fixed(new_commitment);
                match price {
                    None => w.u8(0),
                    Some(p) => w.u8(1).u64(*p),
                };
            }
            Action::Lien { lienholder, amount } => {
                w.u8(2).fixed(lienholder).u64(*amount);
            }
            Action::Release { lien } => {
                w.u8(3).fixed(lien);
            }
        }
        w.finish()
    }

    fn read(r: &mut Reader<'_>) -> LandResult<Self> {
        let parcel = read_parcel_id(r)?;
        let version = r.u64("version")?;
        let previous = r.array("previous event")?;
        let time_ms = r.u64("time")?;
        let action = match r.u8("action")? {
            1 => {
                let new_owner = r.array("new owner key")?;
                let new_commitment = r.array("new owner commitment")?;
                let price = if read_flag(r, "price flag")? {
                    Some(r.u64("price")?)
                } else {
                    None
                };
                key_from_bytes("new owner key", &new_owner)?;
                fr_from_bytes("new owner commitment", &new_commitment)
                    .map_err(|e| LandError::Invalid(e.to_string()))?;
                Action::Transfer {
                    new_owner,
                    new_commitment,
                    price,
                }
            }
            2 => {
                let lienholder = r.array("lienholder key")?;
                key_from_bytes("lienholder key", &lienholder)?;
                Action::Lien {
                    lienholder,
                    amount: r.u64("amount")?,
                }
            }
            3 => Action::Release {
                lien: r.array("lien id")?,
            },
            other => {
                return Err(CodecError::Invalid {
                    what: "action",
                    reason: format!("{other} is not 1, 2 or 3"),
                }
                .into());
            }
        };
        if version == 0 {
            return Err(LandError::Invalid("version 0 is the registration".into()));
        }
        Ok(Self {
            parcel,
            version,
            previous,
            time_ms,
            action,
        })
    }

    /// Strict decoding.
    pub fn decode(bytes: &[u8]) -> LandResult<Self> {
        let mut r = Reader::new(bytes);
        let terms = Self::read(&mut r)?;
        r.finish()?;
        Ok(terms)
    }

    /// The message a party signs: [`TERMS_CONTEXT`] ‖ encoding.
    pub fn signing_message(&self) -> Vec<u8> {
        let mut message = TERMS_CONTEXT.to_vec();
        message.extend_from_slice(&self.encode());
        message
    }

    /// A party's signature over the terms.
    pub fn sign(&self, key: &impl RecordSigner) -> [u8; 64] {
        key.sign_record(&self.signing_message()).to_bytes()
    }
}

/// The credential move a transfer carries: the seller's leaf revoked, the
/// buyer's issued, in the parcel's title registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TitleCredential {
    /// Leaf index of the seller's credential in the title registry.
    pub revoke_leaf: u64,
}

/// `title.transfer`, `lien.register`, `lien.release`: terms, the two
/// parties' signatures, and (transfers) the credential move.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TitleEvent {
    /// The terms.
    pub terms: Terms,
    /// Signatures over the terms, in [`Action::parties`] order.
    pub signatures: [[u8; 64]; 2],
    /// For transfers: the seller's leaf to revoke. Absent otherwise.
    pub credential: Option<TitleCredential>,
}

impl TitleEvent {
    /// Canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.bytes(&self.terms.encode())
            .fixed(&self.signatures[0])
            .fixed(&self.signatures[1]);
        match &self.credential {
            None => w.u8(0),
            Some(c) => w.u8(1).u64(c.revoke_leaf),
        };
        w.finish()
    }

    /// Strict decoding: transfers carry a credential move, other events none.
    pub fn decode(bytes: &[u8]) -> LandResult<Self> {
        let mut r = Reader::new(bytes);
        let terms = Terms::decode(r.bytes("terms", 1024)?)?;
        let signatures = [r.array("first signature")?, r.array("second signature")?];
        let credential = if read_flag(&mut r, "credential flag")? {
            Some(TitleCredential {
                revoke_leaf: r.u64("revoke leaf")?,
            })
        } else {
            None
        };
        r.finish()?;
        let is_transfer = matches!(terms.action, Action::Transfer { .. });
        if is_transfer != credential.is_some() {
            return Err(LandError::CredentialMismatch(
                "a transfer, and only a transfer, moves the title credential",
            ));
        }
        Ok(Self {
            terms,
            signatures,
            credential,
        })
    }
}

/// The identity-registry change a land record makes, for the identity
/// registries' replay: issue a title credential, and for a transfer first
/// revoke the seller's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialChange {
    /// The seller's leaf to revoke and the seller's credential it must hold (transfers).
    pub revoke: Option<(CredentialRevoke, CredentialIssue)>,
    /// The leaf to issue.
    pub issue: CredentialIssue,
}

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
            key.verify_strict(&message, &Signature::from_bytes(&event.signatures[i]))
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

    fn apply_checked(&mut self, index: u64, record: &Record, checked: Checked) {
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

/// Verifies, offline, one parcel's complete history: `events` (log index,
/// record) in log order must start with the parcel's registration by
/// `registrar` and continue with every later event, each signed by the
/// registrar and by the parties the rules require, each the next version
/// of the title and naming its predecessor. Returns the resulting title.
///
/// Inclusion of the records in the log is checked separately (see the
/// verifier's history bundles); this checks the chain of owners.
pub fn verify_history(
    parcel: &str,
    registrar: &VerifyingKey,
    events: &[(u64, Record)],
) -> LandResult<Parcel> {
    let Some((_, first)) = events.first() else {
        return Err(LandError::History("no events".into()));
    };
    if first.kind() != PARCEL_REGISTER {
        return Err(LandError::History(
            "the first event is not the registration".into(),
        ));
    }
    let mut book = TitleBook::new();
    let mut last_index = None;
    for (index, record) in events {
        if last_index.is_some_and(|last| *index <= last) {
            return Err(LandError::History("events are not in log order".into()));
        }
        last_index = Some(*index);
        let checked = book.check(record)?;
        if checked.parcel() != parcel {
            return Err(LandError::History(format!(
                "event at index {index} is for another parcel"
            )));
        }
        if record.author() != Author::Ed25519(*registrar) {
            return Err(LandError::NotRegistrar(parcel.to_owned()));
        }
        book.apply_checked(*index, record, checked);
    }
    book.get(parcel)
        .cloned()
        .ok_or_else(|| LandError::UnknownParcel(parcel.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::fr_to_bytes;
    use ed25519_dalek::SigningKey;
    use rand_chacha::ChaCha20Rng;
    use rand_chacha::rand_core::SeedableRng;

    fn key(seed: u64) -> SigningKey {
        SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(seed))
    }

    fn registration(owner: &SigningKey) -> ParcelRegistration {
        ParcelRegistration {
            parcel: "D7-100".into(),
            district: 7,
            area_m2: 850,
            documents: vec![[3; 32]],
            title_registry: "titles".into(),
            owner: owner.verifying_key().to_bytes(),
            owner_commitment: fr_to_bytes(&Fr::from(11u64)),
        }
    }

    struct Chain {
        registrar: SigningKey,
        records: Vec<(u64, Record)>,
        book: TitleBook,
    }

    impl Chain {
        fn new(owner: &SigningKey) -> Self {
            let registrar = key(1);
            let record = Record::signed(
                DOMAIN,
                PARCEL_REGISTER,
                1,
                registration(owner).encode(),
                &registrar,
            )
            .unwrap();
            let mut chain = Self {
                registrar,
                records: Vec::new(),
                book: TitleBook::new(),
            };
            chain.push(record).unwrap();
            chain
        }

        fn terms(&self, action: Action) -> Terms {
            let p = self.book.get("D7-100").unwrap();
            Terms {
                parcel: "D7-100".into(),
                version: p.version + 1,
                previous: p.head,
                time_ms: 5,
                action,
            }
        }

        fn event(&self, terms: Terms, a: &SigningKey, b: &SigningKey) -> Record {
            let credential = matches!(terms.action, Action::Transfer { .. })
                .then_some(TitleCredential { revoke_leaf: 0 });
            let event = TitleEvent {
                signatures: [terms.sign(a), terms.sign(b)],
                terms,
                credential,
            };
            let kind = event.terms.action.kind();
            Record::signed(DOMAIN, kind, 10, event.encode(), &self.registrar).unwrap()
        }

        fn push(&mut self, record: Record) -> LandResult<()> {
            self.book.check(&record)?;
            let index = self.book.applied_up_to();
            self.book.apply(index, &record);
            self.records.push((index, record));
            Ok(())
        }
    }

    fn transfer_to(buyer: &SigningKey) -> Action {
        Action::Transfer {
            new_owner: buyer.verifying_key().to_bytes(),
            new_commitment: fr_to_bytes(&Fr::from(22u64)),
            price: Some(100_000),
        }
    }

    #[test]
    fn payloads_round_trip_strictly() {
        let owner = key(2);
        let r = registration(&owner);
        assert_eq!(ParcelRegistration::decode(&r.encode()).unwrap(), r);
        let mut trailing = r.encode();
        trailing.push(0);
        assert!(ParcelRegistration::decode(&trailing).is_err());
        let mut zero_area = r.clone();
        zero_area.area_m2 = 0;
        assert!(ParcelRegistration::decode(&zero_area.encode()).is_err());
        let mut bad_commitment = r.clone();
        bad_commitment.owner_commitment = [0xff; 32];
        assert!(ParcelRegistration::decode(&bad_commitment.encode()).is_err());
        let terms = Terms {
            parcel: "D7-100".into(),
            version: 1,
            previous: [1; 32],
            time_ms: 9,
            action: transfer_to(&key(3)),
        };
        assert_eq!(Terms::decode(&terms.encode()).unwrap(), terms);
        let event = TitleEvent {
            signatures: [[1; 64], [2; 64]],
            terms: terms.clone(),
            credential: Some(TitleCredential { revoke_leaf: 4 }),
        };
        assert_eq!(TitleEvent::decode(&event.encode()).unwrap(), event);
        let without = TitleEvent {
            credential: None,
            ..event
        };
        assert!(matches!(
            TitleEvent::decode(&without.encode()),
            Err(LandError::CredentialMismatch(_))
        ));
    }

    #[test]
    fn transfers_liens_and_releases_follow_the_rules() {
        let (owner, buyer, bank) = (key(2), key(3), key(4));
        let mut chain = Chain::new(&owner);
        // A lien signed by owner and bank.
        let lien = chain.event(
            chain.terms(Action::Lien {
                lienholder: bank.verifying_key().to_bytes(),
                amount: 50_000,
            }),
            &owner,
            &bank,
        );
        chain.push(lien.clone()).unwrap();
        // Transfer under lien is refused.
        let under_lien = chain.event(chain.terms(transfer_to(&buyer)), &owner, &buyer);
        assert_eq!(
            chain.book.check(&under_lien).unwrap_err(),
            LandError::UnderLien {
                parcel: "D7-100".into(),
                liens: 1
            }
        );
        // A release signed by someone other than the lienholder is refused.
        let release = chain.terms(Action::Release { lien: lien.id() });
        let forged = chain.event(release.clone(), &owner, &buyer);
        assert_eq!(
            chain.book.check(&forged).unwrap_err(),
            LandError::BadSignature("lienholder")
        );
        chain.push(chain.event(release, &owner, &bank)).unwrap();
        // Now the transfer goes through (with new terms: version 3).
        let transfer = chain.event(chain.terms(transfer_to(&buyer)), &owner, &buyer);
        chain.push(transfer.clone()).unwrap();
        let p = chain.book.get("D7-100").unwrap();
        assert_eq!(p.owner, buyer.verifying_key());
        assert_eq!(p.version, 3);
        assert!(p.liens.is_empty());
        // Replaying the same transfer (stale version) is refused.
        assert!(matches!(
            chain.book.check(&transfer),
            Err(LandError::StaleVersion { expected: 4, .. })
        ));
        // The old owner can no longer sell.
        let stolen = chain.event(chain.terms(transfer_to(&key(5))), &owner, &key(5));
        assert_eq!(
            chain.book.check(&stolen).unwrap_err(),
            LandError::BadSignature("owner")
        );
        let history =
            verify_history("D7-100", &chain.registrar.verifying_key(), &chain.records).unwrap();
        assert_eq!(history.owner, buyer.verifying_key());
        assert_eq!(history.events.len(), 4);
    }

    #[test]
    fn forged_or_misdirected_events_are_refused() {
        let (owner, buyer) = (key(2), key(3));
        let chain = Chain::new(&owner);
        let terms = chain.terms(transfer_to(&buyer));
        // Buyer acceptance forged by the owner.
        let forged = chain.event(terms.clone(), &owner, &owner);
        assert_eq!(
            chain.book.check(&forged).unwrap_err(),
            LandError::BadSignature("buyer")
        );
        // Signed by a registrar other than the parcel's.
        let event = TitleEvent {
            signatures: [terms.sign(&owner), terms.sign(&buyer)],
            terms: terms.clone(),
            credential: Some(TitleCredential { revoke_leaf: 0 }),
        };
        let other = Record::signed(DOMAIN, TITLE_TRANSFER, 1, event.encode(), &key(9)).unwrap();
        assert_eq!(
            chain.book.check(&other).unwrap_err(),
            LandError::NotRegistrar("D7-100".into())
        );
        // Under the wrong kind.
        let wrong_kind =
            Record::signed(DOMAIN, LIEN_REGISTER, 1, event.encode(), &chain.registrar).unwrap();
        assert!(matches!(
            chain.book.check(&wrong_kind),
            Err(LandError::KindMismatch(_))
        ));
        // Unknown parcel and wrong previous.
        let mut unknown = terms.clone();
        unknown.parcel = "D7-999".into();
        assert_eq!(
            chain
                .book
                .check(&chain.event(unknown, &owner, &buyer))
                .unwrap_err(),
            LandError::UnknownParcel("D7-999".into())
        );
        let mut wrong_previous = terms;
        wrong_previous.previous = [0; 32];
        assert_eq!(
            chain
                .book
                .check(&chain.event(wrong_previous, &owner, &buyer))
                .unwrap_err(),
            LandError::WrongPrevious("D7-100".into())
        );
    }

    #[test]
    fn tampered_histories_fail_offline_verification() {
        let (owner, buyer, next) = (key(2), key(3), key(4));
        let mut chain = Chain::new(&owner);
        chain
            .push(chain.event(chain.terms(transfer_to(&buyer)), &owner, &buyer))
            .unwrap();
        chain
            .push(chain.event(chain.terms(transfer_to(&next)), &buyer, &next))
            .unwrap();
        let registrar = chain.registrar.verifying_key();
        assert!(verify_history("D7-100", &registrar, &chain.records).is_ok());
        // A missing middle event breaks the chain.
        let gap = vec![chain.records[0].clone(), chain.records[2].clone()];
        assert!(verify_history("D7-100", &registrar, &gap).is_err());
        // Reordered events.
        let mut swapped = chain.records.clone();
        swapped.swap(1, 2);
        assert!(verify_history("D7-100", &registrar, &swapped).is_err());
        // Another registrar's key.
        assert_eq!(
            verify_history("D7-100", &key(8).verifying_key(), &chain.records).unwrap_err(),
            LandError::NotRegistrar("D7-100".into())
        );
        // The wrong parcel, an empty history.
        assert!(verify_history("D7-101", &registrar, &chain.records).is_err());
        assert!(verify_history("D7-100", &registrar, &[]).is_err());
        // A re-signed event with a substituted buyer: the buyer's signature is the old one.
        let mut event = TitleEvent::decode(chain.records[2].1.payload()).unwrap();
        event.terms.action = transfer_to(&key(6));
        let tampered =
            Record::signed(DOMAIN, TITLE_TRANSFER, 10, event.encode(), &chain.registrar).unwrap();
        let mut records = chain.records.clone();
        records[2].1 = tampered;
        assert!(matches!(
            verify_history("D7-100", &registrar, &records),
            Err(LandError::BadSignature(_))
        ));
    }

    #[test]
    fn registration_and_transfer_carry_the_credential_move() {
        let (owner, buyer) = (key(2), key(3));
        let chain = Chain::new(&owner);
        let transfer = chain.event(chain.terms(transfer_to(&buyer)), &owner, &buyer);
        let checked = chain.book.check(&transfer).unwrap();
        let change = chain.book.credential_change(&checked).unwrap();
        assert_eq!(change.revoke.as_ref().unwrap().0.leaf_index, 0);
        assert_eq!(change.issue.attributes, vec![7, 850]);
        assert_eq!(change.issue.commitment, fr_to_bytes(&Fr::from(22u64)));
        let lien = chain.event(
            chain.terms(Action::Lien {
                lienholder: buyer.verifying_key().to_bytes(),
                amount: 1,
            }),
            &owner,
            &buyer,
        );
        let checked = chain.book.check(&lien).unwrap();
        assert!(chain.book.credential_change(&checked).is_none());
    }

    #[test]
    fn the_title_registry_changes_with_the_title_and_only_then() {
        use crate::identity::{REGISTRY_CREATE, RegistryBook, RegistrySpec};
        let (owner, buyer, log) = (key(2), key(3), key(9));
        let chain = Chain::new(&owner);
        let mut book = RegistryBook::new(log.verifying_key());
        let spec = RegistrySpec {
            id: "titles".into(),
            title: String::new(),
            attributes: vec!["district".into(), "area_m2".into()],
            depth: 4,
            window_changes: 4,
            window_secs: 0,
        };
        let create = Record::signed(
            crate::identity::DOMAIN,
            REGISTRY_CREATE,
            0,
            spec.encode(),
            &chain.registrar,
        )
        .unwrap();
        book.apply(0, &create);
        book.apply(1, &chain.records[0].1);
        let registry = book.get("titles").unwrap();
        assert_eq!(registry.leaves().len(), 1);
        assert_eq!(
            registry.leaves()[0],
            chain.book.get("D7-100").unwrap().credential_leaf().unwrap()
        );
        // A transfer naming the wrong seller leaf is refused by the registry
        // check, and neither the title nor the registry changes on replay.
        let terms = chain.terms(transfer_to(&buyer));
        let mut event =
            TitleEvent::decode(chain.event(terms.clone(), &owner, &buyer).payload()).unwrap();
        event.credential = Some(TitleCredential { revoke_leaf: 5 });
        let wrong =
            Record::signed(DOMAIN, TITLE_TRANSFER, 10, event.encode(), &chain.registrar).unwrap();
        let checked = book.titles().check(&wrong).unwrap();
        let change = book.titles().credential_change(&checked).unwrap();
        assert!(book.check_title_change(&wrong, &change).is_err());
        book.apply(2, &wrong);
        assert_eq!(book.titles().get("D7-100").unwrap().version, 0);
        assert_eq!(book.get("titles").unwrap().version(), 1);
        // The right one moves both.
        let right = chain.event(terms, &owner, &buyer);
        book.apply(3, &right);
        let parcel = book.titles().get("D7-100").unwrap();
        assert_eq!(parcel.owner, buyer.verifying_key());
        let registry = book.get("titles").unwrap();
        assert_eq!(registry.leaves()[0], Fr::from(0u64));
        assert_eq!(registry.leaves()[1], parcel.credential_leaf().unwrap());
        assert_eq!(registry.version(), 2);
    }
}
