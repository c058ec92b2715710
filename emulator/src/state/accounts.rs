//! Users and authenticators as the `users` and `authenticators` endpoints change them:
//! resolving who a request names, creating a user or giving it a username, renaming and
//! deleting authenticators (failing the approvals that can no longer be answered), deleting
//! users with everything that was theirs.

use std::time::SystemTime;

use uuid::Uuid;

use super::State;
use super::transaction::TransactionStatus;
use super::user::{Authenticator, ResolveError, Target, User, UserRef, UserStatus};

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
    pub(crate) fn delete_user(&mut self, user_id: Uuid) -> bool {
        let Some(user) = self.users.remove(&user_id) else {
            return false;
        };
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
        Some(authenticator)
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
        user.authenticators.retain(|a| a.authenticator_id != authenticator_id);
        if user.authenticators.is_empty() {
            user.status = UserStatus::New;
        }
        user.updated_at = now;
        for transaction_id in &user.transaction_ids {
            let Some(transaction) = self.transactions.get_mut(transaction_id) else {
                continue;
            };
            let orphaned =
                transaction.approval.as_ref().is_some_and(|approval| !approval.authenticator.reachable(user));
            if transaction.status == TransactionStatus::Pending && orphaned {
                transaction.status = TransactionStatus::Failed;
                transaction.last_updated_at = now;
            }
        }
        true
    }
}
