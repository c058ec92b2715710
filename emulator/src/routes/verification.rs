//! `POST /api/v1/users/{userId}/verification`: check a code the user typed — the SMS code of
//! a pending SMS enrollment or SMS approval (`{"code", "statusToken"}`), or one of the user's
//! recovery codes (`{"code", "channel": "recovery"}`).
//!
//! A code is a secret: no answer repeats it, and the request log never holds bodies.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::HeaderMap;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::app::Shared;
use crate::auth::{Caller, authenticate, usable_intent};
use crate::body;
use crate::errors::ApiError;
use crate::recovery;
use crate::state::{Channel, RecoveryCheck, SmsCodeError, State as World};
use crate::tokens::TokenKind;

/// The answer to a wrong code, a used recovery code and the code that fails an SMS
/// transaction alike: nothing tells them apart.
const NOT_CORRECT: &str = "the code is not correct";

/// The answer to a status token that names no pending SMS transaction of this user.
const INVALID_STATUS_TOKEN: &str = "invalid statusToken";

/// What the body asks to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check<'a> {
    /// An SMS code for the transaction of this status token.
    Sms { status_token: &'a str },
    /// A recovery code of the user.
    Recovery,
}

/// What the code is compared with, prepared before taking the lock.
enum Against {
    /// The SMS transaction a status token names (`None`: not a status token of ours).
    SmsTransaction(Option<Uuid>),
    /// The user's recovery codes: the candidate's hash.
    RecoveryCodes([u8; 32]),
}

impl Check<'_> {
    fn channel(self) -> Channel {
        match self {
            Check::Sms { .. } => Channel::Sms,
            Check::Recovery => Channel::Recovery,
        }
    }
}

/// Handles `POST /api/v1/users/{userId}/verification` (Bearer access key, or an intent token
/// for `enroll` or `approve` of this user) → 200 `{}` when the code is right.
///
/// Checks, in order: credential (401), body format (415/400), fields (400), the intent
/// token's channels (403), the user (404), the intent token's user (403), then the code:
/// 400 (wrong or used, or a status token of no pending SMS transaction of this user), 429
/// (recovery codes after too many failures). An intent token is spent only by a 200.
pub(crate) async fn verification(
    State(shared): State<Arc<Shared>>,
    Path(user_id): Path<String>,
    headers: HeaderMap,
    request_body: Bytes,
) -> Result<Response, ApiError> {
    let now = SystemTime::now();
    let caller = authenticate(&shared, &headers, now)?;
    let object = body::json_object(&headers, &request_body)?;
    let (code, check) = request(&object)?;
    let user_id = Uuid::parse_str(&user_id).ok();

    // Outside the lock: verifying a JWT takes a moment.
    let against = match check {
        Check::Sms { status_token } => Against::SmsTransaction(
            shared
                .tokens
                .verify_ignoring_expiry(status_token)
                .filter(|claims| claims.kind == TokenKind::Status)
                .and_then(|claims| claims.tid),
        ),
        Check::Recovery => Against::RecoveryCodes(recovery::hash(code)),
    };

    let mut world = shared.state();
    check_intent(&world, caller, check.channel(), now)?;
    let user_id = user_id
        .filter(|user_id| world.user(*user_id).is_some())
        .ok_or_else(|| ApiError::not_found("no user with this userId"))?;
    check_intent_user(&world, caller, user_id)?;

    match against {
        Against::SmsTransaction(transaction_id) => {
            let transaction_id = transaction_id.ok_or_else(|| ApiError::bad_request(INVALID_STATUS_TOKEN))?;
            world.verify_sms_code(user_id, transaction_id, code, now).map_err(|err| match err {
                SmsCodeError::NoSuchTransaction => ApiError::bad_request(INVALID_STATUS_TOKEN),
                SmsCodeError::WrongCode => ApiError::bad_request(NOT_CORRECT),
                SmsCodeError::NoRoom => {
                    ApiError::bad_request("the user already has the most authenticators allowed (10)")
                }
            })?;
        }
        Against::RecoveryCodes(candidate) => match world.check_recovery_code(user_id, &candidate, now) {
            Some(RecoveryCheck::Accepted) => {}
            Some(RecoveryCheck::Rejected) => return Err(ApiError::bad_request(NOT_CORRECT)),
            Some(RecoveryCheck::Limited { retry_after }) => {
                return Err(ApiError::too_many_requests(
                    "too many wrong recovery codes for this user; try again later",
                    retry_after,
                ));
            }
            None => return Err(ApiError::not_found("no user with this userId")),
        },
    }
    if let Caller::Intent { jti } = caller {
        world.consume_intent(jti);
    }
    drop(world);
    Ok(Json(json!({})).into_response())
}

/// Reads the body: `code` (a non-empty string) and what to check it against:
/// `"channel": "recovery"` (a `statusToken` is then ignored), else a `statusToken` (with an
/// optional `"channel": "sms"`).
fn request(object: &Map<String, Value>) -> Result<(&str, Check<'_>), ApiError> {
    let code = match object.get("code") {
        None | Some(Value::Null) => return Err(ApiError::bad_request("`code` is required")),
        Some(Value::String(code)) if code.is_empty() => return Err(ApiError::bad_request("`code` must not be empty")),
        Some(Value::String(code)) => code.as_str(),
        Some(_) => return Err(ApiError::bad_request("`code` must be a string")),
    };
    let channel = match body::optional_str(object, "channel")? {
        None => None,
        Some(word) => match Channel::parse(word) {
            Some(channel @ (Channel::Sms | Channel::Recovery)) => Some(channel),
            Some(_) => return Err(ApiError::bad_request("a verification's `channel` must be `sms` or `recovery`")),
            None => return Err(ApiError::bad_request("unknown `channel`; expected sms or recovery")),
        },
    };
    let status_token = body::optional_str(object, "statusToken")?.filter(|token| !token.is_empty());
    match (channel, status_token) {
        (Some(Channel::Recovery), _) => Ok((code, Check::Recovery)),
        (_, Some(status_token)) => Ok((code, Check::Sms { status_token })),
        (_, None) => Err(ApiError::bad_request(
            "`statusToken` (for an SMS code) or `\"channel\": \"recovery\"` (for a recovery code) is required",
        )),
    }
}

/// With an intent token: usable (401), for `enroll` or `approve`, and allowing `channel` if
/// it names channels (403; `recovery` is never among them).
fn check_intent(world: &World, caller: Caller, channel: Channel, now: SystemTime) -> Result<(), ApiError> {
    let Caller::Intent { jti } = caller else {
        return Ok(());
    };
    let intent = usable_intent(world, jti, now)?;
    if intent.channels.as_ref().is_some_and(|allowed| !allowed.contains(&channel)) {
        return Err(ApiError::forbidden("this intent token does not allow this channel"));
    }
    Ok(())
}

/// With an intent token: issued for this user, by id or (minted before the user existed) by
/// its username (403 otherwise).
fn check_intent_user(world: &World, caller: Caller, user_id: Uuid) -> Result<(), ApiError> {
    let Caller::Intent { jti } = caller else {
        return Ok(());
    };
    let username = world.user(user_id).and_then(|user| user.username.as_ref());
    let bound = world.intent(jti).is_some_and(|intent| match intent.user_id {
        Some(bound_id) => bound_id == user_id,
        None => intent.username.is_some() && intent.username.as_ref() == username,
    });
    if !bound {
        return Err(ApiError::forbidden("this intent token was issued for another user"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: Value) -> Result<Check<'static>, u16> {
        let object = Box::leak(Box::new(value.as_object().cloned().unwrap_or_default()));
        request(object).map(|(_, check)| check).map_err(|err| err.status.as_u16())
    }

    #[test]
    fn bodies() {
        assert_eq!(parse(json!({"code": "1", "statusToken": "t"})), Ok(Check::Sms { status_token: "t" }));
        assert_eq!(
            parse(json!({"code": "1", "statusToken": "t", "channel": "sms"})),
            Ok(Check::Sms { status_token: "t" })
        );
        assert_eq!(parse(json!({"code": "1", "channel": "recovery"})), Ok(Check::Recovery));
        assert_eq!(parse(json!({"code": "1", "channel": "recovery", "statusToken": "t"})), Ok(Check::Recovery));
        for bad in [
            json!({}),
            json!({"code": ""}),
            json!({"code": null, "statusToken": "t"}),
            json!({"code": 123456, "statusToken": "t"}),
            json!({"code": "1"}),
            json!({"code": "1", "channel": "sms"}),
            json!({"code": "1", "statusToken": ""}),
            json!({"code": "1", "statusToken": 5}),
            json!({"code": "1", "channel": "app", "statusToken": "t"}),
            json!({"code": "1", "channel": "pigeon"}),
        ] {
            assert_eq!(parse(bad.clone()), Err(400), "{bad}");
        }
    }
}
