//! The sweep as a versioned JSON document (docs/sweep-json.md).

use serde::{Deserialize, Serialize};

use crate::report::json::{worst_verdicts, JsonAdvertised, JsonModes, JsonRuleVerdict, JsonSeverity, JsonVerdict};
use crate::rules::Verdict;
use crate::sweep::{RowStatus, SweepReport, SweepRow};

/// The sweep document's schema version; a field removed or retyped bumps it.
pub const SWEEP_FORMAT_VERSION: u32 = 1;

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
    crate::report::pretty_json(&JsonSweep::new(report), SWEEP_FORMAT_VERSION)
}
