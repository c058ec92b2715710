//! Errors: the vendor-style error body of the HTTP API, and the library's own error type.
//!
//! Messages are fixed strings written here, never echoes of the request, so a key or token
//! that a client put in the wrong place cannot come back in an error.

use std::borrow::Cow;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

use crate::state::TransactionStatus;

/// Why a library call on [`crate::Emulator`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// The [`crate::EmulatorConfig`] cannot be honoured.
    #[error("invalid emulator configuration: {0}")]
    InvalidConfig(String),
    /// The listening socket could not be set up.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The address that was asked for.
        addr: SocketAddr,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// No transaction with that id exists (never created, or forgotten by a reset).
    #[error("unknown transaction")]
    UnknownTransaction,
    /// The transaction already ended (approved, denied or expired).
    #[error("the transaction is {0}, not pending")]
    NotPending(TransactionStatus),
    /// An SMS enrollment: only its code decides it (`POST /api/v1/users/{userId}/verification`
    /// with the code from [`crate::Emulator::sms_messages`]), not the simulated phone.
    #[error("the transaction is decided by its SMS code, not by the phone")]
    DecidedByCode,
    /// A usernameless approval: approve it as a user ([`crate::Emulator::approve_as`]).
    #[error("the transaction is a usernameless approval: approve it as a user (approve_as / {{\"userId\"}})")]
    NeedsApprovingUser,
    /// The user named is not the transaction's user.
    #[error("the user is not the transaction's user")]
    NotTheTransactionsUser,
    /// No user with that id exists.
    #[error("unknown user")]
    UnknownUser,
    /// The user has no app authenticator (needed to approve a usernameless approval).
    #[error("the user has no app authenticator")]
    NoAppAuthenticator,
    /// No app authenticator with that id exists (unknown, or an SMS number).
    #[error("unknown app authenticator")]
    UnknownAuthenticator,
    /// The fault cannot be injected as described.
    #[error("invalid fault: {0}")]
    InvalidFault(String),
}

/// The body every non-2xx vendor-API answer carries: `{"error", "message", "status"}`.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: &'a str,
    status: u16,
}

/// An HTTP error answer in the vendor's shape; handlers return it with `?`.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: Cow<'static, str>,
    /// Seconds for a `Retry-After` header (a 429).
    pub(crate) retry_after: Option<u64>,
}

impl ApiError {
    /// An error with any status and a message written by the emulator (never user input).
    pub(crate) fn new(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError { status, message: message.into(), retry_after: None }
    }

    /// 400: the request is malformed or names something invalid.
    pub(crate) fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 401: no credential, or one the emulator does not accept.
    pub(crate) fn unauthorized(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    /// 403: a valid credential that is not allowed to do this (e.g. an intent token).
    pub(crate) fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    /// 404: the named user or path does not exist.
    pub(crate) fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// 409: the transaction is no longer pending.
    pub(crate) fn conflict(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    /// 429 with `Retry-After` (whole seconds, rounded up, at least 1): refused unchecked, try
    /// again later.
    pub(crate) fn too_many_requests(message: impl Into<Cow<'static, str>>, retry_after: Duration) -> Self {
        let seconds = whole_seconds(retry_after);
        ApiError { retry_after: Some(seconds), ..Self::new(StatusCode::TOO_MANY_REQUESTS, message) }
    }

    /// 415: the body is not in the format the endpoint reads.
    pub(crate) fn unsupported_media_type(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, message)
    }

    /// 500: something in the emulator itself went wrong.
    pub(crate) fn internal(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = error_response(self.status, &self.message);
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Builds a vendor-style JSON error answer; also used by injected `status` faults.
pub(crate) fn error_response(status: StatusCode, message: &str) -> Response {
    let body =
        ErrorBody { error: status.canonical_reason().unwrap_or("Unknown Status"), message, status: status.as_u16() };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    let mut response = (status, json).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A `Retry-After` in whole seconds, rounded up and at least 1.
fn whole_seconds(duration: Duration) -> u64 {
    let seconds = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    seconds.max(1)
}

impl From<crate::state::ResolveError> for ApiError {
    /// A body's `username`/`userId` that does not lead to a user.
    fn from(err: crate::state::ResolveError) -> Self {
        match err {
            crate::state::ResolveError::UnknownUser => ApiError::not_found("no user with this userId"),
            crate::state::ResolveError::Mismatch => {
                ApiError::bad_request("`username` and `userId` name different users")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(whole_seconds(Duration::ZERO), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_secs(600)), 600);
        assert_eq!(whole_seconds(Duration::from_millis(600_001)), 601);
        let refused = ApiError::too_many_requests("x", Duration::from_millis(1500)).into_response();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.headers()[header::RETRY_AFTER], "2");
    }
}
