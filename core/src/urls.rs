//! URL parsing that cannot panic on hostile input.
//!
//! The mobile library uses `idna_adapter` 1.0 (ASCII-only host names, no Unicode tables; see
//! `core/README.md`). That adapter rejects a non-ASCII host, but on the way it
//! `debug_assert!`s that no ASCII letter in it is upper case, so a host such as `Aé.com`
//! panics a debug build inside `Url::parse`. The panic is unreachable in release builds,
//! but parsers here must be total in every build (the property tests run in debug).
//!
//! The guard parses an ASCII-lower-cased copy first. Lower-casing changes only the case of
//! ASCII letters, so the copy's host is non-ASCII exactly when the original's is, and the
//! copy can never trip the assertion: if the copy fails, so would the original; if it
//! parses, the original's host is ASCII and takes the adapter's ASCII fast path.

use url::{ParseError, Url};

/// `Url::parse`, total on every input.
pub(crate) fn parse(raw: &str) -> Result<Url, ParseError> {
    if !raw.is_ascii() || raw.contains('%') {
        Url::parse(&raw.to_ascii_lowercase())?;
    }
    Url::parse(raw)
}

/// `base.join(reference)`, total on every `reference` (a server's `Location`, for example).
pub(crate) fn join(base: &Url, reference: &str) -> Result<Url, ParseError> {
    if !reference.is_ascii() || reference.contains('%') {
        base.join(&reference.to_ascii_lowercase())?;
    }
    base.join(reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_case_non_ascii_hosts_are_errors_not_panics() {
        for raw in ["https://Aé.com/", "http://É.example", "https://A%C3%A9.com/x", "HTTPS://xÅ.org"] {
            assert!(parse(raw).is_err(), "{raw}");
        }
        let base = Url::parse("https://acme.example/api/").unwrap();
        assert!(join(&base, "//Bé.example/x").is_err());
        assert!(join(&base, "https://Bé.example/x").is_err());
    }

    #[test]
    fn ordinary_urls_keep_their_case_outside_the_host() {
        let url = parse("https://Acme.Example/Path?Q=%C3%A9").unwrap();
        assert_eq!(url.as_str(), "https://acme.example/Path?Q=%C3%A9");
        let base = Url::parse("https://acme.example/api/").unwrap();
        assert_eq!(join(&base, "Users/É").unwrap().as_str(), "https://acme.example/api/Users/%C3%89");
    }
}
