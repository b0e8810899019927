//! The land payloads and their canonical codecs: parcel registrations,
//! the terms the parties sign, and title events.

use ed25519_dalek::VerifyingKey;

use super::{
    LIEN_REGISTER, LIEN_RELEASE, LandError, LandResult, MAX_DOCUMENTS, MAX_ID, TERMS_CONTEXT,
    TITLE_TRANSFER,
};
use crate::codec::{CodecError, Reader, Writer, fr_from_bytes};
use crate::identity::CredentialIssue;
use crate::record::RecordSigner;
use crate::signature::parse_verifying_key;

/// Parcel ids: 1 to 64 bytes of `[A-Za-z0-9-.]` (they appear in URL paths).
pub fn is_valid_parcel_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
}

/// A party's key, parsed strictly ([`parse_verifying_key`]).
pub(super) fn key_from_bytes(what: &str, bytes: &[u8; 32]) -> LandResult<VerifyingKey> {
    parse_verifying_key(bytes).map_err(|e| LandError::Invalid(format!("{what}: {e}")))
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
                let price = if r.flag("price flag")? {
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
        let credential = if r.flag("credential flag")? {
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
