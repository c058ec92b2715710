//! How transactions move: started `pending` (an enrollment or an approval), decided by the
//! user (`succeeded` / `failed`, with the effect on the user), settled by time (auto-approval,
//! expiry) and finally forgotten; and how intent tokens are recorded and spent.
//!
//! Every transaction is built by [`Transaction::pending`] and kept by [`State::keep_new`], so
//! all kinds (app and SMS enrollments, approvals) start the same way.

use std::time::SystemTime;

use uuid::Uuid;

use super::State;
use super::approval::{ApprovalError, ApprovalRequest};
use super::intent::Intent;
use super::operation::{Channel, Operation};
use super::transaction::{DecideError, Timing, Transaction, TransactionStatus, TransactionTokens};
use super::user::{Authenticator, MAX_AUTHENTICATORS, Target, UserStatus};

impl State {
    /// Creates the target user if needed and starts an enrollment transaction for it.
    /// Returns `(userId, transactionId)`; the caller attaches the tokens.
    pub(crate) fn begin_enrollment(&mut self, target: Target, timing: Timing) -> (Uuid, Uuid) {
        let user_id = self.target_user(target, timing.now);
        self.evict(timing.now);
        let transaction_id = self.keep_new(Transaction::pending(user_id, Operation::Enroll, None, None, timing));
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
        let user = self.users.get(&user_id).ok_or(ApprovalError::UnknownUser)?;
        let approval = request.resolve(user)?;
        let transaction_id =
            self.keep_new(Transaction::pending(user_id, Operation::Approve, Some(approval), None, timing));
        self.evict(timing.now);
        Ok(transaction_id)
    }

    /// Keeps a new transaction: by its id, in its user's list, and in the queue of what is
    /// forgotten when. Returns its id.
    pub(super) fn keep_new(&mut self, transaction: Transaction) -> Uuid {
        let transaction_id = transaction.transaction_id;
        self.transactions_to_forget.push_back((transaction.forget_at(), transaction_id));
        if let Some(user) = self.users.get_mut(&transaction.user_id) {
            user.transaction_ids.push(transaction_id);
        }
        self.transactions.insert(transaction_id, transaction);
        transaction_id
    }

    /// Stores the tokens minted for a transaction.
    pub(crate) fn attach_tokens(&mut self, transaction_id: Uuid, tokens: TransactionTokens) {
        if let Some(transaction) = self.transactions.get_mut(&transaction_id) {
            transaction.tokens = tokens;
        }
    }

    /// Applies what time has done: forgets what outlived its lifetime ([`State::evict`]),
    /// then settles the transaction.
    pub(crate) fn settle(&mut self, transaction_id: Uuid, now: SystemTime) {
        self.evict(now);
        self.settle_one(transaction_id, now);
    }

    /// Forgets the transactions [`super::transaction::settled_retention`] past their deadline (after
    /// applying a due auto-approval, whose effect on the user must not be lost) and the
    /// intents past their expiry. Cheap: it looks only at the front of two queues in time
    /// order.
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

    /// The user's decision on a pending transaction (the simulated phone). An SMS
    /// transaction is not the phone's to decide: only its code does.
    pub(crate) fn decide(
        &mut self,
        transaction_id: Uuid,
        approve: bool,
        now: SystemTime,
    ) -> Result<TransactionStatus, DecideError> {
        self.settle(transaction_id, now);
        let transaction = self.transactions.get(&transaction_id).ok_or(DecideError::Unknown)?;
        if transaction.channel() == Channel::Sms {
            return Err(DecideError::DecidedByCode);
        }
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
                    user.authenticators.push(Authenticator::emulated(at));
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

    /// Marks an intent token as spent.
    pub(crate) fn consume_intent(&mut self, jti: Uuid) {
        if let Some(intent) = self.intents.get_mut(&jti) {
            intent.used = true;
        }
    }
}
