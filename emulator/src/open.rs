//! The deep link target: `GET /open?dispatchTokenResponse=…` shows a small self-contained
//! HTML page (what the authenticator app would show) with Approve / Decline buttons, so a
//! person can click through a flow by opening `appLinkUri` in a browser. An enrollment asks
//! "Register this phone?"; an `app`-channel approval asks "Log in?" and shows its
//! notification text and message. Both link to the user's phone page (`/phone/{userId}`).

use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use uuid::Uuid;

use crate::app::Shared;
use crate::body;
use crate::html::{escape, message_block, page, posted_form};
use crate::state::{DecideError, Operation, TransactionStatus};

/// The query / form field carrying the dispatch token, as in the vendor's deep link.
const DISPATCH_FIELD: &str = "dispatchTokenResponse";

/// The page and its two form targets.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/open", get(open_page))
        .route("/open/approve", post(approve))
        .route("/open/decline", post(decline))
}

/// Why a link's dispatch token does not lead to a transaction.
#[derive(Debug, Clone, Copy)]
enum BadLink {
    Missing,
    Invalid,
}

impl BadLink {
    /// The 400 page explaining the problem.
    fn page(self) -> Response {
        match self {
            BadLink::Missing => {
                page(StatusCode::BAD_REQUEST, "Missing link data", "<p>The link has no dispatch token.</p>")
            }
            BadLink::Invalid => {
                page(StatusCode::BAD_REQUEST, "Invalid link", "<p>This link was not issued by this emulator.</p>")
            }
        }
    }
}

/// The transaction a dispatch token points at.
fn transaction_of(shared: &Shared, token: Option<&str>) -> Result<Uuid, BadLink> {
    let token = token.filter(|token| !token.is_empty()).ok_or(BadLink::Missing)?;
    shared.tokens.verify_dispatch(token).ok_or(BadLink::Invalid)
}

fn unknown_transaction() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Unknown transaction",
        "<p>This emulator does not know the transaction (it may have been reset).</p>",
    )
}

/// `GET /open?dispatchTokenResponse=…`: shows the transaction and, while pending, the buttons.
async fn open_page(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let pairs: Vec<(String, String)> =
        query.map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    let token = body::form_value(&pairs, DISPATCH_FIELD);
    let transaction_id = match transaction_of(&shared, token) {
        Ok(id) => id,
        Err(bad) => return bad.page(),
    };
    let details = {
        let mut world = shared.state();
        world.settle(transaction_id, SystemTime::now());
        world.transaction(transaction_id).map(|transaction| {
            let username = world
                .user(transaction.user_id)
                .and_then(|user| user.username.clone())
                .unwrap_or_else(|| "(no username)".to_owned());
            (transaction.user_id, username, transaction.status, transaction.operation, transaction.approval.clone())
        })
    };
    let Some((user_id, username, status, operation, approval)) = details else {
        return unknown_transaction();
    };
    let token = escape(token.unwrap_or_default());
    let (title, mut html) = match (operation, approval) {
        (Operation::Approve, Some(approval)) => {
            let mut html = "<p>An app asks you to confirm that it is you logging in.</p>".to_owned();
            if let Some(notification) = &approval.notification_message {
                html.push_str(&format!("<p class=\"notification\">{}</p>", escape(notification)));
            }
            if let Some(message) = &approval.message {
                html.push_str(&message_block(message));
            }
            ("Log in?", html)
        }
        _ => (
            "Register this phone?",
            "<p>An app asks to register this phone as the user's authenticator.</p>".to_owned(),
        ),
    };
    html.push_str(&format!(
        "<dl><dt>Username</dt><dd>{}</dd><dt>User ID</dt><dd>{user_id}</dd>\
         <dt>Transaction ID</dt><dd>{transaction_id}</dd><dt>Status</dt><dd id=\"status\">{status}</dd></dl>",
        escape(&username),
    ));
    if status == TransactionStatus::Pending {
        for (action, label) in [("approve", "Approve"), ("decline", "Decline")] {
            html.push_str(&format!(
                "<form method=\"post\" action=\"/open/{action}\">\
                 <input type=\"hidden\" name=\"{DISPATCH_FIELD}\" value=\"{token}\">\
                 <button type=\"submit\">{label}</button></form>"
            ));
        }
    } else {
        html.push_str("<p>This transaction is finished; nothing left to do.</p>");
    }
    html.push_str(&format!(
        "<p><a href=\"/phone/{user_id}\">All pending approvals of this user (the simulated phone)</a></p>"
    ));
    page(StatusCode::OK, title, &html)
}

/// `POST /open/approve` (form `dispatchTokenResponse=…`).
async fn approve(State(shared): State<Arc<Shared>>, headers: HeaderMap, form: Bytes) -> Response {
    decide(&shared, &headers, &form, true)
}

/// `POST /open/decline` (form `dispatchTokenResponse=…`).
async fn decline(State(shared): State<Arc<Shared>>, headers: HeaderMap, form: Bytes) -> Response {
    decide(&shared, &headers, &form, false)
}

fn decide(shared: &Shared, headers: &HeaderMap, form: &[u8], approve: bool) -> Response {
    let pairs = match posted_form(headers, form) {
        Ok(pairs) => pairs,
        Err(refused) => return refused.page(),
    };
    let transaction_id = match transaction_of(shared, body::form_value(&pairs, DISPATCH_FIELD)) {
        Ok(id) => id,
        Err(bad) => return bad.page(),
    };
    match shared.state().decide(transaction_id, approve, SystemTime::now()) {
        Ok(status) => page(
            StatusCode::OK,
            if approve { "Approved" } else { "Declined" },
            &format!(
                "<p>The transaction is now <strong id=\"status\">{status}</strong>. \
                 You can close this page.</p>"
            ),
        ),
        Err(DecideError::Unknown) => unknown_transaction(),
        Err(DecideError::NotPending(status)) => page(
            StatusCode::CONFLICT,
            "Already finished",
            &format!("<p>The transaction is already <strong id=\"status\">{status}</strong>.</p>"),
        ),
        Err(DecideError::DecidedByCode) => page(
            StatusCode::CONFLICT,
            "Confirmed by code",
            "<p>This transaction is confirmed with the code sent by SMS, not on this page.</p>",
        ),
    }
}
