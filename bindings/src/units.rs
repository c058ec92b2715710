//! Durations as the FFI carries them: whole milliseconds in a `u64`.

/// `d` in whole milliseconds, saturating (a `Duration` can exceed `u64` milliseconds).
pub(crate) fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
