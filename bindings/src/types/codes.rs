//! The code channels: an SMS enrollment's answer, recovery codes, and a code to check.

use std::sync::Arc;

use crate::secret::Secret;
use crate::types::users::User;

/// Answer of `enroll_sms`: the code is on its way; check it with `verify_code` and
/// `CodeCheck.Sms` (this status token and the code the user received).
#[derive(Debug, Clone, uniffi::Record)]
pub struct SmsEnrollResult {
    pub user: User,
    pub transaction_id: String,
    pub status_token: Arc<Secret>,
    /// The answer lacked an id and the `status` lookup failed too: those ids are empty.
    pub ids_missing: bool,
}

impl From<authcloud::SmsEnrollResult> for SmsEnrollResult {
    fn from(result: authcloud::SmsEnrollResult) -> Self {
        SmsEnrollResult {
            user: result.user.into(),
            transaction_id: result.transaction_id,
            status_token: Secret::wrap(result.status_token),
            ids_missing: result.ids_missing,
        }
    }
}

/// Newly issued recovery codes (each works once; they replace any earlier set). They print
/// redacted: show them to the user once with `reveal()`, and do not store them.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RecoveryCodes {
    pub user_id: String,
    pub username: Option<String>,
    pub codes: Vec<Arc<Secret>>,
}

impl From<authcloud::RecoveryCodes> for RecoveryCodes {
    fn from(codes: authcloud::RecoveryCodes) -> Self {
        RecoveryCodes {
            user_id: codes.user_id,
            username: codes.username,
            codes: codes.codes.into_iter().map(Secret::wrap).collect(),
        }
    }
}

/// A code for `verify_code`.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum CodeCheck {
    /// The code of an SMS, with the status token of the registration or approval it is for.
    Sms { status_token: Arc<Secret>, code: Arc<Secret> },
    /// One of the user's recovery codes.
    Recovery { code: Arc<Secret> },
}

impl From<CodeCheck> for authcloud::CodeCheck {
    fn from(check: CodeCheck) -> Self {
        match check {
            CodeCheck::Sms { status_token, code } => {
                authcloud::CodeCheck::Sms { status_token: status_token.0.clone(), code: code.0.clone() }
            }
            CodeCheck::Recovery { code } => authcloud::CodeCheck::Recovery { code: code.0.clone() },
        }
    }
}

/// What the cloud said of a code: core's `CodeVerdict`, exposed as it is.
pub type CodeVerdict = authcloud::CodeVerdict;

#[uniffi::remote(Enum)]
pub enum CodeVerdict {
    /// The code is right.
    Correct,
    /// The code is wrong, used or expired (the user may try again, within the limits).
    Incorrect,
}
