//! Shared helpers for the cross-crate tests: an emulator per test and an SDK client aimed
//! at it with retry delays short enough for a test suite.

use std::time::Duration;

pub use authcloud;
pub use authcloud_emulator;

use authcloud::{Client, ClientBuilder, RetryPolicy};
use authcloud_emulator::{Emulator, EmulatorConfig, Fault, FaultKind, RequestRecord};

/// Retries as the default policy does, but with millisecond back-offs.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
    }
}

/// An emulator with default settings.
pub async fn emulator() -> Emulator {
    emulator_with(EmulatorConfig::default()).await
}

/// An emulator with custom settings.
pub async fn emulator_with(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.expect("emulator starts")
}

/// A builder aimed at the emulator, without credential, with fast retries and a 2 s
/// request timeout.
pub fn builder(emu: &Emulator) -> ClientBuilder {
    Client::builder().base_url(emu.base_url()).retry_policy(fast_retry()).request_timeout(Duration::from_secs(2))
}

/// A server-side client holding the emulator's access key.
pub fn server_client(emu: &Emulator) -> Client {
    builder(emu).access_key(emu.access_key()).build().expect("client builds")
}

/// Queues a fault.
pub fn fault(emu: &Emulator, path: &str, count: u32, kind: FaultKind) {
    emu.inject_fault(Fault { path: path.into(), count, kind }).expect("fault accepted");
}

/// Queues a `raw` fault: the next request to `path` is answered with exactly `body`.
pub fn raw(emu: &Emulator, path: &str, status: u16, body: &str) {
    fault(emu, path, 1, FaultKind::Raw { status, body: body.to_owned(), content_type: None });
}

/// One of the guide's literal example bodies (`tests/fixtures/guide/NAME.json`), verbatim.
pub fn guide_body(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/guide").join(format!("{name}.json"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The logged requests to `path` (exact, no query).
pub fn requests_to(emu: &Emulator, path: &str) -> Vec<RequestRecord> {
    emu.requests().into_iter().filter(|r| r.path == path).collect()
}

/// Paths of the vendor API.
pub mod paths {
    /// `POST /api/v1/users/enroll`
    pub const ENROLL: &str = "/api/v1/users/enroll";
    /// `POST /api/v1/status`
    pub const STATUS: &str = "/api/v1/status";
    /// `POST /api/v1/introspect`
    pub const INTROSPECT: &str = "/api/v1/introspect";
    /// `POST /api/v1/intent`
    pub const INTENT: &str = "/api/v1/intent";
}
