//! Scrubbing of text that came from outside (server bodies, error chains) before it goes
//! into an error message or a log line.
//!
//! Two layers: the client's own secrets are replaced wherever they appear, and anything
//! that *looks* like a token (a long run of base64url/JWT characters mixing letters and
//! digits, UUIDs excepted) is replaced too, because a server or proxy may echo a token the
//! client never held (a status token, a transaction token).

use crate::secret::{REDACTED, SecretString};

/// Longest excerpt of a response body kept in an error.
const EXCERPT_CHARS: usize = 120;
/// Runs of token characters at least this long are treated as tokens.
const TOKEN_RUN: usize = 24;

/// Replaces known secrets and token-like runs in `text`.
pub(crate) fn scrub(text: &str, secrets: &[&SecretString]) -> String {
    let mut out = text.to_owned();
    for secret in secrets {
        let value = secret.expose();
        if value.len() >= 4 {
            out = out.replace(value, REDACTED);
        }
    }
    scrub_token_like(&out)
}

/// A short, printable, scrubbed start of a response body.
pub(crate) fn excerpt(body: &[u8], secrets: &[&SecretString]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    // Scrub before cutting: a secret straddling the cut would no longer match.
    let short = crate::sanitize::sanitize_with_limit(&scrub(&text, secrets), EXCERPT_CHARS);
    (!short.is_empty()).then_some(short)
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '/' | '~')
}

fn scrub_token_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if looks_like_token(run) {
            out.push_str(REDACTED);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if is_token_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

fn looks_like_token(run: &str) -> bool {
    if run.len() < TOKEN_RUN || is_uuid(run) {
        return false;
    }
    if run.starts_with("eyJ") {
        return true;
    }
    // Paths and prose are long too; tokens mix letters and digits and are rarely all
    // separators-and-words like "/api/v1/users/enroll".
    let digits = run.chars().filter(char::is_ascii_digit).count();
    let letters = run.chars().filter(char::is_ascii_alphabetic).count();
    let separators = run.chars().filter(|c| matches!(c, '/' | '.')).count();
    digits >= 2 && letters >= 4 && separators * 8 < run.len()
}

/// True for the canonical 8-4-4-4-12 hex form.
pub(crate) fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_secrets_and_jwts_are_scrubbed() {
        let key = SecretString::new("k3y");
        let long_key = SecretString::new("plain-words-key");
        let text = "bad key plain-words-key and token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig here";
        let s = scrub(text, &[&key, &long_key]);
        assert!(!s.contains("plain-words-key"), "{s}");
        assert!(!s.contains("eyJ"), "{s}");
        assert!(s.contains("bad key [redacted] and token [redacted] here"), "{s}");
    }

    #[test]
    fn uuids_paths_and_words_survive() {
        let text = "user 7e16ba00-92e2-4fcb-b30e-1af8fdc843aa at /api/v1/users/enroll: internationalization";
        assert_eq!(scrub(text, &[]), text);
    }

    #[test]
    fn opaque_tokens_are_scrubbed() {
        let s = scrub("token=a8F3kLm92QpX7vRt5ZyW1bNc4", &[]);
        assert_eq!(s, "token=[redacted]");
    }

    #[test]
    fn a_secret_across_the_cut_is_still_scrubbed() {
        let key = SecretString::new("plainkeywithoutanydigitsatall");
        let body = format!("{}{}", "x ".repeat((EXCERPT_CHARS - 10) / 2), key.expose());
        let e = excerpt(body.as_bytes(), &[&key]).unwrap();
        assert!(!e.contains("plainkey"), "{e}");
    }

    #[test]
    fn excerpt_is_short_and_printable() {
        let body = format!("<html>\n{}</html>", "x".repeat(500));
        let e = excerpt(body.as_bytes(), &[]).unwrap();
        assert!(e.chars().count() <= EXCERPT_CHARS + 1);
        assert!(!e.contains('\n'));
        let e = excerpt(b"\x1b[2J\x1b[31mred alert\x07", &[]).unwrap();
        assert_eq!(e, "red alert");
        assert_eq!(excerpt(b"  ", &[]), None);
    }
}
