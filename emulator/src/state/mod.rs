//! The emulator's in-memory world: users (with their authenticators, recovery codes and recent
//! sends), transactions, intents, the SMS outbox, the rate limits and the event log.
//!
//! Everything the API does is a short method on [`State`], called under one mutex. Time is
//! passed in (`now`) rather than read here, and expiry / auto-approval are applied lazily by
//! [`State::settle`] whenever a transaction is looked at, so there are no timers to cancel.
//!
//! What has outlived its lifetime is forgotten the same lazy way ([`State::evict`], run by
//! every `settle` and every new transaction or intent), so a long test suite stays bounded in
//! memory: a transaction [`settled_retention`](transaction::settled_retention) after its
//! deadline (its status then answers `unknown`, as for a token the emulator never issued), an
//! intent at its expiry (its token is refused by then anyway). Users are kept, as the vendor
//! keeps them.
//! Transactions carry an [`Operation`]: `enroll` registers an authenticator, `approve` asks an
//! existing one to confirm (a login); approvals also carry what the phone shows ([`Approval`]).
//!
//! This file holds [`State`] itself and its plain lookups. The types are in one file per
//! concept, each importing only types listed before it, never the files of methods below:
//!
//! - `operation.rs`: [`Operation`] and [`Channel`], the vocabulary the others share;
//! - `recovery.rs`: a user's recovery codes (hashes only) and their single-use, rate-limited
//!   check;
//! - `rate_limit.rs`: the public [`RateLimits`] and a user's sliding windows of sends;
//! - `events.rs`: the event log the log export serves, and its vocabulary;
//! - `user.rs`: users, their authenticators (app and SMS), and how a request names a user;
//! - `sms.rs`: the code an SMS transaction waits for, the outbox's messages and their public
//!   [`SentSms`] view;
//! - `approval.rs`: what an approval asks of the phone;
//! - `transaction.rs`: a transaction, its status and tokens, and its one constructor,
//!   [`Transaction::pending`];
//! - `pending_approval.rs`: the public [`PendingApproval`] view;
//! - `intent.rs`: the record of a minted intent token.
//!
//! The changes are [`State`]'s methods, in five files: `transitions.rs` (starting, deciding,
//! settling and forgetting transactions; recording and spending intents), `accounts.rs`
//! (resolving, creating, renaming and deleting users and authenticators), `codes.rs`
//! (SMS enrollments, their outbox and codes; recovery codes), `limits.rs` (the rate limits:
//! refusing, counting, reporting) and `audit.rs` (recording and seeding the event log).

mod accounts;
mod approval;
mod audit;
mod codes;
mod events;
mod intent;
mod limits;
mod operation;
mod pending_approval;
mod rate_limit;
mod recovery;
mod sms;
mod transaction;
mod transitions;
mod user;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, VecDeque};
use std::time::SystemTime;

use uuid::Uuid;

pub(crate) use approval::{Approval, ApprovalError, ApprovalRequest, AuthenticatorChoice};
pub(crate) use events::{Actor, Category, EventStatus, LogEvent, channel_word};
pub(crate) use intent::Intent;
pub(crate) use operation::{Channel, Operation};
pub use pending_approval::PendingApproval;
pub use rate_limit::{RateLimit, RateLimits};
pub(crate) use recovery::RecoveryCheck;
pub use sms::SentSms;
pub(crate) use sms::{SmsCodeError, SmsEnrollment, SmsMessage, SmsText};
pub use transaction::TransactionStatus;
pub(crate) use transaction::{DecideError, Timing, Transaction, TransactionTokens};
pub(crate) use user::{Authenticator, ResolveError, Target, User, UserRef};

/// All users, transactions, intents, sent SMS, rate limits and events of one emulator.
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
    /// Every SMS "sent", oldest first (at most [`sms::OUTBOX_CAPACITY`]).
    sms_outbox: VecDeque<SmsMessage>,
    /// The limits on push approvals and SMS per user, as last set.
    rate_limits: RateLimits,
    /// What happened, for the log export (at most [`events::EVENT_CAPACITY`]).
    events: events::EventLog,
}

impl State {
    /// An empty world with these rate limits.
    pub(crate) fn new(rate_limits: RateLimits) -> Self {
        State { rate_limits, ..State::default() }
    }

    /// Forgets everything (the control API's reset) and sets the rate limits back to
    /// `rate_limits` (the configuration's).
    pub(crate) fn clear(&mut self, rate_limits: RateLimits) {
        *self = State::new(rate_limits);
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

    /// An intent by its token's `jti`.
    pub(crate) fn intent(&self, jti: Uuid) -> Option<&Intent> {
        self.intents.get(&jti)
    }

    /// The user's pending approvals that the phone decides (push and app; an SMS approval is
    /// decided by its code), oldest first, as last settled (call [`State::settle_user`] first);
    /// `None` for an unknown user.
    pub(crate) fn pending_approvals(&self, user_id: Uuid) -> Option<Vec<(&Transaction, &Approval)>> {
        let user = self.users.get(&user_id)?;
        Some(
            user.transaction_ids
                .iter()
                .filter_map(|id| self.transactions.get(id))
                .filter(|t| t.status == TransactionStatus::Pending && t.sms.is_none())
                .filter_map(|t| t.approval.as_ref().map(|approval| (t, approval)))
                .collect(),
        )
    }

    /// The users that have an app authenticator (who could approve a usernameless approval),
    /// by username, then id; at most `limit`.
    pub(crate) fn app_users(&self, limit: usize) -> Vec<&User> {
        let mut users: Vec<&User> = self.users.values().filter(|user| user.has_app()).collect();
        users.sort_by(|a, b| a.username.cmp(&b.username).then(a.user_id.cmp(&b.user_id)));
        users.truncate(limit);
        users
    }

    /// The events recorded, for the log export (call [`State::settle_all`] first, so that
    /// expiries are in).
    pub(crate) fn events(&self) -> &events::EventLog {
        &self.events
    }

    /// How many transactions and intents are kept (for tests of eviction).
    #[cfg(test)]
    fn kept(&self) -> (usize, usize) {
        (self.transactions.len(), self.intents.len())
    }
}
