//! # zkaudit-service
//!
//! The HTTP service (axum) and the parts of the `zkaudit` command line:
//!
//! * [`server`]: `zkaudit serve` — store, sequencer, witness loop, HTTP;
//! * [`api`]: the routes and the OpenAPI document generated from them;
//! * [`domains`]: the record kinds of each public service;
//! * [`queue`]: group commit in front of the sequencer;
//! * [`witness`]: `zkaudit witness` and the client the log uses to reach witnesses;
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
