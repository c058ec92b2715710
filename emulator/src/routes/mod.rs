//! The vendor API's endpoints, one file each, and the router that ties them together with the
//! simulated authenticator pages (`/open`, `/phone`) and the control API.

mod approval;
mod authenticators;
mod enroll;
mod enroll_recovery;
mod enroll_sms;
mod intent;
mod introspect;
mod logs;
mod new_transaction;
mod ping;
mod status;
mod users;
mod verification;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use http::{Method, StatusCode};
use tower_http::cors::{Any, CorsLayer};

use crate::app::Shared;
use crate::errors::ApiError;
use crate::{control, open, phone};

/// The path of the status endpoint, the one a browser polls (hence CORS).
pub(crate) const STATUS_PATH: &str = "/api/v1/status";

/// Every route the emulator serves; unknown paths are 404 and wrong methods 405, both with
/// the vendor's error body.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    // The guide's frontend polls status from the browser: no credentials, any origin.
    // Retry-After is exposed so a page can honour it after a 429 or 503.
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::POST])
        .allow_headers(Any)
        .expose_headers([http::header::RETRY_AFTER])
        .max_age(Duration::from_secs(600));
    Router::new()
        .route("/api/v1/users/enroll", post(enroll::enroll))
        .route(STATUS_PATH, post(status::status).options(status::options).layer(cors))
        .route("/api/v1/introspect", post(introspect::introspect))
        .route("/api/v1/intent", post(intent::intent))
        .route("/api/v1/approval", post(approval::approval))
        .route("/api/v1/users", get(users::find_user))
        .route("/api/v1/users/{userId}", get(users::get_user).delete(users::delete_user))
        .route("/api/v1/users/{userId}/verification", post(verification::verification))
        .route("/api/v1/authenticators/{authenticatorId}", patch(authenticators::rename).delete(authenticators::delete))
        .route("/api/v1/logs/export", get(logs::export))
        .route("/ping", get(ping::ping))
        .merge(open::routes())
        .merge(phone::routes())
        .merge(control::routes(Arc::clone(&shared)))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(shared)
}

async fn not_found() -> Response {
    ApiError::not_found("no such endpoint").into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "this method is not allowed on this endpoint").into_response()
}
