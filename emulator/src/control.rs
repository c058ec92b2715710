//! The control API under `/_emulator/`: not part of the vendor API, but loopback test tooling
//! (no auth). It plays the user's phone (lists pending approvals, approves / denies), injects
//! faults, shows the request log and resets.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use crate::app::Shared;
use crate::body;
use crate::errors::{ApiError, EmulatorError};
use crate::faults::Fault;
use crate::wire::PendingApprovalJson;

/// The control routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_emulator/transactions/{transactionId}/approve", post(approve))
        .route("/_emulator/transactions/{transactionId}/deny", post(deny))
        .route("/_emulator/users/{userId}/approvals", get(pending_approvals))
        .route("/_emulator/faults", get(list_faults).post(add_fault).delete(clear_faults))
        .route("/_emulator/requests", get(requests))
        .route("/_emulator/reset", post(reset))
}

/// `POST /_emulator/transactions/{transactionId}/approve` → `{"transactionId", "status"}`.
async fn approve(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    decide(&shared, &id, true)
}

/// `POST /_emulator/transactions/{transactionId}/deny` → `{"transactionId", "status"}`.
async fn deny(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    decide(&shared, &id, false)
}

fn decide(shared: &Shared, transaction_id: &str, approve: bool) -> Response {
    match shared.decide(transaction_id, approve) {
        Ok(status) => Json(json!({ "transactionId": transaction_id, "status": status })).into_response(),
        Err(EmulatorError::NotPending(status)) => {
            ApiError::conflict(format!("the transaction is already {status}")).into_response()
        }
        Err(_) => ApiError::not_found("unknown transaction").into_response(),
    }
}

/// `GET /_emulator/users/{userId}/approvals` → the user's pending approvals, oldest first;
/// 404 for an unknown or malformed user id.
async fn pending_approvals(State(shared): State<Arc<Shared>>, Path(user_id): Path<String>) -> Response {
    match shared.pending_approvals(&user_id) {
        Some(pending) => Json(pending.into_iter().map(PendingApprovalJson::from).collect::<Vec<_>>()).into_response(),
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

/// `POST /_emulator/reset` → 204; forgets users, transactions, intents, faults and the log.
async fn reset(State(shared): State<Arc<Shared>>) -> Response {
    shared.reset();
    StatusCode::NO_CONTENT.into_response()
}
