//! `AuthCloudError`: core's error kinds as one exception hierarchy per language
//! (Python `AuthCloudError.*`, Kotlin `AuthCloudException.*`, Swift `AuthCloudError`).
//! No variant has a field named `message` (it would clash with Kotlin's `Throwable`).

use std::fmt;
use std::time::Duration;

use authcloud::error_message as message;
use authcloud::{ApiErrorDetail, Error as CoreError, ErrorKind};

use crate::types::status::TransactionStatus;
use crate::units::millis;

/// Which check of `verify` failed: core's own `VerificationCheck`, exposed as it is (a
/// remote type: uniffi checks this mirror against core's variants when it compiles).
pub type VerificationCheck = authcloud::VerificationCheck;

#[uniffi::remote(Enum)]
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

/// Everything that can go wrong. Every message is a secret-free sentence — what failed,
/// where, what the server said, what to do — in every language: Python `str(e)`, Kotlin
/// `e.message`, Swift `String(describing: e)`. `kind()` is a stable name to branch on,
/// `is_transient()` says whether it may go away by itself.
#[derive(Clone, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display, Debug)]
#[non_exhaustive]
pub enum AuthCloudError {
    /// The configuration is unusable, or the operation needs an access key this client
    /// lacks (raised before any request).
    #[error("{}", message::configuration(reason))]
    Configuration { reason: String },
    /// An argument was rejected before any request.
    #[error("{}", message::invalid_input(field, reason))]
    InvalidInput { field: String, reason: String },
    /// The connection failed.
    #[error("{}", message::network(endpoint, reason))]
    Network { endpoint: String, reason: String },
    /// The TLS handshake failed (e.g. untrusted certificate).
    #[error("{}", message::tls(endpoint, reason))]
    Tls { endpoint: String, reason: String },
    /// A request, or a call with its retries, timed out. `not_sent`: the request never left
    /// the client (no request slot or connection in time), so it is safe to send again.
    #[error("{}", message::timeout(endpoint, Duration::from_millis(*after_ms), *not_sent))]
    Timeout { endpoint: String, after_ms: u64, not_sent: bool },
    /// HTTP 401/403: missing, wrong, used-up or insufficient credential.
    #[error("{}", message::http(*http_status, endpoint, detail.as_deref(), None))]
    Unauthorized { endpoint: String, http_status: u16, detail: Option<String> },
    /// HTTP 404.
    #[error("{}", message::http(404, endpoint, detail.as_deref(), None))]
    NotFound { endpoint: String, detail: Option<String> },
    /// HTTP 429 after the allowed retries; `retry_after_ms` when the server said.
    #[error("{}", message::http(429, endpoint, detail.as_deref(), retry_after_ms.map(Duration::from_millis)))]
    RateLimited { endpoint: String, retry_after_ms: Option<u64>, detail: Option<String> },
    /// HTTP 5xx after the allowed retries.
    #[error("{}", message::http(*http_status, endpoint, detail.as_deref(), retry_after_ms.map(Duration::from_millis)))]
    Server { endpoint: String, http_status: u16, retry_after_ms: Option<u64>, detail: Option<String> },
    /// Another non-success HTTP status; `error` is the body's `error` field if any.
    #[error("{}", message::http(*http_status, endpoint, detail.as_deref(), None))]
    Api { endpoint: String, http_status: u16, error: Option<String>, detail: Option<String> },
    /// A 2xx answer that is not the documented JSON (or an unusable value from one, such
    /// as a QR code that is not a PNG).
    #[error("{}", message::malformed(endpoint.as_deref(), reason))]
    MalformedResponse { endpoint: Option<String>, reason: String },
    /// The answer is larger than the configured limit.
    #[error("{}", message::too_large(endpoint, *limit_bytes))]
    ResponseTooLarge { endpoint: String, limit_bytes: u64 },
    /// A wait reached its deadline (the typed "gave up").
    #[error("{}", message::wait_timed_out(Duration::from_millis(*elapsed_ms), *polls, last_status.map(TransactionStatus::wire)))]
    WaitTimedOut { elapsed_ms: u64, polls: u32, last_status: Option<TransactionStatus> },
    /// Cancelled by the caller.
    #[error("{}", message::CANCELLED)]
    Cancelled,
    /// `verify` refused the operation; `check` says which check failed.
    #[error("{}", message::not_verified(check.name(), reason))]
    NotVerified { check: VerificationCheck, reason: String },
    /// A bug in authcloud (a caught panic) or an unexpected foreign-callback failure.
    #[error("internal error in authcloud: {reason} (please report it)")]
    Internal { reason: String },
}

impl From<crate::runtime::BlockedOnOwnThread> for AuthCloudError {
    fn from(_: crate::runtime::BlockedOnOwnThread) -> Self {
        AuthCloudError::Internal { reason: crate::runtime::BlockedOnOwnThread::EXPLANATION.into() }
    }
}

#[uniffi::export]
impl AuthCloudError {
    /// A stable name to branch on: core's kind names (`configuration`, `invalid_input`,
    /// `network`, `tls`, `timeout`, `unauthorized`, `not_found`, `rate_limited`, `server`,
    /// `api`, `malformed_response`, `response_too_large`, `wait_timed_out`, `cancelled`,
    /// `not_verified`; see `error_kinds()`) or `internal`.
    pub fn kind(&self) -> String {
        self.kind_name().to_owned()
    }

    /// True when the error may go away by itself (network trouble, timeouts, 429, 5xx).
    pub fn is_transient(&self) -> bool {
        self.core_kind().is_some_and(ErrorKind::is_transient)
    }

    /// The error as a sentence: what `str()`, `message` and `description` print.
    pub fn describe(&self) -> String {
        self.to_string()
    }
}

/// The name `kind()` returns for [`AuthCloudError::Internal`], the one kind core lacks.
const INTERNAL: &str = "internal";

impl AuthCloudError {
    /// Core's kind of this error; `None` for `Internal` (a bug or a failed callback).
    /// Exhaustive both ways: a variant without a kind, or a kind without a variant, does
    /// not compile (see the `From<CoreError>` below).
    pub(crate) fn core_kind(&self) -> Option<ErrorKind> {
        Some(match self {
            Self::Configuration { .. } => ErrorKind::Configuration,
            Self::InvalidInput { .. } => ErrorKind::InvalidInput,
            Self::Network { .. } => ErrorKind::Network,
            Self::Tls { .. } => ErrorKind::Tls,
            Self::Timeout { .. } => ErrorKind::Timeout,
            Self::Unauthorized { .. } => ErrorKind::Unauthorized,
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::RateLimited { .. } => ErrorKind::RateLimited,
            Self::Server { .. } => ErrorKind::Server,
            Self::Api { .. } => ErrorKind::Api,
            Self::MalformedResponse { .. } => ErrorKind::MalformedResponse,
            Self::ResponseTooLarge { .. } => ErrorKind::ResponseTooLarge,
            Self::WaitTimedOut { .. } => ErrorKind::WaitTimedOut,
            Self::Cancelled => ErrorKind::Cancelled,
            Self::NotVerified { .. } => ErrorKind::NotVerified,
            Self::Internal { .. } => return None,
        })
    }

    /// The stable name: core's, or `internal`.
    pub(crate) fn kind_name(&self) -> &'static str {
        self.core_kind().map_or(INTERNAL, ErrorKind::as_str)
    }

    /// The variant's name, from core's table (the variants are named as core's kinds).
    fn variant_name(&self) -> &'static str {
        self.core_kind().map_or("Internal", ErrorKind::variant_name)
    }
}

/// Every name `AuthCloudError.kind()` can return, in core's order, `internal` last: the
/// list the Python, Kotlin and Swift tests compare with their generated exception classes.
#[uniffi::export]
pub fn error_kinds() -> Vec<String> {
    ErrorKind::ALL.iter().map(|kind| kind.as_str()).chain([INTERNAL]).map(str::to_owned).collect()
}

/// `Unauthorized: 401 Unauthorized from …` — what Swift's `localizedDescription` and
/// `String(reflecting:)` show: the kind, then the sentence.
impl fmt::Debug for AuthCloudError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthCloudError.{}: {self}", self.variant_name())
    }
}

impl From<CoreError> for AuthCloudError {
    fn from(error: CoreError) -> Self {
        let at = |endpoint: authcloud::Endpoint| endpoint.to_string();
        let said = |detail: &ApiErrorDetail| detail.text().map(str::to_owned);
        match error {
            CoreError::Configuration { reason } => AuthCloudError::Configuration { reason },
            CoreError::AccessKeyRequired { operation, has } => {
                AuthCloudError::Configuration { reason: message::access_key_required(operation, has) }
            }
            CoreError::InvalidInput { field, reason } => AuthCloudError::InvalidInput { field: field.into(), reason },
            CoreError::Network { endpoint, reason } => AuthCloudError::Network { endpoint: at(endpoint), reason },
            CoreError::Tls { endpoint, reason } => AuthCloudError::Tls { endpoint: at(endpoint), reason },
            CoreError::Timeout { endpoint, after, not_sent } => {
                AuthCloudError::Timeout { endpoint: at(endpoint), after_ms: millis(after), not_sent }
            }
            CoreError::Unauthorized { endpoint, status, detail } => {
                AuthCloudError::Unauthorized { endpoint: at(endpoint), http_status: status, detail: said(&detail) }
            }
            CoreError::NotFound { endpoint, detail } => {
                AuthCloudError::NotFound { endpoint: at(endpoint), detail: said(&detail) }
            }
            CoreError::RateLimited { endpoint, retry_after, detail } => AuthCloudError::RateLimited {
                endpoint: at(endpoint),
                retry_after_ms: retry_after.map(millis),
                detail: said(&detail),
            },
            CoreError::Server { endpoint, status, retry_after, detail } => AuthCloudError::Server {
                endpoint: at(endpoint),
                http_status: status,
                retry_after_ms: retry_after.map(millis),
                detail: said(&detail),
            },
            CoreError::Api { endpoint, status, detail } => AuthCloudError::Api {
                endpoint: at(endpoint),
                http_status: status,
                error: detail.error.clone(),
                detail: said(&detail),
            },
            CoreError::MalformedResponse { endpoint, reason } => {
                AuthCloudError::MalformedResponse { endpoint: endpoint.map(at), reason }
            }
            CoreError::ResponseTooLarge { endpoint, limit } => {
                AuthCloudError::ResponseTooLarge { endpoint: at(endpoint), limit_bytes: limit }
            }
            CoreError::WaitTimedOut { elapsed, polls, last_status } => AuthCloudError::WaitTimedOut {
                elapsed_ms: millis(elapsed),
                polls,
                last_status: last_status.as_ref().map(TransactionStatus::from),
            },
            CoreError::Cancelled => AuthCloudError::Cancelled,
            CoreError::NotVerified { reason } => {
                AuthCloudError::NotVerified { check: reason.check(), reason: reason.to_string() }
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_kind_keeps_its_kind_name_and_variant_across_the_ffi() {
        for &kind in ErrorKind::ALL {
            let error = AuthCloudError::from(CoreError::sample_of(kind));
            assert_eq!(error.core_kind(), Some(kind), "{kind} became {}", error.kind_name());
            assert_eq!(error.kind(), kind.as_str());
            assert_eq!(error.is_transient(), kind.is_transient(), "{kind}");
            assert!(format!("{error:?}").starts_with(&format!("AuthCloudError.{}: ", kind.variant_name())));
        }
        assert_eq!(error_kinds().len(), ErrorKind::ALL.len() + 1);
        assert_eq!(error_kinds().last().map(String::as_str), Some("internal"));
    }
}
