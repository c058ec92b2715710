//! SIGPIPE: writing to a socket whose peer has closed raises it, and its default action ends
//! the process. Rust executables, CPython and the JVM ignore it at start-up; a Swift or C
//! host on Linux does not — one server closing a connection while the SDK writes (a failed
//! TLS handshake, a proxy hanging up) would kill the whole app. So, before the SDK's first
//! connection, SIGPIPE is set to "ignore" — only if it still has its default action, never
//! overriding a handler the host installed. (Apple platforms need nothing: the socket
//! layer there sets `SO_NOSIGPIPE` on every socket.)

/// Ignores SIGPIPE if nobody decided about it yet. Idempotent.
#[cfg(all(unix, not(target_vendor = "apple")))]
pub(crate) fn ignore_sigpipe_if_default() {
    // SAFETY: plain libc calls on zero-initialised `sigaction` structs owned by this frame;
    // querying first and replacing only SIG_DFL keeps any host handler in place.
    unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut current) != 0 {
            return;
        }
        if current.sa_sigaction == libc::SIG_DFL {
            let mut ignore: libc::sigaction = std::mem::zeroed();
            ignore.sa_sigaction = libc::SIG_IGN;
            libc::sigemptyset(&mut ignore.sa_mask);
            libc::sigaction(libc::SIGPIPE, &ignore, std::ptr::null_mut());
        }
    }
}

/// Nothing to do where sockets do not raise SIGPIPE.
#[cfg(not(all(unix, not(target_vendor = "apple"))))]
pub(crate) fn ignore_sigpipe_if_default() {}
