//! Reporters: pure functions from results to text. The runner never prints;
//! the CLI writes what a reporter returns.

pub mod compare;
pub mod fuzz;
pub mod html;
pub mod json;
pub mod junit;
pub mod matrix;
pub mod reproducer;
pub mod selftest;
pub mod sweep;
pub mod terminal;

/// A versioned JSON document pretty-printed, ending in a newline, its unsafe characters as `\u`
/// escapes (`escape::json_pretty`). Plain strings, numbers and enums always serialize; the
/// fallback only keeps the reporters total.
fn pretty_json(document: &impl serde::Serialize, format_version: u32) -> String {
    match crate::escape::json_pretty(document) {
        Ok(text) => text + "\n",
        Err(error) => format!(
            "{}\n",
            serde_json::json!({ "format_version": format_version, "error": error.to_string() })
        ),
    }
}
