//! Redaction of what the request log and tracing show: no key or token ever gets through.
//!
//! Rules: every query value is replaced; credential-bearing headers keep only their scheme
//! (`Bearer <redacted>`, so a test can still see that a Bearer was sent); any header value or
//! path segment that contains the access key or looks like a JWT is replaced whole.

use std::collections::BTreeMap;

use http::HeaderMap;

/// What replaces a secret.
pub(crate) const REDACTED: &str = "<redacted>";

/// Header names whose values are always secret, whatever they look like.
const SECRET_HEADER_WORDS: &[&str] =
    &["auth", "cookie", "token", "secret", "key", "password", "session", "signature", "credential"];

/// The request target for the log: the path, plus the query with every value redacted,
/// e.g. `/open?dispatchTokenResponse=<redacted>`.
pub(crate) fn target(path: &str, query: Option<&str>, access_key: &str) -> String {
    let mut out = path_only(path, access_key);
    if let Some(query) = query {
        out.push('?');
        for (index, pair) in query.split('&').enumerate() {
            if index > 0 {
                out.push('&');
            }
            match pair.split_once('=') {
                Some((name, value)) if !value.is_empty() => {
                    out.push_str(&redact_fragment(name, access_key));
                    out.push('=');
                    out.push_str(REDACTED);
                }
                _ => out.push_str(&redact_fragment(pair, access_key)),
            }
        }
    }
    out
}

/// The path with any segment that carries a secret replaced.
fn path_only(path: &str, access_key: &str) -> String {
    if !path.contains(access_key) && !path.contains("eyJ") {
        return path.to_owned();
    }
    path.split('/').map(|segment| redact_fragment(segment, access_key)).collect::<Vec<_>>().join("/")
}

/// A fragment as is, or `<redacted>` if it contains the key or a JWT.
fn redact_fragment(fragment: &str, access_key: &str) -> String {
    if looks_secret(fragment, access_key) { REDACTED.to_owned() } else { fragment.to_owned() }
}

/// Whether a value contains the access key or something shaped like a JWT (they all start
/// with `eyJ`, the base64 of `{"`).
fn looks_secret(value: &str, access_key: &str) -> bool {
    value.contains(access_key) || value.contains("eyJ")
}

/// The headers for the log: lowercased names, repeated headers joined with `, `, secrets
/// redacted.
pub(crate) fn headers(headers: &HeaderMap, access_key: &str) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let name = name.as_str();
        let raw = String::from_utf8_lossy(value.as_bytes());
        let shown = header_value(name, &raw, access_key);
        out.entry(name.to_owned())
            .and_modify(|existing| {
                existing.push_str(", ");
                existing.push_str(&shown);
            })
            .or_insert(shown);
    }
    out
}

/// One header value as the log shows it.
fn header_value(name: &str, value: &str, access_key: &str) -> String {
    if name == "authorization" || name == "proxy-authorization" {
        return match value.split_once(' ') {
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("bearer") => {
                format!("{scheme} {REDACTED}")
            }
            _ => REDACTED.to_owned(),
        };
    }
    if SECRET_HEADER_WORDS.iter().any(|word| name.contains(word)) || looks_secret(value, access_key) {
        return REDACTED.to_owned();
    }
    // URL-valued headers (`Referer` of the deep-link page, `Origin`, `Location`) may carry
    // a dispatch token in their query: redact it like the request's own query.
    if let Some((base, query)) = value.split_once('?') {
        return target(base, Some(query), access_key);
    }
    value.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn url_valued_headers_lose_their_query_values() {
        let shown = header_value("referer", "http://127.0.0.1:9/open?dispatchTokenResponse=0123abcd.sig", "KEY");
        assert_eq!(shown, "http://127.0.0.1:9/open?dispatchTokenResponse=<redacted>");
    }

    #[test]
    fn query_values_are_redacted() {
        assert_eq!(
            target("/open", Some("dispatchTokenResponse=abc&x&y="), "KEY"),
            "/open?dispatchTokenResponse=<redacted>&x&y="
        );
        assert_eq!(target("/api/v1/users/KEY", None, "KEY"), "/api/v1/users/<redacted>");
    }

    #[test]
    fn headers_keep_scheme_only() {
        let mut map = HeaderMap::new();
        map.insert("authorization", HeaderValue::from_static("Bearer KEY"));
        map.insert("x-api-key", HeaderValue::from_static("whatever"));
        map.insert("x-note", HeaderValue::from_static("has KEY inside"));
        map.insert("content-type", HeaderValue::from_static("application/json"));
        let shown = headers(&map, "KEY");
        assert_eq!(shown["authorization"], "Bearer <redacted>");
        assert_eq!(shown["x-api-key"], REDACTED);
        assert_eq!(shown["x-note"], REDACTED);
        assert_eq!(shown["content-type"], "application/json");
        let mut basic = HeaderMap::new();
        basic.insert("authorization", HeaderValue::from_static("Basic abc"));
        assert_eq!(headers(&basic, "KEY")["authorization"], REDACTED);
    }
}
