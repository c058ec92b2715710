//! The rate limits as the state applies them: setting them, refusing a send that would go past
//! them (recording `ratelimit.exceeded`), counting the sends that are let through, and which
//! channels block a user now (the user record's `exceededRateLimits`).
//!
//! Only sends made while their channel has a limit are counted: with no limit there is
//! nothing to count against, and the windows stay empty.

use std::time::{Duration, SystemTime};

use uuid::Uuid;

use super::State;
use super::events::{Actor, Category, EventStatus, LogEvent};
use super::operation::Channel;
use super::rate_limit::{RateLimits, SendWindow};

impl State {
    /// Replaces the rate limits (sends already counted stay counted).
    pub(crate) fn set_rate_limits(&mut self, limits: RateLimits) {
        self.rate_limits = limits;
    }

    /// How long until `user` (`None`: a user still to be created, who has sent nothing) may
    /// get one more send over `channel`; `None` when it may now.
    pub(super) fn send_blocked_for(
        &self,
        user_id: Option<Uuid>,
        channel: Channel,
        now: SystemTime,
    ) -> Option<Duration> {
        let limit = self.rate_limits.of(channel)?;
        let empty = SendWindow::default();
        let window =
            user_id.and_then(|id| self.users.get(&id)).and_then(|user| user.sends.of(channel)).unwrap_or(&empty);
        window.blocked_for(limit, now)
    }

    /// Refuses a send to `user_id` over `channel` that would go past its limit, recording
    /// `ratelimit.exceeded` in `category`; `Err` holds how long until a slot frees.
    pub(super) fn admit_send(
        &mut self,
        user_id: Option<Uuid>,
        channel: Channel,
        category: Category,
        now: SystemTime,
    ) -> Result<(), Duration> {
        let Some(retry_after) = self.send_blocked_for(user_id, channel, now) else {
            return Ok(());
        };
        let mut event =
            LogEvent::new(now, category, "ratelimit.exceeded", EventStatus::Failure, Some(channel), Actor::Api)
                .detail(format!("the user's {} rate limit is reached; nothing was sent", channel.as_str()));
        event.user_id = user_id;
        self.log(event);
        Err(retry_after)
    }

    /// Counts a send to the user over `channel` (when the channel has a limit).
    pub(super) fn record_send(&mut self, user_id: Uuid, channel: Channel, now: SystemTime) {
        let Some(limit) = self.rate_limits.of(channel) else {
            return;
        };
        if let Some(window) = self.users.get_mut(&user_id).and_then(|user| user.sends.of_mut(channel)) {
            window.record(limit.period, now);
        }
    }

    /// The channels on which the user is blocked now (a further send would be refused), in
    /// the order `push`, `sms`; empty for an unknown user.
    pub(crate) fn exceeded_rate_limits(&self, user_id: Uuid, now: SystemTime) -> Vec<Channel> {
        if !self.users.contains_key(&user_id) {
            return Vec::new();
        }
        [Channel::Push, Channel::Sms]
            .into_iter()
            .filter(|channel| self.send_blocked_for(Some(user_id), *channel, now).is_some())
            .collect()
    }
}
