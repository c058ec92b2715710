//! Where an operation stands: the status answer, introspection and a verified user.
//! A leaf of the types (errors name `TransactionStatus`; it names nothing back).

use std::sync::Arc;

use crate::secret::Secret;

/// Where an operation stands. (`OperationStatus.status_text` has the wire value, which
/// matters for `Other`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum TransactionStatus {
    /// The user has not acted yet.
    Pending,
    /// The user confirmed.
    Succeeded,
    /// Declined, or timed out.
    Failed,
    /// The server does not know the operation.
    Unknown,
    /// A value newer than this SDK; treated as final.
    Other,
}

impl TransactionStatus {
    /// The wire value (`other` for a value newer than this SDK).
    pub(crate) fn wire(self) -> &'static str {
        match self {
            TransactionStatus::Pending => "pending",
            TransactionStatus::Succeeded => "succeeded",
            TransactionStatus::Failed => "failed",
            TransactionStatus::Unknown => "unknown",
            TransactionStatus::Other => "other",
        }
    }
}

impl From<&authcloud::TransactionStatus> for TransactionStatus {
    fn from(status: &authcloud::TransactionStatus) -> Self {
        match status {
            authcloud::TransactionStatus::Pending => TransactionStatus::Pending,
            authcloud::TransactionStatus::Succeeded => TransactionStatus::Succeeded,
            authcloud::TransactionStatus::Failed => TransactionStatus::Failed,
            authcloud::TransactionStatus::Unknown => TransactionStatus::Unknown,
            authcloud::TransactionStatus::Other(_) => TransactionStatus::Other,
        }
    }
}

/// Answer of `status`. Only `status` is always present.
#[derive(Debug, Clone, uniffi::Record)]
pub struct OperationStatus {
    pub status: TransactionStatus,
    /// The wire value (`pending`, `succeeded`, ... or a newer one).
    pub status_text: String,
    pub transaction_id: Option<String>,
    pub user_id: Option<String>,
    pub username: Option<String>,
    /// The transaction token, to check with `introspect`.
    pub token: Option<Arc<Secret>>,
    pub created_at: Option<String>,
    pub last_updated_at: Option<String>,
}

impl From<authcloud::OperationStatus> for OperationStatus {
    fn from(s: authcloud::OperationStatus) -> Self {
        OperationStatus {
            status: (&s.status).into(),
            status_text: s.status.as_str().to_owned(),
            transaction_id: s.transaction_id,
            user_id: s.user_id,
            username: s.username,
            token: s.token.map(Secret::wrap),
            created_at: s.created_at,
            last_updated_at: s.last_updated_at,
        }
    }
}

/// Answer of `introspect`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Introspection {
    /// `false` ⇒ do not trust the token.
    pub active: bool,
    /// Issued-at as the server sent it: seconds or milliseconds (the vendor's documents
    /// disagree). `issued_at_ms` reads either.
    pub iat: Option<i64>,
    /// `iat` as milliseconds since the Unix epoch (a raw value above 10^11 is taken as
    /// milliseconds, else seconds).
    pub issued_at_ms: Option<i64>,
    pub sub: Option<String>,
    pub aud: Vec<String>,
    pub iss: Option<String>,
    pub nbf: Option<i64>,
    pub exp: Option<i64>,
    pub jti: Option<String>,
    pub scope: Option<String>,
}

impl From<authcloud::Introspection> for Introspection {
    fn from(i: authcloud::Introspection) -> Self {
        let issued_at_ms = i
            .issued_at()
            .and_then(|t| t.duration_since(std::time::SystemTime::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_millis()).ok());
        Introspection {
            active: i.active,
            iat: i.iat,
            issued_at_ms,
            sub: i.sub,
            aud: i.aud,
            iss: i.iss,
            nbf: i.nbf,
            exp: i.exp,
            jti: i.jti,
            scope: i.scope,
        }
    }
}

/// A user whose operation the backend verified.
#[derive(Debug, Clone, uniffi::Record)]
pub struct VerifiedUser {
    pub user_id: String,
    pub username: Option<String>,
    pub transaction_id: Option<String>,
    pub introspection: Introspection,
}

impl From<authcloud::VerifiedUser> for VerifiedUser {
    fn from(v: authcloud::VerifiedUser) -> Self {
        VerifiedUser {
            user_id: v.user_id,
            username: v.username,
            transaction_id: v.transaction_id,
            introspection: v.introspection.into(),
        }
    }
}
