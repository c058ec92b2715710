//! [`Intent`]: the server-side record of a minted intent token, the single-use credential a
//! device may enroll or approve with instead of the access key.

use std::time::SystemTime;

use uuid::Uuid;

use super::operation::{Channel, Operation};

/// A minted intent token's server-side record: what it may do, for whom, and whether used.
#[derive(Debug, Clone)]
pub(crate) struct Intent {
    pub(crate) operation: Operation,
    /// Set when the intent named an existing user.
    pub(crate) user_id: Option<Uuid>,
    /// The username the intent is bound to (the user's, or a not-yet-existing one).
    pub(crate) username: Option<String>,
    /// Channels the device may use; `None` = no restriction.
    pub(crate) channels: Option<Vec<Channel>>,
    pub(crate) expires_at: SystemTime,
    pub(crate) used: bool,
}

impl Intent {
    /// Whether the token may still be used at `now`.
    pub(crate) fn usable(&self, now: SystemTime) -> bool {
        !self.used && now < self.expires_at
    }
}
