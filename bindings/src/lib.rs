//! # authcloud-ffi
//!
//! The thin UniFFI layer over the `authcloud` core: the same surface for Python, Kotlin
//! and Swift. One file per concern; conversions between core and FFI types live here and
//! nowhere else. Namespace `authcloud`; binding names are set in the top-level
//! `uniffi.toml`.

mod async_client;
mod cancel;
mod client;
mod config;
#[cfg(feature = "emulator")]
mod emulator;
mod error;
mod foreign;
mod fork;
mod log;
mod observer;
mod operations;
mod runtime;
mod secret;
mod signals;
mod types;
mod units;
mod watch;

pub use async_client::AsyncClient;
pub use cancel::CancelToken;
pub use client::Client;
pub use config::ClientConfig;
#[cfg(feature = "emulator")]
pub use emulator::{Emulator, EmulatorOptions, Fault, PendingApproval, RecordedRequest, SentSms};
pub use error::{AuthCloudError, CallbackError, VerificationCheck, error_kinds};
pub use foreign::prepare_for_exit;
pub use log::{LogLevel, LogRecord, LogSink, clear_log_sink, dropped_log_records, set_log_sink};
pub use observer::WaitObserver;
pub use secret::Secret;
pub use types::*;
pub use watch::WatchHandle;

uniffi::setup_scaffolding!("authcloud");
