//! The audit log `GET /api/v1/logs/export` serves: one [`LogEvent`] per thing that happened
//! (an enrollment or approval started or ended, an SMS sent, a code checked, a user or an
//! authenticator changed, a rate limit hit), in the vendor's vocabulary ([`Category`],
//! [`EventStatus`], [`Actor`]), kept in a bounded [`EventLog`].
//!
//! Events hold ids, names and fixed texts only: never a code, a token or a key, so the export
//! cannot leak one. Recording them is [`super::State`]'s, where the things happen.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use uuid::Uuid;

use super::operation::Channel;

/// Events the log keeps (the oldest are dropped first): twice what one export may return, so
/// a filtered export still has some depth.
pub(crate) const EVENT_CAPACITY: usize = 20_000;

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Category {
    Enrollment,
    Approval,
    Verification,
    User,
    Authenticator,
}

/// How it ended, or that it has not yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventStatus {
    Success,
    Failure,
    Pending,
}

/// Who did it: the API caller (access key or intent token), the user (on the phone, or typing
/// a code) or the system (expiry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Actor {
    Api,
    User,
    System,
}

/// Each vocabulary's wire words, parsed and printed the same way.
macro_rules! words {
    ($type:ty { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $type {
            /// Every value, in the documented order.
            pub(crate) const ALL: &'static [$type] = &[$(<$type>::$variant),+];

            /// The wire word.
            pub(crate) fn as_str(self) -> &'static str {
                match self {
                    $(<$type>::$variant => $word),+
                }
            }

            /// Parses the wire word (exactly, lowercase).
            pub(crate) fn parse(word: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.as_str() == word)
            }
        }
    };
}

words!(Category {
    Enrollment => "enrollment",
    Approval => "approval",
    Verification => "verification",
    User => "user",
    Authenticator => "authenticator",
});
words!(EventStatus { Success => "success", Failure => "failure", Pending => "pending" });
words!(Actor { Api => "api", User => "user", System => "system" });

/// The channel column: one of the vendor's channels, or `unknown` (a user deleted).
pub(crate) fn channel_word(channel: Option<Channel>) -> &'static str {
    channel.map_or("unknown", Channel::as_str)
}

/// One row of the export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogEvent {
    pub(crate) event_id: Uuid,
    pub(crate) at: SystemTime,
    pub(crate) category: Category,
    /// `enrollment.started`, `sms.sent`, … (a fixed word).
    pub(crate) event: &'static str,
    pub(crate) status: EventStatus,
    pub(crate) channel: Option<Channel>,
    pub(crate) actor: Actor,
    pub(crate) user_id: Option<Uuid>,
    pub(crate) username: Option<String>,
    pub(crate) transaction_id: Option<Uuid>,
    pub(crate) authenticator_id: Option<Uuid>,
    /// Free text written by the emulator (an authenticator's new name may be in it): never a
    /// secret.
    pub(crate) detail: String,
}

impl LogEvent {
    /// An event at `at` with a fresh id and no user, transaction, authenticator or detail yet.
    pub(crate) fn new(
        at: SystemTime,
        category: Category,
        event: &'static str,
        status: EventStatus,
        channel: Option<Channel>,
        actor: Actor,
    ) -> Self {
        LogEvent {
            event_id: Uuid::new_v4(),
            at,
            category,
            event,
            status,
            channel,
            actor,
            user_id: None,
            username: None,
            transaction_id: None,
            authenticator_id: None,
            detail: String::new(),
        }
    }

    /// The same, about a transaction.
    pub(crate) fn transaction(mut self, transaction_id: Uuid) -> Self {
        self.transaction_id = Some(transaction_id);
        self
    }

    /// The same, about an authenticator.
    pub(crate) fn authenticator(mut self, authenticator_id: Option<Uuid>) -> Self {
        self.authenticator_id = authenticator_id;
        self
    }

    /// The same, with a detail.
    pub(crate) fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

/// The recorded events, in the order they were recorded (at most [`EVENT_CAPACITY`]).
#[derive(Debug, Default)]
pub(crate) struct EventLog {
    events: VecDeque<LogEvent>,
}

impl EventLog {
    /// Appends an event, dropping the oldest when full.
    pub(crate) fn push(&mut self, event: LogEvent) {
        if self.events.len() >= EVENT_CAPACITY {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    /// Every event, in recording order.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &LogEvent> {
        self.events.iter()
    }

    /// The events that `keep` accepts, newest first (by timestamp; recording order breaks
    /// ties, and orders an expiry recorded late by its deadline), at most `limit`.
    pub(crate) fn newest(&self, keep: impl Fn(&LogEvent) -> bool, limit: usize) -> Vec<LogEvent> {
        let mut matching: Vec<(usize, &LogEvent)> = self.events.iter().enumerate().filter(|(_, e)| keep(e)).collect();
        matching.sort_by(|(i, a), (j, b)| b.at.cmp(&a.at).then(j.cmp(i)));
        matching.into_iter().take(limit).map(|(_, event)| event.clone()).collect()
    }
}

/// How far back synthetic events reach.
const SEED_SPAN: Duration = Duration::from_secs(24 * 3600);

/// Users the synthetic events are spread over (`seed-0` … `seed-49`).
const SEED_USERS: u32 = 50;

/// The `index`th of `count` synthetic events ending at `now` (see
/// [`super::State::seed_events`]): category `approval`, status, channel and actor varying
/// with the index, spread evenly over the last 24 h (the last one at `now`), user
/// `seed-<index % 50>` with a fixed id per name; every 10th has a detail with a comma, quotes
/// and a line break (CSV quoting).
pub(crate) fn synthetic(index: u32, count: u32, now: SystemTime) -> LogEvent {
    let (event, status, actor) = match index % 3 {
        0 => ("approval.started", EventStatus::Pending, Actor::Api),
        1 => ("approval.succeeded", EventStatus::Success, Actor::User),
        _ => ("approval.failed", EventStatus::Failure, Actor::User),
    };
    let channel = [Channel::Push, Channel::App, Channel::Sms][(index / 3 % 3) as usize];
    let before = SEED_SPAN.mul_f64(f64::from(count - 1 - index) / f64::from(count.max(1)));
    let seed_user = index % SEED_USERS;
    let detail = if index % 10 == 9 {
        format!("synthetic event {index}, \"seeded\"\nsecond line")
    } else {
        format!("synthetic event {index}")
    };
    let mut seeded = LogEvent::new(now - before, Category::Approval, event, status, Some(channel), actor)
        .transaction(Uuid::new_v4())
        .detail(detail);
    seeded.user_id = Some(Uuid::from_u128(0x5eed_0000_0000_4000_8000_0000_0000_0000 | u128::from(seed_user)));
    seeded.username = Some(format!("seed-{seed_user}"));
    seeded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for category in Category::ALL {
            assert_eq!(Category::parse(category.as_str()), Some(*category));
        }
        for status in EventStatus::ALL {
            assert_eq!(EventStatus::parse(status.as_str()), Some(*status));
        }
        for actor in Actor::ALL {
            assert_eq!(Actor::parse(actor.as_str()), Some(*actor));
        }
        assert_eq!(Category::parse("Approval"), None, "exact words");
        assert_eq!(channel_word(None), "unknown");
        assert_eq!(channel_word(Some(Channel::Fido2)), "fido2");
    }

    #[test]
    fn the_log_is_bounded_and_read_newest_first() {
        let now = SystemTime::now();
        let mut log = EventLog::default();
        let event = |at| LogEvent::new(at, Category::User, "user.deleted", EventStatus::Success, None, Actor::Api);
        for i in 0..EVENT_CAPACITY as u64 + 3 {
            log.push(event(now + Duration::from_millis(i)));
        }
        assert_eq!(log.iter().count(), EVENT_CAPACITY);
        // An event recorded late with an earlier time sorts by its time.
        let late = event(now);
        log.push(late.clone());
        let newest = log.newest(|_| true, 5);
        assert_eq!(newest.len(), 5);
        assert!(newest.windows(2).all(|pair| pair[0].at >= pair[1].at));
        assert_eq!(newest[0].at, now + Duration::from_millis(EVENT_CAPACITY as u64 + 2));
        let all = log.newest(|_| true, usize::MAX);
        assert_eq!(all.last(), Some(&late), "the oldest time is last");
        assert!(log.newest(|e| e.event == "nothing", 10).is_empty());
    }

    #[test]
    fn synthetic_events_vary_and_span_a_day() {
        let now = SystemTime::now();
        let events: Vec<LogEvent> = (0..300).map(|i| synthetic(i, 300, now)).collect();
        assert_eq!(events.last().map(|e| e.at), Some(now));
        assert!(events[0].at >= now - SEED_SPAN && events[0].at < now - SEED_SPAN / 2);
        assert!(events.iter().all(|e| e.category == Category::Approval));
        for status in EventStatus::ALL {
            assert!(events.iter().any(|e| e.status == *status));
        }
        for channel in [Channel::Push, Channel::App, Channel::Sms] {
            assert!(events.iter().any(|e| e.channel == Some(channel)));
        }
        assert_eq!(events[57].username.as_deref(), Some("seed-7"));
        assert_eq!(events[57].user_id, events[7].user_id, "one id per seed user");
        assert_ne!(events[57].user_id, events[8].user_id);
        assert!(events[9].detail.contains(',') && events[9].detail.contains('"') && events[9].detail.contains('\n'));
        assert_eq!(synthetic(0, 1, now).at, now);
    }
}
