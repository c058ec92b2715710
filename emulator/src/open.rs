//! The deep link target: `GET /open?dispatchTokenResponse=…` shows a small self-contained
//! HTML page (what the authenticator app would show) with Approve / Decline buttons, so a
//! person can click through a flow by opening `appLinkUri` in a browser. An enrollment asks
//! "Register this phone?"; an `app`-channel approval asks "Log in?" and shows its
//! notification text and message. Both link to the user's phone page (`/phone/{userId}`). A
//! usernameless approval has no user yet: its page offers "Approve as" with a `userId` field
//! (suggesting the users that have an app authenticator).

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

/// The form field naming the user that approves a usernameless approval.
const USER_FIELD: &str = "userId";

/// Users the "Approve as" field suggests at most.
const SUGGESTED_USERS: usize = 50;

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
            let user = transaction.user_id.map(|user_id| {
                let username = world
                    .user(user_id)
                    .and_then(|user| user.username.clone())
                    .unwrap_or_else(|| "(no username)".to_owned());
                (user_id, username)
            });
            // Who could approve a usernameless approval: suggested in its form.
            let candidates: Vec<(String, String)> = if user.is_none() {
                let users = world.app_users(SUGGESTED_USERS).into_iter();
                users.map(|u| (u.user_id.to_string(), u.username.clone().unwrap_or_default())).collect()
            } else {
                Vec::new()
            };
            (user, transaction.status, transaction.operation, transaction.approval.clone(), candidates)
        })
    };
    let Some((user, status, operation, approval, candidates)) = details else {
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
    match &user {
        Some((user_id, username)) => html
            .push_str(&format!("<dl><dt>Username</dt><dd>{}</dd><dt>User ID</dt><dd>{user_id}</dd>", escape(username))),
        None => html.push_str("<dl><dt>User</dt><dd id=\"user\">(usernameless: whoever approves it)</dd>"),
    }
    html.push_str(&format!(
        "<dt>Transaction ID</dt><dd>{transaction_id}</dd><dt>Status</dt><dd id=\"status\">{status}</dd></dl>"
    ));
    if status != TransactionStatus::Pending {
        html.push_str("<p>This transaction is finished; nothing left to do.</p>");
    } else if user.is_none() {
        html.push_str(&approve_as_form(&token, &candidates));
        html.push_str(&decision_form(&token, "decline", "Decline"));
    } else {
        html.push_str(&decision_form(&token, "approve", "Approve"));
        html.push_str(&decision_form(&token, "decline", "Decline"));
    }
    if let Some((user_id, _)) = &user {
        html.push_str(&format!(
            "<p><a href=\"/phone/{user_id}\">All pending approvals of this user (the simulated phone)</a></p>"
        ));
    }
    page(StatusCode::OK, title, &html)
}

/// A form posting the dispatch token to `/open/{action}`.
fn decision_form(token: &str, action: &str, label: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/open/{action}\">\
         <input type=\"hidden\" name=\"{DISPATCH_FIELD}\" value=\"{token}\">\
         <button type=\"submit\">{label}</button></form>"
    )
}

/// The "Approve as" form of a usernameless approval: a `userId` field suggesting the users
/// that have an app authenticator (id and username, both escaped).
fn approve_as_form(token: &str, candidates: &[(String, String)]) -> String {
    let mut html = format!(
        "<form method=\"post\" action=\"/open/approve\" id=\"approve-as\">\
         <input type=\"hidden\" name=\"{DISPATCH_FIELD}\" value=\"{token}\">\
         <label>User ID <input name=\"{USER_FIELD}\" list=\"app-users\" required></label> \
         <button type=\"submit\">Approve as</button><datalist id=\"app-users\">"
    );
    for (user_id, username) in candidates {
        html.push_str(&format!("<option value=\"{}\">{}</option>", escape(user_id), escape(username)));
    }
    html.push_str("</datalist></form>");
    if candidates.is_empty() {
        html.push_str("<p>No user has an app authenticator yet: nobody can approve this.</p>");
    }
    html
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
    let approver = body::form_value(&pairs, USER_FIELD).filter(|value| !value.is_empty() && approve);
    let outcome = match approver.map(Uuid::parse_str) {
        None => shared.state().decide(transaction_id, approve, SystemTime::now()),
        Some(Ok(user_id)) => shared.state().approve_as(transaction_id, user_id, SystemTime::now()),
        Some(Err(_)) => Err(DecideError::UnknownUser),
    };
    match outcome {
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
        Err(DecideError::NeedsUser) => page(
            StatusCode::BAD_REQUEST,
            "Who approves?",
            "<p>This approval is usernameless: enter the user that approves it (Approve as).</p>",
        ),
        Err(DecideError::WrongUser) => {
            page(StatusCode::BAD_REQUEST, "Another user", "<p>This transaction belongs to another user.</p>")
        }
        Err(DecideError::UnknownUser) => {
            page(StatusCode::BAD_REQUEST, "Unknown user", "<p>This emulator has no user with that id.</p>")
        }
        Err(DecideError::NoAppAuthenticator) => {
            page(StatusCode::BAD_REQUEST, "No app", "<p>That user has no app authenticator to approve with.</p>")
        }
    }
}
