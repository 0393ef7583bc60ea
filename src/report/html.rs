//! One self-contained HTML page (`--report-html FILE`): the run's summary, the
//! target's capability matrix as a grid, the findings, the cases and the
//! redacted answer. Inline CSS, no scripts, no external assets; maud escapes
//! every piece of text, so nothing an orchestrator sends becomes markup, and control and
//! bidirectional characters are shown as escapes (`escape`).

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::matrix::{capability_matrix, CapabilityRow, Listed, RowKind};
use super::terminal::summary;
use crate::escape::escape_line;
use crate::proto::net::OrchestratorInfo;
use crate::rules::{RuleResult, Verdict};
use crate::runner::known_failures::{EntryState, KnownFailureCheck};
use crate::runner::{CaseReport, CaseStatus, RunReport};
use crate::snapshot::SnapshotStatus;
use crate::view::InfoView;

const STYLE: &str = r#"
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1f2328; background: #fff; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0; max-width: 100%; }
th, td { border: 1px solid #d0d7de; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f6f8fa; }
td.cell { text-align: center; min-width: 6rem; }
.yes { background: #dafbe1; } .no { background: #ffebe9; } .na { background: #f6f8fa; color: #656d76; }
.detail { display: block; font-size: 0.8rem; color: #656d76; }
.pass, .passed { color: #1a7f37; font-weight: bold; } .fail, .failed { color: #cf222e; font-weight: bold; }
.warn, .warned { color: #9a6700; font-weight: bold; } .skip, .skipped { color: #656d76; }
.info { color: #0969da; } .known { color: #8250df; font-weight: bold; }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.2rem 1rem; } dt { font-weight: bold; }
dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
pre { background: #f6f8fa; padding: 0.6rem; white-space: pre-wrap; overflow-wrap: anywhere; }
code { font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
p { overflow-wrap: anywhere; }
"#;

/// The run as one HTML page.
pub fn render_html(report: &RunReport) -> String {
    let verdict = if report.failed() {
        "not conformant"
    } else {
        "conformant"
    };
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "lpconform report: " (report.target) }
                style { (style()) }
            }
            body {
                h1 { "lpconform report" }
                @if let Some(gateway) = &report.unfunded_gateway {
                    p.fail { (super::terminal::unfunded_note(gateway)) }
                }
                (overview(report, verdict))
                h2 { "Capability matrix" }
                (matrix_section(report.info.as_ref()))
                h2 { "Findings" }
                (findings_section(report))
                @if let Some(check) = &report.known_failures {
                    h2 { "Known failures" }
                    (known_failures_section(check))
                }
                h2 { "Calls and snapshots" }
                (calls_section(report))
                h2 { "Cases" }
                (cases_section(report))
                @if let Some(info) = &report.info {
                    h2 { "Orchestrator answer (secrets redacted)" }
                    pre { code { (preformatted(&InfoView::with_newer_fields(info, &report.newer_fields).to_yaml())) } }
                }
            }
        }
    };
    finish_page(page)
}

/// The page of a run that could not happen (unreachable target, unreadable file): what was
/// dialled and why the run did not take place.
pub fn render_html_error(target: Option<&str>, message: &str) -> String {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "lpconform report: the run could not happen" }
                style { (style()) }
            }
            body {
                h1 { "lpconform report" }
                dl {
                    dt { "target" } dd { code { (target.unwrap_or("the embedded orchestrator")) } }
                    dt { "verdict" } dd.fail { "the run could not happen" }
                    dt { "error" } dd { pre { code { (preformatted(message)) } } }
                }
            }
        }
    };
    finish_page(page)
}

/// The page as text any viewer shows safely, `cat` included: maud has escaped the markup; control
/// and bidirectional characters become visible escapes, line breaks too, so nothing a target sent
/// starts a line of the file. The page's own line breaks are `&#10;` ([`preformatted`], [`style`]).
pub(super) fn finish_page(page: Markup) -> String {
    escape_line(&page.into_string()).into_owned()
}

/// A block of lines for a `pre`, its line breaks written as `&#10;`.
fn preformatted(text: &str) -> Markup {
    PreEscaped(html! { (text) }.into_string().replace('\n', "&#10;"))
}

/// The inline style sheet, on one line.
pub(super) fn style() -> Markup {
    PreEscaped(STYLE.replace('\n', " "))
}

fn overview(report: &RunReport, verdict: &str) -> Markup {
    let modes = report.modes;
    let yes_no = |flag: bool| if flag { "yes" } else { "no" };
    html! {
        dl {
            dt { "target" } dd { code { (report.target) } }
            dt { "profile" } dd { (report.profile) }
            dt { "modes" } dd { (modes.to_string()) }
            dt { "strict" } dd { (yes_no(report.strict)) }
            dt { "verdict" } dd class=(if report.failed() { "fail" } else { "pass" }) { (verdict) }
            dt { "summary" } dd { (summary(report)) }
        }
    }
}

fn matrix_section(info: Option<&OrchestratorInfo>) -> Markup {
    let Some(info) = info else {
        return html! { p { "The discovery call got no answer: there is no capability matrix to draw." } };
    };
    let matrix = capability_matrix(info);
    let transcoding_price = info.price_info.is_some();
    html! {
        @if matrix.rows.is_empty() {
            p { "The orchestrator advertises and prices no capability." }
        } @else {
            table.matrix {
                thead { tr {
                    th { "capability" } th { "number" } th { "kind" }
                    th { "advertised (bitstring)" } th { "priced (capabilities_prices)" }
                    th { "model constraint" } th { "hardware (GPUs)" }
                } }
                tbody {
                    @for row in &matrix.rows { (matrix_row(row, transcoding_price)) }
                }
            }
        }
        @if matrix.omitted_rows > 0 {
            p { (matrix.omitted_rows) " more capabilities are not shown." }
        }
    }
}

/// A grid cell: present, absent, or not applicable to this kind of capability.
enum Cell {
    Yes(String),
    No,
    NotApplicable(&'static str),
}

fn cell(cell: Cell) -> Markup {
    match cell {
        Cell::Yes(detail) => html! {
            td.cell.yes { "✓" @if !detail.is_empty() { span.detail { (detail) } } }
        },
        Cell::No => html! { td.cell.no { "✗" } },
        Cell::NotApplicable(why) => html! { td.cell.na { "–" span.detail { (why) } } },
    }
}

fn listed(items: &Listed) -> String {
    let shown = items
        .shown
        .iter()
        .map(|item| if item.is_empty() { "(any model)" } else { item.as_str() })
        .collect::<Vec<_>>()
        .join(", ");
    match items.not_shown {
        0 => shown,
        more => format!("{shown}, … and {more} more"),
    }
}

fn matrix_row(row: &CapabilityRow, transcoding_price: bool) -> Markup {
    let ai = row.kind == RowKind::Ai;
    let advertised = if row.advertised {
        Cell::Yes(String::new())
    } else {
        Cell::No
    };
    let priced = match (row.priced(), row.kind) {
        (true, _) => Cell::Yes(listed(&row.prices)),
        (false, RowKind::Transcoding) if transcoding_price => Cell::NotApplicable("by price_info"),
        _ => Cell::No,
    };
    let models = match (row.has_model_constraint(), ai) {
        (true, _) => Cell::Yes(listed(&row.models)),
        (false, true) => Cell::No,
        (false, false) => Cell::NotApplicable("AI only"),
    };
    let hardware = match (row.has_hardware(), ai) {
        (true, _) => Cell::Yes(listed(&row.hardware)),
        (false, true) => Cell::No,
        (false, false) => Cell::NotApplicable("AI only"),
    };
    html! {
        tr {
            th { (row.name) }
            td { (row.number) }
            td { (row.kind.as_str()) @if let Some(pipeline) = row.pipeline { span.detail { (pipeline) } } }
            (cell(advertised)) (cell(priced)) (cell(models)) (cell(hardware))
        }
    }
}

/// A rule's text or hint with its Markdown code spans (`` `nodes` ``) as `code`, in a
/// `span.rule-text`; every piece is escaped as any other text, and a backtick left open stays.
fn with_code(text: &str) -> Markup {
    let pieces: Vec<&str> = text.split('`').collect();
    let closed = pieces.len() % 2 == 1;
    html! {
        span.rule-text {
            @for (index, piece) in pieces.iter().enumerate() {
                @if index % 2 == 0 { (piece) }
                @else if closed || index + 1 < pieces.len() { code { (piece) } }
                @else { "`" (piece) }
            }
        }
    }
}

fn verdict_label(verdict: &Verdict) -> (&'static str, &'static str) {
    match verdict {
        Verdict::Pass => ("PASS", "pass"),
        Verdict::Info => ("INFO", "info"),
        Verdict::Warn => ("WARN", "warn"),
        Verdict::Fail => ("FAIL", "fail"),
        Verdict::Skip(_) => ("SKIP", "skip"),
        Verdict::KnownFailure(_) => ("KNOWN", "known"),
    }
}

fn findings_section(report: &RunReport) -> Markup {
    let broken: Vec<(&CaseReport, &RuleResult)> = report
        .cases
        .iter()
        .flat_map(|case| case.rules.iter().map(move |result| (case, result)))
        .filter(|(_, result)| {
            matches!(
                result.verdict,
                Verdict::Fail | Verdict::Warn | Verdict::Info | Verdict::KnownFailure(_)
            )
        })
        .collect();
    html! {
        @if broken.is_empty() {
            p.pass { "No rule failed, warned or noted anything." }
        } @else {
            table.findings {
                thead { tr {
                    th { "case" } th { "rule" } th { "severity" } th { "verdict" }
                    th { "field path" } th { "expected" } th { "actual" } th { "hint" }
                } }
                tbody {
                    @for (case, result) in &broken {
                        @let (label, class) = verdict_label(&result.verdict);
                        @let rule = result.rule;
                        @if result.findings.is_empty() {
                            tr {
                                td { (case.name()) } td { code { (rule.id) } } td { (rule.severity.to_string()) }
                                td class=(class) { (label) } td colspan="4" { (with_code(rule.text)) }
                            }
                        }
                        @for finding in &result.findings {
                            tr {
                                td { (case.name()) }
                                td { code { (rule.id) } span.detail { (with_code(rule.text)) } }
                                td { (rule.severity.to_string()) }
                                td class=(class) {
                                    (label)
                                    @if let Verdict::KnownFailure(reason) = &result.verdict { span.detail { (reason) } }
                                }
                                td { code { (finding.path) } }
                                td { (finding.expected) }
                                td { (finding.actual) }
                                td { (with_code(&finding.hint)) }
                            }
                        }
                        @if result.omitted_findings > 0 {
                            tr { td { (case.name()) } td { code { (rule.id) } }
                                 td colspan="6" { "… and " (result.omitted_findings) " more findings" } }
                        }
                    }
                }
            }
        }
    }
}

/// Every entry of the known-failures list and what became of it; stale ones fail the run.
fn known_failures_section(check: &KnownFailureCheck) -> Markup {
    html! {
        p { "From " code { (check.path.display().to_string()) } ": "
            (check.stale().count()) " stale of " (check.entries.len()) " entries." }
        @if !check.entries.is_empty() {
            table.known {
                thead { tr { th { "entry" } th { "where" } th { "state" } th { "reason" } th { "until" } } }
                tbody {
                    @for outcome in &check.entries {
                        @let entry = &outcome.entry;
                        tr {
                            td { code { (entry.name()) } }
                            td { code { (entry.location) } }
                            @match &outcome.state {
                                EntryState::Holds(cases) => td.known { "still fails" span.detail { (cases.join(", ")) } },
                                EntryState::Stale(why) | EntryState::Fixed(why) => td.fail { "STALE" span.detail { (why) } },
                                EntryState::NotRun => td.skip { "not judged" span.detail { "--case left out its cases" } },
                            }
                            td { (entry.reason) }
                            td { (entry.until.map(|date| date.to_string()).unwrap_or_default()) }
                        }
                    }
                }
            }
        }
    }
}

fn calls_section(report: &RunReport) -> Markup {
    // Failed calls, and refused ones (their requests were kept): each with its reproducer.
    let failed_steps: Vec<_> = report
        .cases
        .iter()
        .flat_map(|case| {
            case.steps
                .iter()
                .filter(|step| !step.passed() || step.request.is_some())
                .map(move |step| (case, step))
        })
        .collect();
    let snapshots: Vec<_> = report
        .cases
        .iter()
        .filter_map(|case| case.snapshot.as_ref().map(|snapshot| (case, snapshot)))
        .filter(|(_, snapshot)| {
            matches!(
                snapshot.status,
                SnapshotStatus::Changed { .. } | SnapshotStatus::Missing | SnapshotStatus::Unreadable { .. }
            )
        })
        .collect();
    html! {
        @if failed_steps.is_empty() && snapshots.is_empty() {
            p.pass { "Every call was answered as the suites expect; no snapshot changed." }
        }
        @if !failed_steps.is_empty() {
            table.calls {
                thead { tr { th { "case" } th { "call" } th { "expected" } th { "actual" } th { "reproduce with grpcurl" } } }
                tbody {
                    @for (case, step) in &failed_steps {
                        tr {
                            td { (case.name()) } td { (step.call) } td { (step.expected) }
                            @if step.passed() {
                                td { (step.actual) span.detail { "refused, as expected" } }
                            } @else {
                                td.fail { (step.actual) }
                            }
                            td { @if let Some(reproducer) = &step.reproducer { code { (reproducer) } } }
                        }
                    }
                }
            }
        }
        @for (case, snapshot) in &snapshots {
            @match &snapshot.status {
                SnapshotStatus::Changed { diff } => {
                    p.fail { "Snapshot " code { (snapshot.name) } " of " (case.name()) " changed ("
                        code { (snapshot.path.display().to_string()) } "):" }
                    pre { code { (preformatted(diff)) } }
                }
                SnapshotStatus::Unreadable { problem } => {
                    p.fail { "Snapshot " code { (snapshot.name) } " of " (case.name())
                        " could not be used, a problem of the run: " (problem) }
                }
                _ => {
                    p.warn { "Snapshot " code { (snapshot.name) } " of " (case.name()) " is not recorded yet ("
                        code { (snapshot.path.display().to_string()) } "); record it with --update-snapshots." }
                }
            }
        }
    }
}

fn cases_section(report: &RunReport) -> Markup {
    html! {
        table.cases {
            thead { tr { th { "case" } th { "status" } th { "time" } th { "description" } } }
            tbody {
                @for case in &report.cases {
                    @let (label, class, note) = match &case.status {
                        CaseStatus::Passed => ("PASS", "passed", None),
                        CaseStatus::Warned => ("WARN", "warned", None),
                        CaseStatus::Failed => ("FAIL", "failed", None),
                        CaseStatus::Skipped(reason) => ("SKIP", "skipped", Some(reason)),
                        CaseStatus::KnownFailure => ("KNOWN", "known", None),
                    };
                    tr {
                        td { code { (case.name()) } }
                        td class=(class) { (label) @if let Some(reason) = note { span.detail { (reason) } } }
                        td { (case.elapsed.as_millis()) " ms" }
                        td { (case.description) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_texts_show_code_spans_as_code_escaped_and_an_open_backtick_as_written() {
        assert_eq!(
            with_code("every `nodes` entry, `<b>` too, and an open ` tick").into_string(),
            "<span class=\"rule-text\">every <code>nodes</code> entry, <code>&lt;b&gt;</code> too, and an open ` tick</span>"
        );
        let uri_003 = crate::rules::rule("URI-003").unwrap();
        assert!(with_code(uri_003.text).into_string().contains("<code>nodes</code>"));
    }
}
