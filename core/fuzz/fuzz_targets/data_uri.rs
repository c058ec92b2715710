//! QR code data URIs and deep links: decoding and checking arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = authcloud::decode_png_data_uri(text);
    let link = authcloud::DeepLink::new(text);
    if let Ok(href) = link.href() {
        assert!(href.starts_with("https://") || href.starts_with("http://"));
    }
    let clean = authcloud::sanitize_server_text(text);
    assert!(!clean.chars().any(char::is_control));
});
