//! Rate limits per user and channel ([`RateLimits`]: how many push approvals and SMS a user
//! may get within a sliding window) and the record they are checked against
//! ([`SendWindows`]: when the recent ones were sent).
//!
//! Plain data and pure checks with time passed in; refusing a request and recording a send are
//! [`super::State`]'s, in `transitions.rs` and `codes.rs`.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use super::operation::Channel;

/// At most `max` sends within any `period` (a sliding window), per user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sends allowed within the window; `0` refuses every one.
    pub max: u32,
    /// The window's length.
    pub period: Duration,
}

/// The limits of the two channels that reach a user's phone; `None` = unlimited. The default
/// has none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimits {
    /// Push approvals (`POST /api/v1/approval` with channel `push`).
    pub push: Option<RateLimit>,
    /// SMS sent (SMS enrollments and SMS approvals).
    pub sms: Option<RateLimit>,
}

impl RateLimits {
    /// The limit of a channel: `push` and `sms` have one, the others never.
    pub(crate) fn of(&self, channel: Channel) -> Option<RateLimit> {
        match channel {
            Channel::Push => self.push,
            Channel::Sms => self.sms,
            Channel::App | Channel::Fido2 | Channel::Recovery => None,
        }
    }
}

/// When the recent sends of one channel happened, oldest first.
#[derive(Debug, Clone, Default)]
pub(crate) struct SendWindow {
    sends: VecDeque<SystemTime>,
}

impl SendWindow {
    /// How long until one more send fits under `limit` at `now`: `None` when it fits now.
    /// The window frees a slot when enough of the sends in it have aged out of it; with
    /// `max` 0 nothing ever fits, and a retry is offered one period on.
    pub(super) fn blocked_for(&self, limit: RateLimit, now: SystemTime) -> Option<Duration> {
        let in_window: Vec<SystemTime> =
            self.sends.iter().copied().filter(|at| within(*at, now, limit.period)).collect();
        let max = limit.max as usize;
        if in_window.len() < max {
            return None;
        }
        if max == 0 {
            return Some(limit.period);
        }
        // `in_window.len() - max + 1` sends must leave; the last of them is at this index.
        let frees_at = in_window[in_window.len() - max] + limit.period;
        Some(frees_at.duration_since(now).unwrap_or(Duration::ZERO))
    }

    /// Records a send at `now`, forgetting those `period` no longer counts (so a window holds
    /// at most about `max` entries).
    pub(super) fn record(&mut self, period: Duration, now: SystemTime) {
        self.sends.retain(|at| within(*at, now, period));
        self.sends.push_back(now);
    }
}

/// Whether a send at `at` still counts at `now` in a window of `period` (one from the future,
/// after a clock jump, does).
fn within(at: SystemTime, now: SystemTime, period: Duration) -> bool {
    now.duration_since(at).map_or(true, |age| age < period)
}

/// A user's recent push approvals and SMS.
#[derive(Debug, Clone, Default)]
pub(crate) struct SendWindows {
    push: SendWindow,
    sms: SendWindow,
}

impl SendWindows {
    /// The window of a channel that has one (`push`, `sms`).
    pub(super) fn of(&self, channel: Channel) -> Option<&SendWindow> {
        match channel {
            Channel::Push => Some(&self.push),
            Channel::Sms => Some(&self.sms),
            _ => None,
        }
    }

    /// The same, to record in.
    pub(super) fn of_mut(&mut self, channel: Channel) -> Option<&mut SendWindow> {
        match channel {
            Channel::Push => Some(&mut self.push),
            Channel::Sms => Some(&mut self.sms),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn a_sliding_window_frees_one_slot_at_a_time() {
        let start = SystemTime::now();
        let limit = RateLimit { max: 3, period: MINUTE };
        let mut window = SendWindow::default();
        for second in [0u64, 10, 20] {
            let at = start + Duration::from_secs(second);
            assert_eq!(window.blocked_for(limit, at), None, "send at {second}s fits");
            window.record(limit.period, at);
        }
        // Full: the send at 0 s leaves at 60 s.
        assert_eq!(window.blocked_for(limit, start + Duration::from_secs(30)), Some(Duration::from_secs(30)));
        assert_eq!(window.blocked_for(limit, start + Duration::from_millis(59_999)), Some(Duration::from_millis(1)));
        assert_eq!(window.blocked_for(limit, start + MINUTE), None);
        window.record(limit.period, start + MINUTE);
        // 10 s, 20 s, 60 s in the window: the next slot frees at 70 s.
        assert_eq!(window.blocked_for(limit, start + MINUTE), Some(Duration::from_secs(10)));
        assert_eq!(window.sends.len(), 3, "the send that left the window is forgotten");
    }

    #[test]
    fn a_lowered_limit_counts_every_send_in_the_window() {
        let start = SystemTime::now();
        let mut window = SendWindow::default();
        for second in 0..5u64 {
            window.record(MINUTE, start + Duration::from_secs(second));
        }
        // Max 2 with five sends in the window: four must leave; the fourth (3 s) leaves at 63 s.
        let now = start + Duration::from_secs(10);
        assert_eq!(window.blocked_for(RateLimit { max: 2, period: MINUTE }, now), Some(Duration::from_secs(53)));
        assert_eq!(window.blocked_for(RateLimit { max: 6, period: MINUTE }, now), None);
    }

    #[test]
    fn zero_refuses_everything_and_limits_belong_to_two_channels() {
        let now = SystemTime::now();
        let window = SendWindow::default();
        assert_eq!(window.blocked_for(RateLimit { max: 0, period: MINUTE }, now), Some(MINUTE));
        assert_eq!(window.blocked_for(RateLimit { max: 1, period: MINUTE }, now), None);
        let limits = RateLimits { push: Some(RateLimit { max: 1, period: MINUTE }), sms: None };
        assert_eq!(limits.of(Channel::Push), limits.push);
        assert_eq!(limits.of(Channel::Sms), None);
        assert_eq!(limits.of(Channel::App), None);
        assert_eq!(RateLimits::default(), RateLimits { push: None, sms: None });
    }
}
