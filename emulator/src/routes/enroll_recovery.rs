//! `POST /api/v1/users/enroll` with `"channel": "recovery"`: a new set of recovery codes for
//! the user, shown in this answer only (the emulator keeps their SHA-256 hashes).

use std::time::SystemTime;

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;

use crate::app::Shared;
use crate::auth::Caller;
use crate::errors::ApiError;
use crate::recovery;
use crate::state::{Channel, UserRef};
use crate::time::iso8601;
use crate::wire::RecoveryCodesResponse;

use super::enroll::{authorised_target, require_named_user, spend_intent};

/// Issues the codes → 201 `{"userId", "username", "recoveryCodes": [10 codes], "createdAt"}`,
/// replacing any previous set. No transaction, no status token. The user is created if the
/// `username` names nobody yet; an unknown `userId` is 404.
pub(super) fn enroll(shared: &Shared, caller: Caller, who: UserRef, now: SystemTime) -> Result<Response, ApiError> {
    require_named_user(caller, &who)?;
    let codes = recovery::new_codes(&mut rand::rng());
    let hashes = codes.iter().map(|code| recovery::hash(code)).collect();
    let response = {
        let mut world = shared.state();
        let target = authorised_target(&world, caller, who, Channel::Recovery, now)?;
        let user_id = world.set_recovery_codes(target, hashes, now);
        spend_intent(&mut world, caller);
        let user = world.user(user_id).ok_or_else(|| ApiError::internal("the user vanished"))?;
        RecoveryCodesResponse {
            user_id,
            username: user.username.clone(),
            recovery_codes: codes,
            created_at: iso8601(user.created_at),
        }
    };
    Ok((StatusCode::CREATED, Json(response)).into_response())
}
