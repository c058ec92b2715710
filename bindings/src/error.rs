//! `AuthCloudError`: core's error kinds as one exception hierarchy per language
//! (Python `AuthCloudError.*`, Kotlin `AuthCloudException.*`, Swift `AuthCloudError`).
//! No variant has a field named `message` (it would clash with Kotlin's `Throwable`).

use authcloud::{ApiErrorDetail, Error as CoreError, VerificationFailure};

use crate::types::TransactionStatus;

/// Which check of `verify` failed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum VerificationCheck {
    /// The status is not `succeeded`.
    NotSucceeded,
    /// The status carried no transaction token.
    MissingTransactionToken,
    /// The status carried no user id.
    MissingUserId,
    /// The status is for another user than `expected_user_id`.
    UserMismatch,
    /// The status is for another operation than `expected_transaction_id`.
    TransactionMismatch,
    /// `introspect` calls the transaction token inactive.
    TokenInactive,
    /// The token's subject is another user (the assumed `sub` check; see `verify`).
    SubjectMismatch,
}

/// Everything that can go wrong. Every message is secret-free.
#[derive(Debug, Clone, thiserror::Error, uniffi::Error)]
#[non_exhaustive]
pub enum AuthCloudError {
    /// The configuration is unusable, or the operation needs an access key this client
    /// lacks (raised before any request).
    #[error("configuration error: {reason}")]
    Configuration { reason: String },
    /// An argument was rejected before any request.
    #[error("invalid {field}: {reason}")]
    InvalidInput { field: String, reason: String },
    /// The connection failed.
    #[error("network error: {reason}")]
    Network { reason: String },
    /// The TLS handshake failed (e.g. untrusted certificate).
    #[error("TLS error: {reason}")]
    Tls { reason: String },
    /// A request timed out.
    #[error("request timed out after {after_ms} ms")]
    Timeout { after_ms: u64 },
    /// HTTP 401/403: missing, wrong, used-up or insufficient credential.
    #[error("unauthorized (HTTP {http_status}): {detail}")]
    Unauthorized { http_status: u16, detail: String },
    /// HTTP 404.
    #[error("not found (HTTP 404): {detail}")]
    NotFound { detail: String },
    /// HTTP 429 after the allowed retries; `retry_after_ms` when the server said.
    #[error("rate limited (HTTP 429): {detail}")]
    RateLimited { retry_after_ms: Option<u64>, detail: String },
    /// HTTP 5xx after the allowed retries.
    #[error("server error (HTTP {http_status}): {detail}")]
    Server { http_status: u16, detail: String },
    /// Another non-success HTTP status; `error` is the body's `error` field if any.
    #[error("API error (HTTP {http_status}): {detail}")]
    Api { http_status: u16, error: Option<String>, detail: String },
    /// A 2xx answer that is not the documented JSON.
    #[error("malformed response: {reason}")]
    MalformedResponse { reason: String },
    /// The answer is larger than the configured limit.
    #[error("response larger than {limit_bytes} bytes")]
    ResponseTooLarge { limit_bytes: u64 },
    /// A wait reached its deadline (the typed "gave up").
    #[error("gave up waiting after {elapsed_ms} ms and {polls} polls")]
    WaitTimedOut { elapsed_ms: u64, polls: u32, last_status: Option<TransactionStatus> },
    /// Cancelled by the caller.
    #[error("cancelled")]
    Cancelled,
    /// `verify` refused the operation.
    #[error("not verified: {reason}")]
    NotVerified { check: VerificationCheck, reason: String },
    /// A bug in authcloud (a caught panic) or an unexpected foreign-callback failure.
    #[error("internal error: {reason}")]
    Internal { reason: String },
}

impl From<CoreError> for AuthCloudError {
    fn from(error: CoreError) -> Self {
        let text = error.to_string();
        match error {
            CoreError::Configuration { reason } => AuthCloudError::Configuration { reason },
            CoreError::AccessKeyRequired { .. } => AuthCloudError::Configuration { reason: text },
            CoreError::InvalidInput { field, reason } => AuthCloudError::InvalidInput { field: field.into(), reason },
            CoreError::Network { reason } => AuthCloudError::Network { reason },
            CoreError::Tls { reason } => AuthCloudError::Tls { reason },
            CoreError::Timeout { after } => AuthCloudError::Timeout { after_ms: millis(after) },
            CoreError::Unauthorized { status, detail } => {
                AuthCloudError::Unauthorized { http_status: status, detail: detail_text(&detail) }
            }
            CoreError::NotFound { detail } => AuthCloudError::NotFound { detail: detail_text(&detail) },
            CoreError::RateLimited { retry_after, detail } => {
                AuthCloudError::RateLimited { retry_after_ms: retry_after.map(millis), detail: detail_text(&detail) }
            }
            CoreError::Server { status, detail, .. } => {
                AuthCloudError::Server { http_status: status, detail: detail_text(&detail) }
            }
            CoreError::Api { status, detail } => {
                AuthCloudError::Api { http_status: status, error: detail.error.clone(), detail: detail_text(&detail) }
            }
            CoreError::MalformedResponse { reason } => AuthCloudError::MalformedResponse { reason },
            CoreError::ResponseTooLarge { limit } => AuthCloudError::ResponseTooLarge { limit_bytes: limit },
            CoreError::WaitTimedOut { elapsed, polls, last_status } => AuthCloudError::WaitTimedOut {
                elapsed_ms: millis(elapsed),
                polls,
                last_status: last_status.as_ref().map(TransactionStatus::from),
            },
            CoreError::Cancelled => AuthCloudError::Cancelled,
            CoreError::NotVerified { reason } => {
                let check = match &reason {
                    VerificationFailure::NotSucceeded { .. } => VerificationCheck::NotSucceeded,
                    VerificationFailure::MissingTransactionToken => VerificationCheck::MissingTransactionToken,
                    VerificationFailure::MissingUserId => VerificationCheck::MissingUserId,
                    VerificationFailure::UserMismatch { .. } => VerificationCheck::UserMismatch,
                    VerificationFailure::TransactionMismatch { .. } => VerificationCheck::TransactionMismatch,
                    VerificationFailure::TokenInactive => VerificationCheck::TokenInactive,
                    VerificationFailure::SubjectMismatch { .. } => VerificationCheck::SubjectMismatch,
                    _ => VerificationCheck::NotSucceeded,
                };
                AuthCloudError::NotVerified { check, reason: reason.to_string() }
            }
            _ => AuthCloudError::Internal { reason: text },
        }
    }
}

/// What the server said, already scrubbed by the core: its message, else its error
/// name, else an excerpt of a non-JSON body.
fn detail_text(detail: &ApiErrorDetail) -> String {
    [&detail.message, &detail.error, &detail.excerpt]
        .into_iter()
        .flatten()
        .find(|text| !text.is_empty())
        .cloned()
        .unwrap_or_else(|| "no details".to_owned())
}

impl From<uniffi::UnexpectedUniFFICallbackError> for AuthCloudError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        AuthCloudError::Internal { reason: format!("foreign callback failed: {}", error.reason) }
    }
}

/// What a foreign callback (observer, log sink) may raise. Any other exception thrown by
/// the callback arrives as `Failed` too; the SDK logs it and carries on.
#[derive(Debug, Clone, thiserror::Error, uniffi::Error)]
pub enum CallbackError {
    /// The callback failed.
    #[error("callback failed: {reason}")]
    Failed { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for CallbackError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        CallbackError::Failed { reason: error.reason }
    }
}

pub(crate) fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
