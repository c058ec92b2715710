//! The JSON shapes the vendor API answers with, in its camelCase field names and order.

use serde::Serialize;
use uuid::Uuid;

use crate::state::{Authenticator, Channel, PendingApproval, SentSms, User};
use crate::time::iso8601;

/// An authenticator as `users/{userId}`, `enroll` and `PATCH authenticators/{id}` show it: an
/// app with its platform (`type`) and its `uaf` object, or an SMS number (neither).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AuthenticatorJson {
    pub(crate) authenticator_id: Uuid,
    pub(crate) name: String,
    /// `ios` or `android` (apps only).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub(crate) platform: Option<&'static str>,
    /// `app` or `sms` (the vendor also has `fido2`).
    pub(crate) authenticator_type: &'static str,
    pub(crate) state: &'static str,
    pub(crate) enrolled_at: String,
    pub(crate) updated_at: String,
    /// Apps only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) uaf: Option<UafJson>,
}

/// An app authenticator's `uaf` object: its device and the user's notification setting.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UafJson {
    pub(crate) device_ref: String,
    pub(crate) user_disabled_push_notification: bool,
}

impl From<&Authenticator> for AuthenticatorJson {
    fn from(authenticator: &Authenticator) -> Self {
        let app = authenticator.app();
        AuthenticatorJson {
            authenticator_id: authenticator.authenticator_id,
            name: authenticator.name.clone(),
            platform: app.map(|device| device.platform),
            authenticator_type: authenticator.authenticator_type(),
            state: authenticator.state,
            enrolled_at: iso8601(authenticator.enrolled_at),
            updated_at: iso8601(authenticator.updated_at),
            uaf: app.map(|device| UafJson {
                device_ref: device.device_ref.clone(),
                user_disabled_push_notification: device.push_disabled,
            }),
        }
    }
}

/// `GET /api/v1/users/{userId}`. A user without username shows `"username": null`;
/// `exceededRateLimits` is there only while the user is blocked on a channel.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserJson {
    pub(crate) user_id: Uuid,
    pub(crate) username: Option<String>,
    pub(crate) status: &'static str,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    pub(crate) last_login_date_success: Option<String>,
    pub(crate) last_login_date_failure: Option<String>,
    pub(crate) authenticators: Vec<AuthenticatorJson>,
    /// `push` and / or `sms`, in that order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) exceeded_rate_limits: Vec<&'static str>,
}

impl UserJson {
    /// The user as the users endpoints show it, blocked on the `exceeded` channels.
    pub(crate) fn new(user: &User, exceeded: &[Channel]) -> Self {
        UserJson {
            user_id: user.user_id,
            username: user.username.clone(),
            status: user.status.as_str(),
            created_at: iso8601(user.created_at),
            updated_at: iso8601(user.updated_at),
            last_login_date_success: user.last_login_success.map(iso8601),
            last_login_date_failure: user.last_login_failure.map(iso8601),
            authenticators: user.authenticators.iter().map(AuthenticatorJson::from).collect(),
            exceeded_rate_limits: exceeded.iter().map(|channel| channel.as_str()).collect(),
        }
    }
}

/// `POST /api/v1/users/enroll` → 201, exactly the seed guide's shape (for `sms`, without the
/// QR code and app link).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EnrollResponse {
    pub(crate) user_id: Uuid,
    pub(crate) username: Option<String>,
    pub(crate) status: &'static str,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    pub(crate) authenticators: Vec<AuthenticatorJson>,
    pub(crate) enrollment: EnrollmentJson,
}

/// The `enrollment` object: what the host shows the user and polls with. `qrCode` and
/// `appLinkUri` only for the `app` channel (an SMS enrollment has neither).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EnrollmentJson {
    pub(crate) transaction_id: Uuid,
    pub(crate) status_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) qr_code: Option<QrCodeJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) app_link_uri: Option<String>,
}

/// `POST /api/v1/users/enroll` with `"channel": "recovery"` → 201: the only time the codes
/// are shown. `createdAt` is the user's, as in the other enroll answers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RecoveryCodesResponse {
    pub(crate) user_id: Uuid,
    pub(crate) username: Option<String>,
    pub(crate) recovery_codes: Vec<String>,
    pub(crate) created_at: String,
}

/// One entry of `GET /_emulator/sms` and `GET /_emulator/users/{userId}/sms`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SentSmsJson {
    pub(crate) to: String,
    pub(crate) text: String,
    pub(crate) code: String,
    pub(crate) user_id: String,
    pub(crate) transaction_id: String,
    pub(crate) sent_at: String,
}

impl From<SentSms> for SentSmsJson {
    fn from(sms: SentSms) -> Self {
        SentSmsJson {
            to: sms.to,
            text: sms.text,
            code: sms.code,
            user_id: sms.user_id,
            transaction_id: sms.transaction_id,
            sent_at: iso8601(sms.sent_at),
        }
    }
}

/// `enrollment.qrCode`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QrCodeJson {
    /// Always `image/png`.
    #[serde(rename = "type")]
    pub(crate) media_type: &'static str,
    /// Width and height in pixels (300).
    pub(crate) size: u32,
    pub(crate) data_uri: String,
}

/// `POST /api/v1/approval` → 200: the fields of enroll's `enrollment` object (`qrCode` and
/// `appLinkUri` only for the `app` channel).
pub(crate) type ApprovalResponse = EnrollmentJson;

/// One entry of `GET /_emulator/users/{userId}/approvals`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PendingApprovalJson {
    pub(crate) transaction_id: String,
    pub(crate) channel: String,
    pub(crate) authenticator_id: String,
    pub(crate) prompt: bool,
    pub(crate) message: Option<String>,
    pub(crate) notification_message: Option<String>,
    pub(crate) created_at: String,
}

impl From<PendingApproval> for PendingApprovalJson {
    fn from(pending: PendingApproval) -> Self {
        PendingApprovalJson {
            transaction_id: pending.transaction_id,
            channel: pending.channel,
            authenticator_id: pending.authenticator_id,
            prompt: pending.prompt,
            message: pending.message,
            notification_message: pending.notification_message,
            created_at: iso8601(pending.created_at),
        }
    }
}

/// `POST /api/v1/status` → 200 for a transaction the emulator knows. A usernameless approval
/// has neither `userId` nor `username` until a user approved it; otherwise `username` is
/// there, `null` for a user without one.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StatusResponse {
    pub(crate) transaction_id: Uuid,
    pub(crate) status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) username: Option<Option<String>>,
    pub(crate) token: String,
    pub(crate) created_at: String,
    pub(crate) last_updated_at: String,
}

/// `POST /api/v1/introspect` → 200 for an active token (RFC 7662 style).
#[derive(Debug, Serialize)]
pub(crate) struct IntrospectActive {
    pub(crate) active: bool,
    pub(crate) iat: u64,
    pub(crate) sub: String,
    pub(crate) aud: &'static str,
    pub(crate) iss: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) exp: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) jti: Option<Uuid>,
    pub(crate) scope: String,
}
