//! The identity commands: the holder's wallet (`id`), issuers (`issuer`),
//! key setup and export (`setup`, `keys`), proving (`prove eligibility`)
//! and claiming (`claim`), one module each, each with its `run`.
//!
//! The holder's secret lives in a local wallet file (mode 0600) and never
//! leaves the machine: proofs are made locally, and what is sent is the
//! commitment (to the issuer) or the proof (to the claims service).

pub mod claim;
pub mod issuer;
pub mod keys;
pub mod prove;
pub mod wallet;

pub use claim::ClaimArgs;
pub use issuer::{IssuerCommand, parse_digest, parse_predicates};
pub use keys::{KeysCommand, SetupArgs};
pub use prove::ProveCommand;
pub use wallet::IdCommand;
