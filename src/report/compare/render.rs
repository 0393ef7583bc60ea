//! Reporters of `lpconform compare`: the changes as text, a versioned JSON document, and one
//! self-contained HTML page whose grid has a row per rule and a column per run (as
//! Autobahn|Testsuite's does), followed by what each run advertises and the changes. Pure
//! functions of the runs and their comparisons; everything a report quotes is escaped.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use maud::{html, Markup, DOCTYPE};
use serde::{Deserialize, Serialize};

use super::{ComparedRun, Comparison, OfferChange, RuleChange};
use crate::escape::escape_line;
use crate::report::html::{finish_page, style};
use crate::report::json::JsonVerdict;
use crate::rules::Modes;

/// The compare document's schema version; a field removed or retyped bumps it.
pub const COMPARE_FORMAT_VERSION: u32 = 1;

/// `pass`, or `not evaluated`.
fn verdict_text(verdict: Option<JsonVerdict>) -> &'static str {
    verdict.map_or("not evaluated", JsonVerdict::name)
}

/// One side of a change as it reads, `(absent)` when there is nothing.
fn side(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("(absent)")
}

/// Whether any comparison got worse: the exit code is 1 exactly then.
pub fn any_worse(comparisons: &[Comparison]) -> bool {
    comparisons.iter().any(|comparison| comparison.worse)
}

/// The runs and what changed from each to the next, for a terminal.
pub fn render_compare_text(runs: &[ComparedRun], comparisons: &[Comparison]) -> String {
    let mut out = String::from("runs\n");
    for (index, run) in runs.iter().enumerate() {
        let verdict = match &run.problem {
            Some(problem) => format!("no results: {}", escape_line(problem)),
            None if run.conformant => "conformant".into(),
            None => "not conformant".into(),
        };
        let _ = writeln!(
            out,
            "  {}  {}  {}  {verdict}",
            index + 1,
            escape_line(&run.label),
            escape_line(&run.target)
        );
    }
    for comparison in comparisons {
        let (from, to) = (&runs[comparison.from], &runs[comparison.to]);
        let _ = writeln!(
            out,
            "\n{} -> {}: {}",
            escape_line(&from.label),
            escape_line(&to.label),
            if comparison.worse { "WORSE" } else { "not worse" }
        );
        if comparison.rules.is_empty() && comparison.offer.is_empty() {
            let _ = writeln!(out, "  nothing changed");
        }
        for change in &comparison.rules {
            let _ = writeln!(
                out,
                "  {:<16} {}  {} -> {}",
                change.kind.name(),
                change.rule,
                verdict_text(change.from),
                verdict_text(change.to)
            );
        }
        for change in &comparison.offer {
            let _ = writeln!(
                out,
                "  {}: {} -> {}",
                escape_line(&change.what),
                escape_line(side(&change.from)),
                escape_line(side(&change.to))
            );
        }
    }
    let _ = writeln!(
        out,
        "\n{}",
        if any_worse(comparisons) {
            "WORSE: a rule newly fails or warns, or a conformant run was followed by one that is not (exit 1)"
        } else {
            "not worse (exit 0)"
        }
    );
    out
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonCompare {
    pub format_version: u32,
    pub lpconform_version: String,
    /// Some comparison got worse: true exactly when the exit code is 1.
    pub worse: bool,
    pub runs: Vec<JsonComparedRun>,
    /// The grid: every rule any run evaluated, with each run's verdict (`null`: not evaluated).
    pub rules: Vec<JsonRuleRow>,
    /// Each run against the one before it.
    pub comparisons: Vec<JsonComparison>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonComparedRun {
    pub label: String,
    pub target: String,
    pub conformant: bool,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonRuleRow {
    pub id: String,
    pub verdicts: Vec<Option<JsonVerdict>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonComparison {
    pub from: String,
    pub to: String,
    pub worse: bool,
    pub rule_changes: Vec<JsonRuleChange>,
    pub offer_changes: Vec<JsonOfferChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonRuleChange {
    pub rule: String,
    pub kind: String,
    pub from: Option<JsonVerdict>,
    pub to: Option<JsonVerdict>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonOfferChange {
    pub what: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Every rule ID any run evaluated, sorted.
fn rule_ids(runs: &[ComparedRun]) -> BTreeSet<&String> {
    runs.iter().flat_map(|run| run.rules.keys()).collect()
}

impl JsonCompare {
    pub fn new(runs: &[ComparedRun], comparisons: &[Comparison]) -> Self {
        Self {
            format_version: COMPARE_FORMAT_VERSION,
            lpconform_version: env!("CARGO_PKG_VERSION").to_string(),
            worse: any_worse(comparisons),
            runs: runs
                .iter()
                .map(|run| JsonComparedRun {
                    label: run.label.clone(),
                    target: run.target.clone(),
                    conformant: run.conformant,
                    problem: run.problem.clone(),
                })
                .collect(),
            rules: rule_ids(runs)
                .into_iter()
                .map(|id| JsonRuleRow {
                    id: id.clone(),
                    verdicts: runs.iter().map(|run| run.rules.get(id).copied()).collect(),
                })
                .collect(),
            comparisons: comparisons
                .iter()
                .map(|comparison| JsonComparison {
                    from: runs[comparison.from].label.clone(),
                    to: runs[comparison.to].label.clone(),
                    worse: comparison.worse,
                    rule_changes: comparison.rules.iter().map(JsonRuleChange::new).collect(),
                    offer_changes: comparison.offer.iter().map(JsonOfferChange::new).collect(),
                })
                .collect(),
        }
    }
}

impl JsonRuleChange {
    fn new(change: &RuleChange) -> Self {
        Self {
            rule: change.rule.clone(),
            kind: change.kind.name().to_string(),
            from: change.from,
            to: change.to,
        }
    }
}

impl JsonOfferChange {
    fn new(change: &OfferChange) -> Self {
        Self {
            what: change.what.clone(),
            from: change.from.clone(),
            to: change.to.clone(),
        }
    }
}

/// The comparison as pretty-printed JSON, ending in a newline.
pub fn render_compare_json(runs: &[ComparedRun], comparisons: &[Comparison]) -> String {
    crate::report::pretty_json(&JsonCompare::new(runs, comparisons), COMPARE_FORMAT_VERSION)
}

/// One cell of the grid: its text and CSS class.
fn verdict_cell(verdict: Option<JsonVerdict>) -> (&'static str, &'static str) {
    match verdict {
        None => ("–", "na"),
        Some(JsonVerdict::Pass) => ("PASS", "yes"),
        Some(JsonVerdict::Info) => ("INFO", "yes"),
        Some(JsonVerdict::Warn) => ("WARN", "warned"),
        Some(JsonVerdict::Fail) => ("FAIL", "no"),
        Some(JsonVerdict::Skip) => ("SKIP", "na"),
        Some(JsonVerdict::KnownFailure) => ("KNOWN", "known"),
    }
}

/// The runs as one HTML page: the rule grid, what each run advertises, and the changes.
pub fn render_compare_html(runs: &[ComparedRun], comparisons: &[Comparison]) -> String {
    let worse = any_worse(comparisons);
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "lpconform comparison of " (runs.len()) " runs" }
                style { (style()) }
            }
            body {
                h1 { "lpconform comparison" }
                p class=(if worse { "fail" } else { "pass" }) {
                    @if worse { "Worse: a rule newly fails or warns, or a conformant run was followed by one that is not." }
                    @else { "Not worse." }
                }
                h2 { "Rules" }
                (rule_grid(runs))
                h2 { "What each run advertises" }
                (offer_grid(runs))
                h2 { "Changes from each run to the next" }
                @for comparison in comparisons { (comparison_section(runs, comparison)) }
            }
        }
    };
    finish_page(page)
}

fn run_headers(runs: &[ComparedRun]) -> Markup {
    html! {
        @for (index, run) in runs.iter().enumerate() {
            th {
                (index + 1) ". " (run.label)
                span.detail { (run.target) }
                @match &run.problem {
                    Some(problem) => span.detail.fail { "no results: " (problem) },
                    None if run.conformant => span.detail.pass { "conformant" },
                    None => span.detail.fail { "not conformant" },
                }
            }
        }
    }
}

fn rule_grid(runs: &[ComparedRun]) -> Markup {
    html! {
        table.grid {
            thead { tr { th { "rule" } (run_headers(runs)) } }
            tbody {
                @for id in rule_ids(runs) {
                    tr {
                        th { code { (id) } }
                        @for run in runs {
                            @let (text, class) = verdict_cell(run.rules.get(id).copied());
                            td.cell.(class) { (text) }
                        }
                    }
                }
            }
        }
    }
}

/// Rows of advertised facts (price, version, each capability, model and capability price) × runs.
fn offer_grid(runs: &[ComparedRun]) -> Markup {
    let advertised = |run: &ComparedRun| run.advertised.clone();
    let capabilities: BTreeSet<String> = runs
        .iter()
        .filter_map(advertised)
        .flat_map(|offer| offer.capabilities)
        .collect();
    let models: BTreeSet<String> = runs
        .iter()
        .filter_map(advertised)
        .flat_map(|offer| {
            offer
                .models
                .into_iter()
                .map(|model| format!("{}/{}", model.capability, model.model))
        })
        .collect();
    let priced: BTreeSet<(String, String)> = runs
        .iter()
        .filter_map(advertised)
        .flat_map(|offer| {
            offer
                .capability_prices
                .into_iter()
                .map(|price| (price.capability, price.constraint))
        })
        .collect();
    html! {
        table.grid {
            thead { tr { th { "" } (run_headers(runs)) } }
            tbody {
                tr { th { "modes" } @for run in runs { td { (run.modes.map(|modes| Modes::from(modes).to_string()).unwrap_or_default()) } } }
                tr { th { "transcoding price (wei per pixel)" } @for run in runs {
                    td { (run.advertised.as_ref().and_then(|offer| offer.transcoding_price.clone()).unwrap_or_default()) }
                } }
                tr { th { "capabilities.version" } @for run in runs {
                    td { (run.advertised.as_ref().and_then(|offer| offer.version.clone()).unwrap_or_default()) }
                } }
                @for (capability, constraint) in &priced {
                    tr {
                        th { "price of " (capability) @if !constraint.is_empty() { "/" (constraint) } }
                        @for run in runs {
                            td { (run.advertised.as_ref().and_then(|offer| offer.capability_prices.iter()
                                .find(|price| &price.capability == capability && &price.constraint == constraint)
                                .map(|price| price.wei_per_pixel.clone())).unwrap_or_default()) }
                        }
                    }
                }
                @for capability in &capabilities {
                    tr {
                        th { "capability " (capability) }
                        @for run in runs {
                            @let has = run.advertised.as_ref().is_some_and(|offer| offer.capabilities.contains(capability));
                            @if has { td.cell.yes { "✓" } } @else { td.cell.no { "✗" } }
                        }
                    }
                }
                @for model in &models {
                    tr {
                        th { "model " (model) }
                        @for run in runs {
                            @let listed = run.advertised.as_ref().and_then(|offer| offer.models.iter()
                                .find(|listed| &format!("{}/{}", listed.capability, listed.model) == model));
                            @match listed {
                                Some(listed) => td.cell.yes { "✓" span.detail { "runner " (listed.runner_version) } },
                                None => td.cell.no { "✗" },
                            }
                        }
                    }
                }
            }
        }
    }
}

fn comparison_section(runs: &[ComparedRun], comparison: &Comparison) -> Markup {
    let (from, to) = (&runs[comparison.from], &runs[comparison.to]);
    html! {
        h3 { (from.label) " → " (to.label) ": "
            span class=(if comparison.worse { "fail" } else { "pass" }) { (if comparison.worse { "worse" } else { "not worse" }) } }
        @if comparison.rules.is_empty() && comparison.offer.is_empty() {
            p { "Nothing changed." }
        } @else {
            table {
                thead { tr { th { "what" } th { "kind" } th { "before" } th { "after" } } }
                tbody {
                    @for change in &comparison.rules {
                        tr {
                            td { code { (change.rule) } }
                            td class=(if change.kind.is_worse() { "fail" } else { "" }) { (change.kind.name()) }
                            td { (verdict_text(change.from)) } td { (verdict_text(change.to)) }
                        }
                    }
                    @for change in &comparison.offer {
                        tr { td { (change.what) } td { "offer" } td { (side(&change.from)) } td { (side(&change.to)) } }
                    }
                }
            }
        }
    }
}
