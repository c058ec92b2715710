//! The emulator's in-memory world: users (with their authenticators and recovery codes),
//! transactions, intents and the SMS outbox.
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
//! - `user.rs`: users, their authenticators, and how a request names a user;
//! - `approval.rs`: what an approval asks of the phone;
//! - `sms.rs`: the code an SMS enrollment waits for, the outbox's messages and their public
//!   [`SentSms`] view;
//! - `transaction.rs`: a transaction, its status and tokens, and its one constructor,
//!   [`Transaction::pending`];
//! - `pending_approval.rs`: the public [`PendingApproval`] view;
//! - `intent.rs`: the record of a minted intent token.
//!
//! The changes are [`State`]'s methods, in three files: `transitions.rs` (starting, deciding,
//! settling and forgetting transactions; recording and spending intents), `accounts.rs`
//! (resolving, creating, renaming and deleting users and authenticators) and `codes.rs`
//! (SMS enrollments, their outbox and codes; recovery codes).

mod accounts;
mod approval;
mod codes;
mod intent;
mod operation;
mod pending_approval;
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
pub(crate) use intent::Intent;
pub(crate) use operation::{Channel, Operation};
pub use pending_approval::PendingApproval;
pub(crate) use recovery::RecoveryCheck;
pub use sms::SentSms;
pub(crate) use sms::{SmsCodeError, SmsEnrollment, SmsMessage};
pub use transaction::TransactionStatus;
pub(crate) use transaction::{DecideError, Timing, Transaction, TransactionTokens};
pub(crate) use user::{Authenticator, ResolveError, Target, User, UserRef};

/// All users, transactions, intents and sent SMS of one emulator.
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

    /// An intent by its token's `jti`.
    pub(crate) fn intent(&self, jti: Uuid) -> Option<&Intent> {
        self.intents.get(&jti)
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

    /// How many transactions and intents are kept (for tests of eviction).
    #[cfg(test)]
    fn kept(&self) -> (usize, usize) {
        (self.transactions.len(), self.intents.len())
    }
}
