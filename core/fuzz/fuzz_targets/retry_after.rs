//! `Retry-After` header values (seconds or HTTP dates) against a fixed clock.
#![no_main]

use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;

fuzz_target!(|value: &[u8]| {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let _ = authcloud::fuzzing::retry_after(value, now);
});
