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
use crate::auth::{Caller, authenticate};
use crate::body;
use crate::errors::ApiError;
use crate::qr::{self, QR_SIZE};
use crate::state::{Channel, Intent, Operation, State as World, Target, UserRef};
use crate::wire::{AuthenticatorJson, EnrollResponse, EnrollmentJson, QrCodeJson};

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
    let who = UserRef { user_id: body::user_id(&object)?, username: body::username(&object)? };

    let (mut response, dispatch_token) = {
        let mut world = shared.state();
        let target = match caller {
            Caller::AccessKey => resolve(&world, &who)?,
            Caller::Intent { jti } => {
                let intent = world
                    .intent(jti)
                    .filter(|intent| intent.usable(now))
                    .cloned()
                    .ok_or_else(|| ApiError::unauthorized("the intent token was already used or has expired"))?;
                let target = resolve_for_intent(&world, who, &intent, channel)?;
                world.consume_intent(jti);
                target
            }
        };
        let (user_id, transaction_id) = world.begin_enrollment(target, shared.timing(now));
        let (created_at, expires_at) = world
            .transaction(transaction_id)
            .map(|t| (t.created_at, t.expires_at))
            .ok_or_else(|| ApiError::internal("the transaction vanished"))?;
        let tokens = shared.tokens.for_transaction(user_id, transaction_id, Operation::Enroll, created_at, expires_at);
        let dispatch_token = tokens.dispatch_token.clone();
        let status_token = tokens.status_token.clone();
        world.attach_tokens(transaction_id, tokens);
        let user = world.user(user_id).ok_or_else(|| ApiError::internal("the user vanished"))?;
        let response = EnrollResponse {
            user_id,
            username: user.username.clone(),
            status: user.status.as_str(),
            created_at: crate::time::iso8601(user.created_at),
            updated_at: crate::time::iso8601(user.updated_at),
            authenticators: user.authenticators.iter().map(AuthenticatorJson::from).collect(),
            enrollment: EnrollmentJson {
                transaction_id,
                status_token,
                qr_code: QrCodeJson { media_type: "image/png", size: QR_SIZE, data_uri: String::new() },
                app_link_uri: String::new(),
            },
        };
        (response, dispatch_token)
    };

    // The slow part (QR rendering) happens outside the lock.
    let app_link_uri = format!("{}/open?dispatchTokenResponse={dispatch_token}", shared.base_url);
    response.enrollment.qr_code.data_uri =
        qr::png_data_uri(&app_link_uri).map_err(|_| ApiError::internal("could not render the QR code"))?;
    response.enrollment.app_link_uri = app_link_uri;
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

/// Resolves the user of an enroll authorised by an intent token: the body may omit the user
/// (the intent's is used) but may not name another one (403), nor use another operation or
/// a channel the intent does not allow (403).
fn resolve_for_intent(world: &World, mut who: UserRef, intent: &Intent, channel: Channel) -> Result<Target, ApiError> {
    if intent.operation != Operation::Enroll {
        return Err(ApiError::forbidden("this intent token is not for enroll"));
    }
    if intent.channels.as_ref().is_some_and(|allowed| !allowed.contains(&channel)) {
        return Err(ApiError::forbidden("this intent token does not allow this channel"));
    }
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
