//! The code channels: registering a phone number for SMS codes, issuing recovery codes,
//! and checking either kind of code (`POST /api/v1/users/{userId}/verification`).
//!
//! Everything is checked before a request is sent ([`crate::validate_phone`] and the other
//! rules in `sms_rules.rs`): a refused phone number costs a round trip, a malformed code
//! would burn one of the user's attempts. Codes are secrets: they print redacted and are
//! scrubbed from any server text that echoes them. An SMS enrollment and a code check are
//! never re-sent once they may have reached the server (a second SMS costs money, a
//! second check burns an attempt): see the table in `docs/api-notes.md`.

use crate::client::Client;
use crate::endpoint::{ENROLL_RECOVERY, ENROLL_SMS, VERIFY_CODE};
use crate::error::{Error, Result};
use crate::lenient::{Object, malformed};
use crate::model::{Channel, UserRef, validate_user_id};
use crate::responses::{User, json};
use crate::secret::SecretString;
use crate::sms_rules::{validate_phone, validate_recovery_code, validate_sms_code, validate_sms_message};
use crate::transport::{Call, Payload};

/// Registers a phone number for SMS codes: `POST /api/v1/users/enroll` with `channel: sms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsEnrollRequest {
    /// The user (the API requires one for SMS).
    pub user: UserRef,
    /// `+`, the country code and the number (`+41791234567`).
    pub phone: String,
    /// The SMS text, with `{{CODE}}` where the code goes (GSM-7 only); `None` sends the
    /// cloud's default text.
    pub message: Option<String>,
}

impl SmsEnrollRequest {
    /// SMS codes to `phone` for `user`, with the cloud's default text.
    pub fn new(user: UserRef, phone: impl Into<String>) -> Self {
        SmsEnrollRequest { user, phone: phone.into(), message: None }
    }

    /// Sets the SMS text (it must contain `{{CODE}}`).
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    fn to_wire(&self) -> Result<serde_json::Value> {
        let mut body = user_body(&self.user)?;
        validate_phone(&self.phone)?;
        if let Some(message) = &self.message {
            validate_sms_message(message)?;
            body.insert("message".into(), message.as_str().into());
        }
        body.insert("channel".into(), Channel::Sms.as_str().into());
        body.insert("phone".into(), self.phone.as_str().into());
        Ok(serde_json::Value::Object(body))
    }
}

/// The answer of an SMS enrollment: the code is on its way to the phone; check it with
/// [`Client::verify_code`] and [`CodeCheck::Sms`] (this status token and the code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsEnrollResult {
    /// The (new or existing) user.
    pub user: User,
    /// The registration's id (empty only when `ids_missing`).
    pub transaction_id: String,
    /// Identifies the registration in the code check, and polls its status.
    pub status_token: SecretString,
    /// The answer lacked the transaction id or the user id, and the `status` lookup that
    /// supplies them failed too: those ids are empty strings.
    pub ids_missing: bool,
}

/// Newly issued recovery codes: each works once; the set replaces any earlier one. Show
/// them to the user once and do not store them (the cloud keeps what it needs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryCodes {
    /// The user the codes are for.
    pub user_id: String,
    /// Its username, when the answer carried one.
    pub username: Option<String>,
    /// The codes, as secrets (they print `[redacted]`; `expose()` gives the text).
    pub codes: Vec<SecretString>,
}

/// A code to check with `POST /api/v1/users/{userId}/verification`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeCheck {
    /// The code of an SMS, for the registration or approval whose status token it was.
    Sms {
        /// The operation's status token.
        status_token: SecretString,
        /// The digits the user received.
        code: SecretString,
    },
    /// One of the user's recovery codes.
    Recovery {
        /// The code as the user typed it.
        code: SecretString,
    },
}

impl CodeCheck {
    /// Checks the code's format and builds the request body.
    fn to_wire(&self) -> Result<serde_json::Value> {
        Ok(match self {
            CodeCheck::Sms { status_token, code } => {
                validate_sms_code(code.expose())?;
                if status_token.is_empty() {
                    return Err(Error::invalid("status token", "must not be empty"));
                }
                serde_json::json!({ "code": code.expose(), "statusToken": status_token.expose() })
            }
            CodeCheck::Recovery { code } => {
                validate_recovery_code(code.expose())?;
                serde_json::json!({ "code": code.expose(), "channel": Channel::Recovery.as_str() })
            }
        })
    }

    fn secrets(&self) -> Vec<&SecretString> {
        match self {
            CodeCheck::Sms { status_token, code } => vec![code, status_token],
            CodeCheck::Recovery { code } => vec![code],
        }
    }
}

/// What the cloud said of a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeVerdict {
    /// 200: the code is right (an SMS registration or approval has succeeded; a recovery
    /// code is now used up).
    Correct,
    /// 400: the code is wrong, used or expired. The user may try again, within the cloud's
    /// limits (a recovery-code check past them is [`Error::RateLimited`]).
    Incorrect,
}

impl Client {
    /// Registers `request.phone` for SMS codes; the cloud sends the first code at once.
    /// Needs the access key or an intent token. Never re-sent once it may have reached the
    /// server (a second SMS costs money). Once accepted, the answer is returned with its
    /// status token even if its ids are missing (then taken from a `status` answer).
    pub async fn enroll_sms(&self, request: &SmsEnrollRequest) -> Result<SmsEnrollResult> {
        let body = request.to_wire()?;
        let call = Call {
            operation: "enroll_sms",
            endpoint: ENROLL_SMS,
            path: None,
            payload: Payload::Json(body),
            bearer: Some(self.credential_for("enroll_sms")?),
            secrets: Vec::new(),
        };
        let enrolled = self.send_enrollment(&call).await?;
        Ok(SmsEnrollResult {
            user: enrolled.user,
            transaction_id: enrolled.enrollment.transaction_id,
            status_token: enrolled.enrollment.status_token,
            ids_missing: enrolled.ids_missing,
        })
    }

    /// Issues a new set of recovery codes for `user` (replacing any earlier set):
    /// `POST /api/v1/users/enroll` with `channel: recovery`. Needs the access key or an
    /// intent token.
    pub async fn request_recovery_codes(&self, user: &UserRef) -> Result<RecoveryCodes> {
        let mut body = user_body(user)?;
        body.insert("channel".into(), Channel::Recovery.as_str().into());
        let call = Call {
            operation: "request_recovery_codes",
            endpoint: ENROLL_RECOVERY,
            path: None,
            payload: Payload::Json(serde_json::Value::Object(body)),
            bearer: Some(self.credential_for("request_recovery_codes")?),
            secrets: Vec::new(),
        };
        self.transport.send_parsed(&call, RecoveryCodes::from_json).await
    }

    /// Checks an SMS or recovery code of user `user_id`. A wrong code is
    /// `Ok(CodeVerdict::Incorrect)`, not an error. Needs the access key or an intent
    /// token. Never re-sent once it may have reached the server (it would burn an attempt).
    pub async fn verify_code(&self, user_id: &str, check: &CodeCheck) -> Result<CodeVerdict> {
        validate_user_id(user_id)?;
        let body = check.to_wire()?;
        let call = Call {
            operation: "verify_code",
            endpoint: VERIFY_CODE,
            path: Some(VERIFY_CODE.with_id(user_id)),
            payload: Payload::Json(body),
            bearer: Some(self.credential_for("verify_code")?),
            secrets: check.secrets(),
        };
        match self.transport.send(&call).await {
            Ok(_) => Ok(CodeVerdict::Correct),
            Err(Error::Api { status: 400, .. }) => Ok(CodeVerdict::Incorrect),
            Err(other) => Err(other),
        }
    }
}

/// `{"username": …}` or `{"userId": …}`, checked.
fn user_body(user: &UserRef) -> Result<serde_json::Map<String, serde_json::Value>> {
    user.validate()?;
    let mut body = serde_json::Map::new();
    user.write_to(&mut body);
    Ok(body)
}

impl RecoveryCodes {
    /// Reads the answer of a recovery-code request. The codes are looked for where the
    /// emulator puts them (`recoveryCodes`, a list of strings) and, leniently, in a
    /// `recoveryCodes` or `recovery` object's `codes` (the vendor does not document the
    /// shape); no code at all is a malformed answer.
    pub fn from_json(body: &[u8]) -> Result<Self> {
        const WHAT: &str = "recovery codes answer";
        let value = json(WHAT, body)?;
        let root = Object::root(WHAT, &value)?;
        let mut codes = root.text_list("recoveryCodes");
        for holder in ["recoveryCodes", "recovery"] {
            if codes.is_empty() {
                codes = root.object(holder).map(|o| o.text_list("codes")).unwrap_or_default();
            }
        }
        if codes.is_empty() {
            return Err(malformed(format!("{WHAT} lists no codes")));
        }
        Ok(RecoveryCodes {
            user_id: root.text("userId").unwrap_or_default(),
            username: root.text("username"),
            codes: codes.into_iter().map(SecretString::new).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = "7e16ba00-92e2-4fcb-b30e-1af8fdc843aa";

    #[test]
    fn sms_requests_are_checked_before_anything_is_sent() {
        let user = UserRef::Username("anna".into());
        let body = SmsEnrollRequest::new(user.clone(), "+41791234567").with_message("Code {{CODE}}").to_wire().unwrap();
        assert_eq!(
            body,
            serde_json::json!({"username": "anna", "channel": "sms", "phone": "+41791234567", "message": "Code {{CODE}}"})
        );
        let field = |request: SmsEnrollRequest| match request.to_wire() {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(SmsEnrollRequest::new(user.clone(), "0791234567")), "phone");
        assert_eq!(
            field(SmsEnrollRequest::new(user.clone(), "+41791234567").with_message("no placeholder")),
            "message"
        );
        assert_eq!(field(SmsEnrollRequest::new(UserRef::Username("a".repeat(301)), "+41791234567")), "username");
    }

    #[test]
    fn code_checks_have_the_documented_bodies_and_never_show_the_code() {
        let sms = CodeCheck::Sms { status_token: SecretString::new("st"), code: SecretString::new("123456") };
        assert_eq!(sms.to_wire().unwrap(), serde_json::json!({"code": "123456", "statusToken": "st"}));
        let recovery = CodeCheck::Recovery { code: SecretString::new("Ab3dEf6hIj9kLm0p") };
        assert_eq!(recovery.to_wire().unwrap(), serde_json::json!({"code": "Ab3dEf6hIj9kLm0p", "channel": "recovery"}));
        let short = CodeCheck::Recovery { code: SecretString::new("Ab3dEf6hIj9kLm0") };
        let error = short.to_wire().unwrap_err();
        assert!(matches!(error, Error::InvalidInput { field: "code", .. }));
        assert!(!error.to_string().contains("Ab3dEf6hIj9kLm0"));
        assert!(!format!("{recovery:?}").contains("Ab3dEf6hIj9kLm0p"));
        let _ = USER;
    }

    #[test]
    fn recovery_codes_are_read_where_they_are_and_print_redacted() {
        let body =
            br#"{"userId": "u1", "username": "anna", "recoveryCodes": ["Ab3dEf6hIj9kLm0p", "Qr3dEf6hIj9kLm0p"]}"#;
        let codes = RecoveryCodes::from_json(body).unwrap();
        assert_eq!(codes.user_id, "u1");
        assert_eq!(codes.codes.len(), 2);
        assert_eq!(codes.codes[0].expose(), "Ab3dEf6hIj9kLm0p");
        assert!(!format!("{codes:?}").contains("Ab3dEf6hIj9kLm0p"));
        let nested = br#"{"userId": "u1", "recovery": {"codes": ["Ab3dEf6hIj9kLm0p"]}}"#;
        assert_eq!(RecoveryCodes::from_json(nested).unwrap().codes.len(), 1);
        assert!(RecoveryCodes::from_json(br#"{"userId": "u1"}"#).is_err());
    }
}
