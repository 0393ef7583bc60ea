//! The sweep as one self-contained HTML page: the table, the findings of each target under it.

use maud::{html, Markup, DOCTYPE};

use super::{cells, sweep_summary, HEADERS};
use crate::report::html::{finish_page, style};
use crate::rules::Verdict;
use crate::sweep::{RowStatus, SweepReport, SweepRow};

/// Findings shown per target in the HTML page; the rest are counted.
const HTML_FINDINGS_PER_ROW: usize = 5;

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
