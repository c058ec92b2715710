//! What every handler shares: configuration, keys, state, faults and the request log.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Instant, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::config::EmulatorConfig;
use crate::errors::EmulatorError;
use crate::faults::{Fault, FaultQueue};
use crate::requests::RequestLog;
use crate::state::{DecideError, PendingApproval, RateLimits, SentSms, State, Timing, TransactionStatus};
use crate::tokens::TokenIssuer;

/// The emulator's shared core, behind an `Arc` in every handler.
pub(crate) struct Shared {
    pub(crate) config: EmulatorConfig,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub(crate) base_url: String,
    pub(crate) local_addr: SocketAddr,
    /// What introspecting the access key reports as `sub`.
    pub(crate) instance_id: Uuid,
    pub(crate) started_at: SystemTime,
    pub(crate) started: Instant,
    pub(crate) tokens: TokenIssuer,
    access_key: String,
    state: Mutex<State>,
    faults: Mutex<FaultQueue>,
    log: Mutex<RequestLog>,
}

/// Locks a mutex even if a panicking thread poisoned it: the data stays consistent because
/// every critical section is a few plain assignments.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Sets up the shared core for an emulator listening on `local_addr`.
    pub(crate) fn new(config: EmulatorConfig, local_addr: SocketAddr) -> Self {
        // Bound to every address (a container's published port): links and issuers name
        // loopback, the address an SDK may use plain HTTP with.
        let advertised = match local_addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::from((Ipv4Addr::LOCALHOST, local_addr.port())),
            IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::from((Ipv6Addr::LOCALHOST, local_addr.port())),
            _ => local_addr,
        };
        let base_url = format!("http://{advertised}");
        let access_key = config.access_key.clone().unwrap_or_else(random_access_key);
        Shared {
            tokens: TokenIssuer::new(format!("{base_url}/")),
            base_url,
            local_addr,
            instance_id: Uuid::new_v4(),
            started_at: SystemTime::now(),
            started: Instant::now(),
            access_key,
            state: Mutex::new(State::new(config.rate_limits)),
            config,
            faults: Mutex::new(FaultQueue::default()),
            log: Mutex::new(RequestLog::default()),
        }
    }

    /// The access key (a secret: never log it).
    pub(crate) fn access_key(&self) -> &str {
        &self.access_key
    }

    /// Whether `candidate` is the access key, compared in constant time.
    pub(crate) fn is_access_key(&self, candidate: &str) -> bool {
        let (a, b) = (candidate.as_bytes(), self.access_key.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    /// The users, transactions and intents.
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// The pending faults.
    pub(crate) fn faults(&self) -> MutexGuard<'_, FaultQueue> {
        lock(&self.faults)
    }

    /// The request log.
    pub(crate) fn log(&self) -> MutexGuard<'_, RequestLog> {
        lock(&self.log)
    }

    /// The clocks for a transaction starting at `now`.
    pub(crate) fn timing(&self, now: SystemTime) -> Timing {
        Timing { now, ttl: self.config.transaction_ttl, auto_approve_after: self.config.auto_approve_after }
    }

    /// Milliseconds since start, for the request log.
    pub(crate) fn elapsed_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }

    /// Approves or denies a pending transaction named by its id string.
    pub(crate) fn decide(&self, transaction_id: &str, approve: bool) -> Result<TransactionStatus, EmulatorError> {
        let id = Uuid::parse_str(transaction_id).map_err(|_| EmulatorError::UnknownTransaction)?;
        self.state().decide(id, approve, SystemTime::now()).map_err(decide_error)
    }

    /// Approves a pending transaction as the user named by its id string (the transaction's
    /// own user, or anyone with an app authenticator for a usernameless approval).
    pub(crate) fn approve_as(&self, transaction_id: &str, user_id: &str) -> Result<TransactionStatus, EmulatorError> {
        let id = Uuid::parse_str(transaction_id).map_err(|_| EmulatorError::UnknownTransaction)?;
        let user_id = Uuid::parse_str(user_id).map_err(|_| EmulatorError::UnknownUser)?;
        self.state().approve_as(id, user_id, SystemTime::now()).map_err(decide_error)
    }

    /// Replaces the rate limits.
    pub(crate) fn set_rate_limits(&self, limits: RateLimits) {
        self.state().set_rate_limits(limits);
    }

    /// Turns an app authenticator's push notifications off or on.
    pub(crate) fn set_push_notifications_disabled(
        &self,
        authenticator_id: &str,
        disabled: bool,
    ) -> Result<(), EmulatorError> {
        let id = Uuid::parse_str(authenticator_id).map_err(|_| EmulatorError::UnknownAuthenticator)?;
        if self.state().set_push_disabled(id, disabled) { Ok(()) } else { Err(EmulatorError::UnknownAuthenticator) }
    }

    /// Appends synthetic events to the event log.
    pub(crate) fn seed_log_events(&self, count: u32) {
        self.state().seed_events(count, SystemTime::now());
    }

    /// A transaction's settled status, if known.
    pub(crate) fn transaction_status(&self, transaction_id: &str) -> Option<TransactionStatus> {
        let id = Uuid::parse_str(transaction_id).ok()?;
        let mut state = self.state();
        state.settle(id, SystemTime::now());
        state.transaction(id).map(|transaction| transaction.status)
    }

    /// A user's pending approvals (after settling), oldest first; `None` for an unknown or
    /// malformed user id.
    pub(crate) fn pending_approvals(&self, user_id: &str) -> Option<Vec<PendingApproval>> {
        let id = Uuid::parse_str(user_id).ok()?;
        let mut state = self.state();
        state.settle_user(id, SystemTime::now());
        let pending = state.pending_approvals(id)?;
        Some(pending.into_iter().map(|(transaction, approval)| PendingApproval::of(transaction, approval)).collect())
    }

    /// Every SMS sent, oldest first.
    pub(crate) fn sms_messages(&self) -> Vec<SentSms> {
        self.state().sms_outbox().map(SentSms::from).collect()
    }

    /// The SMS sent to a user, oldest first; `None` for an unknown or malformed user id.
    pub(crate) fn sms_of(&self, user_id: &str) -> Option<Vec<SentSms>> {
        let id = Uuid::parse_str(user_id).ok()?;
        let state = self.state();
        Some(state.sms_of(id)?.into_iter().map(SentSms::from).collect())
    }

    /// Validates and queues a fault.
    pub(crate) fn inject_fault(&self, fault: Fault) -> Result<(), EmulatorError> {
        fault.validate().map_err(EmulatorError::InvalidFault)?;
        self.faults().push(fault);
        Ok(())
    }

    /// Forgets all users, transactions, intents, sent SMS, events, faults and logged
    /// requests, and sets the rate limits back to the configuration's.
    pub(crate) fn reset(&self) {
        self.state().clear(self.config.rate_limits);
        self.faults().clear();
        self.log().clear();
    }
}

/// The library's error for a refused decision.
fn decide_error(err: DecideError) -> EmulatorError {
    match err {
        DecideError::Unknown => EmulatorError::UnknownTransaction,
        DecideError::NotPending(status) => EmulatorError::NotPending(status),
        DecideError::DecidedByCode => EmulatorError::DecidedByCode,
        DecideError::NeedsUser => EmulatorError::NeedsApprovingUser,
        DecideError::WrongUser => EmulatorError::NotTheTransactionsUser,
        DecideError::UnknownUser => EmulatorError::UnknownUser,
        DecideError::NoAppAuthenticator => EmulatorError::NoAppAuthenticator,
    }
}

/// A fresh random access key: 256 bits, base64url.
fn random_access_key() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}
