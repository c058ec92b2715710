//! `POST /api/v1/users/enroll`: start registering the app on a phone (creating the user if
//! needed) and hand back the QR code, deep link and status token.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

use crate::app::Shared;
use crate::auth::{Caller, authenticate, intent_allowing};
use crate::body;
use crate::errors::ApiError;
use crate::state::{Channel, Intent, Operation, State as World, Target, UserRef};
use crate::wire::{AuthenticatorJson, EnrollResponse, EnrollmentJson};

use super::new_transaction::{app_link, issue_tokens};

/// Handles `POST /api/v1/users/enroll` (Bearer access key or enroll intent token).
pub(crate) async fn enroll(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    request_body: Bytes,
) -> Result<Response, ApiError> {
    let now = SystemTime::now();
    let caller = authenticate(&shared, &headers, now)?;
    let object = body::json_object(&headers, &request_body)?;
    let channel = channel(&object)?;
    let who = body::user_ref(&object)?;

    let (user, transaction_id, tokens) = {
        let mut world = shared.state();
        let target = match caller {
            Caller::AccessKey => resolve(&world, &who)?,
            Caller::Intent { jti } => {
                let intent = intent_allowing(&world, jti, now, Operation::Enroll, channel)?;
                let target = resolve_for_intent(&world, who, intent)?;
                world.consume_intent(jti);
                target
            }
        };
        let (user_id, transaction_id) = world.begin_enrollment(target, shared.timing(now));
        let tokens = issue_tokens(&shared, &mut world, transaction_id)?;
        let user = world.user(user_id).cloned().ok_or_else(|| ApiError::internal("the user vanished"))?;
        (user, transaction_id, tokens)
    };

    // Outside the lock: rendering the QR code is slow.
    let (app_link_uri, qr_code) = app_link(&shared, &tokens.dispatch_token)?;
    let response = EnrollResponse {
        user_id: user.user_id,
        username: user.username,
        status: user.status.as_str(),
        created_at: crate::time::iso8601(user.created_at),
        updated_at: crate::time::iso8601(user.updated_at),
        authenticators: user.authenticators.iter().map(AuthenticatorJson::from).collect(),
        enrollment: EnrollmentJson { transaction_id, status_token: tokens.status_token, qr_code, app_link_uri },
    };
    Ok((StatusCode::CREATED, Json(response)).into_response())
}

/// The `channel` field: `app` by default; the vendor's other channels are known but not
/// emulated.
fn channel(object: &Map<String, Value>) -> Result<Channel, ApiError> {
    match body::optional_str(object, "channel")? {
        None => Ok(Channel::App),
        Some(word) => match Channel::parse(word) {
            Some(Channel::App) => Ok(Channel::App),
            Some(_) => Err(ApiError::bad_request("this channel is not supported by the emulator; use `app`")),
            None => Err(ApiError::bad_request("unknown `channel`; expected app, push, sms, fido2 or recovery")),
        },
    }
}

/// Resolves the user a request names (404 unknown `userId`, 400 contradiction).
fn resolve(world: &World, who: &UserRef) -> Result<Target, ApiError> {
    world.resolve(who).map_err(ApiError::from)
}

/// Resolves the user of an enroll authorised by an intent token (already checked for the
/// operation and the channel): the body may omit the user (the intent's is used) but may not
/// name another one (403).
fn resolve_for_intent(world: &World, mut who: UserRef, intent: &Intent) -> Result<Target, ApiError> {
    if who.user_id.is_none() && who.username.is_none() {
        who.user_id = intent.user_id;
        who.username = intent.username.clone();
    }
    let target = resolve(world, &who)?;
    let bound = match (intent.user_id, &target) {
        (Some(bound_id), target) => target.user_id() == Some(bound_id),
        (None, Target::New { username }) => username.is_some() && *username == intent.username,
        (None, Target::Existing { user_id, assign_username }) => {
            let username =
                assign_username.clone().or_else(|| world.user(*user_id).and_then(|user| user.username.clone()));
            username.is_some() && username == intent.username
        }
    };
    if !bound {
        return Err(ApiError::forbidden("this intent token was issued for another user"));
    }
    Ok(target)
}
