//! The crate's error type.

/// Errors of the ledger crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Storage failed.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A replayed book could not be brought up to date.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    #[error(transparent)]
    Replay(#[from] crate::replay::ReplayError),
}

/// Result alias of the ledger crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
