//! Users and authenticators as the `users` and `authenticators` endpoints change them:
//! resolving who a request names, creating a user or giving it a username, renaming and
//! deleting authenticators (failing the approvals that can no longer be answered), turning an
//! app's push notifications off or on, deleting users with everything that was theirs.

use std::time::SystemTime;

use uuid::Uuid;

use super::State;
use super::events::{Actor, Category, EventStatus, LogEvent};
use super::operation::Channel;
use super::transaction::TransactionStatus;
use super::user::{Authenticator, AuthenticatorKind, ResolveError, Target, User, UserRef, UserStatus};

/// The channel an authenticator serves, for the event log.
fn channel_of(authenticator: &Authenticator) -> Channel {
    if authenticator.app().is_some() { Channel::App } else { Channel::Sms }
}

/// An `authenticator` event about `authenticator` of `user_id`, by the API caller.
fn authenticator_event(
    event: &'static str,
    user_id: Uuid,
    authenticator: &Authenticator,
    now: SystemTime,
    detail: String,
) -> LogEvent {
    let channel = Some(channel_of(authenticator));
    let mut event = LogEvent::new(now, Category::Authenticator, event, EventStatus::Success, channel, Actor::Api)
        .authenticator(Some(authenticator.authenticator_id))
        .detail(detail);
    event.user_id = Some(user_id);
    event
}

impl State {
    /// Resolves who a request names. A username that names nobody yet is a new user; a
    /// username given with the `userId` of a user without one is assigned to that user.
    pub(crate) fn resolve(&self, who: &UserRef) -> Result<Target, ResolveError> {
        match (who.user_id, &who.username) {
            (Some(user_id), username) => {
                let user = self.users.get(&user_id).ok_or(ResolveError::UnknownUser)?;
                let assign_username = match (username, &user.username) {
                    (None, _) => None,
                    (Some(asked), Some(has)) if asked == has => None,
                    (Some(asked), None) if !self.user_ids_by_username.contains_key(asked) => Some(asked.clone()),
                    _ => return Err(ResolveError::Mismatch),
                };
                Ok(Target::Existing { user_id, assign_username })
            }
            (None, Some(username)) => Ok(match self.user_id_by_username(username) {
                Some(user_id) => Target::Existing { user_id, assign_username: None },
                None => Target::New { username: Some(username.clone()) },
            }),
            (None, None) => Ok(Target::New { username: None }),
        }
    }

    /// The user a resolved target stands for: an existing one (given the username it is
    /// assigned, if any) or a new one, created here. Returns its id.
    pub(super) fn target_user(&mut self, target: Target, now: SystemTime) -> Uuid {
        match target {
            Target::Existing { user_id, assign_username } => {
                if let Some(username) = assign_username {
                    self.set_username(user_id, username, now);
                }
                user_id
            }
            Target::New { username } => self.create_user(username, now),
        }
    }

    /// Creates a user (see [`User::new`]) and returns its id.
    pub(super) fn create_user(&mut self, username: Option<String>, now: SystemTime) -> Uuid {
        let user_id = Uuid::new_v4();
        if let Some(name) = &username {
            self.user_ids_by_username.insert(name.clone(), user_id);
        }
        self.users.insert(user_id, User::new(user_id, username, now));
        user_id
    }

    /// Gives a user (that had none) a username.
    fn set_username(&mut self, user_id: Uuid, username: String, now: SystemTime) {
        if let Some(user) = self.users.get_mut(&user_id) {
            self.user_ids_by_username.insert(username.clone(), user_id);
            user.username = Some(username);
            user.updated_at = now;
        }
    }

    /// Deletes a user: its username becomes free, its transactions are forgotten (their
    /// status tokens report `unknown`) and so are intent tokens bound to its id and the SMS
    /// sent to it. `false` if there was no such user.
    pub(crate) fn delete_user(&mut self, user_id: Uuid, now: SystemTime) -> bool {
        let Some(user) = self.users.remove(&user_id) else {
            return false;
        };
        let mut event = LogEvent::new(now, Category::User, "user.deleted", EventStatus::Success, None, Actor::Api)
            .detail(format!("the user and its {} authenticator(s) were deleted", user.authenticators.len()));
        event.user_id = Some(user_id);
        event.username = user.username.clone();
        self.log(event);
        if let Some(username) = &user.username {
            self.user_ids_by_username.remove(username);
        }
        for transaction_id in &user.transaction_ids {
            self.transactions.remove(transaction_id);
        }
        self.intents.retain(|_, intent| intent.user_id != Some(user_id));
        self.sms_outbox.retain(|message| message.user_id != user_id);
        true
    }

    /// The user owning an authenticator.
    fn owner_of(&self, authenticator_id: Uuid) -> Option<Uuid> {
        self.users
            .values()
            .find(|user| user.authenticators.iter().any(|a| a.authenticator_id == authenticator_id))
            .map(|user| user.user_id)
    }

    /// Renames an authenticator; returns it as renamed, or `None` if it does not exist.
    pub(crate) fn rename_authenticator(
        &mut self,
        authenticator_id: Uuid,
        name: String,
        now: SystemTime,
    ) -> Option<&Authenticator> {
        let owner = self.owner_of(authenticator_id)?;
        let user = self.users.get_mut(&owner)?;
        let authenticator = user.authenticators.iter_mut().find(|a| a.authenticator_id == authenticator_id)?;
        authenticator.name = name;
        authenticator.updated_at = now;
        let detail = format!("renamed to \"{}\"", authenticator.name);
        let event = authenticator_event("authenticator.renamed", owner, authenticator, now, detail);
        self.log(event);
        self.users.get(&owner)?.authenticator(authenticator_id)
    }

    /// Turns an app authenticator's push notifications off (`disabled`) or on, as the user
    /// would in the app; `false` if there is no app authenticator with that id. Push approvals
    /// to it are still created (the user may open the app); the phone page says so.
    pub(crate) fn set_push_disabled(&mut self, authenticator_id: Uuid, disabled: bool) -> bool {
        let device = self.owner_of(authenticator_id).and_then(|owner| {
            let user = self.users.get_mut(&owner)?;
            let authenticator = user.authenticators.iter_mut().find(|a| a.authenticator_id == authenticator_id)?;
            match &mut authenticator.kind {
                AuthenticatorKind::App(device) => Some(device),
                AuthenticatorKind::Sms { .. } => None,
            }
        });
        match device {
            Some(device) => {
                device.push_disabled = disabled;
                true
            }
            None => false,
        }
    }

    /// Whether an authenticator is an app whose push notifications are off.
    pub(crate) fn push_disabled(&self, authenticator_id: Uuid) -> bool {
        self.users.values().any(|user| {
            user.authenticator(authenticator_id).and_then(Authenticator::app).is_some_and(|device| device.push_disabled)
        })
    }

    /// Deletes an authenticator. Its user turns `new` again when it was the last one, and the
    /// user's pending approvals that can no longer reach an authenticator end `failed` at once
    /// (after settling, so an auto-approval that was already due still counts). `false` if
    /// there was no such authenticator.
    pub(crate) fn delete_authenticator(&mut self, authenticator_id: Uuid, now: SystemTime) -> bool {
        let Some(owner) = self.owner_of(authenticator_id) else {
            return false;
        };
        self.settle_user(owner, now);
        let Some(user) = self.users.get_mut(&owner) else {
            return false;
        };
        let Some(index) = user.authenticators.iter().position(|a| a.authenticator_id == authenticator_id) else {
            return false;
        };
        let deleted = user.authenticators.remove(index);
        if user.authenticators.is_empty() {
            user.status = UserStatus::New;
        }
        user.updated_at = now;
        let mut orphans = Vec::new();
        for transaction_id in &user.transaction_ids {
            let Some(transaction) = self.transactions.get_mut(transaction_id) else {
                continue;
            };
            let orphaned =
                transaction.approval.as_ref().is_some_and(|approval| !approval.authenticator.reachable(user));
            if transaction.status == TransactionStatus::Pending && orphaned {
                transaction.status = TransactionStatus::Failed;
                transaction.last_updated_at = now;
                orphans.push(*transaction_id);
            }
        }
        let event =
            authenticator_event("authenticator.deleted", owner, &deleted, now, format!("\"{}\" deleted", deleted.name));
        self.log(event);
        for transaction_id in orphans {
            self.log_transaction(transaction_id, Actor::System, now, None, "the authenticator asked was deleted");
        }
        true
    }
}
