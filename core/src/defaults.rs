//! Every default and limit of the SDK, defined once.
//!
//! The bindings' records (`ClientConfig`, `WaitOptions`), the Kotlin helpers and the CLI
//! take their defaults from here; a test in `bindings/` fails if a `#[uniffi(default)]`
//! literal drifts from these constants.

use std::time::Duration;

/// TCP + TLS connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Limit for one attempt of a request (connect, send, receive the body).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Limit for a whole call, all its attempts and back-off pauses included.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts in all for a request that may be re-sent (the first included).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// Back-off before the first retry; it doubles with each retry.
pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_millis(250);
/// Longest back-off between two attempts.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Longest `Retry-After` honoured by default; a server asking for more ends the call.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// The highest `max_retry_after` a configuration may set: a call should never sleep for
/// hours because a server said so.
pub const MAX_RETRY_AFTER_LIMIT: Duration = Duration::from_secs(10 * 60);
/// Largest response body read.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 1024 * 1024;
/// The guide's recommended polling interval.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(1500);
/// The shortest polling interval accepted: faster polling only loads the server.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_millis(100);
/// How long a wait lasts by default (the vendor's transactions expire within minutes).
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(300);
/// The widest interval a wait widens to by itself after 429s.
pub const DEFAULT_MAX_POLL_INTERVAL: Duration = Duration::from_secs(30);
/// Requests one client has in flight at most — and so the connections it keeps open to
/// the server (see [`crate::ClientBuilder::max_concurrent_requests`]).
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 64;
/// Whether a wait starts its first poll at a random offset within the first interval
/// (off: one user at a screen wants the first answer at once).
pub const DEFAULT_FIRST_POLL_JITTER: bool = false;
