//! The one list of operations behind both `Client` and `AsyncClient`, and their one
//! implementation as owned, `'static` futures over this process's core client.
//!
//! To add an operation: a method on [`CoreCall`] (the call itself, with the conversions to
//! FFI types) and one line in the `operations!` list below; the blocking `Client` and the
//! async `AsyncClient` methods are both generated from that line, with the same doc
//! comment and default arguments. `CONTRIBUTING.md` has the whole checklist.

use std::fmt;
use std::sync::Arc;

use authcloud::{CancellationToken, EnrollRequest, IntentRequest};

use crate::async_client::AsyncClient;
use crate::cancel::{CancelToken, token_of};
use crate::client::{Client, blocking};
use crate::error::AuthCloudError;
use crate::fork::ProcessLocal;
use crate::observer::{self, Bridge, Observer, WaitObserver};
use crate::runtime;
use crate::secret::Secret;
use crate::types::{
    ApprovalRequest, ApprovalResult, Authenticator, Channel, CodeCheck, CodeVerdict, DeleteOutcome, EnrollResult,
    IntentOperation, Introspection, LogExport, LogQuery, OperationStatus, RecoveryCodes, SmsEnrollResult, User,
    VerifiedUser, WaitOptions, WaitOutcome, users::user_ref,
};
use crate::watch::WatchHandle;

type Result<T> = std::result::Result<T, AuthCloudError>;

/// Generates the exported methods of `Client` (blocking: the call runs on the caller's
/// thread) and `AsyncClient` (a task on the shared runtime, awaited by the foreign event
/// loop) from one list. Each entry names a [`CoreCall`] method with the same parameters.
/// `immediate` entries return at once in both clients (they start background work).
macro_rules! operations {
    (
        calls { $($(#[$call_meta:meta])* fn $call:ident($($arg:ident: $arg_ty:ty),* $(,)?) -> $ret:ty;)* }
        immediate { $($(#[$now_meta:meta])* fn $now:ident($($now_arg:ident: $now_ty:ty),* $(,)?) -> $now_ret:ty;)* }
    ) => {
        #[uniffi::export]
        impl Client {
            $(
                $(#[$call_meta])*
                pub fn $call(&self, $($arg: $arg_ty),*) -> Result<$ret> {
                    blocking(self.core_call()?.$call($($arg),*))
                }
            )*
            $(
                $(#[$now_meta])*
                pub fn $now(&self, $($now_arg: $now_ty),*) -> Result<$now_ret> {
                    self.core_call()?.$now($($now_arg),*)
                }
            )*
        }

        #[uniffi::export]
        impl AsyncClient {
            $(
                $(#[$call_meta])*
                pub async fn $call(&self, $($arg: $arg_ty),*) -> Result<$ret> {
                    runtime::spawn(self.core_call()?.$call($($arg),*)).await
                }
            )*
            $(
                $(#[$now_meta])*
                pub fn $now(&self, $($now_arg: $now_ty),*) -> Result<$now_ret> {
                    self.core_call()?.$now($($now_arg),*)
                }
            )*
        }
    };
}

operations! {
    calls {
        /// Starts registering the authenticator app for a user (created if the username is
        /// new). Give a `username` or a `user_id` (or neither, for an anonymous user).
        #[uniffi::method(default(username = None, user_id = None))]
        fn enroll(username: Option<String>, user_id: Option<String>) -> EnrollResult;

        /// Where an operation stands (one request; retried if it fails transiently).
        fn status(status_token: Arc<Secret>) -> OperationStatus;

        /// Whether a token is genuine and active. Needs the access key.
        fn introspect(token: Arc<Secret>) -> Introspection;

        /// Mints a single-use intent token for a device. Needs the access key.
        #[uniffi::method(default(username = None, user_id = None, channels = []))]
        fn create_intent(
            operation: IntentOperation,
            username: Option<String>,
            user_id: Option<String>,
            channels: Vec<Channel>,
        ) -> Arc<Secret>;

        /// Polls until the operation is final or `options.timeout_ms` passes. To stop it,
        /// pass a `CancelToken` and call its `cancel()` (from another thread, for the
        /// blocking client): the wait then raises `Cancelled` at once. (Python's wrapper
        /// does this on Ctrl-C.) On `AsyncClient`, cancelling the awaiting task stops the
        /// polling too — except in Swift, where `Task.cancel()` does not reach Rust
        /// futures: pass a `CancelToken`, or use `watch`.
        #[uniffi::method(default(observer = None, cancel = None, options))]
        fn wait_for_completion(
            status_token: Arc<Secret>,
            options: WaitOptions,
            observer: Option<Arc<dyn WaitObserver>>,
            cancel: Option<Arc<CancelToken>>,
        ) -> WaitOutcome;

        /// Verifies an operation on the backend (needs the access key): status `succeeded`,
        /// the transaction token active (introspect), and — unless `check_subject` is false —
        /// the token's subject the status' user (an assumption of this SDK, not confirmed by
        /// the vendor's documentation). `expected_user_id` / `expected_transaction_id` bind
        /// the operation to the caller's session: a status token from someone else's
        /// operation is refused before introspect. A failed check raises `NotVerified` naming
        /// it. Binding by `expected_transaction_id` is what stops an old enrollment being
        /// replayed as a login: the same user's succeeded enrollment passes every other
        /// check, so pass the transaction id of the operation this session started (for a
        /// login, the approval's).
        #[uniffi::method(default(expected_user_id = None, expected_transaction_id = None, check_subject = true))]
        fn verify(
            status_token: Arc<Secret>,
            expected_user_id: Option<String>,
            expected_transaction_id: Option<String>,
            check_subject: bool,
        ) -> VerifiedUser;

        /// Asks the user to confirm with a registered authenticator (a login, a payment): a
        /// push to the app, or a QR code / deep link (`channel`). Poll `wait_for_completion`
        /// (or `watch`) and `verify` its `status_token` as for an enrollment. Checked before
        /// sending (the message rules); never re-sent once it may have reached the server.
        fn approve(request: ApprovalRequest) -> ApprovalResult;

        /// The user with this id and its authenticators (`NotFound` if there is none).
        fn get_user(user_id: String) -> User;

        /// The user with this username, or none.
        fn find_user(username: String) -> Option<User>;

        /// Deletes a user and its authenticators; `NotFound` (not an error) if it was gone.
        fn delete_user(user_id: String) -> DeleteOutcome;

        /// Renames an authenticator; returns it when the server answers with it.
        fn rename_authenticator(authenticator_id: String, name: String) -> Option<Authenticator>;

        /// Deletes an authenticator (a lost phone); `NotFound` (not an error) if it was gone.
        fn delete_authenticator(authenticator_id: String) -> DeleteOutcome;

        /// Checks that the instance answers (`GET /ping`); needs no credential.
        fn ping() -> ();

        /// Registers `phone` (`+`, country code, number) for SMS codes of a user (give a
        /// `username` or a `user_id`); the first code is sent at once. `message` is the SMS
        /// text with `{{CODE}}` where the code goes (GSM-7 only; none: the cloud's default).
        /// Checked before sending; never re-sent once it may have reached the server.
        #[uniffi::method(default(username = None, user_id = None, message = None))]
        fn enroll_sms(
            phone: String,
            username: Option<String>,
            user_id: Option<String>,
            message: Option<String>,
        ) -> SmsEnrollResult;

        /// Issues a new set of recovery codes for a user (replacing any earlier set).
        #[uniffi::method(default(username = None, user_id = None))]
        fn request_recovery_codes(username: Option<String>, user_id: Option<String>) -> RecoveryCodes;

        /// Checks an SMS or recovery code of user `user_id`: `Correct` or `Incorrect` (a
        /// wrong code is not an error; too many wrong recovery codes are `RateLimited`).
        /// Checked before sending; never re-sent once it may have reached the server.
        fn verify_code(user_id: String, check: CodeCheck) -> CodeVerdict;

        /// The instance's event log (`GET /api/v1/logs/export`), parsed: newest first, at
        /// most 10,000 events. Needs the access key. Checked before sending.
        #[uniffi::method(default(query))]
        fn export_logs(query: LogQuery) -> LogExport;
    }
    immediate {
        /// Polls in the background, reporting to `observer`; returns at once with a handle
        /// whose `cancel()` stops the polling. The watch runs until the operation is final or
        /// its timeout passes even if the handle is dropped.
        #[uniffi::method(default(options))]
        fn watch(status_token: Arc<Secret>, observer: Arc<dyn WaitObserver>, options: WaitOptions) -> Arc<WatchHandle>;
    }
}

/// One call's hold on this process's core client: [`CoreCall`]'s methods are the
/// operations, as owned futures that a blocking or an async method drives.
pub(crate) struct CoreCall {
    pub(crate) client: authcloud::Client,
}

/// The core client behind a `Client` or `AsyncClient`: one per process, so that a forked
/// child never uses its parent's connections (see `fork.rs`).
pub(crate) struct CoreClient(ProcessLocal<authcloud::Client>);

impl CoreClient {
    pub(crate) fn new(client: authcloud::Client) -> Self {
        CoreClient(ProcessLocal::new(client))
    }

    /// The core client for one call.
    pub(crate) fn call(&self) -> Result<CoreCall> {
        // In a forked child: a client with the same configuration and a pool of its own.
        let client =
            self.0.get(|parents| authcloud::Client::new(parents.config().clone()).map_err(AuthCloudError::from))?;
        Ok(CoreCall { client })
    }

    /// `Name(base_url=…, credential=access key)`: what a person needs, no secret.
    pub(crate) fn describe(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.with_original(|client| {
            let config = client.config();
            let credential = match config.credential() {
                Some(authcloud::Credential::AccessKey(_)) => "access key",
                Some(authcloud::Credential::IntentToken(_)) => "intent token",
                None => "none",
            };
            write!(f, "{name}(base_url={}, credential={credential})", config.base_url())
        })
    }
}

impl CoreCall {
    pub(crate) async fn enroll(self, username: Option<String>, user_id: Option<String>) -> Result<EnrollResult> {
        let request = EnrollRequest { user: user_ref(username, user_id)?, ..EnrollRequest::default() };
        Ok(self.client.enroll(&request).await?.into())
    }

    pub(crate) async fn status(self, status_token: Arc<Secret>) -> Result<OperationStatus> {
        Ok(self.client.status(&status_token.0).await?.into())
    }

    pub(crate) async fn introspect(self, token: Arc<Secret>) -> Result<Introspection> {
        Ok(self.client.introspect(&token.0).await?.into())
    }

    pub(crate) async fn create_intent(
        self,
        operation: IntentOperation,
        username: Option<String>,
        user_id: Option<String>,
        channels: Vec<Channel>,
    ) -> Result<Arc<Secret>> {
        let user = named_user(username, user_id, "an intent")?;
        let request = IntentRequest {
            user,
            operation: operation.into(),
            channels: channels.into_iter().map(Into::into).collect(),
        };
        Ok(Secret::wrap(self.client.create_intent(&request).await?))
    }

    pub(crate) async fn wait_for_completion(
        self,
        status_token: Arc<Secret>,
        options: WaitOptions,
        observer: Option<Arc<dyn WaitObserver>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<WaitOutcome> {
        self.wait(status_token, options, observer::held(observer), token_of(cancel)).await
    }

    /// Starts a background wait (see `WatchHandle`).
    pub(crate) fn watch(
        self,
        status_token: Arc<Secret>,
        observer: Arc<dyn WaitObserver>,
        options: WaitOptions,
    ) -> Result<Arc<WatchHandle>> {
        WatchHandle::start(self, status_token, options, observer)
    }

    /// Waits, reporting to `observer` (if any); returns once every callback has run.
    pub(crate) async fn wait(
        self,
        status_token: Arc<Secret>,
        options: WaitOptions,
        observer: Option<Observer>,
        cancel: CancellationToken,
    ) -> Result<WaitOutcome> {
        let bridge = Bridge::new(observer);
        let result = self
            .client
            .wait_for_completion(&status_token.0, &options.to_core(cancel), &bridge)
            .await
            .map(WaitOutcome::from)
            .map_err(AuthCloudError::from);
        bridge.finish(&result).await;
        result
    }

    pub(crate) async fn approve(self, request: ApprovalRequest) -> Result<ApprovalResult> {
        let request = request.to_core()?;
        Ok(self.client.approve(&request).await?.into())
    }

    pub(crate) async fn get_user(self, user_id: String) -> Result<User> {
        Ok(self.client.get_user(&user_id).await?.into())
    }

    pub(crate) async fn find_user(self, username: String) -> Result<Option<User>> {
        Ok(self.client.find_user(&username).await?.map(User::from))
    }

    pub(crate) async fn delete_user(self, user_id: String) -> Result<DeleteOutcome> {
        Ok(self.client.delete_user(&user_id).await?.into())
    }

    pub(crate) async fn rename_authenticator(
        self,
        authenticator_id: String,
        name: String,
    ) -> Result<Option<Authenticator>> {
        Ok(self.client.rename_authenticator(&authenticator_id, &name).await?.map(Authenticator::from))
    }

    pub(crate) async fn delete_authenticator(self, authenticator_id: String) -> Result<DeleteOutcome> {
        Ok(self.client.delete_authenticator(&authenticator_id).await?.into())
    }

    pub(crate) async fn ping(self) -> Result<()> {
        Ok(self.client.ping().await?)
    }

    pub(crate) async fn enroll_sms(
        self,
        phone: String,
        username: Option<String>,
        user_id: Option<String>,
        message: Option<String>,
    ) -> Result<SmsEnrollResult> {
        let user = named_user(username, user_id, "an SMS enrollment")?;
        let request = authcloud::SmsEnrollRequest { user, phone, message };
        Ok(self.client.enroll_sms(&request).await?.into())
    }

    pub(crate) async fn request_recovery_codes(
        self,
        username: Option<String>,
        user_id: Option<String>,
    ) -> Result<RecoveryCodes> {
        let user = named_user(username, user_id, "recovery codes")?;
        Ok(self.client.request_recovery_codes(&user).await?.into())
    }

    pub(crate) async fn verify_code(self, user_id: String, check: CodeCheck) -> Result<CodeVerdict> {
        Ok(self.client.verify_code(&user_id, &check.into()).await?)
    }

    pub(crate) async fn export_logs(self, query: LogQuery) -> Result<LogExport> {
        Ok(self.client.export_logs(&query.to_core()?).await?.into())
    }

    pub(crate) async fn verify(
        self,
        status_token: Arc<Secret>,
        expected_user_id: Option<String>,
        expected_transaction_id: Option<String>,
        check_subject: bool,
    ) -> Result<VerifiedUser> {
        let options = authcloud::VerifyOptions { expected_user_id, expected_transaction_id, check_subject };
        Ok(self.client.verify(&status_token.0, &options).await?.into())
    }
}

/// The user an operation must name: a username or a user id, exactly one.
fn named_user(username: Option<String>, user_id: Option<String>, what: &str) -> Result<authcloud::UserRef> {
    user_ref(username, user_id)?.ok_or_else(|| AuthCloudError::InvalidInput {
        field: "username".into(),
        reason: format!("{what} needs a username or a user id"),
    })
}
