//! `/api/v1/authenticators/{authenticatorId}`: rename (`PATCH`) or delete (`DELETE`) a
//! registered authenticator (access key only).

use std::sync::Arc;
use std::time::SystemTime;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use uuid::Uuid;

use crate::app::Shared;
use crate::auth::require_access_key;
use crate::body;
use crate::errors::ApiError;
use crate::wire::AuthenticatorJson;

/// Longest authenticator name accepted, in characters.
const MAX_NAME_CHARS: usize = 100;

fn not_found() -> ApiError {
    ApiError::not_found("no authenticator with this authenticatorId")
}

/// Handles `PATCH /api/v1/authenticators/{authenticatorId}` with `{"name": "…"}` → 200 with
/// the authenticator as the user object shows it (its `updatedAt` moves; the user's does not).
///
/// `name`: required, 1–100 characters, not only whitespace, no control characters (400).
/// Other fields are ignored. An unknown or malformed id is 404.
pub(crate) async fn rename(
    State(shared): State<Arc<Shared>>,
    Path(authenticator_id): Path<String>,
    headers: HeaderMap,
    request_body: Bytes,
) -> Result<Response, ApiError> {
    let now = SystemTime::now();
    require_access_key(&shared, &headers, now)?;
    let object = body::json_object(&headers, &request_body)?;
    let name = body::optional_str(&object, "name")?.ok_or_else(|| ApiError::bad_request("`name` is required"))?;
    let length = name.chars().count();
    if length == 0 || length > MAX_NAME_CHARS || name.trim().is_empty() {
        return Err(ApiError::bad_request("`name` must be 1 to 100 characters long and not only whitespace"));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::bad_request("`name` must not contain control characters"));
    }
    let authenticator_id = Uuid::parse_str(&authenticator_id).map_err(|_| not_found())?;
    let renamed =
        shared.state().rename_authenticator(authenticator_id, name.to_owned(), now).map(AuthenticatorJson::from);
    Ok(Json(renamed.ok_or_else(not_found)?).into_response())
}

/// Handles `DELETE /api/v1/authenticators/{authenticatorId}` → 204; 404 unknown.
///
/// A user that loses its last authenticator goes back to `status: "new"`; its pending
/// approvals that can no longer reach an authenticator end `failed` at once.
pub(crate) async fn delete(
    State(shared): State<Arc<Shared>>,
    Path(authenticator_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let now = SystemTime::now();
    require_access_key(&shared, &headers, now)?;
    let authenticator_id = Uuid::parse_str(&authenticator_id).map_err(|_| not_found())?;
    if !shared.state().delete_authenticator(authenticator_id, now) {
        return Err(not_found());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
