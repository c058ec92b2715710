//! `GET /ping`: liveness, answers `PONG` as plain text.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};

/// Handles `GET /ping`.
pub(crate) async fn ping() -> Response {
    let mut response = "PONG".into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    response
}
