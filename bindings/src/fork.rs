//! `fork()` without surprises.
//!
//! A process that forks after using the SDK (Python's `multiprocessing` with the fork start
//! method, gunicorn or uWSGI with preload, Celery's prefork pool) hands its child a copy of
//! the SDK's memory but none of its threads. Worse, the child shares the parent's open
//! sockets and epoll instance: a connection the child closed, or an I/O registration it
//! dropped, would be closed or unregistered under the parent's feet too.
//!
//! So the SDK counts forks (a `pthread_atfork` child handler bumps a generation number) and
//! everything that owns threads or sockets is kept per generation: in the child, the first
//! use builds a fresh one (runtime, connection pool, log delivery), and the parent's copy is
//! leaked untouched — never dropped, never polled. Work the parent had started (a watch, an
//! async call) stays the parent's.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use arc_swap::ArcSwap;

/// Incremented in the child of every `fork`.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// How many forks separate this process from the one that first loaded the SDK.
pub(crate) fn generation() -> u64 {
    watch_forks();
    GENERATION.load(Ordering::Acquire)
}

/// Registers the fork handler once (a lock-free flag: a fork while another thread
/// registers cannot leave a lock held in the child).
fn watch_forks() {
    static REGISTERED: AtomicBool = AtomicBool::new(false);
    if !REGISTERED.load(Ordering::Relaxed) && !REGISTERED.swap(true, Ordering::AcqRel) {
        register_child_handler();
    }
}

#[cfg(unix)]
fn register_child_handler() {
    /// Runs in the child right after `fork`: only an atomic increment (async-signal-safe).
    extern "C" fn in_child() {
        GENERATION.fetch_add(1, Ordering::AcqRel);
    }
    // SAFETY: registers a plain function with no captured state; `pthread_atfork` only
    // stores the pointer. A failure (ENOMEM) leaves fork detection off, as before.
    unsafe {
        libc::pthread_atfork(None, None, Some(in_child));
    }
}

#[cfg(not(unix))]
fn register_child_handler() {}

/// A value that belongs to the process that made it: in a forked child, [`get`] builds a
/// fresh one with `rebuild`, and the parent's copy is leaked instead of dropped.
///
/// [`get`]: ProcessLocal::get
pub(crate) struct ProcessLocal<T: Clone> {
    current: ArcSwap<Owned<T>>,
}

struct Owned<T> {
    generation: u64,
    /// Taken (and forgotten) when a child replaces it.
    value: std::mem::ManuallyDrop<T>,
}

impl<T> Drop for Owned<T> {
    fn drop(&mut self) {
        // Only the process that made a value may drop it: in a child, its sockets and
        // registrations are the parent's.
        if self.generation == GENERATION.load(Ordering::Acquire) {
            // SAFETY: dropped exactly once, here.
            unsafe { std::mem::ManuallyDrop::drop(&mut self.value) }
        }
    }
}

impl<T: Clone> ProcessLocal<T> {
    pub(crate) fn new(value: T) -> Self {
        let generation = generation();
        ProcessLocal { current: ArcSwap::from_pointee(Owned { generation, value: std::mem::ManuallyDrop::new(value) }) }
    }

    /// The value of this process: the one it was made with, or in a forked child one built
    /// by `rebuild` from the parent's (which is only read, never used for I/O).
    pub(crate) fn get<E>(&self, rebuild: impl FnOnce(&T) -> Result<T, E>) -> Result<T, E> {
        let now = generation();
        let current = self.current.load();
        if current.generation == now {
            return Ok((*current.value).clone());
        }
        let fresh = rebuild(&current.value)?;
        let replacement = Arc::new(Owned { generation: now, value: std::mem::ManuallyDrop::new(fresh.clone()) });
        // Another thread of the child may have rebuilt it first: either copy works, and the
        // loser's (this process's own) is dropped normally.
        let previous = self.current.compare_and_swap(&current, replacement);
        if Arc::ptr_eq(&previous, &current) {
            // The parent's copy: `Owned::drop` skips values of another generation.
            drop(previous);
            Ok(fresh)
        } else {
            Ok((*previous.value).clone())
        }
    }

    /// The value as made, whatever the process (for reading configuration).
    pub(crate) fn with_original<R>(&self, read: impl FnOnce(&T) -> R) -> R {
        read(&self.current.load().value)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// A real fork: the child handler must have run, the value must be rebuilt once, and
    /// the parent's copy must be left alone (not dropped) in the child.
    #[test]
    fn a_value_is_kept_until_a_fork_and_rebuilt_once_in_the_child() {
        let local = ProcessLocal::new(Arc::new(1));
        let parents = local.get(|_| Err::<_, ()>(())).expect("no rebuild without a fork");
        let before = generation();
        // SAFETY: the child only runs the checks below and leaves with `_exit`.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let rebuilt = local.get(|old| Ok::<_, ()>(Arc::new(**old + 1)));
            let again = local.get(|_| Err::<_, ()>(()));
            let checks = [
                generation() == before + 1,
                rebuilt.as_deref() == Ok(&2),
                matches!((&rebuilt, &again), (Ok(a), Ok(b)) if Arc::ptr_eq(a, b)),
                // `parents` and the leaked copy inside the replaced slot.
                Arc::strong_count(&parents) == 2,
            ];
            let failed = checks.iter().position(|ok| !ok).map_or(0, |i| i as i32 + 1);
            // SAFETY: ends the child at once, running nothing of the parent's.
            unsafe { libc::_exit(failed) };
        }
        let mut status = 0;
        // SAFETY: waits for the child forked above.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status), "the child did not exit normally: {status}");
        assert_eq!(libc::WEXITSTATUS(status), 0, "check number {} failed in the child", libc::WEXITSTATUS(status));
        assert_eq!(generation(), before, "the parent is not a child");
        assert!(Arc::ptr_eq(&local.get(|_| Err::<_, ()>(())).unwrap(), &parents));
    }
}
