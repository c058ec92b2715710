//! How a wait polls, what it reports, and how it ended.

use crate::error::AuthCloudError;
use crate::types::status::OperationStatus;
use crate::units::millis;

/// How a wait polls. The defaults are the guide's: every 1.5 s, for at most 5 minutes.
/// (Each default literal is checked against the core's constant by a test.)
#[derive(Debug, Clone, uniffi::Record)]
pub struct WaitOptions {
    /// Time between the starts of two polls; at least 100 ms.
    #[uniffi(default = 1500)]
    pub poll_interval_ms: u64,
    #[uniffi(default = 300000)]
    pub timeout_ms: u64,
    /// Widest interval after 429s (a longer `Retry-After` is still honoured).
    #[uniffi(default = 30000)]
    pub max_poll_interval_ms: u64,
    /// Start the first poll at a random moment within the first interval instead of at
    /// once. Off by default (a user at a screen wants the first answer now); a wait spreads
    /// its first poll anyway when its client already runs `max_concurrent_requests` other
    /// waits, so waits started together do not poll in lock-step bursts.
    #[uniffi(default = false)]
    pub first_poll_jitter: bool,
}

impl Default for WaitOptions {
    fn default() -> Self {
        use authcloud::defaults::{
            DEFAULT_FIRST_POLL_JITTER, DEFAULT_MAX_POLL_INTERVAL, DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT,
        };
        WaitOptions {
            poll_interval_ms: millis(DEFAULT_POLL_INTERVAL),
            timeout_ms: millis(DEFAULT_WAIT_TIMEOUT),
            max_poll_interval_ms: millis(DEFAULT_MAX_POLL_INTERVAL),
            first_poll_jitter: DEFAULT_FIRST_POLL_JITTER,
        }
    }
}

impl WaitOptions {
    /// Refuses options the core would refuse, before anything starts (a watch reports its
    /// errors only to the observer; these belong to the caller).
    pub(crate) fn validate(&self) -> Result<(), AuthCloudError> {
        if self.poll_interval_ms < millis(authcloud::MIN_POLL_INTERVAL) {
            return Err(AuthCloudError::InvalidInput {
                field: "poll_interval_ms".into(),
                reason: "must be at least 100 ms".into(),
            });
        }
        if self.timeout_ms == 0 {
            return Err(AuthCloudError::InvalidInput { field: "timeout_ms".into(), reason: "must be positive".into() });
        }
        Ok(())
    }

    pub(crate) fn to_core(&self, cancel: authcloud::CancellationToken) -> authcloud::WaitOptions {
        use std::time::Duration;
        authcloud::WaitOptions {
            poll_interval: Duration::from_millis(self.poll_interval_ms),
            timeout: Duration::from_millis(self.timeout_ms),
            max_poll_interval: Duration::from_millis(self.max_poll_interval_ms),
            first_poll_jitter: self.first_poll_jitter,
            cancel,
        }
    }
}

/// One status answer seen by a wait.
#[derive(Debug, Clone, uniffi::Record)]
pub struct StatusUpdate {
    pub status: OperationStatus,
    /// 1 for the first poll.
    pub poll: u32,
    pub elapsed_ms: u64,
}

impl From<&authcloud::StatusUpdate> for StatusUpdate {
    fn from(u: &authcloud::StatusUpdate) -> Self {
        StatusUpdate { status: u.status.clone().into(), poll: u.poll, elapsed_ms: millis(u.elapsed) }
    }
}

/// How a wait ended (a final status: succeeded, failed, unknown or newer).
#[derive(Debug, Clone, uniffi::Record)]
pub struct WaitOutcome {
    pub status: OperationStatus,
    pub polls: u32,
    pub elapsed_ms: u64,
    /// True when the user confirmed.
    pub succeeded: bool,
}

impl From<authcloud::WaitOutcome> for WaitOutcome {
    fn from(o: authcloud::WaitOutcome) -> Self {
        let succeeded = o.succeeded();
        WaitOutcome { status: o.status.into(), polls: o.polls, elapsed_ms: millis(o.elapsed), succeeded }
    }
}
