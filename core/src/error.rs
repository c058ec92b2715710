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

/// Where a request went: `POST /api/v1/users/enroll`. Errors name it, never its
/// arguments (a path template such as `/api/v1/users/{userId}` stays a template).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// The HTTP method.
    pub method: &'static str,
    /// The path, with a leading slash.
    pub path: &'static str,
}

impl Endpoint {
    /// An endpoint of the API.
    pub const fn new(method: &'static str, path: &'static str) -> Self {
        Endpoint { method, path }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// Everything that can go wrong when talking to the Authentication Cloud.
///
/// Every message is a sentence: what failed, where (the endpoint and HTTP status), what
/// the server said (sanitised), and what to do about it.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client configuration is unusable (bad instance name, non-https URL, bad CA PEM...).
    #[error("{}", message::configuration(reason))]
    Configuration {
        /// What is wrong.
        reason: String,
    },

    /// The operation needs the server's access key but the client holds only an intent
    /// token (or no credential). Raised before any request is sent.
    #[error("{}", message::access_key_required(operation, has))]
    AccessKeyRequired {
        /// The operation that was refused.
        operation: &'static str,
        /// What the client holds instead ("an intent token" or "no credential").
        has: &'static str,
    },

    /// An argument was rejected before any request was sent.
    #[error("{}", message::invalid_input(field, reason))]
    InvalidInput {
        /// The argument's name.
        field: &'static str,
        /// Why it was rejected.
        reason: String,
    },

    /// The connection failed (refused, reset, DNS, closed mid-response...).
    #[error("{}", message::network(&endpoint.to_string(), reason))]
    Network {
        /// The request that failed.
        endpoint: Endpoint,
        /// The underlying cause, secret-free.
        reason: String,
    },

    /// The TLS handshake failed (untrusted certificate, wrong host name...).
    #[error("{}", message::tls(&endpoint.to_string(), reason))]
    Tls {
        /// The request that failed.
        endpoint: Endpoint,
        /// The underlying cause.
        reason: String,
    },

    /// A request (or a whole call with its retries) did not complete in time.
    ///
    /// With `not_sent`, the request never left the client — it found no request slot
    /// (`max_concurrent_requests`) or no connection in time, or too little time was left
    /// to send a request with effects (see [`Error::was_not_sent`]) — so it is safe to send
    /// again, even an `enroll` or an `approval`.
    #[error("{}", message::timeout(&endpoint.to_string(), *after, *not_sent))]
    Timeout {
        /// The request that timed out.
        endpoint: Endpoint,
        /// The limit that was hit (for a request not sent: how long it waited).
        after: Duration,
        /// The request was never sent: safe to retry.
        not_sent: bool,
    },

    /// HTTP 401 or 403: the access key or intent token is missing, wrong, used up or not
    /// allowed for this operation.
    #[error("{}", message::http(*status, &endpoint.to_string(), detail.text(), None))]
    Unauthorized {
        /// The request that was refused.
        endpoint: Endpoint,
        /// 401 or 403.
        status: u16,
        /// What the server said.
        detail: ApiErrorDetail,
    },

    /// HTTP 404: the user (or other resource) does not exist.
    #[error("{}", message::http(404, &endpoint.to_string(), detail.text(), None))]
    NotFound {
        /// The request that was answered 404.
        endpoint: Endpoint,
        /// What the server said.
        detail: ApiErrorDetail,
    },

    /// HTTP 429 (after the retries the policy allows).
    #[error("{}", message::http(429, &endpoint.to_string(), detail.text(), *retry_after))]
    RateLimited {
        /// The request that was refused.
        endpoint: Endpoint,
        /// How long the server asked us to wait, when it said.
        retry_after: Option<Duration>,
        /// What the server said.
        detail: ApiErrorDetail,
    },

    /// HTTP 5xx (after the retries the policy allows).
    #[error("{}", message::http(*status, &endpoint.to_string(), detail.text(), *retry_after))]
    Server {
        /// The request that failed.
        endpoint: Endpoint,
        /// The HTTP status.
        status: u16,
        /// How long the server asked us to wait (503 with `Retry-After`).
        retry_after: Option<Duration>,
        /// What the server said.
        detail: ApiErrorDetail,
    },

    /// Any other non-success HTTP status (400, 409, 413, 415, a redirect...).
    #[error("{}", message::http(*status, &endpoint.to_string(), detail.text(), None))]
    Api {
        /// The request that was refused.
        endpoint: Endpoint,
        /// The HTTP status.
        status: u16,
        /// What the server said.
        detail: ApiErrorDetail,
    },

    /// The server answered 2xx but the body is not what the API documents (or a value
    /// from an answer, such as the QR code, is not usable).
    #[error("{}", message::malformed(endpoint.map(|e| e.to_string()).as_deref(), reason))]
    MalformedResponse {
        /// The request whose answer it was, when the error arose from one.
        endpoint: Option<Endpoint>,
        /// What did not parse.
        reason: String,
    },

    /// The response body is larger than the configured maximum.
    #[error("{}", message::too_large(&endpoint.to_string(), *limit))]
    ResponseTooLarge {
        /// The request whose answer it was.
        endpoint: Endpoint,
        /// The configured limit in bytes.
        limit: u64,
    },

    /// `wait_for_completion` reached its deadline while the operation was still pending.
    #[error("{}", message::wait_timed_out(*elapsed, *polls, last_status.as_ref().map(TransactionStatus::as_str)))]
    WaitTimedOut {
        /// Time since the wait started.
        elapsed: Duration,
        /// Status requests sent.
        polls: u32,
        /// The last status seen, if any poll succeeded.
        last_status: Option<TransactionStatus>,
    },

    /// The caller cancelled the operation.
    #[error("{}", message::CANCELLED)]
    Cancelled,

    /// `verify` refused the operation; the reason says which check failed
    /// ([`VerificationFailure::check`] names it).
    #[error("{}", message::not_verified(reason.check(), &reason.to_string()))]
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

impl ErrorKind {
    /// The stable name: `configuration`, `invalid_input`, `network`, `tls`, `timeout`,
    /// `unauthorized`, `not_found`, `rate_limited`, `server`, `api`, `malformed_response`,
    /// `response_too_large`, `wait_timed_out`, `cancelled` or `not_verified`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Configuration => "configuration",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Network => "network",
            ErrorKind::Tls => "tls",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::NotFound => "not_found",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server",
            ErrorKind::Api => "api",
            ErrorKind::MalformedResponse => "malformed_response",
            ErrorKind::ResponseTooLarge => "response_too_large",
            ErrorKind::WaitTimedOut => "wait_timed_out",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::NotVerified => "not_verified",
        }
    }

    /// True for kinds that may go away by themselves (network trouble, timeouts, 429,
    /// 5xx). Whether a request may actually be *re-sent* also depends on the operation.
    pub fn is_transient(self) -> bool {
        matches!(self, ErrorKind::Network | ErrorKind::Timeout | ErrorKind::RateLimited | ErrorKind::Server)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
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

    /// The request the error is about, when there was one.
    pub fn endpoint(&self) -> Option<Endpoint> {
        match self {
            Error::Network { endpoint, .. }
            | Error::Tls { endpoint, .. }
            | Error::Timeout { endpoint, .. }
            | Error::Unauthorized { endpoint, .. }
            | Error::NotFound { endpoint, .. }
            | Error::RateLimited { endpoint, .. }
            | Error::Server { endpoint, .. }
            | Error::Api { endpoint, .. }
            | Error::ResponseTooLarge { endpoint, .. } => Some(*endpoint),
            Error::MalformedResponse { endpoint, .. } => *endpoint,
            _ => None,
        }
    }

    /// True for errors that may go away by themselves (network trouble, timeouts, 429,
    /// 5xx). Whether a request may actually be *re-sent* also depends on the operation.
    pub fn is_transient(&self) -> bool {
        self.kind().is_transient()
    }

    /// True when the request was never sent — a [`Error::Timeout`] that found no request
    /// slot or connection in time, or had too little time left to send a request with
    /// effects: nothing reached the server, so sending it again cannot repeat an effect.
    pub fn was_not_sent(&self) -> bool {
        matches!(self, Error::Timeout { not_sent: true, .. })
    }

    /// The delay a 429 or 5xx answer asked for with `Retry-After`.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } | Error::Server { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A malformed-response error attributed to the request whose answer it was.
    pub(crate) fn in_answer_of(self, endpoint: Endpoint) -> Self {
        match self {
            Error::MalformedResponse { endpoint: None, reason } => {
                Error::MalformedResponse { endpoint: Some(endpoint), reason }
            }
            other => other,
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
    /// What the server said, in one line: its message, else its error name, else the
    /// excerpt of a body that was not the vendor's JSON.
    pub fn text(&self) -> Option<&str> {
        [&self.message, &self.error, &self.excerpt].into_iter().flatten().map(String::as_str).find(|t| !t.is_empty())
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

/// The sentences of the error messages, shared with the bindings (whose error type has
/// its own variants but must read the same). Every argument is already secret-free and
/// sanitised.
#[doc(hidden)]
pub mod message {
    use std::time::Duration;

    /// The message of [`super::Error::Cancelled`].
    pub const CANCELLED: &str = "cancelled by the caller (no request was sent after the cancel)";

    /// `12ms`, `1.5s`, `5m 0s`.
    pub fn duration(d: Duration) -> String {
        match d.as_millis() {
            ms if ms < 1000 => format!("{ms}ms"),
            ms if ms < 60_000 => format!("{:.1}s", d.as_secs_f64()),
            _ => format!("{}m {}s", d.as_secs() / 60, d.as_secs() % 60),
        }
    }

    /// An unusable configuration.
    pub fn configuration(reason: &str) -> String {
        format!("invalid client configuration: {reason}")
    }

    /// An operation that needs the access key.
    pub fn access_key_required(operation: &str, has: &str) -> String {
        format!(
            "`{operation}` needs the access key, but this client has {has} — call it from your backend \
             with a client holding the access key (devices get intent tokens, for enroll and approval only)"
        )
    }

    /// A rejected argument.
    pub fn invalid_input(field: &str, reason: &str) -> String {
        format!("invalid {field}: {reason} (nothing was sent)")
    }

    /// A failed connection.
    pub fn network(endpoint: &str, reason: &str) -> String {
        format!("network error on {endpoint}: {reason} — check the network, the base URL and any proxy, then retry")
    }

    /// A failed TLS handshake.
    pub fn tls(endpoint: &str, reason: &str) -> String {
        format!(
            "TLS handshake for {endpoint} failed: {reason} — is the server's certificate trusted here? (system CA \
             store, SSL_CERT_FILE, or add the CA to the client configuration)"
        )
    }

    /// A request or call that ran out of time; `not_sent` when it never left the client.
    pub fn timeout(endpoint: &str, after: Duration, not_sent: bool) -> String {
        if not_sent {
            return format!(
                "{endpoint} was not sent: no request slot or connection in time (gave up after {}) — it never \
                 reached the service, so it is safe to retry (if this repeats, raise max_concurrent_requests or the \
                 timeouts)",
                duration(after)
            );
        }
        format!(
            "{endpoint} timed out after {} — the service is slow or unreachable; an operation with effects \
             (enroll, approval) may still have reached it",
            duration(after)
        )
    }

    /// A non-success HTTP answer.
    pub fn http(status: u16, endpoint: &str, server_says: Option<&str>, retry_after: Option<Duration>) -> String {
        let phrase = reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
        let said = server_says.map(|text| format!(": {text}")).unwrap_or_default();
        let hint = match status {
            300..=399 => "check the base URL (authcloud never follows redirects)".to_owned(),
            400 => "the request was refused as invalid; check its arguments".to_owned(),
            401 => "the access key or intent token was refused: check AUTHCLOUD_ACCESS_KEY (an intent token \
                    must be fresh and unused)"
                .to_owned(),
            403 => {
                "the credential may not do this (an intent token for another operation, user or channel?)".to_owned()
            }
            404 => "no such user or resource on this instance".to_owned(),
            409 => "the request conflicts with the current state".to_owned(),
            429 => match retry_after {
                Some(after) => format!("slow down: retry after {}", duration(after)),
                None => "slow down and retry later".to_owned(),
            },
            500..=599 => match retry_after {
                Some(after) => format!("the service has a problem; retry after {}", duration(after)),
                None => "the service has a problem; retry later".to_owned(),
            },
            _ => "the request was refused".to_owned(),
        };
        format!("{status} {phrase} from {endpoint}{said} — {hint}").replace("  ", " ")
    }

    /// An answer that is not what the API documents.
    pub fn malformed(endpoint: Option<&str>, reason: &str) -> String {
        match endpoint {
            Some(endpoint) => format!("unexpected answer from {endpoint}: {reason} (not the documented format)"),
            None => format!("malformed answer: {reason}"),
        }
    }

    /// An answer over the size limit.
    pub fn too_large(endpoint: &str, limit: u64) -> String {
        format!("the answer of {endpoint} is larger than the {limit}-byte limit (max_response_bytes); nothing was read")
    }

    /// A wait that reached its deadline.
    pub fn wait_timed_out(elapsed: Duration, polls: u32, last_status: Option<&str>) -> String {
        format!(
            "gave up waiting after {} and {polls} polls (last status: {}) — the user did not act in time; start over \
             or wait longer",
            duration(elapsed),
            last_status.unwrap_or("none")
        )
    }

    /// A refused verification.
    pub fn not_verified(check: &str, reason: &str) -> String {
        format!("not verified ({check}): {reason} — do not trust this operation")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENROLL: Endpoint = Endpoint::new("POST", "/api/v1/users/enroll");

    #[test]
    fn messages_are_sentences_that_say_what_happened_where_and_what_to_do() {
        let e = Error::Unauthorized { endpoint: ENROLL, status: 401, detail: ApiErrorDetail::default() };
        assert_eq!(
            e.to_string(),
            "401 Unauthorized from POST /api/v1/users/enroll — the access key or intent token was refused: check \
             AUTHCLOUD_ACCESS_KEY (an intent token must be fresh and unused)"
        );
        let e = Error::RateLimited {
            endpoint: Endpoint::new("POST", "/api/v1/status"),
            retry_after: Some(Duration::from_secs(2)),
            detail: ApiErrorDetail { message: Some("too many".into()), ..Default::default() },
        };
        assert_eq!(
            e.to_string(),
            "429 Too Many Requests from POST /api/v1/status: too many — slow down: retry after 2.0s"
        );
        let e = Error::WaitTimedOut {
            elapsed: Duration::from_millis(300),
            polls: 3,
            last_status: Some(TransactionStatus::Pending),
        };
        assert!(e.to_string().starts_with("gave up waiting after 300ms and 3 polls (last status: pending)"));
        let e = Error::NotFound {
            endpoint: ENROLL,
            detail: ApiErrorDetail {
                error: Some("Not Found".into()),
                message: Some("no such user".into()),
                excerpt: None,
            },
        };
        assert!(e.to_string().starts_with("404 Not Found from POST /api/v1/users/enroll: no such user — "));
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(e.kind().as_str(), "not_found");
        assert_eq!(e.http_status(), Some(404));
        assert_eq!(e.endpoint(), Some(ENROLL));
        assert!(!e.is_transient());
    }
}
