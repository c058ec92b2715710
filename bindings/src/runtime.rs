//! The one tokio runtime behind every binding: a current-thread runtime, driven by whoever
//! needs it — and the rules that keep it from ever hanging its host.
//!
//! - A blocking method drives the runtime on the caller's own thread (`block_on`) when no
//!   one else is: the request, its socket readiness and its timers all run on the thread
//!   that waits for them, with no hand-off between threads. That is what makes a blocking
//!   call cheap (a multi-thread runtime cost about twice the CPU per call, measured in
//!   bench/clients).
//! - Work that outlives a call — an async method's task, a watch, an observer's deliveries —
//!   holds a [`Background`] guard. While any guard exists, a dedicated thread
//!   (`authcloud-io`) drives the runtime; when the last guard goes, that thread lets go, and
//!   blocking callers drive again. A blocking call made while the thread drives is polled on
//!   the caller's thread and woken by the driver (tokio's own hand-over of the "core").
//!
//! A thread that drives the runtime is inside it: if it stopped to wait for a blocking call,
//! nothing would drive that call — the host would hang. So:
//!
//! 1. **Foreign code never runs on a driving thread.** A finished async call wakes its
//!    foreign continuation from the blocking pool ([`Spawned`]): a Kotlin coroutine resumed
//!    `Unconfined`, a Swift task resumed inline or a Python callback runs there, free to make
//!    blocking calls. Observers are called on the blocking pool, log records are delivered
//!    by their own thread or on the caller's, and the last reference to a foreign object is
//!    released off the runtime too (`foreign::Foreign`): a Python finalizer may run there.
//! 2. **A blocking call on a driving thread fails at once** (should rule 1 ever be broken)
//!    with an error that says what to do, instead of waiting for itself.
//! 3. **A forked child gets its own runtime** (see `fork.rs`): the parent's threads do not
//!    survive `fork`, and its epoll instance is shared with the parent.
//!
//! The embedded emulator does not use this runtime at all: it serves from a thread of its
//! own (see `emulator.rs`), so nothing the SDK does can stop it from answering.
//!
//! uniffi's `async_runtime = "tokio"` is deliberately not used: it polls through
//! async-compat, which would start a second runtime of its own.

use std::any::Any;
use std::cell::Cell;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use tokio::runtime::{Handle, Runtime};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::{foreign, fork};

thread_local! {
    /// Set on the runtime's blocking-pool threads (where foreign callbacks run).
    static ON_BLOCKING_POOL: Cell<bool> = const { Cell::new(false) };
    /// Set while this thread is inside the runtime: the driver thread, or a blocking call
    /// between entering and leaving `block_on`.
    static IN_RUNTIME: Cell<bool> = const { Cell::new(false) };
}

/// True on a thread that is inside the SDK's runtime, where nothing may block on it.
pub(crate) fn in_runtime() -> bool {
    IN_RUNTIME.with(Cell::get)
}

/// Marks this thread as inside the runtime until dropped (also when unwinding).
struct InRuntime {
    was: bool,
}

impl InRuntime {
    fn enter() -> Self {
        InRuntime { was: IN_RUNTIME.with(|flag| flag.replace(true)) }
    }
}

impl Drop for InRuntime {
    fn drop(&mut self) {
        IN_RUNTIME.with(|flag| flag.set(self.was));
    }
}

/// A blocking call was made on a thread that drives the SDK's runtime: it would wait for
/// itself. Only reachable if foreign code ran there, which the SDK never arranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockedOnOwnThread;

impl BlockedOnOwnThread {
    pub(crate) const EXPLANATION: &'static str = "a blocking call was made on the SDK's own I/O thread, which would \
        wait for itself forever; call it from another thread, or use the async client there";
}

/// The runtime of one process generation and the bookkeeping of who drives it.
struct Shared {
    /// The fork generation this runtime belongs to.
    generation: u64,
    runtime: Runtime,
    /// Live [`Background`] guards.
    background: AtomicUsize,
    /// The driver thread sleeps on this while there is no background work. (A child never
    /// touches its parent's `Shared`, so a lock held at fork time cannot trap it.)
    has_work: (Mutex<bool>, Condvar),
    /// Woken when the last guard goes, so the driver thread lets the runtime go.
    idle: Notify,
    /// Whether the driver thread was started.
    driver: std::sync::OnceLock<()>,
}

/// The runtime of this process: built on first use, and again in a forked child.
fn shared() -> &'static Shared {
    static CURRENT: AtomicPtr<Shared> = AtomicPtr::new(std::ptr::null_mut());
    let generation = fork::generation();
    let current = CURRENT.load(Ordering::Acquire);
    // SAFETY: every pointer stored in CURRENT comes from `Box::leak` and is never freed.
    if let Some(shared) = unsafe { current.as_ref() } {
        if shared.generation == generation {
            return shared;
        }
    }
    // First use, or the first use in a forked child: the parent's runtime is leaked (its
    // threads are gone; dropping it would wait for them).
    install(&CURRENT, current, generation)
}

/// Builds a runtime for `generation` and installs it in `slot` unless another thread
/// replaced `current` first; returns the installed one.
fn install(slot: &AtomicPtr<Shared>, current: *mut Shared, generation: u64) -> &'static Shared {
    let fresh: &'static mut Shared = Box::leak(Box::new(Shared::new(generation)));
    match slot.compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => fresh,
        Err(winner) => {
            // Another thread installed one first; ours was never used. Shut it down without
            // waiting: a plain drop panics when this thread is inside another async runtime
            // (a blocking call from a tokio task racing the first use).
            // SAFETY: `fresh` came from `Box::leak` above and nobody else has seen it.
            let unused = unsafe { Box::from_raw(fresh as *mut Shared) };
            unused.runtime.shutdown_background();
            // SAFETY: as above, pointers in `slot` are never freed.
            unsafe { &*winner }
        }
    }
}

impl Shared {
    fn new(generation: u64) -> Self {
        // Every connection of the SDK runs on (or is driven through) this runtime.
        crate::signals::ignore_sigpipe_if_default();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .thread_name("authcloud-blocking")
            .on_thread_start(|| ON_BLOCKING_POOL.with(|flag| flag.set(true)))
            .enable_all()
            .build()
            .expect("the authcloud runtime starts (timers and sockets are available)");
        Shared {
            generation,
            runtime,
            background: AtomicUsize::new(0),
            has_work: (Mutex::new(false), Condvar::new()),
            idle: Notify::new(),
            driver: std::sync::OnceLock::new(),
        }
    }

    /// The driver thread, started with the first background guard.
    fn start_driver(&'static self) {
        self.driver.get_or_init(|| {
            std::thread::Builder::new()
                .name("authcloud-io".into())
                .spawn(move || self.drive_background_work())
                .expect("the authcloud driver thread starts");
        });
    }

    fn drive_background_work(&'static self) {
        let _inside = InRuntime::enter();
        loop {
            {
                let (lock, condvar) = &self.has_work;
                let mut has_work = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                while !*has_work {
                    has_work = condvar.wait(has_work).unwrap_or_else(|poisoned| poisoned.into_inner());
                }
            }
            // Drives every task (and the sockets and timers) until no guard is left.
            self.runtime.block_on(async {
                while self.background.load(Ordering::Acquire) > 0 {
                    self.idle.notified().await;
                }
            });
            let (lock, _) = &self.has_work;
            let mut has_work = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            // A guard may have come (and set the flag) since the count was read: look again.
            *has_work = self.background.load(Ordering::Acquire) > 0;
        }
    }
}

/// Keeps the runtime driven in the background while it lives: held by async methods'
/// tasks, watches and observer deliveries.
pub(crate) struct Background {
    shared: &'static Shared,
}

impl Background {
    pub(crate) fn hold() -> Self {
        let shared = shared();
        if shared.background.fetch_add(1, Ordering::AcqRel) == 0 {
            shared.start_driver();
            let (lock, condvar) = &shared.has_work;
            *lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = true;
            condvar.notify_one();
        }
        Background { shared }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        // A guard inherited from the parent through `fork` guards the parent's runtime: leave it.
        if self.shared.generation != fork::generation() {
            return;
        }
        if self.shared.background.fetch_sub(1, Ordering::AcqRel) == 1 {
            // `notify_one` keeps a permit if the driver is not waiting yet: no lost wake-up.
            self.shared.idle.notify_one();
        }
    }
}

/// The runtime's handle, for spawning. A task spawned here runs only while someone drives
/// the runtime: give it a [`Background`] guard (or use [`spawn`]) unless a caller is
/// blocked on it.
pub(crate) fn handle() -> &'static Handle {
    shared().runtime.handle()
}

/// Runs `future` to completion from blocking code, or refuses at once on a thread that
/// drives the runtime (where waiting would never end).
///
/// - On a plain thread (the usual case) the caller drives the runtime itself when no one
///   else does, else it is woken by the thread that does. The same on the runtime's
///   blocking pool (a callback calling a blocking method).
/// - On a thread inside some other tokio runtime (a Rust host), it runs on a short-lived
///   helper thread, since tokio forbids blocking a runtime's own thread.
///
/// The future is boxed and driven through one non-generic function, so tokio's blocking
/// machinery is compiled once instead of once per exported method (library size).
pub(crate) fn block_on<F>(future: F) -> Result<F::Output, BlockedOnOwnThread>
where
    F: Future + Send,
    F::Output: Send,
{
    let mut output = None;
    block_on_erased(Box::pin(async {
        output = Some(future.await);
    }))?;
    Ok(output.expect("a future driven to completion has produced its output"))
}

fn block_on_erased(future: Pin<Box<dyn Future<Output = ()> + Send + '_>>) -> Result<(), BlockedOnOwnThread> {
    if in_runtime() {
        return Err(BlockedOnOwnThread);
    }
    let shared = shared();
    let mut call = Collecting { future, records: Vec::new() };
    let in_other_runtime = !ON_BLOCKING_POOL.with(Cell::get) && Handle::try_current().is_ok();
    if in_other_runtime {
        std::thread::scope(|scope| {
            let helper = std::thread::Builder::new()
                .name("authcloud-call".into())
                .spawn_scoped(scope, || {
                    let _inside = InRuntime::enter();
                    shared.runtime.block_on(&mut call)
                })
                .expect("a helper thread starts");
            if let Err(panic) = helper.join() {
                std::panic::resume_unwind(panic);
            }
        });
    } else {
        let _inside = InRuntime::enter();
        shared.runtime.block_on(&mut call);
    }
    // Out of the runtime again: the call's log records reach the sink before it returns.
    crate::log::deliver(call.records);
    Ok(())
}

/// A call's future, keeping the log records emitted while it is polled (see `log.rs`).
struct Collecting<F> {
    future: F,
    records: Vec<crate::log::LogRecord>,
}

impl<F: Future + Unpin> Future for Collecting<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        crate::log::collect(&mut this.records, || Pin::new(&mut this.future).poll(cx))
    }
}

/// A spawned task's output, type-erased so that the runtime's task machinery (harness,
/// scheduler hooks, join handle) is compiled once for every exported async method.
type ErasedTask = Pin<Box<dyn Future<Output = Box<dyn Any + Send>> + Send>>;

/// A finished task: its output and the log records it emitted.
type TaskOutput = (Box<dyn Any + Send>, Vec<crate::log::LogRecord>);

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
    let call = Collecting { future: erased, records: Vec::new() };
    let task = handle().spawn(async move {
        let mut call = call;
        let output = (&mut call).await;
        (output, call.records)
    });
    Spawned { task: AbortOnDrop(task), waker: None, output: PhantomData }
}

/// The future [`spawn`] returns: the task's output with its type restored.
pub(crate) struct Spawned<T> {
    task: AbortOnDrop,
    /// The awaiting side's waker and the off-runtime waker given to the task in its stead.
    waker: Option<(Waker, Waker)>,
    // `fn() -> T`: the handle owns no `T`, so it is `Send`/`Unpin` whatever `T` is.
    output: PhantomData<fn() -> T>,
}

impl<T: 'static> Future for Spawned<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        // The task finishes on a driving thread; its wake-up resumes foreign code (uniffi
        // calls the continuation from `wake`), so it is relayed off the runtime.
        let relay = match &self.waker {
            Some((awaiting, relay)) if awaiting.will_wake(cx.waker()) => relay.clone(),
            _ => {
                let relay = Waker::from(Arc::new(OffRuntimeWake(cx.waker().clone())));
                self.waker = Some((cx.waker().clone(), relay.clone()));
                relay
            }
        };
        let mut relayed = Context::from_waker(&relay);
        Pin::new(&mut self.task).poll(&mut relayed).map(|(value, records)| {
            // The call's log records, on the thread that receives its result, before it does.
            crate::log::deliver(records);
            match value.downcast::<T>() {
                Ok(value) => *value,
                Err(_) => unreachable!("a spawned task's output has the type it was spawned with"),
            }
        })
    }
}

/// Wakes the inner waker directly on a plain thread, and from the blocking pool when woken
/// on a thread that drives the runtime.
struct OffRuntimeWake(Waker);

impl Wake for OffRuntimeWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Waking runs the foreign continuation: gated, as every call into foreign code.
        if in_runtime() {
            let waker = self.0.clone();
            drop(handle().spawn_blocking(move || foreign::call(|| waker.wake())));
        } else {
            foreign::call(|| self.0.wake_by_ref());
        }
    }
}

/// A task handle that aborts its task when dropped.
struct AbortOnDrop(JoinHandle<TaskOutput>);

impl Future for AbortOnDrop {
    type Output = TaskOutput;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocking_call_inside_a_blocking_call_fails_at_once() {
        let nested = block_on(async { block_on(async { 1 }) }).unwrap();
        assert_eq!(nested, Err(BlockedOnOwnThread));
    }

    #[test]
    fn a_blocking_call_on_the_blocking_pool_drives_the_runtime_itself() {
        // No guard and no caller: nobody else drives. The pool thread must drive, not wait.
        let (answer, answered) = std::sync::mpsc::channel();
        drop(handle().spawn_blocking(move || {
            let value = block_on(async {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                7
            });
            let _ = answer.send(value);
        }));
        let value = answered.recv_timeout(std::time::Duration::from_secs(10)).expect("no hang");
        assert_eq!(value, Ok(7));
    }

    #[test]
    fn losing_the_race_to_build_the_runtime_inside_another_runtime_does_not_panic() {
        // Two first uses at once, the loser on a thread inside another tokio runtime: its
        // unused runtime must go without the drop that panics in an async context (seen once
        // in a fresh clone's ./test.sh).
        let generation = fork::generation();
        let winner: *mut Shared = Box::leak(Box::new(Shared::new(generation)));
        let slot = AtomicPtr::new(winner);
        let host = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let installed = host.block_on(async { install(&slot, std::ptr::null_mut(), generation) as *const Shared });
        assert_eq!(installed, winner as *const Shared, "the first one stays");
    }

    #[test]
    fn a_blocking_call_from_another_tokio_runtime_runs_on_a_helper() {
        let host = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let value = host.block_on(async {
            block_on(async {
                tokio::task::yield_now().await;
                3
            })
        });
        assert_eq!(value, Ok(3));
    }

    /// The hand-over between the driver thread and blocking callers, hammered: threads take
    /// and release background guards at random moments while others make blocking calls
    /// (on plain threads and on the blocking pool) and await spawned tasks. Every operation
    /// must finish; a lost wake-up shows up as a stall, caught by the watchdog.
    ///
    /// Why a stress test and not a `loom` model: half of the hand-over is tokio's own (the
    /// current-thread scheduler passing its core between `block_on` callers), which loom
    /// cannot instrument; modelling only our half against a mock of tokio would prove the
    /// mock. Random interleavings on real threads exercise both halves together.
    #[test]
    fn the_driver_hand_over_never_loses_a_wake_up() {
        use std::sync::atomic::AtomicU64;
        use std::time::{Duration, Instant};

        const THREADS: u64 = 6;
        const OPERATIONS: u64 = 1500;
        let done = Arc::new(AtomicU64::new(0));
        let workers: Vec<_> = (0..THREADS)
            .map(|seed| {
                let done = Arc::clone(&done);
                std::thread::spawn(move || {
                    // A small xorshift: reproducible per thread, no dependency.
                    let mut state = 0x9E37_79B9_7F4A_7C15 ^ (seed + 1).wrapping_mul(0x2545_F491_4F6C_DD1D);
                    let mut next = move || {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        state
                    };
                    for _ in 0..OPERATIONS {
                        let pause = Duration::from_micros(next() % 300);
                        match next() % 5 {
                            0 => {
                                let guard = Background::hold();
                                std::thread::sleep(pause);
                                drop(guard);
                            }
                            1 => {
                                let value = block_on(async move {
                                    tokio::time::sleep(pause).await;
                                    1
                                });
                                assert_eq!(value, Ok(1));
                            }
                            2 => {
                                let task = spawn(async move {
                                    tokio::time::sleep(pause).await;
                                    2
                                });
                                assert_eq!(block_on(task), Ok(2));
                            }
                            3 => {
                                // Awaited from a plain thread without driving: woken by the driver.
                                let (sent, received) = std::sync::mpsc::channel();
                                let task = spawn(async move {
                                    tokio::task::yield_now().await;
                                    3
                                });
                                std::thread::spawn(move || {
                                    let _ = sent.send(block_on(task));
                                });
                                let answer = received.recv_timeout(Duration::from_secs(20));
                                assert_eq!(answer, Ok(Ok(3)), "a spawned task was never driven");
                            }
                            _ => {
                                let (sent, received) = std::sync::mpsc::channel();
                                drop(handle().spawn_blocking(move || {
                                    let _ = sent.send(block_on(async move {
                                        tokio::time::sleep(pause).await;
                                        4
                                    }));
                                }));
                                let answer = received.recv_timeout(Duration::from_secs(20));
                                assert_eq!(answer, Ok(Ok(4)), "a blocking-pool call was never driven");
                            }
                        }
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        // Watchdog: progress must never stall for long.
        let mut last = (0, Instant::now());
        while done.load(Ordering::Relaxed) < THREADS * OPERATIONS {
            std::thread::sleep(Duration::from_millis(50));
            let now = done.load(Ordering::Relaxed);
            if now != last.0 {
                last = (now, Instant::now());
            }
            assert!(last.1.elapsed() < Duration::from_secs(20), "stalled at {now} operations: a lost wake-up");
            if workers.iter().any(std::thread::JoinHandle::is_finished)
                && workers.iter().all(std::thread::JoinHandle::is_finished)
            {
                break;
            }
        }
        for worker in workers {
            worker.join().expect("no assertion failed in a worker");
        }
        assert_eq!(done.load(Ordering::Relaxed), THREADS * OPERATIONS);
    }
}
