//! Reporters of `lpconform sweep`, one file per format: the table for people (one row per
//! target), the versioned JSON document (docs/sweep-json.md) and one self-contained HTML page
//! holding the table. Pure functions of a [`SweepReport`]; the cells and notes of a row are
//! shared by the table and the page.

mod html;
mod json;
mod table;

use crate::escape::escape_line;
use crate::sweep::{RowStatus, SweepReport, SweepRow};
pub use html::render_sweep_html;
pub use json::{
    render_sweep_json, JsonFailedCall, JsonPrice, JsonPricedModel, JsonRowStatus, JsonSweep, JsonSweepFinding,
    JsonSweepRow, JsonSweepSummary, SWEEP_FORMAT_VERSION,
};
pub use table::render_sweep_table;

/// The cells of one table row, in [`HEADERS`] order, the notes last, escaped: a target's
/// answers and errors are its own text.
fn cells(row: &SweepRow) -> [String; 11] {
    let dash = || "-".to_string();
    let ran = row.report().is_some();
    let count = |items: usize| if ran { items.to_string() } else { dash() };
    let price = row
        .transcoding_price()
        .map_or_else(dash, |price| match price.decimal() {
            Some(decimal) if decimal != price.rational() => format!("{} = {decimal}", price.rational()),
            _ => price.rational(),
        });
    let ai_models = if row.info().is_some() {
        row.ai_models_priced().len().to_string()
    } else {
        dash()
    };
    [
        row.status().as_str().to_string(),
        row.target.clone(),
        if row.reachable() { "yes" } else { "no" }.to_string(),
        row.modes().map_or_else(dash, |modes| modes.to_string()),
        row.capabilities_advertised()
            .map_or_else(dash, |count| count.to_string()),
        price,
        ai_models,
        count(row.failed_rules().len()),
        count(row.warned_rules().len()),
        format!("{:.1}s", row.elapsed.as_secs_f64()),
        notes(row),
    ]
    .map(|cell| escape_line(&cell).into_owned())
}

const HEADERS: [&str; 11] = [
    "verdict",
    "target",
    "reachable",
    "modes",
    "caps",
    "wei/pixel",
    "AI models",
    "must",
    "should",
    "time",
    "notes",
];

/// What broke, in one line: the problem, the rule IDs, the failed calls.
fn notes(row: &SweepRow) -> String {
    let mut parts = Vec::new();
    if let Some(problem) = row.problem() {
        parts.push(problem);
    }
    let failed = row.failed_rules();
    if !failed.is_empty() {
        parts.push(format!("must: {}", failed.join(", ")));
    }
    let warned = row.warned_rules();
    if !warned.is_empty() {
        parts.push(format!("should: {}", warned.join(", ")));
    }
    match row.failed_calls() {
        0 => {}
        1 => parts.push("1 call failed".into()),
        calls => parts.push(format!("{calls} calls failed")),
    }
    parts.join("; ")
}

/// `swept 3 targets in 1.2 s: 1 conformant, 1 with findings, 1 unreachable, 0 stopped answering, 0 timed out`
pub fn sweep_summary(report: &SweepReport) -> String {
    format!(
        "swept {} targets in {:.1} s (concurrency {}, target timeout {}): {} conformant, {} with findings, {} unreachable, {} stopped answering, {} timed out",
        report.rows.len(),
        report.elapsed.as_secs_f64(),
        report.concurrency,
        humantime::format_duration(report.target_timeout),
        report.count(RowStatus::Conformant),
        report.count(RowStatus::Findings),
        report.count(RowStatus::Unreachable),
        report.count(RowStatus::StoppedAnswering),
        report.count(RowStatus::TimedOut),
    )
}
