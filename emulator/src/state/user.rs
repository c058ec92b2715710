//! Users and their authenticators as the emulator keeps them, and how a request names a user
//! ([`UserRef`]) and what that resolves to ([`Target`]).
//!
//! Plain data with the defaults of a new user and of the authenticator the simulated phone
//! registers; the changes to them are [`super::State`]'s methods in `accounts.rs` and
//! `transitions.rs`.

use std::time::SystemTime;

use uuid::Uuid;

use super::rate_limit::SendWindows;
use super::recovery::RecoveryCodes;

/// The vendor's limit of authenticators per user.
pub(crate) const MAX_AUTHENTICATORS: usize = 10;

/// Name given to the authenticator a simulated approval registers.
const EMULATED_AUTHENTICATOR_NAME: &str = "Emulated phone";

/// A user's lifecycle state: `new` until its first authenticator is registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserStatus {
    New,
    Active,
}

impl UserStatus {
    /// The wire word.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            UserStatus::New => "new",
            UserStatus::Active => "active",
        }
    }
}

/// A registered authenticator: the app on a phone, or a phone number SMS codes go to.
#[derive(Debug, Clone)]
pub(crate) struct Authenticator {
    pub(crate) authenticator_id: Uuid,
    pub(crate) name: String,
    pub(crate) kind: AuthenticatorKind,
    pub(crate) state: &'static str,
    pub(crate) enrolled_at: SystemTime,
    pub(crate) updated_at: SystemTime,
}

/// What an authenticator is: the two kinds differ in what they carry, so they are variants
/// rather than optional fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthenticatorKind {
    /// The authenticator app (`authenticatorType` `app`): push and QR-code approvals.
    App(AppDevice),
    /// A phone number confirmed by an SMS enrollment (`authenticatorType` `sms`): SMS approvals.
    Sms { phone: String },
}

/// The phone an app authenticator runs on, as its `uaf` object shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppDevice {
    /// The phone platform, `ios` or `android` (the emulator registers `android`).
    pub(crate) platform: &'static str,
    /// The opaque id of the device (`uaf.deviceRef`): one per simulated phone, so stable for
    /// the authenticator's lifetime.
    pub(crate) device_ref: String,
    /// Whether the user turned push notifications off in the app
    /// (`uaf.userDisabledPushNotification`). Push approvals are still created.
    pub(crate) push_disabled: bool,
}

impl Authenticator {
    /// The authenticator an approved enrollment registers at `at`: the simulated phone, an
    /// active `app` authenticator on `android` with a device of its own.
    pub(super) fn emulated(at: SystemTime) -> Authenticator {
        let device =
            AppDevice { platform: "android", device_ref: Uuid::new_v4().simple().to_string(), push_disabled: false };
        Authenticator {
            authenticator_id: Uuid::new_v4(),
            name: EMULATED_AUTHENTICATOR_NAME.to_owned(),
            kind: AuthenticatorKind::App(device),
            state: "active",
            enrolled_at: at,
            updated_at: at,
        }
    }

    /// The authenticator a confirmed SMS enrollment registers at `at`: the phone number,
    /// named after itself.
    pub(super) fn sms(phone: String, at: SystemTime) -> Authenticator {
        Authenticator {
            authenticator_id: Uuid::new_v4(),
            name: phone.clone(),
            kind: AuthenticatorKind::Sms { phone },
            state: "active",
            enrolled_at: at,
            updated_at: at,
        }
    }

    /// `app` or `sms`, the wire's `authenticatorType`.
    pub(crate) fn authenticator_type(&self) -> &'static str {
        match self.kind {
            AuthenticatorKind::App(_) => "app",
            AuthenticatorKind::Sms { .. } => "sms",
        }
    }

    /// The app's device, for an app authenticator.
    pub(crate) fn app(&self) -> Option<&AppDevice> {
        match &self.kind {
            AuthenticatorKind::App(device) => Some(device),
            AuthenticatorKind::Sms { .. } => None,
        }
    }

    /// The phone number, for an SMS authenticator.
    pub(crate) fn phone(&self) -> Option<&str> {
        match &self.kind {
            AuthenticatorKind::App(_) => None,
            AuthenticatorKind::Sms { phone } => Some(phone),
        }
    }
}

/// A user of the instance.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub(crate) user_id: Uuid,
    pub(crate) username: Option<String>,
    pub(crate) status: UserStatus,
    pub(crate) created_at: SystemTime,
    pub(crate) updated_at: SystemTime,
    pub(crate) last_login_success: Option<SystemTime>,
    pub(crate) last_login_failure: Option<SystemTime>,
    pub(crate) authenticators: Vec<Authenticator>,
    /// Every transaction started for this user, oldest first.
    pub(crate) transaction_ids: Vec<Uuid>,
    /// The hashes of the user's recovery codes and the recent failed checks.
    pub(crate) recovery: RecoveryCodes,
    /// The recent push approvals and SMS sent to the user, for the rate limits.
    pub(crate) sends: SendWindows,
}

impl User {
    /// A user created at `now`: `new`, without authenticators, logins, transactions or
    /// recovery codes.
    pub(super) fn new(user_id: Uuid, username: Option<String>, now: SystemTime) -> User {
        User {
            user_id,
            username,
            status: UserStatus::New,
            created_at: now,
            updated_at: now,
            last_login_success: None,
            last_login_failure: None,
            authenticators: Vec::new(),
            transaction_ids: Vec::new(),
            recovery: RecoveryCodes::default(),
            sends: SendWindows::default(),
        }
    }

    /// Whether the user has an app authenticator (one that push and app approvals can ask).
    pub(crate) fn has_app(&self) -> bool {
        self.authenticators.iter().any(|a| a.app().is_some())
    }

    /// The user's authenticator with this id.
    pub(crate) fn authenticator(&self, authenticator_id: Uuid) -> Option<&Authenticator> {
        self.authenticators.iter().find(|a| a.authenticator_id == authenticator_id)
    }
}

/// Who a request names: by `userId`, by `username`, both, or neither.
#[derive(Debug, Clone, Default)]
pub(crate) struct UserRef {
    pub(crate) user_id: Option<Uuid>,
    pub(crate) username: Option<String>,
}

/// The user a request resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// An existing user; `assign_username` is set when the request gives a username to a
    /// user that had none.
    Existing { user_id: Uuid, assign_username: Option<String> },
    /// A user to create, with or without a username.
    New { username: Option<String> },
}

impl Target {
    /// The id of an existing target user.
    pub(crate) fn user_id(&self) -> Option<Uuid> {
        match self {
            Target::Existing { user_id, .. } => Some(*user_id),
            Target::New { .. } => None,
        }
    }
}

/// Why a [`UserRef`] does not resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResolveError {
    /// `userId` names no user.
    UnknownUser,
    /// `userId` and `username` name different users.
    Mismatch,
}
