//! What an approval (a login) asks of the user's phone: which authenticator
//! ([`AuthenticatorChoice`]), over which channel, with what message ([`Approval`]), and how a
//! request for one is checked against the user ([`ApprovalRequest::resolve`]).
//!
//! Plain data and pure checks; starting the approval transaction is
//! [`super::State::begin_approval`].

use uuid::Uuid;

use super::operation::Channel;
use super::user::User;

/// Which of the user's authenticators an approval asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthenticatorChoice {
    /// Any of them (`"authenticatorId": "*"`, `app` channel only): whoever scans the QR code.
    Any,
    /// This one.
    One(Uuid),
}

impl AuthenticatorChoice {
    /// Whether the user still has an authenticator this choice can reach.
    pub(super) fn reachable(self, user: &User) -> bool {
        match self {
            AuthenticatorChoice::Any => !user.authenticators.is_empty(),
            AuthenticatorChoice::One(id) => user.authenticators.iter().any(|a| a.authenticator_id == id),
        }
    }
}

/// What an approval asks and shows on the phone (already validated by the route).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Approval {
    /// `push` or `app`.
    pub(crate) channel: Channel,
    pub(crate) authenticator: AuthenticatorChoice,
    pub(crate) prompt: bool,
    pub(crate) message: Option<String>,
    pub(crate) notification_message: Option<String>,
}

/// An approval request before its authenticator is resolved: `authenticator: None` means the
/// user's newest authenticator (by `enrolledAt`).
#[derive(Debug, Clone)]
pub(crate) struct ApprovalRequest {
    pub(crate) channel: Channel,
    pub(crate) authenticator: Option<AuthenticatorChoice>,
    pub(crate) prompt: bool,
    pub(crate) message: Option<String>,
    pub(crate) notification_message: Option<String>,
}

impl ApprovalRequest {
    /// The approval this request asks of `user`: without `authenticatorId` it asks the newest
    /// authenticator (by `enrolledAt`); a user without authenticators cannot be asked, nor an
    /// authenticator that is not the user's.
    pub(super) fn resolve(self, user: &User) -> Result<Approval, ApprovalError> {
        let newest = user.authenticators.iter().max_by_key(|a| a.enrolled_at).map(|a| a.authenticator_id);
        let Some(newest) = newest else {
            return Err(ApprovalError::NoAuthenticator);
        };
        let authenticator = match self.authenticator {
            None => AuthenticatorChoice::One(newest),
            // `Any` is reachable here: the user has at least one authenticator.
            Some(chosen) if chosen.reachable(user) => chosen,
            Some(_) => return Err(ApprovalError::UnknownAuthenticator),
        };
        Ok(Approval {
            channel: self.channel,
            authenticator,
            prompt: self.prompt,
            message: self.message,
            notification_message: self.notification_message,
        })
    }
}

/// Why an approval cannot start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApprovalError {
    /// No user with that id.
    UnknownUser,
    /// The user has no authenticator to ask.
    NoAuthenticator,
    /// `authenticatorId` is not one of the user's authenticators.
    UnknownAuthenticator,
}
