//! `POST /api/v1/introspect`: is this token genuine and active? (RFC 7662 style, access key
//! only, form-encoded `token=…`.)

use std::sync::Arc;
use std::time::SystemTime;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::HeaderMap;
use serde_json::json;

use crate::app::Shared;
use crate::auth::require_access_key;
use crate::body;
use crate::config::IatUnit;
use crate::errors::ApiError;
use crate::state::TransactionStatus;
use crate::time::epoch_millis;
use crate::tokens::{AUDIENCE, Claims, TokenKind};
use crate::wire::IntrospectActive;

/// Handles `POST /api/v1/introspect`.
///
/// Every token is checked for signature and expiry, then for what it stands for:
/// a transaction token is active only once its transaction `succeeded`; a status token while
/// its transaction is within its deadline; an intent token until used or expired; the access
/// key itself is always active. Anything else is `{"active": false}`.
pub(crate) async fn introspect(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    request_body: Bytes,
) -> Result<Response, ApiError> {
    let now = SystemTime::now();
    require_access_key(&shared, &headers, now)?;
    let pairs = body::form(&headers, &request_body)?;
    let token = body::form_value(&pairs, "token")
        .filter(|token| !token.is_empty())
        .ok_or_else(|| ApiError::bad_request("the form field `token` is required"))?;

    let unit = shared.config.iat_unit;
    if shared.is_access_key(token) {
        return Ok(Json(IntrospectActive {
            active: true,
            iat: epoch_in(unit, shared.started_at),
            sub: shared.instance_id.to_string(),
            aud: AUDIENCE,
            iss: shared.tokens.issuer().to_owned(),
            exp: None,
            jti: None,
            scope: "api".to_owned(),
        })
        .into_response());
    }
    let active =
        shared.tokens.verify(token).and_then(|claims| active_sub(&shared, &claims, now).map(|sub| (claims, sub)));
    Ok(match active {
        Some((claims, sub)) => Json(IntrospectActive {
            active: true,
            iat: seconds_in(unit, claims.iat),
            sub,
            aud: AUDIENCE,
            iss: claims.iss,
            exp: Some(seconds_in(unit, claims.exp)),
            jti: Some(claims.jti),
            scope: claims.scope,
        })
        .into_response(),
        None => Json(json!({ "active": false })).into_response(),
    })
}

/// A time in the configured unit (the access key's "issued" time is the emulator's start).
fn epoch_in(unit: IatUnit, at: SystemTime) -> u64 {
    let millis = epoch_millis(at);
    match unit {
        IatUnit::Milliseconds => millis,
        IatUnit::Seconds => millis / 1000,
    }
}

/// A JWT claim (whole seconds) in the configured unit.
fn seconds_in(unit: IatUnit, seconds: u64) -> u64 {
    match unit {
        IatUnit::Milliseconds => seconds.saturating_mul(1000),
        IatUnit::Seconds => seconds,
    }
}

/// The `sub` of a genuine, unexpired token that still stands for something live, or `None`
/// when it does not. A transaction's tokens name its user as it is now: a usernameless
/// approval's, minted without one, name the user that approved it.
fn active_sub(shared: &Shared, claims: &Claims, now: SystemTime) -> Option<String> {
    let mut world = shared.state();
    let transaction = match (claims.kind, claims.tid) {
        (TokenKind::Transaction, Some(tid)) => {
            world.settle(tid, now);
            world.transaction(tid).filter(|transaction| transaction.status == TransactionStatus::Succeeded)
        }
        (TokenKind::Status, Some(tid)) => world.transaction(tid).filter(|transaction| now < transaction.expires_at),
        (TokenKind::Intent, _) => {
            return world.intent(claims.jti).filter(|intent| intent.usable(now)).map(|_| claims.sub.clone());
        }
        // A status or transaction token without its transaction id is not one we minted.
        _ => None,
    }?;
    Some(transaction.user_id.map_or_else(|| claims.sub.clone(), |user_id| user_id.to_string()))
}
