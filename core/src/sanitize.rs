//! Making text that came from a server safe to show: in an error, a log line or a terminal.
//!
//! A hostile or broken server (or a proxy in between) controls every byte of its answers.
//! Printed raw, an ANSI escape sequence can rewrite the user's terminal, a bidi override can
//! make a log line read differently from what it contains, and a megabyte of text can drown
//! a log. So server text passes through [`sanitize_server_text`] before it reaches any of
//! those places: escape sequences and control characters are removed, line breaks and tabs
//! become spaces, and the length is capped at [`MAX_SERVER_TEXT_CHARS`].
//!
//! Values handed back to the caller as data (a username, a user id) are not altered; a
//! program that prints them should sanitise them too (the CLI does).

/// Longest server text kept, in characters (an ellipsis marks the cut).
pub const MAX_SERVER_TEXT_CHARS: usize = 512;

const ESC: char = '\u{1b}';
/// The 8-bit "control sequence introducer" and "operating system command" of C1.
const CSI_8BIT: char = '\u{9b}';
const OSC_8BIT: char = '\u{9d}';
const BEL: char = '\u{07}';
const ST_8BIT: char = '\u{9c}';

/// Removes terminal escape sequences and control characters (including bidi overrides)
/// from `text`, turns line breaks and tabs into spaces, trims it, and caps it at
/// [`MAX_SERVER_TEXT_CHARS`] characters.
pub fn sanitize_server_text(text: &str) -> String {
    sanitize_with_limit(text, MAX_SERVER_TEXT_CHARS)
}

/// [`sanitize_server_text`] with another cap (at least 1 character).
pub(crate) fn sanitize_with_limit(text: &str, limit: usize) -> String {
    let limit = limit.max(1);
    let mut out = String::with_capacity(text.len().min(limit * 4));
    let mut kept = 0usize;
    let mut truncated = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let replacement = match c {
            ESC => {
                skip_escape_sequence(&mut chars);
                continue;
            }
            CSI_8BIT => {
                skip_csi_body(&mut chars);
                continue;
            }
            OSC_8BIT => {
                skip_string_body(&mut chars);
                continue;
            }
            '\n' | '\r' | '\t' => ' ',
            c if is_invisible_control(c) => continue,
            c => c,
        };
        // Collapse runs of spaces produced by line breaks so excerpts stay readable.
        if replacement == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        if kept == limit {
            truncated = true;
            break;
        }
        out.push(replacement);
        kept += 1;
    }
    let mut out = out.trim_end().to_owned();
    if truncated {
        out.push('…');
    }
    out
}

/// C0 and C1 controls, DEL, and the Unicode format characters that reorder or hide text
/// (bidi embeddings, overrides and isolates, zero-width marks, the BOM).
fn is_invisible_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}' | '\u{061c}'
        )
}

/// After an ESC: skips a CSI (`ESC [ … final`), an OSC/DCS/APC/PM/SOS string
/// (`ESC ] … BEL` or `… ESC \`), or the one character of a two-character sequence.
fn skip_escape_sequence(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.next() {
        Some('[') => skip_csi_body(chars),
        Some(']' | 'P' | '_' | '^' | 'X') => skip_string_body(chars),
        // `ESC (`, `ESC )` and friends take one more character (a charset designator).
        Some('(' | ')' | '*' | '+' | '-' | '.' | '/' | '#' | '%' | ' ') => {
            chars.next();
        }
        _ => {}
    }
}

/// Parameters and intermediates (0x20–0x3f), then one final byte (0x40–0x7e).
fn skip_csi_body(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) || !('\u{20}'..='\u{3f}').contains(&c) {
            break;
        }
    }
}

/// Everything up to BEL, ST or `ESC \`.
fn skip_string_body(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            BEL | ST_8BIT => break,
            ESC => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_controls_are_removed() {
        let text = "\u{1b}[31mred\u{1b}[0m \u{1b}]0;title\u{7}bell\u{7} \u{9b}2Jclear nul\u{0}end";
        assert_eq!(sanitize_server_text(text), "red bell clear nulend");
        assert_eq!(sanitize_server_text("a\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\b"), "alinkb");
        assert_eq!(sanitize_server_text("ab\u{1b}(Bc"), "abc");
    }

    #[test]
    fn bidi_overrides_and_zero_width_characters_are_removed() {
        assert_eq!(sanitize_server_text("admin\u{202e}txt.exe\u{202c}"), "admintxt.exe");
        assert_eq!(sanitize_server_text("a\u{200b}b\u{feff}c\u{2066}d"), "abcd");
    }

    #[test]
    fn line_breaks_become_single_spaces() {
        assert_eq!(sanitize_server_text("  one\r\n\r\n two\tthree \n"), "one two three");
    }

    #[test]
    fn long_text_is_capped_with_an_ellipsis() {
        let long = "é".repeat(2000);
        let out = sanitize_server_text(&long);
        assert_eq!(out.chars().count(), MAX_SERVER_TEXT_CHARS + 1);
        assert!(out.ends_with('…'));
        assert_eq!(sanitize_server_text(&"x".repeat(MAX_SERVER_TEXT_CHARS)).chars().count(), MAX_SERVER_TEXT_CHARS);
    }

    #[test]
    fn ordinary_text_is_unchanged() {
        let text = "Bad Request: username must match [a-zA-Z0-9_.@-]{1,300} — 7e16ba00 ✓";
        assert_eq!(sanitize_server_text(text), text);
    }

    #[test]
    fn an_unterminated_sequence_swallows_only_itself() {
        assert_eq!(sanitize_server_text("ok\u{1b}"), "ok");
        assert_eq!(sanitize_server_text("ok\u{1b}[12;"), "ok");
        assert_eq!(sanitize_server_text("ok\u{1b}]unterminated title"), "ok");
    }
}
