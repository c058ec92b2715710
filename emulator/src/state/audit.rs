//! Recording the event log: one event per thing that happened, written where it happens
//! (`transitions.rs`, `accounts.rs`, `codes.rs`, `limits.rs`) through the helpers here, and
//! synthetic events for large-export tests.

use std::time::SystemTime;

use uuid::Uuid;

use super::State;
use super::approval::AuthenticatorChoice;
use super::events::{self, Actor, Category, EventStatus, LogEvent};
use super::operation::Operation;
use super::transaction::TransactionStatus;

/// The event word of a transaction's start or outcome.
fn transaction_word(operation: Operation, status: TransactionStatus) -> &'static str {
    match (operation, status) {
        (Operation::Enroll, TransactionStatus::Pending) => "enrollment.started",
        (Operation::Enroll, TransactionStatus::Succeeded) => "enrollment.succeeded",
        (Operation::Enroll, TransactionStatus::Failed) => "enrollment.failed",
        (Operation::Approve, TransactionStatus::Pending) => "approval.started",
        (Operation::Approve, TransactionStatus::Succeeded) => "approval.succeeded",
        (Operation::Approve, TransactionStatus::Failed) => "approval.failed",
    }
}

/// The export's status of a transaction's status.
fn event_status(status: TransactionStatus) -> EventStatus {
    match status {
        TransactionStatus::Pending => EventStatus::Pending,
        TransactionStatus::Succeeded => EventStatus::Success,
        TransactionStatus::Failed => EventStatus::Failure,
    }
}

impl State {
    /// Records an event; one that names a user gets the user's current username.
    pub(super) fn log(&mut self, mut event: LogEvent) {
        if event.username.is_none() {
            event.username = event.user_id.and_then(|id| self.users.get(&id)).and_then(|user| user.username.clone());
        }
        self.events.push(event);
    }

    /// An event about a transaction: in its operation's category (`enrollment`, `approval`),
    /// over its channel, naming its user (if it has one yet) and the authenticator it asks.
    pub(super) fn transaction_event(
        &self,
        transaction_id: Uuid,
        event: &'static str,
        status: EventStatus,
        actor: Actor,
        at: SystemTime,
    ) -> Option<LogEvent> {
        let transaction = self.transactions.get(&transaction_id)?;
        let category = match transaction.operation {
            Operation::Enroll => Category::Enrollment,
            Operation::Approve => Category::Approval,
        };
        let asked = transaction.approval.as_ref().and_then(|approval| match approval.authenticator {
            AuthenticatorChoice::One(id) => Some(id),
            AuthenticatorChoice::Any => None,
        });
        let mut event = LogEvent::new(at, category, event, status, Some(transaction.channel()), actor)
            .transaction(transaction_id)
            .authenticator(asked);
        event.user_id = transaction.user_id;
        Some(event)
    }

    /// Records where a transaction now stands (`….started` for a new one, `….succeeded` /
    /// `….failed` for one that just ended), by `actor` at `at`, with a detail; `registered`
    /// names the authenticator a successful enrollment added.
    pub(super) fn log_transaction(
        &mut self,
        transaction_id: Uuid,
        actor: Actor,
        at: SystemTime,
        registered: Option<Uuid>,
        detail: &str,
    ) {
        let Some(transaction) = self.transactions.get(&transaction_id) else {
            return;
        };
        let (word, status) = (transaction_word(transaction.operation, transaction.status), transaction.status);
        if let Some(mut event) = self.transaction_event(transaction_id, word, event_status(status), actor, at) {
            if registered.is_some() {
                event.authenticator_id = registered;
            }
            self.log(event.detail(detail));
        }
    }

    /// Records an SMS sent for a transaction (`sms.sent`, in the transaction's category). The
    /// detail says what for, never the code or the number.
    pub(super) fn log_sms_sent(&mut self, transaction_id: Uuid, at: SystemTime) {
        if let Some(event) = self.transaction_event(transaction_id, "sms.sent", EventStatus::Success, Actor::Api, at) {
            let what = if event.category == Category::Enrollment { "enrollment" } else { "approval" };
            self.log(event.detail(format!("an SMS with a one-time code for the {what}")));
        }
    }

    /// Appends `count` synthetic events (see [`events::synthetic`]) ending at `now`. Only the
    /// last [`events::EVENT_CAPACITY`] can be kept, so only those are made.
    pub(crate) fn seed_events(&mut self, count: u32, now: SystemTime) {
        let capacity = u32::try_from(events::EVENT_CAPACITY).unwrap_or(u32::MAX);
        for index in count.saturating_sub(capacity)..count {
            self.events.push(events::synthetic(index, count, now));
        }
    }

    /// Settles every transaction (before an export: an expiry is recorded only once applied).
    pub(crate) fn settle_all(&mut self, now: SystemTime) {
        self.evict(now);
        let ids: Vec<Uuid> = self.transactions.keys().copied().collect();
        for id in ids {
            self.settle_one(id, now);
        }
    }
}
