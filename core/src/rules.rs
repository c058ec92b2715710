//! Every endpoint of the API with its sending rules, in one table: when a failed request
//! may be sent again ([`Resend`]) and whether it has effects (then it is never sent with
//! less than [`send_floor`] left once it got a request slot).
//!
//! `docs/api-notes.md` ("Re-sending and the send floor, per endpoint") shows this table; a
//! test renders it from [`RULES`] and [`may_resend`] and fails when the page says anything
//! else, so the documentation and the code cannot drift apart silently.

use std::time::Duration;

use crate::endpoint::{
    APPROVAL, DELETE_AUTHENTICATOR, DELETE_USER, ENROLL, ENROLL_RECOVERY, ENROLL_SMS, Endpoint, FIND_USER, GET_USER,
    INTENT, INTROSPECT, LOGS_EXPORT, PING, RENAME_AUTHENTICATOR, STATUS, VERIFY_CODE,
};
use crate::error::Error;

/// Whether a request may be sent again after a failure whose fate is unclear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resend {
    /// Safe to repeat (`status`, reads, a rename): also after timeouts, resets, cut-short
    /// answers and 502/503/504.
    Idempotent,
    /// Has an effect, or uses up a single-use token (`enroll`, `intent`, `introspect`,
    /// deletes): re-sent only if the server surely did not get it (connect failure) or
    /// refused it with 429 or 503.
    OnlyIfNotReceived,
    /// A second one is a real harm (`approval`: a second push on the user's phone): re-sent
    /// only if the server surely did not get it, refused it with 429, or answered 503 *with*
    /// `Retry-After`. A bare 503 may come from a gateway after it forwarded the request.
    OnlyIfSurelyRefused,
}

/// How one endpoint is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rule {
    pub endpoint: Endpoint,
    pub resend: Resend,
    /// The request changes something on the server or spends a token: it is not sent with
    /// less than [`send_floor`] left after waiting for a request slot (it fails as not
    /// sent instead, which is safe to retry).
    pub effects: bool,
}

const fn rule(endpoint: Endpoint, resend: Resend, effects: bool) -> Rule {
    Rule { endpoint, resend, effects }
}

/// The one table: every endpoint the SDK calls.
pub(crate) const RULES: [Rule; 15] = [
    rule(ENROLL, Resend::OnlyIfNotReceived, true),
    rule(ENROLL_SMS, Resend::OnlyIfSurelyRefused, true),
    rule(ENROLL_RECOVERY, Resend::OnlyIfNotReceived, true),
    rule(VERIFY_CODE, Resend::OnlyIfSurelyRefused, true),
    rule(APPROVAL, Resend::OnlyIfSurelyRefused, true),
    rule(INTENT, Resend::OnlyIfNotReceived, true),
    rule(INTROSPECT, Resend::OnlyIfNotReceived, true),
    rule(STATUS, Resend::Idempotent, false),
    rule(GET_USER, Resend::Idempotent, false),
    rule(FIND_USER, Resend::Idempotent, false),
    rule(DELETE_USER, Resend::OnlyIfNotReceived, true),
    rule(RENAME_AUTHENTICATOR, Resend::Idempotent, true),
    rule(DELETE_AUTHENTICATOR, Resend::OnlyIfNotReceived, true),
    rule(LOGS_EXPORT, Resend::Idempotent, false),
    rule(PING, Resend::Idempotent, false),
];

/// The rule of `endpoint`. An endpoint missing from [`RULES`] gets the most careful one
/// (and fails the tests, which run with debug assertions).
pub(crate) fn rule_for(endpoint: Endpoint) -> Rule {
    let found = RULES.iter().find(|rule| rule.endpoint == endpoint).copied();
    debug_assert!(found.is_some(), "{endpoint} has no entry in rules::RULES");
    found.unwrap_or(Rule { endpoint, resend: Resend::OnlyIfSurelyRefused, effects: true })
}

/// The least time a request with effects must have left once it got its request slot:
/// the smaller of 1 s and half the request timeout (and half the call timeout, so that a
/// call configured shorter than 2 s can still send its first attempt).
pub(crate) fn send_floor(request_timeout: Duration, call_timeout: Duration) -> Duration {
    Duration::from_secs(1).min(request_timeout / 2).min(call_timeout / 2)
}

/// Whether a request whose attempt failed with `error` may be sent again under `resend`.
/// `not_received`: the request surely never reached the server (connect error, TLS
/// handshake, never sent).
pub(crate) fn may_resend(resend: Resend, error: &Error, not_received: bool) -> bool {
    if not_received {
        // TLS failures are configuration problems: repeating them only delays the error.
        return !matches!(error, Error::Tls { .. });
    }
    match (error, resend) {
        // "Not processed, come back later": re-sent by anyone...
        (Error::RateLimited { .. }, _) => true,
        // ... except that a bare 503 may come from a gateway that forwarded the request.
        (Error::Server { status: 503, retry_after, .. }, Resend::OnlyIfSurelyRefused) => retry_after.is_some(),
        (Error::Server { status: 503, .. }, _) => true,
        (
            Error::Timeout { .. } | Error::Network { .. } | Error::Server { status: 502 | 504, .. },
            Resend::Idempotent,
        ) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiErrorDetail;

    /// The failures the documentation's table has a column for, with what the retry logic
    /// sees of each.
    fn columns(endpoint: Endpoint) -> Vec<(&'static str, Error, bool)> {
        let server = |status, retry_after| Error::Server { endpoint, status, retry_after, detail: Default::default() };
        vec![
            ("connect failure", Error::Network { endpoint, reason: "refused".into() }, true),
            ("429", Error::RateLimited { endpoint, retry_after: None, detail: ApiErrorDetail::default() }, false),
            ("503 with `Retry-After`", server(503, Some(Duration::from_secs(1))), false),
            ("503 without", server(503, None), false),
            ("502, 504", server(502, None), false),
            (
                "timeout, reset, cut-short answer",
                Error::Timeout { endpoint, after: Duration::from_secs(1), not_sent: false },
                false,
            ),
            ("500, 4xx", server(500, None), false),
        ]
    }

    /// The table as `docs/api-notes.md` must show it (without its last, free-text column).
    fn rendered() -> Vec<Vec<String>> {
        let mut header = vec!["endpoint".to_owned()];
        header.extend(columns(STATUS).into_iter().map(|(name, ..)| name.to_owned()));
        header.push("less than the floor left after the slot wait".to_owned());
        let mut rows = vec![header];
        for rule in RULES {
            let mut row = vec![format!("`{}`", rule.endpoint)];
            for (_, error, not_received) in columns(rule.endpoint) {
                row.push(if may_resend(rule.resend, &error, not_received) { "re-sent" } else { "no" }.to_owned());
            }
            row.push(if rule.effects { "not sent" } else { "sent" }.to_owned());
            rows.push(row);
        }
        rows
    }

    fn cells(line: &str) -> Vec<String> {
        line.trim().trim_matches('|').split('|').map(|cell| cell.trim().to_owned()).collect()
    }

    #[test]
    fn the_documented_table_is_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api-notes.md");
        let page = std::fs::read_to_string(path).expect("docs/api-notes.md is readable");
        let (_, rest) = page.split_once("<!-- resend-table:start -->").expect("the table's start marker");
        let (table, _) = rest.split_once("<!-- resend-table:end -->").expect("the table's end marker");
        let documented: Vec<Vec<String>> = table
            .lines()
            .filter(|line| line.trim_start().starts_with('|') && !line.contains("---"))
            .map(cells)
            .collect();
        let expected = rendered();
        let shown = |rows: &[Vec<String>]| rows.iter().map(|r| format!("| {} |", r.join(" | "))).collect::<Vec<_>>();
        assert_eq!(documented.len(), expected.len(), "rows; the code's table is:\n{}", shown(&expected).join("\n"));
        for (doc, code) in documented.iter().zip(&expected) {
            assert!(
                doc.len() > code.len() && doc[..code.len()] == code[..],
                "docs/api-notes.md says\n  {doc:?}\nthe code says\n  {code:?}\n(the code's table:\n{})",
                shown(&expected).join("\n")
            );
        }
    }

    #[test]
    fn every_endpoint_has_one_rule() {
        for (i, rule) in RULES.iter().enumerate() {
            assert_eq!(rule_for(rule.endpoint), *rule);
            assert!(RULES[..i].iter().all(|other| other.endpoint != rule.endpoint), "{} twice", rule.endpoint);
        }
    }

    #[test]
    fn resend_rules() {
        let endpoint = STATUS;
        let server = |status, retry_after| Error::Server { endpoint, status, retry_after, detail: Default::default() };
        let net = Error::Network { endpoint, reason: "reset".into() };
        let tls = Error::Tls { endpoint, reason: "bad certificate".into() };
        let r429 = Error::RateLimited { endpoint, retry_after: None, detail: Default::default() };
        let timeout = Error::Timeout { endpoint, after: Duration::from_secs(1), not_sent: false };
        use Resend::*;
        assert!(may_resend(Idempotent, &net, false));
        assert!(!may_resend(OnlyIfNotReceived, &net, false));
        assert!(may_resend(OnlyIfNotReceived, &net, true), "refused connection");
        assert!(!may_resend(Idempotent, &tls, true), "a TLS failure is configuration");
        assert!(may_resend(Idempotent, &server(503, None), false));
        assert!(may_resend(OnlyIfNotReceived, &server(503, None), false), "503 means not processed");
        assert!(!may_resend(OnlyIfSurelyRefused, &server(503, None), false), "a gateway's 503 may follow a push");
        assert!(may_resend(OnlyIfSurelyRefused, &server(503, Some(Duration::ZERO)), false));
        assert!(may_resend(Idempotent, &server(502, None), false));
        assert!(!may_resend(OnlyIfNotReceived, &server(502, None), false), "a 502 may come after the server acted");
        assert!(!may_resend(Idempotent, &server(500, None), false));
        for resend in [Idempotent, OnlyIfNotReceived, OnlyIfSurelyRefused] {
            assert!(may_resend(resend, &r429, false), "{resend:?}: 429 is a refusal");
        }
        assert!(!may_resend(OnlyIfNotReceived, &timeout, false));
        assert!(may_resend(Idempotent, &timeout, false));
    }

    #[test]
    fn the_floor_is_at_most_a_second_and_half_of_each_timeout() {
        let s = Duration::from_secs;
        assert_eq!(send_floor(s(30), s(60)), s(1));
        assert_eq!(send_floor(Duration::from_millis(300), s(60)), Duration::from_millis(150));
        assert_eq!(send_floor(s(30), Duration::from_millis(400)), Duration::from_millis(200));
    }
}
