//! Wire types of the Authentication Cloud API, in the vendor's words.
//!
//! Responses are read leniently: unknown fields are ignored, unknown enum values are kept
//! as `Other(..)`, and fields the spec marks optional are `Option`s, so a newer server does
//! not break an older SDK. Requests are built through validating constructors.

use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, Result};
use crate::redact;
use crate::secret::SecretString;

/// Longest username the API accepts.
pub const MAX_USERNAME_LEN: usize = 300;

// ---------------------------------------------------------------------------------------
// Enumerations
// ---------------------------------------------------------------------------------------

/// The status of an operation (`POST /api/v1/status`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TransactionStatus {
    /// The user has not acted yet.
    Pending,
    /// The user confirmed.
    Succeeded,
    /// The user declined, or the operation timed out.
    Failed,
    /// The server does not know the operation.
    Unknown,
    /// A value this SDK version does not know; treated as final.
    Other(String),
}

impl TransactionStatus {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            TransactionStatus::Pending => "pending",
            TransactionStatus::Succeeded => "succeeded",
            TransactionStatus::Failed => "failed",
            TransactionStatus::Unknown => "unknown",
            TransactionStatus::Other(other) => other,
        }
    }

    /// Everything but `pending` ends a wait: the guide polls only while pending.
    pub fn is_final(&self) -> bool {
        !matches!(self, TransactionStatus::Pending)
    }

    fn from_wire(value: String) -> Self {
        match value.as_str() {
            "pending" => TransactionStatus::Pending,
            "succeeded" => TransactionStatus::Succeeded,
            "failed" => TransactionStatus::Failed,
            "unknown" => TransactionStatus::Unknown,
            _ => TransactionStatus::Other(value),
        }
    }
}

impl fmt::Display for TransactionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TransactionStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d).map(Self::from_wire)
    }
}

/// The status of a user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserStatus {
    /// Created, no authenticator registered yet.
    New,
    /// Has at least one registered authenticator.
    Active,
    /// A value this SDK version does not know.
    Other(String),
}

impl UserStatus {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            UserStatus::New => "new",
            UserStatus::Active => "active",
            UserStatus::Other(other) => other,
        }
    }
}

impl<'de> Deserialize<'de> for UserStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let value = String::deserialize(d)?;
        Ok(match value.as_str() {
            "new" => UserStatus::New,
            "active" => UserStatus::Active,
            _ => UserStatus::Other(value),
        })
    }
}

/// How the user is reached. authcloud v1 enrolls with `App`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// The authenticator app (QR code / deep link). The API's default.
    #[default]
    App,
    /// Push notification to an enrolled app.
    Push,
    /// SMS one-time code.
    Sms,
    /// FIDO2 / passkey.
    Fido2,
    /// Recovery codes.
    Recovery,
}

impl Channel {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::App => "app",
            Channel::Push => "push",
            Channel::Sms => "sms",
            Channel::Fido2 => "fido2",
            Channel::Recovery => "recovery",
        }
    }
}

impl std::str::FromStr for Channel {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "app" => Channel::App,
            "push" => Channel::Push,
            "sms" => Channel::Sms,
            "fido2" => Channel::Fido2,
            "recovery" => Channel::Recovery,
            _ => return Err(Error::invalid("channel", "expected app, push, sms, fido2 or recovery")),
        })
    }
}

/// What an intent token allows its holder to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IntentOperation {
    /// `POST /api/v1/users/enroll`.
    Enroll,
    /// `POST /api/v1/approval`.
    Approve,
}

impl std::str::FromStr for IntentOperation {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "enroll" => Ok(IntentOperation::Enroll),
            "approve" => Ok(IntentOperation::Approve),
            _ => Err(Error::invalid("operation", "expected enroll or approve")),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Identifying a user
// ---------------------------------------------------------------------------------------

/// Which user an enrollment or intent is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    /// A stable, non-PII id of your own (created if new, reused if known).
    Username(String),
    /// The UUID of an existing Authentication Cloud user.
    UserId(String),
}

impl UserRef {
    /// Validates the reference before it goes on the wire.
    pub fn validate(&self) -> Result<()> {
        match self {
            UserRef::Username(name) => validate_username(name),
            UserRef::UserId(id) => validate_user_id(id),
        }
    }
}

/// Checks the spec's username rules: 1 to 300 of `a-z A-Z 0-9 _ - . @`.
pub fn validate_username(username: &str) -> Result<()> {
    if username.is_empty() {
        return Err(Error::invalid("username", "must not be empty"));
    }
    if username.len() > MAX_USERNAME_LEN {
        return Err(Error::invalid("username", format!("longer than {MAX_USERNAME_LEN} characters")));
    }
    if let Some(bad) = username.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'))) {
        let shown = if bad.is_ascii_graphic() { format!("`{bad}`") } else { format!("U+{:04X}", bad as u32) };
        return Err(Error::invalid("username", format!("character {shown} not allowed (use a-z A-Z 0-9 _ - . @)")));
    }
    if looks_like_email(username) {
        // PII, and it changes over a user's life: the guide advises a stable internal id.
        tracing::warn!("username looks like an e-mail address; prefer a stable, non-PII id");
    }
    Ok(())
}

fn looks_like_email(username: &str) -> bool {
    match username.split_once('@') {
        Some((local, domain)) => !local.is_empty() && domain.contains('.') && !domain.ends_with('.'),
        None => false,
    }
}

/// Checks that a user id is a UUID.
pub fn validate_user_id(user_id: &str) -> Result<()> {
    if redact::is_uuid(user_id) {
        Ok(())
    } else {
        Err(Error::invalid("userId", "must be a UUID like 7e16ba00-92e2-4fcb-b30e-1af8fdc843aa"))
    }
}

// ---------------------------------------------------------------------------------------
// enroll
// ---------------------------------------------------------------------------------------

/// Input of [`crate::Client::enroll`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnrollRequest {
    /// The user; `None` lets the server create an anonymous user.
    pub user: Option<UserRef>,
    /// The channel; the API defaults to `app`.
    pub channel: Channel,
}

impl EnrollRequest {
    /// Enroll (and if needed create) the user with this username.
    pub fn username(username: impl Into<String>) -> Self {
        Self { user: Some(UserRef::Username(username.into())), channel: Channel::App }
    }

    /// Enroll another authenticator for an existing user.
    pub fn user_id(user_id: impl Into<String>) -> Self {
        Self { user: Some(UserRef::UserId(user_id.into())), channel: Channel::App }
    }

    /// Sets the channel.
    pub fn with_channel(mut self, channel: Channel) -> Self {
        self.channel = channel;
        self
    }

    pub(crate) fn to_wire(&self) -> Result<serde_json::Value> {
        let mut body = serde_json::Map::new();
        body.insert("channel".into(), self.channel.as_str().into());
        if let Some(user) = &self.user {
            user.validate()?;
            match user {
                UserRef::Username(name) => body.insert("username".into(), name.as_str().into()),
                UserRef::UserId(id) => body.insert("userId".into(), id.as_str().into()),
            };
        }
        Ok(serde_json::Value::Object(body))
    }
}

/// An authenticator registered on a user.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Authenticator {
    /// Its id.
    pub authenticator_id: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The vendor's `type`: `ios` or `android`.
    #[serde(default, rename = "type")]
    pub device_type: Option<String>,
    /// The vendor's `authenticatorType`: `app` or `fido2`.
    #[serde(default)]
    pub authenticator_type: Option<String>,
    /// Lifecycle state.
    #[serde(default)]
    pub state: Option<String>,
    /// When it was registered (ISO-8601).
    #[serde(default)]
    pub enrolled_at: Option<String>,
    /// Last change (ISO-8601).
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// A user of the Authentication Cloud instance.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The user's UUID; store it to link the user to your records.
    pub user_id: String,
    /// Your stable id for the user, when one was given.
    #[serde(default)]
    pub username: Option<String>,
    /// `new` until an authenticator is registered, then `active`.
    pub status: UserStatus,
    /// ISO-8601 UTC.
    #[serde(default)]
    pub created_at: Option<String>,
    /// ISO-8601 UTC.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Registered authenticators.
    #[serde(default)]
    pub authenticators: Vec<Authenticator>,
}

/// The QR code to show the user (a PNG as a data URI).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QrCode {
    /// The vendor's `type`, `image/png`.
    #[serde(rename = "type", default)]
    pub image_type: Option<String>,
    /// Width and height in pixels.
    #[serde(default)]
    pub size: Option<u32>,
    /// `data:image/png;base64,...`, usable as an `<img src>`.
    pub data_uri: String,
}

impl QrCode {
    /// Decodes the data URI into the PNG file's bytes (to save or hand to an image view).
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
    let (header, payload) = data_uri
        .split_once(',')
        .ok_or_else(|| Error::MalformedResponse { reason: "QR code data URI has no `,`".into() })?;
    let header = header.to_ascii_lowercase();
    if !header.starts_with("data:image/png") || !header.ends_with(";base64") {
        return Err(Error::MalformedResponse { reason: "QR code is not a base64 PNG data URI".into() });
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(payload.trim())
        .map_err(|e| Error::MalformedResponse { reason: format!("QR code base64: {e}") })?;
    if !bytes.starts_with(PNG_SIGNATURE) {
        return Err(Error::MalformedResponse { reason: "QR code data is not a PNG".into() });
    }
    Ok(bytes)
}

/// The registration the user completes on the phone.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Enrollment {
    /// The operation's id.
    pub transaction_id: String,
    /// Poll `status` with it.
    pub status_token: SecretString,
    /// Show it as an image.
    pub qr_code: QrCode,
    /// Show it as a link (opens the authenticator app). It carries a dispatch token that
    /// lets whoever opens it complete the registration: show it only to the user.
    pub app_link_uri: String,
}

impl fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enrollment")
            .field("transaction_id", &self.transaction_id)
            .field("status_token", &self.status_token)
            .field("qr_code", &self.qr_code)
            .field("app_link_uri", &redact_query(&self.app_link_uri))
            .finish()
    }
}

/// `https://host/open?dispatchTokenResponse=...` → `https://host/open?[redacted]`.
pub(crate) fn redact_query(uri: &str) -> String {
    match uri.split_once('?') {
        Some((base, _)) => format!("{base}?{}", crate::secret::REDACTED),
        None => uri.to_owned(),
    }
}

/// Answer of [`crate::Client::enroll`]: the user and the registration to complete.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EnrollResponse {
    /// The (new or existing) user.
    #[serde(flatten)]
    pub user: User,
    /// What to show the user, and the status token to poll.
    pub enrollment: Enrollment,
}

// ---------------------------------------------------------------------------------------
// status
// ---------------------------------------------------------------------------------------

/// Answer of `POST /api/v1/status`. Only `status` is always present.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusResponse {
    /// The operation's id.
    #[serde(default)]
    pub transaction_id: Option<String>,
    /// Where the operation stands.
    pub status: TransactionStatus,
    /// The user the operation is for.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The user's username.
    #[serde(default)]
    pub username: Option<String>,
    /// The transaction token, to check with `introspect`.
    #[serde(default)]
    pub token: Option<SecretString>,
    /// ISO-8601 UTC.
    #[serde(default)]
    pub created_at: Option<String>,
    /// ISO-8601 UTC.
    #[serde(default)]
    pub last_updated_at: Option<String>,
}

// ---------------------------------------------------------------------------------------
// introspect
// ---------------------------------------------------------------------------------------

/// Answer of `POST /api/v1/introspect` (RFC 7662 style).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Introspection {
    /// `false` ⇒ do not trust the token.
    pub active: bool,
    /// Issued-at, as the server sent it (its unit, s or ms, is not documented).
    #[serde(default)]
    pub iat: Option<i64>,
    /// Subject: for a transaction token, the user id.
    #[serde(default)]
    pub sub: Option<String>,
    /// Audience(s), e.g. `["api"]` (a single string on the wire becomes one element).
    #[serde(default, deserialize_with = "string_or_list")]
    pub aud: Vec<String>,
    /// Issuer, e.g. `https://{instance}.mauth.nevis.cloud/`.
    #[serde(default)]
    pub iss: Option<String>,
    /// Not-before, raw.
    #[serde(default)]
    pub nbf: Option<i64>,
    /// Expiry, raw.
    #[serde(default)]
    pub exp: Option<i64>,
    /// Token id.
    #[serde(default)]
    pub jti: Option<String>,
    /// Scope.
    #[serde(default)]
    pub scope: Option<String>,
}

fn string_or_list<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(one)) => vec![one],
        Some(OneOrMany::Many(many)) => many,
    })
}

// ---------------------------------------------------------------------------------------
// intent
// ---------------------------------------------------------------------------------------

/// Input of [`crate::Client::create_intent`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentRequest {
    /// The user the token is bound to.
    pub user: UserRef,
    /// What the token allows.
    pub operation: IntentOperation,
    /// Allowed channels (`app`, `push`, `sms`); empty = server default.
    pub channels: Vec<Channel>,
}

impl IntentRequest {
    /// An intent to enroll the given user.
    pub fn enroll(user: UserRef) -> Self {
        Self { user, operation: IntentOperation::Enroll, channels: Vec::new() }
    }

    pub(crate) fn to_wire(&self) -> Result<serde_json::Value> {
        self.user.validate()?;
        if let Some(bad) = self.channels.iter().find(|c| !matches!(c, Channel::App | Channel::Push | Channel::Sms)) {
            return Err(Error::invalid(
                "channels",
                format!("`{}` is not allowed for intents (app, push, sms)", bad.as_str()),
            ));
        }
        let mut body = serde_json::Map::new();
        match &self.user {
            UserRef::Username(name) => body.insert("username".into(), name.as_str().into()),
            UserRef::UserId(id) => body.insert("userId".into(), id.as_str().into()),
        };
        body.insert("operation".into(), serde_json::to_value(self.operation).expect("enum serialises"));
        if !self.channels.is_empty() {
            body.insert("channels".into(), serde_json::to_value(&self.channels).expect("enum serialises"));
        }
        Ok(serde_json::Value::Object(body))
    }
}

#[derive(Deserialize)]
pub(crate) struct IntentResponse {
    pub token: SecretString,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse_leniently() {
        let s: StatusResponse = serde_json::from_str(r#"{"status":"expired","extra":1}"#).unwrap();
        assert_eq!(s.status, TransactionStatus::Other("expired".into()));
        assert!(s.status.is_final());
        let s: StatusResponse = serde_json::from_str(r#"{"status":"pending","token":"t"}"#).unwrap();
        assert!(!s.status.is_final());
        assert!(!format!("{s:?}").contains("\"t\""));
    }

    #[test]
    fn username_rules() {
        assert!(validate_username("u12345").is_ok());
        assert!(validate_username("a.b-c_d@e").is_ok());
        assert!(validate_username(&"a".repeat(300)).is_ok());
        assert!(validate_username(&"a".repeat(301)).is_err());
        assert!(validate_username("").is_err());
        assert!(validate_username("a b").is_err());
        assert!(validate_username("ä").is_err());
    }

    #[test]
    fn audience_is_string_or_list() {
        let i: Introspection = serde_json::from_str(r#"{"active":true,"aud":"api","iat":1642436165000}"#).unwrap();
        assert_eq!(i.aud, vec!["api".to_string()]);
        assert_eq!(i.iat, Some(1642436165000));
        let i: Introspection = serde_json::from_str(r#"{"active":false}"#).unwrap();
        assert!(!i.active && i.aud.is_empty());
    }

    #[test]
    fn png_data_uri() {
        let uri = format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(b"\x89PNG\r\n\x1a\nrest")
        );
        assert_eq!(decode_png_data_uri(&uri).unwrap().len(), 12);
        assert!(decode_png_data_uri("data:image/gif;base64,AAAA").is_err());
        assert!(decode_png_data_uri("nonsense").is_err());
    }

    #[test]
    fn enrollment_debug_hides_tokens() {
        let e: EnrollResponse = serde_json::from_value(serde_json::json!({
            "userId": "7e16ba00-92e2-4fcb-b30e-1af8fdc843aa", "username": "u1", "status": "new",
            "authenticators": [],
            "enrollment": {"transactionId": "t1", "statusToken": "SECRET-STATUS",
                "qrCode": {"type": "image/png", "size": 300, "dataUri": "data:image/png;base64,AAAA"},
                "appLinkUri": "https://x/open?dispatchTokenResponse=SECRET-DISPATCH"}
        }))
        .unwrap();
        let printed = format!("{e:?}");
        assert!(!printed.contains("SECRET"), "{printed}");
        assert_eq!(e.user.status, UserStatus::New);
    }
}
