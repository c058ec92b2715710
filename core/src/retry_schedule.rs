//! The timing decisions of a call's retries, as a small pure type beside `PollSchedule`:
//! how long to pause before the next attempt, or whether to give up — on tokio's clock,
//! with the randomness injected, so every rule is tested under paused time with exact
//! delays instead of statistics.
//!
//! *Whether* a failed request may be sent again at all (it may have had an effect) is the
//! endpoint's rule in `rules.rs`; this type only decides *when*.

use std::time::Duration;

use tokio::time::Instant;

use crate::config::RetryPolicy;

/// A draw from `[0, 1)`: where in its jitter range a back-off lands.
pub(crate) type UnitDraw = fn() -> f64;

/// What a call does after a failed attempt that may be re-sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryStep {
    /// Pause this long, then send the next attempt.
    RetryAfter(Duration),
    /// Report the failure: no attempts left, the server asked for a longer pause than the
    /// policy honours, or the pause would not end before the call's deadline.
    GiveUp,
}

/// The retry schedule of one call.
///
/// Our own back-off before retry `n` (1-based) is capped exponential,
/// `min(initial × 2ⁿ⁻¹, max)`, with jitter from the upper half of that value, so retries of
/// many clients spread out but never collapse to zero. A server's `Retry-After` (on 429
/// and 503) replaces it, up to the policy's `max_retry_after`.
#[derive(Debug, Clone)]
pub(crate) struct RetrySchedule {
    policy: RetryPolicy,
    deadline: Option<Instant>,
    attempts: u32,
    draw: UnitDraw,
}

impl RetrySchedule {
    /// The schedule of a call that has made its first attempt, jittered by `fastrand`.
    pub(crate) fn new(policy: RetryPolicy, deadline: Option<Instant>) -> Self {
        Self::with_draw(policy, deadline, fastrand::f64)
    }

    /// The same with the jitter's randomness supplied (tests pin it).
    pub(crate) fn with_draw(policy: RetryPolicy, deadline: Option<Instant>, draw: UnitDraw) -> Self {
        RetrySchedule { policy, deadline, attempts: 1, draw }
    }

    /// Attempts made so far (the first included).
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Time left before the call's deadline, seen from `now`.
    pub(crate) fn remaining(&self, now: Instant) -> Duration {
        self.deadline.map_or(Duration::MAX, |d| d.saturating_duration_since(now))
    }

    /// After attempt number [`Self::attempts`] failed in a way that may be re-sent, with the
    /// server's `Retry-After` if it sent one: pause and retry, or give up. A retry counts
    /// as the next attempt.
    pub(crate) fn after_failure(&mut self, now: Instant, retry_after: Option<Duration>) -> RetryStep {
        if self.attempts >= self.policy.max_attempts {
            return RetryStep::GiveUp;
        }
        let pause = match retry_after {
            Some(asked) if asked > self.policy.max_retry_after => return RetryStep::GiveUp,
            Some(asked) => asked,
            None => self.backoff(self.attempts),
        };
        if pause >= self.remaining(now) {
            return RetryStep::GiveUp;
        }
        self.attempts += 1;
        RetryStep::RetryAfter(pause)
    }

    /// Our own pause before retry number `retry` (1-based).
    fn backoff(&self, retry: u32) -> Duration {
        let exponential = self.policy.initial_backoff.saturating_mul(1u32 << retry.saturating_sub(1).min(16));
        let capped = exponential.min(self.policy.max_backoff);
        let half = capped / 2;
        half + half.mul_f64((self.draw)().clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn policy(max_attempts: u32) -> RetryPolicy {
        RetryPolicy { max_attempts, initial_backoff: MS * 200, max_backoff: MS * 1000, max_retry_after: MS * 5000 }
    }

    fn lowest() -> f64 {
        0.0
    }

    fn highest() -> f64 {
        0.999_999
    }

    fn steps(schedule: &mut RetrySchedule, n: usize) -> Vec<RetryStep> {
        (0..n).map(|_| schedule.after_failure(Instant::now(), None)).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_doubles_from_the_upper_half_up_to_the_cap() {
        let mut low = RetrySchedule::with_draw(policy(6), None, lowest);
        let pauses: Vec<_> = steps(&mut low, 5);
        let expected: Vec<_> = [100, 200, 400, 500, 500].map(|ms| RetryStep::RetryAfter(MS * ms)).into();
        assert_eq!(pauses, expected);
        let mut high = RetrySchedule::with_draw(policy(6), None, highest);
        let top: Vec<_> = steps(&mut high, 5)
            .into_iter()
            .map(|step| match step {
                RetryStep::RetryAfter(pause) => pause.as_millis(),
                RetryStep::GiveUp => 0,
            })
            .collect();
        assert_eq!(top, [199, 399, 799, 999, 999]);
    }

    #[tokio::test(start_paused = true)]
    async fn attempts_are_counted_and_end_the_call() {
        let mut schedule = RetrySchedule::with_draw(policy(3), None, lowest);
        assert_eq!(schedule.attempts(), 1);
        assert_eq!(schedule.after_failure(Instant::now(), None), RetryStep::RetryAfter(MS * 100));
        assert_eq!(schedule.after_failure(Instant::now(), None), RetryStep::RetryAfter(MS * 200));
        assert_eq!(schedule.attempts(), 3);
        assert_eq!(schedule.after_failure(Instant::now(), None), RetryStep::GiveUp);
        let mut never = RetrySchedule::with_draw(RetryPolicy::none(), None, lowest);
        assert_eq!(never.after_failure(Instant::now(), None), RetryStep::GiveUp);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_wins_over_backoff_up_to_the_policys_limit() {
        let mut schedule = RetrySchedule::with_draw(policy(5), None, lowest);
        assert_eq!(schedule.after_failure(Instant::now(), Some(MS * 3000)), RetryStep::RetryAfter(MS * 3000));
        assert_eq!(schedule.after_failure(Instant::now(), Some(Duration::ZERO)), RetryStep::RetryAfter(Duration::ZERO));
        assert_eq!(schedule.after_failure(Instant::now(), Some(MS * 5001)), RetryStep::GiveUp);
    }

    #[tokio::test(start_paused = true)]
    async fn no_pause_that_outlasts_the_deadline() {
        let start = Instant::now();
        let mut schedule = RetrySchedule::with_draw(policy(10), Some(start + MS * 450), lowest);
        assert_eq!(schedule.after_failure(start, None), RetryStep::RetryAfter(MS * 100));
        tokio::time::advance(MS * 100).await;
        assert_eq!(schedule.remaining(Instant::now()), MS * 350);
        assert_eq!(schedule.after_failure(Instant::now(), None), RetryStep::RetryAfter(MS * 200));
        tokio::time::advance(MS * 200).await;
        // 150 ms left: the next pause (400 ms) would not end in time.
        assert_eq!(schedule.after_failure(Instant::now(), None), RetryStep::GiveUp);
        assert_eq!(schedule.after_failure(Instant::now(), Some(MS * 150)), RetryStep::GiveUp);
        tokio::time::advance(MS * 200).await;
        assert_eq!(schedule.remaining(Instant::now()), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn huge_policies_do_not_overflow() {
        let huge = RetryPolicy {
            max_attempts: u32::MAX,
            initial_backoff: Duration::MAX,
            max_backoff: Duration::MAX,
            max_retry_after: Duration::MAX,
        };
        let mut schedule = RetrySchedule::with_draw(huge, Some(Instant::now() + MS), highest);
        assert_eq!(schedule.after_failure(Instant::now(), None), RetryStep::GiveUp);
        let mut unbounded = RetrySchedule::with_draw(policy(100), None, highest);
        for _ in 0..40 {
            assert!(matches!(unbounded.after_failure(Instant::now(), None), RetryStep::RetryAfter(p) if p < MS * 1000));
        }
    }
}
