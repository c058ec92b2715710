//! `POST /api/v1/approval`: ask one of a user's registered authenticators to confirm (a login):
//! by push notification or by a QR code / app link the user opens with the app (`app`; with no
//! user named, a usernameless approval whichever user's app approves), or by a code sent by
//! SMS to the user's registered phone (`sms`), typed back through the verification endpoint.

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
use crate::auth::{Caller, authenticate, intent_allowing};
use crate::body;
use crate::errors::ApiError;
use crate::message::{self, MAX_NOTIFICATION_CHARS};
use crate::sms;
use crate::state::{
    ApprovalError, ApprovalRequest, AuthenticatorChoice, Channel, Intent, Operation, SmsText, State as World, UserRef,
};
use crate::wire::ApprovalResponse;

use super::new_transaction::{app_link, issue_tokens};

/// Handles `POST /api/v1/approval` (Bearer access key or approve intent token) → 200
/// `{"transactionId", "statusToken"}`, plus `qrCode` and `appLinkUri` for the `app` channel.
///
/// Checks, in order: credential (401), body format (415/400), every field (400), a user named
/// (400; with the access key an `app` approval without one is usernameless), the intent
/// token's operation and channels (403), the user (404 / 400), the intent token's user (403),
/// the user's authenticators (400 none, 404 not this one), the rate limit (429).
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
    let who = body::user_ref(&object)?;
    let no_user = who.user_id.is_none() && who.username.is_none();
    let usernameless = caller == Caller::AccessKey && no_user && channel == Channel::App;
    if usernameless && matches!(request.authenticator, Some(AuthenticatorChoice::One(_))) {
        return Err(ApiError::bad_request(
            "a usernameless approval (no `username` or `userId`) cannot name an authenticator; use `*` or leave it out",
        ));
    }

    let (transaction_id, tokens) = {
        let mut world = shared.state();
        if usernameless {
            let transaction_id = world.begin_usernameless_approval(request, shared.timing(now));
            (transaction_id, issue_tokens(&shared, &mut world, transaction_id)?)
        } else {
            let user_id = match caller {
                Caller::AccessKey => find_user(&world, &who)?,
                Caller::Intent { jti } => {
                    let intent = intent_allowing(&world, jti, now, Operation::Approve, channel)?;
                    user_for_intent(&world, who, intent)?
                }
            };
            let transaction_id =
                world.begin_approval(user_id, request, shared.timing(now)).map_err(|err| refused(err, channel))?;
            if let Caller::Intent { jti } = caller {
                world.consume_intent(jti);
            }
            (transaction_id, issue_tokens(&shared, &mut world, transaction_id)?)
        }
    };

    // Outside the lock: rendering the QR code is slow.
    let (app_link_uri, qr_code) = if channel == Channel::App {
        let (app_link_uri, qr_code) = app_link(&shared, &tokens.dispatch_token)?;
        (Some(app_link_uri), Some(qr_code))
    } else {
        (None, None)
    };
    let response = ApprovalResponse { transaction_id, status_token: tokens.status_token, qr_code, app_link_uri };
    Ok(Json(response).into_response())
}

/// The answer to an approval the state refused.
fn refused(err: ApprovalError, channel: Channel) -> ApiError {
    match err {
        ApprovalError::UnknownUser => ApiError::not_found("no user with this userId"),
        ApprovalError::NoAuthenticator => ApiError::bad_request("the user has no authenticator"),
        ApprovalError::NoPhone => ApiError::bad_request("the user has no phone registered for SMS"),
        ApprovalError::UnknownAuthenticator => {
            ApiError::not_found("the user has no authenticator with this authenticatorId")
        }
        ApprovalError::RateLimited { retry_after } => {
            let message = if channel == Channel::Sms {
                "the user's SMS rate limit is reached; nothing was sent, try again later"
            } else {
                "the user's push rate limit is reached; nothing was sent, try again later"
            };
            ApiError::too_many_requests(message, retry_after)
        }
    }
}

/// Reads and checks everything in the body but the user.
fn approval_request(object: &Map<String, Value>) -> Result<ApprovalRequest, ApiError> {
    let channel = channel(object)?;
    let authenticator = authenticator(object, channel)?;
    if channel == Channel::Sms {
        sms_request(object, authenticator)
    } else {
        app_request(object, channel, authenticator)
    }
}

/// The fields of an SMS approval: `prompt: true` and `notificationMessage` belong to the app
/// and are refused; `message` is the SMS text (the SMS enrollment's rules, default text
/// without it), sent with a fresh code.
fn sms_request(
    object: &Map<String, Value>,
    authenticator: Option<AuthenticatorChoice>,
) -> Result<ApprovalRequest, ApiError> {
    if body::optional_bool(object, "prompt")? == Some(true) {
        return Err(ApiError::bad_request("`prompt` is not supported for the sms channel (it is the app's)"));
    }
    if body::optional_str(object, "notificationMessage")?.is_some() {
        return Err(ApiError::bad_request(
            "`notificationMessage` is not supported for the sms channel (the `message` is the SMS)",
        ));
    }
    let template = match body::optional_str(object, "message")? {
        None => sms::DEFAULT_MESSAGE,
        Some(message) => {
            sms::check_message(message).map_err(ApiError::bad_request)?;
            message
        }
    };
    let code = sms::new_code(&mut rand::rng());
    let text = SmsText { text: sms::render(template, &code), code };
    Ok(ApprovalRequest {
        channel: Channel::Sms,
        authenticator,
        prompt: false,
        message: None,
        notification_message: None,
        sms: Some(text),
    })
}

/// The `authenticatorId` field: a UUID, or `*` (any app authenticator: `app` channel only).
fn authenticator(object: &Map<String, Value>, channel: Channel) -> Result<Option<AuthenticatorChoice>, ApiError> {
    Ok(match body::optional_str(object, "authenticatorId")? {
        None => None,
        Some("*") if channel == Channel::App => Some(AuthenticatorChoice::Any),
        Some("*") => {
            return Err(ApiError::bad_request("`authenticatorId` `*` (any authenticator) needs the `app` channel"));
        }
        Some(id) => Some(AuthenticatorChoice::One(
            Uuid::parse_str(id).map_err(|_| ApiError::bad_request("`authenticatorId` must be a UUID or `*`"))?,
        )),
    })
}

/// The fields of a push or app approval (`prompt`, `message`, `notificationMessage`).
fn app_request(
    object: &Map<String, Value>,
    channel: Channel,
    authenticator: Option<AuthenticatorChoice>,
) -> Result<ApprovalRequest, ApiError> {
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
    Ok(ApprovalRequest { channel, authenticator, prompt, message, notification_message, sms: None })
}

/// The `channel` field: `push` by default, `app` or `sms`; the vendor's other channels are
/// known but not emulated for approvals.
fn channel(object: &Map<String, Value>) -> Result<Channel, ApiError> {
    match body::optional_str(object, "channel")? {
        None => Ok(Channel::Push),
        Some(word) => match Channel::parse(word) {
            Some(channel @ (Channel::Push | Channel::App | Channel::Sms)) => Ok(channel),
            Some(_) => {
                Err(ApiError::bad_request("this channel is not supported by the emulator; use `push`, `app` or `sms`"))
            }
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

/// The user of an approval authorised by an intent token (already checked for the operation
/// and the channel): the body may omit the user (the intent's is used) but may not name
/// another one (403).
fn user_for_intent(world: &World, mut who: UserRef, intent: &Intent) -> Result<Uuid, ApiError> {
    if who.user_id.is_none() && who.username.is_none() {
        who.user_id = intent.user_id;
    }
    let user_id = find_user(world, &who)?;
    if intent.user_id != Some(user_id) {
        return Err(ApiError::forbidden("this intent token was issued for another user"));
    }
    Ok(user_id)
}
