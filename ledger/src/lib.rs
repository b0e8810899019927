//! # zkaudit-ledger
//!
//! The tamper-evident log every zkaudit domain writes to, and the pieces a
//! verifier needs to check it:
//!
//! * [`merkle`]: the RFC 6962 / RFC 9162 Merkle tree over SHA-256, inclusion
//!   and consistency proofs and their verification (pure, no I/O);
//! * [`tiles`]: C2SP `tlog-tiles` coordinates and tile contents;
//! * [`note`]: C2SP `signed-note` keys, `tlog-checkpoint` and
//!   `tlog-cosignature` (cosignature/v1);
//! * [`witness`]: the C2SP `tlog-witness` protocol and the witness's rules;
//! * [`record`]: typed records in their canonical, versioned binary encoding;
//! * [`codec`]: the strict canonical binary encoding under everything hashed;
//! * [`authority`]: who may write which record kinds;
//! * [`identity`]: credential registries, derived by replaying the log;
//! * [`election`]: elections — key ceremony, ballots, tally — replayed the same way;
//! * [`land`]: parcels, multi-signed transfers and liens, offline history checks;
//! * [`health`]: medical-record commitments, consent and access audit, and
//!   the vaccine supply chain, with their offline checks;
//! * [`funds`]: budgets, hidden expenditures, proven period reports, spot audits;
//! * [`store`] (features `sqlite`, `postgres`): the storage layer and the
//!   [`sequencer`] that integrates batches into the tree durably.
//!
//! The verifier crate uses this crate with default features off, which leaves
//! only pure code that also builds for `wasm32`.

pub mod authority;
pub mod codec;
pub mod election;
mod error;
pub mod funds;
pub mod health;
pub mod identity;
pub mod land;
pub mod merkle;
pub mod note;
pub mod record;
pub mod registries;
pub mod replay;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod sequencer;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod store;
pub mod tiles;
pub mod witness;

pub use error::{Error, Result};
