//! # zkaudit-ledger
//!
//! The tamper-evident log every zkaudit domain writes to, each domain's
//! records and the state replayed from them, and the pieces a verifier needs
//! to check it all.
//!
//! ## The log core
//!
//! ```text
//! merkle     RFC 6962 / RFC 9162 tree over SHA-256, inclusion and consistency proofs (pure, no I/O)
//! tiles      C2SP tlog-tiles coordinates and tile contents
//! note/      C2SP signed notes: key (keys, key IDs, what each signs), checkpoint, cosignature, error
//! witness    the C2SP tlog-witness protocol and the witness's rules
//! record     typed records in their canonical, versioned binary encoding
//! signature  Ed25519 keys parsed and signatures verified strictly (no weak,
//!            non-canonical or mixed-order keys): every signature check goes here
//! codec/     the strict canonical encoding under everything hashed (mod), and the
//!            encodings several domains share: field elements (field), ids (id),
//!            attribute predicates (predicate)
//! authority  who may write which record kinds
//! ```
//!
//! ## The domains
//!
//! One folder per domain, each split the same way: `mod.rs` (what the
//! domain is, its record kinds and constants, the re-exported API),
//! `records` (the payloads and their canonical codecs), `error`, `book`
//! (the state replayed from the records, and the rules a new record must
//! meet), `checks` (offline checks over a set of entries) and `tests`.
//! Every item keeps its path `zkaudit_ledger::<domain>::<Item>`; the inner
//! modules are private.
//!
//! ```text
//! identity/  credential registries, claim scopes, circuit keys and claims     records book
//! land/      parcels, multi-signed transfers and liens; parcel histories       records book checks
//! election/  key ceremony, encrypted ballots and their statement, the tally   records ballot book
//! health/    record commitments, consent and access audit; vaccine lots        records lots book checks
//! funds/     budgets, contracts, hidden expenditures, period reports, audits   records/{budget,report,audit} book
//! ceremony/  multi-party Groth16 setups: start, contributions, the final beacon   records book
//! registries the identity registries and the land titles replayed together
//! ```
//!
//! Domains depend one way: land and elections build on identity, and
//! identity knows none of them. A land title is also a credential in a
//! title registry; [`registries`] replays identity and land records together
//! so that a title and its registry change together or not at all.
//!
//! ## Replay, storage, sequencing
//!
//! ```text
//! replay     the Book trait every domain book implements; one loop that replays a store
//!            topic into a book, and Replayed, the cached, lock-guarded book a process serves
//! store/     the Store trait (mod), the shared write transaction (txn), log reads over each
//!            backend's statements (sql) and reader pool (pool); sqlite and postgres hold
//!            only their SQL, driver calls and connections
//! sequencer  integrates batches into the tree durably and signs checkpoints
//! fsck       the integrity check of a stored log: leaves, record ids, the tree and
//!            every stored checkpoint recomputed and verified (`zkaudit log fsck`)
//! ```
//!
//! `store`, `sequencer`, `fsck` and the store half of [`replay`] are behind the
//! `sqlite` and `postgres` features. The verifier crate uses this crate with
//! default features off, which leaves only pure code that also builds for
//! `wasm32`.

pub mod authority;
pub mod ceremony;
pub mod codec;
pub mod election;
mod error;
pub mod export;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod fsck;
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
pub mod signature;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod store;
pub mod tiles;
pub mod witness;

pub use error::{Error, Result};
