//! `Emulator`: the authcloud emulator as a test kit for the host language's own tests
//! (behind the `emulator` feature: in the wheel and the JVM jar, not in mobile builds).

use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use authcloud_emulator::{EmulatorConfig, EmulatorError, FaultKind, IatUnit};
use tokio::sync::oneshot;

use crate::error::AuthCloudError;
use crate::fork;
use crate::secret::Secret;

/// Settings of an emulator; the defaults suit most tests.
#[derive(Debug, Clone, uniffi::Record)]
pub struct EmulatorOptions {
    /// Port on 127.0.0.1; 0 picks a free one.
    #[uniffi(default = 0)]
    pub port: u16,
    /// The access key it accepts; none = a random one (read it back with `access_key()`).
    #[uniffi(default = None)]
    pub access_key: Option<Arc<Secret>>,
    /// How long a registration waits for the user before it reports `failed`.
    #[uniffi(default = 300000)]
    pub transaction_ttl_ms: u64,
    /// How long an intent token stays usable.
    #[uniffi(default = 600000)]
    pub intent_ttl_ms: u64,
    /// Approve every registration automatically after this long.
    #[uniffi(default = None)]
    pub auto_approve_after_ms: Option<u64>,
    /// Introspect's `iat`/`exp` in seconds (the vendor's reference) instead of
    /// milliseconds (the guide's example, the default).
    #[uniffi(default = false)]
    pub iat_in_seconds: bool,
    /// Push approvals a user may get per period before being blocked (none: unlimited).
    #[uniffi(default = None)]
    pub push_limit: Option<RateLimit>,
    /// SMS a user may get per period before being blocked (none: unlimited).
    #[uniffi(default = None)]
    pub sms_limit: Option<RateLimit>,
}

/// At most `max` per user within any `period_ms`: past it, the request is refused (429) and
/// the user's record lists the channel in `exceeded_rate_limits`.
#[derive(Debug, Clone, Copy, uniffi::Record)]
pub struct RateLimit {
    pub max: u32,
    pub period_ms: u64,
}

impl From<RateLimit> for authcloud_emulator::RateLimit {
    fn from(limit: RateLimit) -> Self {
        authcloud_emulator::RateLimit { max: limit.max, period: Duration::from_millis(limit.period_ms) }
    }
}

fn rate_limits(push: Option<RateLimit>, sms: Option<RateLimit>) -> authcloud_emulator::RateLimits {
    authcloud_emulator::RateLimits { push: push.map(Into::into), sms: sms.map(Into::into) }
}

/// What an injected fault does to the next matching requests.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum Fault {
    /// Answer with this HTTP status (and a `Retry-After` header when given).
    Status { status: u16, retry_after_secs: Option<u64> },
    /// Answer 200 with a body that is not JSON.
    Garbage,
    /// Answer 200 with a body shorter than its Content-Length.
    Truncated,
    /// Answer 200 with a body of this many bytes.
    Oversized { size_bytes: u64 },
    /// Answer normally after this delay.
    Delay { delay_ms: u64 },
    /// Close the connection without answering.
    Drop,
    /// Answer with this status and this JSON text (parsed, then re-serialised).
    Json { status: u16, body_json: String },
    /// Answer with this status and exactly this body (e.g. the guide's literal examples);
    /// `content_type` defaults to `application/json`.
    Raw { status: u16, body: String, content_type: Option<String> },
    /// Answer a redirect (301, 302, 303, 307 or 308) to `location`.
    Redirect { status: u16, location: String },
}

/// One request the emulator received (tokens and keys redacted).
#[derive(Debug, Clone, uniffi::Record)]
pub struct RecordedRequest {
    pub seq: u64,
    /// Milliseconds since the emulator started.
    pub at_ms: f64,
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body_size: u64,
    /// None while unanswered or when the connection was dropped.
    pub response_status: Option<u16>,
}

/// An SMS the simulated phone received.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SentSms {
    /// The phone number.
    pub to: String,
    /// The text, with the code in place of `{{CODE}}`.
    pub text: String,
    /// The code alone: what a test types into `verify_code`.
    pub code: String,
    pub user_id: String,
    pub transaction_id: String,
    pub sent_at: std::time::SystemTime,
}

/// An approval (login) waiting on the simulated phone for the user's decision.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PendingApproval {
    /// Pass it to `approve` / `deny` to play the user.
    pub transaction_id: String,
    /// `push` or `app`.
    pub channel: String,
    /// The authenticator asked, or `*` for any of the user's authenticators.
    pub authenticator_id: String,
    /// Whether the app is asked to show `message` before the user decides.
    pub prompt: bool,
    pub message: Option<String>,
    pub notification_message: Option<String>,
    pub created_at: std::time::SystemTime,
}

/// An in-process Authentication Cloud emulator on a loopback port.
///
/// It serves from a thread and runtime of its own, not the SDK's: whatever the SDK's threads
/// are doing (a callback blocked in a call, a finalizer), the emulator keeps answering, and
/// releasing it never waits for the SDK.
#[derive(uniffi::Object)]
#[uniffi::export(Display, Debug)]
pub struct Emulator {
    inner: Arc<authcloud_emulator::Emulator>,
    /// The fork generation of the process it serves in (see `fork.rs`).
    generation: u64,
    /// Sending (or dropping) it tells the serving thread to stop.
    stop: Mutex<Option<oneshot::Sender<()>>>,
    server: Mutex<Option<JoinHandle<()>>>,
}

fn emulator_error(error: EmulatorError) -> AuthCloudError {
    match error {
        EmulatorError::UnknownTransaction => {
            AuthCloudError::InvalidInput { field: "transaction_id".into(), reason: error.to_string() }
        }
        EmulatorError::NotPending(_) => {
            AuthCloudError::InvalidInput { field: "transaction_id".into(), reason: error.to_string() }
        }
        EmulatorError::DecidedByCode => {
            AuthCloudError::InvalidInput { field: "transaction_id".into(), reason: error.to_string() }
        }
        EmulatorError::InvalidFault(_) => {
            AuthCloudError::InvalidInput { field: "fault".into(), reason: error.to_string() }
        }
        other => AuthCloudError::Configuration { reason: other.to_string() },
    }
}

/// Serves `config` on this thread until `stop` fires (or its sender is dropped); reports the
/// started emulator, or why it could not start, through `ready`.
fn serve(
    config: EmulatorConfig,
    ready: std::sync::mpsc::Sender<Result<Arc<authcloud_emulator::Emulator>, AuthCloudError>>,
    stop: oneshot::Receiver<()>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            let reason = format!("the emulator's runtime did not start: {error}");
            let _ = ready.send(Err(AuthCloudError::Configuration { reason }));
            return;
        }
    };
    runtime.block_on(async move {
        let emulator = match authcloud_emulator::Emulator::start(config).await {
            Ok(emulator) => Arc::new(emulator),
            Err(error) => {
                let _ = ready.send(Err(emulator_error(error)));
                return;
            }
        };
        let _ = ready.send(Ok(Arc::clone(&emulator)));
        // A stop, or the handle released without one.
        let _ = stop.await;
        emulator.stop().await;
    });
}

#[uniffi::export]
impl Emulator {
    /// Starts an emulator (on a thread of its own) and returns once it listens.
    #[uniffi::constructor(default(options))]
    pub fn start(options: EmulatorOptions) -> Result<Arc<Self>, AuthCloudError> {
        let config = EmulatorConfig {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, options.port)),
            access_key: options.access_key.map(|key| key.reveal()),
            transaction_ttl: Duration::from_millis(options.transaction_ttl_ms),
            intent_ttl: Duration::from_millis(options.intent_ttl_ms),
            auto_approve_after: options.auto_approve_after_ms.map(Duration::from_millis),
            iat_unit: if options.iat_in_seconds { IatUnit::Seconds } else { IatUnit::Milliseconds },
            rate_limits: rate_limits(options.push_limit, options.sms_limit),
        };
        let (ready, started) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel();
        let server = std::thread::Builder::new()
            .name("authcloud-emulator".into())
            .spawn(move || serve(config, ready, stopped))
            .map_err(|error| AuthCloudError::Configuration {
                reason: format!("the emulator's thread did not start: {error}"),
            })?;
        let inner = match started.recv() {
            Ok(result) => result?,
            Err(_) => {
                return Err(AuthCloudError::Internal {
                    reason: "the emulator's thread ended before it listened".into(),
                });
            }
        };
        Ok(Arc::new(Emulator {
            inner,
            generation: fork::generation(),
            stop: Mutex::new(Some(stop)),
            server: Mutex::new(Some(server)),
        }))
    }

    /// `http://127.0.0.1:PORT`: the `base_url` for `ClientConfig`.
    pub fn base_url(&self) -> String {
        self.inner.base_url().to_owned()
    }

    /// The access key it accepts.
    pub fn access_key(&self) -> Arc<Secret> {
        Secret::new(self.inner.access_key().to_owned())
    }

    /// Plays the user approving on the phone.
    pub fn approve(&self, transaction_id: String) -> Result<(), AuthCloudError> {
        self.serving()?.approve(&transaction_id).map_err(emulator_error)
    }

    /// Plays the user declining.
    pub fn deny(&self, transaction_id: String) -> Result<(), AuthCloudError> {
        self.serving()?.deny(&transaction_id).map_err(emulator_error)
    }

    /// Plays user `user_id` scanning a usernameless approval's QR code with their app and
    /// approving it.
    pub fn approve_as(&self, transaction_id: String, user_id: String) -> Result<(), AuthCloudError> {
        self.serving()?.approve_as(&transaction_id, &user_id).map_err(emulator_error)
    }

    /// Changes the per-user push and SMS limits (none: unlimited); `reset()` restores the
    /// ones it started with.
    #[uniffi::method(default(push = None, sms = None))]
    pub fn set_rate_limits(&self, push: Option<RateLimit>, sms: Option<RateLimit>) -> Result<(), AuthCloudError> {
        self.serving()?.set_rate_limits(rate_limits(push, sms));
        Ok(())
    }

    /// Plays the user turning push notifications off (or on) in the app: the authenticator's
    /// `push_notifications_disabled`.
    pub fn set_push_notifications_disabled(
        &self,
        authenticator_id: String,
        disabled: bool,
    ) -> Result<(), AuthCloudError> {
        self.serving()?.set_push_notifications_disabled(&authenticator_id, disabled).map_err(emulator_error)
    }

    /// Adds `count` synthetic events to the log (for large-export tests).
    pub fn seed_log_events(&self, count: u32) -> Result<(), AuthCloudError> {
        self.serving()?.seed_log_events(count);
        Ok(())
    }

    /// The SMS the user's phone received, oldest first (empty for an unknown user): where a
    /// test reads the code of `enroll_sms`.
    pub fn sms_messages_to(&self, user_id: String) -> Result<Vec<SentSms>, AuthCloudError> {
        Ok(self
            .serving()?
            .sms_messages_to(&user_id)
            .into_iter()
            .map(|m| SentSms {
                to: m.to,
                text: m.text,
                code: m.code,
                user_id: m.user_id,
                transaction_id: m.transaction_id,
                sent_at: m.sent_at,
            })
            .collect())
    }

    /// The approvals the user's phone would show now, oldest first (empty for an unknown
    /// user): what a test checks after `approve` sent a push.
    pub fn pending_approvals(&self, user_id: String) -> Result<Vec<PendingApproval>, AuthCloudError> {
        Ok(self
            .serving()?
            .pending_approvals(&user_id)
            .into_iter()
            .map(|p| PendingApproval {
                transaction_id: p.transaction_id,
                channel: p.channel,
                authenticator_id: p.authenticator_id,
                prompt: p.prompt,
                message: p.message,
                notification_message: p.notification_message,
                created_at: p.created_at,
            })
            .collect())
    }

    /// Applies `fault` to the next `count` requests to `path` (e.g. `/api/v1/status`).
    #[uniffi::method(default(count = 1))]
    pub fn inject_fault(&self, path: String, fault: Fault, count: u32) -> Result<(), AuthCloudError> {
        let kind = match fault {
            Fault::Status { status, retry_after_secs } => FaultKind::Status { status, retry_after: retry_after_secs },
            Fault::Garbage => FaultKind::Garbage,
            Fault::Truncated => FaultKind::Truncated,
            Fault::Oversized { size_bytes } => FaultKind::Oversized { size_bytes },
            Fault::Delay { delay_ms } => FaultKind::Delay { delay_ms },
            Fault::Drop => FaultKind::Drop,
            Fault::Json { status, body_json } => {
                let body = serde_json::from_str(&body_json).map_err(|e| AuthCloudError::InvalidInput {
                    field: "body_json".into(),
                    reason: format!("not JSON: {e}"),
                })?;
                FaultKind::Json { status, body }
            }
            Fault::Raw { status, body, content_type } => FaultKind::Raw { status, body, content_type },
            Fault::Redirect { status, location } => FaultKind::Redirect { status, location },
        };
        self.serving()?.inject_fault(authcloud_emulator::Fault { path, count, kind }).map_err(emulator_error)
    }

    /// The requests received so far (oldest first, at most the last 10,000).
    pub fn requests(&self) -> Result<Vec<RecordedRequest>, AuthCloudError> {
        Ok(self
            .serving()?
            .requests()
            .into_iter()
            .map(|r| RecordedRequest {
                seq: r.seq,
                at_ms: r.at_ms,
                method: r.method,
                path: r.path,
                headers: r.headers.into_iter().collect(),
                body_size: r.body_size,
                response_status: r.response_status,
            })
            .collect())
    }

    /// Forgets users, transactions, intents, faults and the request log.
    pub fn reset(&self) -> Result<(), AuthCloudError> {
        self.serving()?.reset();
        Ok(())
    }

    /// Stops serving and returns once the port is closed and open connections have wound
    /// down (at most about a second). Also happens when the object is released. In a forked
    /// child it does nothing: the emulator serves in the parent.
    pub fn stop(&self) {
        if self.generation != fork::generation() {
            return;
        }
        drop(self.stop.lock().unwrap_or_else(|e| e.into_inner()).take());
        let server = self.server.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(server) = server {
            let _ = server.join();
        }
    }

    /// Panics inside Rust on purpose, to check that a binding surfaces a Rust panic as an
    /// exception (and the host process lives on). It is declared fallible because Swift
    /// turns a panic into a thrown error only for throwing functions.
    pub fn simulate_sdk_panic(&self) -> Result<(), AuthCloudError> {
        panic!("deliberate panic requested through Emulator.simulate_sdk_panic");
    }
}

impl Emulator {
    /// The running emulator, if it runs in this process. A forked child inherits a copy of
    /// its state, not its server: the child's view would be stale and its changes unseen.
    fn serving(&self) -> Result<&authcloud_emulator::Emulator, AuthCloudError> {
        if self.generation == fork::generation() {
            Ok(&self.inner)
        } else {
            Err(AuthCloudError::Configuration {
                reason: "this Emulator was started before the process forked and serves in the parent process: \
                    control it from there, or start one in this process (its base_url still works from here)"
                    .into(),
            })
        }
    }
}

impl Drop for Emulator {
    /// Released without `stop()`: stop it here. Only the emulator's own thread is waited for
    /// (it runs no foreign code and no SDK work, so it always ends). In a forked child the
    /// server and its sockets are the parent's: leave them untouched.
    fn drop(&mut self) {
        if self.generation != fork::generation() {
            std::mem::forget(self.stop.lock().unwrap_or_else(|e| e.into_inner()).take());
            std::mem::forget(self.server.lock().unwrap_or_else(|e| e.into_inner()).take());
            std::mem::forget(Arc::clone(&self.inner));
            return;
        }
        self.stop();
    }
}

impl fmt::Display for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Emulator(base_url={})", self.inner.base_url())
    }
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
