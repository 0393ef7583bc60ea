//! Text an orchestrator controls (status messages, strings of its answer) made safe to show: control
//! characters (C0, DEL, C1, ESC) and invisible or reordering characters (bidirectional overrides,
//! zero-width marks) become visible escapes such as `\x1b` and `\u{202e}`, so no answer can move
//! the cursor, retitle a terminal, forge report lines or reorder what a reader sees.

use std::borrow::Cow;

/// One line: every control character is escaped, line breaks included, so the text cannot
/// start a line of the report.
pub fn escape_line(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// A block of lines (a YAML view, a diff, a whole rendered page): as [`escape_line`], but `\n`
/// stays a line break.
pub fn escape_text(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let shown_as_is = |c: char| !needs_escape(c) || (keep_newlines && c == '\n');
    if text.chars().all(shown_as_is) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if shown_as_is(c) {
            out.push(c);
        } else if u32::from(c) < 0x100 {
            out.push_str(&format!("\\x{:02x}", u32::from(c)));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        }
    }
    Cow::Owned(out)
}

/// Control characters, and the characters that reorder or hide text without showing themselves.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061c}'                  // Arabic letter mark
            | '\u{200b}'..='\u{200f}'   // zero-width space, joiners, LTR/RTL marks
            | '\u{2028}' | '\u{2029}'   // line and paragraph separators
            | '\u{202a}'..='\u{202e}'   // bidirectional embeddings and overrides
            | '\u{2060}'..='\u{2069}'   // word joiner, invisible operators, bidirectional isolates
            | '\u{feff}'                // zero-width no-break space (byte order mark)
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_are_shown_not_obeyed() {
        let hostile = "\u{1b}[2J\u{1b}]0;pwned\u{7}\r\nPASS fake::line\u{7f}\u{9b}";
        assert_eq!(
            escape_line(hostile),
            "\\x1b[2J\\x1b]0;pwned\\x07\\x0d\\x0aPASS fake::line\\x7f\\x9b"
        );
        assert_eq!(escape_text("a\r\nb\tc"), "a\\x0d\nb\\x09c");
    }

    #[test]
    fn bidirectional_and_invisible_characters_are_shown() {
        assert_eq!(
            escape_line("invoice\u{202e}fdp.exe\u{200b}\u{2066}\u{feff}"),
            "invoice\\u{202e}fdp.exe\\u{200b}\\u{2066}\\u{feff}"
        );
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        let text = "gRPC status Unknown: sig check failed — ünïcödé, 中文, \\x1b as typed";
        assert!(matches!(escape_line(text), Cow::Borrowed(same) if same == text));
    }
}
