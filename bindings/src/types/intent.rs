//! What an intent token allows: its operation and channels.

/// How the user is reached (intents may restrict it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Channel {
    App,
    Push,
    Sms,
}

impl From<Channel> for authcloud::Channel {
    fn from(channel: Channel) -> Self {
        match channel {
            Channel::App => authcloud::Channel::App,
            Channel::Push => authcloud::Channel::Push,
            Channel::Sms => authcloud::Channel::Sms,
        }
    }
}

/// What an intent token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum IntentOperation {
    Enroll,
    Approve,
}

impl From<IntentOperation> for authcloud::IntentOperation {
    fn from(op: IntentOperation) -> Self {
        match op {
            IntentOperation::Enroll => authcloud::IntentOperation::Enroll,
            IntentOperation::Approve => authcloud::IntentOperation::Approve,
        }
    }
}
