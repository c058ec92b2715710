//! Instance names and base URLs: validation never panics, and plain http never reaches a
//! remote host.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = authcloud::validate_instance(text);
    if let Ok(url) = authcloud::validate_base_url(text) {
        assert!(url.scheme() == "https" || url.scheme() == "http");
        assert!(url.username().is_empty() && url.password().is_none());
    }
    let _ = authcloud::Client::builder().instance(text).build_config();
});
