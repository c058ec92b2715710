//! `GET /api/v1/users/{userId}`: a user with its authenticators (access key only).

use std::sync::Arc;
use std::time::SystemTime;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::HeaderMap;
use uuid::Uuid;

use crate::app::Shared;
use crate::auth::require_access_key;
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
        world.user(user_id).map(UserJson::from)
    };
    Ok(Json(user.ok_or_else(not_found)?).into_response())
}
