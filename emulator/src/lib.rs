//! An in-memory emulator of the Nevis Authentication Cloud API.
//!
//! The real API cannot be reached from a test suite (it needs an instance, an access key and a
//! phone), so this crate serves the same wire format on a loopback port: `enroll` (app, SMS
//! and recovery codes), `approval` (push, app, usernameless app, SMS), `status`, `introspect`,
//! `intent`, `users` (get, find by username, delete, verify an SMS or recovery code),
//! `authenticators/{id}` (rename, delete), `logs/export` (CSV) and `ping`, plus a control API
//! under `/_emulator/` that plays the user's phone (pending approvals, approve / deny, the SMS
//! it received, push notifications off), sets rate limits, seeds the event log, injects
//! faults and shows the request log.
//!
//! It is an independent reading of the spec and deliberately shares no code with the SDK, so a
//! wrong field name on one side makes tests fail instead of agreeing with itself.
//!
//! ```no_run
//! # async fn demo() -> Result<(), authcloud_emulator::EmulatorError> {
//! use authcloud_emulator::{Emulator, EmulatorConfig};
//! let emu = Emulator::start(EmulatorConfig::default()).await?;
//! println!("{} {}", emu.base_url(), emu.access_key());
//! // ... point the SDK at base_url, enroll, then play the phone:
//! // emu.approve(&transaction_id)?;
//! emu.stop().await;
//! # Ok(()) }
//! ```
//!
//! [`Emulator::start`] must be awaited inside a tokio runtime: the server runs as tasks on it.

#![warn(missing_docs)]

mod app;
mod auth;
mod body;
mod config;
mod control;
mod errors;
mod faults;
mod hash;
mod html;
#[cfg(feature = "cli")]
pub mod launcher;
mod logs;
mod message;
mod open;
mod phone;
mod qr;
mod recovery;
mod redact;
mod requests;
mod routes;
mod server;
mod sms;
mod state;
mod time;
mod tokens;
mod wire;

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use config::{EmulatorConfig, IatUnit};
pub use control::CONTROL_HEADER;
pub use errors::EmulatorError;
pub use faults::{Fault, FaultKind};
pub use requests::RequestRecord;
pub use state::{PendingApproval, RateLimit, RateLimits, SentSms, TransactionStatus};

use app::Shared;

/// A running emulator, serving on its own loopback port until [`Emulator::stop`] or drop.
///
/// Cheap operations (approve, faults, request log, reset) are synchronous: they only take a
/// short lock on the in-memory state, so tests can call them from anywhere.
pub struct Emulator {
    shared: Arc<Shared>,
    shutdown: CancellationToken,
    server: Mutex<Option<JoinHandle<()>>>,
}

impl Emulator {
    /// Binds `config.bind` (default `127.0.0.1:0`, an ephemeral port) and starts serving on
    /// the current tokio runtime.
    ///
    /// Fails if the configuration is invalid (e.g. an access key that cannot travel in an HTTP
    /// header) or the address cannot be bound.
    pub async fn start(config: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        config.validate()?;
        let listener = server::bind(config.bind)?;
        let local_addr = listener.local_addr().map_err(|source| EmulatorError::Bind { addr: config.bind, source })?;
        let shared = Arc::new(Shared::new(config, local_addr));
        let router = routes::router(Arc::clone(&shared));
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(server::serve(listener, Arc::clone(&shared), router, shutdown.clone()));
        tracing::info!(base_url = %shared.base_url, "authcloud emulator listening");
        Ok(Emulator { shared, shutdown, server: Mutex::new(Some(server)) })
    }

    /// The base URL to give the SDK, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The socket address the emulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.local_addr
    }

    /// The access key that every vendor endpoint but `status` and `ping` accepts as Bearer.
    pub fn access_key(&self) -> &str {
        self.shared.access_key()
    }

    /// Plays the user's phone: approves a pending transaction (as the control API's
    /// `POST /_emulator/transactions/{transactionId}/approve` does).
    ///
    /// For an enrollment this adds an authenticator to the user and turns a `new` user
    /// `active`; for an approval it sets the user's `lastLoginDateSuccess` (an approval whose
    /// authenticator was deleted ends `failed` instead). Errors if the transaction is unknown,
    /// no longer pending (e.g. expired), an SMS transaction (only its code decides it:
    /// [`EmulatorError::DecidedByCode`]) or a usernameless approval (it needs the approving
    /// user: [`EmulatorError::NeedsApprovingUser`], use [`Emulator::approve_as`]).
    pub fn approve(&self, transaction_id: &str) -> Result<(), EmulatorError> {
        self.shared.decide(transaction_id, true).map(|_| ())
    }

    /// Plays `user_id`'s phone approving a pending transaction (the control API's approve
    /// with `{"userId": …}`): for a usernameless approval, the user that approves it — it must
    /// have an app authenticator ([`EmulatorError::NoAppAuthenticator`],
    /// [`EmulatorError::UnknownUser`] otherwise) and becomes the transaction's user (status
    /// and introspect name it, its `lastLoginDateSuccess` is set). For any other transaction
    /// it must be the transaction's own user ([`EmulatorError::NotTheTransactionsUser`]), and
    /// this is [`Emulator::approve`].
    pub fn approve_as(&self, transaction_id: &str, user_id: &str) -> Result<(), EmulatorError> {
        self.shared.approve_as(transaction_id, user_id).map(|_| ())
    }

    /// Plays the user declining a pending transaction: it ends `failed` (for an approval this
    /// sets the user's `lastLoginDateFailure`). A usernameless approval can be declined
    /// without a user.
    pub fn deny(&self, transaction_id: &str) -> Result<(), EmulatorError> {
        self.shared.decide(transaction_id, false).map(|_| ())
    }

    /// Replaces the rate limits on push approvals and SMS per user (as
    /// `PUT /_emulator/rate-limits` does); [`RateLimits::default`] lifts them. Sends already
    /// counted stay counted; [`Emulator::reset`] restores the configuration's limits.
    pub fn set_rate_limits(&self, limits: RateLimits) {
        self.shared.set_rate_limits(limits);
    }

    /// Plays the user turning push notifications off (`disabled`) or on in the app of an
    /// app authenticator (as `PUT /_emulator/authenticators/{id}/push-notifications` does):
    /// its `uaf.userDisabledPushNotification` follows. Push approvals to it are still created.
    /// Errors ([`EmulatorError::UnknownAuthenticator`]) unless the id names an app
    /// authenticator.
    pub fn set_push_notifications_disabled(&self, authenticator_id: &str, disabled: bool) -> Result<(), EmulatorError> {
        self.shared.set_push_notifications_disabled(authenticator_id, disabled)
    }

    /// Appends `count` synthetic events to the event log that `GET /api/v1/logs/export`
    /// serves (as `POST /_emulator/logs/seed` does): category `approval`, varied statuses
    /// and channels, spread over the last 24 hours, users `seed-0` … `seed-49`. For tests of
    /// large exports; the log keeps the newest 20,000 events.
    pub fn seed_log_events(&self, count: u32) {
        self.shared.seed_log_events(count);
    }

    /// The simulated phone: the user's pending approvals (`POST /api/v1/approval` that nobody
    /// has approved, denied or let expire yet), oldest first, after applying expiry and
    /// auto-approval. Decide them with [`Emulator::approve`] / [`Emulator::deny`] and their
    /// `transaction_id`. An unknown or malformed user id gives an empty list.
    pub fn pending_approvals(&self, user_id: &str) -> Vec<PendingApproval> {
        self.shared.pending_approvals(user_id).unwrap_or_default()
    }

    /// The SMS outbox: every SMS the emulator "sent" (SMS enrollments and SMS approvals),
    /// oldest first, each with its code, as `GET /_emulator/sms` lists them. Send the code to
    /// `POST /api/v1/users/{userId}/verification` to confirm the enrollment or approval.
    pub fn sms_messages(&self) -> Vec<SentSms> {
        self.shared.sms_messages()
    }

    /// The SMS sent to one user, oldest first (`GET /_emulator/users/{userId}/sms`); an
    /// unknown or malformed user id gives an empty list.
    pub fn sms_messages_to(&self, user_id: &str) -> Vec<SentSms> {
        self.shared.sms_of(user_id).unwrap_or_default()
    }

    /// The current status of a transaction (after applying expiry and auto-approval), or
    /// `None` if this emulator does not know it.
    pub fn transaction_status(&self, transaction_id: &str) -> Option<TransactionStatus> {
        self.shared.transaction_status(transaction_id)
    }

    /// Queues a fault for the next `fault.count` requests to `fault.path` (any method).
    ///
    /// Faults are consumed in the order they were injected. Errors if the fault is invalid
    /// (e.g. a path under `/_emulator/`, a count of 0, a status outside 200..=599).
    pub fn inject_fault(&self, fault: Fault) -> Result<(), EmulatorError> {
        self.shared.inject_fault(fault)
    }

    /// The faults still waiting to be applied, in order, with their remaining counts.
    pub fn pending_faults(&self) -> Vec<Fault> {
        self.shared.faults().list()
    }

    /// The request log (at most the last 10,000 requests, oldest first), with every key and
    /// token redacted. Control-API requests (`/_emulator/…`) are not recorded.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.log().snapshot()
    }

    /// Forgets every user, transaction, intent, sent SMS, log event, pending fault and logged
    /// request, and sets the rate limits back to the configuration's.
    ///
    /// The access key and the token signing key stay, but tokens issued before the reset no
    /// longer resolve (`status` answers `unknown`, `introspect` answers `active: false`).
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Stops accepting connections, lets in-flight requests finish (up to a short grace
    /// period) and waits until the server task has ended. Calling it twice is harmless.
    pub async fn stop(&self) {
        self.shutdown.cancel();
        let handle = self.server.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(handle) = handle {
            if let Err(err) = handle.await {
                tracing::warn!(error = %err, "emulator server task ended abnormally");
            }
        }
    }
}

impl Drop for Emulator {
    /// Dropping the emulator stops it: the listener closes and connections wind down in the
    /// background.
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.shared.base_url)
            .field("access_key", &"<redacted>")
            .field("config", &self.shared.config)
            .finish()
    }
}
