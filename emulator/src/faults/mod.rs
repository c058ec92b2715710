//! Injected faults: what a flaky network or a misbehaving proxy does to the SDK.
//!
//! A fault applies to the next `count` requests whose path equals `path` (any method), in the
//! order faults were injected. The control API (`/_emulator/…`) can never be faulted, so a
//! test cannot lock itself out.

mod bodies;

use std::collections::VecDeque;
use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::errors::error_response;

use bodies::{OversizedBody, TruncatedBody};

/// Default size of an `oversized` body: 8 MiB, far above any sane response cap.
pub(crate) const DEFAULT_OVERSIZED_BYTES: u64 = 8 * 1024 * 1024;

/// Largest `oversized` body the emulator streams (1 GiB).
const MAX_OVERSIZED_BYTES: u64 = 1024 * 1024 * 1024;

/// Longest `delay` (10 minutes): longer than any client timeout worth testing.
const MAX_DELAY_MS: u64 = 10 * 60 * 1000;

/// Prefix of paths that belong to the emulator's own control API.
pub(crate) const CONTROL_PREFIX: &str = "/_emulator/";

/// A fault for the next `count` requests to `path`.
///
/// JSON form (the control API's `POST /_emulator/faults`):
/// `{"path": "/api/v1/status", "count": 2, "kind": "status", "status": 503, "retryAfter": 1}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    /// The exact request path (no query), e.g. `/api/v1/status`.
    pub path: String,
    /// How many requests it applies to (at least 1); default 1.
    #[serde(default = "one")]
    pub count: u32,
    /// What happens to those requests.
    #[serde(flatten)]
    pub kind: FaultKind,
}

fn one() -> u32 {
    1
}

fn default_oversized_bytes() -> u64 {
    DEFAULT_OVERSIZED_BYTES
}

fn ok_status() -> u16 {
    200
}

/// What an injected fault does instead of (or before) the normal answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum FaultKind {
    /// Answer `status` with a vendor-style error body; `retry_after` (seconds) adds a
    /// `Retry-After` header.
    Status {
        /// Any HTTP status in 200..=599.
        status: u16,
        /// Seconds for the `Retry-After` header.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
    },
    /// Answer 200 with `Content-Type: application/json` and a body that is not JSON (as a
    /// proxy's HTML page would be).
    Garbage,
    /// Answer 200 with a `Content-Length` larger than the bytes sent, then close the
    /// connection.
    Truncated,
    /// Answer 200 with a JSON-looking body of `size_bytes` bytes (default 8 MiB), streamed.
    Oversized {
        /// Total body size in bytes (16 ..= 1 GiB).
        #[serde(default = "default_oversized_bytes")]
        size_bytes: u64,
    },
    /// Wait `delay_ms`, then answer normally.
    Delay {
        /// Milliseconds to wait (at most 10 minutes).
        delay_ms: u64,
    },
    /// Close the connection without any answer.
    Drop,
    /// Answer `status` (default 200) with `body` verbatim as JSON: simulates vendor
    /// variations (unknown statuses, extra fields, a mismatched `sub`…).
    Json {
        /// HTTP status in 200..=599.
        #[serde(default = "ok_status")]
        status: u16,
        /// The exact JSON value to send.
        body: serde_json::Value,
    },
    /// Answer `status` (default 200) with `body` byte for byte (the guide's literal
    /// examples, broken JSON, escape sequences…) and `content_type` (default
    /// `application/json`).
    Raw {
        /// HTTP status in 200..=599.
        #[serde(default = "ok_status")]
        status: u16,
        /// The exact text to send.
        body: String,
        /// The `Content-Type` header.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content_type: Option<String>,
    },
    /// Answer a redirect (`status` 301, 302, 303, 307 or 308; default 302) to `location`,
    /// e.g. another origin: a client must not follow it with its credential.
    Redirect {
        /// 301, 302, 303, 307 or 308.
        #[serde(default = "found")]
        status: u16,
        /// The `Location` header, an absolute URL.
        location: String,
    },
}

fn found() -> u16 {
    302
}

impl Fault {
    /// Checks that the fault can be applied as described.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if !self.path.starts_with('/') || self.path.contains(['?', '#']) {
            return Err("path must be an absolute path without query, e.g. /api/v1/status".into());
        }
        if self.path.starts_with(CONTROL_PREFIX) || self.path == "/_emulator" {
            return Err("the control API under /_emulator/ cannot be faulted".into());
        }
        if self.count == 0 {
            return Err("count must be at least 1".into());
        }
        match &self.kind {
            FaultKind::Status { status, .. } | FaultKind::Json { status, .. } => {
                if !(200..=599).contains(status) {
                    return Err("status must be in 200..=599".into());
                }
            }
            FaultKind::Oversized { size_bytes } => {
                if !(16..=MAX_OVERSIZED_BYTES).contains(size_bytes) {
                    return Err("sizeBytes must be in 16..=1073741824".into());
                }
            }
            FaultKind::Delay { delay_ms } => {
                if *delay_ms > MAX_DELAY_MS {
                    return Err("delayMs must be at most 600000".into());
                }
            }
            FaultKind::Raw { status, content_type, .. } => {
                if !(200..=599).contains(status) {
                    return Err("status must be in 200..=599".into());
                }
                if content_type.as_deref().is_some_and(|ct| HeaderValue::from_str(ct).is_err()) {
                    return Err("contentType must be a valid header value".into());
                }
            }
            FaultKind::Redirect { status, location } => {
                if ![301, 302, 303, 307, 308].contains(status) {
                    return Err("a redirect's status must be 301, 302, 303, 307 or 308".into());
                }
                if HeaderValue::from_str(location).is_err() || !location.contains("://") {
                    return Err("location must be an absolute URL".into());
                }
            }
            FaultKind::Garbage | FaultKind::Truncated | FaultKind::Drop => {}
        }
        Ok(())
    }
}

/// Pending faults, oldest first.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    faults: VecDeque<Fault>,
}

impl FaultQueue {
    /// Adds a (validated) fault at the end of the queue.
    pub(crate) fn push(&mut self, fault: Fault) {
        self.faults.push_back(fault);
    }

    /// Takes one use of the oldest fault for `path`, if any.
    pub(crate) fn take(&mut self, path: &str) -> Option<FaultKind> {
        if self.faults.is_empty() {
            return None;
        }
        let index = self.faults.iter().position(|fault| fault.path == path)?;
        let fault = &mut self.faults[index];
        fault.count -= 1;
        let kind = fault.kind.clone();
        if fault.count == 0 {
            self.faults.remove(index);
        }
        Some(kind)
    }

    /// The pending faults with their remaining counts.
    pub(crate) fn list(&self) -> Vec<Fault> {
        self.faults.iter().cloned().collect()
    }

    /// Removes every pending fault; returns how many there were.
    pub(crate) fn clear(&mut self) -> usize {
        let count = self.faults.len();
        self.faults.clear();
        count
    }
}

/// What the server does for a faulted request.
pub(crate) enum Action {
    /// Send this answer instead of the normal one.
    Respond(Response),
    /// Wait, then answer normally.
    Delay(Duration),
    /// Close the connection without answering.
    Drop,
}

/// Turns a fault into the server's action. `abort` ends the request's connection (used by
/// `truncated` once the partial body has been flushed).
pub(crate) fn action(kind: FaultKind, abort: &CancellationToken) -> Action {
    match kind {
        FaultKind::Status { status, retry_after } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let mut response = error_response(status, "fault injected by the emulator");
            if let Some(seconds) = retry_after {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            Action::Respond(response)
        }
        FaultKind::Garbage => Action::Respond(json_typed(
            StatusCode::OK,
            Body::from(Bytes::from_static(b"<html><body><h1>502 Bad Gateway</h1></body></html> this is { not JSON")),
        )),
        FaultKind::Truncated => {
            let full = br#"{"transactionId":"00000000-0000-4000-8000-000000000000","status":"pending","note":"this body is cut short by the emulator's truncated fault"}"#;
            let body =
                TruncatedBody::new(Bytes::from_static(&full[..full.len() / 2]), full.len() as u64, abort.clone());
            let mut response = json_typed(StatusCode::OK, Body::new(body));
            response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(full.len()));
            Action::Respond(response)
        }
        FaultKind::Oversized { size_bytes } => {
            let mut response = json_typed(StatusCode::OK, Body::new(OversizedBody::new(size_bytes)));
            response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(size_bytes));
            Action::Respond(response)
        }
        FaultKind::Delay { delay_ms } => Action::Delay(Duration::from_millis(delay_ms)),
        FaultKind::Drop => Action::Drop,
        FaultKind::Json { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let bytes = serde_json::to_vec(&body).unwrap_or_default();
            Action::Respond(json_typed(status, Body::from(bytes)))
        }
        FaultKind::Raw { status, body, content_type } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = (status, Body::from(body)).into_response();
            let content_type = content_type
                .and_then(|ct| HeaderValue::from_str(&ct).ok())
                .unwrap_or(HeaderValue::from_static("application/json"));
            response.headers_mut().insert(header::CONTENT_TYPE, content_type);
            Action::Respond(response)
        }
        FaultKind::Redirect { status, location } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::FOUND);
            let mut response = (status, Body::empty()).into_response();
            if let Ok(location) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            Action::Respond(response)
        }
    }
}

fn json_typed(status: StatusCode, body: Body) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_round_trips() {
        let fault: Fault =
            serde_json::from_str(r#"{"path":"/api/v1/status","count":2,"kind":"status","status":503,"retryAfter":1}"#)
                .expect("parses");
        assert_eq!(
            fault,
            Fault {
                path: "/api/v1/status".into(),
                count: 2,
                kind: FaultKind::Status { status: 503, retry_after: Some(1) },
            }
        );
        let back = serde_json::to_value(&fault).expect("serialises");
        assert_eq!(back["retryAfter"], 1);
        assert_eq!(back["kind"], "status");
        let delay: Fault = serde_json::from_str(r#"{"path":"/ping","kind":"delay","delayMs":5}"#).expect("parses");
        assert_eq!(delay.count, 1);
        assert_eq!(delay.kind, FaultKind::Delay { delay_ms: 5 });
    }

    #[test]
    fn queue_consumes_in_order() {
        let mut queue = FaultQueue::default();
        queue.push(Fault { path: "/a".into(), count: 2, kind: FaultKind::Drop });
        queue.push(Fault { path: "/a".into(), count: 1, kind: FaultKind::Garbage });
        assert_eq!(queue.take("/b"), None);
        assert_eq!(queue.take("/a"), Some(FaultKind::Drop));
        assert_eq!(queue.take("/a"), Some(FaultKind::Drop));
        assert_eq!(queue.take("/a"), Some(FaultKind::Garbage));
        assert_eq!(queue.take("/a"), None);
    }

    #[test]
    fn raw_and_redirect_faults_are_validated() {
        let fault = |kind| Fault { path: "/api/v1/status".into(), count: 1, kind };
        assert!(fault(FaultKind::Raw { status: 200, body: "{".into(), content_type: None }).validate().is_ok());
        assert!(fault(FaultKind::Raw { status: 99, body: "".into(), content_type: None }).validate().is_err());
        let bad_type = FaultKind::Raw { status: 200, body: "".into(), content_type: Some("a\nb".into()) };
        assert!(fault(bad_type).validate().is_err());
        let redirect = |status, location: &str| FaultKind::Redirect { status, location: location.into() };
        assert!(fault(redirect(307, "http://127.0.0.1:9/api/v1/status")).validate().is_ok());
        assert!(fault(redirect(200, "http://127.0.0.1:9/")).validate().is_err());
        assert!(fault(redirect(302, "/relative")).validate().is_err());
        let parsed: Fault =
            serde_json::from_str(r#"{"path":"/api/v1/status","kind":"redirect","location":"https://evil.example/"}"#)
                .unwrap();
        assert_eq!(parsed.kind, redirect(302, "https://evil.example/"));
    }

    #[test]
    fn control_paths_cannot_be_faulted() {
        let fault = Fault { path: "/_emulator/reset".into(), count: 1, kind: FaultKind::Drop };
        assert!(fault.validate().is_err());
    }
}
