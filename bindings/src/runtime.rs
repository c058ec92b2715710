//! The one tokio runtime behind every binding.
//!
//! Blocking methods wait on it; async methods spawn onto it and await the task, so the
//! foreign event loop (asyncio, coroutines, Swift tasks) only ever polls a `JoinHandle`.
//! uniffi's `async_runtime = "tokio"` is deliberately not used: it polls through
//! async-compat, which would start a second runtime of its own.

use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
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
///
/// The future is boxed and driven through one non-generic function, so tokio's blocking
/// machinery is compiled once instead of once per exported method (library size).
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let mut output = None;
    block_on_erased(Box::pin(async {
        output = Some(future.await);
    }));
    output.expect("a future driven to completion has produced its output")
}

fn block_on_erased(future: Pin<Box<dyn Future<Output = ()> + '_>>) {
    match Handle::try_current() {
        Ok(current) => tokio::task::block_in_place(|| current.block_on(future)),
        Err(_) => runtime().block_on(future),
    }
}

/// A spawned task's output, type-erased so that the runtime's task machinery (harness,
/// scheduler hooks, join handle) is compiled once for every exported async method.
type ErasedTask = Pin<Box<dyn Future<Output = Box<dyn Any + Send>> + Send>>;

/// Runs `future` on the runtime; the returned future resolves with its output, and
/// dropping it (a cancelled asyncio task or coroutine) aborts the work.
pub(crate) fn spawn<F>(future: F) -> Spawned<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let erased: ErasedTask = Box::pin(async move { Box::new(future.await) as Box<dyn Any + Send> });
    Spawned { task: AbortOnDrop(handle().spawn(erased)), output: PhantomData }
}

/// The future [`spawn`] returns: the task's output with its type restored.
pub(crate) struct Spawned<T> {
    task: AbortOnDrop,
    // `fn() -> T`: the handle owns no `T`, so it is `Send`/`Unpin` whatever `T` is.
    output: PhantomData<fn() -> T>,
}

impl<T: 'static> Future for Spawned<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.task).poll(cx).map(|value| match value.downcast::<T>() {
            Ok(value) => *value,
            Err(_) => unreachable!("a spawned task's output has the type it was spawned with"),
        })
    }
}

/// A task handle that aborts its task when dropped.
struct AbortOnDrop(JoinHandle<Box<dyn Any + Send>>);

impl Future for AbortOnDrop {
    type Output = Box<dyn Any + Send>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match Pin::new(&mut self.0).poll(cx) {
            Poll::Ready(Ok(value)) => Poll::Ready(value),
            // Re-raise a panic of the task here, where uniffi turns it into an exception.
            Poll::Ready(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Poll::Ready(Err(_)) => panic!("authcloud task was cancelled while awaited"),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
