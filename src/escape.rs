//! Text an orchestrator controls (status messages, strings of its answer) made safe to show, one
//! policy for every format: control characters (C0, DEL, C1, ESC), invisible or reordering
//! characters (bidirectional overrides and isolates, zero-width marks, tag characters) and
//! noncharacters (U+FFFE, U+FFFF, which XML cannot carry at all) become visible escapes such as
//! `\x1b` and `\u{202e}` in text, and `\u202e` in JSON strings, so no answer can move the cursor,
//! retitle a terminal, forge report lines, break a JUnit file or reorder what a reader sees.

use std::borrow::Cow;
use std::io;

use serde_json::ser::{Formatter, PrettyFormatter};

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

/// `document` as pretty-printed JSON whose strings carry every character [`needs_escape`] names
/// as a `\u` escape (a surrogate pair beyond U+FFFF): the data is unchanged for a parser, while
/// the file shows no raw bidirectional override or C1 control to a person who opens it.
pub fn json_pretty(document: &impl serde::Serialize) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(4096);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, ShownJson(PrettyFormatter::new()));
    document.serialize(&mut serializer)?;
    // The serializer writes only UTF-8: strings, escapes and punctuation.
    Ok(String::from_utf8(out).expect("serde_json writes UTF-8"))
}

/// serde_json's pretty layout, with the strings' unsafe characters escaped (serde_json escapes
/// only C0 controls, `"` and `\\` itself, before a fragment reaches this formatter).
struct ShownJson(PrettyFormatter<'static>);

impl Formatter for ShownJson {
    fn write_string_fragment<W: ?Sized + io::Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        let mut unwritten = 0;
        for (index, c) in fragment.char_indices().filter(|&(_, c)| needs_escape(c)) {
            writer.write_all(&fragment.as_bytes()[unwritten..index])?;
            for unit in c.encode_utf16(&mut [0; 2]) {
                write!(writer, "\\u{unit:04x}")?;
            }
            unwritten = index + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[unwritten..])
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_array(writer)
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object(writer)
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(writer, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_value(writer)
    }
}

/// The characters no report shows raw: controls; characters that reorder or hide text without
/// showing themselves; and noncharacters, which XML 1.0 cannot carry (U+FFFE, U+FFFF) or which
/// no text should hold (Unicode reserves them for a program's own use).
pub fn needs_escape(c: char) -> bool {
    let code = u32::from(c);
    c.is_control()
        || matches!(c,
            '\u{061c}'                  // Arabic letter mark
            | '\u{200b}'..='\u{200f}'   // zero-width space, joiners, LTR/RTL marks
            | '\u{2028}' | '\u{2029}'   // line and paragraph separators
            | '\u{202a}'..='\u{202e}'   // bidirectional embeddings and overrides
            | '\u{2060}'..='\u{206f}'   // word joiner, invisible operators, bidirectional isolates
            | '\u{fdd0}'..='\u{fdef}'   // noncharacters
            | '\u{feff}'                // zero-width no-break space (byte order mark)
            | '\u{fff9}'..='\u{fffb}'   // interlinear annotation marks, which hide text
            | '\u{e0000}'..='\u{e007f}' // tag characters, invisible ASCII look-alikes
        )
        || code & 0xfffe == 0xfffe // U+FFFE and U+FFFF of every plane: noncharacters
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
    fn noncharacters_and_tags_are_shown() {
        assert_eq!(
            escape_line("a\u{fffe}\u{ffff}\u{fdd0}\u{10ffff}\u{e0041}\u{fffa}b"),
            "a\\u{fffe}\\u{ffff}\\u{fdd0}\\u{10ffff}\\u{e0041}\\u{fffa}b"
        );
    }

    #[test]
    fn json_carries_unsafe_characters_as_escapes_and_the_same_data() {
        let hostile = "\u{1b}\u{7f}\u{85}\u{202e}\u{fffe}\u{e0041}\"quoted\" ünï 中文 😀";
        let document = serde_json::json!({ "message": hostile, hostile: [1, "two"] });
        let text = json_pretty(&document).unwrap();
        assert!(
            text.contains(r#""\u001b\u007f\u0085\u202e\ufffe\udb40\udc41\"quoted\" ünï 中文 😀""#),
            "{text}"
        );
        assert_eq!(text.chars().find(|&c| needs_escape(c) && c != '\n'), None, "{text}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), document);
        assert_eq!(
            json_pretty(&serde_json::json!({ "a": [1] })).unwrap(),
            serde_json::to_string_pretty(&serde_json::json!({ "a": [1] })).unwrap(),
            "serde_json's own layout"
        );
    }

    /// XML 1.0's `Char` production: what a JUnit file can carry at all.
    fn xml_char(c: char) -> bool {
        matches!(u32::from(c), 0x9 | 0xa | 0xd | 0x20..=0xd7ff | 0xe000..=0xfffd | 0x10000..=0x10ffff)
    }

    #[test]
    fn every_code_point_is_shown_as_itself_or_as_an_escape_of_safe_characters() {
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let text = c.to_string();
            let shown = escape_line(&text);
            if needs_escape(c) {
                assert!(
                    shown.starts_with('\\') && shown.chars().all(|c| c.is_ascii_graphic()),
                    "{c:?}"
                );
            } else {
                assert_eq!(shown, text);
                assert!(xml_char(c), "{c:?} is shown raw but XML cannot carry it");
            }
        }
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        let text = "gRPC status Unknown: sig check failed — ünïcödé, 中文, \\x1b as typed";
        assert!(matches!(escape_line(text), Cow::Borrowed(same) if same == text));
    }
}
