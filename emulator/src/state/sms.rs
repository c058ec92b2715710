//! SMS: what an SMS transaction (an SMS enrollment or an SMS approval) waits for
//! ([`SmsChallenge`]: the code sent, the wrong tries so far), the messages the emulator "sent"
//! ([`SmsMessage`], kept in the state's outbox), and their public view ([`SentSms`]).
//!
//! Plain data; starting an SMS enrollment and checking its code are [`super::State`]'s methods
//! in `codes.rs`, starting an SMS approval is in `transitions.rs`.

use std::time::SystemTime;

use uuid::Uuid;

/// Wrong codes an SMS transaction takes: the last of them fails it.
pub(crate) const MAX_WRONG_CODES: u8 = 3;

/// Messages the outbox keeps (the oldest are dropped first), as the request log does.
pub(crate) const OUTBOX_CAPACITY: usize = 10_000;

/// The code an SMS transaction waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SmsChallenge {
    pub(crate) code: String,
    /// Where it was sent: the number an enrollment registers once the code is typed.
    pub(crate) phone: String,
    /// Wrong codes sent so far; at [`MAX_WRONG_CODES`] the transaction fails.
    pub(crate) wrong_codes: u8,
}

/// The SMS an approval sends: the text (the code already in it) and the code. Where it goes
/// is the user's registered phone number.
#[derive(Debug, Clone)]
pub(crate) struct SmsText {
    pub(crate) text: String,
    pub(crate) code: String,
}

/// An SMS enrollment to start: where to, what text (the code already in it), which code.
#[derive(Debug, Clone)]
pub(crate) struct SmsEnrollment {
    pub(crate) phone: String,
    pub(crate) text: String,
    pub(crate) code: String,
}

/// One message in the outbox.
#[derive(Debug, Clone)]
pub(crate) struct SmsMessage {
    pub(crate) to: String,
    pub(crate) text: String,
    pub(crate) code: String,
    pub(crate) user_id: Uuid,
    pub(crate) transaction_id: Uuid,
    pub(crate) sent_at: SystemTime,
}

/// Why an SMS code was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SmsCodeError {
    /// The status token names no pending SMS transaction of this user (unknown, another
    /// user's, not an SMS transaction, or already finished).
    NoSuchTransaction,
    /// The code is not the one sent (the transaction may have failed with it).
    WrongCode,
    /// The right code for an SMS enrollment, but the user already has the most authenticators
    /// allowed: the transaction failed.
    NoRoom,
}

/// An SMS as the emulator "sent" it ([`crate::Emulator::sms_messages`],
/// `GET /_emulator/sms`): the test's view of the user's phone.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SentSms {
    /// The phone number, as the enrollment gave it (`+41791234567`).
    pub to: String,
    /// The text, with the code in place of `{{CODE}}`.
    pub text: String,
    /// The code alone (6 digits).
    pub code: String,
    /// The user (a UUID).
    pub user_id: String,
    /// The SMS transaction the code confirms (a UUID).
    pub transaction_id: String,
    /// When it was sent.
    pub sent_at: SystemTime,
}

impl From<&SmsMessage> for SentSms {
    fn from(message: &SmsMessage) -> Self {
        SentSms {
            to: message.to.clone(),
            text: message.text.clone(),
            code: message.code.clone(),
            user_id: message.user_id.to_string(),
            transaction_id: message.transaction_id.to_string(),
            sent_at: message.sent_at,
        }
    }
}
