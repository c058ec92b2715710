//! The client and one method per API endpoint.

use std::fmt;
use std::sync::Arc;

use crate::config::{ClientBuilder, ClientConfig, Credential};
use crate::endpoint::{ENROLL, INTENT, INTROSPECT, STATUS};
use crate::error::{Error, Result};
use crate::model::{EnrollRequest, IntentRequest};
use crate::responses::{self, EnrollResult, Introspection, OperationStatus};
use crate::secret::SecretString;
use crate::transport::{Call, Payload, Transport};

/// A client of one Authentication Cloud instance.
///
/// Cheap to clone (an `Arc`); all clones share one connection pool and its
/// [`max_concurrent_requests`](crate::ClientBuilder::max_concurrent_requests) slots — the
/// bound on connections to the server — so create one per process and credential and share
/// it. Needs a tokio runtime.
#[derive(Clone)]
pub struct Client {
    pub(crate) transport: Arc<Transport>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.transport.config;
        f.debug_struct("Client")
            .field("base_url", &config.base_url.as_str())
            .field("credential", &config.credential)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts a configuration.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from a validated configuration.
    pub fn new(config: ClientConfig) -> Result<Self> {
        Ok(Self { transport: Arc::new(Transport::new(config)?) })
    }

    /// The configuration in use.
    pub fn config(&self) -> &ClientConfig {
        &self.transport.config
    }

    /// `POST /api/v1/users/enroll`: starts registering an authenticator app for a user
    /// (creating the user when the username is new).
    ///
    /// Not idempotent: it is re-sent only when the server surely did not receive it or
    /// answered 429 or 503, never after a timeout or another 5xx (that could register
    /// twice), and never sent with less than the send floor left after waiting for a
    /// request slot (then a `Timeout` with `not_sent`). Once the server accepted it, the
    /// answer is returned whatever its QR code or deep link look like: check those when
    /// you use them ([`crate::QrCode::png_bytes`], [`crate::DeepLink::href`]). An answer
    /// that carries the status token but lacks the transaction id or the user id is
    /// completed from a `status` answer (idempotent, within the same call deadline); if
    /// that fails too, the answer is still returned with its status token and
    /// [`EnrollResult::ids_missing`] set.
    pub async fn enroll(&self, request: &EnrollRequest) -> Result<EnrollResult> {
        let body = request.to_wire()?;
        let call = Call {
            operation: "enroll",
            endpoint: ENROLL,
            path: None,
            payload: Payload::Json(body),
            bearer: Some(self.credential_for("enroll")?),
            secrets: Vec::new(),
        };
        self.send_enrollment(&call).await
    }

    /// Sends an enrollment (any channel) and completes an answer that lacks its ids from
    /// a `status` answer, within the same call deadline.
    pub(crate) async fn send_enrollment(&self, call: &Call<'_>) -> Result<EnrollResult> {
        let deadline = self.transport.call_deadline();
        let mut enrolled = self.transport.send_parsed_by(call, deadline, EnrollResult::from_json).await?;
        if enrolled.ids_missing {
            if let Some(status) =
                self.ids_from_status(call.operation, &enrolled.enrollment.status_token, deadline).await
            {
                enrolled.fill_ids(&status);
            }
        }
        Ok(enrolled)
    }

    /// The `status` answer that completes an `enroll` or `approval` answer lacking its ids,
    /// within the operation's call deadline. `None` (logged) when that lookup fails: the
    /// operation is returned anyway, with its status token.
    pub(crate) async fn ids_from_status(
        &self,
        operation: &'static str,
        status_token: &SecretString,
        deadline: Option<std::time::Instant>,
    ) -> Option<OperationStatus> {
        let looked_up = match status_call(status_token) {
            Ok(call) => self.transport.send_parsed_by(&call, deadline, OperationStatus::from_json).await,
            Err(error) => Err(error),
        };
        match looked_up {
            Ok(status) => Some(status),
            Err(error) => {
                tracing::warn!(
                    target: "authcloud::http",
                    operation,
                    error = %error,
                    "the answer lacked its ids and the status lookup failed; returning it with its status token"
                );
                None
            }
        }
    }

    /// `POST /api/v1/status`: where an operation stands. Sends no credential (the status
    /// token is the capability). Safe to repeat, so transient failures are retried.
    pub async fn status(&self, status_token: &SecretString) -> Result<OperationStatus> {
        let call = status_call(status_token)?;
        self.transport.send_parsed(&call, OperationStatus::from_json).await
    }

    /// `POST /api/v1/introspect`: is this token genuine and active? Needs the access key.
    ///
    /// The vendor calls the transaction token consumable, so introspect is treated like an
    /// operation with effects: re-sent only when the server surely did not receive it or
    /// refused it with 429 or 503, never after a timeout or a dropped connection.
    pub async fn introspect(&self, token: &SecretString) -> Result<Introspection> {
        let key = self.require_access_key("introspect")?;
        if token.is_empty() {
            return Err(Error::invalid("token", "must not be empty"));
        }
        let call = Call {
            operation: "introspect",
            endpoint: INTROSPECT,
            path: None,
            payload: Payload::Form(vec![("token", token.clone())]),
            bearer: Some(key),
            secrets: vec![token],
        };
        self.transport.send_parsed(&call, Introspection::from_json).await
    }

    /// `POST /api/v1/intent`: mints a single-use intent token for a device. Needs the
    /// access key. Not idempotent (each call mints a token).
    pub async fn create_intent(&self, request: &IntentRequest) -> Result<SecretString> {
        let key = self.require_access_key("create_intent")?;
        let body = request.to_wire()?;
        let call = Call {
            operation: "create_intent",
            endpoint: INTENT,
            path: None,
            payload: Payload::Json(body),
            bearer: Some(key),
            secrets: Vec::new(),
        };
        self.transport.send_parsed(&call, responses::intent_token).await
    }

    /// The access key, or the typed refusal (before any I/O) for clients without one.
    /// The credential of an operation a device may do too: the access key or an intent
    /// token.
    pub(crate) fn credential_for(&self, operation: &'static str) -> Result<&SecretString> {
        match &self.config().credential {
            Some(credential) => Ok(credential.secret()),
            None => Err(Error::config(format!("{operation} needs an access key or an intent token"))),
        }
    }

    pub(crate) fn require_access_key(&self, operation: &'static str) -> Result<&SecretString> {
        match &self.config().credential {
            Some(Credential::AccessKey(key)) => Ok(key),
            Some(Credential::IntentToken(_)) => Err(Error::AccessKeyRequired { operation, has: "an intent token" }),
            None => Err(Error::AccessKeyRequired { operation, has: "no credential" }),
        }
    }
}

pub(crate) fn status_call(status_token: &SecretString) -> Result<Call<'_>> {
    if status_token.is_empty() {
        return Err(Error::invalid("status token", "must not be empty"));
    }
    Ok(Call {
        operation: "status",
        endpoint: STATUS,
        path: None,
        payload: Payload::Json(serde_json::json!({ "statusToken": status_token.expose() })),
        bearer: None,
        secrets: vec![status_token],
    })
}

impl ClientBuilder {
    /// Validates the configuration and creates the client.
    pub fn build(self) -> Result<Client> {
        Client::new(self.build_config()?)
    }
}
