//! Approvals (log in / confirm with the registered phone) as records crossing the FFI;
//! the calls themselves are on `Client` / `AsyncClient` (see `operations.rs`).

use std::sync::Arc;

use crate::error::AuthCloudError;
use crate::secret::Secret;
use crate::types::enrollment::{DeepLink, QrCode};
use crate::types::users::user_ref;

/// How the user is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ApprovalChannel {
    /// A push notification to the app on the phone.
    Push,
    /// A QR code / deep link to show, as for an enrollment.
    App,
    /// A code in an SMS to the user's registered phone; the user types it in and
    /// `verify_code` with the answer's status token decides the approval.
    Sms,
}

/// What to ask the user. Give a `username` or a `user_id` — or set `usernameless` (app
/// channel: whoever scans the QR code with a registered app approves, and the final status
/// names them). `message` (shown in the app; plain text, or `<html>…</html>` with only
/// `<b> <br> <em> <i> <strong> <u>`) is checked before anything is sent, and is required
/// when `prompt` is true; for the SMS channel it is the SMS text (GSM 7-bit, with
/// `{{CODE}}`).
#[derive(Debug, Clone, uniffi::Record)]
pub struct ApprovalRequest {
    #[uniffi(default = None)]
    pub username: Option<String>,
    #[uniffi(default = None)]
    pub user_id: Option<String>,
    /// `Push` when not given.
    #[uniffi(default = None)]
    pub channel: Option<ApprovalChannel>,
    /// Which authenticator to ask; `*` = any (app channel only); none lets the server choose.
    #[uniffi(default = None)]
    pub authenticator_id: Option<String>,
    /// Show `message` and ask the user to confirm it.
    #[uniffi(default = false)]
    pub prompt: bool,
    #[uniffi(default = None)]
    pub message: Option<String>,
    /// The phone notification's text.
    #[uniffi(default = None)]
    pub notification_message: Option<String>,
    /// Name no user (app channel only; the channel defaults to app).
    #[uniffi(default = false)]
    pub usernameless: bool,
}

impl ApprovalRequest {
    pub(crate) fn to_core(&self) -> Result<authcloud::ApprovalRequest, AuthCloudError> {
        let user = user_ref(self.username.clone(), self.user_id.clone())?;
        match (&user, self.usernameless) {
            (None, false) => {
                return Err(AuthCloudError::InvalidInput {
                    field: "username".into(),
                    reason: "an approval needs a username or a user id (or usernameless)".into(),
                });
            }
            (Some(_), true) => {
                return Err(AuthCloudError::InvalidInput {
                    field: "usernameless".into(),
                    reason: "a usernameless approval names no username or user id".into(),
                });
            }
            _ => {}
        }
        Ok(authcloud::ApprovalRequest {
            user,
            channel: match self.channel {
                None if self.usernameless => authcloud::Channel::App,
                None | Some(ApprovalChannel::Push) => authcloud::Channel::Push,
                Some(ApprovalChannel::App) => authcloud::Channel::App,
                Some(ApprovalChannel::Sms) => authcloud::Channel::Sms,
            },
            authenticator_id: self.authenticator_id.clone(),
            prompt: self.prompt,
            message: self.message.clone(),
            notification_message: self.notification_message.clone(),
        })
    }
}

/// Answer of `approve`: poll and verify `status_token` as for an enrollment.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ApprovalResult {
    pub transaction_id: String,
    pub status_token: Arc<Secret>,
    /// For the app channel: the QR code to show.
    pub qr_code: Option<Arc<QrCode>>,
    /// For the app channel: the deep link (`href()` is the checked value).
    pub app_link_uri: Option<Arc<DeepLink>>,
    /// True only when the answer lacked the transaction id and the `status` lookup that
    /// supplies it failed: `transaction_id` is then empty. Never send the approval again;
    /// poll and verify the status token.
    pub ids_missing: bool,
}

impl From<authcloud::ApprovalResult> for ApprovalResult {
    fn from(r: authcloud::ApprovalResult) -> Self {
        ApprovalResult {
            transaction_id: r.transaction_id,
            status_token: Secret::wrap(r.status_token),
            qr_code: r.qr_code.map(|qr| Arc::new(QrCode::from(qr))),
            app_link_uri: r.app_link_uri.map(|link| Arc::new(DeepLink::from(link))),
            ids_missing: r.ids_missing,
        }
    }
}

/// Checks an approval `message` against the vendor's rules without sending anything: plain
/// text, or one `<html>…</html>` element using only `<b> <br> <em> <i> <strong> <u>`, no
/// attributes. `approve` runs the same check; call this to validate a form field early.
/// The `InvalidInput` error names the offending tag, attribute or text.
#[uniffi::export]
pub fn validate_approval_message(message: String) -> Result<(), AuthCloudError> {
    authcloud::validate_message(&message).map_err(AuthCloudError::from)
}
