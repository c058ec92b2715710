//! The simulated phone for people: `GET /phone/{userId}` lists the user's pending approvals
//! (what push notifications would bring; "notifications off" where the user turned them off
//! in the app) with their notification text and message, each with Approve / Decline buttons
//! posting to `/phone/approve` and `/phone/decline`, and the SMS the user received (newest
//! first, under "Messages": SMS approvals are decided by their code, not by buttons).
//!
//! Tests use the control API (`GET /_emulator/users/{userId}/approvals`) or
//! [`crate::Emulator::pending_approvals`] instead.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use uuid::Uuid;

use crate::app::Shared;
use crate::body;
use crate::html::{escape, message_block, page, page_with_head, posted_form};
use crate::state::{AuthenticatorChoice, Channel, DecideError, Operation, PendingApproval, SentSms};
use crate::time::iso8601;

/// The form field carrying the transaction id.
const TRANSACTION_FIELD: &str = "transactionId";

/// How often the page reloads itself while it has nothing to show, in seconds.
const REFRESH_SECONDS: u32 = 3;

/// The page and its two form targets.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/phone/{userId}", get(phone_page))
        .route("/phone/approve", post(approve))
        .route("/phone/decline", post(decline))
}

fn unknown_user() -> Response {
    page(StatusCode::NOT_FOUND, "Unknown user", "<p>This emulator does not know the user (it may have been reset).</p>")
}

fn unknown_approval() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Unknown approval",
        "<p>This emulator does not know the approval (it may have been reset or its user deleted).</p>",
    )
}

/// `GET /phone/{userId}`: the user's pending approvals, oldest first, then the SMS received,
/// newest first. While no approval is pending, the page reloads itself every few seconds, so
/// a person can keep it open and watch an approval (or an SMS) arrive.
async fn phone_page(State(shared): State<Arc<Shared>>, Path(user_id): Path<String>) -> Response {
    let Ok(user_id) = Uuid::parse_str(&user_id) else {
        return unknown_user();
    };
    let found = {
        let mut world = shared.state();
        world.settle_user(user_id, SystemTime::now());
        let username = world.user(user_id).map(|user| user.username.clone());
        let messages: Vec<SentSms> =
            world.sms_of(user_id).unwrap_or_default().into_iter().rev().map(SentSms::from).collect();
        world.pending_approvals(user_id).zip(username).map(|(pending, username)| {
            let shown: Vec<(PendingApproval, String, bool)> = pending
                .into_iter()
                .map(|(transaction, approval)| {
                    let muted = match approval.authenticator {
                        AuthenticatorChoice::One(id) => world.push_disabled(id),
                        AuthenticatorChoice::Any => false,
                    };
                    (PendingApproval::of(transaction, approval), transaction.tokens.dispatch_token.clone(), muted)
                })
                .collect();
            (username, shown, messages)
        })
    };
    let Some((username, shown, messages)) = found else {
        return unknown_user();
    };
    let username = username.unwrap_or_else(|| "(no username)".to_owned());
    let mut html =
        format!("<dl><dt>Username</dt><dd>{}</dd><dt>User ID</dt><dd>{user_id}</dd></dl>", escape(&username));
    if shown.is_empty() {
        html.push_str(&format!(
            "<p id=\"none\">No pending approvals. This page reloads every {REFRESH_SECONDS} seconds.</p>"
        ));
        html.push_str(&messages_section(&messages));
        let refresh = format!("<meta http-equiv=\"refresh\" content=\"{REFRESH_SECONDS}\">");
        return page_with_head(StatusCode::OK, "Phone", &refresh, &html);
    }
    for (approval, dispatch_token, muted) in &shown {
        let id = escape(&approval.transaction_id);
        html.push_str(&format!("<section class=\"approval\" id=\"approval-{id}\"><h2>Log in?</h2>"));
        if *muted {
            html.push_str(
                "<p class=\"notifications-off\">notifications off: the user turned push notifications off in \
                 the app, so no notification arrived; the approval waits in the app.</p>",
            );
        }
        if let Some(notification) = &approval.notification_message {
            html.push_str(&format!("<p class=\"notification\">{}</p>", escape(notification)));
        }
        if let Some(message) = &approval.message {
            html.push_str(&message_block(message));
        }
        html.push_str(&format!(
            "<dl><dt>Transaction ID</dt><dd>{id}</dd><dt>Channel</dt><dd>{}</dd>\
             <dt>Authenticator</dt><dd>{}</dd><dt>Prompt</dt><dd>{}</dd><dt>Requested</dt><dd>{}</dd></dl>",
            escape(&approval.channel),
            escape(&approval.authenticator_id),
            if approval.prompt { "yes" } else { "no" },
            iso8601(approval.created_at),
        ));
        for (action, label) in [("approve", "Approve"), ("decline", "Decline")] {
            html.push_str(&format!(
                "<form method=\"post\" action=\"/phone/{action}\">\
                 <input type=\"hidden\" name=\"{TRANSACTION_FIELD}\" value=\"{id}\">\
                 <button type=\"submit\">{label}</button></form>"
            ));
        }
        if approval.channel == Channel::App.as_str() && !dispatch_token.is_empty() {
            html.push_str(&format!(
                "<p><a href=\"/open?dispatchTokenResponse={}\">Open it as the app link (QR code) shows it</a></p>",
                escape(dispatch_token)
            ));
        }
        html.push_str("</section>");
    }
    html.push_str(&messages_section(&messages));
    page(StatusCode::OK, "Phone", &html)
}

/// The SMS the user received, newest first, in `<section id="messages">` (nothing when there
/// are none). Every text is escaped: it is the client's `message` with the code in it.
fn messages_section(messages: &[SentSms]) -> String {
    if messages.is_empty() {
        return String::new();
    }
    let mut html = "<section id=\"messages\"><h2>Messages</h2>".to_owned();
    for message in messages {
        html.push_str(&format!(
            "<div class=\"sms\"><div class=\"message\">{}</div><p><small>To {} at {}</small></p></div>",
            escape(&message.text),
            escape(&message.to),
            iso8601(message.sent_at),
        ));
    }
    html.push_str("</section>");
    html
}

/// `POST /phone/approve` (form `transactionId=…`).
async fn approve(State(shared): State<Arc<Shared>>, headers: HeaderMap, form: Bytes) -> Response {
    decide(&shared, &headers, &form, true)
}

/// `POST /phone/decline` (form `transactionId=…`).
async fn decline(State(shared): State<Arc<Shared>>, headers: HeaderMap, form: Bytes) -> Response {
    decide(&shared, &headers, &form, false)
}

/// Decides an approval (not an enrollment: those are decided through their deep link).
fn decide(shared: &Shared, headers: &HeaderMap, form: &[u8], approve: bool) -> Response {
    let pairs = match posted_form(headers, form) {
        Ok(pairs) => pairs,
        Err(refused) => return refused.page(),
    };
    let Some(field) = body::form_value(&pairs, TRANSACTION_FIELD).filter(|value| !value.is_empty()) else {
        return page(StatusCode::BAD_REQUEST, "Missing transaction", "<p>The form has no transaction id.</p>");
    };
    let Ok(transaction_id) = Uuid::parse_str(field) else {
        return unknown_approval();
    };
    let decided = {
        let mut world = shared.state();
        let approval = world
            .transaction(transaction_id)
            .filter(|transaction| transaction.operation == Operation::Approve)
            .map(|transaction| transaction.user_id);
        approval.map(|user_id| (user_id, world.decide(transaction_id, approve, SystemTime::now())))
    };
    let Some((user_id, outcome)) = decided else {
        return unknown_approval();
    };
    let back = user_id.map(|id| format!("<p><a href=\"/phone/{id}\">Back to the phone</a></p>")).unwrap_or_default();
    match outcome {
        Ok(status) => page(
            StatusCode::OK,
            if approve { "Approved" } else { "Declined" },
            &format!("<p>The approval is now <strong id=\"status\">{status}</strong>.</p>{back}"),
        ),
        // An SMS approval is the code's; a usernameless one belongs to no phone yet (it is
        // approved as a user on its `/open` page).
        Err(
            DecideError::Unknown
            | DecideError::DecidedByCode
            | DecideError::NeedsUser
            | DecideError::WrongUser
            | DecideError::UnknownUser
            | DecideError::NoAppAuthenticator,
        ) => unknown_approval(),
        Err(DecideError::NotPending(status)) => page(
            StatusCode::CONFLICT,
            "Already finished",
            &format!("<p>The approval is already <strong id=\"status\">{status}</strong>.</p>{back}"),
        ),
    }
}
