//! The C2SP [`tlog-witness`](https://c2sp.org/tlog-witness) protocol over
//! HTTP: the witness server (`zkaudit witness`, [`server`]) and, apart from
//! it, the client a log uses to ask a witness for a cosignature
//! ([`client`]).

pub mod client;
pub mod server;

pub use client::{WitnessClientError, request_cosignature};
pub use server::{router, serve_witness};

/// Path of the submission endpoint, relative to the witness's URL prefix.
pub const ADD_CHECKPOINT_PATH: &str = "/add-checkpoint";

/// Content type of the cosignature lines of a 200 response.
const COSIGNATURE_CONTENT_TYPE: &str = "text/plain; charset=utf-8";
