//! The emulator's in-memory world: users, their authenticators, transactions and intents.
//!
//! Everything the API does is a short method on [`State`], called under one mutex. Time is
//! passed in (`now`) rather than read here, and expiry / auto-approval are applied lazily by
//! [`State::settle`] whenever a transaction is looked at, so there are no timers to cancel.
//!
//! What has outlived its lifetime is forgotten the same lazy way ([`State::evict`], run by
//! every `settle` and every new transaction or intent), so a long test suite stays bounded in
//! memory: a transaction [`settled_retention`] after its deadline (its status then answers
//! `unknown`, as for a token the emulator never issued), an intent at its expiry (its token
//! is refused by then anyway). Users are kept, as the vendor keeps them.
//! Transactions carry an [`Operation`]: `enroll` registers an authenticator, `approve` asks an
//! existing one to confirm (a login); approvals also carry what the phone shows ([`Approval`]).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use uuid::Uuid;

/// The vendor's limit of authenticators per user.
pub(crate) const MAX_AUTHENTICATORS: usize = 10;

/// Name given to the authenticator a simulated approval registers.
pub(crate) const EMULATED_AUTHENTICATOR_NAME: &str = "Emulated phone";

/// The least a settled transaction is kept after its deadline: a test that sleeps past a
/// short TTL still reads `failed`, not `unknown`.
pub(crate) const MIN_SETTLED_RETENTION: Duration = Duration::from_secs(5);

/// How long a transaction is kept after its deadline before it is forgotten: its TTL, at
/// least [`MIN_SETTLED_RETENTION`] and at most until its transaction token expires
/// ([`crate::tokens::TRANSACTION_TOKEN_GRACE`], 1 h).
pub(crate) fn settled_retention(ttl: Duration) -> Duration {
    ttl.clamp(MIN_SETTLED_RETENTION, crate::tokens::TRANSACTION_TOKEN_GRACE)
}

/// Where a transaction stands, as `status` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TransactionStatus {
    /// The user has not acted yet.
    Pending,
    /// The user confirmed.
    Succeeded,
    /// The user declined, or the transaction timed out.
    Failed,
}

impl TransactionStatus {
    /// The wire word: `pending`, `succeeded` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            TransactionStatus::Pending => "pending",
            TransactionStatus::Succeeded => "succeeded",
            TransactionStatus::Failed => "failed",
        }
    }
}

impl fmt::Display for TransactionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The channels of the vendor API; the emulator serves `app` and knows the others by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channel {
    App,
    Push,
    Sms,
    Fido2,
    Recovery,
}

impl Channel {
    /// Parses the wire word, or `None` for a word the vendor does not define.
    pub(crate) fn parse(word: &str) -> Option<Channel> {
        Some(match word {
            "app" => Channel::App,
            "push" => Channel::Push,
            "sms" => Channel::Sms,
            "fido2" => Channel::Fido2,
            "recovery" => Channel::Recovery,
            _ => return None,
        })
    }

    /// The wire word.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Channel::App => "app",
            Channel::Push => "push",
            Channel::Sms => "sms",
            Channel::Fido2 => "fido2",
            Channel::Recovery => "recovery",
        }
    }
}

/// What a transaction or an intent is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    /// Register a new authenticator (`POST /api/v1/users/enroll`).
    Enroll,
    /// Authenticate / confirm with an existing authenticator (`POST /api/v1/approval`).
    Approve,
}

impl Operation {
    /// The wire word used by `intent`'s `operation` field.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Operation::Enroll => "enroll",
            Operation::Approve => "approve",
        }
    }

    /// Parses `intent`'s `operation` field.
    pub(crate) fn parse(word: &str) -> Option<Operation> {
        match word {
            "enroll" => Some(Operation::Enroll),
            "approve" => Some(Operation::Approve),
            _ => None,
        }
    }
}

/// A user's lifecycle state: `new` until its first authenticator is registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserStatus {
    New,
    Active,
}

impl UserStatus {
    /// The wire word.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            UserStatus::New => "new",
            UserStatus::Active => "active",
        }
    }
}

/// A registered authenticator (the app on a phone).
#[derive(Debug, Clone)]
pub(crate) struct Authenticator {
    pub(crate) authenticator_id: Uuid,
    pub(crate) name: String,
    /// The phone platform, `ios` or `android` (the emulator registers `android`).
    pub(crate) platform: &'static str,
    /// `app` or `fido2` (the emulator registers `app`).
    pub(crate) authenticator_type: &'static str,
    pub(crate) state: &'static str,
    pub(crate) enrolled_at: SystemTime,
    pub(crate) updated_at: SystemTime,
}

/// A user of the instance.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub(crate) user_id: Uuid,
    pub(crate) username: Option<String>,
    pub(crate) status: UserStatus,
    pub(crate) created_at: SystemTime,
    pub(crate) updated_at: SystemTime,
    pub(crate) last_login_success: Option<SystemTime>,
    pub(crate) last_login_failure: Option<SystemTime>,
    pub(crate) authenticators: Vec<Authenticator>,
    /// Every transaction started for this user, oldest first.
    pub(crate) transaction_ids: Vec<Uuid>,
}

/// The tokens handed out for one transaction; `status` returns the same ones every time.
#[derive(Debug, Clone, Default)]
pub(crate) struct TransactionTokens {
    pub(crate) status_token: String,
    pub(crate) token: String,
    pub(crate) dispatch_token: String,
}

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
    fn reachable(self, user: &User) -> bool {
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

/// One operation waiting for (or finished with) the user's decision.
#[derive(Debug, Clone)]
pub(crate) struct Transaction {
    pub(crate) transaction_id: Uuid,
    pub(crate) operation: Operation,
    /// Set exactly for [`Operation::Approve`] transactions.
    pub(crate) approval: Option<Approval>,
    pub(crate) user_id: Uuid,
    pub(crate) status: TransactionStatus,
    pub(crate) created_at: SystemTime,
    pub(crate) last_updated_at: SystemTime,
    /// After this instant a pending transaction has timed out (`failed`).
    pub(crate) expires_at: SystemTime,
    /// If set, a pending transaction approves itself at this instant.
    pub(crate) auto_approve_at: Option<SystemTime>,
    pub(crate) tokens: TransactionTokens,
}

impl Transaction {
    /// When it is forgotten: [`settled_retention`] after its deadline.
    fn forget_at(&self) -> SystemTime {
        let ttl = self.expires_at.duration_since(self.created_at).unwrap_or_default();
        self.expires_at + settled_retention(ttl)
    }
}

/// A minted intent token's server-side record: what it may do, for whom, and whether used.
#[derive(Debug, Clone)]
pub(crate) struct Intent {
    pub(crate) operation: Operation,
    /// Set when the intent named an existing user.
    pub(crate) user_id: Option<Uuid>,
    /// The username the intent is bound to (the user's, or a not-yet-existing one).
    pub(crate) username: Option<String>,
    /// Channels the device may use; `None` = no restriction.
    pub(crate) channels: Option<Vec<Channel>>,
    pub(crate) expires_at: SystemTime,
    pub(crate) used: bool,
}

impl Intent {
    /// Whether the token may still be used at `now`.
    pub(crate) fn usable(&self, now: SystemTime) -> bool {
        !self.used && now < self.expires_at
    }
}

/// Who a request names: by `userId`, by `username`, both, or neither.
#[derive(Debug, Clone, Default)]
pub(crate) struct UserRef {
    pub(crate) user_id: Option<Uuid>,
    pub(crate) username: Option<String>,
}

/// The user a request resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// An existing user; `assign_username` is set when the request gives a username to a
    /// user that had none.
    Existing { user_id: Uuid, assign_username: Option<String> },
    /// A user to create, with or without a username.
    New { username: Option<String> },
}

impl Target {
    /// The id of an existing target user.
    pub(crate) fn user_id(&self) -> Option<Uuid> {
        match self {
            Target::Existing { user_id, .. } => Some(*user_id),
            Target::New { .. } => None,
        }
    }
}

/// Why a [`UserRef`] does not resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResolveError {
    /// `userId` names no user.
    UnknownUser,
    /// `userId` and `username` name different users.
    Mismatch,
}

/// Why a decision on a transaction was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecideError {
    Unknown,
    NotPending(TransactionStatus),
}

/// Timing of a transaction to start.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub(crate) now: SystemTime,
    pub(crate) ttl: Duration,
    pub(crate) auto_approve_after: Option<Duration>,
}

/// All users, transactions and intents of one emulator.
#[derive(Debug, Default)]
pub(crate) struct State {
    users: HashMap<Uuid, User>,
    user_ids_by_username: HashMap<String, Uuid>,
    transactions: HashMap<Uuid, Transaction>,
    intents: HashMap<Uuid, Intent>,
    /// When each transaction is to be forgotten, in creation order (the TTL is the same for
    /// all, so this is also the order of their times, clock jumps aside).
    transactions_to_forget: VecDeque<(SystemTime, Uuid)>,
    /// When each intent expires, in minting order.
    intents_to_forget: VecDeque<(SystemTime, Uuid)>,
}

impl State {
    /// Forgets everything (the control API's reset).
    pub(crate) fn clear(&mut self) {
        *self = State::default();
    }

    /// A user by id.
    pub(crate) fn user(&self, user_id: Uuid) -> Option<&User> {
        self.users.get(&user_id)
    }

    /// A user's id by exact (case-sensitive) username.
    pub(crate) fn user_id_by_username(&self, username: &str) -> Option<Uuid> {
        self.user_ids_by_username.get(username).copied()
    }

    /// A transaction by id, as last settled.
    pub(crate) fn transaction(&self, transaction_id: Uuid) -> Option<&Transaction> {
        self.transactions.get(&transaction_id)
    }

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

    /// Creates the target user if needed and starts an enrollment transaction for it.
    /// Returns `(userId, transactionId)`; the caller attaches the tokens.
    pub(crate) fn begin_enrollment(&mut self, target: Target, timing: Timing) -> (Uuid, Uuid) {
        let now = timing.now;
        let user_id = match target {
            Target::Existing { user_id, assign_username } => {
                if let Some(username) = assign_username {
                    self.set_username(user_id, username, now);
                }
                user_id
            }
            Target::New { username } => self.create_user(username, now),
        };
        let transaction_id = Uuid::new_v4();
        let transaction = Transaction {
            transaction_id,
            operation: Operation::Enroll,
            approval: None,
            user_id,
            status: TransactionStatus::Pending,
            created_at: now,
            last_updated_at: now,
            expires_at: now + timing.ttl,
            auto_approve_at: timing.auto_approve_after.map(|after| now + after),
            tokens: TransactionTokens::default(),
        };
        self.evict(now);
        self.transactions_to_forget.push_back((transaction.forget_at(), transaction_id));
        self.transactions.insert(transaction_id, transaction);
        if let Some(user) = self.users.get_mut(&user_id) {
            user.transaction_ids.push(transaction_id);
        }
        (user_id, transaction_id)
    }

    /// Starts an approval transaction for an existing user with at least one authenticator;
    /// without `authenticatorId` it asks the newest authenticator (by `enrolledAt`).
    pub(crate) fn begin_approval(
        &mut self,
        user_id: Uuid,
        request: ApprovalRequest,
        timing: Timing,
    ) -> Result<Uuid, ApprovalError> {
        let user = self.users.get_mut(&user_id).ok_or(ApprovalError::UnknownUser)?;
        let newest = user.authenticators.iter().max_by_key(|a| a.enrolled_at).map(|a| a.authenticator_id);
        let Some(newest) = newest else {
            return Err(ApprovalError::NoAuthenticator);
        };
        let authenticator = match request.authenticator {
            None => AuthenticatorChoice::One(newest),
            Some(AuthenticatorChoice::Any) => AuthenticatorChoice::Any,
            Some(AuthenticatorChoice::One(id)) if user.authenticators.iter().any(|a| a.authenticator_id == id) => {
                AuthenticatorChoice::One(id)
            }
            Some(AuthenticatorChoice::One(_)) => return Err(ApprovalError::UnknownAuthenticator),
        };
        let now = timing.now;
        let transaction_id = Uuid::new_v4();
        user.transaction_ids.push(transaction_id);
        let deadline = now + timing.ttl;
        let forget_at = deadline + settled_retention(timing.ttl);
        let approval = Approval {
            channel: request.channel,
            authenticator,
            prompt: request.prompt,
            message: request.message,
            notification_message: request.notification_message,
        };
        self.transactions.insert(
            transaction_id,
            Transaction {
                transaction_id,
                operation: Operation::Approve,
                approval: Some(approval),
                user_id,
                status: TransactionStatus::Pending,
                created_at: now,
                last_updated_at: now,
                expires_at: deadline,
                auto_approve_at: timing.auto_approve_after.map(|after| now + after),
                tokens: TransactionTokens::default(),
            },
        );
        self.transactions_to_forget.push_back((forget_at, transaction_id));
        self.evict(now);
        Ok(transaction_id)
    }

    /// The user's pending approvals, oldest first, as last settled (call
    /// [`State::settle_user`] first); `None` for an unknown user.
    pub(crate) fn pending_approvals(&self, user_id: Uuid) -> Option<Vec<(&Transaction, &Approval)>> {
        let user = self.users.get(&user_id)?;
        Some(
            user.transaction_ids
                .iter()
                .filter_map(|id| self.transactions.get(id))
                .filter(|t| t.status == TransactionStatus::Pending)
                .filter_map(|t| t.approval.as_ref().map(|approval| (t, approval)))
                .collect(),
        )
    }

    /// Deletes a user: its username becomes free, its transactions are forgotten (their
    /// status tokens report `unknown`) and so are intent tokens bound to its id. `false` if
    /// there was no such user.
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

    /// Stores the tokens minted for a transaction.
    pub(crate) fn attach_tokens(&mut self, transaction_id: Uuid, tokens: TransactionTokens) {
        if let Some(transaction) = self.transactions.get_mut(&transaction_id) {
            transaction.tokens = tokens;
        }
    }

    fn create_user(&mut self, username: Option<String>, now: SystemTime) -> Uuid {
        let user_id = Uuid::new_v4();
        if let Some(name) = &username {
            self.user_ids_by_username.insert(name.clone(), user_id);
        }
        self.users.insert(
            user_id,
            User {
                user_id,
                username,
                status: UserStatus::New,
                created_at: now,
                updated_at: now,
                last_login_success: None,
                last_login_failure: None,
                authenticators: Vec::new(),
                transaction_ids: Vec::new(),
            },
        );
        user_id
    }

    fn set_username(&mut self, user_id: Uuid, username: String, now: SystemTime) {
        if let Some(user) = self.users.get_mut(&user_id) {
            self.user_ids_by_username.insert(username.clone(), user_id);
            user.username = Some(username);
            user.updated_at = now;
        }
    }

    /// Applies what time has done: forgets what outlived its lifetime ([`State::evict`]),
    /// then settles the transaction.
    pub(crate) fn settle(&mut self, transaction_id: Uuid, now: SystemTime) {
        self.evict(now);
        self.settle_one(transaction_id, now);
    }

    /// Forgets the transactions [`settled_retention`] past their deadline (after applying a
    /// due auto-approval, whose effect on the user must not be lost) and the intents past
    /// their expiry. Cheap: it looks only at the front of two queues in time order.
    pub(crate) fn evict(&mut self, now: SystemTime) {
        while let Some(&(at, transaction_id)) = self.transactions_to_forget.front() {
            if at > now {
                break;
            }
            self.transactions_to_forget.pop_front();
            self.settle_one(transaction_id, now);
            // Gone already when its user was deleted.
            let Some(transaction) = self.transactions.remove(&transaction_id) else {
                continue;
            };
            if let Some(user) = self.users.get_mut(&transaction.user_id) {
                // Oldest first, so it is (nearly always) the first one.
                if let Some(index) = user.transaction_ids.iter().position(|id| *id == transaction_id) {
                    user.transaction_ids.remove(index);
                }
            }
        }
        while let Some(&(at, jti)) = self.intents_to_forget.front() {
            if at > now {
                break;
            }
            self.intents_to_forget.pop_front();
            self.intents.remove(&jti);
        }
    }

    /// How many transactions and intents are kept (for tests of eviction).
    #[cfg(test)]
    fn kept(&self) -> (usize, usize) {
        (self.transactions.len(), self.intents.len())
    }

    /// Applies what time has done to a pending transaction: auto-approval (if configured
    /// and due before the deadline), else expiry (`failed` at its deadline).
    fn settle_one(&mut self, transaction_id: Uuid, now: SystemTime) {
        let Some(transaction) = self.transactions.get(&transaction_id) else {
            return;
        };
        if transaction.status != TransactionStatus::Pending {
            return;
        }
        let expires_at = transaction.expires_at;
        let auto_at = transaction.auto_approve_at.filter(|at| *at < expires_at && *at <= now);
        if let Some(at) = auto_at {
            self.finish(transaction_id, true, at);
        } else if now >= expires_at {
            if let Some(transaction) = self.transactions.get_mut(&transaction_id) {
                transaction.status = TransactionStatus::Failed;
                transaction.last_updated_at = expires_at;
            }
        }
    }

    /// Settles every transaction of a user (before showing the user).
    pub(crate) fn settle_user(&mut self, user_id: Uuid, now: SystemTime) {
        self.evict(now);
        let ids = match self.users.get(&user_id) {
            Some(user) => user.transaction_ids.clone(),
            None => return,
        };
        for id in ids {
            self.settle_one(id, now);
        }
    }

    /// The user's decision on a pending transaction (the simulated phone).
    pub(crate) fn decide(
        &mut self,
        transaction_id: Uuid,
        approve: bool,
        now: SystemTime,
    ) -> Result<TransactionStatus, DecideError> {
        self.settle(transaction_id, now);
        let transaction = self.transactions.get(&transaction_id).ok_or(DecideError::Unknown)?;
        if transaction.status != TransactionStatus::Pending {
            return Err(DecideError::NotPending(transaction.status));
        }
        Ok(self.finish(transaction_id, approve, now))
    }

    /// Ends a pending transaction and applies its effect on the user.
    fn finish(&mut self, transaction_id: Uuid, approve: bool, at: SystemTime) -> TransactionStatus {
        let Some(transaction) = self.transactions.get_mut(&transaction_id) else {
            return TransactionStatus::Failed;
        };
        let user = self.users.get_mut(&transaction.user_id);
        let status = match (approve, transaction.operation, user) {
            (_, _, None) | (false, Operation::Enroll, _) => TransactionStatus::Failed,
            (true, Operation::Enroll, Some(user)) => {
                if user.authenticators.len() >= MAX_AUTHENTICATORS {
                    TransactionStatus::Failed
                } else {
                    user.authenticators.push(Authenticator {
                        authenticator_id: Uuid::new_v4(),
                        name: EMULATED_AUTHENTICATOR_NAME.to_owned(),
                        platform: "android",
                        authenticator_type: "app",
                        state: "active",
                        enrolled_at: at,
                        updated_at: at,
                    });
                    user.status = UserStatus::Active;
                    user.updated_at = at;
                    TransactionStatus::Succeeded
                }
            }
            (approve, Operation::Approve, Some(user)) => {
                let reachable =
                    transaction.approval.as_ref().is_some_and(|approval| approval.authenticator.reachable(user));
                if !reachable {
                    // The phone that was asked is gone: nobody can answer.
                    TransactionStatus::Failed
                } else if approve {
                    user.last_login_success = Some(at);
                    TransactionStatus::Succeeded
                } else {
                    user.last_login_failure = Some(at);
                    TransactionStatus::Failed
                }
            }
        };
        transaction.status = status;
        transaction.last_updated_at = at;
        status
    }

    /// Records a newly minted intent token under its `jti` (forgotten at its expiry).
    pub(crate) fn insert_intent(&mut self, jti: Uuid, intent: Intent, now: SystemTime) {
        self.evict(now);
        self.intents_to_forget.push_back((intent.expires_at, jti));
        self.intents.insert(jti, intent);
    }

    /// An intent by its token's `jti`.
    pub(crate) fn intent(&self, jti: Uuid) -> Option<&Intent> {
        self.intents.get(&jti)
    }

    /// Marks an intent token as spent.
    pub(crate) fn consume_intent(&mut self, jti: Uuid) {
        if let Some(intent) = self.intents.get_mut(&jti) {
            intent.used = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(now: SystemTime) -> Timing {
        Timing { now, ttl: Duration::from_secs(60), auto_approve_after: None }
    }

    #[test]
    fn approval_adds_authenticator_and_activates() {
        let mut state = State::default();
        let now = SystemTime::now();
        let target = state.resolve(&UserRef { user_id: None, username: Some("u1".into()) }).expect("resolves");
        let (user_id, tid) = state.begin_enrollment(target, timing(now));
        assert_eq!(state.user(user_id).map(|u| u.status), Some(UserStatus::New));
        assert_eq!(state.decide(tid, true, now), Ok(TransactionStatus::Succeeded));
        let user = state.user(user_id).expect("user");
        assert_eq!(user.status, UserStatus::Active);
        assert_eq!(user.authenticators.len(), 1);
        assert_eq!(state.decide(tid, false, now), Err(DecideError::NotPending(TransactionStatus::Succeeded)));
    }

    #[test]
    fn expiry_and_auto_approval() {
        let mut state = State::default();
        let now = SystemTime::now();
        let (_, tid) = state.begin_enrollment(Target::New { username: None }, timing(now));
        state.settle(tid, now + Duration::from_secs(61));
        assert_eq!(state.transaction(tid).map(|t| t.status), Some(TransactionStatus::Failed));

        let auto = Timing { auto_approve_after: Some(Duration::from_secs(1)), ..timing(now) };
        let (_, tid) = state.begin_enrollment(Target::New { username: None }, auto);
        state.settle(tid, now);
        assert_eq!(state.transaction(tid).map(|t| t.status), Some(TransactionStatus::Pending));
        state.settle(tid, now + Duration::from_secs(2));
        assert_eq!(state.transaction(tid).map(|t| t.status), Some(TransactionStatus::Succeeded));
    }

    #[test]
    fn resolve_rules() {
        let mut state = State::default();
        let now = SystemTime::now();
        let (a, _) = state.begin_enrollment(Target::New { username: Some("a".into()) }, timing(now));
        let (b, _) = state.begin_enrollment(Target::New { username: None }, timing(now));
        let by_name = UserRef { user_id: None, username: Some("a".into()) };
        assert_eq!(state.resolve(&by_name), Ok(Target::Existing { user_id: a, assign_username: None }));
        let mismatch = UserRef { user_id: Some(b), username: Some("a".into()) };
        assert_eq!(state.resolve(&mismatch), Err(ResolveError::Mismatch));
        let assign = UserRef { user_id: Some(b), username: Some("b".into()) };
        assert_eq!(state.resolve(&assign), Ok(Target::Existing { user_id: b, assign_username: Some("b".into()) }));
        let unknown = UserRef { user_id: Some(Uuid::new_v4()), username: None };
        assert_eq!(state.resolve(&unknown), Err(ResolveError::UnknownUser));
    }

    /// A user with `count` authenticators enrolled one second apart, starting at `now`.
    fn user_with_authenticators(state: &mut State, now: SystemTime, count: u64) -> Uuid {
        let (user_id, _) = state.begin_enrollment(Target::New { username: Some("p".into()) }, timing(now));
        for i in 0..count {
            let target = Target::Existing { user_id, assign_username: None };
            let (_, tid) = state.begin_enrollment(target, timing(now));
            assert_eq!(state.decide(tid, true, now + Duration::from_secs(i)), Ok(TransactionStatus::Succeeded));
        }
        user_id
    }

    fn request(authenticator: Option<AuthenticatorChoice>) -> ApprovalRequest {
        ApprovalRequest {
            channel: Channel::Push,
            authenticator,
            prompt: false,
            message: None,
            notification_message: None,
        }
    }

    #[test]
    fn approvals_target_the_newest_authenticator_and_record_logins() {
        let mut state = State::default();
        let now = SystemTime::now();
        let bare = user_with_authenticators(&mut state, now, 0);
        assert_eq!(state.begin_approval(bare, request(None), timing(now)), Err(ApprovalError::NoAuthenticator));
        assert_eq!(state.begin_approval(Uuid::new_v4(), request(None), timing(now)), Err(ApprovalError::UnknownUser));

        let mut state = State::default();
        let user_id = user_with_authenticators(&mut state, now, 2);
        let ids: Vec<Uuid> = state.user(user_id).unwrap().authenticators.iter().map(|a| a.authenticator_id).collect();
        let unknown = Some(AuthenticatorChoice::One(Uuid::new_v4()));
        assert_eq!(
            state.begin_approval(user_id, request(unknown), timing(now)),
            Err(ApprovalError::UnknownAuthenticator)
        );

        let tid = state.begin_approval(user_id, request(None), timing(now)).expect("starts");
        let approval = state.transaction(tid).and_then(|t| t.approval.clone()).expect("approval");
        assert_eq!(approval.authenticator, AuthenticatorChoice::One(ids[1]), "the newest");
        assert_eq!(state.pending_approvals(user_id).map(|p| p.len()), Some(1));
        let later = now + Duration::from_secs(5);
        assert_eq!(state.decide(tid, true, later), Ok(TransactionStatus::Succeeded));
        assert_eq!(state.user(user_id).unwrap().last_login_success, Some(later));
        assert_eq!(state.pending_approvals(user_id).map(|p| p.len()), Some(0));

        let tid = state.begin_approval(user_id, request(Some(AuthenticatorChoice::One(ids[0]))), timing(now)).unwrap();
        assert_eq!(state.decide(tid, false, later), Ok(TransactionStatus::Failed));
        let user = state.user(user_id).unwrap();
        assert_eq!(user.last_login_failure, Some(later));
        assert_eq!(user.authenticators.len(), 2, "approvals add no authenticator");
    }

    #[test]
    fn deleting_authenticators_fails_their_pending_approvals() {
        let mut state = State::default();
        let now = SystemTime::now();
        let user_id = user_with_authenticators(&mut state, now, 2);
        let ids: Vec<Uuid> = state.user(user_id).unwrap().authenticators.iter().map(|a| a.authenticator_id).collect();
        let on_first =
            state.begin_approval(user_id, request(Some(AuthenticatorChoice::One(ids[0]))), timing(now)).unwrap();
        let on_newest = state.begin_approval(user_id, request(None), timing(now)).unwrap();
        let any = ApprovalRequest { channel: Channel::App, ..request(Some(AuthenticatorChoice::Any)) };
        let on_any = state.begin_approval(user_id, any, timing(now)).unwrap();

        assert!(state.delete_authenticator(ids[0], now));
        assert!(!state.delete_authenticator(ids[0], now));
        let status = |state: &State, tid| state.transaction(tid).map(|t| t.status);
        assert_eq!(status(&state, on_first), Some(TransactionStatus::Failed));
        assert_eq!(status(&state, on_newest), Some(TransactionStatus::Pending));
        assert_eq!(status(&state, on_any), Some(TransactionStatus::Pending));
        assert_eq!(state.user(user_id).unwrap().status, UserStatus::Active);
        assert_eq!(state.user(user_id).unwrap().last_login_failure, None, "not a decline");

        assert!(state.delete_authenticator(ids[1], now));
        assert_eq!(status(&state, on_newest), Some(TransactionStatus::Failed));
        assert_eq!(status(&state, on_any), Some(TransactionStatus::Failed));
        assert_eq!(state.user(user_id).unwrap().status, UserStatus::New);
    }

    #[test]
    fn a_due_auto_approval_survives_a_later_deletion() {
        let mut state = State::default();
        let now = SystemTime::now();
        let user_id = user_with_authenticators(&mut state, now, 1);
        let id = state.user(user_id).unwrap().authenticators[0].authenticator_id;
        let auto = Timing { auto_approve_after: Some(Duration::from_secs(1)), ..timing(now) };
        let tid = state.begin_approval(user_id, request(None), auto).unwrap();
        assert!(state.delete_authenticator(id, now + Duration::from_secs(2)));
        assert_eq!(state.transaction(tid).map(|t| t.status), Some(TransactionStatus::Succeeded));
    }

    #[test]
    fn renaming_and_deleting_users() {
        let mut state = State::default();
        let now = SystemTime::now();
        let user_id = user_with_authenticators(&mut state, now, 1);
        let id = state.user(user_id).unwrap().authenticators[0].authenticator_id;
        let later = now + Duration::from_secs(9);
        let renamed = state.rename_authenticator(id, "Work phone".into(), later).expect("renamed");
        assert_eq!((renamed.name.as_str(), renamed.updated_at), ("Work phone", later));
        assert!(state.rename_authenticator(Uuid::new_v4(), "x".into(), later).is_none());

        let tid = state.begin_approval(user_id, request(None), timing(now)).unwrap();
        state.insert_intent(
            Uuid::nil(),
            Intent {
                operation: Operation::Approve,
                user_id: Some(user_id),
                username: Some("p".into()),
                channels: None,
                expires_at: later,
                used: false,
            },
            now,
        );
        assert!(state.delete_user(user_id));
        assert!(!state.delete_user(user_id));
        assert!(state.transaction(tid).is_none());
        assert!(state.intent(Uuid::nil()).is_none());
        assert_eq!(state.user_id_by_username("p"), None);
        assert!(state.pending_approvals(user_id).is_none());
    }

    #[test]
    fn retention_is_the_ttl_within_bounds() {
        assert_eq!(settled_retention(Duration::from_millis(200)), MIN_SETTLED_RETENTION);
        assert_eq!(settled_retention(Duration::from_secs(300)), Duration::from_secs(300));
        assert_eq!(settled_retention(Duration::from_secs(5 * 3600)), crate::tokens::TRANSACTION_TOKEN_GRACE);
    }

    #[test]
    fn settled_transactions_are_forgotten_one_retention_after_their_deadline() {
        let mut state = State::default();
        let now = SystemTime::now();
        let s = Duration::from_secs;
        let user_id = user_with_authenticators(&mut state, now, 1);
        let (_, decided) = state.begin_enrollment(Target::Existing { user_id, assign_username: None }, timing(now));
        assert_eq!(state.decide(decided, false, now), Ok(TransactionStatus::Failed));
        let never_looked_at = state.begin_approval(user_id, request(None), timing(now)).unwrap();
        let status = |state: &State, tid| state.transaction(tid).map(|t| t.status);

        // TTL 60 s: deadline at 60 s, forgotten at 120 s — settled and answering until then.
        state.settle(decided, now + s(119));
        assert_eq!(status(&state, decided), Some(TransactionStatus::Failed));
        state.settle(never_looked_at, now + s(119));
        assert_eq!(status(&state, never_looked_at), Some(TransactionStatus::Failed), "expired");
        state.settle(decided, now + s(120));
        assert_eq!(status(&state, decided), None, "forgotten: status answers unknown");
        assert_eq!(status(&state, never_looked_at), None);
        assert_eq!(state.decide(decided, true, now + s(121)), Err(DecideError::Unknown));
        // The user stays, with its authenticator; its list of transactions shrinks.
        let user = state.user(user_id).expect("users are kept");
        assert_eq!(user.authenticators.len(), 1);
        assert!(user.transaction_ids.is_empty(), "{:?}", user.transaction_ids);
        assert_eq!(state.kept(), (0, 0));
    }

    #[test]
    fn a_due_auto_approval_is_applied_before_its_transaction_is_forgotten() {
        let mut state = State::default();
        let now = SystemTime::now();
        let auto = Timing { auto_approve_after: Some(Duration::from_secs(1)), ..timing(now) };
        let (user_id, tid) = state.begin_enrollment(Target::New { username: Some("auto".into()) }, auto);
        // Nobody looks at it; a later enrollment sweeps it away.
        state.begin_enrollment(Target::New { username: None }, timing(now + Duration::from_secs(3600)));
        assert!(state.transaction(tid).is_none());
        let user = state.user(user_id).expect("kept");
        assert_eq!((user.status, user.authenticators.len()), (UserStatus::Active, 1), "the approval counted");
    }

    #[test]
    fn intents_are_forgotten_at_their_expiry() {
        let mut state = State::default();
        let now = SystemTime::now();
        let intent = |expires_at| Intent {
            operation: Operation::Enroll,
            user_id: None,
            username: Some("i".into()),
            channels: None,
            expires_at,
            used: false,
        };
        let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
        state.insert_intent(first, intent(now + Duration::from_secs(10)), now);
        state.insert_intent(second, intent(now + Duration::from_secs(20)), now + Duration::from_secs(9));
        assert!(state.intent(first).is_some() && state.intent(second).is_some());
        state.evict(now + Duration::from_secs(10));
        assert!(state.intent(first).is_none() && state.intent(second).is_some());
        state.evict(now + Duration::from_secs(20));
        assert_eq!(state.kept(), (0, 0));
    }

    #[test]
    fn a_long_run_stays_bounded() {
        // 20,000 settled enrollments, one every 10 ms, TTL 1 s: each is forgotten 1 s + 5 s
        // after it started, so about 600 are ever kept at once.
        let mut state = State::default();
        let start = SystemTime::now();
        let ttl = Duration::from_secs(1);
        let mut most = 0;
        for i in 0..20_000u32 {
            let now = start + Duration::from_millis(10 * u64::from(i));
            let target = Target::New { username: None };
            let (_, tid) = state.begin_enrollment(target, Timing { now, ttl, auto_approve_after: None });
            assert_eq!(state.decide(tid, true, now), Ok(TransactionStatus::Succeeded));
            most = most.max(state.kept().0);
        }
        let retained = (ttl + settled_retention(ttl)).as_millis() / 10;
        assert!(most as u128 <= retained + 1, "{most} kept at once, expected at most {}", retained + 1);
        assert!(state.transactions_to_forget.len() <= most);
    }

    #[test]
    fn enrollment_stops_at_the_authenticator_limit() {
        let mut state = State::default();
        let now = SystemTime::now();
        let user_id = user_with_authenticators(&mut state, now, MAX_AUTHENTICATORS as u64);
        let (_, tid) = state.begin_enrollment(Target::Existing { user_id, assign_username: None }, timing(now));
        assert_eq!(state.decide(tid, true, now), Ok(TransactionStatus::Failed));
        assert_eq!(state.user(user_id).unwrap().authenticators.len(), MAX_AUTHENTICATORS);
    }
}
