//! # zkaudit-service
//!
//! The HTTP service (axum) and the parts of the `zkaudit` command line:
//!
//! * [`server`]: `zkaudit serve` — start-up, config, handler state, the
//!   append queue (group commit in front of the sequencer), metrics, the API
//!   error type and the one mapping of domain refusals to it, log access
//!   (entries, receipts, entries with inclusion proofs) and the witness loop;
//! * [`api`]: the log's routes and the OpenAPI document generated from them
//!   and from every domain's routes;
//! * [`domains`]: the `Domain` trait and one folder per public service
//!   (`ledger`, `identity`, `election`, `land`, `health`, `funds`), each with
//!   its `Domain` impl (`mod.rs`), its routes (`routes.rs`) and its serde
//!   view types (`views.rs`, what the client side reads); domains built on
//!   another (elections and land on identity) are handed it when made;
//! * [`witness`]: `zkaudit witness` (`witness::server`) and, apart, the client
//!   the log uses to reach witnesses (`witness::client`);
//! * [`cli`]: the command line.

pub mod api;
pub mod cli;
pub mod client;
pub mod clock;
pub mod demo;
pub mod domains;
pub mod election_cli;
mod election_demo;
pub mod funds_cli;
mod funds_demo;
pub mod health_cli;
pub mod health_demo;
pub mod identity_cli;
pub mod keyfile;
pub mod land_cli;
mod land_demo;
pub mod mirror;
pub mod server;
pub mod witness;
