//! The backend's check before it trusts an operation (the guide's "Verify the operation").

use crate::client::Client;
use crate::error::{Error, Result, VerificationFailure};
use crate::model::{Introspection, TransactionStatus};
use crate::secret::SecretString;

/// A user whose operation the backend has verified: only now may it be linked to the
/// backend's own records.
#[derive(Debug, Clone)]
pub struct VerifiedUser {
    /// The Authentication Cloud user id (also the transaction token's `sub`).
    pub user_id: String,
    /// The username, when the user has one.
    pub username: Option<String>,
    /// The verified operation.
    pub transaction_id: Option<String>,
    /// What `introspect` said about the transaction token.
    pub introspection: Introspection,
}

fn refuse(reason: VerificationFailure) -> Error {
    Error::NotVerified { reason }
}

impl Client {
    /// Verifies an operation from the backend, with the access key: `status` must be
    /// `succeeded`, `introspect` must call its transaction token active, and the token's
    /// `sub` must be the status' `userId`. Any failed check is an [`Error::NotVerified`]
    /// naming it; transport problems keep their own kinds.
    pub async fn verify(&self, status_token: &SecretString) -> Result<VerifiedUser> {
        // Refuse before any I/O when introspect will be impossible.
        self.require_access_key("verify")?;
        let status = self.status(status_token).await?;
        if status.status != TransactionStatus::Succeeded {
            return Err(refuse(VerificationFailure::NotSucceeded { status: status.status }));
        }
        let user_id = status.user_id.ok_or_else(|| refuse(VerificationFailure::MissingUserId))?;
        let token = status.token.ok_or_else(|| refuse(VerificationFailure::MissingTransactionToken))?;
        let introspection = self.introspect(&token).await?;
        if !introspection.active {
            return Err(refuse(VerificationFailure::TokenInactive));
        }
        if introspection.sub.as_deref() != Some(user_id.as_str()) {
            return Err(refuse(VerificationFailure::SubjectMismatch {
                expected: user_id,
                actual: introspection.sub.clone(),
            }));
        }
        tracing::info!(target: "authcloud::verify", user_id = %user_id, "operation verified");
        Ok(VerifiedUser { user_id, username: status.username, transaction_id: status.transaction_id, introspection })
    }
}
