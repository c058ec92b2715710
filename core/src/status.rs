//! The status of an operation, as `POST /api/v1/status` reports it: a leaf type that
//! requests, answers and errors all name (kept apart so none of them depends on another).

use std::fmt;

use crate::sanitize::sanitize_with_limit;

/// The status of an operation (`POST /api/v1/status`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TransactionStatus {
    /// The user has not acted yet.
    Pending,
    /// The user confirmed.
    Succeeded,
    /// The user declined, or the operation timed out.
    Failed,
    /// The server does not know the operation.
    Unknown,
    /// A value this SDK version does not know; treated as final.
    Other(String),
}

impl TransactionStatus {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            TransactionStatus::Pending => "pending",
            TransactionStatus::Succeeded => "succeeded",
            TransactionStatus::Failed => "failed",
            TransactionStatus::Unknown => "unknown",
            TransactionStatus::Other(other) => other,
        }
    }

    /// Everything but `pending` ends a wait: the guide polls only while pending.
    pub fn is_final(&self) -> bool {
        !matches!(self, TransactionStatus::Pending)
    }

    /// Reads a wire value; an unknown one is kept, sanitised (it ends up in messages).
    pub(crate) fn from_wire(value: String) -> Self {
        match value.as_str() {
            "pending" => TransactionStatus::Pending,
            "succeeded" => TransactionStatus::Succeeded,
            "failed" => TransactionStatus::Failed,
            "unknown" => TransactionStatus::Unknown,
            _ => TransactionStatus::Other(sanitize_with_limit(&value, MAX_ENUM_VALUE_CHARS)),
        }
    }
}

/// Longest unknown enum value kept from a server.
pub(crate) const MAX_ENUM_VALUE_CHARS: usize = 64;

impl fmt::Display for TransactionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_leniently() {
        assert_eq!(TransactionStatus::from_wire("expired".into()), TransactionStatus::Other("expired".into()));
        assert!(TransactionStatus::Other("expired".into()).is_final());
        assert!(!TransactionStatus::from_wire("pending".into()).is_final());
        // A server-chosen value is data that ends up in messages: it is sanitised.
        let odd = TransactionStatus::from_wire(format!("\u{1b}[31mred{}", "x".repeat(500)));
        assert!(!odd.as_str().contains('\u{1b}') && odd.as_str().chars().count() <= 65, "{odd}");
    }
}
