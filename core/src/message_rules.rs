//! The vendor's rules for an approval's `message`, checked before any request (a refused
//! message would otherwise be a 400 after the fact, or worse, markup shown on a phone).
//!
//! A message is either plain text (no `<` at all), or HTML: the whole message is one
//! `<html>…</html>` element whose content uses only `<b> <br> <em> <i> <strong> <u>`,
//! without attributes. Entities (`&amp;`, `&lt;`…) are text. Anything else is refused with
//! an error naming the offending tag, attribute or text.

use crate::error::{Error, Result};

/// The tags the vendor allows inside `<html>`.
pub const ALLOWED_MESSAGE_TAGS: [&str; 6] = ["b", "br", "em", "i", "strong", "u"];

/// Longest message accepted (the vendor documents none; a notification is short).
pub const MAX_MESSAGE_CHARS: usize = 10_000;

/// Checks an approval message against the vendor's rules.
pub fn validate_message(message: &str) -> Result<()> {
    let invalid = |reason: String| Err(Error::invalid("message", reason));
    if message.trim().is_empty() {
        return invalid("must not be empty".into());
    }
    if message.chars().count() > MAX_MESSAGE_CHARS {
        return invalid(format!("is longer than {MAX_MESSAGE_CHARS} characters"));
    }
    if !message.contains('<') {
        return Ok(()); // plain text
    }
    let trimmed = message.trim();
    let Some(inner) = trimmed.strip_prefix("<html>").and_then(|rest| rest.strip_suffix("</html>")) else {
        let outside = if trimmed.starts_with("<html>") { "after </html>" } else { "before <html>" };
        return invalid(format!(
            "HTML must be one <html>…</html> element with nothing {outside} (or write plain text without `<`)"
        ));
    };
    check_inner(inner).or_else(invalid)
}

/// Checks the content of `<html>…</html>`: text, entities and the allowed tags only, with
/// every element closed in order (`<br>` and `<br/>` stand alone).
fn check_inner(inner: &str) -> std::result::Result<(), String> {
    let mut open: Vec<String> = Vec::new();
    let mut rest = inner;
    let mut has_text = false;
    while let Some(start) = rest.find('<') {
        has_text |= !rest[..start].trim().is_empty();
        let after = &rest[start + 1..];
        let end = after.find('>').ok_or_else(|| "a `<` that starts no tag (write &lt; for a literal <)".to_owned())?;
        let raw = &after[..end];
        rest = &after[end + 1..];
        let (closing, body) = match raw.strip_prefix('/') {
            Some(body) => (true, body),
            None => (false, raw),
        };
        let self_closing = body.ends_with('/');
        let body = body.trim_end_matches('/');
        let name_end = body.find(|c: char| c.is_whitespace()).unwrap_or(body.len());
        let name = body[..name_end].to_ascii_lowercase();
        let attributes = body[name_end..].trim();
        let shown = shown_tag(raw);
        let starts_with_letter = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        if !starts_with_letter || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!("{shown} is not a tag (write &lt; for a literal <)"));
        }
        if !ALLOWED_MESSAGE_TAGS.contains(&name.as_str()) {
            return Err(format!("tag <{}> is not allowed (only <b> <br> <em> <i> <strong> <u>)", shown_name(&name)));
        }
        if !attributes.is_empty() {
            let attribute = attributes.split(['=', ' ']).next().unwrap_or(attributes);
            return Err(format!(
                "attribute `{}` on <{name}> is not allowed (tags take no attributes)",
                shown_name(attribute)
            ));
        }
        match (closing, name.as_str(), self_closing) {
            (false, "br", _) => {}
            (true, "br", _) => return Err("</br> closes nothing (write <br>)".into()),
            (false, _, true) => return Err(format!("<{name}/> cannot be empty (only <br> stands alone)")),
            (false, _, false) => open.push(name),
            (true, _, _) => match open.pop() {
                Some(expected) if expected == name => {}
                Some(expected) => return Err(format!("</{name}> closes <{expected}>; close tags in order")),
                None => return Err(format!("</{name}> closes nothing")),
            },
        }
    }
    has_text |= !rest.trim().is_empty();
    match open.pop() {
        Some(unclosed) => Err(format!("<{unclosed}> is never closed")),
        // Markup alone would show the user an empty prompt.
        None if !has_text => Err("the <html> element holds no text".into()),
        None => Ok(()),
    }
}

/// A tag as it may appear in a message, bounded and without control characters.
fn shown_tag(raw: &str) -> String {
    format!("<{}>", crate::sanitize::sanitize_with_limit(raw, 40))
}

fn shown_name(name: &str) -> String {
    crate::sanitize::sanitize_with_limit(name, 40)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(message: &str) -> String {
        match validate_message(message) {
            Err(Error::InvalidInput { field: "message", reason }) => reason,
            other => panic!("{message:?}: {other:?}"),
        }
    }

    #[test]
    fn plain_text_and_every_allowed_tag_pass() {
        assert!(validate_message("Log in to Acme Bank? 3 > 2 & all is well").is_ok());
        for tag in ALLOWED_MESSAGE_TAGS {
            let html = if tag == "br" {
                "<html>one<br>two<br/>three</html>".to_owned()
            } else {
                format!("<html>a <{tag}>b</{tag}> c</html>")
            };
            assert!(validate_message(&html).is_ok(), "{html}");
        }
        let nested = "<html><b>Pay <em>CHF 100</em></b> to <u>Acme</u>?<br>&lt;ref&gt; 42</html>";
        assert!(validate_message(nested).is_ok());
        assert!(validate_message("  <html><B>upper</B></html>\n").is_ok(), "case and surrounding space");
        assert_eq!(reason("<html><b> </b><br></html>"), "the <html> element holds no text");
    }

    #[test]
    fn disallowed_tags_attributes_and_outside_text_are_named() {
        assert_eq!(
            reason("<html><script>x</script></html>"),
            "tag <script> is not allowed (only <b> <br> <em> <i> <strong> <u>)"
        );
        assert_eq!(
            reason("<html><a href=\"x\">y</a></html>"),
            "tag <a> is not allowed (only <b> <br> <em> <i> <strong> <u>)"
        );
        assert_eq!(
            reason("<html><b class=\"x\">y</b></html>"),
            "attribute `class` on <b> is not allowed (tags take no attributes)"
        );
        assert_eq!(
            reason("<html><b onclick=alert(1)>y</b></html>"),
            "attribute `onclick` on <b> is not allowed (tags take no attributes)"
        );
        assert!(reason("Hello <html><b>x</b></html>").contains("nothing before <html>"));
        assert!(reason("<html><b>x</b></html> bye").contains("nothing after </html>"));
        assert!(reason("plain <b>bold</b>").contains("before <html>"), "tags need <html>");
        assert_eq!(reason("<html><b>x</i></b></html>"), "</i> closes <b>; close tags in order");
        assert_eq!(reason("<html><b>x</html>"), "<b> is never closed");
        assert_eq!(reason("<html>1 < 2</html>"), "a `<` that starts no tag (write &lt; for a literal <)");
        assert_eq!(reason("<html>a <3 b></html>"), "<3 b> is not a tag (write &lt; for a literal <)");
        assert_eq!(reason(""), "must not be empty");
        assert!(reason(&"x".repeat(MAX_MESSAGE_CHARS + 1)).starts_with("is longer than"));
    }
}
