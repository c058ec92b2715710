//! Users and their authenticators, and how a call names a user.

use authcloud::UserRef;

use crate::error::AuthCloudError;

/// A registered authenticator.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Authenticator {
    pub authenticator_id: String,
    pub name: Option<String>,
    /// The vendor's `type`: `ios` or `android`.
    pub device_type: Option<String>,
    pub authenticator_type: Option<String>,
    pub state: Option<String>,
    pub enrolled_at: Option<String>,
    pub updated_at: Option<String>,
    /// The vendor's `uaf.deviceRef`: the same for authenticators registered from one device.
    pub device_ref: Option<String>,
    /// The vendor's `uaf.userDisabledPushNotification`: the user turned push notifications
    /// off (a push approval is seen only when they open the app); none when not said.
    pub push_notifications_disabled: Option<bool>,
}

/// A user of the instance.
#[derive(Debug, Clone, uniffi::Record)]
pub struct User {
    pub user_id: String,
    pub username: Option<String>,
    /// `new` or `active` (or a newer value); none when the server did not say.
    pub status: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// The last successful approval (login), ISO-8601.
    pub last_login_success: Option<String>,
    /// The last declined or failed approval, ISO-8601.
    pub last_login_failure: Option<String>,
    pub authenticators: Vec<Authenticator>,
    /// The channels (`push`, `sms`) on which the user went past the rate limit and is
    /// blocked for now; empty when none.
    pub exceeded_rate_limits: Vec<String>,
}

impl From<authcloud::Authenticator> for Authenticator {
    fn from(a: authcloud::Authenticator) -> Self {
        Authenticator {
            authenticator_id: a.authenticator_id,
            name: a.name,
            device_type: a.device_type,
            authenticator_type: a.authenticator_type,
            state: a.state,
            enrolled_at: a.enrolled_at,
            updated_at: a.updated_at,
            device_ref: a.device_ref,
            push_notifications_disabled: a.push_notifications_disabled,
        }
    }
}

impl From<authcloud::User> for User {
    fn from(user: authcloud::User) -> Self {
        User {
            user_id: user.user_id,
            username: user.username,
            status: user.status.as_ref().map(|s| s.as_str().to_owned()),
            created_at: user.created_at,
            updated_at: user.updated_at,
            last_login_success: user.last_login_success,
            last_login_failure: user.last_login_failure,
            authenticators: user.authenticators.into_iter().map(Authenticator::from).collect(),
            exceeded_rate_limits: user.exceeded_rate_limits,
        }
    }
}

/// How a delete ended: deleting what is already gone is not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DeleteOutcome {
    /// It existed and was deleted.
    Deleted,
    /// There was nothing to delete.
    NotFound,
}

impl From<authcloud::DeleteOutcome> for DeleteOutcome {
    fn from(outcome: authcloud::DeleteOutcome) -> Self {
        match outcome {
            authcloud::DeleteOutcome::Deleted => DeleteOutcome::Deleted,
            _ => DeleteOutcome::NotFound,
        }
    }
}

/// A core `UserRef` from the exported `username` / `user_id` pair (at most one).
pub(crate) fn user_ref(username: Option<String>, user_id: Option<String>) -> Result<Option<UserRef>, AuthCloudError> {
    match (username, user_id) {
        (Some(_), Some(_)) => Err(AuthCloudError::InvalidInput {
            field: "username".into(),
            reason: "give a username or a user id, not both".into(),
        }),
        (Some(name), None) => Ok(Some(UserRef::Username(name))),
        (None, Some(id)) => Ok(Some(UserRef::UserId(id))),
        (None, None) => Ok(None),
    }
}
