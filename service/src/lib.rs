//! # zkaudit-service
//!
//! The HTTP service (axum) and the parts of the `zkaudit` command line:
//!
//! * [`server`]: `zkaudit serve` — store, sequencer, witness loop, HTTP;
//! * [`api`]: the routes and the OpenAPI document generated from them;
//! * [`domains`]: the record kinds of each public service;
//! * [`queue`]: group commit in front of the sequencer;
//! * [`witness`]: `zkaudit witness` and the client the log uses to reach witnesses;
//! * [`cli`]: the command line: the clap commands, one module a domain;
//! * [`client`]: the client side of the HTTP API (one HTTP client, key
//!   files, the holder's wallet, per-domain calls) the CLI, demos, tests and
//!   benches share; it uses the server's view types only;
//! * [`demo`]: `zkaudit demo`, one scenario a domain on an in-process service.

pub mod api;
pub mod cli;
pub mod client;
pub mod clock;
pub mod demo;
pub mod domains;
pub mod error;
pub mod keyfile;
pub mod metrics;
pub mod queue;
pub mod server;
pub mod state;
pub mod witness;
pub mod witnessing;
