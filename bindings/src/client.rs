//! `Client`: blocking calls, for scripts and worker threads.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::approval::{ApprovalRequest, ApprovalResult, DeleteOutcome};
use crate::cancel::{CancelToken, token_of};
use crate::config::ClientConfig;
use crate::error::AuthCloudError;
use crate::observer::{self, EnrollmentObserver};
use crate::ops::{CoreClient, Ops};
use crate::runtime;
use crate::secret::Secret;
use crate::types::{
    Authenticator, Channel, EnrollResult, IntentOperation, Introspection, OperationStatus, User, VerifiedUser,
    WaitOptions, WaitOutcome,
};
use crate::watch::WatchHandle;

/// A blocking client of one Authentication Cloud instance. Thread-safe; create one and
/// share it (all calls share one connection pool).
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct Client {
    core: CoreClient,
}

#[uniffi::export]
impl Client {
    /// Validates `config` and creates the client (no request is sent).
    #[uniffi::constructor]
    pub fn new(config: ClientConfig) -> Result<Arc<Self>, AuthCloudError> {
        Ok(Arc::new(Client { core: CoreClient::new(config.to_core()?) }))
    }

    /// Starts registering the authenticator app for a user (created if the username is
    /// new). Give a `username` or a `user_id` (or neither, for an anonymous user).
    #[uniffi::method(default(username = None, user_id = None))]
    pub fn enroll(&self, username: Option<String>, user_id: Option<String>) -> Result<EnrollResult, AuthCloudError> {
        blocking(self.ops()?.enroll(username, user_id))
    }

    /// Where an operation stands (one request; retried if it fails transiently).
    pub fn status(&self, status_token: Arc<Secret>) -> Result<OperationStatus, AuthCloudError> {
        blocking(self.ops()?.status(status_token))
    }

    /// Whether a token is genuine and active. Needs the access key.
    pub fn introspect(&self, token: Arc<Secret>) -> Result<Introspection, AuthCloudError> {
        blocking(self.ops()?.introspect(token))
    }

    /// Mints a single-use intent token for a device. Needs the access key.
    #[uniffi::method(default(username = None, user_id = None, channels = []))]
    pub fn create_intent(
        &self,
        operation: IntentOperation,
        username: Option<String>,
        user_id: Option<String>,
        channels: Vec<Channel>,
    ) -> Result<Arc<Secret>, AuthCloudError> {
        blocking(self.ops()?.create_intent(operation, username, user_id, channels))
    }

    /// Polls until the operation is final or `options.timeout_ms` passes. Blocks; to stop
    /// it from another thread, pass a `CancelToken` and call its `cancel()`: the wait then
    /// raises `Cancelled` at once. (Python's wrapper does this on Ctrl-C.)
    #[uniffi::method(default(observer = None, cancel = None, options))]
    pub fn wait_for_completion(
        &self,
        status_token: Arc<Secret>,
        options: WaitOptions,
        observer: Option<Arc<dyn EnrollmentObserver>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<WaitOutcome, AuthCloudError> {
        blocking(self.ops()?.wait(status_token, options, observer::held(observer), token_of(cancel)))
    }

    /// Verifies an operation on the backend (needs the access key): status `succeeded`,
    /// the transaction token active (introspect), and — unless `check_subject` is false —
    /// the token's subject the status' user (an assumption of this SDK, not confirmed by
    /// the vendor's documentation). `expected_user_id` / `expected_transaction_id` bind
    /// the operation to the caller's session: a status token from someone else's
    /// operation is refused before introspect. A failed check raises `NotVerified` naming it.
    /// Binding by `expected_transaction_id` is what stops an old enrollment being replayed
    /// as a login: the same user's succeeded enrollment passes every other check, so pass
    /// the transaction id of the operation this session started (for a login, the
    /// approval's).
    #[uniffi::method(default(expected_user_id = None, expected_transaction_id = None, check_subject = true))]
    pub fn verify(
        &self,
        status_token: Arc<Secret>,
        expected_user_id: Option<String>,
        expected_transaction_id: Option<String>,
        check_subject: bool,
    ) -> Result<VerifiedUser, AuthCloudError> {
        let options = verify_options(expected_user_id, expected_transaction_id, check_subject);
        blocking(self.ops()?.verify(status_token, options))
    }

    /// Asks the user to confirm with a registered authenticator (a login, a payment): a
    /// push to the app, or a QR code / deep link (`channel`). Poll `wait_for_completion`
    /// (or `watch`) and `verify` its `status_token` as for an enrollment. Checked before
    /// sending (the message rules); never re-sent once it may have reached the server.
    pub fn approve(&self, request: ApprovalRequest) -> Result<ApprovalResult, AuthCloudError> {
        blocking(self.ops()?.approve(request))
    }

    /// The user with this id and its authenticators (`NotFound` if there is none).
    pub fn get_user(&self, user_id: String) -> Result<User, AuthCloudError> {
        blocking(self.ops()?.get_user(user_id))
    }

    /// The user with this username, or none.
    pub fn find_user(&self, username: String) -> Result<Option<User>, AuthCloudError> {
        blocking(self.ops()?.find_user(username))
    }

    /// Deletes a user and its authenticators; `NotFound` (not an error) if it was gone.
    pub fn delete_user(&self, user_id: String) -> Result<DeleteOutcome, AuthCloudError> {
        blocking(self.ops()?.delete_user(user_id))
    }

    /// Renames an authenticator; returns it when the server answers with it.
    pub fn rename_authenticator(
        &self,
        authenticator_id: String,
        name: String,
    ) -> Result<Option<Authenticator>, AuthCloudError> {
        blocking(self.ops()?.rename_authenticator(authenticator_id, name))
    }

    /// Deletes an authenticator (a lost phone); `NotFound` (not an error) if it was gone.
    pub fn delete_authenticator(&self, authenticator_id: String) -> Result<DeleteOutcome, AuthCloudError> {
        blocking(self.ops()?.delete_authenticator(authenticator_id))
    }

    /// Checks that the instance answers (`GET /ping`); needs no credential.
    pub fn ping(&self) -> Result<(), AuthCloudError> {
        blocking(self.ops()?.ping())
    }

    /// Polls in the background, reporting to `observer`; returns at once with a handle
    /// whose `cancel()` stops the polling. The watch runs until the operation is final or
    /// its timeout passes even if the handle is dropped.
    #[uniffi::method(default(options))]
    pub fn watch(
        &self,
        status_token: Arc<Secret>,
        observer: Arc<dyn EnrollmentObserver>,
        options: WaitOptions,
    ) -> Result<Arc<WatchHandle>, AuthCloudError> {
        WatchHandle::start(self.ops()?, status_token, options, observer)
    }
}

impl Client {
    fn ops(&self) -> Result<Ops, AuthCloudError> {
        self.core.ops()
    }
}

/// Runs one call of a blocking method on the caller's thread.
fn blocking<T: Send>(call: impl Future<Output = Result<T, AuthCloudError>> + Send) -> Result<T, AuthCloudError> {
    runtime::block_on(call)?
}

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.describe("Client", f)
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.describe("Client", f)
    }
}

/// The core's verify options from the exported parameters.
pub(crate) fn verify_options(
    expected_user_id: Option<String>,
    expected_transaction_id: Option<String>,
    check_subject: bool,
) -> authcloud::VerifyOptions {
    authcloud::VerifyOptions { expected_user_id, expected_transaction_id, check_subject }
}
