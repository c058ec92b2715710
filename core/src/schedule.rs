//! The timing decisions of a wait, as a small pure type: when to poll next after an
//! answer, after a transient error, and after the server asked us to back off — always
//! clamped to the wait's deadline.
//!
//! Kept apart from the I/O loop in `wait.rs` so every rule can be tested with paused time,
//! and so the loop itself only sleeps, sends and reports.

use std::time::Duration;

use tokio::time::Instant;

/// Stands in for "no deadline" when a timeout is too large to add to a clock reading.
const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// What a wait does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Send the next poll at this instant (never later than the deadline).
    PollAt(Instant),
    /// No poll fits before the deadline: sleep until it, then give up (`WaitTimedOut`).
    GiveUpAt(Instant),
    /// The server asked for a pause that outlasts the deadline: end now with its
    /// `RateLimited` error rather than wait for a deadline that cannot be met.
    BackOffPastDeadline,
}

/// The schedule of one wait.
///
/// Polls start at `started + offset + k × interval`, where `offset` is zero or the first
/// poll's jitter (drift-free: a slow answer does not push later polls back), a poll that
/// would fall in the past starts at once (no catch-up burst), and a back-off request from
/// the server restarts the schedule from the moment it was made. The deadline counts from
/// `started`, not from the first poll.
#[derive(Debug, Clone)]
pub(crate) struct PollSchedule {
    deadline: Instant,
    base_interval: Duration,
    /// The widest interval the schedule widens to by itself (a server's `Retry-After` is
    /// honoured beyond it).
    max_interval: Duration,
    interval: Duration,
    next: Instant,
}

impl PollSchedule {
    /// A schedule whose first poll is at `started`.
    pub(crate) fn new(started: Instant, timeout: Duration, interval: Duration, max_interval: Duration) -> Self {
        let deadline = started.checked_add(timeout).unwrap_or_else(|| started + FAR_FUTURE);
        PollSchedule {
            deadline,
            base_interval: interval,
            max_interval: max_interval.max(interval),
            interval,
            next: started,
        }
    }

    /// Moves the first poll (and with it the grid of later polls) `offset` after the start:
    /// the first-poll jitter. Call before the first poll.
    pub(crate) fn delay_first_poll(mut self, offset: Duration) -> Self {
        self.next = self.next.checked_add(offset).unwrap_or(self.deadline);
        self
    }

    /// The first poll.
    pub(crate) fn first(&self) -> Next {
        self.clamp(self.next, self.next)
    }

    /// Time left until the deadline, seen from `now`.
    pub(crate) fn remaining(&self, now: Instant) -> Duration {
        self.deadline.saturating_duration_since(now)
    }

    /// A poll was answered with a non-final status: the normal interval again, on the
    /// original grid.
    pub(crate) fn after_answer(&mut self, now: Instant) -> Next {
        self.interval = self.base_interval;
        self.advance(now)
    }

    /// A poll failed transiently without a back-off request (network, timeout, 5xx without
    /// `Retry-After`): try again at the next slot of the grid.
    pub(crate) fn after_transient_error(&mut self, now: Instant) -> Next {
        self.advance(now)
    }

    /// The server asked to slow down (429, or `Retry-After` on a 5xx): double the interval
    /// up to the maximum, or wait at least what the server asked, counted from `now`.
    /// A requested delay that outlasts the deadline ends the wait at once.
    pub(crate) fn after_back_off_request(&mut self, now: Instant, retry_after: Option<Duration>) -> Next {
        let widened = self.interval.saturating_mul(2).min(self.max_interval);
        if let Some(asked) = retry_after {
            if now.checked_add(asked).is_none_or(|at| at > self.deadline) {
                return Next::BackOffPastDeadline;
            }
        }
        self.interval = retry_after.map_or(widened, |asked| asked.max(widened));
        self.next = now.checked_add(self.interval).unwrap_or(self.deadline);
        self.clamp(self.next, now)
    }

    fn advance(&mut self, now: Instant) -> Next {
        self.next = self.next.checked_add(self.interval).unwrap_or(self.deadline);
        // A slow poll must not cause a burst of catch-up polls.
        if self.next < now {
            self.next = now;
        }
        self.clamp(self.next, now)
    }

    fn clamp(&self, at: Instant, now: Instant) -> Next {
        if at >= self.deadline || now >= self.deadline { Next::GiveUpAt(self.deadline) } else { Next::PollAt(at) }
    }
}

/// A random offset for the first poll, uniform in `[0, interval)`: waits started together
/// then poll spread over the interval instead of in lock-step.
pub(crate) fn first_poll_jitter(interval: Duration) -> Duration {
    let nanos = u64::try_from(interval.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 { Duration::ZERO } else { Duration::from_nanos(fastrand::u64(0..nanos)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn schedule(timeout_ms: u64, interval_ms: u64, max_ms: u64) -> (Instant, PollSchedule) {
        let start = Instant::now();
        (start, PollSchedule::new(start, MS * timeout_ms as u32, MS * interval_ms as u32, MS * max_ms as u32))
    }

    #[tokio::test(start_paused = true)]
    async fn answers_keep_the_grid_even_when_slow() {
        let (start, mut s) = schedule(10_000, 1500, 30_000);
        assert_eq!(s.first(), Next::PollAt(start));
        // The first answer arrives 900 ms later: the next poll is still at 1.5 s.
        tokio::time::advance(MS * 900).await;
        assert_eq!(s.after_answer(Instant::now()), Next::PollAt(start + MS * 1500));
        tokio::time::advance(MS * 1000).await; // answered at 1.9 s
        assert_eq!(s.after_answer(Instant::now()), Next::PollAt(start + MS * 3000));
    }

    #[tokio::test(start_paused = true)]
    async fn a_very_slow_answer_causes_no_catch_up_burst() {
        let (start, mut s) = schedule(60_000, 1000, 30_000);
        tokio::time::advance(MS * 3500).await; // the first poll took 3.5 s
        let now = Instant::now();
        assert_eq!(s.after_answer(now), Next::PollAt(now), "one poll at once, not three");
        tokio::time::advance(MS * 10).await;
        assert_eq!(s.after_answer(Instant::now()), Next::PollAt(start + MS * 4500));
    }

    #[tokio::test(start_paused = true)]
    async fn transient_errors_keep_the_interval() {
        let (start, mut s) = schedule(10_000, 1000, 30_000);
        tokio::time::advance(MS * 100).await;
        assert_eq!(s.after_transient_error(Instant::now()), Next::PollAt(start + MS * 1000));
        tokio::time::advance(MS * 1000).await;
        assert_eq!(s.after_transient_error(Instant::now()), Next::PollAt(start + MS * 2000));
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limits_double_the_interval_up_to_the_maximum_then_answers_reset_it() {
        let (_, mut s) = schedule(600_000, 1000, 5000);
        let mut expected = [2000, 4000, 5000, 5000].into_iter();
        for _ in 0..4 {
            let now = Instant::now();
            let want = expected.next().unwrap();
            assert_eq!(s.after_back_off_request(now, None), Next::PollAt(now + MS * want));
            tokio::time::advance(MS * want).await;
        }
        let now = Instant::now();
        assert_eq!(s.after_back_off_request(now, None), Next::PollAt(now + MS * 5000));
        tokio::time::advance(MS * 5000).await;
        let now = Instant::now();
        assert_eq!(s.after_answer(now), Next::PollAt(now + MS * 1000), "an answer restores the interval");
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured_beyond_the_maximum() {
        let (_, mut s) = schedule(600_000, 1000, 5000);
        let now = Instant::now();
        assert_eq!(s.after_back_off_request(now, Some(MS * 20_000)), Next::PollAt(now + MS * 20_000));
        // A short Retry-After never shortens the widened interval.
        let (_, mut s) = schedule(600_000, 1000, 5000);
        let now = Instant::now();
        assert_eq!(s.after_back_off_request(now, Some(MS * 10)), Next::PollAt(now + MS * 2000));
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_past_the_deadline_ends_at_once() {
        let (_, mut s) = schedule(10_000, 1000, 5000);
        tokio::time::advance(MS * 8000).await;
        assert_eq!(s.after_back_off_request(Instant::now(), Some(MS * 2001)), Next::BackOffPastDeadline);
        assert_eq!(s.after_back_off_request(Instant::now(), Some(Duration::MAX)), Next::BackOffPastDeadline);
        // Exactly to the deadline still fits.
        let (start, mut s) = schedule(10_000, 1000, 5000);
        assert_eq!(s.after_back_off_request(start, Some(MS * 10_000)), Next::GiveUpAt(start + MS * 10_000));
    }

    #[tokio::test(start_paused = true)]
    async fn everything_is_clamped_to_the_deadline() {
        let (start, mut s) = schedule(2500, 1000, 30_000);
        assert_eq!(s.after_answer(start), Next::PollAt(start + MS * 1000));
        assert_eq!(s.after_answer(start + MS * 1000), Next::PollAt(start + MS * 2000));
        assert_eq!(s.after_answer(start + MS * 2000), Next::GiveUpAt(start + MS * 2500));
        // A widened interval past the deadline gives up at the deadline, not later.
        let (start, mut s) = schedule(2500, 1000, 30_000);
        tokio::time::advance(MS * 1000).await;
        assert_eq!(s.after_back_off_request(Instant::now(), None), Next::GiveUpAt(start + MS * 2500));
        assert_eq!(s.remaining(start + MS * 2000), MS * 500);
        assert_eq!(s.remaining(start + MS * 9000), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn first_poll_jitter_moves_the_whole_grid_but_not_the_deadline() {
        let interval = MS * 1500;
        let mut offsets = Vec::new();
        for _ in 0..2000 {
            let jitter = first_poll_jitter(interval);
            assert!(jitter < interval, "{jitter:?}");
            offsets.push(jitter);
        }
        // Uniform over the interval: both halves are used, and the values differ.
        assert!(offsets.iter().any(|j| *j < interval / 4) && offsets.iter().any(|j| *j > interval * 3 / 4));
        offsets.sort();
        offsets.dedup();
        assert!(offsets.len() > 1900, "only {} distinct offsets", offsets.len());
        assert_eq!(first_poll_jitter(Duration::ZERO), Duration::ZERO);

        let (start, s) = schedule(10_000, 1500, 30_000);
        let jitter = first_poll_jitter(interval);
        let mut s = s.delay_first_poll(jitter);
        assert_eq!(s.first(), Next::PollAt(start + jitter));
        tokio::time::advance(jitter + MS * 40).await; // the first answer, 40 ms after it was sent
        assert_eq!(s.after_answer(Instant::now()), Next::PollAt(start + jitter + interval));
        tokio::time::advance(interval).await;
        assert_eq!(s.after_answer(Instant::now()), Next::PollAt(start + jitter + interval * 2));
        tokio::time::advance(interval).await;
        assert_eq!(s.after_transient_error(Instant::now()), Next::PollAt(start + jitter + interval * 3));
        // The deadline still counts from the start.
        assert_eq!(s.remaining(start + MS * 9000), MS * 1000);

        // A jitter past a short deadline: no poll, give up at the deadline.
        let (start, s) = schedule(1000, 1500, 30_000);
        assert_eq!(s.delay_first_poll(MS * 1200).first(), Next::GiveUpAt(start + MS * 1000));
    }

    #[tokio::test(start_paused = true)]
    async fn huge_timeouts_do_not_overflow() {
        let start = Instant::now();
        let mut s = PollSchedule::new(start, Duration::MAX, Duration::MAX / 2, Duration::MAX);
        assert_eq!(s.first(), Next::PollAt(start));
        assert!(matches!(s.after_answer(start), Next::PollAt(_) | Next::GiveUpAt(_)));
        assert!(matches!(s.after_back_off_request(start, None), Next::PollAt(_) | Next::GiveUpAt(_)));
    }
}
