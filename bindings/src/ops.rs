//! The operations behind both `Client` and `AsyncClient`: owned, `'static` futures over
//! the core client, with the conversions to FFI types. Blocking and async share this one
//! implementation; only how the future is driven differs.

use std::fmt;
use std::sync::Arc;

use authcloud::{CancellationToken, EnrollRequest, IntentRequest, UserRef};

use crate::approval::{ApprovalRequest, ApprovalResult, DeleteOutcome};
use crate::error::AuthCloudError;
use crate::fork::ProcessLocal;
use crate::observer::{Bridge, Observer};
use crate::secret::Secret;
use crate::types::{
    Authenticator, Channel, EnrollResult, IntentOperation, Introspection, OperationStatus, User, VerifiedUser,
    WaitOptions, WaitOutcome,
};

type Result<T> = std::result::Result<T, AuthCloudError>;

/// The operations of one call, over the core client of this process.
pub(crate) struct Ops {
    pub(crate) client: authcloud::Client,
}

/// The core client behind a `Client` or `AsyncClient`: one per process, so that a forked
/// child never uses its parent's connections (see `fork.rs`).
pub(crate) struct CoreClient(ProcessLocal<authcloud::Client>);

impl CoreClient {
    pub(crate) fn new(client: authcloud::Client) -> Self {
        CoreClient(ProcessLocal::new(client))
    }

    /// The operations for one call.
    pub(crate) fn ops(&self) -> Result<Ops> {
        // In a forked child: a client with the same configuration and a pool of its own.
        let client =
            self.0.get(|parents| authcloud::Client::new(parents.config().clone()).map_err(AuthCloudError::from))?;
        Ok(Ops { client })
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

pub(crate) fn user_ref(username: Option<String>, user_id: Option<String>) -> Result<Option<UserRef>> {
    match (username, user_id) {
        (Some(_), Some(_)) => Err(AuthCloudError::InvalidInput {
            field: "username".into(),
            reason: "give a username or a user id, not both".into(),
        }),
        (Some(name), None) => Ok(Some(UserRef::Username(name))),
        (None, Some(id)) => Ok(Some(UserRef::UserId(id))),
        (None, None) => Ok(None),
    }
}

impl Ops {
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
        let user = user_ref(username, user_id)?.ok_or_else(|| AuthCloudError::InvalidInput {
            field: "username".into(),
            reason: "an intent needs a username or a user id".into(),
        })?;
        let request = IntentRequest {
            user,
            operation: operation.into(),
            channels: channels.into_iter().map(Into::into).collect(),
        };
        Ok(Secret::wrap(self.client.create_intent(&request).await?))
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

    pub(crate) async fn verify(
        self,
        status_token: Arc<Secret>,
        options: authcloud::VerifyOptions,
    ) -> Result<VerifiedUser> {
        Ok(self.client.verify(&status_token.0, &options).await?.into())
    }
}
