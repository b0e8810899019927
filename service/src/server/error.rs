//! The HTTP layer's one error type and its one JSON shape:
//! `{"error": {"code": "...", "message": "..."}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use zkaudit_ledger::store::{StorageFault, StoreError};

/// `Retry-After` of a refusal by a storage fault, in seconds.
const STORAGE_RETRY_AFTER_SECS: u64 = 5;

/// An error answered to an HTTP client. Messages are written for the
/// client; internal details go to the log only, never into the response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// Seconds after which a refused request may be tried again.
    retry_after_secs: Option<u64>,
}

/// The JSON body of every error response.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Code and message of an error.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable code, e.g. `bad_signature`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl ApiError {
    /// An error with an explicit status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after_secs: None,
        }
    }

    /// 429: too many writes from one client or one key; try again after
    /// `retry_after_secs` (also sent as `Retry-After`).
    pub fn rate_limited(message: impl Into<String>, retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
        }
    }

    /// 400: the request is malformed.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404: no such thing.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 403: authenticated but not allowed.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    /// 409: conflicts with the log's state (e.g. a used nullifier).
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 422: well-formed but refused by a rule.
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 503: temporarily unable (e.g. shutting down).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// 503 `storage_unavailable`: the store cannot persist or answer right
    /// now (`fault` says why, in words); try again after a few seconds.
    /// Nothing was acknowledged; a record that did get logged (a commit
    /// whose connection was lost) is answered with its index when resent.
    pub fn storage_unavailable(fault: StorageFault) -> Self {
        Self {
            retry_after_secs: Some(STORAGE_RETRY_AFTER_SECS),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                format!(
                    "the log cannot use its storage right now ({fault}); nothing was \
                     acknowledged: retry later (a record that was in fact logged is \
                     answered with its index)"
                ),
            )
        }
    }

    /// A storage error: 503 `storage_unavailable` for a fault that may pass
    /// (logged as a warning), else a generic 500.
    pub fn storage(e: StoreError) -> Self {
        match e.fault() {
            Some(fault) => {
                tracing::warn!(error = %e, "storage fault");
                Self::storage_unavailable(fault)
            }
            None => Self::internal(e),
        }
    }

    /// 500: logs `detail` and answers a generic message.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the request may be retried",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

/// Result alias of handlers.
pub type ApiResult<T> = Result<T, ApiError>;

/// A domain rule's refusal: the one mapping from a domain's typed errors to
/// API errors. Each domain says, for its error type, which status and code a
/// refusal answers with; `From` does the rest, so handlers use `?`.
pub trait Refusal: std::fmt::Display {
    /// Status and code of the answer; `None` when the error is the service's
    /// own failure (answered as a generic 500, the detail logged only).
    fn status_code(&self) -> Option<(StatusCode, &'static str)>;

    /// The client-facing message; the error's `Display` unless overridden.
    fn message(&self) -> String {
        self.to_string()
    }
}

impl<E: Refusal> From<E> for ApiError {
    fn from(e: E) -> Self {
        match e.status_code() {
            Some((status, code)) => Self::new(status, code, e.message()),
            None => Self::internal(e),
        }
    }
}

/// A book that cannot be brought up to date is the service's fault.
impl From<zkaudit_ledger::replay::ReplayError> for ApiError {
    fn from(e: zkaudit_ledger::replay::ReplayError) -> Self {
        Self::internal(e)
    }
}

/// Callers check sizes and indices against the latest checkpoint first, so
/// whatever the tree refuses is a fault of the service or its storage.
impl From<zkaudit_ledger::sequencer::TreeError> for ApiError {
    fn from(e: zkaudit_ledger::sequencer::TreeError) -> Self {
        match e {
            zkaudit_ledger::sequencer::TreeError::Store(e) => Self::storage(e),
            e => Self::internal(e),
        }
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        let status = rejection.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "body_too_large"
        } else {
            "malformed_json"
        };
        Self::new(status, code, rejection.body_text())
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::PathRejection) -> Self {
        Self::bad_request("malformed_path", rejection.body_text())
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        Self::bad_request("malformed_query", rejection.body_text())
    }
}

/// `Json` whose rejections answer in the service's error shape.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct AppJson<T>(pub T);

/// `Path` whose rejections answer in the service's error shape.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct AppPath<T>(pub T);

/// `Query` whose rejections answer in the service's error shape.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct AppQuery<T>(pub T);

/// Fallback for unknown routes.
pub async fn not_found_fallback() -> ApiError {
    ApiError::not_found("no such route; see /openapi.json")
}

/// A number in a request path, written canonically: decimal digits with no
/// sign and no leading zero (`0`, `1`, `17`, never `+1` or `01`). Each
/// resource has one name, so caches, logs and proofs never see aliases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathIndex(pub u64);

impl<'de> serde::Deserialize<'de> for PathIndex {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        let canonical = !text.is_empty()
            && text.bytes().all(|b| b.is_ascii_digit())
            && (text.len() == 1 || !text.starts_with('0'));
        let value = text.parse().ok().filter(|_| canonical).ok_or_else(|| {
            serde::de::Error::custom(format_args!(
                "not a canonical index (decimal digits, no sign, no leading zero): {:?}",
                text.chars().take(24).collect::<String>()
            ))
        })?;
        Ok(Self(value))
    }
}
