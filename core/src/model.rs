//! Enumerations and requests of the Authentication Cloud API, in the vendor's words.
//!
//! Requests are built through validating constructors; answers are read in
//! `responses.rs`. Unknown enum values from a server are kept as `Other(..)`, so a newer
//! server does not break an older SDK.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::redact;
use crate::sanitize::sanitize_with_limit;
use crate::status::MAX_ENUM_VALUE_CHARS;

/// Longest username the API accepts.
pub const MAX_USERNAME_LEN: usize = 300;

// ---------------------------------------------------------------------------------------
// Enumerations
// ---------------------------------------------------------------------------------------

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

impl UserStatus {
    /// Reads a wire value; an unknown one is kept, sanitised.
    pub(crate) fn from_wire(value: String) -> Self {
        match value.as_str() {
            "new" => UserStatus::New,
            "active" => UserStatus::Active,
            _ => UserStatus::Other(sanitize_with_limit(&value, MAX_ENUM_VALUE_CHARS)),
        }
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

    /// Puts the reference into a request body: `username` or `userId`, as the API names
    /// them (the caller has validated it).
    pub(crate) fn write_to(&self, body: &mut serde_json::Map<String, serde_json::Value>) {
        match self {
            UserRef::Username(name) => body.insert("username".into(), name.as_str().into()),
            UserRef::UserId(id) => body.insert("userId".into(), id.as_str().into()),
        };
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
            user.write_to(&mut body);
        }
        Ok(serde_json::Value::Object(body))
    }
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

    /// An intent to start an approval (a login) for the given user from the device.
    pub fn approve(user: UserRef) -> Self {
        Self { user, operation: IntentOperation::Approve, channels: Vec::new() }
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
        self.user.write_to(&mut body);
        body.insert("operation".into(), serde_json::to_value(self.operation).expect("enum serialises"));
        if !self.channels.is_empty() {
            body.insert("channels".into(), serde_json::to_value(&self.channels).expect("enum serialises"));
        }
        Ok(serde_json::Value::Object(body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
