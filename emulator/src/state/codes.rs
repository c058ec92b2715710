//! What codes decide: SMS enrollments (started with their SMS in the outbox, confirmed or
//! failed by the code the user types) and recovery codes (issued as a set, checked one by one
//! under a rate limit).

use std::time::SystemTime;

use uuid::Uuid;

use super::State;
use super::operation::Operation;
use super::recovery::RecoveryCheck;
use super::sms::{MAX_WRONG_CODES, OUTBOX_CAPACITY, SmsChallenge, SmsCodeError, SmsEnrollment, SmsMessage};
use super::transaction::{Timing, Transaction, TransactionStatus};
use super::user::Target;
use crate::hash::constant_time_eq;

impl State {
    /// Creates the target user if needed, starts an SMS enrollment for it (it never approves
    /// itself: see [`Transaction::pending`]) and "sends" the SMS: puts it in the outbox.
    /// Returns `(userId, transactionId)`; the caller attaches the tokens.
    pub(crate) fn begin_sms_enrollment(&mut self, target: Target, sms: SmsEnrollment, timing: Timing) -> (Uuid, Uuid) {
        let now = timing.now;
        let user_id = self.target_user(target, now);
        self.evict(now);
        let challenge = SmsChallenge { code: sms.code.clone(), wrong_codes: 0 };
        let transaction = Transaction::pending(user_id, Operation::Enroll, None, Some(challenge), timing);
        let transaction_id = self.keep_new(transaction);
        if self.sms_outbox.len() >= OUTBOX_CAPACITY {
            self.sms_outbox.pop_front();
        }
        self.sms_outbox.push_back(SmsMessage {
            to: sms.phone,
            text: sms.text,
            code: sms.code,
            user_id,
            transaction_id,
            sent_at: now,
        });
        (user_id, transaction_id)
    }

    /// Checks the code the user typed for a pending SMS transaction of theirs. The right
    /// code makes it `succeeded` (its transaction token then introspects active); a wrong one
    /// counts, and the [`MAX_WRONG_CODES`]th fails it.
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
            .filter(|transaction| transaction.user_id == user_id && transaction.status == TransactionStatus::Pending)
            .ok_or(SmsCodeError::NoSuchTransaction)?;
        let challenge = transaction.sms.as_mut().ok_or(SmsCodeError::NoSuchTransaction)?;
        if constant_time_eq(challenge.code.as_bytes(), code.as_bytes()) {
            transaction.status = TransactionStatus::Succeeded;
            transaction.last_updated_at = now;
            return Ok(());
        }
        challenge.wrong_codes = challenge.wrong_codes.saturating_add(1);
        if challenge.wrong_codes >= MAX_WRONG_CODES {
            transaction.status = TransactionStatus::Failed;
            transaction.last_updated_at = now;
        }
        Err(SmsCodeError::WrongCode)
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
        if let Some(user) = self.users.get_mut(&user_id) {
            user.recovery.replace(hashes);
            user.updated_at = now;
        }
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
        Some(self.users.get_mut(&user_id)?.recovery.check(candidate, now))
    }
}
