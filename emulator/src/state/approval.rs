//! What an approval (a login) asks of the user's phone: which authenticator
//! ([`AuthenticatorChoice`]), over which channel, with what message ([`Approval`]), and how a
//! request for one is checked against the user ([`ApprovalRequest::resolve`]): push and app
//! approvals ask one of the user's app authenticators, SMS approvals one of its phone numbers.
//!
//! Plain data and pure checks; starting the approval transaction is
//! [`super::State::begin_approval`].

use std::time::Duration;

use uuid::Uuid;

use super::operation::Channel;
use super::sms::SmsText;
use super::user::{Authenticator, User};

/// Which of the user's authenticators an approval asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthenticatorChoice {
    /// Any of the app authenticators (`"authenticatorId": "*"`, `app` channel only): whoever
    /// scans the QR code.
    Any,
    /// This one.
    One(Uuid),
}

impl AuthenticatorChoice {
    /// Whether the user still has an authenticator this choice can reach.
    pub(super) fn reachable(self, user: &User) -> bool {
        match self {
            AuthenticatorChoice::Any => user.has_app(),
            AuthenticatorChoice::One(id) => user.authenticator(id).is_some(),
        }
    }
}

/// What an approval asks and shows on the phone (already validated by the route).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Approval {
    /// `push`, `app` or `sms`.
    pub(crate) channel: Channel,
    pub(crate) authenticator: AuthenticatorChoice,
    pub(crate) prompt: bool,
    pub(crate) message: Option<String>,
    pub(crate) notification_message: Option<String>,
}

/// An approval request before its authenticator is resolved: `authenticator: None` means the
/// user's newest authenticator of the channel's kind (by `enrolledAt`). An SMS approval
/// carries its text and code in `sms` (its `message` is that text's template, not kept).
#[derive(Debug, Clone)]
pub(crate) struct ApprovalRequest {
    pub(crate) channel: Channel,
    pub(crate) authenticator: Option<AuthenticatorChoice>,
    pub(crate) prompt: bool,
    pub(crate) message: Option<String>,
    pub(crate) notification_message: Option<String>,
    pub(crate) sms: Option<SmsText>,
}

impl ApprovalRequest {
    /// The approval this request asks of `user`, and the phone number an SMS approval goes
    /// to. Push and app approvals ask the user's app authenticators, SMS approvals its SMS
    /// authenticators: without `authenticatorId` the newest of them (by `enrolledAt`); a user
    /// without one cannot be asked, nor an authenticator that is not the user's or of
    /// another kind.
    pub(super) fn resolve(self, user: &User) -> Result<(Approval, Option<String>), ApprovalError> {
        let asks = |a: &&Authenticator| (self.channel == Channel::Sms) == a.phone().is_some();
        let newest = user.authenticators.iter().filter(asks).max_by_key(|a| a.enrolled_at).map(|a| a.authenticator_id);
        let Some(newest) = newest else {
            return Err(if self.channel == Channel::Sms {
                ApprovalError::NoPhone
            } else {
                ApprovalError::NoAuthenticator
            });
        };
        let authenticator = match self.authenticator {
            None => AuthenticatorChoice::One(newest),
            // `Any` is reachable here: the user has at least one app authenticator.
            Some(AuthenticatorChoice::Any) if self.channel == Channel::App => AuthenticatorChoice::Any,
            Some(AuthenticatorChoice::One(id)) if user.authenticator(id).as_ref().is_some_and(asks) => {
                AuthenticatorChoice::One(id)
            }
            Some(_) => return Err(ApprovalError::UnknownAuthenticator),
        };
        let phone = match authenticator {
            AuthenticatorChoice::One(id) => user.authenticator(id).and_then(|a| a.phone()).map(str::to_owned),
            AuthenticatorChoice::Any => None,
        };
        let approval = Approval {
            channel: self.channel,
            authenticator,
            prompt: self.prompt,
            message: self.message,
            notification_message: self.notification_message,
        };
        Ok((approval, phone))
    }

    /// The approval of a usernameless request (`app` channel, no user named): any app
    /// authenticator, of whichever user approves it.
    pub(super) fn usernameless(self) -> Approval {
        Approval {
            channel: self.channel,
            authenticator: AuthenticatorChoice::Any,
            prompt: self.prompt,
            message: self.message,
            notification_message: self.notification_message,
        }
    }
}

/// Why an approval cannot start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApprovalError {
    /// No user with that id.
    UnknownUser,
    /// The user has no app authenticator to ask (push, app).
    NoAuthenticator,
    /// The user has no phone number registered (sms).
    NoPhone,
    /// `authenticatorId` is not one of the user's authenticators of the channel's kind.
    UnknownAuthenticator,
    /// The user's rate limit of the channel is reached; one more fits after this long.
    RateLimited { retry_after: Duration },
}
