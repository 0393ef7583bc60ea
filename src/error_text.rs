//! Errors as one line of text: an error and the causes under it, for the places that keep an
//! error as text (a `CallError`, a located protocol problem).

/// An error and its causes on one line ("connect failed: connection refused"), skipping causes
/// whose text the line already holds.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    with_causes(error.to_string(), error.source())
}

/// `text` followed by each of the causes from `cause` down that it does not already hold.
pub fn with_causes(mut text: String, mut cause: Option<&(dyn std::error::Error + 'static)>) -> String {
    while let Some(error) = cause {
        let part = error.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = error.source();
    }
    text
}
