//! How transactions move: started `pending` (an enrollment, an approval of a user, or a
//! usernameless approval), decided by the user (`succeeded` / `failed`, with the effect on the
//! user), settled by time (auto-approval, expiry) and finally forgotten; and how intent tokens
//! are recorded and spent. Each move is recorded in the event log.
//!
//! Every transaction is built by [`Transaction::pending`] and kept by [`State::keep_new`], so
//! all kinds (app and SMS enrollments, push, app and SMS approvals) start the same way.

use std::time::SystemTime;

use uuid::Uuid;

use super::State;
use super::approval::{ApprovalError, ApprovalRequest};
use super::events::{Actor, Category};
use super::intent::Intent;
use super::operation::{Channel, Operation};
use super::sms::{SmsChallenge, SmsMessage};
use super::transaction::{DecideError, Timing, Transaction, TransactionStatus, TransactionTokens};
use super::user::{Authenticator, MAX_AUTHENTICATORS, Target, UserStatus};

impl State {
    /// Creates the target user if needed and starts an enrollment transaction for it.
    /// Returns `(userId, transactionId)`; the caller attaches the tokens.
    pub(crate) fn begin_enrollment(&mut self, target: Target, timing: Timing) -> (Uuid, Uuid) {
        let user_id = self.target_user(target, timing.now);
        self.evict(timing.now);
        let transaction = Transaction::pending(Some(user_id), Operation::Enroll, None, None, timing);
        let transaction_id = self.keep_new(transaction);
        self.log_transaction(transaction_id, Actor::Api, timing.now, None, "waiting for the app to scan the QR code");
        (user_id, transaction_id)
    }

    /// Starts an approval transaction for an existing user: push and app approvals ask one of
    /// its app authenticators (without `authenticatorId` the newest, by `enrolledAt`), an SMS
    /// approval one of its phone numbers, where the SMS with the code is "sent" (into the
    /// outbox). A push or SMS approval past the user's rate limit is refused, and nothing is
    /// created or sent.
    pub(crate) fn begin_approval(
        &mut self,
        user_id: Uuid,
        request: ApprovalRequest,
        timing: Timing,
    ) -> Result<Uuid, ApprovalError> {
        let now = timing.now;
        let user = self.users.get(&user_id).ok_or(ApprovalError::UnknownUser)?;
        let (channel, sms) = (request.channel, request.sms.clone());
        let (approval, phone) = request.resolve(user)?;
        self.admit_send(Some(user_id), channel, Category::Approval, now)
            .map_err(|retry_after| ApprovalError::RateLimited { retry_after })?;
        let challenge = sms.as_ref().map(|sms| SmsChallenge {
            code: sms.code.clone(),
            phone: phone.clone().unwrap_or_default(),
            wrong_codes: 0,
        });
        let transaction = Transaction::pending(Some(user_id), Operation::Approve, Some(approval), challenge, timing);
        let transaction_id = self.keep_new(transaction);
        self.evict(now);
        self.record_send(user_id, channel, now);
        let detail = match channel {
            Channel::Push => "a push notification to the app",
            Channel::Sms => "a one-time code by SMS",
            _ => "a QR code / app link for the app",
        };
        self.log_transaction(transaction_id, Actor::Api, now, None, detail);
        if let Some(sms) = sms {
            let to = phone.unwrap_or_default();
            self.send_sms(SmsMessage { to, text: sms.text, code: sms.code, user_id, transaction_id, sent_at: now });
            self.log_sms_sent(transaction_id, now);
        }
        Ok(transaction_id)
    }

    /// Starts a usernameless approval (`app` channel, no user named): it has no user until one
    /// approves it with an app authenticator ([`State::approve_as`]), and never approves
    /// itself.
    pub(crate) fn begin_usernameless_approval(&mut self, request: ApprovalRequest, timing: Timing) -> Uuid {
        let approval = request.usernameless();
        let transaction = Transaction::pending(None, Operation::Approve, Some(approval), None, timing);
        let transaction_id = self.keep_new(transaction);
        self.evict(timing.now);
        let detail = "usernameless: a QR code / app link for whichever user's app approves it";
        self.log_transaction(transaction_id, Actor::Api, timing.now, None, detail);
        transaction_id
    }

    /// Keeps a new transaction: by its id, in its user's list (a usernameless approval joins
    /// its approver's list once approved), and in the queue of what is forgotten when.
    /// Returns its id.
    pub(super) fn keep_new(&mut self, transaction: Transaction) -> Uuid {
        let transaction_id = transaction.transaction_id;
        self.transactions_to_forget.push_back((transaction.forget_at(), transaction_id));
        if let Some(user) = transaction.user_id.and_then(|user_id| self.users.get_mut(&user_id)) {
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
            if let Some(user) = transaction.user_id.and_then(|user_id| self.users.get_mut(&user_id)) {
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
    /// and due before the deadline), else expiry (`failed` at its deadline, by the system).
    pub(super) fn settle_one(&mut self, transaction_id: Uuid, now: SystemTime) {
        let Some(transaction) = self.transactions.get(&transaction_id) else {
            return;
        };
        if transaction.status != TransactionStatus::Pending {
            return;
        }
        let expires_at = transaction.expires_at;
        let auto_at = transaction.auto_approve_at.filter(|at| *at < expires_at && *at <= now);
        if let Some(at) = auto_at {
            self.finish(transaction_id, true, at, None, "approved by the emulator's auto-approval");
        } else if now >= expires_at {
            if let Some(transaction) = self.transactions.get_mut(&transaction_id) {
                transaction.status = TransactionStatus::Failed;
                transaction.last_updated_at = expires_at;
            }
            self.log_transaction(transaction_id, Actor::System, expires_at, None, "expired: nobody answered in time");
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
    /// transaction is not the phone's to decide: only its code does. Approving a usernameless
    /// approval needs the approving user ([`State::approve_as`]); declining it does not.
    pub(crate) fn decide(
        &mut self,
        transaction_id: Uuid,
        approve: bool,
        now: SystemTime,
    ) -> Result<TransactionStatus, DecideError> {
        let user_id = self.decidable(transaction_id, now)?;
        if approve && user_id.is_none() {
            return Err(DecideError::NeedsUser);
        }
        let detail = if approve { "approved on the phone" } else { "declined on the phone" };
        Ok(self.finish(transaction_id, approve, now, None, detail))
    }

    /// A user approving a pending transaction on the phone: the transaction's own user (any
    /// other is refused), or for a usernameless approval any user with an app authenticator,
    /// who becomes its user.
    pub(crate) fn approve_as(
        &mut self,
        transaction_id: Uuid,
        user_id: Uuid,
        now: SystemTime,
    ) -> Result<TransactionStatus, DecideError> {
        match self.decidable(transaction_id, now)? {
            Some(owner) if owner != user_id => Err(DecideError::WrongUser),
            Some(_) => Ok(self.finish(transaction_id, true, now, None, "approved on the phone")),
            None => {
                let user = self.users.get(&user_id).ok_or(DecideError::UnknownUser)?;
                if !user.has_app() {
                    return Err(DecideError::NoAppAuthenticator);
                }
                Ok(self.finish(transaction_id, true, now, Some(user_id), "approved on the phone by this user"))
            }
        }
    }

    /// The user of a transaction the phone may decide now (after settling): known, not an SMS
    /// one, still pending.
    fn decidable(&mut self, transaction_id: Uuid, now: SystemTime) -> Result<Option<Uuid>, DecideError> {
        self.settle(transaction_id, now);
        let transaction = self.transactions.get(&transaction_id).ok_or(DecideError::Unknown)?;
        if transaction.channel() == Channel::Sms {
            return Err(DecideError::DecidedByCode);
        }
        if transaction.status != TransactionStatus::Pending {
            return Err(DecideError::NotPending(transaction.status));
        }
        Ok(transaction.user_id)
    }

    /// Ends a pending transaction, applies its effect on the user and records it (by the
    /// user, with `detail` unless something else decided it). `approver` is the user a
    /// usernameless approval is approved by.
    fn finish(
        &mut self,
        transaction_id: Uuid,
        approve: bool,
        at: SystemTime,
        approver: Option<Uuid>,
        detail: &'static str,
    ) -> TransactionStatus {
        let Some(transaction) = self.transactions.get_mut(&transaction_id) else {
            return TransactionStatus::Failed;
        };
        let adopted = approve && transaction.user_id.is_none() && approver.is_some();
        if adopted {
            transaction.user_id = approver;
        }
        let mut detail = detail;
        let mut registered = None;
        let user = transaction.user_id.and_then(|user_id| self.users.get_mut(&user_id));
        let status = match (approve, transaction.operation, user) {
            (_, _, None) | (false, Operation::Enroll, _) => TransactionStatus::Failed,
            (true, Operation::Enroll, Some(user)) => {
                if user.authenticators.len() >= MAX_AUTHENTICATORS {
                    detail = "the user already has the most authenticators allowed (10)";
                    TransactionStatus::Failed
                } else {
                    let authenticator = Authenticator::emulated(at);
                    registered = Some(authenticator.authenticator_id);
                    user.authenticators.push(authenticator);
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
                    detail = "the authenticator asked is gone";
                    TransactionStatus::Failed
                } else if approve {
                    user.last_login_success = Some(at);
                    if adopted {
                        user.transaction_ids.push(transaction_id);
                    }
                    TransactionStatus::Succeeded
                } else {
                    user.last_login_failure = Some(at);
                    TransactionStatus::Failed
                }
            }
        };
        if adopted && status != TransactionStatus::Succeeded {
            transaction.user_id = None;
        }
        transaction.status = status;
        transaction.last_updated_at = at;
        self.log_transaction(transaction_id, Actor::User, at, registered, detail);
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
