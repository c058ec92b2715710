//! `POST /api/v1/status`: where an operation stands. No auth: the status token is the
//! capability, and a browser polls it directly (CORS).

use std::sync::Arc;
use std::time::SystemTime;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::HeaderMap;
use serde_json::{Value, json};

use crate::app::Shared;
use crate::body;
use crate::errors::ApiError;
use crate::time::iso8601;
use crate::tokens::TokenKind;
use crate::wire::StatusResponse;

/// Handles `POST /api/v1/status` with `{"statusToken": "..."}`.
///
/// A status token this emulator never signed, or whose transaction it no longer knows
/// (reset, deleted user, or forgotten after its retention: see `State::evict`), answers
/// `{"status": "unknown"}`. An expired transaction's token still resolves (to `failed`)
/// until then: the JWT's own expiry is not checked here.
pub(crate) async fn status(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    request_body: Bytes,
) -> Result<Response, ApiError> {
    let object = body::json_object(&headers, &request_body)?;
    let token = match object.get("statusToken") {
        None | Some(Value::Null) => {
            return Err(ApiError::bad_request("`statusToken` is required"));
        }
        Some(Value::String(token)) => token,
        Some(_) => return Err(ApiError::bad_request("`statusToken` must be a string")),
    };
    let transaction_id = shared
        .tokens
        .verify_ignoring_expiry(token)
        .filter(|claims| claims.kind == TokenKind::Status)
        .and_then(|claims| claims.tid);
    let Some(transaction_id) = transaction_id else {
        return Ok(unknown());
    };
    let answer = {
        let mut world = shared.state();
        world.settle(transaction_id, SystemTime::now());
        world.transaction(transaction_id).map(|transaction| StatusResponse {
            transaction_id: transaction.transaction_id,
            status: transaction.status.as_str(),
            user_id: transaction.user_id,
            username: transaction.user_id.map(|id| world.user(id).and_then(|user| user.username.clone())),
            token: transaction.tokens.token.clone(),
            created_at: iso8601(transaction.created_at),
            last_updated_at: iso8601(transaction.last_updated_at),
        })
    };
    Ok(match answer {
        Some(answer) => Json(answer).into_response(),
        None => unknown(),
    })
}

/// `OPTIONS /api/v1/status`. The route must exist so that the CORS layer wrapped around it
/// sees OPTIONS requests (otherwise the router's 405 fallback answers first); the layer then
/// answers every OPTIONS itself, preflight or not, so this body only runs without the layer.
pub(crate) async fn options() -> Response {
    let mut response = http::StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(http::header::ALLOW, http::HeaderValue::from_static("POST, OPTIONS"));
    response
}

/// The answer for a transaction the emulator does not know.
fn unknown() -> Response {
    Json(json!({ "status": "unknown" })).into_response()
}
