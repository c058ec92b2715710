//! The small self-contained HTML pages of the simulated authenticator (`/open`, `/phone`):
//! one layout, escaping, how the phone renders an approval's message, and how its forms are
//! accepted.

use axum::response::{Html, IntoResponse, Response};
use http::{HeaderMap, StatusCode, header};

use crate::body;
use crate::message::{self, Message};

/// An HTML answer with a status; `head_extra` is trusted markup for `<head>` (e.g. a refresh).
pub(crate) fn page_with_head(status: StatusCode, title: &str, head_extra: &str, body_html: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{head_extra}\
         <title>{title} · authcloud emulator</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}}\
         dt{{font-weight:600}}dd{{margin:0 0 .5rem 0;font-family:monospace;word-break:break-all}}\
         form{{display:inline-block;margin-right:1rem}}button{{font-size:1.1rem;padding:.5rem 1.5rem}}\
         .message{{border:1px solid #999;border-radius:.5rem;padding:.75rem;margin:.5rem 0;white-space:pre-wrap}}\
         .notification{{font-style:italic}}section{{border-top:1px solid #ccc;padding:.5rem 0 1rem}}</style>\
         </head><body><h1>{title}</h1>\n{body_html}\n\
         <p><small>Simulated authenticator of the authcloud emulator (not the vendor's app).</small></p>\
         </body></html>\n",
        title = escape(title),
    );
    // A page's URL may hold a dispatch token: keep it out of Referer headers.
    (status, [(http::header::REFERRER_POLICY, "no-referrer")], Html(html)).into_response()
}

/// An HTML answer with a status.
pub(crate) fn page(status: StatusCode, title: &str, body_html: &str) -> Response {
    page_with_head(status, title, "", body_html)
}

/// Why a form posted to the simulated authenticator is refused.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RefusedForm {
    /// Posted from another site: without this refusal any page the developer visits could
    /// approve a pending login by posting the form the phone page shows.
    CrossSite,
    /// Not sent as a browser sends a form, with the status to answer (415).
    NotAForm(StatusCode),
}

impl RefusedForm {
    /// The page explaining the refusal.
    pub(crate) fn page(self) -> Response {
        match self {
            RefusedForm::CrossSite => page(
                StatusCode::FORBIDDEN,
                "Refused",
                "<p>This form was posted from another site. Open the link or the phone page of this \
                 emulator and press the button there.</p>",
            ),
            RefusedForm::NotAForm(status) => {
                page(status, "Unsupported form", "<p>Send the form as a browser does.</p>")
            }
        }
    }
}

/// The fields of a form posted by this emulator's own pages (or by a program, which sends
/// neither `Sec-Fetch-Site` nor `Origin`).
///
/// `Sec-Fetch-Site` decides where a browser sends it (all current ones); only `same-origin`
/// and `none` (typed or bookmarked) pass — not `same-site`: another port on 127.0.0.1 is
/// another application. Without it, `Origin` must name this host. An `Origin: null` alone is
/// refused; browsers that send it for these pages (they set `Referrer-Policy: no-referrer`)
/// also send `Sec-Fetch-Site`.
pub(crate) fn posted_form(headers: &HeaderMap, form: &[u8]) -> Result<Vec<(String, String)>, RefusedForm> {
    if !posted_from_here(headers) {
        return Err(RefusedForm::CrossSite);
    }
    body::form(headers, form).map_err(|err| RefusedForm::NotAForm(err.status))
}

fn posted_from_here(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let (Ok(origin), Some(Ok(host))) = (origin.to_str(), headers.get(header::HOST).map(|host| host.to_str())) else {
        return false;
    };
    origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host)
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// An approval's message as the phone shows it, inside `<div class="message">`: the content
/// of an `<html>` message as markup (the rule check guarantees it holds only text without
/// `<` and the tags b, br, em, i, strong, u without attributes), plain text escaped. A message
/// that somehow fails the check is shown escaped too.
pub(crate) fn message_block(text: &str) -> String {
    let shown = match message::check(text) {
        Ok(Message::Html { inner }) => text[inner].to_owned(),
        Ok(Message::Plain) | Err(_) => escape(text),
    };
    format!("<div class=\"message\">{shown}</div>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(name, value)| (http::HeaderName::from_static(name), value.parse().unwrap())).collect()
    }

    #[test]
    fn only_posts_from_this_emulator_pass() {
        let here = [("host", "127.0.0.1:9000")];
        assert!(posted_from_here(&headers(&here)), "a program sends neither header");
        assert!(posted_from_here(&headers(&[here[0], ("sec-fetch-site", "same-origin")])));
        assert!(posted_from_here(&headers(&[here[0], ("sec-fetch-site", "none")])));
        assert!(posted_from_here(&headers(&[here[0], ("sec-fetch-site", "same-origin"), ("origin", "null")])));
        assert!(posted_from_here(&headers(&[here[0], ("origin", "http://127.0.0.1:9000")])));
        assert!(!posted_from_here(&headers(&[here[0], ("sec-fetch-site", "cross-site")])));
        assert!(!posted_from_here(&headers(&[here[0], ("sec-fetch-site", "same-site")])));
        assert!(!posted_from_here(&headers(&[here[0], ("origin", "http://127.0.0.1:8000")])));
        assert!(!posted_from_here(&headers(&[here[0], ("origin", "https://evil.example")])));
        assert!(!posted_from_here(&headers(&[here[0], ("origin", "null")])));
        assert!(!posted_from_here(&headers(&[("origin", "http://127.0.0.1:9000")])), "no Host to compare with");
    }

    #[test]
    fn messages_render_as_the_phone_shows_them() {
        assert_eq!(
            message_block("<html>Pay <b>10</b> &amp; go</html>"),
            "<div class=\"message\">Pay <b>10</b> &amp; go</div>"
        );
        assert_eq!(message_block("3 > 2 & \"x\""), "<div class=\"message\">3 &gt; 2 &amp; &quot;x&quot;</div>");
        assert!(message_block("<html><script>x</script></html>").contains("&lt;script&gt;"));
    }
}
