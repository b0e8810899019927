//! # zkaudit-service
//!
//! The HTTP service (axum) and the `zkaudit` command line, the server side
//! and the client side apart:
//!
//! * [`server`]: `zkaudit serve` — start-up, config, handler state, the
//!   append queue (group commit in front of the sequencer), metrics, the API
//!   error type and the one mapping of domain refusals to it, the write rate
//!   limits (`limits`), log access (entries, receipts, entries with
//!   inclusion proofs) and the witness loop;
//! * [`http`]: the one serve loop both servers run (hyper connections with
//!   header, body and idle timeouts, keep-alive expiry, a connection cap
//!   answered `503`, a URI length limit) and graceful shutdown on Ctrl-C or
//!   SIGTERM;
//! * [`api`]: the log's routes and the OpenAPI document generated from them
//!   and from every domain's routes;
//! * [`domains`]: the `Domain` trait and one folder per public service
//!   (`ledger`, `identity`, `election`, `land`, `health`, `funds`), each with
//!   its `Domain` impl (`mod.rs`) and, where it serves any, its routes
//!   (`routes.rs`) and serde view types (`views.rs`, what the client side
//!   reads); domains built on another (elections and land on identity) are
//!   handed it when made;
//! * [`board`]: the public bulletin board at `/` — server-rendered pages of
//!   the log and of every domain (each domain renders its own in its
//!   `board.rs`), verified in the visitor's browser by the WebAssembly
//!   build of the verifier (`zkaudit-verifier-wasm`, embedded by
//!   `build.rs`), with live checkpoints as server-sent events;
//! * [`witness`]: `zkaudit witness` (`witness::server`) and, apart, the client
//!   the log uses to reach witnesses (`witness::client`);
//! * [`client`]: the client side of the HTTP API (one HTTP client, key
//!   files, the holder's wallet, the proving-key download, per-domain calls)
//!   that the CLI, demos, tests and benches share; it uses the server's
//!   view types only;
//! * [`cli`]: the command line: the clap commands, one module a domain
//!   (identity, which has six entry points, one folder with a module each),
//!   the log's commands (`log`, with `fsck`), `verify`, `hammer` (the load
//!   tool), and `output` (receipts kept safely, checked before sending);
//! * [`demo`]: `zkaudit demo`, one scenario a domain on an in-process service;
//! * [`keyfile`] and [`clock`]: key files and the wall clock, which both
//!   sides use.

pub mod api;
pub mod board;
pub mod cli;
pub mod client;
pub mod clock;
pub mod demo;
pub mod domains;
pub mod http;
pub mod keyfile;
pub mod log_writer;
pub mod server;
pub mod witness;
