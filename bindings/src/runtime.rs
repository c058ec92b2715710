//! The one tokio runtime behind every binding: a current-thread runtime, driven by whoever
//! needs it.
//!
//! - A blocking method drives the runtime on the caller's own thread (`block_on`) when no
//!   one else is: the request, its socket readiness and its timers all run on the thread
//!   that waits for them, with no hand-off between threads. That is what makes a blocking
//!   call cheap (a multi-thread runtime cost about twice the CPU per call, measured in
//!   bench/clients).
//! - Work that outlives a call — an async method's task, a watch, the embedded emulator —
//!   holds a [`Background`] guard. While any guard exists, a dedicated thread
//!   (`authcloud-io`) drives the runtime; when the last guard goes, that thread lets go, and
//!   blocking callers drive again. A blocking call made while the thread drives is polled on
//!   the caller's thread and woken by the driver (tokio's own hand-over of the "core").
//!
//! uniffi's `async_runtime = "tokio"` is deliberately not used: it polls through
//! async-compat, which would start a second runtime of its own.

use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::task::{Context, Poll};

use tokio::runtime::{Handle, Runtime};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

thread_local! {
    /// Set on the runtime's blocking-pool threads (where foreign callbacks run).
    static ON_BLOCKING_POOL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The runtime and the bookkeeping of who drives it.
struct Shared {
    runtime: Runtime,
    /// Live [`Background`] guards.
    background: AtomicUsize,
    /// The driver thread sleeps on this while there is no background work.
    has_work: (Mutex<bool>, Condvar),
    /// Woken when the last guard goes, so the driver thread lets the runtime go.
    idle: Notify,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        // Every connection of the SDK runs on (or is driven through) this runtime.
        crate::signals::ignore_sigpipe_if_default();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .thread_name("authcloud-blocking")
            .on_thread_start(|| ON_BLOCKING_POOL.with(|flag| flag.set(true)))
            .enable_all()
            .build()
            .expect("the authcloud runtime starts (timers and sockets are available)");
        Shared {
            runtime,
            background: AtomicUsize::new(0),
            has_work: (Mutex::new(false), Condvar::new()),
            idle: Notify::new(),
        }
    })
}

/// The driver thread, started with the first background guard.
fn start_driver() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        std::thread::Builder::new()
            .name("authcloud-io".into())
            .spawn(drive_background_work)
            .expect("the authcloud driver thread starts");
    });
}

fn drive_background_work() {
    let shared = shared();
    loop {
        {
            let (lock, condvar) = &shared.has_work;
            let mut has_work = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            while !*has_work {
                has_work = condvar.wait(has_work).unwrap_or_else(|poisoned| poisoned.into_inner());
            }
        }
        // Drives every task (and the sockets and timers) until no guard is left.
        shared.runtime.block_on(async {
            while shared.background.load(Ordering::Acquire) > 0 {
                shared.idle.notified().await;
            }
        });
        let (lock, _) = &shared.has_work;
        let mut has_work = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // A guard may have come (and set the flag) since the count was read: look again.
        *has_work = shared.background.load(Ordering::Acquire) > 0;
    }
}

/// Keeps the runtime driven in the background while it lives: held by async methods'
/// tasks, watches and the embedded emulator.
pub(crate) struct Background(());

impl Background {
    pub(crate) fn hold() -> Self {
        let shared = shared();
        if shared.background.fetch_add(1, Ordering::AcqRel) == 0 {
            start_driver();
            let (lock, condvar) = &shared.has_work;
            *lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = true;
            condvar.notify_one();
        }
        Background(())
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let shared = shared();
        if shared.background.fetch_sub(1, Ordering::AcqRel) == 1 {
            // `notify_one` keeps a permit if the driver is not waiting yet: no lost wake-up.
            shared.idle.notify_one();
        }
    }
}

/// The runtime's handle, for spawning. A task spawned here runs only while someone drives
/// the runtime: give it a [`Background`] guard (or use [`spawn`]) unless a caller is
/// blocked on it.
pub(crate) fn handle() -> &'static Handle {
    shared().runtime.handle()
}

/// Runs `future` to completion from blocking code.
///
/// - On a plain thread (the usual case) the caller drives the runtime itself when no one
///   else does, else it is woken by the thread that does.
/// - On the runtime's blocking pool (a foreign callback calling back into a blocking
///   method), the future is polled there while another thread drives.
/// - On a thread inside some other tokio runtime (a Rust host), it runs on a short-lived
///   helper thread, since tokio forbids blocking a runtime's own thread.
///
/// The future is boxed and driven through one non-generic function, so tokio's blocking
/// machinery is compiled once instead of once per exported method (library size).
pub(crate) fn block_on<F>(future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    let mut output = None;
    block_on_erased(Box::pin(async {
        output = Some(future.await);
    }));
    output.expect("a future driven to completion has produced its output")
}

fn block_on_erased(future: Pin<Box<dyn Future<Output = ()> + Send + '_>>) {
    if ON_BLOCKING_POOL.with(std::cell::Cell::get) {
        handle().block_on(future);
    } else if Handle::try_current().is_ok() {
        std::thread::scope(|scope| {
            let helper = std::thread::Builder::new()
                .name("authcloud-call".into())
                .spawn_scoped(scope, || shared().runtime.block_on(future))
                .expect("a helper thread starts");
            if let Err(panic) = helper.join() {
                std::panic::resume_unwind(panic);
            }
        });
    } else {
        shared().runtime.block_on(future);
    }
}

/// A spawned task's output, type-erased so that the runtime's task machinery (harness,
/// scheduler hooks, join handle) is compiled once for every exported async method.
type ErasedTask = Pin<Box<dyn Future<Output = Box<dyn Any + Send>> + Send>>;

/// Runs `future` on the runtime, driven in the background; the returned future resolves
/// with its output, and dropping it (a cancelled asyncio task or coroutine) aborts the work.
pub(crate) fn spawn<F>(future: F) -> Spawned<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let background = Background::hold();
    let erased: ErasedTask = Box::pin(async move {
        let _background = background;
        Box::new(future.await) as Box<dyn Any + Send>
    });
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
