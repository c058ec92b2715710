//! The one tokio runtime behind every binding.
//!
//! Blocking methods wait on it; async methods spawn onto it and await the task, so the
//! foreign event loop (asyncio, coroutines, Swift tasks) only ever polls a `JoinHandle`.
//! uniffi's `async_runtime = "tokio"` is deliberately not used: it polls through
//! async-compat, which would start a second runtime of its own.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use tokio::runtime::{Handle, Runtime};
use tokio::task::JoinHandle;

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        // Every connection of the SDK runs on (or is driven through) this runtime.
        crate::signals::ignore_sigpipe_if_default();
        tokio::runtime::Builder::new_multi_thread()
            .thread_name("authcloud")
            .enable_all()
            .build()
            .expect("the authcloud runtime starts (threads and timers are available)")
    })
}

/// The runtime's handle, for spawning.
pub(crate) fn handle() -> &'static Handle {
    runtime().handle()
}

/// Runs `future` to completion from blocking code.
///
/// Called from one of the runtime's own threads (a foreign callback that calls back into
/// a blocking method), it moves the thread out of the worker pool first instead of
/// panicking with "cannot block inside a runtime".
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    match Handle::try_current() {
        Ok(current) => tokio::task::block_in_place(|| current.block_on(future)),
        Err(_) => runtime().block_on(future),
    }
}

/// Runs `future` on the runtime; the returned future resolves with its output, and
/// dropping it (a cancelled asyncio task or coroutine) aborts the work.
pub(crate) fn spawn<F>(future: F) -> AbortOnDrop<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    AbortOnDrop(handle().spawn(future))
}

/// A task handle that aborts its task when dropped.
pub(crate) struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Future for AbortOnDrop<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match Pin::new(&mut self.0).poll(cx) {
            Poll::Ready(Ok(value)) => Poll::Ready(value),
            // Re-raise a panic of the task here, where uniffi turns it into an exception.
            Poll::Ready(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Poll::Ready(Err(_)) => panic!("authcloud task was cancelled while awaited"),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
