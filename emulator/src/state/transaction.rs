//! A transaction: one operation waiting for (or finished with) the user's decision, where it
//! stands ([`TransactionStatus`]), the tokens handed out for it, and how long it is kept.
//!
//! [`Transaction::pending`] is the one way a transaction comes to be, so the defaults of a
//! new one (status, timestamps, deadline, auto-approval, empty tokens) are written once. The
//! moves between `pending`, `succeeded` and `failed` are [`super::State`]'s, in
//! `transitions.rs`.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use uuid::Uuid;

use super::approval::Approval;
use super::operation::{Channel, Operation};
use super::sms::SmsChallenge;

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

/// The tokens handed out for one transaction; `status` returns the same ones every time.
#[derive(Debug, Clone, Default)]
pub(crate) struct TransactionTokens {
    pub(crate) status_token: String,
    pub(crate) token: String,
    pub(crate) dispatch_token: String,
}

/// Timing of a transaction to start.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub(crate) now: SystemTime,
    pub(crate) ttl: Duration,
    pub(crate) auto_approve_after: Option<Duration>,
}

/// One operation waiting for (or finished with) the user's decision.
#[derive(Debug, Clone)]
pub(crate) struct Transaction {
    pub(crate) transaction_id: Uuid,
    pub(crate) operation: Operation,
    /// Set exactly for [`Operation::Approve`] transactions.
    pub(crate) approval: Option<Approval>,
    /// Set exactly for SMS enrollments and SMS approvals: the code that decides them (the
    /// simulated phone never does).
    pub(crate) sms: Option<SmsChallenge>,
    /// `None` for a usernameless approval until a user approves it (then that user).
    pub(crate) user_id: Option<Uuid>,
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
    /// A new transaction with a fresh id, `pending` since `timing.now`: it times out after
    /// the TTL and approves itself after `auto_approve_after` if set. Its tokens are empty
    /// until the route mints them ([`super::State::attach_tokens`]). `approval` is what an
    /// [`Operation::Approve`] transaction asks, and `None` for an enrollment; `sms` is the
    /// code an SMS transaction waits for. Only the code decides such a transaction, so it never
    /// approves itself; nor does a usernameless approval (`user_id` `None`): auto-approval
    /// would have to invent the user.
    pub(super) fn pending(
        user_id: Option<Uuid>,
        operation: Operation,
        approval: Option<Approval>,
        sms: Option<SmsChallenge>,
        timing: Timing,
    ) -> Self {
        debug_assert_eq!(approval.is_some(), operation == Operation::Approve, "an approval exactly for approve");
        debug_assert!(user_id.is_some() || operation == Operation::Approve, "only approvals start without a user");
        let now = timing.now;
        let auto_approve_after = if sms.is_some() || user_id.is_none() { None } else { timing.auto_approve_after };
        Transaction {
            transaction_id: Uuid::new_v4(),
            operation,
            approval,
            sms,
            user_id,
            status: TransactionStatus::Pending,
            created_at: now,
            last_updated_at: now,
            expires_at: now + timing.ttl,
            auto_approve_at: auto_approve_after.map(|after| now + after),
            tokens: TransactionTokens::default(),
        }
    }

    /// How it reaches the user: an approval's channel (`sms` for an SMS approval), `sms` for
    /// an SMS enrollment, else `app` (an enrollment through the QR code / app link).
    pub(crate) fn channel(&self) -> Channel {
        match (&self.approval, &self.sms) {
            (Some(approval), _) => approval.channel,
            (None, Some(_)) => Channel::Sms,
            (None, None) => Channel::App,
        }
    }

    /// When it is forgotten: [`settled_retention`] after its deadline.
    pub(super) fn forget_at(&self) -> SystemTime {
        let ttl = self.expires_at.duration_since(self.created_at).unwrap_or_default();
        self.expires_at + settled_retention(ttl)
    }
}

/// Why a decision on a transaction was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecideError {
    Unknown,
    NotPending(TransactionStatus),
    /// An SMS transaction: only its code decides it (`POST /api/v1/users/{userId}/verification`).
    DecidedByCode,
    /// A usernameless approval: approving it needs the approving user.
    NeedsUser,
    /// The approving user named is not the transaction's user.
    WrongUser,
    /// The approving user named does not exist.
    UnknownUser,
    /// The approving user named has no app authenticator to approve with.
    NoAppAuthenticator,
}
