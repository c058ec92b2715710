//! Where things are printed: results on stdout (text or one JSON document), progress and
//! errors for people on stderr, colour only on a terminal.

use console::{Term, style};
use serde_json::{Value, json};

use crate::exit;

/// The output mode of one command run.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    json: bool,
    quiet: bool,
    colour: bool,
}

impl Output {
    pub fn new(json: bool, quiet: bool) -> Self {
        Self { json, quiet, colour: Term::stderr().is_term() && Term::stdout().is_term() }
    }

    pub fn json(&self) -> bool {
        self.json
    }

    /// Only the essential value on stdout, no progress or notes on stderr.
    pub fn quiet(&self) -> bool {
        self.quiet
    }

    /// A heading or label, bold on a terminal.
    pub fn em(&self, text: &str) -> String {
        if self.colour { style(text).bold().to_string() } else { text.to_owned() }
    }

    /// Green on a terminal.
    pub fn good(&self, text: &str) -> String {
        if self.colour { style(text).green().bold().to_string() } else { text.to_owned() }
    }

    /// Red on a terminal.
    pub fn bad(&self, text: &str) -> String {
        if self.colour { style(text).red().bold().to_string() } else { text.to_owned() }
    }

    /// Text that came from the server, made safe for a terminal (no escape sequences or
    /// control characters, bounded length).
    pub fn shown(&self, text: &str) -> String {
        authcloud::sanitize_server_text(text)
    }

    /// A token (status, intent) for a terminal or a script: never shortened — a token cut
    /// like server prose would be unusable — and never able to act on the terminal: any
    /// character that is not printable ASCII (a real token has none) is written as a
    /// visible `\u{…}` escape instead.
    pub fn token(&self, token: &str) -> String {
        let mut shown = String::with_capacity(token.len());
        for c in token.chars() {
            if c.is_ascii_graphic() {
                shown.push(c);
            } else {
                shown.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
        }
        shown
    }

    /// A progress note for people (stderr; nothing in JSON mode's stdout; nothing when quiet).
    pub fn note(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// The command's result: the JSON document, the essential value alone (`--quiet`), or
    /// the text lines for a person.
    pub fn result(&self, document: Value, essential: impl FnOnce() -> String, text: impl FnOnce() -> String) {
        if self.json {
            println!("{}", serde_json::to_string_pretty(&document).expect("JSON values serialise"));
        } else if self.quiet {
            println!("{}", essential());
        } else {
            println!("{}", text());
        }
    }

    /// Reports an SDK error and returns its exit code. In JSON mode the error is the
    /// stdout document, so a script always gets exactly one.
    pub fn fail(&self, error: &authcloud::Error) -> u8 {
        let code = exit::code_for(error);
        if self.json {
            let mut doc = json!({ "error": {
                "kind": error.kind().as_str(),
                "message": error.to_string(),
                "transient": error.is_transient(),
            } });
            if let Some(status) = error.http_status() {
                doc["error"]["httpStatus"] = json!(status);
            }
            if let Some(endpoint) = error.endpoint() {
                doc["error"]["endpoint"] = json!(endpoint.to_string());
            }
            println!("{}", serde_json::to_string_pretty(&doc).expect("JSON values serialise"));
        } else {
            eprintln!("{} {error}", self.bad("error:"));
        }
        code
    }

    /// Reports a problem of the command line itself (exit code 2).
    pub fn usage(&self, message: &str) -> u8 {
        if self.json {
            let doc = json!({ "error": { "kind": "usage", "message": message } });
            println!("{}", serde_json::to_string_pretty(&doc).expect("JSON values serialise"));
        } else {
            eprintln!("{} {message}", self.bad("error:"));
        }
        exit::USAGE
    }
}
