//! The vendor's words for what a transaction or intent is for ([`Operation`]: `enroll` or
//! `approve`) and how it reaches the phone ([`Channel`]).
//!
//! Both are plain vocabulary, used by transactions, approvals and intents alike, so they sit
//! in a file of their own that imports nothing else from the state.

/// The channels of the vendor API; the emulator serves `app` and knows the others by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channel {
    App,
    Push,
    Sms,
    Fido2,
    Recovery,
}

impl Channel {
    /// Parses the wire word, or `None` for a word the vendor does not define.
    pub(crate) fn parse(word: &str) -> Option<Channel> {
        Some(match word {
            "app" => Channel::App,
            "push" => Channel::Push,
            "sms" => Channel::Sms,
            "fido2" => Channel::Fido2,
            "recovery" => Channel::Recovery,
            _ => return None,
        })
    }

    /// The wire word.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Channel::App => "app",
            Channel::Push => "push",
            Channel::Sms => "sms",
            Channel::Fido2 => "fido2",
            Channel::Recovery => "recovery",
        }
    }
}

/// What a transaction or an intent is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    /// Register a new authenticator (`POST /api/v1/users/enroll`).
    Enroll,
    /// Authenticate / confirm with an existing authenticator (`POST /api/v1/approval`).
    Approve,
}

impl Operation {
    /// The wire word used by `intent`'s `operation` field.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Operation::Enroll => "enroll",
            Operation::Approve => "approve",
        }
    }

    /// Parses `intent`'s `operation` field.
    pub(crate) fn parse(word: &str) -> Option<Operation> {
        match word {
            "enroll" => Some(Operation::Enroll),
            "approve" => Some(Operation::Approve),
            _ => None,
        }
    }
}
