//! Blocking work (storage drivers, proof checks) run off the async runtime,
//! answering in API errors.

use crate::server::error::{ApiError, ApiResult};

/// Runs blocking storage work off the async runtime. A storage fault
/// answers 503 `storage_unavailable`, any other storage error 500.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, zkaudit_ledger::store::StoreError> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::storage)
}

/// Runs blocking work that answers in API errors off the async runtime.
pub async fn blocking_api<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}
