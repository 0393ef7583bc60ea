//! Reporters of `lpconform sweep`: the table for people (one row per target),
//! the versioned JSON document (docs/sweep-json.md) and one self-contained
//! HTML page holding the table. Pure functions of a [`SweepReport`].

use std::fmt::Write as _;

use maud::{html, Markup, DOCTYPE};
use serde::{Deserialize, Serialize};

use super::escape::escape_line;
use super::html::{finish_page, style};
use super::json::{worst_verdicts, JsonAdvertised, JsonModes, JsonRuleVerdict, JsonSeverity, JsonVerdict};
use crate::rules::Verdict;
use crate::sweep::{RowStatus, SweepReport, SweepRow};

/// The sweep document's schema version; a field removed or retyped bumps it.
pub const SWEEP_FORMAT_VERSION: u32 = 1;

/// Findings shown per target in the HTML page; the rest are counted.
const HTML_FINDINGS_PER_ROW: usize = 5;

/// The whole sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonSweep {
    pub format_version: u32,
    pub lpconform_version: String,
    pub strict: bool,
    pub concurrency: usize,
    pub target_timeout_ms: u64,
    /// Every target is conformant: true exactly when the exit code is 0.
    pub conformant: bool,
    pub elapsed_ms: u64,
    pub summary: JsonSweepSummary,
    /// One per target, in the targets file's order.
    pub targets: Vec<JsonSweepRow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonSweepSummary {
    pub targets: usize,
    pub conformant: usize,
    pub findings: usize,
    pub unreachable: usize,
    /// Rows that connected, then stopped answering (absent from documents before it was counted).
    #[serde(default)]
    pub stopped_answering: usize,
    pub timed_out: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonSweepRow {
    pub line: usize,
    pub target: String,
    pub status: JsonRowStatus,
    pub reachable: bool,
    /// Why there are no results, or why connection setup failed; `null` otherwise.
    pub problem: Option<String>,
    pub modes: Option<JsonModes>,
    /// Capability bits set in the advertised bitstring.
    pub capabilities: Option<usize>,
    pub transcoding_price: Option<JsonPrice>,
    pub ai_models_priced: Vec<JsonPricedModel>,
    /// IDs of the rules that failed, each once.
    pub must_failures: Vec<String>,
    /// IDs of the rules that warned, each once.
    pub should_warnings: Vec<String>,
    pub findings: Vec<JsonSweepFinding>,
    pub failed_calls: Vec<JsonFailedCall>,
    pub elapsed_ms: u64,
    /// Every rule evaluated, with its worst verdict over the cases, by ID (for `lpconform compare`).
    #[serde(default)]
    pub rules: Vec<JsonRuleVerdict>,
    /// What the discovery answer offers; `null` without one.
    #[serde(default)]
    pub advertised: Option<JsonAdvertised>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonRowStatus {
    Conformant,
    Findings,
    StoppedAnswering,
    Unreachable,
    TimedOut,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonPrice {
    pub price_per_unit: i64,
    pub pixels_per_unit: i64,
    /// `price/pixels`.
    pub wei_per_pixel: String,
    /// The same in decimal; `null` when pixels_per_unit is 0.
    pub wei_per_pixel_decimal: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonPricedModel {
    pub capability: u32,
    pub pipeline: String,
    pub model: String,
    pub price_per_unit: i64,
    pub pixels_per_unit: i64,
    pub wei_per_pixel: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonSweepFinding {
    pub case: String,
    pub rule_id: String,
    pub severity: JsonSeverity,
    pub verdict: JsonVerdict,
    pub path: String,
    pub expected: String,
    pub actual: String,
    pub hint: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonFailedCall {
    pub case: String,
    pub call: String,
    pub expected: String,
    pub actual: String,
}

fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl JsonSweep {
    pub fn new(report: &SweepReport) -> Self {
        Self {
            format_version: SWEEP_FORMAT_VERSION,
            lpconform_version: env!("CARGO_PKG_VERSION").to_string(),
            strict: report.strict,
            concurrency: report.concurrency,
            target_timeout_ms: millis(report.target_timeout),
            conformant: report.conformant(),
            elapsed_ms: millis(report.elapsed),
            summary: JsonSweepSummary {
                targets: report.rows.len(),
                conformant: report.count(RowStatus::Conformant),
                findings: report.count(RowStatus::Findings),
                unreachable: report.count(RowStatus::Unreachable),
                stopped_answering: report.count(RowStatus::StoppedAnswering),
                timed_out: report.count(RowStatus::TimedOut),
            },
            targets: report.rows.iter().map(JsonSweepRow::new).collect(),
        }
    }
}

impl JsonSweepRow {
    fn new(row: &SweepRow) -> Self {
        let report = row.report();
        let cases = report.into_iter().flat_map(|report| &report.cases);
        let findings = cases
            .clone()
            .flat_map(|case| case.rules.iter().map(move |result| (case, result)))
            .filter(|(_, result)| matches!(result.verdict, Verdict::Fail | Verdict::Warn))
            .flat_map(|(case, result)| {
                result.findings.iter().map(move |finding| JsonSweepFinding {
                    case: case.name(),
                    rule_id: result.rule.id.to_string(),
                    severity: result.rule.severity.into(),
                    verdict: JsonVerdict::from(&result.verdict),
                    path: finding.path.clone(),
                    expected: finding.expected.clone(),
                    actual: finding.actual.clone(),
                    hint: finding.hint.clone(),
                })
            })
            .collect();
        let failed_calls = cases
            .flat_map(|case| case.steps.iter().map(move |step| (case, step)))
            .filter(|(_, step)| !step.passed())
            .map(|(case, step)| JsonFailedCall {
                case: case.name(),
                call: step.call.clone(),
                expected: step.expected.clone(),
                actual: step.actual.clone(),
            })
            .collect();
        Self {
            line: row.line,
            target: row.target.clone(),
            status: match row.status() {
                RowStatus::Conformant => JsonRowStatus::Conformant,
                RowStatus::Findings => JsonRowStatus::Findings,
                RowStatus::StoppedAnswering => JsonRowStatus::StoppedAnswering,
                RowStatus::Unreachable => JsonRowStatus::Unreachable,
                RowStatus::TimedOut => JsonRowStatus::TimedOut,
            },
            reachable: row.reachable(),
            problem: row.problem(),
            modes: row.modes().map(|modes| JsonModes {
                onchain: modes.onchain,
                transcoding: modes.transcoding,
                ai: modes.ai,
            }),
            capabilities: row.capabilities_advertised(),
            transcoding_price: row.transcoding_price().map(|price| JsonPrice {
                price_per_unit: price.price_per_unit,
                pixels_per_unit: price.pixels_per_unit,
                wei_per_pixel: price.rational(),
                wei_per_pixel_decimal: price.decimal(),
            }),
            ai_models_priced: row
                .ai_models_priced()
                .into_iter()
                .map(|model| JsonPricedModel {
                    capability: model.capability,
                    pipeline: model.pipeline.to_string(),
                    wei_per_pixel: format!("{}/{}", model.price_per_unit, model.pixels_per_unit),
                    model: model.model,
                    price_per_unit: model.price_per_unit,
                    pixels_per_unit: model.pixels_per_unit,
                })
                .collect(),
            must_failures: row.failed_rules().into_iter().map(String::from).collect(),
            should_warnings: row.warned_rules().into_iter().map(String::from).collect(),
            findings,
            failed_calls,
            elapsed_ms: millis(row.elapsed),
            rules: worst_verdicts(
                report
                    .into_iter()
                    .flat_map(|report| &report.cases)
                    .flat_map(|case| &case.rules)
                    .map(|result| (result.rule.id, JsonVerdict::from(&result.verdict))),
            ),
            advertised: report
                .and_then(|report| Some(JsonAdvertised::new(report.info.as_ref()?, &report.newer_fields))),
        }
    }
}

/// The sweep as pretty-printed JSON, ending in a newline.
pub fn render_sweep_json(report: &SweepReport) -> String {
    super::pretty_json(&JsonSweep::new(report), SWEEP_FORMAT_VERSION)
}

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

/// The table for people: a header, one aligned line per target, the summary.
pub fn render_sweep_table(report: &SweepReport) -> String {
    let rows: Vec<[String; 11]> = report.rows.iter().map(cells).collect();
    let mut widths = HEADERS.map(|header| header.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut text = String::new();
        for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if index + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:<width$}  ");
            }
        }
        let _ = writeln!(out, "{}", text.trim_end());
    };
    line(&HEADERS.map(String::from));
    for row in &rows {
        line(row);
    }
    let _ = writeln!(out, "\n{}", sweep_summary(report));
    out
}

/// One self-contained page holding the table, the findings of each target under it.
pub fn render_sweep_html(report: &SweepReport) -> String {
    let verdict = if report.conformant() {
        "every target conformant"
    } else {
        "not every target conformant"
    };
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "lpconform sweep: " (report.rows.len()) " targets" }
                style { (style()) }
            }
            body {
                h1 { "lpconform sweep" }
                dl {
                    dt { "targets" } dd { (report.rows.len()) }
                    dt { "verdict" } dd class=(if report.conformant() { "pass" } else { "fail" }) { (verdict) }
                    dt { "summary" } dd { (sweep_summary(report)) }
                    dt { "strict" } dd { (if report.strict { "yes" } else { "no" }) }
                }
                table.sweep {
                    thead { tr { @for header in HEADERS { th { (header) } } } }
                    tbody { @for row in &report.rows { (html_row(row)) } }
                }
            }
        }
    };
    finish_page(page)
}

fn html_row(row: &SweepRow) -> Markup {
    let class = match row.status() {
        RowStatus::Conformant => "pass",
        RowStatus::Findings => "fail",
        RowStatus::StoppedAnswering | RowStatus::Unreachable | RowStatus::TimedOut => "warn",
    };
    let [verdict, target, reachable, modes, caps, price, ai_models, must, should, time, _] = cells(row);
    let findings: Vec<(String, &str, String)> = row
        .report()
        .into_iter()
        .flat_map(|report| &report.cases)
        .flat_map(|case| case.rules.iter().map(move |result| (case, result)))
        .filter(|(_, result)| matches!(result.verdict, Verdict::Fail | Verdict::Warn))
        .flat_map(|(case, result)| {
            result.findings.iter().map(move |finding| {
                let detail = format!(
                    "{}: expected {}, actual {}",
                    finding.path, finding.expected, finding.actual
                );
                (case.name(), result.rule.id, detail)
            })
        })
        .collect();
    let omitted = findings.len().saturating_sub(HTML_FINDINGS_PER_ROW);
    html! {
        tr {
            td class=(class) { (verdict) }
            td { code { (target) } }
            td { (reachable) } td { (modes) } td { (caps) } td { (price) } td { (ai_models) }
            td { (must) } td { (should) } td { (time) }
            td {
                @if let Some(problem) = row.problem() { (problem) }
                @for (case, rule, detail) in findings.iter().take(HTML_FINDINGS_PER_ROW) {
                    span.detail { code { (rule) } " in " (case) ": " (detail) }
                }
                @if omitted > 0 { span.detail { "… and " (omitted) " more findings" } }
                @if row.failed_calls() > 0 { span.detail { (row.failed_calls()) " calls did not go as expected" } }
            }
        }
    }
}
