//! `WaitObserver`, implemented by the host app, and the bridge that delivers a
//! wait's events to it.
//!
//! Events go through a queue to a delivery task that calls the foreign code on tokio's
//! blocking pool, one event at a time and in order. So a slow callback delays only its own
//! observer's events, never the polling schedule; and a callback that throws (or panics)
//! is logged and skipped. A wait that is dropped before it ends (a cancelled asyncio task,
//! coroutine or Swift task) still tells its observer: `on_failed(Cancelled)`, once.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::error::{AuthCloudError, CallbackError};
use crate::foreign::{self, Foreign};
use crate::runtime;
use crate::types::{StatusUpdate, WaitOutcome};
use crate::units::millis;

/// Receives a wait's progress — of an enrollment, an approval, any operation with a status
/// token. Implemented in Python, Kotlin or Swift. (Named `WaitObserver` before
/// 0.4; each language keeps that name as a deprecated alias for one release.)
///
/// Calls arrive in order on a background thread (never the caller's); an exception
/// thrown from a method is logged and ignored.
#[uniffi::export(foreign)]
pub trait WaitObserver: Send + Sync {
    /// Every status answer, in order, the final one included.
    fn on_status(&self, update: StatusUpdate) -> Result<(), CallbackError>;
    /// A poll failed transiently; polling continues in `retry_in_ms`.
    fn on_transient_error(&self, error: AuthCloudError, retry_in_ms: u64) -> Result<(), CallbackError>;
    /// The wait ended with a final status (succeeded, failed, unknown...). Called once.
    fn on_finished(&self, outcome: WaitOutcome) -> Result<(), CallbackError>;
    /// The wait ended with an error (deadline, cancel, non-transient failure). Called once.
    fn on_failed(&self, error: AuthCloudError) -> Result<(), CallbackError>;
}

/// How long a finished wait waits for its observer to take the remaining events.
const DRAIN_GRACE: Duration = Duration::from_secs(10);

enum Event {
    Status(StatusUpdate),
    Transient(AuthCloudError, u64),
    Finished(WaitOutcome),
    Failed(AuthCloudError),
}

/// An observer as the runtime holds it: released off the runtime's threads.
pub(crate) type Observer = Foreign<dyn WaitObserver>;

/// The observer of an exported call's `observer` parameter.
pub(crate) fn held(observer: Option<Arc<dyn WaitObserver>>) -> Option<Observer> {
    observer.map(Foreign::new)
}

/// The core-side observer of one wait, feeding the delivery queue.
pub(crate) struct Bridge {
    /// `None` once the end was reported (or for a silent bridge).
    queue: Option<mpsc::UnboundedSender<Event>>,
    delivery: Option<JoinHandle<()>>,
}

impl Bridge {
    /// A bridge to `observer`, or a silent one.
    pub(crate) fn new(observer: Option<Observer>) -> Self {
        let Some(observer) = observer else {
            return Bridge { queue: None, delivery: None };
        };
        let (queue, mut events) = mpsc::unbounded_channel::<Event>();
        // Delivery may outlive the wait (a slow callback): keep the runtime driven until
        // every event has been handed over.
        let background = runtime::Background::hold();
        let delivery = runtime::handle().spawn(async move {
            let _background = background;
            while let Some(event) = events.recv().await {
                let observer = observer.clone();
                // The blocking pool keeps slow foreign code off the runtime's threads.
                let _ = tokio::task::spawn_blocking(move || {
                    foreign::call(|| deliver(observer.get().as_ref(), event));
                })
                .await;
            }
        });
        Bridge { queue: Some(queue), delivery: Some(delivery) }
    }

    fn send(&self, event: Event) {
        if let Some(queue) = &self.queue {
            let _ = queue.send(event);
        }
    }

    /// Reports how the wait ended, then waits until every event has been delivered — but
    /// at most [`DRAIN_GRACE`]: a hung callback must not hold the caller forever (the rest
    /// is then delivered in the background).
    pub(crate) async fn finish(mut self, result: &Result<WaitOutcome, AuthCloudError>) {
        self.send(match result {
            Ok(outcome) => Event::Finished(outcome.clone()),
            Err(error) => Event::Failed(error.clone()),
        });
        // The end is reported: dropping the bridge adds nothing.
        self.queue = None;
        if let Some(delivery) = self.delivery.take() {
            if tokio::time::timeout(DRAIN_GRACE, delivery).await.is_err() {
                tracing::warn!(target: "authcloud::observer", "observer callbacks still running; not waiting for them");
            }
        }
    }
}

impl Drop for Bridge {
    /// The wait was dropped before it ended (its task aborted: a cancelled coroutine): the
    /// observer still hears the end. The delivery task runs on and delivers it.
    fn drop(&mut self) {
        if let Some(queue) = self.queue.take() {
            let _ = queue.send(Event::Failed(AuthCloudError::Cancelled));
        }
    }
}

impl authcloud::WaitObserver for Bridge {
    fn on_status(&self, update: &authcloud::StatusUpdate) {
        self.send(Event::Status(update.into()));
    }

    fn on_transient_error(&self, error: &authcloud::Error, retry_in: Duration) {
        self.send(Event::Transient(error.clone().into(), millis(retry_in)));
    }
}

fn deliver(observer: &dyn WaitObserver, event: Event) {
    let (name, result) = match std::panic::catch_unwind(AssertUnwindSafe(|| match event {
        Event::Status(update) => ("on_status", observer.on_status(update)),
        Event::Transient(error, retry_in_ms) => ("on_transient_error", observer.on_transient_error(error, retry_in_ms)),
        Event::Finished(outcome) => ("on_finished", observer.on_finished(outcome)),
        Event::Failed(error) => ("on_failed", observer.on_failed(error)),
    })) {
        Ok(outcome) => outcome,
        Err(_) => ("observer", Err(CallbackError::Failed { reason: "the callback panicked".into() })),
    };
    if let Err(error) = result {
        tracing::warn!(target: "authcloud::observer", callback = name, %error, "observer callback failed; ignored");
    }
}
