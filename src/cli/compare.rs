//! `lpconform compare`: JSON reports of runs (or sweeps) side by side, what changed from each
//! to the next, exit 1 when something got worse.

use super::args::{CompareArgs, CompareFormat};
use super::{print_stdout, Outcome, RunError};
use crate::report::compare::{any_worse, render_compare_html, render_compare_json, render_compare_text};
use crate::report::compare::{compare_runs, load};

pub fn compare(args: &CompareArgs) -> Result<Outcome, RunError> {
    let mut runs = Vec::new();
    for path in &args.reports {
        runs.extend(load(path)?);
    }
    if runs.len() < 2 {
        let files: Vec<String> = args.reports.iter().map(|path| path.display().to_string()).collect();
        return Err(RunError::Usage(format!(
            "compare needs at least two runs, and {} {} {}: give two reports, or a sweep of several targets",
            files.join(", "),
            if files.len() == 1 { "holds" } else { "hold" },
            if runs.len() == 1 { "one" } else { "none" }
        )));
    }
    let comparisons = compare_runs(&runs);
    let rendered = match args.format {
        CompareFormat::Text => render_compare_text(&runs, &comparisons),
        CompareFormat::Json => render_compare_json(&runs, &comparisons),
        CompareFormat::Html => render_compare_html(&runs, &comparisons),
    };
    print_stdout(&rendered)?;
    Ok(if any_worse(&comparisons) {
        Outcome::Findings
    } else {
        Outcome::Conformant
    })
}
