//! The sentences of the error messages, shared with the bindings (whose error type has its
//! own variants but must read the same). Every argument is already secret-free and
//! sanitised.

use std::time::Duration;

/// The message of [`crate::Error::Cancelled`].
pub const CANCELLED: &str = "cancelled by the caller (no request was sent after the cancel)";

/// `12ms`, `1.5s`, `5m 0s`.
pub fn duration(d: Duration) -> String {
    match d.as_millis() {
        ms if ms < 1000 => format!("{ms}ms"),
        ms if ms < 60_000 => format!("{:.1}s", d.as_secs_f64()),
        _ => format!("{}m {}s", d.as_secs() / 60, d.as_secs() % 60),
    }
}

/// An unusable configuration.
pub fn configuration(reason: &str) -> String {
    format!("invalid client configuration: {reason}")
}

/// An operation that needs the access key.
pub fn access_key_required(operation: &str, has: &str) -> String {
    format!(
        "`{operation}` needs the access key, but this client has {has} — call it from your backend \
         with a client holding the access key (devices get intent tokens, for enroll and approval only)"
    )
}

/// A rejected argument.
pub fn invalid_input(field: &str, reason: &str) -> String {
    format!("invalid {field}: {reason} (nothing was sent)")
}

/// A failed connection.
pub fn network(endpoint: &str, reason: &str) -> String {
    format!("network error on {endpoint}: {reason} — check the network, the base URL and any proxy, then retry")
}

/// A failed TLS handshake.
pub fn tls(endpoint: &str, reason: &str) -> String {
    format!(
        "TLS handshake for {endpoint} failed: {reason} — is the server's certificate trusted here? (system CA \
         store, SSL_CERT_FILE, or add the CA to the client configuration)"
    )
}

/// A request or call that ran out of time; `not_sent` when it never left the client.
pub fn timeout(endpoint: &str, after: Duration, not_sent: bool) -> String {
    if not_sent {
        return format!(
            "{endpoint} was not sent: no request slot or connection in time (gave up after {}) — it never \
             reached the service, so it is safe to retry (if this repeats, raise max_concurrent_requests or the \
             timeouts)",
            duration(after)
        );
    }
    format!(
        "{endpoint} timed out after {} — the service is slow or unreachable; an operation with effects \
         (enroll, approval) may still have reached it",
        duration(after)
    )
}

/// A non-success HTTP answer.
pub fn http(status: u16, endpoint: &str, server_says: Option<&str>, retry_after: Option<Duration>) -> String {
    let phrase = reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
    let said = server_says.map(|text| format!(": {text}")).unwrap_or_default();
    let hint = match status {
        300..=399 => "check the base URL (authcloud never follows redirects)".to_owned(),
        400 => "the request was refused as invalid; check its arguments".to_owned(),
        401 => "the access key or intent token was refused: check AUTHCLOUD_ACCESS_KEY (an intent token \
                must be fresh and unused)"
            .to_owned(),
        403 => "the credential may not do this (an intent token for another operation, user or channel?)".to_owned(),
        404 => "no such user or resource on this instance".to_owned(),
        409 => "the request conflicts with the current state".to_owned(),
        429 => match retry_after {
            Some(after) => format!("slow down: retry after {}", duration(after)),
            None => "slow down and retry later".to_owned(),
        },
        500..=599 => match retry_after {
            Some(after) => format!("the service has a problem; retry after {}", duration(after)),
            None => "the service has a problem; retry later".to_owned(),
        },
        _ => "the request was refused".to_owned(),
    };
    format!("{status} {phrase} from {endpoint}{said} — {hint}").replace("  ", " ")
}

/// An answer that is not what the API documents.
pub fn malformed(endpoint: Option<&str>, reason: &str) -> String {
    match endpoint {
        Some(endpoint) => format!("unexpected answer from {endpoint}: {reason} (not the documented format)"),
        None => format!("malformed answer: {reason}"),
    }
}

/// An answer over the size limit.
pub fn too_large(endpoint: &str, limit: u64) -> String {
    format!("the answer of {endpoint} is larger than the {limit}-byte limit (max_response_bytes); nothing was read")
}

/// A wait that reached its deadline.
pub fn wait_timed_out(elapsed: Duration, polls: u32, last_status: Option<&str>) -> String {
    format!(
        "gave up waiting after {} and {polls} polls (last status: {}) — the user did not act in time; start over \
         or wait longer",
        duration(elapsed),
        last_status.unwrap_or("none")
    )
}

/// A refused verification.
pub fn not_verified(check: &str, reason: &str) -> String {
    format!("not verified ({check}): {reason} — do not trust this operation")
}
