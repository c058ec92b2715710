//! How an emulator is set up: address, access key, the clocks of its transactions and the
//! rate limits it starts with.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::errors::EmulatorError;
use crate::state::RateLimits;

/// Longest transaction or intent lifetime accepted.
const MAX_TTL: Duration = Duration::from_secs(365 * 24 * 3600);

/// Settings of an [`crate::Emulator`]; `EmulatorConfig::default()` suits most tests.
///
/// Build it with struct-update syntax:
/// `EmulatorConfig { transaction_ttl: Duration::from_millis(200), ..Default::default() }`.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// Where to listen. Default `127.0.0.1:0`: loopback, an ephemeral port picked by the OS,
    /// so parallel tests never collide.
    pub bind: SocketAddr,
    /// The access key clients must send as `Authorization: Bearer …`. `None` generates a
    /// random one (read it back with [`crate::Emulator::access_key`]).
    pub access_key: Option<String>,
    /// How long an enrollment or approval waits for the user before it reports `failed`.
    /// Default 5 min.
    pub transaction_ttl: Duration,
    /// How long an intent token stays usable. Default 10 min.
    pub intent_ttl: Duration,
    /// If set, a pending transaction approves itself this long after it was created, as if
    /// the user had confirmed on the phone: handy for demos and end-to-end tests.
    pub auto_approve_after: Option<Duration>,
    /// The unit of `iat` and `exp` in introspect answers. Default milliseconds, as in the
    /// guide's example (`"iat": 1642436165000`); the vendor's reference text says seconds.
    pub iat_unit: IatUnit,
    /// How many push approvals and SMS a user may get within a sliding window; past that a
    /// request is refused with 429 and the user record lists the channel in
    /// `exceededRateLimits`. Default: none (unlimited). Changeable at runtime
    /// ([`crate::Emulator::set_rate_limits`]); `reset` restores these.
    pub rate_limits: RateLimits,
}

/// The unit of the timestamps in introspect answers (the vendor's documents disagree).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IatUnit {
    /// Milliseconds since the Unix epoch, as in the guide's example.
    #[default]
    Milliseconds,
    /// Seconds since the Unix epoch, as in the vendor's reference text (and JWTs).
    Seconds,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            access_key: None,
            transaction_ttl: Duration::from_secs(5 * 60),
            intent_ttl: Duration::from_secs(10 * 60),
            auto_approve_after: None,
            iat_unit: IatUnit::Milliseconds,
            rate_limits: RateLimits::default(),
        }
    }
}

impl EmulatorConfig {
    /// Rejects settings the emulator could not honour, before anything is bound.
    pub(crate) fn validate(&self) -> Result<(), EmulatorError> {
        if let Some(key) = &self.access_key {
            // The key travels as a header value after "Bearer ": visible ASCII, no spaces.
            if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(EmulatorError::InvalidConfig(
                    "the access key must be non-empty visible ASCII without spaces".into(),
                ));
            }
        }
        // Positive, and small enough that "now + TTL" stays a representable time.
        for (name, ttl) in [("transaction_ttl", self.transaction_ttl), ("intent_ttl", self.intent_ttl)] {
            if ttl.is_zero() || ttl > MAX_TTL {
                return Err(EmulatorError::InvalidConfig(format!("{name} must be between 1 ns and 365 days")));
            }
        }
        if self.auto_approve_after.is_some_and(|after| after > MAX_TTL) {
            return Err(EmulatorError::InvalidConfig("auto_approve_after must be at most 365 days".into()));
        }
        Ok(())
    }
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("bind", &self.bind)
            .field("access_key", &self.access_key.as_ref().map(|_| "<redacted>"))
            .field("transaction_ttl", &self.transaction_ttl)
            .field("intent_ttl", &self.intent_ttl)
            .field("auto_approve_after", &self.auto_approve_after)
            .field("iat_unit", &self.iat_unit)
            .field("rate_limits", &self.rate_limits)
            .finish()
    }
}
