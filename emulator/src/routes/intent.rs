//! `POST /api/v1/intent`: mint a single-use token a device can enroll with instead of the
//! access key.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::HeaderMap;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::app::Shared;
use crate::auth::require_access_key;
use crate::body;
use crate::errors::ApiError;
use crate::state::{Channel, Intent, Operation, Target};
use crate::tokens::{TokenKind, TokenSpec};

/// Handles `POST /api/v1/intent` (access key only).
///
/// The token is bound to the operation and to the user: an existing user by id (named by
/// `userId` or an existing `username`), or, for `enroll`, a username nobody has yet.
/// `approve` needs an existing user (404 otherwise).
pub(crate) async fn intent(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    request_body: Bytes,
) -> Result<Response, ApiError> {
    let now = SystemTime::now();
    require_access_key(&shared, &headers, now)?;
    let object = body::json_object(&headers, &request_body)?;
    let operation = match body::optional_str(&object, "operation")? {
        None => return Err(ApiError::bad_request("`operation` is required")),
        Some(word) => {
            Operation::parse(word).ok_or_else(|| ApiError::bad_request("`operation` must be `enroll` or `approve`"))?
        }
    };
    let channels = channels(&object)?;
    let who = body::user_ref(&object)?;
    if who.user_id.is_none() && who.username.is_none() {
        return Err(ApiError::bad_request("`username` or `userId` is required"));
    }

    let jti = Uuid::new_v4();
    let expires_at = now + shared.config.intent_ttl;
    let (user_id, username) = {
        let mut world = shared.state();
        let target = world.resolve(&who).map_err(ApiError::from)?;
        let (user_id, username) = match target {
            Target::Existing { user_id, assign_username } => {
                let username = assign_username.or_else(|| world.user(user_id).and_then(|user| user.username.clone()));
                (Some(user_id), username)
            }
            Target::New { .. } if operation == Operation::Approve => {
                return Err(ApiError::not_found("no user with this username"));
            }
            Target::New { username } => (None, username),
        };
        let intent = Intent { operation, user_id, username: username.clone(), channels, expires_at, used: false };
        world.insert_intent(jti, intent, now);
        (user_id, username)
    };
    let sub = user_id.map(|id| id.to_string()).or(username).unwrap_or_default();
    let token = shared.tokens.mint(&TokenSpec {
        kind: TokenKind::Intent,
        sub: &sub,
        scope: &format!("intent {}", operation.as_str()),
        jti,
        tid: None,
        issued_at: now,
        expires_at,
    });
    Ok(Json(json!({ "token": token })).into_response())
}

/// The optional `channels` array of `app`, `push`, `sms`.
fn channels(object: &Map<String, Value>) -> Result<Option<Vec<Channel>>, ApiError> {
    let invalid = || ApiError::bad_request("`channels` must be a non-empty array of app, push, sms");
    match object.get("channels") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|item| match item.as_str().and_then(Channel::parse) {
                Some(channel @ (Channel::App | Channel::Push | Channel::Sms)) => Ok(channel),
                _ => Err(invalid()),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(invalid()),
    }
}
