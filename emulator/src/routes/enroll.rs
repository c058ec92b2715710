//! `POST /api/v1/users/enroll`: register a way for the user to authenticate (creating the user
//! if needed). `app` (the default): the phone's app, by QR code / deep link and status token;
//! `sms` (`enroll_sms.rs`): a phone number, confirmed by a code sent to it; `recovery`
//! (`enroll_recovery.rs`): a set of single-use recovery codes.

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
use crate::state::{Channel, Intent, Operation, State as World, Target, User, UserRef};
use crate::wire::{AuthenticatorJson, EnrollResponse, EnrollmentJson};

use super::new_transaction::{app_link, issue_tokens};
use super::{enroll_recovery, enroll_sms};

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
    match channel {
        Channel::Sms => return enroll_sms::enroll(&shared, caller, &object, who, now),
        Channel::Recovery => return enroll_recovery::enroll(&shared, caller, who, now),
        _ => {}
    }

    let (user, transaction_id, tokens) = {
        let mut world = shared.state();
        let target = authorised_target(&world, caller, who, Channel::App, now)?;
        let (user_id, transaction_id) = world.begin_enrollment(target, shared.timing(now));
        spend_intent(&mut world, caller);
        let tokens = issue_tokens(&shared, &mut world, transaction_id)?;
        let user = world.user(user_id).cloned().ok_or_else(|| ApiError::internal("the user vanished"))?;
        (user, transaction_id, tokens)
    };

    // Outside the lock: rendering the QR code is slow.
    let (app_link_uri, qr_code) = app_link(&shared, &tokens.dispatch_token)?;
    let enrollment = EnrollmentJson {
        transaction_id,
        status_token: tokens.status_token,
        qr_code: Some(qr_code),
        app_link_uri: Some(app_link_uri),
    };
    Ok((StatusCode::CREATED, Json(enroll_response(user, enrollment))).into_response())
}

/// The 201 answer of an enrollment that started a transaction (`app`, `sms`).
pub(super) fn enroll_response(user: User, enrollment: EnrollmentJson) -> EnrollResponse {
    EnrollResponse {
        user_id: user.user_id,
        status: user.status.as_str(),
        created_at: crate::time::iso8601(user.created_at),
        updated_at: crate::time::iso8601(user.updated_at),
        authenticators: user.authenticators.iter().map(AuthenticatorJson::from).collect(),
        username: user.username,
        enrollment,
    }
}

/// The user an enrollment over `channel` is for, as the caller may name it: with the access
/// key whoever the body names (404 unknown `userId`, 400 contradiction); with an intent token
/// (401 used or expired, 403 another operation, channel or user) the intent's user. Call it
/// under the lock the enrollment starts under, and [`spend_intent`] once it has started.
pub(super) fn authorised_target(
    world: &World,
    caller: Caller,
    who: UserRef,
    channel: Channel,
    now: SystemTime,
) -> Result<Target, ApiError> {
    match caller {
        Caller::AccessKey => resolve(world, &who),
        Caller::Intent { jti } => {
            let intent = intent_allowing(world, jti, now, Operation::Enroll, channel)?;
            resolve_for_intent(world, who, intent)
        }
    }
}

/// Spends the caller's intent token (if it is one) on an enrollment that started: a refused
/// one (e.g. past the rate limit) leaves it usable.
pub(super) fn spend_intent(world: &mut World, caller: Caller) {
    if let Caller::Intent { jti } = caller {
        world.consume_intent(jti);
    }
}

/// For the channels that need a user named (`sms`, `recovery`): 400 if the access key's body
/// names none (an intent token names its own user).
pub(super) fn require_named_user(caller: Caller, who: &UserRef) -> Result<(), ApiError> {
    if caller == Caller::AccessKey && who.user_id.is_none() && who.username.is_none() {
        return Err(ApiError::bad_request("`username` or `userId` is required for this channel"));
    }
    Ok(())
}

/// The `channel` field: `app` by default, `sms` or `recovery`; the vendor's other channels
/// (`push`, `fido2`) are known but not emulated.
fn channel(object: &Map<String, Value>) -> Result<Channel, ApiError> {
    match body::optional_str(object, "channel")? {
        None => Ok(Channel::App),
        Some(word) => match Channel::parse(word) {
            Some(channel @ (Channel::App | Channel::Sms | Channel::Recovery)) => Ok(channel),
            Some(_) => Err(ApiError::bad_request(
                "this channel is not supported by the emulator; use `app`, `sms` or `recovery`",
            )),
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
