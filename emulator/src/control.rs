//! The control API under `/_emulator/`: not part of the vendor API, but test tooling. It
//! plays the user's phone (lists pending approvals, approves / denies — as a chosen user for
//! a usernameless approval —, shows the SMS it received, turns push notifications off), sets
//! the rate limits, seeds the event log, injects faults, shows the request log and resets.
//!
//! Every control request carries [`CONTROL_HEADER`]`: 1`. A page the developer happens to
//! visit can post a form or fire an image request at `http://127.0.0.1:PORT/…` from any site,
//! but it cannot add a custom header without a CORS preflight, which these routes never
//! grant: so no web page can approve a pending login or reset the emulator behind the
//! developer's back. Bound beyond loopback, where other machines can reach the port, the
//! access key is required as Bearer too.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};

use crate::app::Shared;
use crate::auth;
use crate::body;
use crate::errors::{ApiError, EmulatorError};
use crate::faults::Fault;
use crate::state::{RateLimit, RateLimits};
use crate::wire::{PendingApprovalJson, SentSmsJson};

/// The header every control request carries, with the value `1`.
pub const CONTROL_HEADER: &str = "x-emulator-control";

/// The control routes, each behind [`require_control_caller`] (a `route_layer`, so unknown
/// paths and wrong methods still get the usual 404 / 405).
pub(crate) fn routes(shared: Arc<Shared>) -> Router<Arc<Shared>> {
    Router::new()
        .route("/_emulator/transactions/{transactionId}/approve", post(approve))
        .route("/_emulator/transactions/{transactionId}/deny", post(deny))
        .route("/_emulator/users/{userId}/approvals", get(pending_approvals))
        .route("/_emulator/sms", get(sms_outbox))
        .route("/_emulator/users/{userId}/sms", get(user_sms))
        .route("/_emulator/authenticators/{authenticatorId}/push-notifications", put(push_notifications))
        .route("/_emulator/rate-limits", put(rate_limits))
        .route("/_emulator/logs/seed", post(seed_logs))
        .route("/_emulator/faults", get(list_faults).post(add_fault).delete(clear_faults))
        .route("/_emulator/requests", get(requests))
        .route("/_emulator/reset", post(reset))
        .route_layer(middleware::from_fn_with_state(shared, require_control_caller))
}

/// Lets a request through only with `X-Emulator-Control: 1` (403 otherwise) and, when the
/// emulator listens beyond loopback, the access key as Bearer (401 otherwise).
async fn require_control_caller(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    match check_control_caller(&shared, request.headers()) {
        Ok(()) => next.run(request).await,
        Err(refused) => refused.into_response(),
    }
}

fn check_control_caller(shared: &Shared, headers: &HeaderMap) -> Result<(), ApiError> {
    if headers.get(CONTROL_HEADER).is_none_or(|value| value.as_bytes() != b"1") {
        return Err(ApiError::forbidden(
            "the control API needs the header `X-Emulator-Control: 1` (a web page cannot send it cross-site)",
        ));
    }
    if !shared.local_addr.ip().is_loopback() && !shared.is_access_key(auth::bearer(headers)?) {
        return Err(ApiError::unauthorized(
            "beyond loopback the control API needs the access key as `Authorization: Bearer …`",
        ));
    }
    Ok(())
}

/// `POST /_emulator/transactions/{transactionId}/approve`, optionally with
/// `{"userId": "…"}` (required for a usernameless approval: the user that approves it; for
/// any other transaction it must be the transaction's user) → `{"transactionId", "status"}`.
async fn approve(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    request_body: Bytes,
) -> Result<Response, ApiError> {
    let object = body::json_object(&headers, &request_body)?;
    let outcome = match body::optional_str(&object, "userId")? {
        Some(user_id) => shared.approve_as(&id, user_id),
        None => shared.decide(&id, true),
    };
    decided(&id, outcome)
}

/// `POST /_emulator/transactions/{transactionId}/deny` → `{"transactionId", "status"}`.
async fn deny(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Result<Response, ApiError> {
    decided(&id, shared.decide(&id, false))
}

/// The answer to a decision: 200 with the new status; 404 unknown transaction; 409 finished
/// or decided by its code; 400 for the approving user (missing, not the transaction's, unknown
/// or without an app).
fn decided(
    transaction_id: &str,
    outcome: Result<crate::state::TransactionStatus, EmulatorError>,
) -> Result<Response, ApiError> {
    match outcome {
        Ok(status) => Ok(Json(json!({ "transactionId": transaction_id, "status": status })).into_response()),
        Err(EmulatorError::NotPending(status)) => {
            Err(ApiError::conflict(format!("the transaction is already {status}")))
        }
        Err(EmulatorError::DecidedByCode) => Err(ApiError::conflict(
            "an SMS transaction is decided by its code (POST /api/v1/users/{userId}/verification), not by the phone",
        )),
        Err(EmulatorError::NeedsApprovingUser) => {
            Err(ApiError::bad_request("a usernameless approval needs the approving user: send {\"userId\": \"…\"}"))
        }
        Err(EmulatorError::NotTheTransactionsUser) => {
            Err(ApiError::bad_request("`userId` is not the transaction's user"))
        }
        Err(EmulatorError::UnknownUser) => Err(ApiError::bad_request("`userId` names no user")),
        Err(EmulatorError::NoAppAuthenticator) => {
            Err(ApiError::bad_request("the user has no app authenticator to approve with"))
        }
        Err(_) => Err(ApiError::not_found("unknown transaction")),
    }
}

/// `PUT /_emulator/authenticators/{authenticatorId}/push-notifications` with
/// `{"disabled": true | false}` → 204; 404 no app authenticator with this id.
async fn push_notifications(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    request_body: Bytes,
) -> Result<Response, ApiError> {
    let object = body::json_object(&headers, &request_body)?;
    let disabled = body::optional_bool(&object, "disabled")?
        .ok_or_else(|| ApiError::bad_request("`disabled` (a boolean) is required"))?;
    shared
        .set_push_notifications_disabled(&id, disabled)
        .map_err(|_| ApiError::not_found("no app authenticator with this authenticatorId"))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PUT /_emulator/rate-limits` with `{"push": {"max": 3, "periodMs": 60000} | null,
/// "sms": … | null}` (absent = `null` = no limit) → 204.
async fn rate_limits(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    request_body: Bytes,
) -> Result<Response, ApiError> {
    let object = body::json_object(&headers, &request_body)?;
    let limits = RateLimits { push: rate_limit(&object, "push")?, sms: rate_limit(&object, "sms")? };
    shared.set_rate_limits(limits);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// One channel's limit: `null` / absent, or `{"max": 0..=4294967295, "periodMs": ≥ 0}`.
fn rate_limit(object: &Map<String, Value>, field: &'static str) -> Result<Option<RateLimit>, ApiError> {
    let invalid = || {
        ApiError::bad_request(format!(
            "`{field}` must be null or {{\"max\": a whole number, \"periodMs\": a whole number of milliseconds}}"
        ))
    };
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(limit)) => {
            let max = limit.get("max").and_then(Value::as_u64).and_then(|max| u32::try_from(max).ok());
            let period = limit.get("periodMs").and_then(Value::as_u64).map(Duration::from_millis);
            match (max, period) {
                (Some(max), Some(period)) => Ok(Some(RateLimit { max, period })),
                _ => Err(invalid()),
            }
        }
        Some(_) => Err(invalid()),
    }
}

/// `POST /_emulator/logs/seed` with `{"count": N}` → 204: N synthetic events in the log.
async fn seed_logs(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    request_body: Bytes,
) -> Result<Response, ApiError> {
    let object = body::json_object(&headers, &request_body)?;
    let count = object
        .get("count")
        .and_then(Value::as_u64)
        .and_then(|count| u32::try_from(count).ok())
        .ok_or_else(|| ApiError::bad_request("`count` (a whole number) is required"))?;
    shared.seed_log_events(count);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /_emulator/users/{userId}/approvals` → the user's pending approvals, oldest first;
/// 404 for an unknown or malformed user id.
async fn pending_approvals(State(shared): State<Arc<Shared>>, Path(user_id): Path<String>) -> Response {
    match shared.pending_approvals(&user_id) {
        Some(pending) => Json(pending.into_iter().map(PendingApprovalJson::from).collect::<Vec<_>>()).into_response(),
        None => ApiError::not_found("no user with this userId").into_response(),
    }
}

/// `GET /_emulator/sms` → every SMS sent, oldest first, each with its code.
async fn sms_outbox(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.sms_messages().into_iter().map(SentSmsJson::from).collect::<Vec<_>>()).into_response()
}

/// `GET /_emulator/users/{userId}/sms` → the SMS sent to the user, oldest first; 404 for an
/// unknown or malformed user id.
async fn user_sms(State(shared): State<Arc<Shared>>, Path(user_id): Path<String>) -> Response {
    match shared.sms_of(&user_id) {
        Some(messages) => Json(messages.into_iter().map(SentSmsJson::from).collect::<Vec<_>>()).into_response(),
        None => ApiError::not_found("no user with this userId").into_response(),
    }
}

/// `GET /_emulator/faults` → the pending faults, oldest first, with remaining counts.
async fn list_faults(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.faults().list()).into_response()
}

/// `POST /_emulator/faults` with a fault as JSON → 200 with the fault as queued.
async fn add_fault(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    request_body: Bytes,
) -> Result<Response, ApiError> {
    let object = body::json_object(&headers, &request_body)?;
    let fault: Fault = serde_json::from_value(Value::Object(object))
        .map_err(|err| ApiError::bad_request(format!("invalid fault: {err}")))?;
    shared.inject_fault(fault.clone()).map_err(|err| ApiError::bad_request(err.to_string()))?;
    Ok(Json(fault).into_response())
}

/// `DELETE /_emulator/faults` → `{"cleared": N}`.
async fn clear_faults(State(shared): State<Arc<Shared>>) -> Response {
    let cleared = shared.faults().clear();
    Json(json!({ "cleared": cleared })).into_response()
}

/// `GET /_emulator/requests` → the request log (redacted), oldest first.
async fn requests(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.log().snapshot()).into_response()
}

/// `POST /_emulator/reset` → 204; forgets users, transactions, intents, SMS, events, faults
/// and the request log, and sets the rate limits back to the configuration's.
async fn reset(State(shared): State<Arc<Shared>>) -> Response {
    shared.reset();
    StatusCode::NO_CONTENT.into_response()
}
