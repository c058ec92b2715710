//! Who is calling: the access key, an intent token, or nobody acceptable.
//!
//! A missing or unrecognised credential is 401; a genuine intent token on an endpoint that
//! needs the access key is 403 (it is valid, just not allowed there).

use std::time::SystemTime;

use http::{HeaderMap, header};
use uuid::Uuid;

use crate::app::Shared;
use crate::errors::ApiError;
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
        let usable = shared.state().intent(jti).is_some_and(|intent| intent.usable(now));
        if usable {
            return Ok(Caller::Intent { jti });
        }
        return Err(ApiError::unauthorized("the intent token was already used or has expired"));
    }
    Err(ApiError::unauthorized("invalid access key or token"))
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
