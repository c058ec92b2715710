//! The backend's check before it trusts an operation (the guide's "Verify the operation").

use crate::client::Client;
use crate::error::{Error, Result, VerificationFailure};
use crate::responses::Introspection;
use crate::sanitize::sanitize_server_text;
use crate::secret::SecretString;
use crate::status::TransactionStatus;

/// A user whose operation the backend has verified: only now may it be linked to the
/// backend's own records.
#[derive(Debug, Clone)]
pub struct VerifiedUser {
    /// The Authentication Cloud user id (from the status answer).
    pub user_id: String,
    /// The username, when the user has one.
    pub username: Option<String>,
    /// The verified operation.
    pub transaction_id: Option<String>,
    /// What `introspect` said about the transaction token.
    pub introspection: Introspection,
}

/// What [`Client::verify`] checks besides "succeeded and active".
///
/// A backend that receives the status token from a browser must bind it to its own
/// session: set `expected_user_id` and/or `expected_transaction_id` to the values it got
/// from `enroll` (or `approve`), so a token from someone else's operation is refused.
///
/// **Binding by `expected_transaction_id` is what stops an old enrollment being replayed as
/// a login.** The status token of the same user's earlier, succeeded enrollment passes every
/// other check — it is `succeeded`, names that user, and its transaction token introspects
/// active with that `sub` — so `expected_user_id` alone accepts it. Only the transaction id
/// of the approval this session started tells the login from the replayed enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Refuse unless the status' `userId` is this user.
    pub expected_user_id: Option<String>,
    /// Refuse unless the status' `transactionId` is this operation. This is the binding
    /// that stops an old enrollment (or another login) of the same user being replayed as
    /// the operation this session started.
    pub expected_transaction_id: Option<String>,
    /// Refuse unless introspect's `sub` equals the status' `userId` (default on).
    ///
    /// An assumption of this SDK, not confirmed by the vendor's documentation: the public
    /// reference does not say what `sub` holds for a transaction token. The emulator
    /// follows the assumption. If your instance answers otherwise, verify fails with
    /// [`VerificationFailure::SubjectMismatch`]; turn the check off and bind the operation
    /// with `expected_user_id` / `expected_transaction_id` instead.
    pub check_subject: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions { expected_user_id: None, expected_transaction_id: None, check_subject: true }
    }
}

impl VerifyOptions {
    /// Bind to the user the caller's session enrolled.
    pub fn expect_user(mut self, user_id: impl Into<String>) -> Self {
        self.expected_user_id = Some(user_id.into());
        self
    }

    /// Bind to the operation the caller's session started: the check that refuses the
    /// same user's old enrollment replayed as a login.
    pub fn expect_transaction(mut self, transaction_id: impl Into<String>) -> Self {
        self.expected_transaction_id = Some(transaction_id.into());
        self
    }

    /// Turn the `sub` check on or off (see [`VerifyOptions::check_subject`]).
    pub fn check_subject(mut self, on: bool) -> Self {
        self.check_subject = on;
        self
    }
}

fn refuse(reason: VerificationFailure) -> Error {
    Error::NotVerified { reason }
}

impl Client {
    /// Verifies an operation from the backend, with the access key, checking in order:
    /// 1. if expected, the status is of the expected operation and user (whatever its
    ///    status, so someone else's token is always reported as such). Binding by
    ///    `expected_transaction_id` is what stops an old enrollment being replayed as a
    ///    login: the user's own succeeded enrollment passes every other check;
    /// 2. `status` is `succeeded` and names a user;
    /// 3. the status carries a transaction token, and `introspect` calls it active;
    /// 4. unless turned off, the token's `sub` is the status' `userId` (an assumption,
    ///    see [`VerifyOptions::check_subject`]).
    ///
    /// A failed check is an [`Error::NotVerified`] naming it; transport problems keep
    /// their own kinds. Checks 1 and 2 run before introspect, so a foreign or unfinished
    /// operation's token is never introspected.
    pub async fn verify(&self, status_token: &SecretString, options: &VerifyOptions) -> Result<VerifiedUser> {
        // Refuse before any I/O when introspect will be impossible.
        self.require_access_key("verify")?;
        let status = self.status(status_token).await?;
        // Whose operation is it? Checked first, whatever its status, so a token from
        // someone else's operation is always reported as such.
        if let Some(expected) = &options.expected_transaction_id {
            if status.transaction_id.as_deref() != Some(expected.as_str()) {
                return Err(refuse(VerificationFailure::TransactionMismatch {
                    expected: expected.clone(),
                    actual: status.transaction_id,
                }));
            }
        }
        if let Some(expected) = &options.expected_user_id {
            if status.user_id.as_deref() != Some(expected.as_str()) {
                return Err(refuse(VerificationFailure::UserMismatch {
                    expected: expected.clone(),
                    actual: status.user_id,
                }));
            }
        }
        if status.status != TransactionStatus::Succeeded {
            return Err(refuse(VerificationFailure::NotSucceeded { status: status.status }));
        }
        let user_id = status.user_id.ok_or_else(|| refuse(VerificationFailure::MissingUserId))?;
        let token = status.token.ok_or_else(|| refuse(VerificationFailure::MissingTransactionToken))?;
        let introspection = self.introspect(&token).await?;
        if !introspection.active {
            return Err(refuse(VerificationFailure::TokenInactive));
        }
        if options.check_subject && introspection.sub.as_deref() != Some(user_id.as_str()) {
            return Err(refuse(VerificationFailure::SubjectMismatch {
                expected: user_id,
                actual: introspection.sub.clone(),
            }));
        }
        tracing::info!(target: "authcloud::verify", user_id = %sanitize_server_text(&user_id), "operation verified");
        Ok(VerifiedUser { user_id, username: status.username, transaction_id: status.transaction_id, introspection })
    }
}
