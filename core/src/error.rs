//! The one error type of the SDK.
//!
//! Callers branch on [`Error::kind`] (stable) or match the variants (non-exhaustive).
//! Every message is short and secret-free by construction: variants carry only values the
//! SDK produced itself or scrubbed excerpts of what the server said (see `redact`).

use std::fmt;
use std::time::Duration;

pub use crate::endpoint::Endpoint;
use crate::error_message as message;
use crate::sanitize::sanitize_with_limit;
use crate::status::TransactionStatus;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when talking to the Authentication Cloud.
///
/// Every message is a sentence: what failed, where (the endpoint and HTTP status), what
/// the server said (sanitised), and what to do about it.
///
/// Exhaustive on purpose (as [`ErrorKind`]): the bindings convert it variant by variant,
/// with no wildcard arm that could turn a new kind into an "internal" error.
#[derive(Debug, Clone, thiserror::Error)]
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
    /// ([`VerificationFailure::check`] says which).
    #[error("{}", message::not_verified(reason.check().name(), &reason.to_string()))]
    NotVerified {
        /// The failed check.
        reason: VerificationFailure,
    },
}

/// Declares [`ErrorKind`] from one table: each kind's variant, stable name and whether it
/// is transient. `as_str`, `is_transient`, `variant_name` and [`ErrorKind::ALL`] are all
/// derived from it, and so are the bindings' exception names and the CLI's exit codes
/// (each matches [`ErrorKind`] exhaustively: a new kind does not compile until it is mapped).
macro_rules! error_kinds {
    ($($(#[$doc:meta])* $kind:ident = $name:literal, transient = $transient:literal;)*) => {
        /// Stable classification of [`Error`], for callers (and the bindings) to branch on.
        ///
        /// Deliberately exhaustive: the bindings and the CLI match it without a wildcard,
        /// so adding a kind is a compile error until every layer says what it means.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorKind {
            $($(#[$doc])* $kind,)*
        }

        impl ErrorKind {
            /// Every kind, in the table's order.
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$kind),*];

            /// The stable name (`configuration`, `invalid_input`, `network`, …): what
            /// `kind()` returns in every language and the CLI's `--json` error `kind`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorKind::$kind => $name,)*
                }
            }

            /// True for kinds that may go away by themselves (network trouble, timeouts,
            /// 429, 5xx). Whether a request may actually be *re-sent* also depends on the
            /// operation.
            pub fn is_transient(self) -> bool {
                match self {
                    $(ErrorKind::$kind => $transient,)*
                }
            }

            /// The variant's name (`NotFound`): the name of the bindings' exception class.
            pub fn variant_name(self) -> &'static str {
                match self {
                    $(ErrorKind::$kind => stringify!($kind),)*
                }
            }
        }
    };
}

error_kinds! {
    /// [`Error::Configuration`] and [`Error::AccessKeyRequired`].
    Configuration = "configuration", transient = false;
    /// [`Error::InvalidInput`].
    InvalidInput = "invalid_input", transient = false;
    /// [`Error::Network`].
    Network = "network", transient = true;
    /// [`Error::Tls`].
    Tls = "tls", transient = false;
    /// [`Error::Timeout`].
    Timeout = "timeout", transient = true;
    /// [`Error::Unauthorized`].
    Unauthorized = "unauthorized", transient = false;
    /// [`Error::NotFound`].
    NotFound = "not_found", transient = false;
    /// [`Error::RateLimited`].
    RateLimited = "rate_limited", transient = true;
    /// [`Error::Server`].
    Server = "server", transient = true;
    /// [`Error::Api`].
    Api = "api", transient = false;
    /// [`Error::MalformedResponse`].
    MalformedResponse = "malformed_response", transient = false;
    /// [`Error::ResponseTooLarge`].
    ResponseTooLarge = "response_too_large", transient = false;
    /// [`Error::WaitTimedOut`].
    WaitTimedOut = "wait_timed_out", transient = false;
    /// [`Error::Cancelled`].
    Cancelled = "cancelled", transient = false;
    /// [`Error::NotVerified`].
    NotVerified = "not_verified", transient = false;
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

    /// One error of `kind`, for tests of the layers that map kinds (the bindings' and the
    /// CLI's): the match is exhaustive, so a new kind needs a sample here first.
    #[doc(hidden)]
    pub fn sample_of(kind: ErrorKind) -> Error {
        const AT: Endpoint = crate::endpoint::STATUS;
        let detail = ApiErrorDetail::default;
        match kind {
            ErrorKind::Configuration => Error::config("sample"),
            ErrorKind::InvalidInput => Error::invalid("username", "sample"),
            ErrorKind::Network => Error::Network { endpoint: AT, reason: "sample".into() },
            ErrorKind::Tls => Error::Tls { endpoint: AT, reason: "sample".into() },
            ErrorKind::Timeout => Error::Timeout { endpoint: AT, after: Duration::from_secs(1), not_sent: false },
            ErrorKind::Unauthorized => Error::Unauthorized { endpoint: AT, status: 401, detail: detail() },
            ErrorKind::NotFound => Error::NotFound { endpoint: AT, detail: detail() },
            ErrorKind::RateLimited => Error::RateLimited { endpoint: AT, retry_after: None, detail: detail() },
            ErrorKind::Server => Error::Server { endpoint: AT, status: 500, retry_after: None, detail: detail() },
            ErrorKind::Api => Error::Api { endpoint: AT, status: 400, detail: detail() },
            ErrorKind::MalformedResponse => Error::MalformedResponse { endpoint: Some(AT), reason: "sample".into() },
            ErrorKind::ResponseTooLarge => Error::ResponseTooLarge { endpoint: AT, limit: 1 },
            ErrorKind::WaitTimedOut => {
                Error::WaitTimedOut { elapsed: Duration::from_secs(1), polls: 1, last_status: None }
            }
            ErrorKind::Cancelled => Error::Cancelled,
            ErrorKind::NotVerified => Error::NotVerified { reason: VerificationFailure::TokenInactive },
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

/// Which of `verify`'s checks failed, with what it saw.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// Which check failed, as a field-less value the bindings map one to one.
    pub fn check(&self) -> VerificationCheck {
        match self {
            VerificationFailure::NotSucceeded { .. } => VerificationCheck::NotSucceeded,
            VerificationFailure::MissingTransactionToken => VerificationCheck::MissingTransactionToken,
            VerificationFailure::MissingUserId => VerificationCheck::MissingUserId,
            VerificationFailure::UserMismatch { .. } => VerificationCheck::UserMismatch,
            VerificationFailure::TransactionMismatch { .. } => VerificationCheck::TransactionMismatch,
            VerificationFailure::TokenInactive => VerificationCheck::TokenInactive,
            VerificationFailure::SubjectMismatch { .. } => VerificationCheck::SubjectMismatch,
        }
    }
}

/// Which of `verify`'s checks failed, without the values ([`VerificationFailure`] carries
/// them). Exhaustive, so every layer that names checks must name a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerificationCheck {
    /// The operation's status is not `succeeded`.
    NotSucceeded,
    /// The status answer carried no transaction token.
    MissingTransactionToken,
    /// The status answer carried no `userId`.
    MissingUserId,
    /// The status names another user than the caller expected.
    UserMismatch,
    /// The status names another operation than the caller expected.
    TransactionMismatch,
    /// `introspect` says the transaction token is not active.
    TokenInactive,
    /// The token's subject is not the status' user.
    SubjectMismatch,
}

impl VerificationCheck {
    /// Every check, in the order `verify` makes them.
    pub const ALL: &'static [VerificationCheck] = &[
        VerificationCheck::NotSucceeded,
        VerificationCheck::MissingTransactionToken,
        VerificationCheck::MissingUserId,
        VerificationCheck::UserMismatch,
        VerificationCheck::TransactionMismatch,
        VerificationCheck::TokenInactive,
        VerificationCheck::SubjectMismatch,
    ];

    /// The check's stable name: `status_succeeded`, `transaction_token_present`,
    /// `user_id_present`, `expected_user`, `expected_transaction`, `token_active` or
    /// `subject_matches_user`.
    pub fn name(self) -> &'static str {
        match self {
            VerificationCheck::NotSucceeded => "status_succeeded",
            VerificationCheck::MissingTransactionToken => "transaction_token_present",
            VerificationCheck::MissingUserId => "user_id_present",
            VerificationCheck::UserMismatch => "expected_user",
            VerificationCheck::TransactionMismatch => "expected_transaction",
            VerificationCheck::TokenInactive => "token_active",
            VerificationCheck::SubjectMismatch => "subject_matches_user",
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

#[cfg(test)]
mod tests {
    use super::*;

    const ENROLL: Endpoint = Endpoint::new("POST", "/api/v1/users/enroll");

    #[test]
    fn every_kind_has_a_sample_of_its_own_kind_and_a_distinct_name() {
        let mut names = std::collections::HashSet::new();
        for &kind in ErrorKind::ALL {
            assert_eq!(Error::sample_of(kind).kind(), kind);
            assert!(names.insert(kind.as_str()), "{kind} twice");
            assert_eq!(kind.to_string(), kind.as_str());
        }
        let transient: Vec<_> = ErrorKind::ALL.iter().filter(|k| k.is_transient()).map(|k| k.as_str()).collect();
        assert_eq!(transient, ["network", "timeout", "rate_limited", "server"]);
    }

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
