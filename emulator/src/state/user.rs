//! Users and their authenticators as the emulator keeps them, and how a request names a user
//! ([`UserRef`]) and what that resolves to ([`Target`]).
//!
//! Plain data with the defaults of a new user and of the authenticator the simulated phone
//! registers; the changes to them are [`super::State`]'s methods in `accounts.rs` and
//! `transitions.rs`.

use std::time::SystemTime;

use uuid::Uuid;

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

/// A registered authenticator (the app on a phone).
#[derive(Debug, Clone)]
pub(crate) struct Authenticator {
    pub(crate) authenticator_id: Uuid,
    pub(crate) name: String,
    /// The phone platform, `ios` or `android` (the emulator registers `android`).
    pub(crate) platform: &'static str,
    /// `app` or `fido2` (the emulator registers `app`).
    pub(crate) authenticator_type: &'static str,
    pub(crate) state: &'static str,
    pub(crate) enrolled_at: SystemTime,
    pub(crate) updated_at: SystemTime,
}

impl Authenticator {
    /// The authenticator an approved enrollment registers at `at`: the simulated phone, an
    /// active `app` authenticator on `android`.
    pub(super) fn emulated(at: SystemTime) -> Authenticator {
        Authenticator {
            authenticator_id: Uuid::new_v4(),
            name: EMULATED_AUTHENTICATOR_NAME.to_owned(),
            platform: "android",
            authenticator_type: "app",
            state: "active",
            enrolled_at: at,
            updated_at: at,
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
        }
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
