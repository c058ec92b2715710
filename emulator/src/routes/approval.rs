//! `POST /api/v1/approval`: ask one of a user's registered authenticators to confirm (a login),
//! by push notification or by a QR code / app link the user opens with the app.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::HeaderMap;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::app::Shared;
use crate::auth::{Caller, authenticate};
use crate::body;
use crate::errors::ApiError;
use crate::message::{self, MAX_NOTIFICATION_CHARS};
use crate::qr::{self, QR_SIZE};
use crate::state::{
    ApprovalError, ApprovalRequest, AuthenticatorChoice, Channel, Intent, Operation, State as World, UserRef,
};
use crate::wire::{ApprovalResponse, QrCodeJson};

/// Handles `POST /api/v1/approval` (Bearer access key or approve intent token) → 200
/// `{"transactionId", "statusToken"}`, plus `qrCode` and `appLinkUri` for the `app` channel.
pub(crate) async fn approval(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    request_body: Bytes,
) -> Result<Response, ApiError> {
    let now = SystemTime::now();
    let caller = authenticate(&shared, &headers, now)?;
    let object = body::json_object(&headers, &request_body)?;
    let request = approval_request(&object)?;
    let channel = request.channel;
    let who = UserRef { user_id: body::user_id(&object)?, username: body::username(&object)? };

    let (mut response, dispatch_token) = {
        let mut world = shared.state();
        let user_id = match caller {
            Caller::AccessKey => find_user(&world, &who)?,
            Caller::Intent { jti } => {
                let intent = world
                    .intent(jti)
                    .filter(|intent| intent.usable(now))
                    .cloned()
                    .ok_or_else(|| ApiError::unauthorized("the intent token was already used or has expired"))?;
                user_for_intent(&world, who, &intent, channel)?
            }
        };
        let transaction_id = world.begin_approval(user_id, request, shared.timing(now)).map_err(|err| match err {
            ApprovalError::UnknownUser => ApiError::not_found("no user with this userId"),
            ApprovalError::NoAuthenticator => ApiError::bad_request("the user has no authenticator"),
            ApprovalError::UnknownAuthenticator => {
                ApiError::not_found("the user has no authenticator with this authenticatorId")
            }
        })?;
        if let Caller::Intent { jti } = caller {
            world.consume_intent(jti);
        }
        let (created_at, expires_at) = world
            .transaction(transaction_id)
            .map(|t| (t.created_at, t.expires_at))
            .ok_or_else(|| ApiError::internal("the transaction vanished"))?;
        let tokens = shared.tokens.for_transaction(user_id, transaction_id, Operation::Approve, created_at, expires_at);
        let dispatch_token = tokens.dispatch_token.clone();
        let response = ApprovalResponse {
            transaction_id,
            status_token: tokens.status_token.clone(),
            qr_code: None,
            app_link_uri: None,
        };
        world.attach_tokens(transaction_id, tokens);
        (response, dispatch_token)
    };

    if channel == Channel::App {
        // The slow part (QR rendering) happens outside the lock.
        let app_link_uri = format!("{}/open?dispatchTokenResponse={dispatch_token}", shared.base_url);
        let data_uri =
            qr::png_data_uri(&app_link_uri).map_err(|_| ApiError::internal("could not render the QR code"))?;
        response.qr_code = Some(QrCodeJson { media_type: "image/png", size: QR_SIZE, data_uri });
        response.app_link_uri = Some(app_link_uri);
    }
    Ok(Json(response).into_response())
}

/// Reads and checks everything in the body but the user.
fn approval_request(object: &Map<String, Value>) -> Result<ApprovalRequest, ApiError> {
    let channel = channel(object)?;
    let authenticator = match body::optional_str(object, "authenticatorId")? {
        None => None,
        Some("*") if channel == Channel::App => Some(AuthenticatorChoice::Any),
        Some("*") => {
            return Err(ApiError::bad_request("`authenticatorId` `*` (any authenticator) needs the `app` channel"));
        }
        Some(id) => Some(AuthenticatorChoice::One(
            Uuid::parse_str(id).map_err(|_| ApiError::bad_request("`authenticatorId` must be a UUID or `*`"))?,
        )),
    };
    let prompt = body::optional_bool(object, "prompt")?.unwrap_or(false);
    let message = match body::optional_str(object, "message")? {
        Some(text) => {
            message::check(text).map_err(ApiError::bad_request)?;
            Some(text.to_owned())
        }
        None if prompt => return Err(ApiError::bad_request("`message` is required when `prompt` is true")),
        None => None,
    };
    let notification_message = body::optional_str(object, "notificationMessage")?
        .map(|text| {
            if text.chars().count() > MAX_NOTIFICATION_CHARS {
                Err(ApiError::bad_request("`notificationMessage` must be at most 1000 characters long"))
            } else if message::has_control_chars(text) {
                Err(ApiError::bad_request(
                    "`notificationMessage` must not contain control characters (tab, CR and LF are fine)",
                ))
            } else {
                Ok(text.to_owned())
            }
        })
        .transpose()?;
    Ok(ApprovalRequest { channel, authenticator, prompt, message, notification_message })
}

/// The `channel` field: `push` by default, or `app`; the vendor's other channels are known but
/// not emulated for approvals.
fn channel(object: &Map<String, Value>) -> Result<Channel, ApiError> {
    match body::optional_str(object, "channel")? {
        None => Ok(Channel::Push),
        Some(word) => match Channel::parse(word) {
            Some(channel @ (Channel::Push | Channel::App)) => Ok(channel),
            Some(_) => Err(ApiError::bad_request("this channel is not supported by the emulator; use `push` or `app`")),
            None => Err(ApiError::bad_request("unknown `channel`; expected push, app, sms, fido2 or recovery")),
        },
    }
}

/// The existing user a body names: 400 if it names none or two different users, 404 if the
/// user does not exist.
fn find_user(world: &World, who: &UserRef) -> Result<Uuid, ApiError> {
    match (who.user_id, &who.username) {
        (None, None) => Err(ApiError::bad_request("`username` or `userId` is required")),
        (Some(user_id), username) => {
            let user = world.user(user_id).ok_or_else(|| ApiError::not_found("no user with this userId"))?;
            match username {
                Some(name) if user.username.as_ref() != Some(name) => {
                    Err(ApiError::bad_request("`username` and `userId` name different users"))
                }
                _ => Ok(user_id),
            }
        }
        (None, Some(username)) => {
            world.user_id_by_username(username).ok_or_else(|| ApiError::not_found("no user with this username"))
        }
    }
}

/// The user of an approval authorised by an intent token: the body may omit the user (the
/// intent's is used) but may not name another one (403), nor use another operation or a
/// channel the intent does not allow (403).
fn user_for_intent(world: &World, mut who: UserRef, intent: &Intent, channel: Channel) -> Result<Uuid, ApiError> {
    if intent.operation != Operation::Approve {
        return Err(ApiError::forbidden("this intent token is not for approve"));
    }
    if intent.channels.as_ref().is_some_and(|allowed| !allowed.contains(&channel)) {
        return Err(ApiError::forbidden("this intent token does not allow this channel"));
    }
    if who.user_id.is_none() && who.username.is_none() {
        who.user_id = intent.user_id;
    }
    let user_id = find_user(world, &who)?;
    if intent.user_id != Some(user_id) {
        return Err(ApiError::forbidden("this intent token was issued for another user"));
    }
    Ok(user_id)
}
