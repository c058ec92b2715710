//! The rule for an approval's `message` (the emulator's own reading, shared with nothing):
//! either plain text without `<`, or exactly one `<html>…</html>` element whose content uses
//! only `<b> <br> <em> <i> <strong> <u>`, without attributes, properly nested.
//!
//! Error messages name the offending tag or attribute only when it is a well-known HTML name
//! from the fixed lists below, so a message never echoes arbitrary client input (a key or token
//! pasted into the wrong field cannot come back in an error).

use std::borrow::Cow;
use std::ops::Range;

/// Longest `message` accepted, in characters.
pub(crate) const MAX_MESSAGE_CHARS: usize = 10_000;

/// Longest `notificationMessage` accepted, in characters.
pub(crate) const MAX_NOTIFICATION_CHARS: usize = 1_000;

/// Tags allowed inside the `<html>` element (`br` is void, the others need closing).
const ALLOWED: &[&str] = &["b", "br", "em", "i", "strong", "u"];

/// HTML element names an error may repeat (they are ours, not the client's).
const KNOWN_TAGS: &[&str] = &[
    "a",
    "abbr",
    "address",
    "area",
    "article",
    "aside",
    "audio",
    "b",
    "base",
    "bdi",
    "bdo",
    "big",
    "blink",
    "blockquote",
    "body",
    "br",
    "button",
    "canvas",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "data",
    "datalist",
    "dd",
    "del",
    "details",
    "dfn",
    "dialog",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "font",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "i",
    "iframe",
    "img",
    "input",
    "ins",
    "kbd",
    "label",
    "legend",
    "li",
    "link",
    "main",
    "map",
    "mark",
    "marquee",
    "menu",
    "meta",
    "meter",
    "nav",
    "noscript",
    "object",
    "ol",
    "optgroup",
    "option",
    "output",
    "p",
    "param",
    "picture",
    "pre",
    "progress",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "script",
    "section",
    "select",
    "slot",
    "small",
    "source",
    "span",
    "strike",
    "strong",
    "style",
    "sub",
    "summary",
    "sup",
    "svg",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "time",
    "title",
    "tr",
    "track",
    "tt",
    "u",
    "ul",
    "var",
    "video",
    "wbr",
];

/// Attribute names an error may repeat.
const KNOWN_ATTRIBUTES: &[&str] = &[
    "accesskey",
    "action",
    "align",
    "alt",
    "background",
    "bgcolor",
    "border",
    "class",
    "color",
    "content",
    "dir",
    "download",
    "face",
    "height",
    "hidden",
    "href",
    "id",
    "lang",
    "name",
    "rel",
    "size",
    "src",
    "srcset",
    "style",
    "tabindex",
    "target",
    "title",
    "type",
    "value",
    "width",
    "xmlns",
];

/// What kind of valid message it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Message {
    /// Text without `<`: shown escaped.
    Plain,
    /// One `<html>` element; `inner` is the byte range of its content, which only holds text
    /// (no `<`) and the allowed tags, so it can be shown as markup.
    Html { inner: Range<usize> },
}

/// Checks a message against the rule; the error is a sentence for a 400 answer.
pub(crate) fn check(message: &str) -> Result<Message, Cow<'static, str>> {
    let chars = message.chars().count();
    if chars > MAX_MESSAGE_CHARS {
        return Err("`message` must be at most 10000 characters long".into());
    }
    if message.trim().is_empty() {
        return Err("`message` must not be empty".into());
    }
    if has_control_chars(message) {
        return Err("`message` must not contain control characters (tab, CR and LF are fine)".into());
    }
    if !message.contains('<') {
        return Ok(Message::Plain);
    }
    check_html(message)
}

/// Whether text holds a control character other than tab, CR and LF.
pub(crate) fn has_control_chars(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// A tag as the tokenizer read it.
#[derive(Debug)]
struct Tag<'a> {
    /// Lowercased.
    name: String,
    closing: bool,
    self_closing: bool,
    /// The first attribute's name, if any.
    attribute: Option<&'a str>,
    /// Byte range of the whole tag in the message.
    span: Range<usize>,
}

fn check_html(message: &str) -> Result<Message, Cow<'static, str>> {
    let start = message.len() - message.trim_start().len();
    let end = message.trim_end().len();
    if !message[start..].starts_with('<') {
        return Err("a `message` containing `<` must be exactly one <html>…</html> element; \
                    text before it is not allowed (write `&lt;` for a literal `<`)"
            .into());
    }
    let mut position = start;
    let mut stack: Vec<String> = Vec::new();
    let mut inner_start = None;
    let mut inner_end = None;
    let mut has_text = false;
    while position < end {
        let rest = &message[position..end];
        let Some(offset) = rest.find('<') else {
            return Err(match (inner_start, inner_end) {
                (Some(_), None) => "`message`: the <html> element is not closed with </html>".into(),
                _ => after_html(),
            });
        };
        if offset > 0 {
            if inner_start.is_none() || inner_end.is_some() {
                return Err(after_html());
            }
            has_text |= !rest[..offset].trim().is_empty();
            position += offset;
            continue;
        }
        let tag = read_tag(message, position, end)?;
        position = tag.span.end;
        if tag.name == "html" {
            if tag.attribute.is_some() {
                return Err(attribute_error(&tag));
            }
            match (tag.closing, inner_start, inner_end) {
                (false, None, _) if !tag.self_closing => inner_start = Some(tag.span.end),
                (true, Some(_), None) => {
                    if let Some(open) = stack.last() {
                        return Err(format!("`message`: <{}> is not closed before </html>", known_tag(open)).into());
                    }
                    inner_end = Some(tag.span.start);
                }
                _ => return Err("`message` must hold exactly one <html>…</html> element".into()),
            }
            continue;
        }
        if inner_start.is_none() || inner_end.is_some() {
            return Err("a `message` containing `<` must be exactly one <html>…</html> element".into());
        }
        if !ALLOWED.contains(&tag.name.as_str()) {
            return Err(format!(
                "`message`: {} is not allowed; use only <b>, <br>, <em>, <i>, <strong> and <u> inside <html>",
                describe_tag(&tag.name)
            )
            .into());
        }
        if tag.attribute.is_some() {
            return Err(attribute_error(&tag));
        }
        match (tag.name.as_str(), tag.closing, tag.self_closing) {
            ("br", false, _) => {}
            ("br", true, _) => return Err("`message`: </br> is not allowed; write <br>".into()),
            (name, false, true) => {
                return Err(format!("`message`: <{}/> cannot be self-closing", known_tag(name)).into());
            }
            (name, false, false) => stack.push(name.to_owned()),
            (name, true, _) => match stack.pop() {
                Some(open) if open == name => {}
                Some(open) => {
                    return Err(format!(
                        "`message`: </{}> does not close the open <{}>",
                        known_tag(name),
                        known_tag(&open)
                    )
                    .into());
                }
                None => return Err(format!("`message`: </{}> closes nothing", known_tag(name)).into()),
            },
        }
    }
    let (Some(inner_start), Some(inner_end)) = (inner_start, inner_end) else {
        return Err("`message`: the <html> element is not closed with </html>".into());
    };
    if !has_text {
        return Err("`message`: the <html> element holds no text".into());
    }
    Ok(Message::Html { inner: inner_start..inner_end })
}

fn after_html() -> Cow<'static, str> {
    "`message`: text after </html> is not allowed".into()
}

/// Reads the tag starting with the `<` at `at`.
fn read_tag(message: &str, at: usize, end: usize) -> Result<Tag<'_>, Cow<'static, str>> {
    let bytes = &message.as_bytes()[..end];
    let mut index = at + 1;
    match bytes.get(index) {
        Some(b'!') | Some(b'?') => {
            return Err("`message`: comments, declarations and processing instructions are not allowed".into());
        }
        _ => {}
    }
    let closing = bytes.get(index) == Some(&b'/');
    if closing {
        index += 1;
    }
    let name_start = index;
    while bytes.get(index).is_some_and(u8::is_ascii_alphanumeric) {
        index += 1;
    }
    if index == name_start || !bytes[name_start].is_ascii_alphabetic() {
        return Err("`message`: a `<` that does not start a tag; write `&lt;` for a literal `<`".into());
    }
    let name = message[name_start..index].to_ascii_lowercase();
    let mut attribute = None;
    let mut self_closing = false;
    loop {
        match bytes.get(index) {
            None => return Err(format!("`message`: {} is not terminated with `>`", describe_tag(&name)).into()),
            Some(b'>') => {
                index += 1;
                break;
            }
            Some(b'/') if bytes.get(index + 1) == Some(&b'>') && !closing => {
                self_closing = true;
                index += 2;
                break;
            }
            Some(c) if c.is_ascii_whitespace() => index += 1,
            Some(_) if attribute.is_none() && index > name_start && bytes[index - 1].is_ascii_whitespace() => {
                let attribute_start = index;
                while bytes.get(index).is_some_and(|c| !c.is_ascii_whitespace() && !matches!(c, b'=' | b'>' | b'/')) {
                    index += 1;
                }
                attribute = Some(&message[attribute_start..index]);
                // Skip the value (quoted or not) up to the end of the tag.
                let mut quote = None;
                while let Some(&c) = bytes.get(index) {
                    match (quote, c) {
                        (None, b'"' | b'\'') => quote = Some(c),
                        (Some(q), c) if c == q => quote = None,
                        (None, b'>') => break,
                        _ => {}
                    }
                    index += 1;
                }
            }
            Some(_) => return Err(format!("`message`: {} is malformed", describe_tag(&name)).into()),
        }
    }
    Ok(Tag { name, closing, self_closing, attribute, span: at..index })
}

/// The 400 message for a tag with an attribute.
fn attribute_error(tag: &Tag<'_>) -> Cow<'static, str> {
    let attribute = tag.attribute.unwrap_or_default().to_ascii_lowercase();
    let named = if attribute.starts_with("on") && attribute.len() > 2 {
        "an event-handler attribute (on…)".to_owned()
    } else if attribute.starts_with("data-") {
        "a data-* attribute".to_owned()
    } else if let Some(known) = KNOWN_ATTRIBUTES.iter().find(|known| **known == attribute) {
        format!("the attribute `{known}`")
    } else {
        "an attribute".to_owned()
    };
    format!("`message`: {named} on <{}> is not allowed; tags take no attributes", known_tag(&tag.name)).into()
}

/// `the tag <name>` for a well-known name, else `a tag` (never echoing client input).
fn describe_tag(name: &str) -> String {
    match KNOWN_TAGS.iter().find(|known| **known == name) {
        Some(known) => format!("the tag <{known}>"),
        None => "an unknown tag".to_owned(),
    }
}

/// A known tag name as a static string, or `?` (callers only pass allowed or known names).
fn known_tag(name: &str) -> &'static str {
    KNOWN_TAGS.iter().find(|known| **known == name).copied().unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inner(message: &str) -> &str {
        match check(message) {
            Ok(Message::Html { inner }) => &message[inner],
            other => panic!("{message:?}: {other:?}"),
        }
    }

    #[test]
    fn plain_text() {
        assert_eq!(check("Log in to shop.example? 3 > 2 & fine"), Ok(Message::Plain));
        assert_eq!(check("line\nbreak\ttab"), Ok(Message::Plain));
        assert!(check("").is_err());
        assert!(check("   ").is_err());
        assert!(check("bell\u{7}").is_err());
        assert!(check(&"x".repeat(MAX_MESSAGE_CHARS)).is_ok());
        assert!(check(&"x".repeat(MAX_MESSAGE_CHARS + 1)).is_err());
    }

    #[test]
    fn allowed_html() {
        assert_eq!(inner("<html>Pay <b>CHF 10</b>?</html>"), "Pay <b>CHF 10</b>?");
        assert_eq!(inner("  <HTML>a<br>b<br/>c<br />d</HTML>\n"), "a<br>b<br/>c<br />d");
        assert_eq!(inner("<html><strong><em>x</em></strong> <i>y</i> <u>z</u> &lt;ok&gt;</html>"), {
            "<strong><em>x</em></strong> <i>y</i> <u>z</u> &lt;ok&gt;"
        });
        assert_eq!(inner("<html><B>x</b ></html >"), "<B>x</b >");
    }

    #[test]
    fn refused_html_names_the_problem() {
        let cases: &[(&str, &str)] = &[
            ("<html><script>x</script></html>", "<script>"),
            ("<html><b class=\"x\">x</b></html>", "`class`"),
            ("<html><b onclick='x'>x</b></html>", "event-handler"),
            ("<html><b data-x=1>x</b></html>", "data-*"),
            ("<html><b zork>x</b></html>", "an attribute on <b>"),
            ("<html lang=en>x</html>", "`lang`"),
            ("<html><zork>x</zork></html>", "unknown tag"),
            ("<html><b>x</html>", "<b> is not closed"),
            ("<html><b>x</i></b></html>", "</i> does not close the open <b>"),
            ("<html>x</b></html>", "</b> closes nothing"),
            ("<html>x</br></html>", "</br>"),
            ("<html><b/>x</html>", "self-closing"),
            ("<html>a < b</html>", "&lt;"),
            ("<html><!-- c -->x</html>", "comments"),
            ("<html>x", "not closed with </html>"),
            ("<html>x</html>y", "after </html>"),
            ("y<html>x</html>", "before it"),
            ("<html>x</html><html>y</html>", "exactly one"),
            ("<html><html>x</html></html>", "exactly one"),
            ("<b>x</b>", "exactly one <html>"),
            ("<html><b>  </b></html>", "no text"),
            ("<html><b", "not terminated"),
            ("<html><b\"x\">y</b></html>", "malformed"),
        ];
        for (message, expected) in cases {
            let error = check(message).expect_err(message);
            assert!(error.contains(expected), "{message:?}: {error}");
        }
    }

    #[test]
    fn errors_never_echo_unknown_names() {
        let secret = "sk_TOPSECRET123";
        for message in [
            format!("<html><{secret}>x</{secret}></html>"),
            format!("<html><b {secret}=1>x</b></html>"),
            format!("<html><b>x</{secret}></b></html>"),
        ] {
            let error = check(&message).expect_err("refused");
            assert!(!error.contains(secret), "{error}");
        }
    }
}
