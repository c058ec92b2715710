//! Who is calling: the access key, an intent token, or nobody acceptable.
//!
//! A missing or unrecognised credential is 401; a genuine intent token on an endpoint that
//! needs the access key is 403 (it is valid, just not allowed there).

use std::time::SystemTime;

use http::{HeaderMap, header};
use uuid::Uuid;

use crate::app::Shared;
use crate::errors::ApiError;
use crate::state::{Channel, Intent, Operation, State};
use crate::tokens::TokenKind;

/// An authenticated caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    /// The instance's access key: full access.
    AccessKey,
    /// An unused, unexpired intent token, known by its `jti`.
    Intent { jti: Uuid },
}

/// The credential of `Authorization: Bearer <credential>`, or 401.
pub(crate) fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing Authorization header"))?
        .to_str()
        .map_err(|_| ApiError::unauthorized("malformed Authorization header"))?;
    let (scheme, credential) =
        value.split_once(' ').ok_or_else(|| ApiError::unauthorized("Authorization must be `Bearer <access key>`"))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::unauthorized("Authorization must use the Bearer scheme"));
    }
    let credential = credential.trim();
    if credential.is_empty() {
        return Err(ApiError::unauthorized("empty Bearer credential"));
    }
    Ok(credential)
}

/// Accepts the access key or a usable intent token; anything else is 401.
pub(crate) fn authenticate(shared: &Shared, headers: &HeaderMap, now: SystemTime) -> Result<Caller, ApiError> {
    let credential = bearer(headers)?;
    if shared.is_access_key(credential) {
        return Ok(Caller::AccessKey);
    }
    let intent_jti =
        shared.tokens.verify(credential).filter(|claims| claims.kind == TokenKind::Intent).map(|claims| claims.jti);
    if let Some(jti) = intent_jti {
        usable_intent(&shared.state(), jti, now)?;
        return Ok(Caller::Intent { jti });
    }
    Err(ApiError::unauthorized("invalid access key or token"))
}

/// The record of an intent token that may still be used at `now`, or 401.
///
/// [`authenticate`] checks this already, but a route asks again under the lock it starts its
/// transaction under, so that two requests cannot spend the same token.
pub(crate) fn usable_intent(world: &State, jti: Uuid, now: SystemTime) -> Result<&Intent, ApiError> {
    world
        .intent(jti)
        .filter(|intent| intent.usable(now))
        .ok_or_else(|| ApiError::unauthorized("the intent token was already used or has expired"))
}

/// The record of an intent token that may still be used at `now` (401 otherwise) for
/// `operation` over `channel` (403 otherwise).
pub(crate) fn intent_allowing(
    world: &State,
    jti: Uuid,
    now: SystemTime,
    operation: Operation,
    channel: Channel,
) -> Result<&Intent, ApiError> {
    let intent = usable_intent(world, jti, now)?;
    if intent.operation != operation {
        return Err(ApiError::forbidden(format!("this intent token is not for {}", operation.as_str())));
    }
    if intent.channels.as_ref().is_some_and(|allowed| !allowed.contains(&channel)) {
        return Err(ApiError::forbidden("this intent token does not allow this channel"));
    }
    Ok(intent)
}

/// Accepts only the access key: an intent token is 403, anything else 401.
pub(crate) fn require_access_key(shared: &Shared, headers: &HeaderMap, now: SystemTime) -> Result<(), ApiError> {
    match authenticate(shared, headers, now)? {
        Caller::AccessKey => Ok(()),
        Caller::Intent { .. } => {
            Err(ApiError::forbidden("this endpoint needs the access key; an intent token is not allowed here"))
        }
    }
}
