//! The answers of the API, read leniently (see `lenient`): what an operation cannot do
//! without is checked strictly, everything else is optional and never fails the answer.
//!
//! `enroll` and `approval` need only their status token: the ids are taken from a `status`
//! answer when the server left them out, and the QR code and the deep link are kept as the
//! server sent them and checked when the caller uses them ([`QrCode::png_bytes`],
//! [`DeepLink::href`]), so an operation the server already started is never lost to a
//! missing id or an odd decorative field.

use std::fmt;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use url::Url;

use crate::config::is_loopback_host;
use crate::error::Result;
use crate::lenient::{Object, malformed};
use crate::model::UserStatus;
use crate::secret::{REDACTED, SecretString};
use crate::status::TransactionStatus;

/// Parses a 2xx body as JSON (any shape; the typed readers check it).
pub(crate) fn json(what: &'static str, body: &[u8]) -> Result<serde_json::Value> {
    serde_json::from_slice(body).map_err(|e| {
        let problem = match e.classify() {
            serde_json::error::Category::Eof => "is cut short",
            _ => "is not JSON",
        };
        malformed(format!("{what} {problem}"))
    })
}

// ---------------------------------------------------------------------------------------
// users and authenticators
// ---------------------------------------------------------------------------------------

/// An authenticator registered on a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticator {
    /// Its id.
    pub authenticator_id: String,
    /// Display name.
    pub name: Option<String>,
    /// The vendor's `type`: `ios` or `android`.
    pub device_type: Option<String>,
    /// The vendor's `authenticatorType`: `app` or `fido2`.
    pub authenticator_type: Option<String>,
    /// Lifecycle state.
    pub state: Option<String>,
    /// When it was registered (ISO-8601).
    pub enrolled_at: Option<String>,
    /// Last change (ISO-8601).
    pub updated_at: Option<String>,
    /// The vendor's `uaf.deviceRef`: the same for every authenticator registered from one
    /// device (an app re-installed on the same phone, say).
    pub device_ref: Option<String>,
    /// The vendor's `uaf.userDisabledPushNotification`: the user turned push notifications
    /// off, so a push approval will only be seen when they open the app (offer the `app`
    /// channel or SMS instead). `None` when the server did not say.
    pub push_notifications_disabled: Option<bool>,
}

impl Authenticator {
    /// An entry without an id cannot be acted on: it is skipped, not an error.
    pub(crate) fn read(obj: &Object<'_>) -> Option<Self> {
        Some(Authenticator {
            authenticator_id: obj.text("authenticatorId").filter(|id| !id.is_empty())?,
            name: obj.text("name"),
            device_type: obj.text("type"),
            authenticator_type: obj.text("authenticatorType"),
            state: obj.text("state"),
            enrolled_at: obj.text("enrolledAt"),
            updated_at: obj.text("updatedAt"),
            device_ref: uaf_field(obj, "deviceRef", |o, k| o.text(k)),
            push_notifications_disabled: uaf_field(obj, "userDisabledPushNotification", |o, k| o.boolean(k)),
        })
    }
}

/// A `uaf.<key>` field, nested (`"uaf": {"deviceRef": …}`) as the emulator sends it, or as one
/// dotted key (`"uaf.deviceRef"`) as the vendor's reference spells it.
fn uaf_field<T>(obj: &Object<'_>, key: &str, read: impl Fn(&Object<'_>, &str) -> Option<T>) -> Option<T> {
    obj.object("uaf").and_then(|uaf| read(&uaf, key)).or_else(|| read(obj, &format!("uaf.{key}")))
}

/// A user of the Authentication Cloud instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user's UUID; store it to link the user to your records.
    pub user_id: String,
    /// Your stable id for the user, when one was given.
    pub username: Option<String>,
    /// `new` until an authenticator is registered, then `active` (absent if the server
    /// did not say).
    pub status: Option<UserStatus>,
    /// ISO-8601 UTC.
    pub created_at: Option<String>,
    /// ISO-8601 UTC.
    pub updated_at: Option<String>,
    /// The last successful approval (login), ISO-8601 UTC.
    pub last_login_success: Option<String>,
    /// The last declined or failed approval, ISO-8601 UTC.
    pub last_login_failure: Option<String>,
    /// Registered authenticators (`null` or a malformed list reads as empty).
    pub authenticators: Vec<Authenticator>,
    /// The channels (`push`, `sms`) on which the user went past the instance's rate limit
    /// and is blocked for now; empty when none (the field absent). An answer that says only
    /// `true` reads as `["unknown"]`.
    pub exceeded_rate_limits: Vec<String>,
}

impl User {
    /// Whether the user is blocked on some channel by a rate limit (see
    /// [`User::exceeded_rate_limits`]).
    pub fn is_rate_limited(&self) -> bool {
        !self.exceeded_rate_limits.is_empty()
    }
}

impl User {
    pub(crate) fn read(obj: &Object<'_>) -> Result<Self> {
        Ok(User::read_with_id(obj, obj.required_text("userId", "userId")?))
    }

    /// The user's fields besides its id, which the caller supplies.
    fn read_with_id(obj: &Object<'_>, user_id: String) -> Self {
        User {
            user_id,
            username: obj.text("username"),
            status: obj.text("status").map(UserStatus::from_wire),
            created_at: obj.text("createdAt"),
            updated_at: obj.text("updatedAt"),
            last_login_success: obj.text("lastLoginDateSuccess"),
            last_login_failure: obj.text("lastLoginDateFailure"),
            authenticators: obj.objects("authenticators").iter().filter_map(Authenticator::read).collect(),
            exceeded_rate_limits: exceeded_rate_limits(obj),
        }
    }
}

/// `exceededRateLimits`: a list of channel names (the emulator's form), a `true` (read as
/// `["unknown"]`), or an object whose keys with a true or non-empty value are the channels.
fn exceeded_rate_limits(obj: &Object<'_>) -> Vec<String> {
    match obj.get("exceededRateLimits") {
        Some(serde_json::Value::Bool(exceeded)) => {
            if *exceeded {
                vec!["unknown".into()]
            } else {
                Vec::new()
            }
        }
        Some(serde_json::Value::Object(map)) => map
            .iter()
            .filter(|(_, v)| !matches!(v, serde_json::Value::Null | serde_json::Value::Bool(false)))
            .map(|(channel, _)| channel.clone())
            .collect(),
        Some(_) => obj.text_list("exceededRateLimits"),
        None => Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------
// enroll
// ---------------------------------------------------------------------------------------

/// The QR code to show the user: a PNG as a data URI, kept exactly as the server sent it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct QrCode {
    /// The vendor's `type`, `image/png`.
    pub image_type: Option<String>,
    /// Width and height in pixels (an integer, or anything that reads as one).
    pub size: Option<u32>,
    /// `data:image/png;base64,...`, for an `<img src>`; empty when the answer had none.
    pub data_uri: String,
}

impl QrCode {
    pub(crate) fn read(obj: Option<Object<'_>>) -> Self {
        let Some(obj) = obj else { return QrCode::default() };
        QrCode {
            image_type: obj.text("type"),
            size: obj.integer("size").and_then(|n| u32::try_from(n).ok()),
            data_uri: obj.text("dataUri").unwrap_or_default(),
        }
    }

    /// Decodes the data URI into the PNG file's bytes (to save, or to hand to an image
    /// view). A [`crate::Error::MalformedResponse`] says why when the server's QR code is not a
    /// base64 PNG data URI; the enrollment itself is unaffected.
    pub fn png_bytes(&self) -> Result<Vec<u8>> {
        decode_png_data_uri(&self.data_uri)
    }
}

impl fmt::Debug for QrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QrCode")
            .field("image_type", &self.image_type)
            .field("size", &self.size)
            .field("data_uri", &format_args!("<{} chars>", self.data_uri.len()))
            .finish()
    }
}

/// Decodes a `data:image/png;base64,...` URI into PNG bytes, checking the PNG signature.
pub fn decode_png_data_uri(data_uri: &str) -> Result<Vec<u8>> {
    const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if data_uri.trim().is_empty() {
        return Err(malformed("the answer carries no QR code".into()));
    }
    let (header, payload) = data_uri.split_once(',').ok_or_else(|| malformed("QR code data URI has no `,`".into()))?;
    let header = header.trim().to_ascii_lowercase();
    if !header.starts_with("data:image/png") || !header.ends_with(";base64") {
        return Err(malformed("QR code is not a base64 PNG data URI".into()));
    }
    let compact: String = payload.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| malformed("QR code data URI is not valid base64".into()))?;
    if !bytes.starts_with(PNG_SIGNATURE) {
        return Err(malformed("QR code data is not a PNG".into()));
    }
    Ok(bytes)
}

/// Why a deep link must not be shown as a link.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeepLinkProblem {
    /// The answer had no `appLinkUri`.
    Missing,
    /// It does not parse as an absolute URL with a host.
    NotAUrl,
    /// Its scheme is neither `https` nor (on loopback only) `http` — `javascript:`,
    /// `data:`, `intent:`…
    UnsafeScheme {
        /// The scheme found.
        scheme: String,
    },
    /// Plain `http` to a host that is not this machine.
    PlainHttpToRemoteHost,
    /// It carries `user:password@`.
    CredentialsInUrl,
    /// Its host is not a DNS name or an IP address (e.g. a `{instance}` placeholder).
    HostNotADnsName,
}

impl fmt::Display for DeepLinkProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeepLinkProblem::Missing => f.write_str("the answer has no appLinkUri"),
            DeepLinkProblem::NotAUrl => f.write_str("appLinkUri is not an absolute URL"),
            DeepLinkProblem::UnsafeScheme { scheme } => {
                write!(f, "appLinkUri has the scheme `{}`, not https", crate::sanitize::sanitize_with_limit(scheme, 32))
            }
            DeepLinkProblem::PlainHttpToRemoteHost => f.write_str("appLinkUri uses plain http to a remote host"),
            DeepLinkProblem::CredentialsInUrl => f.write_str("appLinkUri carries credentials"),
            DeepLinkProblem::HostNotADnsName => f.write_str("appLinkUri's host is not a DNS name or IP address"),
        }
    }
}

/// The deep link that opens the authenticator app (`enrollment.appLinkUri`), kept as the
/// server sent it and checked before use.
///
/// [`DeepLink::href`] returns it only if it is an `https` URL (or `http` to loopback, as
/// from the emulator) with a proper host, in its normalised form (`https://host/…`, as a
/// browser would read it): that is the value to put in an `<a href>`.
/// [`DeepLink::problem`] says why it is not. Like the QR code it carries a dispatch token
/// that lets whoever opens it complete the registration, so `Debug` shows only its scheme
/// and host (and port): the path, query, fragment and any credentials — wherever a token
/// could travel — print as `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct DeepLink {
    raw: String,
    /// The normalised link, or why there is none.
    checked: std::result::Result<String, DeepLinkProblem>,
}

impl DeepLink {
    /// Wraps and checks a link.
    pub fn new(raw: impl Into<String>) -> Self {
        let raw = raw.into();
        let checked = check_deep_link(&raw).map(String::from);
        DeepLink { raw, checked }
    }

    /// The link, normalised, if it passed the check: safe for an `<a href>`.
    pub fn href(&self) -> Result<&str> {
        match &self.checked {
            Ok(href) => Ok(href),
            Err(problem) => Err(malformed(format!("deep link rejected: {problem}"))),
        }
    }

    /// True when [`DeepLink::href`] returns the link.
    pub fn is_valid(&self) -> bool {
        self.checked.is_ok()
    }

    /// Why the link failed the check, if it did.
    pub fn problem(&self) -> Option<&DeepLinkProblem> {
        self.checked.as_ref().err()
    }

    /// The value exactly as the server sent it, checked or not (empty when absent). Do not
    /// put it into a page unless [`DeepLink::is_valid`].
    pub fn as_unchecked_str(&self) -> &str {
        &self.raw
    }
}

impl fmt::Debug for DeepLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeepLink").field("link", &redact_link(&self.raw)).field("valid", &self.is_valid()).finish()
    }
}

fn check_deep_link(raw: &str) -> std::result::Result<Url, DeepLinkProblem> {
    if raw.trim().is_empty() {
        return Err(DeepLinkProblem::Missing);
    }
    // A link is used as given: surrounding whitespace or control characters are a sign of
    // trouble, not something to trim away silently.
    if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(DeepLinkProblem::NotAUrl);
    }
    let url = crate::urls::parse(raw).map_err(|_| DeepLinkProblem::NotAUrl)?;
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or(DeepLinkProblem::NotAUrl)?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(host) => {}
        "http" => return Err(DeepLinkProblem::PlainHttpToRemoteHost),
        other => return Err(DeepLinkProblem::UnsafeScheme { scheme: other.to_owned() }),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(DeepLinkProblem::CredentialsInUrl);
    }
    let is_ip = matches!(url.host(), Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)));
    if !is_ip && !is_dns_name(host) {
        return Err(DeepLinkProblem::HostNotADnsName);
    }
    Ok(url)
}

fn is_dns_name(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// What may be shown of a link that can carry a token: its scheme and host (and port).
/// `https://host/open?dispatchTokenResponse=…` → `https://host/[redacted]`; a path, query,
/// fragment or credentials all become `[redacted]`, and so does anything that does not parse
/// as a URL with a host.
pub(crate) fn redact_link(raw: &str) -> String {
    if raw.is_empty() {
        return String::new();
    }
    let Ok(url) = crate::urls::parse(raw) else {
        return format!("{REDACTED} (not a URL, {} chars)", raw.chars().count());
    };
    // A parsed scheme is only ASCII letters, digits, `+`, `-` and `.`.
    let scheme = url.scheme();
    let Some(host) = url.host_str().filter(|host| !host.is_empty()) else {
        return format!("{scheme}:{REDACTED}");
    };
    let host = crate::sanitize::sanitize_with_limit(host, 253);
    let origin = match url.port() {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    };
    let more = !matches!(url.path(), "" | "/")
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some();
    if more { format!("{origin}/{REDACTED}") } else { origin }
}

/// The registration the user completes on the phone.
// Debug is derived: the fields redact themselves (SecretString, QrCode, DeepLink).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrollment {
    /// The operation's id (from the `status` answer when `enroll`'s lacked it; empty only
    /// when [`EnrollResult::ids_missing`]).
    pub transaction_id: String,
    /// Poll `status` with it.
    pub status_token: SecretString,
    /// Show it as an image (decode with [`QrCode::png_bytes`]).
    pub qr_code: QrCode,
    /// Show it as a link: [`DeepLink::href`] gives the checked value.
    pub app_link_uri: DeepLink,
}

/// Answer of [`crate::Client::enroll`]: the user and the registration to complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollResult {
    /// The (new or existing) user. Its `user_id` comes from the `status` answer when
    /// `enroll`'s lacked it, and is empty only when [`EnrollResult::ids_missing`].
    pub user: User,
    /// What to show the user, and the status token to poll.
    pub enrollment: Enrollment,
    /// True only when the server's answer lacked the transaction id or the user id **and**
    /// the `status` lookup that supplies them failed (or did not carry them either): the
    /// missing ids are then empty strings. The registration exists all the same: poll and
    /// verify its status token — the wait's final status and `verify`'s result carry the
    /// ids. An empty id never matches in `VerifyOptions`, so binding to it refuses rather
    /// than accepts.
    pub ids_missing: bool,
}

impl EnrollResult {
    /// Reads an `enroll` answer (the 201 body). Fails only when the status token is
    /// missing: the server then did not say how to follow the registration. A missing
    /// transaction id or user id is left empty and flagged in
    /// [`EnrollResult::ids_missing`] ([`crate::Client::enroll`] fills them from a
    /// `status` answer); any other field may be absent or odd.
    pub fn from_json(body: &[u8]) -> Result<Self> {
        Self::from_value(&json("enroll answer", body)?)
    }

    pub(crate) fn from_value(value: &serde_json::Value) -> Result<Self> {
        const WHAT: &str = "enroll answer";
        let root = Object::root(WHAT, value)?;
        // The documented place is `enrollment`; a status token at the top level is taken
        // too, rather than losing a registration the server started.
        let holder = match root.object("enrollment") {
            Some(enrollment) => enrollment,
            None if root.get("statusToken").is_some() => root,
            None => return Err(malformed(format!("{WHAT} lacks `enrollment`"))),
        };
        // The status token is all the registration needs to be followed.
        let status_token = SecretString::new(holder.required_text("statusToken", "enrollment.statusToken")?);
        let transaction_id = present(holder.text("transactionId"));
        let user_id = present(root.text("userId"));
        let ids_missing = transaction_id.is_empty() || user_id.is_empty();
        Ok(EnrollResult {
            user: User::read_with_id(&root, user_id),
            enrollment: Enrollment {
                transaction_id,
                status_token,
                qr_code: QrCode::read(holder.object("qrCode")),
                app_link_uri: DeepLink::new(holder.text("appLinkUri").unwrap_or_default()),
            },
            ids_missing,
        })
    }

    /// Takes the ids the answer lacked from the operation's `status` answer.
    pub(crate) fn fill_ids(&mut self, status: &OperationStatus) {
        fill(&mut self.enrollment.transaction_id, &status.transaction_id);
        fill(&mut self.user.user_id, &status.user_id);
        self.ids_missing = self.enrollment.transaction_id.is_empty() || self.user.user_id.is_empty();
    }
}

/// An id as the answer gave it; empty when absent (or blank).
pub(crate) fn present(id: Option<String>) -> String {
    id.filter(|id| !id.trim().is_empty()).unwrap_or_default()
}

/// Fills an empty id from a status answer's.
pub(crate) fn fill(id: &mut String, from_status: &Option<String>) {
    if id.is_empty() {
        *id = present(from_status.clone());
    }
}

// ---------------------------------------------------------------------------------------
// status
// ---------------------------------------------------------------------------------------

/// Answer of `POST /api/v1/status`. Only `status` is always present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationStatus {
    /// The operation's id.
    pub transaction_id: Option<String>,
    /// Where the operation stands.
    pub status: TransactionStatus,
    /// The user the operation is for.
    pub user_id: Option<String>,
    /// The user's username.
    pub username: Option<String>,
    /// The transaction token, to check with `introspect`.
    pub token: Option<SecretString>,
    /// ISO-8601 UTC.
    pub created_at: Option<String>,
    /// ISO-8601 UTC.
    pub last_updated_at: Option<String>,
}

impl OperationStatus {
    /// Reads a `status` answer. Fails only when `status` itself is missing.
    pub fn from_json(body: &[u8]) -> Result<Self> {
        Self::from_value(&json("status answer", body)?)
    }

    pub(crate) fn from_value(value: &serde_json::Value) -> Result<Self> {
        let root = Object::root("status answer", value)?;
        Ok(OperationStatus {
            status: TransactionStatus::from_wire(root.required_text("status", "status")?),
            transaction_id: root.text("transactionId"),
            user_id: root.text("userId"),
            username: root.text("username"),
            token: root.text("token").filter(|t| !t.is_empty()).map(SecretString::new),
            created_at: root.text("createdAt"),
            last_updated_at: root.text("lastUpdatedAt"),
        })
    }
}

// ---------------------------------------------------------------------------------------
// introspect
// ---------------------------------------------------------------------------------------

/// Answer of `POST /api/v1/introspect` (RFC 7662 style).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Introspection {
    /// `false` ⇒ do not trust the token.
    pub active: bool,
    /// Issued-at, as the server sent it. Its unit is not settled (the guide's example is
    /// in milliseconds, the vendor's reference says seconds): read it with
    /// [`Introspection::issued_at`]. A float is truncated.
    pub iat: Option<i64>,
    /// Subject: for a transaction token, the user id.
    pub sub: Option<String>,
    /// Audience(s), e.g. `["api"]` (a single string on the wire becomes one element).
    pub aud: Vec<String>,
    /// Issuer, e.g. `https://{instance}.mauth.nevis.cloud/`.
    pub iss: Option<String>,
    /// Not-before, raw (unit as `iat`).
    pub nbf: Option<i64>,
    /// Expiry, raw (unit as `iat`).
    pub exp: Option<i64>,
    /// Token id.
    pub jti: Option<String>,
    /// Scope.
    pub scope: Option<String>,
}

impl Introspection {
    /// Reads an `introspect` answer. Fails only when `active` is missing or not a boolean:
    /// that answer says nothing about the token.
    pub fn from_json(body: &[u8]) -> Result<Self> {
        Self::from_value(&json("introspect answer", body)?)
    }

    pub(crate) fn from_value(value: &serde_json::Value) -> Result<Self> {
        let root = Object::root("introspect answer", value)?;
        let active = root.boolean("active").ok_or_else(|| match root.get("active") {
            None => malformed("introspect answer lacks `active`".into()),
            Some(_) => malformed("introspect answer has a non-boolean `active`".into()),
        })?;
        Ok(Introspection {
            active,
            iat: root.integer("iat"),
            sub: root.text("sub"),
            aud: root.text_list("aud"),
            iss: root.text("iss"),
            nbf: root.integer("nbf"),
            exp: root.integer("exp"),
            jti: root.text("jti"),
            scope: root.text("scope"),
        })
    }

    /// When the token was issued, reading `iat` in either unit (see
    /// [`epoch_seconds_or_millis`]).
    pub fn issued_at(&self) -> Option<SystemTime> {
        self.iat.and_then(epoch_seconds_or_millis)
    }
}

/// Values above this are milliseconds: 10^11 seconds is the year 5138, while 10^11
/// milliseconds is March 1973 — long before any token of this API.
pub const EPOCH_MILLIS_THRESHOLD: i64 = 100_000_000_000;

/// A Unix timestamp in seconds or milliseconds (a value above [`EPOCH_MILLIS_THRESHOLD`]
/// is milliseconds) as a time; `None` for negative values.
pub fn epoch_seconds_or_millis(value: i64) -> Option<SystemTime> {
    let value = u64::try_from(value).ok()?;
    let since_epoch =
        if value > EPOCH_MILLIS_THRESHOLD as u64 { Duration::from_millis(value) } else { Duration::from_secs(value) };
    SystemTime::UNIX_EPOCH.checked_add(since_epoch)
}

// ---------------------------------------------------------------------------------------
// intent
// ---------------------------------------------------------------------------------------

/// Reads an `intent` answer: its `token`.
pub(crate) fn intent_token(body: &[u8]) -> Result<SecretString> {
    let value = json("intent answer", body)?;
    let root = Object::root("intent answer", &value)?;
    Ok(SecretString::new(root.required_text("token", "token")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_links_are_checked() {
        for good in [
            "https://acme.mauth.nevis.cloud/open?dispatchTokenResponse=eyJub",
            "http://127.0.0.1:8080/open?x=1",
            "http://localhost:1/open",
            "http://[::1]:9/open",
            "https://10.0.0.1/open",
        ] {
            assert!(DeepLink::new(good).is_valid(), "{good}");
            assert_eq!(DeepLink::new(good).href().unwrap(), good);
        }
        // Valid but unusual spellings come out the way a browser reads them.
        assert_eq!(DeepLink::new("HTTPS:acme.example/open").href().unwrap(), "https://acme.example/open");
        for (bad, problem) in [
            ("", DeepLinkProblem::Missing),
            ("javascript:alert(1)", DeepLinkProblem::NotAUrl),
            ("javascript://x/%0aalert(1)", DeepLinkProblem::UnsafeScheme { scheme: "javascript".into() }),
            ("data://x/text/html", DeepLinkProblem::UnsafeScheme { scheme: "data".into() }),
            ("http://evil.example/open", DeepLinkProblem::PlainHttpToRemoteHost),
            ("https://user:pw@acme.mauth.nevis.cloud/", DeepLinkProblem::CredentialsInUrl),
            ("https://{instance}.mauth.nevis.cloud/open?x=eyJub...IxIn0", DeepLinkProblem::HostNotADnsName),
            (" https://acme.mauth.nevis.cloud/", DeepLinkProblem::NotAUrl),
            ("/open?x", DeepLinkProblem::NotAUrl),
        ] {
            let link = DeepLink::new(bad);
            assert_eq!(link.problem(), Some(&problem), "{bad}");
            assert_eq!(link.as_unchecked_str(), bad, "the value is kept");
            assert!(link.href().is_err());
        }
    }

    #[test]
    fn deep_link_debug_shows_only_scheme_and_host() {
        for (raw, shown) in [
            (
                "https://acme.mauth.nevis.cloud/open?dispatchTokenResponse=SECRET",
                "https://acme.mauth.nevis.cloud/[redacted]",
            ),
            ("https://acme.example/open/SECRET", "https://acme.example/[redacted]"),
            ("https://acme.example/open#SECRET", "https://acme.example/[redacted]"),
            ("https://acme.example/#dispatch=SECRET", "https://acme.example/[redacted]"),
            ("https://user:SECRET@acme.example/", "https://acme.example/[redacted]"),
            ("https://SECRET@acme.example", "https://acme.example/[redacted]"),
            ("http://127.0.0.1:8080/open?x=SECRET", "http://127.0.0.1:8080/[redacted]"),
            ("javascript:SECRET", "javascript:[redacted]"),
            ("{instance}/open?SECRET", "[redacted] (not a URL, 22 chars)"),
            ("https://acme.example", "https://acme.example"),
            ("https://acme.example/", "https://acme.example"),
        ] {
            let link = DeepLink::new(raw);
            let debug = format!("{link:?}");
            assert!(!debug.contains("SECRET"), "{raw}: {debug}");
            assert!(debug.contains(&format!("link: \"{shown}\"")), "{raw}: {debug}");
            assert_eq!(link.as_unchecked_str(), raw, "the value itself is kept");
        }
        // The records holding a link print it the same way.
        let enrollment = Enrollment {
            transaction_id: "t".into(),
            status_token: SecretString::new("SECRET-status"),
            qr_code: QrCode::default(),
            app_link_uri: DeepLink::new("https://acme.example/open/SECRET"),
        };
        assert!(!format!("{enrollment:?}").contains("SECRET"), "{enrollment:?}");
    }

    #[test]
    fn rate_limits_and_uaf_fields_read_in_every_documented_spelling() {
        let user = |json: serde_json::Value| User::read(&Object::root("user", &json).unwrap()).unwrap();
        let listed = user(serde_json::json!({"userId": "u", "exceededRateLimits": ["push", "sms"]}));
        assert_eq!(listed.exceeded_rate_limits, ["push", "sms"]);
        assert!(listed.is_rate_limited());
        assert!(!user(serde_json::json!({"userId": "u"})).is_rate_limited());
        assert!(!user(serde_json::json!({"userId": "u", "exceededRateLimits": false})).is_rate_limited());
        assert_eq!(
            user(serde_json::json!({"userId": "u", "exceededRateLimits": true})).exceeded_rate_limits,
            ["unknown"]
        );
        let keyed = user(serde_json::json!({"userId": "u", "exceededRateLimits": {"sms": true, "push": false}}));
        assert_eq!(keyed.exceeded_rate_limits, ["sms"]);

        let nested = user(serde_json::json!({"userId": "u", "authenticators": [
            {"authenticatorId": "a", "uaf": {"deviceRef": "d1", "userDisabledPushNotification": true}},
            {"authenticatorId": "b", "uaf.deviceRef": "d2", "uaf.userDisabledPushNotification": false},
            {"authenticatorId": "c"}]}));
        let uaf: Vec<_> =
            nested.authenticators.iter().map(|a| (a.device_ref.as_deref(), a.push_notifications_disabled)).collect();
        assert_eq!(uaf, [(Some("d1"), Some(true)), (Some("d2"), Some(false)), (None, None)]);
    }

    #[test]
    fn iat_in_either_unit() {
        let seconds = epoch_seconds_or_millis(1_642_436_165).unwrap();
        let millis = epoch_seconds_or_millis(1_642_436_165_000).unwrap();
        assert_eq!(seconds, millis);
        assert_eq!(seconds, SystemTime::UNIX_EPOCH + Duration::from_secs(1_642_436_165));
        assert_eq!(epoch_seconds_or_millis(-1), None);
        assert!(epoch_seconds_or_millis(i64::MAX).is_some());
    }

    #[test]
    fn enroll_needs_only_its_status_token() {
        let body = br#"{"userId": 7, "enrollment": {"transactionId": "t", "statusToken": "s"}}"#;
        let e = EnrollResult::from_json(body).unwrap();
        assert_eq!(e.user.user_id, "7");
        assert_eq!(e.user.status, None);
        assert!(!e.ids_missing);
        assert_eq!(e.enrollment.qr_code, QrCode::default());
        assert_eq!(e.enrollment.app_link_uri.problem(), Some(&DeepLinkProblem::Missing));
        let missing = EnrollResult::from_json(br#"{"userId": "u", "enrollment": {"transactionId": "t"}}"#);
        assert_eq!(missing.unwrap_err().to_string(), "malformed answer: enroll answer lacks `enrollment.statusToken`");

        // Without ids the token is kept, the ids are empty and flagged, then filled.
        let mut partial =
            EnrollResult::from_json(br#"{"username": "u", "enrollment": {"statusToken": "s", "transactionId": " "}}"#)
                .unwrap();
        assert_eq!(partial.enrollment.status_token.expose(), "s");
        assert_eq!((partial.user.user_id.as_str(), partial.enrollment.transaction_id.as_str()), ("", ""));
        assert_eq!(partial.user.username.as_deref(), Some("u"));
        assert!(partial.ids_missing);
        let status =
            OperationStatus::from_json(br#"{"status": "pending", "transactionId": "t", "userId": "u1"}"#).unwrap();
        partial.fill_ids(&status);
        assert_eq!((partial.user.user_id.as_str(), partial.enrollment.transaction_id.as_str()), ("u1", "t"));
        assert!(!partial.ids_missing);
        // What the answer said wins over the status.
        let mut own = EnrollResult::from_json(br#"{"userId": "mine", "enrollment": {"statusToken": "s"}}"#).unwrap();
        own.fill_ids(&status);
        assert_eq!((own.user.user_id.as_str(), own.enrollment.transaction_id.as_str()), ("mine", "t"));
        // A status without ids leaves them missing.
        let unknown = OperationStatus::from_json(br#"{"status": "unknown"}"#).unwrap();
        let mut still = EnrollResult::from_json(br#"{"enrollment": {"statusToken": "s"}}"#).unwrap();
        still.fill_ids(&unknown);
        assert!(still.ids_missing);
        // A status token at the top level is taken rather than lost.
        let flat = EnrollResult::from_json(br#"{"userId": "u", "transactionId": "t", "statusToken": "s"}"#).unwrap();
        assert_eq!(flat.enrollment.status_token.expose(), "s");
        assert!(!flat.ids_missing);
    }
}
