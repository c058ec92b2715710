//! `ClientConfig`: every knob of the core's builder as one record with finite defaults.

use std::sync::Arc;
use std::time::Duration;

use authcloud::{ProxySetting, RetryPolicy};

use crate::error::AuthCloudError;
use crate::secret::Secret;

/// How to reach the Authentication Cloud. Set exactly one of `instance` / `base_url`, and
/// at most one of `access_key` (servers) / `intent_token` (devices).
#[derive(Debug, Clone, uniffi::Record)]
pub struct ClientConfig {
    /// Instance name: `https://{instance}.mauth.nevis.cloud`.
    #[uniffi(default = None)]
    pub instance: Option<String>,
    /// Explicit base URL (https, or http on loopback such as the emulator).
    #[uniffi(default = None)]
    pub base_url: Option<String>,
    /// The access key. Servers only: never ship it in an app.
    #[uniffi(default = None)]
    pub access_key: Option<Arc<Secret>>,
    /// An intent token minted by your backend, for devices.
    #[uniffi(default = None)]
    pub intent_token: Option<Arc<Secret>>,
    #[uniffi(default = 5000)]
    pub connect_timeout_ms: u64,
    /// One attempt of a request: connect, send, receive.
    #[uniffi(default = 30000)]
    pub request_timeout_ms: u64,
    /// A whole call: all its attempts and back-off pauses.
    #[uniffi(default = 60000)]
    pub call_timeout_ms: u64,
    /// Attempts in all for requests that may be retried (1 = never retry).
    #[uniffi(default = 3)]
    pub max_attempts: u32,
    #[uniffi(default = 250)]
    pub initial_backoff_ms: u64,
    #[uniffi(default = 5000)]
    pub max_backoff_ms: u64,
    /// Longest `Retry-After` honoured (at most 10 minutes); longer ends the call with
    /// `RateLimited`.
    #[uniffi(default = 30000)]
    pub max_retry_after_ms: u64,
    #[uniffi(default = 1048576)]
    pub max_response_bytes: u64,
    /// Requests in flight at most (at least 1), and so the bound on open connections to
    /// the server: more calls at once queue for a slot, within their deadline.
    #[uniffi(default = 64)]
    pub max_concurrent_requests: u32,
    /// Appended to the User-Agent `authcloud/<version>`, e.g. `my-app/2.1`.
    #[uniffi(default = None)]
    pub user_agent_suffix: Option<String>,
    /// Extra CA certificate(s) to trust, PEM.
    #[uniffi(default = None)]
    pub extra_root_ca_pem: Option<String>,
    /// Honour `HTTPS_PROXY` / `NO_PROXY` (ignored when `proxy_url` is set).
    #[uniffi(default = true)]
    pub use_environment_proxy: bool,
    /// An explicit proxy (it may carry credentials, hence a `Secret`).
    #[uniffi(default = None)]
    pub proxy_url: Option<Arc<Secret>>,
}

impl ClientConfig {
    pub(crate) fn to_core(&self) -> Result<authcloud::Client, AuthCloudError> {
        let mut builder = authcloud::Client::builder();
        builder = match (&self.instance, &self.base_url) {
            (Some(instance), None) => builder.instance(instance),
            (None, Some(url)) => builder.base_url(url),
            (Some(_), Some(_)) => return Err(config_error("set either instance or base_url, not both")),
            (None, None) => return Err(config_error("set instance or base_url")),
        };
        builder = match (&self.access_key, &self.intent_token) {
            (Some(key), None) => builder.access_key(key.0.clone()),
            (None, Some(token)) => builder.intent_token(token.0.clone()),
            (None, None) => builder,
            (Some(_), Some(_)) => return Err(config_error("set either access_key or intent_token, not both")),
        };
        builder = builder
            .connect_timeout(Duration::from_millis(self.connect_timeout_ms))
            .request_timeout(Duration::from_millis(self.request_timeout_ms))
            .call_timeout(Duration::from_millis(self.call_timeout_ms))
            .retry_policy(RetryPolicy {
                max_attempts: self.max_attempts,
                initial_backoff: Duration::from_millis(self.initial_backoff_ms),
                max_backoff: Duration::from_millis(self.max_backoff_ms),
                max_retry_after: Duration::from_millis(self.max_retry_after_ms),
            })
            .max_response_bytes(self.max_response_bytes)
            .max_concurrent_requests(usize::try_from(self.max_concurrent_requests).unwrap_or(usize::MAX))
            .proxy(match (&self.proxy_url, self.use_environment_proxy) {
                (Some(url), _) => ProxySetting::Url(url.0.clone()),
                (None, true) => ProxySetting::FromEnvironment,
                (None, false) => ProxySetting::Disabled,
            });
        if let Some(suffix) = &self.user_agent_suffix {
            builder = builder.user_agent_suffix(suffix);
        }
        if let Some(pem) = &self.extra_root_ca_pem {
            builder = builder.add_root_certificate_pem(pem);
        }
        Ok(builder.build()?)
    }
}

fn config_error(reason: &str) -> AuthCloudError {
    AuthCloudError::Configuration { reason: reason.to_owned() }
}
