//! zkaudit service library: the HTTP API, the witness, and the CLI's parts.

pub mod witness;
