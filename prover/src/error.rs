//! The prover's error type.

use std::path::PathBuf;

use ark_relations::gr1cs::SynthesisError;
use ark_serialize::SerializationError;
use zkaudit_verifier::VerifyError;

/// Why setup, key loading or proving failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProverError {
    /// The circuit could not be synthesized (e.g. a missing assignment).
    #[error("constraint synthesis failed: {0}")]
    Synthesis(#[from] SynthesisError),
    /// One proof of a batch failed.
    #[error("proof {index} of the batch failed: {source}")]
    BatchItem {
        /// Index of the circuit in the batch.
        index: usize,
        /// Why it failed.
        #[source]
        source: Box<ProverError>,
    },
    /// Reading or writing a key file failed.
    #[error("i/o error on {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A key could not be (de)serialized.
    #[error("key serialization failed: {0}")]
    Serialization(#[from] SerializationError),
    /// A key cache entry is damaged or inconsistent; delete its files to
    /// make new keys (which changes the verifying key digest).
    #[error("key cache entry {} is corrupt: {reason}", path.display())]
    CorruptKey {
        /// The offending file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A shape id that cannot name key files.
    #[error(
        "invalid shape id {0:?}: use 1 to 128 characters from [A-Za-z0-9._-], starting with a letter or digit"
    )]
    InvalidShapeId(String),
    /// Keys for this shape exist already; importing would replace them.
    #[error(
        "keys for {0} exist already: delete them first (the logged verifying key would change)"
    )]
    KeysExist(String),
    /// A proving key whose parts do not belong together.
    #[error("proving key is inconsistent: {0}")]
    InconsistentKey(String),
    /// An iden3 file (`.r1cs`, `.wtns`, `.zkey`) was refused.
    #[error("{0}")]
    Format(#[from] crate::iden3::FormatError),
    /// The verifier rejected a key.
    #[error("verifying key rejected: {0}")]
    Verifier(#[from] VerifyError),
}

/// Result alias of the prover.
pub type Result<T, E = ProverError> = std::result::Result<T, E>;
