//! # authcloud
//!
//! A Rust SDK for the Nevis Authentication Cloud: register a user's phone as an
//! authenticator (enroll → show the QR code or deep link → poll the status → verify on the
//! backend with status + introspect).
//!
//! ```no_run
//! # async fn demo() -> authcloud::Result<()> {
//! use authcloud::{Client, EnrollRequest, NoObserver, VerifyOptions, WaitOptions};
//!
//! let client = Client::builder().instance("acme").access_key("…").build()?;
//! let enrolled = client.enroll(&EnrollRequest::username("u12345")).await?;
//! let png = enrolled.enrollment.qr_code.png_bytes()?;        // show it, or the deep link:
//! if let Ok(link) = enrolled.enrollment.app_link_uri.href() { // checked: https only
//!     println!("{link}");
//! }
//! let token = &enrolled.enrollment.status_token;
//! let outcome = client.wait_for_completion(token, &WaitOptions::default(), &NoObserver).await?;
//! if outcome.succeeded() {
//!     // Backend: status + introspect, bound to the user this session enrolled.
//!     let options = VerifyOptions::default().expect_user(&enrolled.user.user_id);
//!     let user = client.verify(token, &options).await?;
//!     println!("verified {}", user.user_id);
//! }
//! # let _ = png; Ok(()) }
//! ```
//!
//! Secrets (the access key and every token) are [`SecretString`]s: they print as
//! `[redacted]`, and no error message or log line of this crate contains one.

#![warn(missing_docs)]

mod approval;
mod client;
mod codes;
mod config;
mod csv_stream;
pub mod defaults;
mod endpoint;
mod error;
#[doc(hidden)]
pub mod error_message;
mod lenient;
mod logs;
mod message_rules;
mod model;
mod redact;
mod responses;
mod retry_schedule;
mod rules;
mod sanitize;
mod schedule;
mod secret;
mod sms_rules;
mod status;
mod transport;
mod urls;
mod users;
mod verify;
mod wait;

pub use approval::{ApprovalRequest, ApprovalResult, MAX_NOTIFICATION_CHARS};
pub use client::Client;
pub use codes::{CodeCheck, CodeVerdict, RecoveryCodes, SmsEnrollRequest, SmsEnrollResult};
pub use config::{
    ClientBuilder, ClientConfig, Credential, MAX_INSTANCE_LEN, ProxySetting, RetryPolicy, Target, validate_base_url,
    validate_instance,
};
pub use defaults::{
    DEFAULT_CALL_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_CONCURRENT_REQUESTS, DEFAULT_MAX_POLL_INTERVAL,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_POLL_INTERVAL, DEFAULT_REQUEST_TIMEOUT, DEFAULT_WAIT_TIMEOUT,
    MAX_RETRY_AFTER_LIMIT, MIN_POLL_INTERVAL,
};
pub use error::{ApiErrorDetail, Endpoint, Error, ErrorKind, Result, VerificationCheck, VerificationFailure};
pub use logs::{
    ExportProgress, LOG_CHANNELS, LogEvent, LogExport, LogPeriod, LogQuery, MAX_EXPORT_BYTES, MAX_EXPORT_ROWS,
    MIN_FILTER_CHARS,
};
pub use message_rules::{ALLOWED_MESSAGE_TAGS, MAX_MESSAGE_CHARS, validate_message};
pub use model::{
    Channel, EnrollRequest, IntentOperation, IntentRequest, MAX_USERNAME_LEN, UserRef, UserStatus, validate_user_id,
    validate_username,
};
pub use responses::{
    Authenticator, DeepLink, DeepLinkProblem, EPOCH_MILLIS_THRESHOLD, EnrollResult, Enrollment, Introspection,
    OperationStatus, QrCode, User, decode_png_data_uri, epoch_seconds_or_millis,
};
pub use sanitize::{MAX_SERVER_TEXT_CHARS, sanitize_server_text};
pub use secret::{REDACTED, SecretString};
pub use sms_rules::{
    MAX_PHONE_DIGITS, MAX_SMS_MESSAGE_CHARS, RECOVERY_CODE_LEN, SMS_CODE_PLACEHOLDER, is_gsm7, validate_phone,
    validate_recovery_code, validate_sms_code, validate_sms_message,
};
pub use status::TransactionStatus;
pub use users::{DeleteOutcome, MAX_AUTHENTICATOR_NAME_CHARS};
pub use verify::{VerifiedUser, VerifyOptions};
/// The old name of [`OperationStatus`] (the status answer has one name in every layer).
#[deprecated(since = "0.1.0", note = "renamed to OperationStatus")]
pub type StatusResponse = OperationStatus;
/// The old name of [`EnrollResult`].
#[deprecated(since = "0.1.0", note = "renamed to EnrollResult")]
pub type EnrollResponse = EnrollResult;
/// The old name of [`ApprovalResult`].
#[deprecated(since = "0.1.0", note = "renamed to ApprovalResult")]
pub type ApprovalResponse = ApprovalResult;
pub use wait::{CancellationToken, NoObserver, StatusUpdate, WaitObserver, WaitOptions, WaitOutcome};

/// Entry points for fuzzers and property tests (`core/fuzz`); not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    use std::time::{Duration, SystemTime};

    /// `Retry-After` as the transport reads it.
    pub fn retry_after(value: &[u8], now: SystemTime) -> Option<Duration> {
        let mut headers = reqwest::header::HeaderMap::new();
        let value = reqwest::header::HeaderValue::from_bytes(value).ok()?;
        headers.insert(reqwest::header::RETRY_AFTER, value);
        crate::transport::parse_retry_after(&headers, now)
    }

    /// The error detail the transport keeps of a non-2xx body.
    pub fn error_detail(body: &[u8]) -> String {
        format!("{:?}", crate::transport::error_detail(body, &[]))
    }
}
