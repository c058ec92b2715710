//! `POST /api/v1/users/enroll` with `"channel": "sms"`: register a phone number. The emulator
//! "sends" an SMS with a fresh code (into its outbox, `GET /_emulator/sms`) and starts a
//! pending transaction that the code confirms (`POST /api/v1/users/{userId}/verification`).

use std::time::SystemTime;

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Map, Value};

use crate::app::Shared;
use crate::auth::Caller;
use crate::body;
use crate::errors::ApiError;
use crate::sms;
use crate::state::{Channel, SmsEnrollment, UserRef};
use crate::wire::EnrollmentJson;

use super::enroll::{authorised_target, enroll_response, require_named_user, spend_intent};
use super::new_transaction::issue_tokens;

/// Starts an SMS enrollment → 201 with the app enrollment's shape but no `qrCode` and
/// `appLinkUri`. Checks, in order: `phone`, `message`, a user named (400 each), then the
/// user and the intent token as for `app`, then the user's SMS rate limit (429: nothing is
/// created or sent, and an intent token is not spent).
pub(super) fn enroll(
    shared: &Shared,
    caller: Caller,
    object: &Map<String, Value>,
    who: UserRef,
    now: SystemTime,
) -> Result<Response, ApiError> {
    let phone = match body::optional_str(object, "phone")? {
        None => return Err(ApiError::bad_request("`phone` is required for the sms channel")),
        Some(phone) if !sms::valid_phone(phone) => {
            return Err(ApiError::bad_request(
                "`phone` must be in international format: `+`, then 2 to 15 digits, the first not 0",
            ));
        }
        Some(phone) => phone.to_owned(),
    };
    let template = match body::optional_str(object, "message")? {
        None => sms::DEFAULT_MESSAGE,
        Some(message) => {
            sms::check_message(message).map_err(ApiError::bad_request)?;
            message
        }
    };
    require_named_user(caller, &who)?;
    let code = sms::new_code(&mut rand::rng());
    let sms = SmsEnrollment { phone, text: sms::render(template, &code), code };

    let (user, transaction_id, tokens) = {
        let mut world = shared.state();
        let target = authorised_target(&world, caller, who, Channel::Sms, now)?;
        let (user_id, transaction_id) =
            world.begin_sms_enrollment(target, sms, shared.timing(now)).map_err(|retry_after| {
                ApiError::too_many_requests(
                    "the user's SMS rate limit is reached; nothing was sent, try again later",
                    retry_after,
                )
            })?;
        spend_intent(&mut world, caller);
        let tokens = issue_tokens(shared, &mut world, transaction_id)?;
        let user = world.user(user_id).cloned().ok_or_else(|| ApiError::internal("the user vanished"))?;
        (user, transaction_id, tokens)
    };
    let enrollment =
        EnrollmentJson { transaction_id, status_token: tokens.status_token, qr_code: None, app_link_uri: None };
    Ok((StatusCode::CREATED, Json(enroll_response(user, enrollment))).into_response())
}
