//! The targets file of `lpconform sweep --targets FILE`: one URL per line
//! (`#` comments and blank lines allowed), or a JSON array of URL strings and
//! of objects `{"target": URL, "expect": ["key=value", ...]}`. Every entry is
//! checked up front (URL, expectations); a problem is a [`TargetsError`]
//! naming `file:line`.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::expect::Expectations;
use crate::transport::Target;

/// One orchestrator to sweep, as its entry in the targets file declares it.
#[derive(Debug, Clone)]
pub struct SweepTarget {
    /// 1-based line of the entry in the targets file.
    pub line: usize,
    pub target: Target,
    /// The sweep's `--expect` flags with the entry's own `expect` over them.
    pub expectations: Expectations,
}

/// Why the targets file was refused: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct TargetsError {
    pub path: PathBuf,
    /// `None` when the problem is the whole file (unreadable, empty).
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for TargetsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

/// An object entry of the JSON form.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    target: String,
    #[serde(default)]
    expect: Vec<String>,
}

/// Reads and checks the targets file; `global_expect` are the sweep's own `--expect` flags.
pub fn load_targets(path: &Path, global_expect: &[String]) -> Result<Vec<SweepTarget>, TargetsError> {
    let text = crate::input_file::read_input_file(path).map_err(|problem| TargetsError {
        path: path.to_path_buf(),
        line: None,
        message: problem,
    })?;
    parse_targets(&text, path, global_expect)
}

/// Parses a targets file's text; `path` names it in errors. A text whose first
/// character (after blanks) is `[` is the JSON form.
pub fn parse_targets(text: &str, path: &Path, global_expect: &[String]) -> Result<Vec<SweepTarget>, TargetsError> {
    let located = |line: usize, message: String| TargetsError {
        path: path.to_path_buf(),
        line: Some(line),
        message,
    };
    let entries = if text.trim_start().starts_with('[') {
        json_entries(text).map_err(|(line, message)| located(line, message))?
    } else {
        text_entries(text).map_err(|(line, message)| located(line, message))?
    };
    if entries.is_empty() {
        return Err(TargetsError {
            path: path.to_path_buf(),
            line: None,
            message: "holds no targets (one URL per line, or a JSON array)".into(),
        });
    }
    entries
        .into_iter()
        .map(|(line, entry)| {
            let (target, expectations) = checked(entry, global_expect).map_err(|message| located(line, message))?;
            Ok(SweepTarget {
                line,
                target,
                expectations,
            })
        })
        .collect()
}

/// The plain form: one URL per line.
fn text_entries(text: &str) -> Result<Vec<(usize, RawEntry)>, (usize, String)> {
    let mut entries = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        let url = line.trim();
        if url.is_empty() || url.starts_with('#') {
            continue;
        }
        if url.split_whitespace().nth(1).is_some() {
            return Err((
                line_number,
                format!("{url:?}: expected one URL per line (per-target expectations need the JSON form)"),
            ));
        }
        entries.push((
            line_number,
            RawEntry {
                target: url.to_string(),
                expect: Vec::new(),
            },
        ));
    }
    Ok(entries)
}

/// The JSON form: an array of URL strings and `{"target", "expect"}` objects.
fn json_entries(text: &str) -> Result<Vec<(usize, RawEntry)>, (usize, String)> {
    let values: Vec<serde_json::Value> =
        serde_json::from_str(text).map_err(|error| (error.line().max(1), json_message(&error)))?;
    let starts = element_starts(text);
    values
        .into_iter()
        .enumerate()
        .map(|(index, value)| {
            let line = starts.get(index).map_or(1, |offset| line_of(text, *offset));
            let entry = match value {
                serde_json::Value::String(target) => RawEntry {
                    target,
                    expect: Vec::new(),
                },
                object @ serde_json::Value::Object(_) => {
                    serde_json::from_value(object).map_err(|error| (line, json_message(&error)))?
                }
                other => {
                    return Err((
                        line,
                        format!(
                            "expected a URL string or an object {{\"target\": URL, \"expect\": [\"key=value\", ...]}}, found {other}"
                        ),
                    ))
                }
            };
            Ok((line, entry))
        })
        .collect()
}

/// serde_json's message without its own ` at line L column C` suffix: the line is ours to say.
fn json_message(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message,
    }
}

/// Byte offsets where each element of the top-level array begins. The text is
/// valid JSON (serde_json parsed it), so strings and nesting are all that matter.
fn element_starts(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut expecting_element = false;
    for (offset, character) in text.char_indices() {
        if in_string {
            match character {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        if character.is_whitespace() {
            continue;
        }
        if expecting_element && depth == 1 && character != ']' {
            starts.push(offset);
        }
        expecting_element = false;
        match character {
            '"' => in_string = true,
            '[' | '{' => {
                depth += 1;
                expecting_element = depth == 1;
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 1 => expecting_element = true,
            _ => {}
        }
    }
    starts
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// The entry's URL and expectations, or what is wrong with them.
fn checked(entry: RawEntry, global_expect: &[String]) -> Result<(Target, Expectations), String> {
    let target = Target::parse(&entry.target).map_err(|error| error.to_string())?;
    let expectations = Expectations::parse_flags(&merged_expect(global_expect, &entry.expect))
        .map_err(|error| format!("{target}: expect {error}"))?;
    Ok((target, expectations))
}

/// The sweep's `--expect` flags, except those whose key the entry sets itself, then the entry's.
fn merged_expect(global: &[String], own: &[String]) -> Vec<String> {
    let key = |flag: &String| flag.split_once('=').map_or(flag.clone(), |(key, _)| key.to_string());
    let own_keys: Vec<String> = own.iter().map(key).collect();
    global
        .iter()
        .filter(|flag| !own_keys.contains(&key(flag)))
        .chain(own)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<SweepTarget>, TargetsError> {
        parse_targets(text, Path::new("targets.txt"), &[])
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn plain_form_skips_comments_and_blank_lines_and_keeps_lines() {
        let targets = parse("# fleet\n\nhttps://o1.example:8935\n   \n  http://127.0.0.1:9000  \n# end\n").unwrap();
        let seen: Vec<(usize, String)> = targets
            .iter()
            .map(|target| (target.line, target.target.to_string()))
            .collect();
        assert_eq!(
            seen,
            [
                (3, "https://o1.example:8935".to_string()),
                (5, "http://127.0.0.1:9000".to_string())
            ]
        );
    }

    #[test]
    fn plain_form_errors_name_the_line() {
        assert!(
            error("https://a.example:1\nftp://b.example:2\n").starts_with("targets.txt:2: \"ftp://b.example:2\": "),
            "{}",
            error("https://a.example:1\nftp://b.example:2\n")
        );
        let two = error("\nhttps://a.example:1 https://b.example:2\n");
        assert!(
            two.starts_with("targets.txt:2: ") && two.contains("one URL per line"),
            "{two}"
        );
        assert_eq!(
            error("# nothing\n\n"),
            "targets.txt: holds no targets (one URL per line, or a JSON array)"
        );
    }

    #[test]
    fn json_form_takes_strings_and_objects_with_expectations() {
        let text = r#"[
  "https://a.example:8935",
  {"target": "http://127.0.0.1:9000", "expect": ["pricePerUnit=1200", "pixelsPerUnit=3"]},
  { "target": "https://c.example:1",
    "expect": [] }
]"#;
        let targets = parse(text).unwrap();
        let lines: Vec<usize> = targets.iter().map(|target| target.line).collect();
        assert_eq!(lines, [2, 3, 4]);
        assert_eq!(targets[1].expectations.price_per_unit, Some(1200));
        assert_eq!(targets[1].expectations.pixels_per_unit, Some(3));
        assert_eq!(targets[0].expectations, Expectations::default());
    }

    #[test]
    fn json_form_errors_name_the_entry_line() {
        let bad_key = error("[\n \"https://a.example:1\",\n {\"target\": \"https://b.example:2\", \"expekt\": []}\n]");
        assert!(
            bad_key.starts_with("targets.txt:3: unknown field `expekt`"),
            "{bad_key}"
        );
        let bad_expect = error(
            "[\"https://a.example:1\",\n\n{\"target\": \"https://b.example:2\", \"expect\": [\"pricePerUnit=x\"]}]",
        );
        assert!(
            bad_expect.starts_with("targets.txt:3: https://b.example:2: expect pricePerUnit=x"),
            "{bad_expect}"
        );
        let number = error("[\n  \"https://a.example:1\",\n  42\n]");
        assert!(number.starts_with("targets.txt:3: expected a URL string"), "{number}");
        let syntax = error("[\n  \"https://a.example:1\"\n  \"https://b.example:2\"\n]");
        assert!(syntax.starts_with("targets.txt:3: expected"), "{syntax}");
        let url = error("[\"https://a.example:1\", {\"target\": \"a.example\"}]");
        assert!(
            url.starts_with("targets.txt:1: \"a.example\": expected https://"),
            "{url}"
        );
    }

    #[test]
    fn element_starts_skip_strings_and_nesting() {
        let text = r#"[ "a,[b", {"x": [1, 2], "y": "}"}, "c" ]"#;
        let starts = element_starts(text);
        let firsts: Vec<char> = starts
            .iter()
            .map(|offset| text[*offset..].chars().next().unwrap())
            .collect();
        assert_eq!(firsts, ['"', '{', '"']);
        assert_eq!(starts.len(), 3);
        assert!(element_starts("[]").is_empty());
    }

    #[test]
    fn an_entry_expectation_overrides_the_same_global_key() {
        let global = ["pricePerUnit=1000".to_string(), "pixelsPerUnit=1".to_string()];
        let text = r#"["https://a.example:1", {"target": "https://b.example:1", "expect": ["pricePerUnit=5"]}]"#;
        let targets = parse_targets(text, Path::new("t.json"), &global).unwrap();
        assert_eq!(targets[0].expectations.price_per_unit, Some(1000));
        assert_eq!(targets[1].expectations.price_per_unit, Some(5));
        assert_eq!(targets[1].expectations.pixels_per_unit, Some(1));
    }
}
