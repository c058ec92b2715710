//! What codes decide: SMS transactions (SMS enrollments and SMS approvals, started with their
//! SMS in the outbox, confirmed or failed by the code the user types) and recovery codes
//! (issued as a set, checked one by one under a rate limit).

use std::time::{Duration, SystemTime};

use uuid::Uuid;

use super::State;
use super::events::{Actor, Category, EventStatus, LogEvent};
use super::operation::{Channel, Operation};
use super::recovery::RecoveryCheck;
use super::sms::{MAX_WRONG_CODES, OUTBOX_CAPACITY, SmsChallenge, SmsCodeError, SmsEnrollment, SmsMessage};
use super::transaction::{Timing, Transaction, TransactionStatus};
use super::user::{Authenticator, MAX_AUTHENTICATORS, Target, UserStatus};
use crate::hash::constant_time_eq;

impl State {
    /// Creates the target user if needed, starts an SMS enrollment for it (it never approves
    /// itself: see [`Transaction::pending`]) and "sends" the SMS: puts it in the outbox.
    /// Returns `(userId, transactionId)`; the caller attaches the tokens. Past the user's SMS
    /// rate limit it is refused (`Err`: how long until a slot frees) and nothing is created
    /// or sent.
    pub(crate) fn begin_sms_enrollment(
        &mut self,
        target: Target,
        sms: SmsEnrollment,
        timing: Timing,
    ) -> Result<(Uuid, Uuid), Duration> {
        let now = timing.now;
        self.admit_send(target.user_id(), Channel::Sms, Category::Enrollment, now)?;
        let user_id = self.target_user(target, now);
        self.evict(now);
        let challenge = SmsChallenge { code: sms.code.clone(), phone: sms.phone.clone(), wrong_codes: 0 };
        let transaction = Transaction::pending(Some(user_id), Operation::Enroll, None, Some(challenge), timing);
        let transaction_id = self.keep_new(transaction);
        self.record_send(user_id, Channel::Sms, now);
        self.log_transaction(transaction_id, Actor::Api, now, None, "waiting for the code sent by SMS");
        self.send_sms(SmsMessage {
            to: sms.phone,
            text: sms.text,
            code: sms.code,
            user_id,
            transaction_id,
            sent_at: now,
        });
        self.log_sms_sent(transaction_id, now);
        Ok((user_id, transaction_id))
    }

    /// Puts an SMS in the outbox (dropping the oldest when full).
    pub(super) fn send_sms(&mut self, message: SmsMessage) {
        if self.sms_outbox.len() >= OUTBOX_CAPACITY {
            self.sms_outbox.pop_front();
        }
        self.sms_outbox.push_back(message);
    }

    /// Checks the code the user typed for a pending SMS transaction of theirs (an SMS
    /// enrollment or an SMS approval). The right code makes it `succeeded` (its transaction
    /// token then introspects active): an enrollment registers the phone number as an SMS
    /// authenticator (once per number) and makes the user `active`, an approval sets
    /// `lastLoginDateSuccess`. A wrong one counts, and the [`MAX_WRONG_CODES`]th fails it (an
    /// approval then sets `lastLoginDateFailure`). Each check is recorded, never the code.
    pub(crate) fn verify_sms_code(
        &mut self,
        user_id: Uuid,
        transaction_id: Uuid,
        code: &str,
        now: SystemTime,
    ) -> Result<(), SmsCodeError> {
        self.settle(transaction_id, now);
        let transaction = self
            .transactions
            .get_mut(&transaction_id)
            .filter(|transaction| {
                transaction.user_id == Some(user_id) && transaction.status == TransactionStatus::Pending
            })
            .ok_or(SmsCodeError::NoSuchTransaction)?;
        let operation = transaction.operation;
        let challenge = transaction.sms.as_mut().ok_or(SmsCodeError::NoSuchTransaction)?;
        let right = constant_time_eq(challenge.code.as_bytes(), code.as_bytes());
        if !right {
            challenge.wrong_codes = challenge.wrong_codes.saturating_add(1);
        }
        let (wrong_codes, phone) = (challenge.wrong_codes, challenge.phone.clone());
        self.log_verification(user_id, transaction_id, right, now);
        let user = self.users.get_mut(&user_id).ok_or(SmsCodeError::NoSuchTransaction)?;
        let (outcome, result, registered, detail) = match (right, operation) {
            (true, Operation::Enroll) => match register_phone(user, phone, now) {
                Some(id) => (TransactionStatus::Succeeded, Ok(()), Some(id), "the code sent by SMS was typed"),
                None => (
                    TransactionStatus::Failed,
                    Err(SmsCodeError::NoRoom),
                    None,
                    "the user already has the most authenticators allowed (10)",
                ),
            },
            (true, Operation::Approve) => {
                user.last_login_success = Some(now);
                (TransactionStatus::Succeeded, Ok(()), None, "the code sent by SMS was typed")
            }
            (false, _) if wrong_codes >= MAX_WRONG_CODES => {
                if operation == Operation::Approve {
                    user.last_login_failure = Some(now);
                }
                (TransactionStatus::Failed, Err(SmsCodeError::WrongCode), None, "the third wrong code was typed")
            }
            (false, _) => return Err(SmsCodeError::WrongCode),
        };
        if let Some(transaction) = self.transactions.get_mut(&transaction_id) {
            transaction.status = outcome;
            transaction.last_updated_at = now;
        }
        self.log_transaction(transaction_id, Actor::User, now, registered, detail);
        result
    }

    /// Records an SMS code check (`verification.succeeded` / `verification.failed`), without
    /// the code.
    fn log_verification(&mut self, user_id: Uuid, transaction_id: Uuid, right: bool, now: SystemTime) {
        let (word, status, detail) = if right {
            ("verification.succeeded", EventStatus::Success, "the code is correct")
        } else {
            ("verification.failed", EventStatus::Failure, "the code is not correct")
        };
        let event = LogEvent::new(now, Category::Verification, word, status, Some(Channel::Sms), Actor::Api);
        let mut event = event.transaction(transaction_id).detail(detail);
        event.user_id = Some(user_id);
        self.log(event);
    }

    /// Every SMS in the outbox, oldest first.
    pub(crate) fn sms_outbox(&self) -> impl Iterator<Item = &SmsMessage> {
        self.sms_outbox.iter()
    }

    /// The SMS sent to a user, oldest first; `None` for an unknown user.
    pub(crate) fn sms_of(&self, user_id: Uuid) -> Option<Vec<&SmsMessage>> {
        self.users.get(&user_id)?;
        Some(self.sms_outbox.iter().filter(|message| message.user_id == user_id).collect())
    }

    /// Creates the target user if needed and gives it a new set of recovery codes (their
    /// hashes), replacing any previous set. Moves the user's `updatedAt`. Returns its id.
    pub(crate) fn set_recovery_codes(&mut self, target: Target, hashes: Vec<[u8; 32]>, now: SystemTime) -> Uuid {
        let user_id = self.target_user(target, now);
        let count = hashes.len();
        if let Some(user) = self.users.get_mut(&user_id) {
            user.recovery.replace(hashes);
            user.updated_at = now;
        }
        let event = LogEvent::new(
            now,
            Category::Enrollment,
            "recovery.issued",
            EventStatus::Success,
            Some(Channel::Recovery),
            Actor::Api,
        );
        let mut event = event.detail(format!("{count} recovery codes issued, replacing any earlier set"));
        event.user_id = Some(user_id);
        self.log(event);
        user_id
    }

    /// Checks a recovery code's hash against the user's unused codes (see
    /// [`super::recovery::RecoveryCodes`]); `None` for an unknown user.
    pub(crate) fn check_recovery_code(
        &mut self,
        user_id: Uuid,
        candidate: &[u8; 32],
        now: SystemTime,
    ) -> Option<RecoveryCheck> {
        let check = self.users.get_mut(&user_id)?.recovery.check(candidate, now);
        let (word, status, detail) = match check {
            RecoveryCheck::Accepted => ("verification.succeeded", EventStatus::Success, "a recovery code was used"),
            RecoveryCheck::Rejected => ("verification.failed", EventStatus::Failure, "the code is not correct"),
            RecoveryCheck::Limited { .. } => {
                ("ratelimit.exceeded", EventStatus::Failure, "too many wrong recovery codes; not checked")
            }
        };
        let event = LogEvent::new(now, Category::Verification, word, status, Some(Channel::Recovery), Actor::Api);
        let mut event = event.detail(detail);
        event.user_id = Some(user_id);
        self.log(event);
        Some(check)
    }
}

/// Registers a confirmed phone number as the user's SMS authenticator: a number it has
/// already is not added twice (that authenticator's `updatedAt` moves); a new one needs room
/// under [`MAX_AUTHENTICATORS`]. Returns the authenticator's id, `None` without room. The user
/// turns `active`.
fn register_phone(user: &mut super::user::User, phone: String, now: SystemTime) -> Option<Uuid> {
    let full = user.authenticators.len() >= MAX_AUTHENTICATORS;
    let id = match user.authenticators.iter_mut().find(|a| a.phone() == Some(phone.as_str())) {
        Some(existing) => {
            existing.updated_at = now;
            existing.authenticator_id
        }
        None if full => return None,
        None => {
            let authenticator = Authenticator::sms(phone, now);
            let id = authenticator.authenticator_id;
            user.authenticators.push(authenticator);
            id
        }
    };
    user.status = UserStatus::Active;
    user.updated_at = now;
    Some(id)
}
