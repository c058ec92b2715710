//! Calls into foreign code (Python, Kotlin, Swift) from the SDK's own threads: where they
//! run, and when they must stop.
//!
//! Every such call — an observer's method, a log sink, an async call's continuation, the
//! release of a foreign object — goes through [`call`]. Two rules live here:
//!
//! - **Never on a thread that drives the runtime** (see `runtime.rs`): [`Foreign`] releases
//!   its object from the blocking pool when dropped on one, since a release can run
//!   arbitrary host code (a Python finalizer, a Swift `deinit`).
//! - **Not while the host exits.** An interpreter that is finalizing kills any thread that
//!   calls into it (CPython 3.8–3.13 `pthread_exit`s it); the forced unwind then meets a
//!   Rust frame and aborts the whole process at exit. So the host announces its exit with
//!   [`prepare_for_exit`] (the Python package does this from `atexit`, the Kotlin package
//!   from a JVM shutdown hook): from then on no new foreign call starts, and the calls in
//!   progress get a moment to finish.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::runtime;

/// Set by [`prepare_for_exit`]; never cleared.
static EXITING: AtomicBool = AtomicBool::new(false);
/// Foreign calls in progress.
static IN_PROGRESS: AtomicUsize = AtomicUsize::new(0);

/// Runs `enter` (which calls foreign code) unless the host is exiting; `None` if skipped.
pub(crate) fn call<R>(enter: impl FnOnce() -> R) -> Option<R> {
    if EXITING.load(Ordering::Acquire) {
        return None;
    }
    IN_PROGRESS.fetch_add(1, Ordering::AcqRel);
    let _done = InProgress;
    // Checked again after counting: `prepare_for_exit` either sees this call or this call
    // sees the flag (both are sequentially consistent through the AcqRel/Acquire pairs).
    if EXITING.load(Ordering::Acquire) {
        return None;
    }
    Some(enter())
}

struct InProgress;

impl Drop for InProgress {
    fn drop(&mut self) {
        IN_PROGRESS.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Tells the SDK that the host process is about to exit: no callback, continuation or
/// release reaches foreign code any more, and this waits up to `timeout_ms` for the calls in
/// progress to return. Call it last thing (the Python package does it from `atexit`, the
/// Kotlin package from a shutdown hook); the SDK keeps working otherwise, silently.
#[uniffi::export]
pub fn prepare_for_exit(timeout_ms: u64) {
    EXITING.store(true, Ordering::Release);
    let deadline = Instant::now() + Duration::from_millis(timeout_ms);
    while IN_PROGRESS.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A foreign object (an observer implemented in Python, Kotlin or Swift) held by work on the
/// runtime. Releasing the last reference runs foreign code — a Python finalizer, a Swift
/// `deinit` — so on a driving thread it is released from the blocking pool instead, and
/// while the host exits it is not released at all.
pub(crate) struct Foreign<T: ?Sized + Send + Sync + 'static>(Option<Arc<T>>);

impl<T: ?Sized + Send + Sync + 'static> Foreign<T> {
    pub(crate) fn new(object: Arc<T>) -> Self {
        Foreign(Some(object))
    }

    pub(crate) fn get(&self) -> &Arc<T> {
        self.0.as_ref().expect("a foreign object is present until dropped")
    }
}

impl<T: ?Sized + Send + Sync + 'static> Clone for Foreign<T> {
    fn clone(&self) -> Self {
        Foreign(self.0.clone())
    }
}

impl<T: ?Sized + Send + Sync + 'static> Drop for Foreign<T> {
    fn drop(&mut self) {
        if let Some(object) = self.0.take() {
            release(object);
        }
    }
}

/// Drops a reference to a foreign object where that is safe (see [`Foreign`]).
pub(crate) fn release<T: ?Sized + Send + Sync + 'static>(object: Arc<T>) {
    if runtime::in_runtime() {
        drop(runtime::handle().spawn_blocking(move || release(object)));
    } else {
        let mut object = Some(object);
        if call(|| drop(object.take())).is_none() {
            // The host is exiting: leaked, as the host is about to free everything anyway.
            std::mem::forget(object.take());
        }
    }
}
