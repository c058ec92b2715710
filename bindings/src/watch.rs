//! `WatchHandle`: a background wait with an explicit cancel — the one that works in every
//! language (Swift's `Task.cancel()` does not reach Rust futures).

use std::sync::Arc;
use std::time::Duration;

use authcloud::CancellationToken;
use tokio::sync::watch;

use crate::error::AuthCloudError;
use crate::observer::{self, WaitObserver};
use crate::operations::CoreCall;
use crate::runtime;
use crate::secret::Secret;
use crate::types::WaitOptions;

/// A running `watch`. `cancel()` stops the polling at once (no request is sent after it).
/// The observer hears `on_finished` or `on_failed`, exactly once.
///
/// Dropping or garbage-collecting the handle does **not** stop the watch: it runs until
/// the operation is final, its timeout passes, or `cancel()` is called — so an app that
/// keeps only its observer still hears the outcome, whenever a garbage collector runs.
#[derive(uniffi::Object)]
pub struct WatchHandle {
    cancel: CancellationToken,
    /// Turns true when the wait has ended and the observer has heard how.
    finished: watch::Receiver<bool>,
}

impl WatchHandle {
    /// Starts the watch; invalid options are the caller's error, raised here rather than
    /// reported to the observer.
    pub(crate) fn start(
        call: CoreCall,
        status_token: Arc<Secret>,
        options: WaitOptions,
        observer: Arc<dyn WaitObserver>,
    ) -> Result<Arc<Self>, AuthCloudError> {
        options.validate()?;
        let cancel = CancellationToken::new();
        let (report, finished) = watch::channel(false);
        // Polls in the background: the runtime is driven until the watch has ended.
        let background = runtime::Background::hold();
        let wait =
            runtime::handle().spawn(call.wait(status_token, options, observer::held(Some(observer)), cancel.clone()));
        runtime::handle().spawn(async move {
            let _background = background;
            // The outcome reaches the observer; the handle only tracks the end — even if
            // the wait task failed unexpectedly (a panic), so `join` never waits forever.
            if let Err(failure) = wait.await {
                tracing::error!(target: "authcloud::watch", error = %failure, "watch task ended abnormally");
            }
            let _ = report.send(true);
        });
        Ok(Arc::new(WatchHandle { cancel, finished }))
    }
}

#[uniffi::export]
impl WatchHandle {
    /// Stops polling. The observer then hears `on_failed(Cancelled)` (unless the wait had
    /// already ended). Safe to call more than once.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// True once the wait has ended and the observer has heard how.
    pub fn is_finished(&self) -> bool {
        *self.finished.borrow()
    }

    /// Blocks up to `timeout_ms` for the wait to end; returns `is_finished()`.
    pub fn join(&self, timeout_ms: u64) -> bool {
        let mut finished = self.finished.clone();
        // The timer must be created inside the runtime, hence the async block. On the SDK's
        // own thread (never the case for foreign code) it cannot wait: it answers at once.
        let _ = runtime::block_on(async move {
            let _ = tokio::time::timeout(Duration::from_millis(timeout_ms), finished.wait_for(|done| *done)).await;
        });
        self.is_finished()
    }
}
