//! One HTTP client per SDK client: request building, the response size cap, error
//! mapping, retries where they are safe, and a tracing event per attempt.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, LOCATION, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use tokio::sync::Semaphore;
use tracing::Instrument;
use url::Url;

use crate::config::{ClientConfig, ProxySetting};
use crate::endpoint::Endpoint;
use crate::error::{ApiErrorDetail, Error, Result};
use crate::redact;
use crate::retry_schedule::{RetrySchedule, RetryStep};
use crate::rules::{may_resend, rule_for, send_floor};
use crate::sanitize::sanitize_server_text;
use crate::secret::SecretString;

/// Largest error body read for its `error`/`message` fields; the rest is ignored.
const ERROR_BODY_LIMIT: u64 = 16 * 1024;

/// A request body with its content type.
pub(crate) enum Payload {
    /// No body (GET, DELETE).
    None,
    Json(serde_json::Value),
    /// `application/x-www-form-urlencoded`; the pairs may hold secrets.
    Form(Vec<(&'static str, SecretString)>),
}

/// One API call, described once and sent one or more times. Whether it may be re-sent,
/// and whether it has effects, is its endpoint's entry in `rules::RULES`.
pub(crate) struct Call<'a> {
    /// Operation name for logs (`enroll`, `status`...).
    pub operation: &'static str,
    /// Method and path (with a leading slash, relative to the base URL's path). A template
    /// (`/api/v1/users/{userId}`) when `path` fills it in: errors and logs name the template.
    pub endpoint: Endpoint,
    /// The concrete path and query (ids filled in, percent-encoded) when the endpoint's
    /// path is a template; `None` uses the endpoint's path as it is.
    pub path: Option<String>,
    pub payload: Payload,
    /// Bearer credential, if the endpoint needs one.
    pub bearer: Option<&'a SecretString>,
    /// Secrets in this call besides the client's credential (scrubbed from errors).
    pub secrets: Vec<&'a SecretString>,
}

/// Where a 2xx answer's body goes as it arrives: kept whole (`Vec<u8>`, every endpoint but
/// one) or parsed on the fly (the log export's CSV rows).
pub(crate) trait BodySink: Send {
    /// A new answer begins (a retried attempt): forget what an earlier one delivered.
    fn restart(&mut self);
    /// The next piece of the body; an error ends the attempt (it is not retried).
    fn accept(&mut self, chunk: &[u8]) -> Result<()>;
    /// The body is complete.
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

impl BodySink for Vec<u8> {
    fn restart(&mut self) {
        self.clear();
    }

    fn accept(&mut self, chunk: &[u8]) -> Result<()> {
        self.extend_from_slice(chunk);
        Ok(())
    }
}

/// A failed attempt, with what the retry logic needs to know about it.
struct Failure {
    error: Error,
    /// The request surely never reached the server (never sent, connect error, TLS
    /// handshake).
    not_received: bool,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure { error, not_received: false }
    }
}

/// The HTTP layer of a client. Cheap to share: reqwest pools connections inside.
pub(crate) struct Transport {
    http: reqwest::Client,
    /// One permit per request in flight (`max_concurrent_requests`): a request holds one
    /// from before it takes a connection until its answer is read, so no more connections
    /// are ever in use at once, and the pool keeps no more than that many idle.
    permits: Semaphore,
    /// The least time a request with effects must have left once it got its slot
    /// (`rules::send_floor`).
    send_floor: Duration,
    /// Waits (`wait_for_completion`) running on this client and its clones: past
    /// `max_concurrent_requests` of them, new waits spread their first poll (see `wait.rs`).
    pub(crate) active_waits: std::sync::atomic::AtomicUsize,
    pub(crate) config: ClientConfig,
}

impl Transport {
    pub(crate) fn new(config: ClientConfig) -> Result<Self> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(config.user_agent.clone())
            // The API never redirects; following one could carry the Bearer elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(config.max_concurrent_requests)
            .tcp_keepalive(Duration::from_secs(30));
        for pem in &config.extra_root_certificates_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|_| Error::config("extra root CA is not valid PEM"))?;
            if certs.is_empty() {
                return Err(Error::config("extra root CA PEM holds no certificate"));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        builder = match &config.proxy {
            // A proxy from the environment cannot reach this machine's loopback (an
            // emulator, a local gateway); reqwest would still send loopback traffic to it.
            // The same holds for an explicit proxy: loopback traffic never leaves the machine.
            ProxySetting::FromEnvironment | ProxySetting::Url(_) if config.targets_loopback() => builder.no_proxy(),
            ProxySetting::FromEnvironment => builder,
            ProxySetting::Disabled => builder.no_proxy(),
            ProxySetting::Url(url) => {
                builder.proxy(reqwest::Proxy::all(url.expose()).map_err(|_| Error::config("proxy URL is not usable"))?)
            }
        };
        if config.base_url.host_str().is_some_and(|host| host.eq_ignore_ascii_case("localhost")) {
            // Plain http is allowed only because `localhost` is this machine: make sure it
            // is, whatever a hosts file or DNS server says (RFC 6761). The port in these
            // addresses is ignored; the URL's port is used.
            let loopback = [SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), SocketAddr::from((Ipv6Addr::LOCALHOST, 0))];
            builder = builder.resolve_to_addrs("localhost", &loopback);
        }
        let http = builder.build().map_err(|e| Error::config(format!("HTTP client: {}", root_cause(&e))))?;
        let permits = Semaphore::new(config.max_concurrent_requests);
        let send_floor = send_floor(config.request_timeout, config.call_timeout);
        Ok(Self { http, permits, send_floor, active_waits: Default::default(), config })
    }

    /// Sends `call`, retrying as the policy and the call's [`Resend`] allow, and returns
    /// the 2xx body. All attempts and pauses together stay within the configured call
    /// timeout.
    pub(crate) async fn send(&self, call: &Call<'_>) -> Result<Vec<u8>> {
        self.send_by(call, self.call_deadline()).await
    }

    /// The deadline of a call starting now (`None`: too far to represent, i.e. none).
    pub(crate) fn call_deadline(&self) -> Option<Instant> {
        Instant::now().checked_add(self.config.call_timeout)
    }

    /// [`send`](Self::send) within an earlier call's deadline (a follow-up request that is
    /// part of that call).
    pub(crate) async fn send_by(&self, call: &Call<'_>, deadline: Option<Instant>) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        self.send_into(call, deadline, &mut body, self.config.max_response_bytes).await?;
        Ok(body)
    }

    /// [`send_by`](Self::send_by) with the 2xx body streamed into `sink` (at most `limit`
    /// bytes) instead of returned.
    pub(crate) async fn send_into(
        &self,
        call: &Call<'_>,
        deadline: Option<Instant>,
        sink: &mut dyn BodySink,
        limit: u64,
    ) -> Result<()> {
        self.send_with_retries(call, deadline, sink, limit).instrument(span(call)).await
    }

    /// [`send`](Self::send), then `parse` the answer; a malformed answer names the call's
    /// endpoint.
    pub(crate) async fn send_parsed<T>(&self, call: &Call<'_>, parse: impl FnOnce(&[u8]) -> Result<T>) -> Result<T> {
        self.send_parsed_by(call, self.call_deadline(), parse).await
    }

    /// [`send_parsed`](Self::send_parsed) within the given deadline.
    pub(crate) async fn send_parsed_by<T>(
        &self,
        call: &Call<'_>,
        deadline: Option<Instant>,
        parse: impl FnOnce(&[u8]) -> Result<T>,
    ) -> Result<T> {
        let body = self.send_by(call, deadline).await?;
        parse(&body).map_err(|e| e.in_answer_of(call.endpoint))
    }

    /// Sends `call` once, with `timeout` for the whole attempt, the wait for a request
    /// slot included (the waiter's poll). `sent_at` is set when the request got its slot and
    /// went to the HTTP client (it stays `None` if it never did).
    pub(crate) async fn send_once(
        &self,
        call: &Call<'_>,
        timeout: Duration,
        sent_at: &mut Option<tokio::time::Instant>,
    ) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        let limit = self.config.max_response_bytes;
        self.attempt(call, 1, timeout, sent_at, &mut body, limit).instrument(span(call)).await.map_err(|f| f.error)?;
        Ok(body)
    }

    async fn send_with_retries(
        &self,
        call: &Call<'_>,
        deadline: Option<Instant>,
        sink: &mut dyn BodySink,
        limit: u64,
    ) -> Result<()> {
        let call_timeout = self.config.call_timeout;
        let rule = rule_for(call.endpoint);
        let mut schedule = RetrySchedule::new(self.config.retry, deadline.map(tokio::time::Instant::from_std));
        // Whether an attempt may have reached the server: a timeout is "not sent" only when
        // none did.
        let mut reached = false;
        loop {
            let left = schedule.remaining(tokio::time::Instant::now());
            if left.is_zero() {
                return Err(Error::Timeout { endpoint: call.endpoint, after: call_timeout, not_sent: !reached });
            }
            let attempt = schedule.attempts();
            let attempt_timeout = self.config.request_timeout.min(left);
            let failure = match self.attempt(call, attempt, attempt_timeout, &mut None, sink, limit).await {
                Ok(()) => return Ok(()),
                Err(failure) => failure,
            };
            reached |= !failure.not_received;
            let error = match failure.error {
                // An attempt cut short by the call's deadline is the call timing out.
                Error::Timeout { not_sent, .. } if attempt_timeout < self.config.request_timeout => {
                    return Err(Error::Timeout {
                        endpoint: call.endpoint,
                        after: call_timeout,
                        not_sent: !reached && not_sent,
                    });
                }
                Error::Timeout { endpoint, after, not_sent } => {
                    Error::Timeout { endpoint, after, not_sent: !reached && not_sent }
                }
                other => other,
            };
            if !may_resend(rule.resend, &error, failure.not_received) {
                return Err(error);
            }
            // 429 and 503 are back-off signals: their Retry-After wins over our back-off.
            let delay = match schedule.after_failure(tokio::time::Instant::now(), error.retry_after()) {
                RetryStep::RetryAfter(delay) => delay,
                RetryStep::GiveUp => return Err(error),
            };
            tracing::info!(
                target: "authcloud::http",
                operation = call.operation,
                attempt,
                delay_ms = delay.as_millis() as u64,
                error = %error,
                "retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }

    async fn attempt(
        &self,
        call: &Call<'_>,
        attempt: u32,
        timeout: Duration,
        sent_at: &mut Option<tokio::time::Instant>,
        sink: &mut dyn BodySink,
        limit: u64,
    ) -> Result<(), Failure> {
        let started = Instant::now();
        let result = self.attempt_inner(call, timeout, sent_at, sink, limit).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(status) => tracing::debug!(
                target: "authcloud::http",
                method = call.endpoint.method,
                path = call.endpoint.path,
                operation = call.operation,
                attempt,
                status = status.as_u16(),
                duration_ms = elapsed_ms,
                "response"
            ),
            Err(failure) => tracing::debug!(
                target: "authcloud::http",
                method = call.endpoint.method,
                path = call.endpoint.path,
                operation = call.operation,
                attempt,
                duration_ms = elapsed_ms,
                error = %failure.error,
                "request failed"
            ),
        }
        result.map(|_| ())
    }

    /// One attempt within `timeout`: waits for a request slot, sends, reads the answer; the
    /// slot is given back when this returns (answer read, or failed).
    ///
    /// A request with effects (its rule's `effects`) is not sent with less than the send floor
    /// left once it has its slot: it would likely time out after the server acted, and the
    /// caller could not tell. It fails as not sent instead, which is safe to retry.
    async fn attempt_inner(
        &self,
        call: &Call<'_>,
        timeout: Duration,
        sent_at: &mut Option<tokio::time::Instant>,
        sink: &mut dyn BodySink,
        limit: u64,
    ) -> Result<StatusCode, Failure> {
        let queued = tokio::time::Instant::now();
        // Never sent, so safe to send again whatever the call.
        let unsent = || Failure {
            error: Error::Timeout { endpoint: call.endpoint, after: queued.elapsed(), not_sent: true },
            not_received: true,
        };
        let floor = if rule_for(call.endpoint).effects { self.send_floor } else { Duration::ZERO };
        // Past this, a slot would come too late to send the request anyway.
        let slot_wait = timeout.saturating_sub(floor);
        // A free slot is taken without arming a timer (the common case: one cheap call).
        let _permit = match self.permits.try_acquire() {
            Ok(permit) => permit,
            Err(_) if slot_wait.is_zero() => return Err(unsent()),
            Err(_) => match tokio::time::timeout(slot_wait, self.permits.acquire()).await {
                Ok(Ok(permit)) => permit,
                // The semaphore is never closed.
                Ok(Err(_)) => return Err(Error::config("the client's request slots are closed").into()),
                Err(_) => return Err(unsent()),
            },
        };
        let now = tokio::time::Instant::now();
        // What is left of the attempt's time once a slot was free.
        let left = timeout.saturating_sub(now - queued);
        if left.is_zero() || left < floor {
            return Err(unsent());
        }
        *sent_at = Some(now);
        // The slot (`_permit`) is held until the answer is read or the attempt failed.
        self.exchange(call, timeout, left, sink, limit).await
    }

    /// Sends the request and reads the answer (a 2xx body into `sink`): `left` bounds it,
    /// errors name `timeout`.
    async fn exchange(
        &self,
        call: &Call<'_>,
        timeout: Duration,
        left: Duration,
        sink: &mut dyn BodySink,
        limit: u64,
    ) -> Result<StatusCode, Failure> {
        let url = self
            .config
            .base_url
            .join(call.path.as_deref().unwrap_or(call.endpoint.path).trim_start_matches('/'))
            .map_err(|_| Error::config("cannot join the API path to the base URL"))?;
        let method = Method::from_bytes(call.endpoint.method.as_bytes())
            .map_err(|_| Error::config("the endpoint's method is not an HTTP method"))?;
        let mut request =
            self.http.request(method, url).timeout(left).header(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(bearer) = call.bearer {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", bearer.expose()))
                .map_err(|_| Error::config("credential is not a valid header value"))?;
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        request = match &call.payload {
            Payload::None => request,
            Payload::Json(value) => request
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(serde_json::to_vec(value).expect("JSON values serialise")),
            Payload::Form(pairs) => {
                let mut form = url::form_urlencoded::Serializer::new(String::new());
                for (key, value) in pairs {
                    form.append_pair(key, value.expose());
                }
                request
                    .header(CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"))
                    .body(form.finish())
            }
        };

        let mut response = request.send().await.map_err(|e| self.classify(&e, call, timeout))?;
        let status = response.status();
        if status.is_success() {
            sink.restart();
            self.read_body(&mut response, limit, call, timeout, sink).await?;
            sink.finish()?;
            return Ok(status);
        }
        let retry_after = parse_retry_after(response.headers(), SystemTime::now());
        if status.is_redirection() {
            // Never followed: a redirect could carry the Bearer credential to another origin.
            let target =
                response.headers().get(LOCATION).and_then(|v| v.to_str().ok()).map(|l| origin_of(response.url(), l));
            return Err(Failure::from(Error::Api {
                endpoint: call.endpoint,
                status: status.as_u16(),
                detail: redirect_detail(target),
            }));
        }
        // An error body matters only for its message: read a bounded prefix, tolerate the rest.
        let mut body = Vec::new();
        // A cut-short error body still carries what was read of it.
        let _ = self.read_body(&mut response, ERROR_BODY_LIMIT, call, timeout, &mut body).await;
        Err(Failure::from(self.http_error(status, retry_after, &body, call)))
    }

    async fn read_body(
        &self,
        response: &mut reqwest::Response,
        limit: u64,
        call: &Call<'_>,
        timeout: Duration,
        sink: &mut dyn BodySink,
    ) -> Result<(), Failure> {
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(Error::ResponseTooLarge { endpoint: call.endpoint, limit }.into());
        }
        let mut received: u64 = 0;
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(&e, call, timeout))? {
            received += chunk.len() as u64;
            if received > limit {
                return Err(Error::ResponseTooLarge { endpoint: call.endpoint, limit }.into());
            }
            sink.accept(&chunk)?;
        }
        Ok(())
    }

    fn http_error(&self, status: StatusCode, retry_after: Option<Duration>, body: &[u8], call: &Call<'_>) -> Error {
        let detail = error_detail(body, &self.secrets(call));
        let endpoint = call.endpoint;
        match status.as_u16() {
            code @ (401 | 403) => Error::Unauthorized { endpoint, status: code, detail },
            404 => Error::NotFound { endpoint, detail },
            429 => Error::RateLimited { endpoint, retry_after, detail },
            code @ 500..=599 => Error::Server { endpoint, status: code, retry_after, detail },
            code => Error::Api { endpoint, status: code, detail },
        }
    }

    fn classify(&self, error: &reqwest::Error, call: &Call<'_>, timeout: Duration) -> Failure {
        let secrets = self.secrets(call);
        if let Some(tls) = find_tls_error(error) {
            let error = Error::Tls { endpoint: call.endpoint, reason: outside_text(&tls, &secrets) };
            return Failure { error, not_received: true };
        }
        if error.is_connect() {
            let error = if error.is_timeout() || root_is_timeout(error) {
                // No connection, so no byte of the request was sent.
                let after = self.config.connect_timeout.min(timeout);
                Error::Timeout { endpoint: call.endpoint, after, not_sent: true }
            } else {
                Error::Network { endpoint: call.endpoint, reason: outside_text(&root_cause(error), &secrets) }
            };
            return Failure { error, not_received: true };
        }
        if error.is_timeout() {
            return Failure::from(Error::Timeout { endpoint: call.endpoint, after: timeout, not_sent: false });
        }
        let reason = if error.is_body() || error.is_decode() {
            format!("response body incomplete ({})", root_cause(error))
        } else {
            root_cause(error)
        };
        Failure::from(Error::Network { endpoint: call.endpoint, reason: outside_text(&reason, &secrets) })
    }

    fn secrets<'a>(&'a self, call: &'a Call<'a>) -> Vec<&'a SecretString> {
        let mut secrets = call.secrets.clone();
        if let Some(credential) = &self.config.credential {
            secrets.push(credential.secret());
        }
        if let ProxySetting::Url(url) = &self.config.proxy {
            secrets.push(url);
        }
        secrets
    }
}

/// Text from outside (an error chain that may quote the server) made fit for a message.
fn outside_text(text: &str, secrets: &[&SecretString]) -> String {
    sanitize_server_text(&redact::scrub(text, secrets))
}

/// The span around one call (all its attempts): operation and path, never a token.
fn span(call: &Call<'_>) -> tracing::Span {
    tracing::debug_span!(
        target: "authcloud::http",
        "authcloud.request",
        operation = call.operation,
        path = call.endpoint.path
    )
}

/// `scheme://host:port` of a redirect's target, for the error message (no path or query:
/// they may carry tokens).
fn origin_of(base: &Url, location: &str) -> String {
    match crate::urls::join(base, location) {
        Ok(target) => sanitize_server_text(&target.origin().ascii_serialization()),
        Err(_) => "an unparsable location".into(),
    }
}

fn redirect_detail(target: Option<String>) -> ApiErrorDetail {
    let target = target.unwrap_or_else(|| "nowhere (no Location header)".into());
    ApiErrorDetail {
        error: None,
        message: Some(format!("redirect to {target} not followed (the API never redirects; check the base URL)")),
        excerpt: None,
    }
}

/// Parses the vendor's `{"error","message","status"}`, or keeps a scrubbed excerpt.
pub(crate) fn error_detail(body: &[u8], secrets: &[&SecretString]) -> ApiErrorDetail {
    #[derive(serde::Deserialize)]
    struct VendorError {
        error: Option<serde_json::Value>,
        message: Option<serde_json::Value>,
    }
    let as_text = |v: Option<serde_json::Value>| -> Option<String> {
        let text = match v? {
            serde_json::Value::String(s) => s,
            serde_json::Value::Null => return None,
            other => other.to_string(),
        };
        // Scrub the whole text first: a secret cut in half would no longer match.
        Some(sanitize_server_text(&redact::scrub(&text, secrets)))
    };
    match serde_json::from_slice::<VendorError>(body) {
        Ok(parsed) if parsed.error.is_some() || parsed.message.is_some() => {
            ApiErrorDetail { error: as_text(parsed.error), message: as_text(parsed.message), excerpt: None }
        }
        _ => ApiErrorDetail { error: None, message: None, excerpt: redact::excerpt(body, secrets) },
    }
}

/// `Retry-After` as seconds or an HTTP date, relative to `now`.
pub(crate) fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

fn root_is_timeout(error: &reqwest::Error) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return true;
            }
        }
        current = e.source();
    }
    false
}

/// rustls errors travel inside (possibly nested) `io::Error`s, whose `source()` skips
/// the wrapped error: look inside each one.
fn find_tls_error(error: &reqwest::Error) -> Option<String> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        let mut inner = Some(e);
        while let Some(candidate) = inner {
            if let Some(tls) = candidate.downcast_ref::<rustls::Error>() {
                return Some(tls.to_string());
            }
            inner = candidate.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()).map(|b| b as _);
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(parse_retry_after(&headers, now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(12));
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        assert_eq!(parse_retry_after(&headers, now), Some(Duration::from_secs(12)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(12));
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&past).unwrap());
        assert_eq!(parse_retry_after(&headers, now), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&headers, now), None);
    }

    #[test]
    fn error_detail_parses_vendor_json_or_keeps_a_scrubbed_excerpt() {
        let d = error_detail(br#"{"error":"Not Found","message":"no user","status":404}"#, &[]);
        assert_eq!(d.error.as_deref(), Some("Not Found"));
        assert_eq!(d.message.as_deref(), Some("no user"));
        let key = SecretString::new("the-access-key-123");
        let d = error_detail(b"<html>bad gateway the-access-key-123</html>", &[&key]);
        let excerpt = d.excerpt.unwrap();
        assert!(excerpt.contains("bad gateway") && !excerpt.contains("the-access-key"), "{excerpt}");
    }
}
