//! Printing server-provided text on a terminal.
//!
//! Ids, display names, answers and error messages come from the server. Printed as they are, a
//! hostile or compromised server could put escape sequences on the user's terminal (move the
//! cursor, rewrite earlier lines, set the window title, on some terminals worse). Everything
//! this crate's examples (and its CLI) print that a server sent goes through [`escape`]:
//!
//! ```
//! use graph_odata_runtime::terminal::escape;
//!
//! assert_eq!(escape("plain name"), "plain name");
//! assert_eq!(escape("evil\u{1b}]0;owned\u{7}"), "evil\\u{1b}]0;owned\\u{7}");
//! assert_eq!(escape("two\nlines"), "two\\nlines");
//! ```
//!
//! Error values need no extra step for tokens: every rendering of an [`crate::Error`] already
//! has any bearer token this client sent replaced by [`crate::error::REDACTED`]; pass their
//! `Display` text through [`escape`] like any other server-provided text.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach a terminal as it is: C0 and C1 control characters, DEL, and the
/// Unicode bidirectional controls (which can make text read differently from what it is).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every [unsafe](is_unsafe) character written as a visible escape (`\n`, `\t`,
/// `\r`, otherwise `\u{..}` in hex); borrowed unchanged when there is none. Everything else,
/// including non-ASCII letters, is kept.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_control_and_keeps_the_rest() {
        for c in (0u32..0x20).chain(0x7f..0xa0).filter_map(char::from_u32) {
            let escaped = escape(&c.to_string()).into_owned();
            assert!(escaped.starts_with('\\'), "{c:?} -> {escaped:?}");
            assert!(!escaped.chars().any(is_unsafe), "{c:?}");
        }
        assert_eq!(escape("\u{202e}txt.exe"), "\\u{202e}txt.exe");
        assert_eq!(escape("Café – 日本"), "Café – 日本");
        assert!(matches!(escape("no change"), Cow::Borrowed(_)));
    }
}
