//! [`PendingApproval`], the public view of an approval still waiting for the user, as the
//! simulated phone lists it ([`crate::Emulator::pending_approvals`],
//! `GET /_emulator/users/{userId}/approvals`, the `/phone` page).
//!
//! It is built from a transaction and its approval, so it sits in a file above both.

use std::time::SystemTime;

use super::approval::{Approval, AuthenticatorChoice};
use super::transaction::Transaction;

/// A pending approval as the simulated phone sees it ([`crate::Emulator::pending_approvals`],
/// `GET /_emulator/users/{userId}/approvals`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PendingApproval {
    /// The transaction to approve or deny (a UUID).
    pub transaction_id: String,
    /// `push` or `app`.
    pub channel: String,
    /// The authenticator asked (a UUID), or `*` for any of the user's authenticators.
    pub authenticator_id: String,
    /// Whether the request asked the app to prompt the user with `message`.
    pub prompt: bool,
    /// The message to show: plain text, or one `<html>…</html>` element using only `b`, `br`,
    /// `em`, `i`, `strong` and `u`.
    pub message: Option<String>,
    /// The push notification's text.
    pub notification_message: Option<String>,
    /// When the approval was requested.
    pub created_at: SystemTime,
}

impl PendingApproval {
    /// The simulated phone's view of a pending approval transaction.
    pub(crate) fn of(transaction: &Transaction, approval: &Approval) -> Self {
        PendingApproval {
            transaction_id: transaction.transaction_id.to_string(),
            channel: approval.channel.as_str().to_owned(),
            authenticator_id: match approval.authenticator {
                AuthenticatorChoice::Any => "*".to_owned(),
                AuthenticatorChoice::One(id) => id.to_string(),
            },
            prompt: approval.prompt,
            message: approval.message.clone(),
            notification_message: approval.notification_message.clone(),
            created_at: transaction.created_at,
        }
    }
}
