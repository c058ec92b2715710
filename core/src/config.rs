//! Client configuration: where to connect, with which credential, and how patiently.
//!
//! Every knob has a finite default. Validation happens once, in
//! [`ClientBuilder::build`], so a bad instance name or a plain-http URL to a remote host
//! is refused before any request exists.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use url::Url;

use crate::defaults::{
    DEFAULT_CALL_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_BACKOFF,
    DEFAULT_MAX_CONCURRENT_REQUESTS, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRY_AFTER, DEFAULT_REQUEST_TIMEOUT,
    MAX_RETRY_AFTER_LIMIT,
};
use crate::error::{Error, Result};
use crate::secret::SecretString;

/// Longest instance name (one DNS label).
pub const MAX_INSTANCE_LEN: usize = 63;

/// The highest `max_concurrent_requests` accepted (more than any server or file-descriptor
/// limit would allow anyway).
const MAX_CONCURRENT_REQUESTS_LIMIT: usize = 1 << 20;

/// Which Authentication Cloud to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An instance name: `https://{instance}.mauth.nevis.cloud`.
    Instance(String),
    /// An explicit base URL; `https` unless the host is loopback (tests, the emulator).
    BaseUrl(String),
}

/// The credential sent as `Authorization: Bearer ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// The instance's access key: full access, for servers only.
    AccessKey(SecretString),
    /// A short-lived, single-use token minted by a backend for a device.
    IntentToken(SecretString),
}

impl Credential {
    pub(crate) fn secret(&self) -> &SecretString {
        match self {
            Credential::AccessKey(s) | Credential::IntentToken(s) => s,
        }
    }
}

/// How to reach the server through an HTTP proxy.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum ProxySetting {
    /// Honour `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (the default).
    #[default]
    FromEnvironment,
    /// Connect directly, ignoring the environment.
    Disabled,
    /// Use this proxy for every request (it may carry `user:password@`).
    Url(SecretString),
}

impl fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxySetting::FromEnvironment => f.write_str("FromEnvironment"),
            ProxySetting::Disabled => f.write_str("Disabled"),
            ProxySetting::Url(url) => write!(f, "Url({})", redact_userinfo(url.expose())),
        }
    }
}

fn redact_userinfo(url: &str) -> String {
    match crate::urls::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_username("redacted");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "<unparsable url>".into(),
    }
}

/// When and how often to re-send a request that failed transiently.
///
/// `status` is retried on connect errors, timeouts, 429 and 502/503/504; `enroll`,
/// `create_intent` and `introspect` only when the server surely did not get the request
/// (connect failure) or refused it with 429 or 503. Every call ends within the client's
/// call timeout, pauses included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Back-off before the first retry; doubles each time.
    pub initial_backoff: Duration,
    /// Longest back-off between two attempts.
    pub max_backoff: Duration,
    /// Longest `Retry-After` the client honours (at most
    /// [`MAX_RETRY_AFTER_LIMIT`], 10 minutes); a server asking for more ends the call with
    /// [`Error::RateLimited`] carrying the requested delay.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            initial_backoff: DEFAULT_INITIAL_BACKOFF,
            max_backoff: DEFAULT_MAX_BACKOFF,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self { max_attempts: 1, ..Self::default() }
    }
}

/// The validated configuration a [`crate::Client`] runs with.
#[derive(Clone)]
pub struct ClientConfig {
    pub(crate) base_url: Url,
    pub(crate) credential: Option<Credential>,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) call_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_bytes: u64,
    pub(crate) max_concurrent_requests: usize,
    pub(crate) user_agent: String,
    pub(crate) extra_root_certificates_pem: Vec<String>,
    pub(crate) proxy: ProxySetting,
}

impl ClientConfig {
    /// The API's base URL (ends with `/`).
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }
    /// The credential, if any.
    pub fn credential(&self) -> Option<&Credential> {
        self.credential.as_ref()
    }
    /// Connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }
    /// Timeout of one attempt of a request.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }
    /// Timeout of a whole call: every attempt and pause.
    pub fn call_timeout(&self) -> Duration {
        self.call_timeout
    }
    /// Retry policy.
    pub fn retry(&self) -> RetryPolicy {
        self.retry
    }
    /// Largest response body read.
    pub fn max_response_bytes(&self) -> u64 {
        self.max_response_bytes
    }
    /// Requests in flight at most, and the bound on open connections to the server
    /// ([`ClientBuilder::max_concurrent_requests`]).
    pub fn max_concurrent_requests(&self) -> usize {
        self.max_concurrent_requests
    }
    /// The User-Agent header sent.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// True when the base URL's host is this machine (an emulator, a local gateway).
    pub(crate) fn targets_loopback(&self) -> bool {
        self.base_url.host_str().is_some_and(is_loopback_host)
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url.as_str())
            .field("credential", &self.credential)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("call_timeout", &self.call_timeout)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .field("user_agent", &self.user_agent)
            .field("extra_root_certificates", &self.extra_root_certificates_pem.len())
            .field("proxy", &self.proxy)
            .finish()
    }
}

/// Builds a [`crate::Client`]. Start with [`crate::Client::builder`].
#[derive(Clone, Default)]
pub struct ClientBuilder {
    target: Option<Target>,
    credential: Option<Credential>,
    connect_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    call_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    max_response_bytes: Option<u64>,
    max_concurrent_requests: Option<usize>,
    user_agent_suffix: Option<String>,
    extra_root_certificates_pem: Vec<String>,
    proxy: ProxySetting,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not yet validated: a base URL may still carry `user:password@`.
        let target = match &self.target {
            Some(Target::BaseUrl(url)) => Some(format!("BaseUrl({})", redact_userinfo(url))),
            Some(Target::Instance(name)) => Some(format!("Instance({name:?})")),
            None => None,
        };
        f.debug_struct("ClientBuilder")
            .field("target", &target)
            .field("credential", &self.credential)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("call_timeout", &self.call_timeout)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("extra_root_certificates", &self.extra_root_certificates_pem.len())
            .field("proxy", &self.proxy)
            .finish()
    }
}

impl ClientBuilder {
    /// Talk to `https://{instance}.mauth.nevis.cloud`.
    pub fn instance(mut self, instance: impl Into<String>) -> Self {
        self.target = Some(Target::Instance(instance.into()));
        self
    }

    /// Talk to an explicit base URL (`https`, or `http` on loopback).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.target = Some(Target::BaseUrl(base_url.into()));
        self
    }

    /// Sets the target.
    pub fn target(mut self, target: Target) -> Self {
        self.target = Some(target);
        self
    }

    /// Authenticate with the access key (servers only).
    pub fn access_key(mut self, key: impl Into<SecretString>) -> Self {
        self.credential = Some(Credential::AccessKey(key.into()));
        self
    }

    /// Authenticate with an intent token (devices).
    pub fn intent_token(mut self, token: impl Into<SecretString>) -> Self {
        self.credential = Some(Credential::IntentToken(token.into()));
        self
    }

    /// Sets (or clears) the credential.
    pub fn credential(mut self, credential: Option<Credential>) -> Self {
        self.credential = credential;
        self
    }

    /// TCP + TLS connect timeout (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Timeout of one attempt of a request: connect, send, receive (default 30 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// Timeout of a whole call across all its attempts and back-off pauses (default
    /// 60 s): however the server behaves, a call returns within it.
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = Some(timeout);
        self
    }

    /// Retry policy (default: 3 attempts, 250 ms doubling to 5 s).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Largest response body to read (default 1 MiB).
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }

    /// Requests this client (and all its clones) has in flight at most (default 64, at
    /// least 1), and with it **the bound on open connections to the server**: a request
    /// takes one of these slots before it may use or open a connection and gives it back
    /// once its answer is read (or it failed), and the pool keeps at most this many idle
    /// connections. So at most `max_concurrent_requests` connections are in use and at most
    /// as many idle: **never more than 2 × `max_concurrent_requests` open** (a connection
    /// being handed back to the pool counts as neither for that instant). 10,000 waits
    /// polling at the same moment queue for the slots instead of opening 10,000
    /// connections. Open connections can pass `max_concurrent_requests` itself because the
    /// HTTP pool opens a new connection when a request finds none idle while another is
    /// still on its way back, then keeps the extra one idle; the crate's README ("Connections,
    /// and many waits on one client") has the measurements.
    ///
    /// The time a request waits for a slot counts against its deadline (the attempt's
    /// timeout, and within it the call's): a call never hangs past it, and a request that
    /// timed out waiting was never sent. Raise it for a backend that sends many slow requests
    /// at once; lower it to be gentler on a server.
    pub fn max_concurrent_requests(mut self, limit: usize) -> Self {
        self.max_concurrent_requests = Some(limit);
        self
    }

    /// Appended to `authcloud/<version>` in the User-Agent, e.g. `my-app/2.1`.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Trusts the CA certificate(s) in this PEM text in addition to the system's.
    pub fn add_root_certificate_pem(mut self, pem: impl Into<String>) -> Self {
        self.extra_root_certificates_pem.push(pem.into());
        self
    }

    /// Proxy use (default: from the environment).
    pub fn proxy(mut self, proxy: ProxySetting) -> Self {
        self.proxy = proxy;
        self
    }

    /// Validates everything and returns the configuration.
    pub fn build_config(self) -> Result<ClientConfig> {
        let base_url = match self.target {
            None => return Err(Error::config("no target: set an instance name or a base URL")),
            Some(Target::Instance(name)) => instance_url(&name)?,
            Some(Target::BaseUrl(url)) => validate_base_url(&url)?,
        };
        if let Some(credential) = &self.credential {
            validate_credential(credential.secret())?;
        }
        let connect_timeout = positive("connect timeout", self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))?;
        let request_timeout = positive("request timeout", self.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT))?;
        let call_timeout = positive("call timeout", self.call_timeout.unwrap_or(DEFAULT_CALL_TIMEOUT))?;
        let retry = self.retry.unwrap_or_default();
        if retry.max_attempts == 0 {
            return Err(Error::config("retry max_attempts must be at least 1"));
        }
        if retry.max_retry_after > MAX_RETRY_AFTER_LIMIT {
            return Err(Error::config("retry max_retry_after must be at most 10 minutes"));
        }
        let max_response_bytes = self.max_response_bytes.unwrap_or(DEFAULT_MAX_RESPONSE_BYTES);
        if max_response_bytes == 0 {
            return Err(Error::config("max response bytes must be positive"));
        }
        let max_concurrent_requests = self.max_concurrent_requests.unwrap_or(DEFAULT_MAX_CONCURRENT_REQUESTS);
        if max_concurrent_requests == 0 {
            return Err(Error::config("max concurrent requests must be at least 1"));
        }
        if max_concurrent_requests > MAX_CONCURRENT_REQUESTS_LIMIT {
            return Err(Error::config(format!(
                "max concurrent requests must be at most {MAX_CONCURRENT_REQUESTS_LIMIT}"
            )));
        }
        let user_agent = user_agent(self.user_agent_suffix.as_deref())?;
        if let ProxySetting::Url(url) = &self.proxy {
            crate::urls::parse(url.expose()).map_err(|_| Error::config("proxy is not a valid URL"))?;
        }
        Ok(ClientConfig {
            base_url,
            credential: self.credential,
            connect_timeout,
            request_timeout,
            call_timeout,
            retry,
            max_response_bytes,
            max_concurrent_requests,
            user_agent,
            extra_root_certificates_pem: self.extra_root_certificates_pem,
            proxy: self.proxy,
        })
    }
}

fn positive(what: &str, d: Duration) -> Result<Duration> {
    if d.is_zero() { Err(Error::config(format!("{what} must be positive"))) } else { Ok(d) }
}

/// Checks an instance name: one DNS label of lowercase letters, digits and hyphens,
/// 1–63 characters, no leading or trailing hyphen.
pub fn validate_instance(instance: &str) -> Result<()> {
    let fail = |reason: &str| Err(Error::config(format!("instance name {reason}")));
    if instance.is_empty() {
        return fail("is empty");
    }
    if instance.len() > MAX_INSTANCE_LEN {
        return fail("is longer than 63 characters");
    }
    if !instance.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return fail("must be one DNS label: lowercase letters a-z, digits and hyphens only");
    }
    if instance.starts_with('-') || instance.ends_with('-') {
        return fail("must not start or end with a hyphen");
    }
    Ok(())
}

fn instance_url(instance: &str) -> Result<Url> {
    validate_instance(instance)?;
    Url::parse(&format!("https://{instance}.mauth.nevis.cloud/"))
        .map_err(|_| Error::config("instance name does not form a valid URL"))
}

/// Parses and checks an explicit base URL.
pub fn validate_base_url(raw: &str) -> Result<Url> {
    let mut url = crate::urls::parse(raw.trim()).map_err(|e| Error::config(format!("base URL: {e}")))?;
    let Some(host) = url.host_str() else {
        return Err(Error::config("base URL has no host"));
    };
    let loopback = is_loopback_host(host);
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => return Err(Error::config("base URL must use https unless the host is loopback")),
        other => return Err(Error::config(format!("base URL scheme `{other}` is not http(s)"))),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config("base URL must not contain credentials; use the access key setting"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config("base URL must not have a query or fragment"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// `localhost` (which the client resolves to loopback itself) or a literal loopback
/// address: 127.0.0.0/8 or ::1.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(false)
}

fn validate_credential(secret: &SecretString) -> Result<()> {
    let value = secret.expose();
    if value.is_empty() {
        return Err(Error::config("credential is empty"));
    }
    // It goes into an HTTP header: refuse what would corrupt or split it.
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::config("credential contains whitespace or non-printable characters"));
    }
    Ok(())
}

fn user_agent(suffix: Option<&str>) -> Result<String> {
    let base = concat!("authcloud/", env!("CARGO_PKG_VERSION"));
    match suffix.map(str::trim) {
        None | Some("") => Ok(base.to_owned()),
        Some(s) if s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic() || b == b' ') => Ok(format!("{base} {s}")),
        Some(_) => Err(Error::config("user agent suffix must be printable ASCII, at most 128 characters")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_names_that_must_be_rejected() {
        let long = "a".repeat(64);
        for bad in [
            "",
            "a.b",
            "a/b",
            "a@b",
            "a:1",
            "a#",
            "a?x",
            "..",
            "%2e",
            " a",
            "a b",
            "a ",
            "ä",
            "inståns",
            "-a",
            "a-",
            "ACME",
            long.as_str(),
            "a\n",
            "a\\b",
        ] {
            assert!(validate_instance(bad).is_err(), "accepted {bad:?}");
            assert!(ClientBuilder::default().instance(bad).build_config().is_err(), "built {bad:?}");
        }
    }

    #[test]
    fn good_instance_names() {
        for good in ["acme", "a", "my-corp-01", &"a".repeat(63)] {
            let cfg = ClientBuilder::default().instance(good).build_config().unwrap();
            assert_eq!(cfg.base_url().as_str(), format!("https://{good}.mauth.nevis.cloud/"));
        }
    }

    #[test]
    fn base_url_rules() {
        assert!(validate_base_url("http://127.0.0.1:8080").is_ok());
        assert!(validate_base_url("http://localhost:1").is_ok());
        assert!(validate_base_url("http://[::1]:1").is_ok());
        assert_eq!(validate_base_url("https://gw.example/auth").unwrap().as_str(), "https://gw.example/auth/");
        assert!(validate_base_url("http://example.com").is_err());
        assert!(validate_base_url("ftp://127.0.0.1").is_err());
        assert!(validate_base_url("https://user:pw@example.com").is_err());
        assert!(validate_base_url("https://example.com/?a=b").is_err());
        assert!(validate_base_url("not a url").is_err());
    }

    #[test]
    fn defaults_are_finite() {
        let cfg = ClientBuilder::default().instance("acme").build_config().unwrap();
        assert_eq!(cfg.connect_timeout(), Duration::from_secs(5));
        assert_eq!(cfg.request_timeout(), Duration::from_secs(30));
        assert_eq!(cfg.max_response_bytes(), 1024 * 1024);
        assert_eq!(cfg.call_timeout(), Duration::from_secs(60));
        assert_eq!(cfg.max_concurrent_requests(), 64);
        assert!(cfg.user_agent().starts_with("authcloud/"));
    }

    #[test]
    fn limits_are_enforced() {
        let retry = |max_retry_after| RetryPolicy { max_retry_after, ..RetryPolicy::default() };
        let build = |r| ClientBuilder::default().instance("acme").retry_policy(r).build_config();
        assert!(build(retry(Duration::from_secs(600))).is_ok());
        let err = build(retry(Duration::from_secs(601))).unwrap_err();
        assert!(err.to_string().contains("at most 10 minutes"), "{err}");
        assert!(ClientBuilder::default().instance("a").call_timeout(Duration::ZERO).build_config().is_err());
        let limit = |n| ClientBuilder::default().instance("a").max_concurrent_requests(n).build_config();
        let err = limit(0).unwrap_err();
        assert!(err.to_string().contains("at least 1"), "{err}");
        assert_eq!(limit(1).unwrap().max_concurrent_requests(), 1);
        assert!(limit(1 << 20).is_ok());
        assert!(limit((1 << 20) + 1).is_err());
        assert!(limit(usize::MAX).is_err(), "more permits than a semaphore holds must not panic later");
    }

    #[test]
    fn loopback_hosts() {
        for host in ["localhost", "LOCALHOST", "127.0.0.1", "127.255.0.9", "[::1]", "::1"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["localhost.example", "128.0.0.1", "[::2]", "10.0.0.1", "example.com", "[::ffff:10.0.0.1]"] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn debug_hides_credential_and_proxy_password() {
        let cfg = ClientBuilder::default()
            .instance("acme")
            .access_key("super-secret-key")
            .proxy(ProxySetting::Url("http://bob:hunter2@proxy:3128".into()))
            .build_config()
            .unwrap();
        let printed = format!("{cfg:?}");
        assert!(!printed.contains("super-secret-key") && !printed.contains("hunter2"), "{printed}");
        let builder = ClientBuilder::default().base_url("https://bob:hunter2@gw.example/");
        assert!(!format!("{builder:?}").contains("hunter2"));
    }

    #[test]
    fn user_agent_suffix() {
        let cfg = ClientBuilder::default().instance("a").user_agent_suffix("app/1.0").build_config().unwrap();
        assert!(cfg.user_agent().ends_with(" app/1.0"));
        assert!(ClientBuilder::default().instance("a").user_agent_suffix("x\r\ny").build_config().is_err());
    }
}
