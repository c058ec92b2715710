//! Reading request bodies strictly: the right `Content-Type`, well-formed JSON or form data,
//! and fields of the right type, each failure with its own status (415 / 400).
//!
//! Error messages name the field and the problem but never repeat the client's input.

use http::{HeaderMap, header};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::errors::ApiError;
use crate::state::UserRef;

/// Longest username the vendor accepts.
pub(crate) const MAX_USERNAME_CHARS: usize = 300;

/// Whether the request's `Content-Type` is `essence` (parameters such as `charset` allowed).
fn content_type_is(headers: &HeaderMap, essence: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(essence))
}

/// The body as a JSON object. An empty body counts as `{}`; a non-empty one must be sent as
/// `application/json` (415) and be a well-formed JSON object (400).
pub(crate) fn json_object(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    if !content_type_is(headers, "application/json") {
        return Err(ApiError::unsupported_media_type(
            "the request body must be sent as Content-Type: application/json",
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request("the request body must be a JSON object")),
        Err(err) => Err(ApiError::bad_request(format!(
            "the request body is not valid JSON (line {}, column {})",
            err.line(),
            err.column()
        ))),
    }
}

/// The body as `application/x-www-form-urlencoded` pairs. An empty body has no pairs; a
/// non-empty one must carry that content type (415).
pub(crate) fn form(headers: &HeaderMap, body: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    if body.is_empty() {
        return Ok(Vec::new());
    }
    if !content_type_is(headers, "application/x-www-form-urlencoded") {
        return Err(ApiError::unsupported_media_type(
            "the request body must be sent as Content-Type: application/x-www-form-urlencoded",
        ));
    }
    Ok(url::form_urlencoded::parse(body).into_owned().collect())
}

/// The first value of form field `name`.
pub(crate) fn form_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
}

/// An optional string field; `null` counts as absent, any other non-string is 400.
pub(crate) fn optional_str<'a>(
    object: &'a Map<String, Value>,
    field: &'static str,
) -> Result<Option<&'a str>, ApiError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(_) => Err(ApiError::bad_request(format!("`{field}` must be a string"))),
    }
}

/// An optional boolean field; `null` counts as absent, any other non-boolean is 400.
pub(crate) fn optional_bool(object: &Map<String, Value>, field: &'static str) -> Result<Option<bool>, ApiError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(value)) => Ok(Some(*value)),
        Some(_) => Err(ApiError::bad_request(format!("`{field}` must be a boolean"))),
    }
}

/// An optional `username`: 1..=300 characters from `a-z A-Z 0-9 _ - . @`, else 400.
pub(crate) fn username(object: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    let Some(value) = optional_str(object, "username")? else {
        return Ok(None);
    };
    let length = value.chars().count();
    if length == 0 || length > MAX_USERNAME_CHARS {
        return Err(ApiError::bad_request("`username` must be 1 to 300 characters long"));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@');
    if !value.chars().all(allowed) {
        return Err(ApiError::bad_request("`username` may only contain a-z, A-Z, 0-9, `_`, `-`, `.` and `@`"));
    }
    Ok(Some(value.to_owned()))
}

/// The user a body names by `userId` and / or `username` (each optional, checked as below).
pub(crate) fn user_ref(object: &Map<String, Value>) -> Result<UserRef, ApiError> {
    Ok(UserRef { user_id: user_id(object)?, username: username(object)? })
}

/// An optional `userId`, which must be a UUID (400 otherwise).
fn user_id(object: &Map<String, Value>) -> Result<Option<Uuid>, ApiError> {
    optional_str(object, "userId")?
        .map(|value| Uuid::parse_str(value).map_err(|_| ApiError::bad_request("`userId` must be a UUID")))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use serde_json::json;

    fn json_headers(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn content_type_rules() {
        assert!(json_object(&HeaderMap::new(), b"").is_ok());
        assert_eq!(json_object(&HeaderMap::new(), b"{}").unwrap_err().status, 415);
        assert!(json_object(&json_headers("Application/JSON; charset=utf-8"), b"{}").is_ok());
        assert_eq!(json_object(&json_headers("text/plain"), b"{}").unwrap_err().status, 415);
        assert_eq!(json_object(&json_headers("application/json"), b"{").unwrap_err().status, 400);
        assert_eq!(json_object(&json_headers("application/json"), b"[]").unwrap_err().status, 400);
    }

    #[test]
    fn username_rules() {
        let ok = json!({"username": "first.last@example-1_x"});
        assert!(username(ok.as_object().unwrap()).is_ok());
        for bad in [json!(""), json!("a b"), json!("ü"), json!("x".repeat(301)), json!(5)] {
            let object = json!({ "username": bad });
            assert!(username(object.as_object().unwrap()).is_err());
        }
        let max = json!({"username": "x".repeat(300)});
        assert!(username(max.as_object().unwrap()).is_ok());
    }
}
