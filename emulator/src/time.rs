//! Wall-clock helpers: the API's timestamp format and JWT seconds.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Formats a timestamp as the vendor does: ISO-8601 UTC with microseconds and `Z`,
/// e.g. `2020-10-09T12:13:11.845958Z`.
pub(crate) fn iso8601(at: SystemTime) -> String {
    humantime::format_rfc3339_micros(at).to_string()
}

/// Whole seconds since the Unix epoch, rounded down (JWT `iat`).
pub(crate) fn epoch_seconds(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs()
}

/// Whole seconds since the Unix epoch, rounded up (JWT `exp`, so a token never claims to
/// expire before the deadline it stands for).
pub(crate) fn epoch_seconds_ceil(at: SystemTime) -> u64 {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    since.as_secs() + u64::from(since.subsec_nanos() > 0)
}

/// Whole milliseconds since the Unix epoch, rounded down (introspect's `iat` in the guide's
/// unit).
pub(crate) fn epoch_millis(at: SystemTime) -> u64 {
    u64::try_from(at.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_millis()).unwrap_or(u64::MAX)
}
