//! The emulator over real HTTP on loopback: every endpoint, every error path, expiry,
//! intents, approvals (push, app, usernameless, SMS), SMS and recovery codes, rate limits, user
//! and authenticator management (uaf fields), introspection, the log export, faults, the
//! simulated authenticator and phone, the request log, the binary and 1,000 concurrent
//! connections.
//!
//! One test binary (several modules) keeps linking cheap on a small machine. The secrets
//! test has its own binary (`tests/secrets.rs`): it captures trace output, which needs a
//! process where no other test registers trace call sites concurrently.

mod common;

mod approval;
#[cfg(feature = "cli")]
mod binary;
mod control;
mod enroll;
mod faults;
mod intent;
mod introspect;
mod lifecycle;
mod load;
mod log_export;
mod phone;
mod qr;
mod rate_limits;
mod recovery;
mod sms;
mod sms_approval;
mod status;
mod strictness;
mod uaf;
mod usernameless;
mod users;
