//! The land domain: parcels, multi-signed transfers and liens, the title
//! book replayed from them, and the offline verification of a parcel's
//! history.
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
//! itself carries that credential change ([`TitleCredential`]);
//! [`TitleBook::credential_change`] states it as an identity
//! [`CredentialChange`](crate::identity::CredentialChange), and
//! [`Registries`](crate::registries::Registries) applies it to the title
//! registry together with the title when it replays the log, so the title
//! history and the registry change in the same log entry and cannot
//! disagree.
//!
//! [`TitleBook`] is pure (no storage): the service replays the log into it,
//! and [`verify_history`] replays one parcel's events offline with the very
//! same rules.
//!
//! The folder holds the payloads and their codecs (`records`), the error
//! (`error`), the replayed titles (`book`), the offline history check
//! (`checks`), a parcel's history in the shape of ISO 19152 LADM
//! ([`ladm`]) and the tests.

mod book;
mod checks;
mod error;
pub mod ladm;
mod records;

pub use book::{Checked, Lien, Parcel, TitleBook, version_key};
pub use checks::verify_history;
pub use error::{LandError, LandResult};
pub use records::{
    Action, ParcelRegistration, Terms, TitleCredential, TitleEvent, is_valid_parcel_id,
};

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

#[cfg(test)]
mod tests;
