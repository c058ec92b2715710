//! `/api/v1/users`: a user with its authenticators (and the rate limits it is blocked by),
//! found by id or by username, and deleting a user (access key only).

use std::sync::Arc;
use std::time::SystemTime;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::app::Shared;
use crate::auth::require_access_key;
use crate::body;
use crate::errors::ApiError;
use crate::wire::UserJson;

/// Handles `GET /api/v1/users/{userId}`; an unknown or malformed id is 404.
pub(crate) async fn get_user(
    State(shared): State<Arc<Shared>>,
    Path(user_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let now = SystemTime::now();
    require_access_key(&shared, &headers, now)?;
    let not_found = || ApiError::not_found("no user with this userId");
    let user_id = Uuid::parse_str(&user_id).map_err(|_| not_found())?;
    let user = {
        let mut world = shared.state();
        world.settle_user(user_id, now);
        world.user(user_id).map(|user| UserJson::new(user, &world.exceeded_rate_limits(user_id, now)))
    };
    Ok(Json(user.ok_or_else(not_found)?).into_response())
}

/// Handles `GET /api/v1/users?username=…`: the user with exactly (case-sensitively) that
/// username, as `GET /api/v1/users/{userId}` shows it; 404 if nobody has it, 400 without a
/// valid `username` (the first one counts if repeated; other parameters are ignored).
pub(crate) async fn find_user(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let now = SystemTime::now();
    require_access_key(&shared, &headers, now)?;
    let pairs: Vec<(String, String)> =
        query.map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    let Some(username) = body::form_value(&pairs, "username") else {
        return Err(ApiError::bad_request("the query parameter `username` is required"));
    };
    // The same rules as a body's `username`.
    let mut object = Map::new();
    object.insert("username".to_owned(), Value::String(username.to_owned()));
    let username = body::username(&object)?.unwrap_or_default();
    let user = {
        let mut world = shared.state();
        let user_id = world.user_id_by_username(&username);
        user_id.and_then(|user_id| {
            world.settle_user(user_id, now);
            world.user(user_id).map(|user| UserJson::new(user, &world.exceeded_rate_limits(user_id, now)))
        })
    };
    Ok(Json(user.ok_or_else(|| ApiError::not_found("no user with this username"))?).into_response())
}

/// Handles `DELETE /api/v1/users/{userId}` → 204; an unknown or malformed id is 404.
///
/// The username becomes free; the user's transactions are forgotten (their status tokens
/// then report `unknown`, their transaction tokens introspect inactive) and so are intent
/// tokens bound to the user's id.
pub(crate) async fn delete_user(
    State(shared): State<Arc<Shared>>,
    Path(user_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let now = SystemTime::now();
    require_access_key(&shared, &headers, now)?;
    let not_found = || ApiError::not_found("no user with this userId");
    let user_id = Uuid::parse_str(&user_id).map_err(|_| not_found())?;
    if !shared.state().delete_user(user_id, now) {
        return Err(not_found());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
