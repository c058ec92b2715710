//! Polling `status` until the user acts: the guide's 1.5 s loop, with a deadline, a
//! cancel, and back-off when the server asks for it.
//!
//! A wait is a future holding a timer: no thread, no extra connection. Ten thousand
//! concurrent waits share the client's connection pool, and at most the client's
//! `max_concurrent_requests` of their polls are in flight at once; waits started together
//! can spread their polls with `WaitOptions::first_poll_jitter`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;
pub use tokio_util::sync::CancellationToken;

use crate::client::{Client, status_call};
use crate::defaults::{
    DEFAULT_FIRST_POLL_JITTER, DEFAULT_MAX_POLL_INTERVAL, DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT,
    MIN_POLL_INTERVAL,
};
use crate::error::{Error, Result};
use crate::responses::OperationStatus;
use crate::schedule::{Next, PollSchedule, first_poll_jitter};
use crate::secret::SecretString;
use crate::status::TransactionStatus;

/// How [`Client::wait_for_completion`] polls.
#[derive(Debug, Clone)]
pub struct WaitOptions {
    /// Time between the starts of two polls (default 1.5 s, at least 100 ms).
    pub poll_interval: Duration,
    /// Give up after this long (default 5 min) with [`Error::WaitTimedOut`].
    pub timeout: Duration,
    /// Upper bound for the interval widened after 429s (a server's `Retry-After` is still
    /// honoured when longer).
    pub max_poll_interval: Duration,
    /// Start the first poll at a random offset, uniform in `[0, poll_interval)`, instead of
    /// at once; later polls follow on that offset's grid (`offset + k × poll_interval`).
    /// The deadline still counts from the start of the wait.
    ///
    /// Off by default, because one user waiting at a screen wants the first answer now —
    /// but a wait spreads its first poll anyway when its client already has at least
    /// [`max_concurrent_requests`](crate::ClientBuilder::max_concurrent_requests) other
    /// waits running. That is a backend starting many waits at the same moment (a batch of
    /// enrollments, a restart resuming pending waits): without the spread they would poll
    /// in lock-step, one burst per interval queueing for the request slots and making most
    /// polls late; with it the polls spread evenly over the interval (`bench/waits`
    /// measures both). Set this to spread every wait's first poll.
    pub first_poll_jitter: bool,
    /// Cancels the wait; once cancelled, no further request is sent.
    pub cancel: CancellationToken,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            poll_interval: DEFAULT_POLL_INTERVAL,
            timeout: DEFAULT_WAIT_TIMEOUT,
            max_poll_interval: DEFAULT_MAX_POLL_INTERVAL,
            first_poll_jitter: DEFAULT_FIRST_POLL_JITTER,
            cancel: CancellationToken::new(),
        }
    }
}

impl WaitOptions {
    fn validate(&self) -> Result<()> {
        if self.poll_interval < MIN_POLL_INTERVAL {
            return Err(Error::invalid("poll interval", "must be at least 100 ms"));
        }
        if self.timeout.is_zero() {
            return Err(Error::invalid("timeout", "must be positive"));
        }
        Ok(())
    }
}

/// One status answer seen by a wait.
#[derive(Debug, Clone)]
pub struct StatusUpdate {
    /// What the server answered.
    pub status: OperationStatus,
    /// 1 for the first poll.
    pub poll: u32,
    /// Time since the wait started, when the answer was read.
    pub elapsed: Duration,
    /// When this poll was due, since the wait started: on the grid `offset + k ×
    /// poll_interval` (`offset` being the first poll's jitter, or zero), or later when a slow
    /// answer or a back-off moved it.
    pub due: Duration,
    /// When this poll was sent, since the wait started: once its timer fired and the
    /// client had a request slot free
    /// ([`max_concurrent_requests`](crate::ClientBuilder::max_concurrent_requests)).
    /// `sent - due` is how late the poll went out.
    pub sent: Duration,
}

/// Receives a wait's progress. Called on the polling task: return quickly.
pub trait WaitObserver: Send + Sync {
    /// Every status answer, in order (the final one included).
    fn on_status(&self, update: &StatusUpdate) {
        let _ = update;
    }

    /// A poll failed transiently (network, timeout, 429, 5xx); polling goes on after
    /// `retry_in`.
    fn on_transient_error(&self, error: &Error, retry_in: Duration) {
        let _ = (error, retry_in);
    }
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl WaitObserver for NoObserver {}

/// How a wait ended: the final status (`succeeded`, `failed`, `unknown` or a value newer
/// than this SDK).
#[derive(Debug, Clone)]
pub struct WaitOutcome {
    /// The last status answer.
    pub status: OperationStatus,
    /// Status requests sent.
    pub polls: u32,
    /// Time since the wait started.
    pub elapsed: Duration,
}

impl WaitOutcome {
    /// True when the user confirmed.
    pub fn succeeded(&self) -> bool {
        self.status.status == TransactionStatus::Succeeded
    }
}

impl Client {
    /// Polls `status` every `poll_interval` (measured from the first poll, so the schedule
    /// does not drift) until the status is final, the deadline passes, or `cancel` fires.
    /// The first poll goes out at once, or at a random moment within the first interval
    /// with `first_poll_jitter` or when the client already runs `max_concurrent_requests`
    /// other waits.
    ///
    /// Transient failures of a poll are reported to the observer and polling continues;
    /// after a 429 the interval widens (doubling, or the server's `Retry-After`) until a
    /// poll succeeds again. A `Retry-After` that outlasts the deadline ends the wait at once
    /// with that [`Error::RateLimited`]. Each poll is one attempt bounded by the time left.
    pub async fn wait_for_completion(
        &self,
        status_token: &SecretString,
        options: &WaitOptions,
        observer: &dyn WaitObserver,
    ) -> Result<WaitOutcome> {
        options.validate()?;
        let call = status_call(status_token)?;
        let cancel = &options.cancel;
        let started = Instant::now();
        let mut schedule =
            PollSchedule::new(started, options.timeout, options.poll_interval, options.max_poll_interval);
        let active = ActiveWait::enter(&self.transport.active_waits);
        // More waits than request slots could never all poll at the same moment: their
        // polls would queue and go out late. Spread this one's first poll instead.
        let crowded = active.others >= self.config().max_concurrent_requests;
        if options.first_poll_jitter || crowded {
            schedule = schedule.delay_first_poll(first_poll_jitter(options.poll_interval));
        }
        let request_timeout = self.config().request_timeout;
        let mut next = schedule.first();
        let mut polls = 0u32;
        let mut last_status: Option<TransactionStatus> = None;

        loop {
            let poll_at = match next {
                Next::PollAt(at) => at,
                Next::GiveUpAt(deadline) => {
                    tokio::select! {
                        biased;
                        _ = cancel.cancelled() => return Err(Error::Cancelled),
                        _ = tokio::time::sleep_until(deadline) => {}
                    }
                    return Err(Error::WaitTimedOut { elapsed: started.elapsed(), polls, last_status });
                }
                // Handled where the back-off was requested; never scheduled.
                Next::BackOffPastDeadline => {
                    return Err(Error::WaitTimedOut { elapsed: started.elapsed(), polls, last_status });
                }
            };
            tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(Error::Cancelled),
                _ = tokio::time::sleep_until(poll_at) => {}
            }
            let left = schedule.remaining(Instant::now());
            if left.is_zero() {
                return Err(Error::WaitTimedOut { elapsed: started.elapsed(), polls, last_status });
            }
            polls += 1;
            let mut sent_at = None;
            let result = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(Error::Cancelled),
                result = self.transport.send_once(&call, request_timeout.min(left), &mut sent_at) => {
                    result.and_then(|body| OperationStatus::from_json(&body).map_err(|e| e.in_answer_of(call.endpoint)))
                }
            };
            let now = Instant::now();
            next = match result {
                Ok(status) => {
                    let done = status.status.is_final();
                    last_status = Some(status.status.clone());
                    let update = StatusUpdate {
                        status,
                        poll: polls,
                        elapsed: now - started,
                        due: poll_at - started,
                        sent: sent_at.map_or(Duration::ZERO, |at| at - started),
                    };
                    observer.on_status(&update);
                    tracing::debug!(target: "authcloud::wait", poll = polls, status = %update.status.status, "status");
                    if done {
                        return Ok(WaitOutcome { status: update.status, polls, elapsed: update.elapsed });
                    }
                    schedule.after_answer(now)
                }
                Err(error) if error.is_transient() => {
                    let next = if matches!(error, Error::RateLimited { .. }) || error.retry_after().is_some() {
                        schedule.after_back_off_request(now, error.retry_after())
                    } else {
                        schedule.after_transient_error(now)
                    };
                    let retry_in = match next {
                        Next::PollAt(at) => at.saturating_duration_since(now),
                        Next::GiveUpAt(_) => schedule.remaining(now),
                        // The server wants a pause the wait cannot afford: say so now.
                        Next::BackOffPastDeadline => return Err(error),
                    };
                    tracing::info!(target: "authcloud::wait", poll = polls, error = %error, retry_in_ms = retry_in.as_millis() as u64, "poll failed, will retry");
                    observer.on_transient_error(&error, retry_in);
                    next
                }
                Err(error) => return Err(error),
            };
        }
    }
}

/// Counts a running wait on its client while alive.
struct ActiveWait<'a> {
    count: &'a AtomicUsize,
    /// Waits that were already running when this one started.
    others: usize,
}

impl<'a> ActiveWait<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        let others = count.fetch_add(1, Ordering::Relaxed);
        ActiveWait { count, others }
    }
}

impl Drop for ActiveWait<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::Relaxed);
    }
}
