//! Managing users and their authenticators: look a user up (by id or username), delete a
//! user, rename or delete an authenticator (a lost phone), and `ping`.
//!
//! Reads are safe to repeat and are retried; deletes are not re-sent after a timeout, a
//! reset or a 502/504 (a retried delete that had already succeeded would answer 404 and
//! misreport the outcome), only after a connect failure, 429 or 503; a rename (PATCH with
//! the same name) is safe to repeat. The rules are `rules::RULES`. Ids go into paths only
//! after a format check.

use crate::approval::is_plain_id;
use crate::client::Client;
use crate::endpoint::{DELETE_AUTHENTICATOR, DELETE_USER, Endpoint, FIND_USER, GET_USER, PING, RENAME_AUTHENTICATOR};
use crate::error::{Error, Result};
use crate::lenient::{Object, malformed};
use crate::model::{validate_user_id, validate_username};
use crate::responses::{Authenticator, User, json};
use crate::transport::{Call, Payload};

/// Longest authenticator name accepted.
pub const MAX_AUTHENTICATOR_NAME_CHARS: usize = 100;

/// How a delete ended. Deleting what is already gone is not an error: the caller wanted it
/// gone, and it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// It existed and was deleted (HTTP 204).
    Deleted,
    /// There was nothing to delete (HTTP 404).
    NotFound,
}

impl User {
    /// Reads a user answer (`GET /api/v1/users/{userId}`, or one user of a search).
    pub fn from_json(body: &[u8]) -> Result<Self> {
        let value = json("user answer", body)?;
        User::read(&Object::root("user answer", &value)?)
    }
}

/// The first user of a search answer: a user object, a list of users, or an object holding
/// a list (`users`, `items`, `content`, `data`) — the vendor does not document the shape.
fn first_user(body: &[u8]) -> Result<Option<User>> {
    const WHAT: &str = "user search answer";
    let value = json(WHAT, body)?;
    let list = match &value {
        serde_json::Value::Array(items) => Some(items.as_slice()),
        serde_json::Value::Object(map) if !map.contains_key("userId") => ["users", "items", "content", "data"]
            .iter()
            .find_map(|key| map.get(*key).and_then(serde_json::Value::as_array))
            .map(Vec::as_slice),
        _ => None,
    };
    match list {
        Some([]) => Ok(None),
        Some([first, ..]) => Ok(Some(User::read(&Object::root(WHAT, first)?)?)),
        None => match &value {
            serde_json::Value::Object(_) => Ok(Some(User::read(&Object::root(WHAT, &value)?)?)),
            _ => Err(malformed(format!("{WHAT} is neither a user nor a list of users"))),
        },
    }
}

fn check_authenticator_id(id: &str) -> Result<()> {
    if is_plain_id(id) {
        Ok(())
    } else {
        Err(Error::invalid("authenticatorId", "must be an id of letters, digits, `-` and `_`"))
    }
}

impl Client {
    fn management_call(
        &self,
        operation: &'static str,
        endpoint: Endpoint,
        path: String,
        payload: Payload,
    ) -> Result<Call<'_>> {
        Ok(Call {
            operation,
            endpoint,
            path: Some(path),
            payload,
            bearer: Some(self.require_access_key(operation)?),
            secrets: Vec::new(),
        })
    }

    /// `GET /api/v1/users/{userId}`: the user and its authenticators. A `NotFound` error
    /// when there is no such user.
    pub async fn get_user(&self, user_id: &str) -> Result<User> {
        validate_user_id(user_id)?;
        let call = self.management_call("get_user", GET_USER, GET_USER.with_id(user_id), Payload::None)?;
        self.transport.send_parsed(&call, User::from_json).await
    }

    /// `GET /api/v1/users?username=…`: the user with this username, or `None`.
    pub async fn find_user(&self, username: &str) -> Result<Option<User>> {
        validate_username(username)?;
        let query: String =
            url::form_urlencoded::Serializer::new(String::new()).append_pair("username", username).finish();
        let call = self.management_call("find_user", FIND_USER, FIND_USER.with_query(&query), Payload::None)?;
        match self.transport.send(&call).await {
            Ok(body) => first_user(&body).map_err(|e| e.in_answer_of(FIND_USER)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// `DELETE /api/v1/users/{userId}`: deletes the user and its authenticators.
    pub async fn delete_user(&self, user_id: &str) -> Result<DeleteOutcome> {
        validate_user_id(user_id)?;
        let call = self.management_call("delete_user", DELETE_USER, DELETE_USER.with_id(user_id), Payload::None)?;
        deleted(self.transport.send(&call).await)
    }

    /// `PATCH /api/v1/authenticators/{authenticatorId}` with `{"name"}`: renames an
    /// authenticator ("Anna's phone"). Returns it when the server answers with it.
    pub async fn rename_authenticator(&self, authenticator_id: &str, name: &str) -> Result<Option<Authenticator>> {
        check_authenticator_id(authenticator_id)?;
        let trimmed = name.trim();
        if trimmed.is_empty()
            || trimmed.chars().count() > MAX_AUTHENTICATOR_NAME_CHARS
            || trimmed.chars().any(char::is_control)
        {
            return Err(Error::invalid(
                "name",
                format!("must be 1 to {MAX_AUTHENTICATOR_NAME_CHARS} printable characters"),
            ));
        }
        let call = self.management_call(
            "rename_authenticator",
            RENAME_AUTHENTICATOR,
            RENAME_AUTHENTICATOR.with_id(authenticator_id),
            Payload::Json(serde_json::json!({ "name": trimmed })),
        )?;
        let body = self.transport.send(&call).await?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let value = json("rename answer", &body).map_err(|e| e.in_answer_of(RENAME_AUTHENTICATOR))?;
        Ok(Object::root("rename answer", &value).ok().and_then(|o| Authenticator::read(&o)))
    }

    /// `DELETE /api/v1/authenticators/{authenticatorId}`: forgets a (lost) phone.
    pub async fn delete_authenticator(&self, authenticator_id: &str) -> Result<DeleteOutcome> {
        check_authenticator_id(authenticator_id)?;
        let call = self.management_call(
            "delete_authenticator",
            DELETE_AUTHENTICATOR,
            DELETE_AUTHENTICATOR.with_id(authenticator_id),
            Payload::None,
        )?;
        deleted(self.transport.send(&call).await)
    }

    /// `GET /ping`: is the instance reachable (it answers `PONG`)? Needs no credential.
    pub async fn ping(&self) -> Result<()> {
        let call = Call {
            operation: "ping",
            endpoint: PING,
            path: None,
            payload: Payload::None,
            bearer: None,
            secrets: Vec::new(),
        };
        let body = self.transport.send(&call).await?;
        if String::from_utf8_lossy(&body).trim().eq_ignore_ascii_case("pong") {
            Ok(())
        } else {
            Err(Error::MalformedResponse { endpoint: Some(PING), reason: "the answer is not PONG".into() })
        }
    }
}

fn deleted(result: Result<Vec<u8>>) -> Result<DeleteOutcome> {
    match result {
        Ok(_) => Ok(DeleteOutcome::Deleted),
        Err(Error::NotFound { .. }) => Ok(DeleteOutcome::NotFound),
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_read_whatever_shape_holds_the_user() {
        let user = br#"{"userId": "7e16ba00-92e2-4fcb-b30e-1af8fdc843aa", "username": "a"}"#;
        assert_eq!(first_user(user).unwrap().unwrap().username.as_deref(), Some("a"));
        let list = br#"[{"userId": "u1"}, {"userId": "u2"}]"#;
        assert_eq!(first_user(list).unwrap().unwrap().user_id, "u1");
        let wrapped = br#"{"users": [{"userId": "u3"}], "total": 1}"#;
        assert_eq!(first_user(wrapped).unwrap().unwrap().user_id, "u3");
        assert_eq!(first_user(b"[]").unwrap(), None);
        assert_eq!(first_user(br#"{"items": []}"#).unwrap(), None);
        assert!(first_user(b"42").is_err());
    }
}
