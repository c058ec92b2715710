//! Every endpoint of the API, each written once: its method and path template, and the
//! one way to fill a template (`/api/v1/users/{userId}`) with a checked id.
//!
//! Errors and logs name the template, never the filled-in path (an id in a log line is
//! personal data). The sending rules per endpoint are in `rules.rs`.

use std::fmt;

/// Where a request went: `POST /api/v1/users/enroll`. Errors name it, never its
/// arguments (a path template such as `/api/v1/users/{userId}` stays a template).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// The HTTP method.
    pub method: &'static str,
    /// The path, with a leading slash; at most one `{…}` placeholder.
    pub path: &'static str,
    /// Which use of a shared path this is, when its sending rules differ (`sms` for an SMS
    /// enrollment: a second one costs money); empty otherwise.
    pub variant: &'static str,
}

impl Endpoint {
    /// An endpoint of the API.
    pub const fn new(method: &'static str, path: &'static str) -> Self {
        Endpoint { method, path, variant: "" }
    }

    /// One use of an endpoint whose sending rules differ from the path's other uses.
    pub const fn variant(method: &'static str, path: &'static str, variant: &'static str) -> Self {
        Endpoint { method, path, variant }
    }

    /// The path with its placeholder replaced by `id`, which the caller has validated as a
    /// plain id (letters, digits, `-`, `_`), so it needs no escaping.
    pub(crate) fn with_id(&self, id: &str) -> String {
        let (start, end) = match (self.path.find('{'), self.path.find('}')) {
            (Some(start), Some(end)) if start < end => (start, end),
            _ => unreachable!("{} has no placeholder", self.path),
        };
        format!("{}{id}{}", &self.path[..start], &self.path[end + 1..])
    }

    /// The path followed by `?` and an already encoded query.
    pub(crate) fn with_query(&self, query: &str) -> String {
        format!("{}?{query}", self.path)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        if !self.variant.is_empty() {
            write!(f, " ({})", self.variant)?;
        }
        Ok(())
    }
}

/// `POST /api/v1/users/enroll`.
pub(crate) const ENROLL: Endpoint = Endpoint::new("POST", "/api/v1/users/enroll");
/// `POST /api/v1/users/enroll` with `channel: sms`: sends an SMS.
pub(crate) const ENROLL_SMS: Endpoint = Endpoint::variant("POST", "/api/v1/users/enroll", "sms");
/// `POST /api/v1/users/enroll` with `channel: recovery`: issues new recovery codes.
pub(crate) const ENROLL_RECOVERY: Endpoint = Endpoint::variant("POST", "/api/v1/users/enroll", "recovery");
/// `POST /api/v1/users/{userId}/verification`: checks an SMS or recovery code.
pub(crate) const VERIFY_CODE: Endpoint = Endpoint::new("POST", "/api/v1/users/{userId}/verification");
/// `POST /api/v1/status`.
pub(crate) const STATUS: Endpoint = Endpoint::new("POST", "/api/v1/status");
/// `POST /api/v1/introspect`.
pub(crate) const INTROSPECT: Endpoint = Endpoint::new("POST", "/api/v1/introspect");
/// `POST /api/v1/intent`.
pub(crate) const INTENT: Endpoint = Endpoint::new("POST", "/api/v1/intent");
/// `POST /api/v1/approval`.
pub(crate) const APPROVAL: Endpoint = Endpoint::new("POST", "/api/v1/approval");
/// `GET /api/v1/users/{userId}`.
pub(crate) const GET_USER: Endpoint = Endpoint::new("GET", "/api/v1/users/{userId}");
/// `GET /api/v1/users?username=…`.
pub(crate) const FIND_USER: Endpoint = Endpoint::new("GET", "/api/v1/users");
/// `DELETE /api/v1/users/{userId}`.
pub(crate) const DELETE_USER: Endpoint = Endpoint::new("DELETE", "/api/v1/users/{userId}");
/// `PATCH /api/v1/authenticators/{authenticatorId}`.
pub(crate) const RENAME_AUTHENTICATOR: Endpoint = Endpoint::new("PATCH", "/api/v1/authenticators/{authenticatorId}");
/// `DELETE /api/v1/authenticators/{authenticatorId}`.
pub(crate) const DELETE_AUTHENTICATOR: Endpoint = Endpoint::new("DELETE", "/api/v1/authenticators/{authenticatorId}");
/// `GET /api/v1/logs/export`.
pub(crate) const LOGS_EXPORT: Endpoint = Endpoint::new("GET", "/api/v1/logs/export");
/// `GET /ping`.
pub(crate) const PING: Endpoint = Endpoint::new("GET", "/ping");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_filled_in_one_place() {
        assert_eq!(GET_USER.with_id("7e16ba00"), "/api/v1/users/7e16ba00");
        assert_eq!(RENAME_AUTHENTICATOR.with_id("a-1"), "/api/v1/authenticators/a-1");
        assert_eq!(FIND_USER.with_query("username=anna"), "/api/v1/users?username=anna");
        assert_eq!(GET_USER.to_string(), "GET /api/v1/users/{userId}");
        assert_eq!(VERIFY_CODE.with_id("u-1"), "/api/v1/users/u-1/verification");
        assert_eq!(ENROLL_SMS.to_string(), "POST /api/v1/users/enroll (sms)");
        assert_ne!(ENROLL_SMS, ENROLL);
    }
}
