//! Records and enums crossing the FFI, converted from core's types at this boundary only.

use std::fmt;
use std::sync::Arc;

use crate::error::{AuthCloudError, millis};
use crate::secret::Secret;

/// Where an operation stands. (`OperationStatus.status_text` has the wire value, which
/// matters for `Other`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum TransactionStatus {
    /// The user has not acted yet.
    Pending,
    /// The user confirmed.
    Succeeded,
    /// Declined, or timed out.
    Failed,
    /// The server does not know the operation.
    Unknown,
    /// A value newer than this SDK; treated as final.
    Other,
}

impl TransactionStatus {
    /// The wire value (`other` for a value newer than this SDK).
    pub(crate) fn wire(self) -> &'static str {
        match self {
            TransactionStatus::Pending => "pending",
            TransactionStatus::Succeeded => "succeeded",
            TransactionStatus::Failed => "failed",
            TransactionStatus::Unknown => "unknown",
            TransactionStatus::Other => "other",
        }
    }
}

impl From<&authcloud::TransactionStatus> for TransactionStatus {
    fn from(status: &authcloud::TransactionStatus) -> Self {
        match status {
            authcloud::TransactionStatus::Pending => TransactionStatus::Pending,
            authcloud::TransactionStatus::Succeeded => TransactionStatus::Succeeded,
            authcloud::TransactionStatus::Failed => TransactionStatus::Failed,
            authcloud::TransactionStatus::Unknown => TransactionStatus::Unknown,
            authcloud::TransactionStatus::Other(_) => TransactionStatus::Other,
        }
    }
}

/// How the user is reached (intents may restrict it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Channel {
    App,
    Push,
    Sms,
}

impl From<Channel> for authcloud::Channel {
    fn from(channel: Channel) -> Self {
        match channel {
            Channel::App => authcloud::Channel::App,
            Channel::Push => authcloud::Channel::Push,
            Channel::Sms => authcloud::Channel::Sms,
        }
    }
}

/// What an intent token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum IntentOperation {
    Enroll,
    Approve,
}

impl From<IntentOperation> for authcloud::IntentOperation {
    fn from(op: IntentOperation) -> Self {
        match op {
            IntentOperation::Enroll => authcloud::IntentOperation::Enroll,
            IntentOperation::Approve => authcloud::IntentOperation::Approve,
        }
    }
}

/// A registered authenticator.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Authenticator {
    pub authenticator_id: String,
    pub name: Option<String>,
    /// The vendor's `type`: `ios` or `android`.
    pub device_type: Option<String>,
    pub authenticator_type: Option<String>,
    pub state: Option<String>,
    pub enrolled_at: Option<String>,
    pub updated_at: Option<String>,
}

/// A user of the instance.
#[derive(Debug, Clone, uniffi::Record)]
pub struct User {
    pub user_id: String,
    pub username: Option<String>,
    /// `new` or `active` (or a newer value); none when the server did not say.
    pub status: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// The last successful approval (login), ISO-8601.
    pub last_login_success: Option<String>,
    /// The last declined or failed approval, ISO-8601.
    pub last_login_failure: Option<String>,
    pub authenticators: Vec<Authenticator>,
}

impl From<authcloud::Authenticator> for Authenticator {
    fn from(a: authcloud::Authenticator) -> Self {
        Authenticator {
            authenticator_id: a.authenticator_id,
            name: a.name,
            device_type: a.device_type,
            authenticator_type: a.authenticator_type,
            state: a.state,
            enrolled_at: a.enrolled_at,
            updated_at: a.updated_at,
        }
    }
}

impl From<authcloud::User> for User {
    fn from(user: authcloud::User) -> Self {
        User {
            user_id: user.user_id,
            username: user.username,
            status: user.status.as_ref().map(|s| s.as_str().to_owned()),
            created_at: user.created_at,
            updated_at: user.updated_at,
            last_login_success: user.last_login_success,
            last_login_failure: user.last_login_failure,
            authenticators: user.authenticators.into_iter().map(Authenticator::from).collect(),
        }
    }
}

/// The QR code to show the user, kept exactly as the server sent it. Like the deep link it
/// carries the dispatch token, which lets whoever scans it complete the registration, so it
/// prints only its size.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct QrCode(authcloud::QrCode);

#[uniffi::export]
impl QrCode {
    /// The PNG file's bytes. Raises `MalformedResponse` when the server's QR code is not a
    /// base64 PNG data URI (the enrollment itself is fine: show the deep link instead).
    pub fn png(&self) -> Result<Vec<u8>, AuthCloudError> {
        Ok(self.0.png_bytes()?)
    }

    /// `data:image/png;base64,...` as the server sent it, for an `<img src>` (empty when
    /// the answer had no QR code).
    pub fn data_uri(&self) -> String {
        self.0.data_uri.clone()
    }

    /// Width and height in pixels, when the server said.
    pub fn size(&self) -> Option<u32> {
        self.0.size
    }
}

impl fmt::Display for QrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.size {
            Some(size) => write!(f, "QrCode({size}x{size} px, data URI of {} chars)", self.0.data_uri.len()),
            None => write!(f, "QrCode(data URI of {} chars)", self.0.data_uri.len()),
        }
    }
}

impl fmt::Debug for QrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The deep link that opens the authenticator app (`appLinkUri`), checked before use.
///
/// `href()` returns it only when it is an `https` URL (or `http` to loopback, as from the
/// emulator) with a proper host — the value for an `<a href>`; `is_valid()` and
/// `problem()` tell without raising. It carries the dispatch token, so it prints
/// redacted; `reveal()` gives the raw value, checked or not.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct DeepLink(authcloud::DeepLink);

#[uniffi::export]
impl DeepLink {
    /// The checked link; raises `MalformedResponse` naming the problem otherwise.
    pub fn href(&self) -> Result<String, AuthCloudError> {
        Ok(self.0.href()?.to_owned())
    }

    /// True when `href()` returns the link.
    pub fn is_valid(&self) -> bool {
        self.0.is_valid()
    }

    /// Why the link failed the check, if it did.
    pub fn problem(&self) -> Option<String> {
        self.0.problem().map(ToString::to_string)
    }

    /// The value exactly as the server sent it (empty when absent), checked or not. Never
    /// put it into a page unless `is_valid()`; never log it.
    pub fn reveal(&self) -> String {
        self.0.as_unchecked_str().to_owned()
    }
}

impl fmt::Display for DeepLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.problem() {
            None => write!(f, "DeepLink({})", authcloud::REDACTED),
            Some(problem) => write!(f, "DeepLink({}, invalid: {problem})", authcloud::REDACTED),
        }
    }
}

impl fmt::Debug for DeepLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The registration the user completes on the phone.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Enrollment {
    pub transaction_id: String,
    /// Poll `status` with it.
    pub status_token: Arc<Secret>,
    pub qr_code: Arc<QrCode>,
    /// The deep link: `href()` for an `<a href>` (checked), never logged.
    pub app_link_uri: Arc<DeepLink>,
}

/// Answer of `enroll`: returned whenever the server accepted the registration, whatever
/// its QR code or deep link look like. A transaction id or user id missing from the answer
/// is taken from a `status` answer.
#[derive(Debug, Clone, uniffi::Record)]
pub struct EnrollResult {
    pub user: User,
    pub enrollment: Enrollment,
    /// True only when the answer lacked the transaction id or the user id and the `status`
    /// lookup that supplies them failed: those ids are then empty strings (an empty id
    /// never matches in `verify`). Poll and verify the status token all the same.
    pub ids_missing: bool,
}

impl From<authcloud::QrCode> for QrCode {
    fn from(qr: authcloud::QrCode) -> Self {
        QrCode(qr)
    }
}

impl From<authcloud::DeepLink> for DeepLink {
    fn from(link: authcloud::DeepLink) -> Self {
        DeepLink(link)
    }
}

impl From<authcloud::EnrollResponse> for EnrollResult {
    fn from(response: authcloud::EnrollResponse) -> Self {
        let enrollment = response.enrollment;
        EnrollResult {
            user: response.user.into(),
            enrollment: Enrollment {
                transaction_id: enrollment.transaction_id,
                status_token: Secret::wrap(enrollment.status_token),
                qr_code: Arc::new(QrCode(enrollment.qr_code)),
                app_link_uri: Arc::new(DeepLink(enrollment.app_link_uri)),
            },
            ids_missing: response.ids_missing,
        }
    }
}

/// Answer of `status`. Only `status` is always present.
#[derive(Debug, Clone, uniffi::Record)]
pub struct OperationStatus {
    pub status: TransactionStatus,
    /// The wire value (`pending`, `succeeded`, ... or a newer one).
    pub status_text: String,
    pub transaction_id: Option<String>,
    pub user_id: Option<String>,
    pub username: Option<String>,
    /// The transaction token, to check with `introspect`.
    pub token: Option<Arc<Secret>>,
    pub created_at: Option<String>,
    pub last_updated_at: Option<String>,
}

impl From<authcloud::StatusResponse> for OperationStatus {
    fn from(s: authcloud::StatusResponse) -> Self {
        OperationStatus {
            status: (&s.status).into(),
            status_text: s.status.as_str().to_owned(),
            transaction_id: s.transaction_id,
            user_id: s.user_id,
            username: s.username,
            token: s.token.map(Secret::wrap),
            created_at: s.created_at,
            last_updated_at: s.last_updated_at,
        }
    }
}

/// Answer of `introspect`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Introspection {
    /// `false` ⇒ do not trust the token.
    pub active: bool,
    /// Issued-at as the server sent it: seconds or milliseconds (the vendor's documents
    /// disagree). `issued_at_ms` reads either.
    pub iat: Option<i64>,
    /// `iat` as milliseconds since the Unix epoch (a raw value above 10^11 is taken as
    /// milliseconds, else seconds).
    pub issued_at_ms: Option<i64>,
    pub sub: Option<String>,
    pub aud: Vec<String>,
    pub iss: Option<String>,
    pub nbf: Option<i64>,
    pub exp: Option<i64>,
    pub jti: Option<String>,
    pub scope: Option<String>,
}

impl From<authcloud::Introspection> for Introspection {
    fn from(i: authcloud::Introspection) -> Self {
        let issued_at_ms = i
            .issued_at()
            .and_then(|t| t.duration_since(std::time::SystemTime::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_millis()).ok());
        Introspection {
            active: i.active,
            iat: i.iat,
            issued_at_ms,
            sub: i.sub,
            aud: i.aud,
            iss: i.iss,
            nbf: i.nbf,
            exp: i.exp,
            jti: i.jti,
            scope: i.scope,
        }
    }
}

/// A user whose operation the backend verified.
#[derive(Debug, Clone, uniffi::Record)]
pub struct VerifiedUser {
    pub user_id: String,
    pub username: Option<String>,
    pub transaction_id: Option<String>,
    pub introspection: Introspection,
}

impl From<authcloud::VerifiedUser> for VerifiedUser {
    fn from(v: authcloud::VerifiedUser) -> Self {
        VerifiedUser {
            user_id: v.user_id,
            username: v.username,
            transaction_id: v.transaction_id,
            introspection: v.introspection.into(),
        }
    }
}

/// How a wait polls. The defaults are the guide's: every 1.5 s, for at most 5 minutes.
/// (Each default literal is checked against the core's constant by a test.)
#[derive(Debug, Clone, uniffi::Record)]
pub struct WaitOptions {
    /// Time between the starts of two polls; at least 100 ms.
    #[uniffi(default = 1500)]
    pub poll_interval_ms: u64,
    #[uniffi(default = 300000)]
    pub timeout_ms: u64,
    /// Widest interval after 429s (a longer `Retry-After` is still honoured).
    #[uniffi(default = 30000)]
    pub max_poll_interval_ms: u64,
    /// Start the first poll at a random moment within the first interval instead of at
    /// once. Off by default (a user at a screen wants the first answer now); a wait spreads
    /// its first poll anyway when its client already runs `max_concurrent_requests` other
    /// waits, so waits started together do not poll in lock-step bursts.
    #[uniffi(default = false)]
    pub first_poll_jitter: bool,
}

impl Default for WaitOptions {
    fn default() -> Self {
        use authcloud::defaults::{
            DEFAULT_FIRST_POLL_JITTER, DEFAULT_MAX_POLL_INTERVAL, DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT,
        };
        WaitOptions {
            poll_interval_ms: millis(DEFAULT_POLL_INTERVAL),
            timeout_ms: millis(DEFAULT_WAIT_TIMEOUT),
            max_poll_interval_ms: millis(DEFAULT_MAX_POLL_INTERVAL),
            first_poll_jitter: DEFAULT_FIRST_POLL_JITTER,
        }
    }
}

impl WaitOptions {
    /// Refuses options the core would refuse, before anything starts (a watch reports its
    /// errors only to the observer; these belong to the caller).
    pub(crate) fn validate(&self) -> Result<(), AuthCloudError> {
        if self.poll_interval_ms < millis(authcloud::MIN_POLL_INTERVAL) {
            return Err(AuthCloudError::InvalidInput {
                field: "poll_interval_ms".into(),
                reason: "must be at least 100 ms".into(),
            });
        }
        if self.timeout_ms == 0 {
            return Err(AuthCloudError::InvalidInput { field: "timeout_ms".into(), reason: "must be positive".into() });
        }
        Ok(())
    }

    pub(crate) fn to_core(&self, cancel: authcloud::CancellationToken) -> authcloud::WaitOptions {
        use std::time::Duration;
        authcloud::WaitOptions {
            poll_interval: Duration::from_millis(self.poll_interval_ms),
            timeout: Duration::from_millis(self.timeout_ms),
            max_poll_interval: Duration::from_millis(self.max_poll_interval_ms),
            first_poll_jitter: self.first_poll_jitter,
            cancel,
        }
    }
}

/// One status answer seen by a wait.
#[derive(Debug, Clone, uniffi::Record)]
pub struct StatusUpdate {
    pub status: OperationStatus,
    /// 1 for the first poll.
    pub poll: u32,
    pub elapsed_ms: u64,
}

impl From<&authcloud::StatusUpdate> for StatusUpdate {
    fn from(u: &authcloud::StatusUpdate) -> Self {
        StatusUpdate { status: u.status.clone().into(), poll: u.poll, elapsed_ms: millis(u.elapsed) }
    }
}

/// How a wait ended (a final status: succeeded, failed, unknown or newer).
#[derive(Debug, Clone, uniffi::Record)]
pub struct WaitOutcome {
    pub status: OperationStatus,
    pub polls: u32,
    pub elapsed_ms: u64,
    /// True when the user confirmed.
    pub succeeded: bool,
}

impl From<authcloud::WaitOutcome> for WaitOutcome {
    fn from(o: authcloud::WaitOutcome) -> Self {
        let succeeded = o.succeeded();
        WaitOutcome { status: o.status.into(), polls: o.polls, elapsed_ms: millis(o.elapsed), succeeded }
    }
}
