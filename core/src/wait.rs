//! Polling `status` until the user acts: the guide's 1.5 s loop, with a deadline, a
//! cancel, and back-off when the server asks for it.
//!
//! A wait is a future holding a timer: no thread, no extra connection. Ten thousand
//! concurrent waits share the client's connection pool.

use std::time::Duration;

use tokio::time::Instant;
pub use tokio_util::sync::CancellationToken;

use crate::client::{Client, status_call};
use crate::error::{Error, Result};
use crate::model::{StatusResponse, TransactionStatus};
use crate::secret::SecretString;

/// The guide's recommended polling interval.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(1500);
/// How long a wait lasts by default (the vendor's transactions expire within minutes).
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(300);
/// Stands in for "no deadline" when a timeout is too large to add to a clock reading.
const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The widest interval the waiter widens to on its own after 429s.
pub const DEFAULT_MAX_POLL_INTERVAL: Duration = Duration::from_secs(30);

/// How [`Client::wait_for_completion`] polls.
#[derive(Debug, Clone)]
pub struct WaitOptions {
    /// Time between the starts of two polls (default 1.5 s).
    pub poll_interval: Duration,
    /// Give up after this long (default 5 min) with [`Error::WaitTimedOut`].
    pub timeout: Duration,
    /// Upper bound for the interval widened after 429s (a server's `Retry-After` is still
    /// honoured when longer).
    pub max_poll_interval: Duration,
    /// Cancels the wait; once cancelled, no further request is sent.
    pub cancel: CancellationToken,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            poll_interval: DEFAULT_POLL_INTERVAL,
            timeout: DEFAULT_WAIT_TIMEOUT,
            max_poll_interval: DEFAULT_MAX_POLL_INTERVAL,
            cancel: CancellationToken::new(),
        }
    }
}

impl WaitOptions {
    fn validate(&self) -> Result<()> {
        if self.poll_interval.is_zero() {
            return Err(Error::invalid("poll interval", "must be positive"));
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
    pub status: StatusResponse,
    /// 1 for the first poll.
    pub poll: u32,
    /// Time since the wait started.
    pub elapsed: Duration,
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
    pub status: StatusResponse,
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
    ///
    /// Transient failures of a poll are reported to the observer and polling continues;
    /// after a 429 the interval widens (doubling, or the server's `Retry-After`) until a
    /// poll succeeds again. Each poll is one attempt bounded by the time left.
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
        // A `Duration::MAX` timeout means "no deadline worth the name", not an overflow.
        let deadline = started.checked_add(options.timeout).unwrap_or_else(|| started + FAR_FUTURE);
        let request_timeout = self.config().request_timeout;
        let mut interval = options.poll_interval;
        let mut next_poll = started;
        let mut polls = 0u32;
        let mut last_status: Option<TransactionStatus> = None;
        let gave_up = |polls, last_status| Error::WaitTimedOut { elapsed: started.elapsed(), polls, last_status };

        loop {
            if next_poll >= deadline {
                tokio::select! {
                    biased;
                    _ = cancel.cancelled() => return Err(Error::Cancelled),
                    _ = tokio::time::sleep_until(deadline) => return Err(gave_up(polls, last_status)),
                }
            }
            tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(Error::Cancelled),
                _ = tokio::time::sleep_until(next_poll) => {}
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(gave_up(polls, last_status));
            }
            polls += 1;
            let attempt_timeout = request_timeout.min(deadline - now);
            let result = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(Error::Cancelled),
                result = self.transport.send_json_once::<StatusResponse>(&call, attempt_timeout) => result,
            };
            match result {
                Ok(status) => {
                    interval = options.poll_interval;
                    let done = status.status.is_final();
                    last_status = Some(status.status.clone());
                    let update = StatusUpdate { status, poll: polls, elapsed: started.elapsed() };
                    observer.on_status(&update);
                    tracing::debug!(target: "authcloud::wait", poll = polls, status = %update.status.status, "status");
                    if done {
                        return Ok(WaitOutcome { status: update.status, polls, elapsed: update.elapsed });
                    }
                    next_poll = next_poll.checked_add(interval).unwrap_or(deadline);
                }
                Err(error) if error.is_transient() => {
                    let asked = error.retry_after();
                    if matches!(error, Error::RateLimited { .. }) || asked.is_some() {
                        let widened =
                            interval.saturating_mul(2).min(options.max_poll_interval.max(options.poll_interval));
                        interval = asked.map_or(widened, |asked| asked.max(widened));
                        // The server asked for room from now, not from the schedule; a delay
                        // beyond the deadline just means waiting for the deadline.
                        let now = Instant::now();
                        next_poll = now.checked_add(interval).map_or(deadline, |at| at.min(deadline));
                    } else {
                        next_poll = next_poll.checked_add(interval).unwrap_or(deadline);
                    }
                    let retry_in = next_poll.saturating_duration_since(Instant::now());
                    tracing::info!(target: "authcloud::wait", poll = polls, error = %error, retry_in_ms = retry_in.as_millis() as u64, "poll failed, will retry");
                    observer.on_transient_error(&error, retry_in);
                }
                Err(error) => return Err(error),
            }
            // A slow poll must not cause a burst of catch-up polls.
            let now = Instant::now();
            if next_poll < now {
                next_poll = now;
            }
        }
    }
}
