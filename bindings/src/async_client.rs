//! `AsyncClient`: the same operations as `Client` for event loops (Python `async def`,
//! Kotlin `suspend`, Swift `async`). Each call runs as a task on the shared runtime;
//! cancelling the awaiting coroutine aborts it.

use std::fmt;
use std::sync::Arc;

use crate::approval::{ApprovalRequest, ApprovalResult, DeleteOutcome};
use crate::cancel::{CancelToken, token_of};
use crate::client::verify_options;
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

/// An async client of one Authentication Cloud instance. Thread-safe; share one.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct AsyncClient {
    core: CoreClient,
}

#[uniffi::export]
impl AsyncClient {
    /// Validates `config` and creates the client (no request is sent).
    #[uniffi::constructor]
    pub fn new(config: ClientConfig) -> Result<Arc<Self>, AuthCloudError> {
        Ok(Arc::new(AsyncClient { core: CoreClient::new(config.to_core()?) }))
    }

    /// See `Client.enroll`.
    #[uniffi::method(default(username = None, user_id = None))]
    pub async fn enroll(
        &self,
        username: Option<String>,
        user_id: Option<String>,
    ) -> Result<EnrollResult, AuthCloudError> {
        runtime::spawn(self.ops()?.enroll(username, user_id)).await
    }

    /// See `Client.status`.
    pub async fn status(&self, status_token: Arc<Secret>) -> Result<OperationStatus, AuthCloudError> {
        runtime::spawn(self.ops()?.status(status_token)).await
    }

    /// See `Client.introspect`.
    pub async fn introspect(&self, token: Arc<Secret>) -> Result<Introspection, AuthCloudError> {
        runtime::spawn(self.ops()?.introspect(token)).await
    }

    /// See `Client.create_intent`.
    #[uniffi::method(default(username = None, user_id = None, channels = []))]
    pub async fn create_intent(
        &self,
        operation: IntentOperation,
        username: Option<String>,
        user_id: Option<String>,
        channels: Vec<Channel>,
    ) -> Result<Arc<Secret>, AuthCloudError> {
        runtime::spawn(self.ops()?.create_intent(operation, username, user_id, channels)).await
    }

    /// See `Client.wait_for_completion`; cancelling the awaiting task stops the polling,
    /// and so does `cancel.cancel()`. (Swift: `Task.cancel()` does not reach Rust futures
    /// — pass a `CancelToken`, or use `watch`.)
    #[uniffi::method(default(observer = None, cancel = None, options))]
    pub async fn wait_for_completion(
        &self,
        status_token: Arc<Secret>,
        options: WaitOptions,
        observer: Option<Arc<dyn EnrollmentObserver>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<WaitOutcome, AuthCloudError> {
        runtime::spawn(self.ops()?.wait(status_token, options, observer::held(observer), token_of(cancel))).await
    }

    /// See `Client.verify`.
    #[uniffi::method(default(expected_user_id = None, expected_transaction_id = None, check_subject = true))]
    pub async fn verify(
        &self,
        status_token: Arc<Secret>,
        expected_user_id: Option<String>,
        expected_transaction_id: Option<String>,
        check_subject: bool,
    ) -> Result<VerifiedUser, AuthCloudError> {
        let options = verify_options(expected_user_id, expected_transaction_id, check_subject);
        runtime::spawn(self.ops()?.verify(status_token, options)).await
    }

    /// See `Client.approve`.
    pub async fn approve(&self, request: ApprovalRequest) -> Result<ApprovalResult, AuthCloudError> {
        runtime::spawn(self.ops()?.approve(request)).await
    }

    /// See `Client.get_user`.
    pub async fn get_user(&self, user_id: String) -> Result<User, AuthCloudError> {
        runtime::spawn(self.ops()?.get_user(user_id)).await
    }

    /// See `Client.find_user`.
    pub async fn find_user(&self, username: String) -> Result<Option<User>, AuthCloudError> {
        runtime::spawn(self.ops()?.find_user(username)).await
    }

    /// See `Client.delete_user`.
    pub async fn delete_user(&self, user_id: String) -> Result<DeleteOutcome, AuthCloudError> {
        runtime::spawn(self.ops()?.delete_user(user_id)).await
    }

    /// See `Client.rename_authenticator`.
    pub async fn rename_authenticator(
        &self,
        authenticator_id: String,
        name: String,
    ) -> Result<Option<Authenticator>, AuthCloudError> {
        runtime::spawn(self.ops()?.rename_authenticator(authenticator_id, name)).await
    }

    /// See `Client.delete_authenticator`.
    pub async fn delete_authenticator(&self, authenticator_id: String) -> Result<DeleteOutcome, AuthCloudError> {
        runtime::spawn(self.ops()?.delete_authenticator(authenticator_id)).await
    }

    /// See `Client.ping`.
    pub async fn ping(&self) -> Result<(), AuthCloudError> {
        runtime::spawn(self.ops()?.ping()).await
    }

    /// See `Client.watch`.
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

impl AsyncClient {
    fn ops(&self) -> Result<Ops, AuthCloudError> {
        self.core.ops()
    }
}

impl fmt::Display for AsyncClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.describe("AsyncClient", f)
    }
}

impl fmt::Debug for AsyncClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.describe("AsyncClient", f)
    }
}
