//! # authcloud
//!
//! A Rust SDK for the Nevis Authentication Cloud: register a user's phone as an
//! authenticator (enroll → show the QR code or deep link → poll the status → verify on the
//! backend with status + introspect).
//!
//! ```no_run
//! # async fn demo() -> authcloud::Result<()> {
//! use authcloud::{Client, EnrollRequest, NoObserver, WaitOptions};
//!
//! let client = Client::builder().instance("acme").access_key("…").build()?;
//! let enrolled = client.enroll(&EnrollRequest::username("u12345")).await?;
//! let png = enrolled.enrollment.qr_code.png_bytes()?;        // show it, or the deep link:
//! println!("{}", enrolled.enrollment.app_link_uri);
//! let token = &enrolled.enrollment.status_token;
//! let outcome = client.wait_for_completion(token, &WaitOptions::default(), &NoObserver).await?;
//! if outcome.succeeded() {
//!     let user = client.verify(token).await?;                // backend: status + introspect
//!     println!("verified {}", user.user_id);
//! }
//! # let _ = png; Ok(()) }
//! ```
//!
//! Secrets (the access key and every token) are [`SecretString`]s: they print as
//! `[redacted]`, and no error message or log line of this crate contains one.

#![warn(missing_docs)]

mod client;
mod config;
mod error;
mod model;
mod redact;
mod secret;
mod transport;
mod verify;
mod wait;

pub use client::Client;
pub use config::{
    ClientBuilder, ClientConfig, Credential, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_REQUEST_TIMEOUT, ProxySetting, RetryPolicy, Target, validate_base_url, validate_instance,
};
pub use error::{ApiErrorDetail, Error, ErrorKind, Result, VerificationFailure};
pub use model::{
    Authenticator, Channel, EnrollRequest, EnrollResponse, Enrollment, IntentOperation, IntentRequest, Introspection,
    MAX_USERNAME_LEN, QrCode, StatusResponse, TransactionStatus, User, UserRef, UserStatus, decode_png_data_uri,
    validate_user_id, validate_username,
};
pub use secret::{REDACTED, SecretString};
pub use verify::VerifiedUser;
pub use wait::{
    CancellationToken, DEFAULT_MAX_POLL_INTERVAL, DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT, NoObserver,
    StatusUpdate, WaitObserver, WaitOptions, WaitOutcome,
};
