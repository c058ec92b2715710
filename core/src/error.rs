//! The one error type of the SDK.
//!
//! Callers branch on [`Error::kind`] (stable) or match the variants (non-exhaustive).
//! Every message is short and secret-free by construction: variants carry only values the
//! SDK produced itself or scrubbed excerpts of what the server said (see `redact`).

use std::fmt;
use std::time::Duration;

use crate::model::TransactionStatus;
use crate::sanitize::sanitize_with_limit;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when talking to the Authentication Cloud.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client configuration is unusable (bad instance name, non-https URL, bad CA PEM...).
    #[error("configuration error: {reason}")]
    Configuration {
        /// What is wrong.
        reason: String,
    },

    /// The operation needs the server's access key but the client holds only an intent
    /// token (or no credential). Raised before any request is sent.
    #[error("`{operation}` needs an access key; this client has {has}")]
    AccessKeyRequired {
        /// The operation that was refused.
        operation: &'static str,
        /// What the client holds instead ("an intent token" or "no credential").
        has: &'static str,
    },

    /// An argument was rejected before any request was sent.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The argument's name.
        field: &'static str,
        /// Why it was rejected.
        reason: String,
    },

    /// The connection failed (refused, reset, DNS, closed mid-response...).
    #[error("network error: {reason}")]
    Network {
        /// The underlying cause, secret-free.
        reason: String,
    },

    /// The TLS handshake failed (untrusted certificate, wrong host name...).
    #[error("TLS error: {reason}")]
    Tls {
        /// The underlying cause.
        reason: String,
    },

    /// A request did not complete in time.
    #[error("request timed out after {}", fmt_duration(*after))]
    Timeout {
        /// The limit that was hit.
        after: Duration,
    },

    /// HTTP 401 or 403: the access key or intent token is missing, wrong, used up or not
    /// allowed for this operation.
    #[error("unauthorized (HTTP {status}){}", detail.suffix())]
    Unauthorized {
        /// 401 or 403.
        status: u16,
        /// What the server said.
        detail: ApiErrorDetail,
    },

    /// HTTP 404: the user (or other resource) does not exist.
    #[error("not found (HTTP 404){}", detail.suffix())]
    NotFound {
        /// What the server said.
        detail: ApiErrorDetail,
    },

    /// HTTP 429 (after the retries the policy allows).
    #[error("rate limited (HTTP 429){}", retry_after.map(|d| format!(", retry after {}", fmt_duration(d))).unwrap_or_default())]
    RateLimited {
        /// How long the server asked us to wait, when it said.
        retry_after: Option<Duration>,
        /// What the server said.
        detail: ApiErrorDetail,
    },

    /// HTTP 5xx (after the retries the policy allows).
    #[error("server error (HTTP {status}){}", detail.suffix())]
    Server {
        /// The HTTP status.
        status: u16,
        /// How long the server asked us to wait (503 with `Retry-After`).
        retry_after: Option<Duration>,
        /// What the server said.
        detail: ApiErrorDetail,
    },

    /// Any other non-success HTTP status (400, 409, 413, 415...).
    #[error("API error (HTTP {status}){}", detail.suffix())]
    Api {
        /// The HTTP status.
        status: u16,
        /// What the server said.
        detail: ApiErrorDetail,
    },

    /// The server answered 2xx but the body is not what the API documents.
    #[error("malformed response: {reason}")]
    MalformedResponse {
        /// What did not parse.
        reason: String,
    },

    /// The response body is larger than the configured maximum.
    #[error("response larger than the {limit}-byte limit")]
    ResponseTooLarge {
        /// The configured limit in bytes.
        limit: u64,
    },

    /// `wait_for_completion` reached its deadline while the operation was still pending.
    #[error("gave up waiting after {} and {polls} polls (last status: {})", fmt_duration(*elapsed), last_status.as_ref().map(TransactionStatus::as_str).unwrap_or("none"))]
    WaitTimedOut {
        /// Time since the wait started.
        elapsed: Duration,
        /// Status requests sent.
        polls: u32,
        /// The last status seen, if any poll succeeded.
        last_status: Option<TransactionStatus>,
    },

    /// The caller cancelled the operation.
    #[error("cancelled")]
    Cancelled,

    /// `verify` refused the operation; the reason says which check failed
    /// ([`VerificationFailure::check`] names it).
    #[error("not verified ({}): {reason}", reason.check())]
    NotVerified {
        /// The failed check.
        reason: VerificationFailure,
    },
}

/// Stable classification of [`Error`], for callers (and the bindings) to branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`Error::Configuration`] and [`Error::AccessKeyRequired`].
    Configuration,
    /// [`Error::InvalidInput`].
    InvalidInput,
    /// [`Error::Network`].
    Network,
    /// [`Error::Tls`].
    Tls,
    /// [`Error::Timeout`].
    Timeout,
    /// [`Error::Unauthorized`].
    Unauthorized,
    /// [`Error::NotFound`].
    NotFound,
    /// [`Error::RateLimited`].
    RateLimited,
    /// [`Error::Server`].
    Server,
    /// [`Error::Api`].
    Api,
    /// [`Error::MalformedResponse`].
    MalformedResponse,
    /// [`Error::ResponseTooLarge`].
    ResponseTooLarge,
    /// [`Error::WaitTimedOut`].
    WaitTimedOut,
    /// [`Error::Cancelled`].
    Cancelled,
    /// [`Error::NotVerified`].
    NotVerified,
}

impl Error {
    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Configuration { .. } | Error::AccessKeyRequired { .. } => ErrorKind::Configuration,
            Error::InvalidInput { .. } => ErrorKind::InvalidInput,
            Error::Network { .. } => ErrorKind::Network,
            Error::Tls { .. } => ErrorKind::Tls,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Unauthorized { .. } => ErrorKind::Unauthorized,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::Server { .. } => ErrorKind::Server,
            Error::Api { .. } => ErrorKind::Api,
            Error::MalformedResponse { .. } => ErrorKind::MalformedResponse,
            Error::ResponseTooLarge { .. } => ErrorKind::ResponseTooLarge,
            Error::WaitTimedOut { .. } => ErrorKind::WaitTimedOut,
            Error::Cancelled => ErrorKind::Cancelled,
            Error::NotVerified { .. } => ErrorKind::NotVerified,
        }
    }

    /// The HTTP status the server answered with, for HTTP-level errors.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized { status, .. } | Error::Server { status, .. } | Error::Api { status, .. } => {
                Some(*status)
            }
            Error::NotFound { .. } => Some(404),
            Error::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// True for errors that may go away by themselves (network trouble, timeouts, 429,
    /// 5xx). Whether a request may actually be *re-sent* also depends on the operation.
    pub fn is_transient(&self) -> bool {
        matches!(self.kind(), ErrorKind::Network | ErrorKind::Timeout | ErrorKind::RateLimited | ErrorKind::Server)
    }

    /// The delay a 429 or 5xx answer asked for with `Retry-After`.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } | Error::Server { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidInput { field, reason: reason.into() }
    }

    pub(crate) fn config(reason: impl Into<String>) -> Self {
        Error::Configuration { reason: reason.into() }
    }
}

/// What the server said in a non-success answer, as far as it parsed.
///
/// The vendor's error bodies look like `{"error": "...", "message": "...", "status": 400}`,
/// but a proxy may answer HTML or nothing; `excerpt` then holds a short, scrubbed start of
/// the body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiErrorDetail {
    /// The body's `error` field (e.g. "Bad Request").
    pub error: Option<String>,
    /// The body's `message` field, scrubbed of anything token-like.
    pub message: Option<String>,
    /// When the body was not the vendor's JSON: its first characters, scrubbed.
    pub excerpt: Option<String>,
}

impl ApiErrorDetail {
    fn suffix(&self) -> String {
        match (&self.error, &self.message, &self.excerpt) {
            (_, Some(message), _) if !message.is_empty() => format!(": {message}"),
            (Some(error), _, _) if !error.is_empty() => format!(": {error}"),
            (_, _, Some(excerpt)) if !excerpt.is_empty() => format!(": {excerpt:?}"),
            _ => String::new(),
        }
    }
}

/// Which of `verify`'s checks failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerificationFailure {
    /// The operation's status is not `succeeded`.
    NotSucceeded {
        /// The status the server reported.
        status: TransactionStatus,
    },
    /// The status answer carried no transaction token to introspect.
    MissingTransactionToken,
    /// The status answer carried no `userId`.
    MissingUserId,
    /// The status names another user than the caller expected (`expected_user_id`).
    UserMismatch {
        /// The user the caller's session enrolled.
        expected: String,
        /// The status' `userId` (none when absent).
        actual: Option<String>,
    },
    /// The status names another operation than the caller expected
    /// (`expected_transaction_id`).
    TransactionMismatch {
        /// The operation the caller's session started.
        expected: String,
        /// The status' `transactionId` (none when absent).
        actual: Option<String>,
    },
    /// `introspect` says the transaction token is not active.
    TokenInactive,
    /// The token's subject is not the user the status reported (the assumed `sub` check,
    /// see `VerifyOptions::check_subject`).
    SubjectMismatch {
        /// The status' `userId`.
        expected: String,
        /// The token's `sub` (none when absent).
        actual: Option<String>,
    },
}

impl VerificationFailure {
    /// The failed check's stable name: `status_succeeded`, `transaction_token_present`,
    /// `user_id_present`, `expected_user`, `expected_transaction`, `token_active` or
    /// `subject_matches_user`.
    pub fn check(&self) -> &'static str {
        match self {
            VerificationFailure::NotSucceeded { .. } => "status_succeeded",
            VerificationFailure::MissingTransactionToken => "transaction_token_present",
            VerificationFailure::MissingUserId => "user_id_present",
            VerificationFailure::UserMismatch { .. } => "expected_user",
            VerificationFailure::TransactionMismatch { .. } => "expected_transaction",
            VerificationFailure::TokenInactive => "token_active",
            VerificationFailure::SubjectMismatch { .. } => "subject_matches_user",
        }
    }
}

impl fmt::Display for VerificationFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |value: &str| sanitize_with_limit(value, 80);
        let shown_opt = |value: &Option<String>| value.as_deref().map_or_else(|| "(none)".to_owned(), shown);
        match self {
            VerificationFailure::NotSucceeded { status } => {
                write!(f, "status is `{}`, not `succeeded`", status.as_str())
            }
            VerificationFailure::MissingTransactionToken => f.write_str("status carried no transaction token"),
            VerificationFailure::MissingUserId => f.write_str("status carried no userId"),
            VerificationFailure::UserMismatch { expected, actual } => {
                write!(f, "the operation is for user {}, not the expected {}", shown_opt(actual), shown(expected))
            }
            VerificationFailure::TransactionMismatch { expected, actual } => {
                write!(f, "the status is of operation {}, not the expected {}", shown_opt(actual), shown(expected))
            }
            VerificationFailure::TokenInactive => f.write_str("introspect reports the transaction token inactive"),
            VerificationFailure::SubjectMismatch { expected, actual } => {
                write!(f, "token subject {} does not match userId {}", shown_opt(actual), shown(expected))
            }
        }
    }
}

fn fmt_duration(d: Duration) -> String {
    if d.as_millis() < 1000 { format!("{}ms", d.as_millis()) } else { format!("{:.1}s", d.as_secs_f64()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_short_and_say_what_happened() {
        let e = Error::RateLimited { retry_after: Some(Duration::from_secs(2)), detail: ApiErrorDetail::default() };
        assert_eq!(e.to_string(), "rate limited (HTTP 429), retry after 2.0s");
        let e = Error::WaitTimedOut {
            elapsed: Duration::from_millis(300),
            polls: 3,
            last_status: Some(TransactionStatus::Pending),
        };
        assert_eq!(e.to_string(), "gave up waiting after 300ms and 3 polls (last status: pending)");
        let e = Error::NotFound {
            detail: ApiErrorDetail {
                error: Some("Not Found".into()),
                message: Some("no such user".into()),
                excerpt: None,
            },
        };
        assert_eq!(e.to_string(), "not found (HTTP 404): no such user");
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(e.http_status(), Some(404));
    }
}
