//! The operations behind both `Client` and `AsyncClient`: owned, `'static` futures over
//! the core client, with the conversions to FFI types. Blocking and async share this one
//! implementation; only how the future is driven differs.

use std::sync::Arc;

use authcloud::{CancellationToken, EnrollRequest, IntentRequest, UserRef};

use crate::approval::{ApprovalRequest, ApprovalResult, DeleteOutcome};
use crate::error::AuthCloudError;
use crate::observer::{Bridge, EnrollmentObserver};
use crate::secret::Secret;
use crate::types::{
    Authenticator, Channel, EnrollResult, IntentOperation, Introspection, OperationStatus, User, VerifiedUser,
    WaitOptions, WaitOutcome,
};

type Result<T> = std::result::Result<T, AuthCloudError>;

#[derive(Clone)]
pub(crate) struct Ops {
    pub(crate) client: authcloud::Client,
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
        observer: Option<Arc<dyn EnrollmentObserver>>,
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
