//! `POST /api/v1/approval`: ask the user to confirm with a registered authenticator — a
//! login, a payment — by push notification to the app, by QR code / deep link, or by a code
//! sent in an SMS to the registered phone.
//!
//! Then poll `status` with the returned token and verify exactly as for an enrollment (an
//! SMS approval is decided by [`Client::verify_code`] with its status token first). A
//! *usernameless* approval names no user: whoever scans its QR code with their app approves
//! it, and the final `status` names that user.
//! An approval is never re-sent once it may have reached the server: a second push on the
//! user's phone is a real harm (the user may approve the wrong one, or give up).

use crate::client::Client;
use crate::endpoint::APPROVAL;
use crate::error::{Error, Result};
use crate::lenient::{Object, malformed};
use crate::message_rules::validate_message;
use crate::model::{Channel, UserRef};
use crate::responses::{DeepLink, OperationStatus, QrCode, fill, json, present};
use crate::secret::SecretString;
use crate::sms_rules::validate_sms_message;
use crate::transport::{Call, Payload};

/// The longest notification text accepted (the vendor documents none).
pub const MAX_NOTIFICATION_CHARS: usize = 1_000;

/// Input of [`Client::approve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRequest {
    /// The user to ask; `None` only for a usernameless `App` approval
    /// ([`ApprovalRequest::usernameless`]).
    pub user: Option<UserRef>,
    /// `Push` (to the app on the phone; the default), `App` (a QR code and deep link to
    /// show, as for an enrollment) or `Sms` (a code to the registered phone, then
    /// [`Client::verify_code`]).
    pub channel: Channel,
    /// Which authenticator to ask; `None` lets the server choose, `"*"` means any (`App`
    /// channel only).
    pub authenticator_id: Option<String>,
    /// Whether the app shows `message` and asks to confirm it (default false; not for SMS).
    pub prompt: bool,
    /// What the app shows: plain text, or `<html>…</html>` with only `<b> <br> <em> <i>
    /// <strong> <u>` (checked before sending). Required when `prompt` is true. For `Sms`:
    /// the SMS text, GSM 7-bit only, holding `{{CODE}}` (none = the cloud's default text).
    pub message: Option<String>,
    /// The text of the phone's notification (push; not for SMS).
    pub notification_message: Option<String>,
}

impl ApprovalRequest {
    /// A push approval to the user's app.
    pub fn push(user: UserRef) -> Self {
        ApprovalRequest { user: Some(user), channel: Channel::Push, ..ApprovalRequest::usernameless() }
    }

    /// An approval shown as a QR code / deep link (like an enrollment).
    pub fn app(user: UserRef) -> Self {
        ApprovalRequest { channel: Channel::App, ..ApprovalRequest::push(user) }
    }

    /// An approval by a code sent in an SMS to the user's registered phone: check the code
    /// the user types with [`Client::verify_code`] and the answer's status token. Polling
    /// does not decide it (the status stays `pending` until the code is checked).
    pub fn sms(user: UserRef) -> Self {
        ApprovalRequest { channel: Channel::Sms, ..ApprovalRequest::push(user) }
    }

    /// A usernameless approval (`App` channel, no user named): show its QR code; whoever
    /// scans it with a registered app approves it, and the final `status` answer names that
    /// user ([`OperationStatus::user_id`]). Trust that user only after [`Client::verify`].
    pub fn usernameless() -> Self {
        ApprovalRequest {
            user: None,
            channel: Channel::App,
            authenticator_id: None,
            prompt: false,
            message: None,
            notification_message: None,
        }
    }

    /// Sets the SMS text of an `Sms` approval (GSM 7-bit, with `{{CODE}}`).
    pub fn with_sms_message(mut self, text: impl Into<String>) -> Self {
        self.message = Some(text.into());
        self
    }

    /// Shows `message` in the app and asks the user to confirm it (`prompt`).
    pub fn with_prompt(mut self, message: impl Into<String>) -> Self {
        self.prompt = true;
        self.message = Some(message.into());
        self
    }

    /// Sets the notification's text.
    pub fn with_notification(mut self, text: impl Into<String>) -> Self {
        self.notification_message = Some(text.into());
        self
    }

    /// Asks a specific authenticator (`"*"`: any, `App` channel only).
    pub fn with_authenticator(mut self, authenticator_id: impl Into<String>) -> Self {
        self.authenticator_id = Some(authenticator_id.into());
        self
    }

    /// Checks every rule the vendor documents, before anything is sent.
    pub fn validate(&self) -> Result<()> {
        match &self.user {
            Some(user) => user.validate()?,
            None if self.channel != Channel::App => {
                return Err(Error::invalid("username", "only an app-channel approval may name no user"));
            }
            None if self.authenticator_id.is_some() => {
                return Err(Error::invalid(
                    "authenticatorId",
                    "a usernameless approval cannot choose an authenticator",
                ));
            }
            None => {}
        }
        if !matches!(self.channel, Channel::Push | Channel::App | Channel::Sms) {
            return Err(Error::invalid("channel", "an approval uses push, app or sms"));
        }
        if self.channel == Channel::Sms {
            return self.validate_sms();
        }
        if let Some(id) = &self.authenticator_id {
            if id == "*" && self.channel != Channel::App {
                return Err(Error::invalid("authenticatorId", "`*` (any authenticator) is for the app channel only"));
            }
            if id != "*" && !is_plain_id(id) {
                return Err(Error::invalid("authenticatorId", "must be an id of letters, digits, `-` and `_`"));
            }
        }
        match (&self.message, self.prompt) {
            (Some(message), _) => validate_message(message)?,
            (None, true) => return Err(Error::invalid("message", "is required when prompt is true")),
            (None, false) => {}
        }
        if let Some(text) = &self.notification_message {
            if text.trim().is_empty() || text.chars().count() > MAX_NOTIFICATION_CHARS {
                return Err(Error::invalid(
                    "notificationMessage",
                    format!("must be 1 to {MAX_NOTIFICATION_CHARS} characters"),
                ));
            }
            if text.chars().any(char::is_control) {
                return Err(Error::invalid("notificationMessage", "must not contain control characters"));
            }
        }
        Ok(())
    }

    /// The SMS channel's rules: the text is an SMS (`{{CODE}}`, GSM 7-bit), nothing is
    /// shown in an app.
    fn validate_sms(&self) -> Result<()> {
        if self.prompt {
            return Err(Error::invalid("prompt", "an SMS approval shows nothing in an app"));
        }
        if self.notification_message.is_some() {
            return Err(Error::invalid("notificationMessage", "an SMS approval sends no push notification"));
        }
        match self.authenticator_id.as_deref() {
            Some("*") => {
                return Err(Error::invalid("authenticatorId", "`*` (any authenticator) is for the app channel only"));
            }
            Some(id) if !is_plain_id(id) => {
                return Err(Error::invalid("authenticatorId", "must be an id of letters, digits, `-` and `_`"));
            }
            _ => {}
        }
        match &self.message {
            Some(text) => validate_sms_message(text),
            None => Ok(()),
        }
    }

    pub(crate) fn to_wire(&self) -> Result<serde_json::Value> {
        self.validate()?;
        let mut body = serde_json::Map::new();
        if let Some(user) = &self.user {
            user.write_to(&mut body);
        }
        body.insert("channel".into(), self.channel.as_str().into());
        if let Some(id) = &self.authenticator_id {
            body.insert("authenticatorId".into(), id.as_str().into());
        }
        if self.channel != Channel::Sms {
            body.insert("prompt".into(), self.prompt.into());
        }
        if let Some(message) = &self.message {
            body.insert("message".into(), message.as_str().into());
        }
        if let Some(text) = &self.notification_message {
            body.insert("notificationMessage".into(), text.as_str().into());
        }
        Ok(serde_json::Value::Object(body))
    }
}

/// Ids that can travel in a path or a body unescaped: letters, digits, `-`, `_`.
pub(crate) fn is_plain_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Answer of [`Client::approve`]: the operation to poll and verify.
// Debug is derived: the fields redact themselves (SecretString, QrCode, DeepLink).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalResult {
    /// The operation's id (from the `status` answer when the approval's lacked it; empty
    /// only when [`ApprovalResult::ids_missing`]).
    pub transaction_id: String,
    /// Poll `status` with it; verify with it.
    pub status_token: SecretString,
    /// For the `app` channel: the QR code to show.
    pub qr_code: Option<QrCode>,
    /// For the `app` channel: the deep link (checked before use, see [`DeepLink`]).
    pub app_link_uri: Option<DeepLink>,
    /// True only when the server's answer lacked the transaction id **and** the `status`
    /// lookup that supplies it failed (or did not carry it either): `transaction_id` is then
    /// empty. The approval was sent all the same — never send it again; poll and verify its
    /// status token (the final status carries the id).
    pub ids_missing: bool,
}

impl ApprovalResult {
    /// Reads an `approval` answer. Fails only when the status token is missing; a missing
    /// transaction id is left empty and flagged in [`ApprovalResult::ids_missing`]
    /// ([`Client::approve`] fills it from a `status` answer). The field names of the QR
    /// code and deep link are not documented by the vendor: they are read as in `enroll`
    /// (top level, or inside `approval`/`enrollment`).
    pub fn from_json(body: &[u8]) -> Result<Self> {
        const WHAT: &str = "approval answer";
        let value = json(WHAT, body)?;
        let root = Object::root(WHAT, &value)?;
        // Accept the fields at the top level or one level down, wherever the server puts them.
        let holder = if root.get("statusToken").is_some() {
            root
        } else {
            ["approval", "enrollment", "transaction"]
                .iter()
                .find_map(|key| root.object(key).filter(|o| o.get("statusToken").is_some()))
                .ok_or_else(|| malformed(format!("{WHAT} lacks `statusToken`")))?
        };
        let status_token = SecretString::new(holder.required_text("statusToken", "statusToken")?);
        let transaction_id = present(holder.text("transactionId").or_else(|| root.text("transactionId")));
        let qr_code = holder.object("qrCode").map(|qr| QrCode::read(Some(qr)));
        let app_link_uri = holder.text("appLinkUri").map(DeepLink::new);
        let ids_missing = transaction_id.is_empty();
        Ok(ApprovalResult { transaction_id, status_token, qr_code, app_link_uri, ids_missing })
    }

    /// Takes the transaction id the answer lacked from the operation's `status` answer.
    pub(crate) fn fill_ids(&mut self, status: &OperationStatus) {
        fill(&mut self.transaction_id, &status.transaction_id);
        self.ids_missing = self.transaction_id.is_empty();
    }
}

impl Client {
    /// `POST /api/v1/approval`: asks the user to confirm with a registered authenticator.
    /// Then [`Client::wait_for_completion`] and [`Client::verify`] its status token, as for
    /// an enrollment.
    ///
    /// Needs the access key or an intent token for `approve`. Checked locally first (the
    /// message rules, above all). Never re-sent once it may have reached the server: only
    /// after a connect failure, a 429, or a 503 that carries `Retry-After` (a bare 503 may
    /// come from a gateway that forwarded the approval). Not sent with less than the send
    /// floor left after waiting for a request slot (then a `Timeout` with `not_sent`). An
    /// answer with the status token but without the transaction id is completed from a
    /// `status` answer; if that fails too, it is returned with
    /// [`ApprovalResult::ids_missing`] set.
    pub async fn approve(&self, request: &ApprovalRequest) -> Result<ApprovalResult> {
        let body = request.to_wire()?;
        let call = Call {
            operation: "approve",
            endpoint: APPROVAL,
            path: None,
            payload: Payload::Json(body),
            bearer: Some(self.credential_for("approve")?),
            secrets: Vec::new(),
        };
        let deadline = self.transport.call_deadline();
        let mut approval = self.transport.send_parsed_by(&call, deadline, ApprovalResult::from_json).await?;
        if approval.ids_missing {
            if let Some(status) = self.ids_from_status("approve", &approval.status_token, deadline).await {
                approval.fill_ids(&status);
            }
        }
        Ok(approval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> UserRef {
        UserRef::Username("alice".into())
    }

    #[test]
    fn requests_are_checked_before_sending() {
        assert!(ApprovalRequest::push(alice()).to_wire().is_ok());
        let prompt_without_message = ApprovalRequest { prompt: true, ..ApprovalRequest::push(alice()) };
        assert!(prompt_without_message.to_wire().unwrap_err().to_string().contains("is required when prompt is true"));
        let any_on_push = ApprovalRequest::push(alice()).with_authenticator("*");
        assert!(any_on_push.to_wire().is_err());
        assert!(ApprovalRequest::app(alice()).with_authenticator("*").to_wire().is_ok());
        assert!(ApprovalRequest::push(alice()).with_authenticator("../x").to_wire().is_err());
        let bad = ApprovalRequest::push(alice()).with_prompt("<html><img src=x></html>");
        assert!(bad.to_wire().unwrap_err().to_string().contains("tag <img> is not allowed"));
        let fido2 = ApprovalRequest { channel: Channel::Fido2, ..ApprovalRequest::push(alice()) };
        assert!(fido2.to_wire().is_err());
        let wire = ApprovalRequest::push(alice())
            .with_prompt("<html>Log in to <b>Acme</b>?</html>")
            .with_notification("Acme login")
            .to_wire()
            .unwrap();
        assert_eq!(
            wire,
            serde_json::json!({"username": "alice", "channel": "push", "prompt": true,
                "message": "<html>Log in to <b>Acme</b>?</html>", "notificationMessage": "Acme login"})
        );
    }

    #[test]
    fn sms_approvals_send_an_sms_text_and_nothing_for_an_app() {
        let wire = ApprovalRequest::sms(alice()).with_sms_message("Code: {{CODE}}").to_wire().unwrap();
        assert_eq!(wire, serde_json::json!({"username": "alice", "channel": "sms", "message": "Code: {{CODE}}"}));
        let field = |request: ApprovalRequest| match request.to_wire().unwrap_err() {
            Error::InvalidInput { field, .. } => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(ApprovalRequest::sms(alice()).with_sms_message("no placeholder")), "message");
        assert_eq!(field(ApprovalRequest::sms(alice()).with_sms_message("Code {{CODE}} ✓")), "message");
        assert_eq!(field(ApprovalRequest::sms(alice()).with_prompt("Log in?")), "prompt");
        assert_eq!(field(ApprovalRequest::sms(alice()).with_notification("Acme")), "notificationMessage");
        assert_eq!(field(ApprovalRequest::sms(alice()).with_authenticator("*")), "authenticatorId");
    }

    #[test]
    fn usernameless_approvals_name_no_user_and_use_the_app_channel() {
        let wire = ApprovalRequest::usernameless().to_wire().unwrap();
        assert_eq!(wire, serde_json::json!({"channel": "app", "prompt": false}));
        let on_push = ApprovalRequest { channel: Channel::Push, ..ApprovalRequest::usernameless() };
        assert!(on_push.to_wire().unwrap_err().to_string().contains("only an app-channel approval may name no user"));
        assert!(ApprovalRequest::usernameless().with_authenticator("*").to_wire().is_err());
        assert!(ApprovalRequest::usernameless().with_prompt("Log in to Acme?").to_wire().is_ok());
    }

    #[test]
    fn answers_read_flat_or_nested() {
        let flat = ApprovalResult::from_json(br#"{"transactionId": "t", "statusToken": "s"}"#).unwrap();
        assert_eq!((flat.transaction_id.as_str(), flat.status_token.expose()), ("t", "s"));
        assert!(flat.qr_code.is_none() && flat.app_link_uri.is_none());
        let nested = ApprovalResult::from_json(
            br#"{"userId": "u", "approval": {"transactionId": "t", "statusToken": "s", "qrCode": {"dataUri": "x"}, "appLinkUri": "https://a.example/open?x"}}"#,
        )
        .unwrap();
        assert_eq!(nested.qr_code.unwrap().data_uri, "x");
        assert!(nested.app_link_uri.unwrap().is_valid());
        assert!(ApprovalResult::from_json(br#"{"transactionId": "t"}"#).is_err());
        // Without its transaction id the token is kept, the id flagged as missing, then filled.
        let mut partial = ApprovalResult::from_json(br#"{"statusToken": "s"}"#).unwrap();
        assert_eq!((partial.transaction_id.as_str(), partial.status_token.expose()), ("", "s"));
        assert!(partial.ids_missing);
        partial.fill_ids(&OperationStatus::from_json(br#"{"status": "pending", "transactionId": "t"}"#).unwrap());
        assert_eq!(partial.transaction_id, "t");
        assert!(!partial.ids_missing);
    }
}
