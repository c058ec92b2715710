//! Every answer parser, and the error-body reader, on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Ok(enrolled) = authcloud::EnrollResult::from_json(body) {
        let _ = enrolled.enrollment.qr_code.png_bytes();
        let _ = enrolled.enrollment.app_link_uri.href();
        let _ = format!("{enrolled:?}");
    }
    if let Ok(status) = authcloud::OperationStatus::from_json(body) {
        let _ = format!("{status:?}");
    }
    if let Ok(introspection) = authcloud::Introspection::from_json(body) {
        let _ = introspection.issued_at();
    }
    let _ = authcloud::fuzzing::error_detail(body);
});
