//! The machine-readable report (`--format json`): its own schema types with a
//! `format_version`, so internal types can change without breaking readers.
//! docs/report-json.md documents every field; a change that removes or
//! retypes a field bumps [`FORMAT_VERSION`].

use serde::{Deserialize, Serialize};

use super::matrix::{capability_matrix, CapabilityMatrix, RowKind};
use crate::capability;
use crate::observe::NewerField;
use crate::proto::net::OrchestratorInfo;
use crate::rules::{Modes, RuleResult, Severity, Verdict};
use crate::runner::known_failures::{EntryState, KnownFailureCheck};
use crate::runner::{CaseReport, CaseStatus, CaseStatusKind, RunReport, StepOutcome, StepReport};
use crate::shown::shown_text;
use crate::snapshot::{SnapshotCheck, SnapshotStatus};

/// The schema version this build writes.
pub const FORMAT_VERSION: u32 = 2;

/// The whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonReport {
    pub format_version: u32,
    /// The lpconform version that wrote the report.
    pub lpconform_version: String,
    pub target: String,
    pub profile: String,
    pub modes: JsonModes,
    pub strict: bool,
    /// Whether the run passed: the exit code is 0 exactly when this is true.
    pub conformant: bool,
    /// The gateway address when discovery was refused with `insufficient sender reserve`:
    /// the run could not judge the orchestrator (exit 2). `null` otherwise.
    pub unfunded_gateway: Option<String>,
    pub elapsed_ms: u64,
    pub summary: JsonSummary,
    /// `null` when the baseline discovery call got no answer.
    pub capability_matrix: Option<JsonCapabilityMatrix>,
    pub cases: Vec<JsonCase>,
    /// Why the run could not happen (an unreachable target); `null` when it ran.
    #[serde(default)]
    pub error: Option<String>,
    /// How the `--known-failures` list fared; `null` without one.
    #[serde(default)]
    pub known_failures: Option<JsonKnownFailures>,
    /// What the baseline discovery answer offers, for `lpconform compare`; `null` without one.
    #[serde(default)]
    pub advertised: Option<JsonAdvertised>,
}

/// Most entries of each list in [`JsonAdvertised`]; the answer may hold many more.
const MAX_ADVERTISED: usize = 256;

/// What an orchestrator offers a gateway, in a form two runs can be compared by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonAdvertised {
    /// The capabilities whose bits are set, by name, ascending by number.
    pub capabilities: Vec<String>,
    /// `price_info` as `pricePerUnit/pixelsPerUnit` wei per pixel, as sent; `null` when absent.
    pub transcoding_price: Option<String>,
    /// Each `capabilities_prices` entry, in answer order.
    pub capability_prices: Vec<JsonAdvertisedPrice>,
    /// Each model listed under `capabilities.constraints.per_capability`, sorted.
    pub models: Vec<JsonAdvertisedModel>,
    /// `capabilities.version`; `null` without capabilities.
    pub version: Option<String>,
    /// `capabilities.constraints.minVersion`; `null` without constraints.
    pub min_version: Option<String>,
    /// Fields only the loaded (newer) proto names, in answer order; absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub newer_fields: Vec<JsonNewerField>,
}

/// A field of the answer that only the loaded (newer) proto names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonNewerField {
    /// The field's path in the answer, by proto field names: `capabilities.zones`.
    pub path: String,
    /// The value in proto3 JSON, or a note of its size when it is long.
    pub value: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonAdvertisedPrice {
    pub capability: String,
    /// The model the price is for; `""` prices the whole capability.
    pub constraint: String,
    /// `pricePerUnit/pixelsPerUnit`, as sent.
    pub wei_per_pixel: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonAdvertisedModel {
    pub capability: String,
    pub model: String,
    pub warm: bool,
    pub runner_version: String,
}

impl JsonAdvertised {
    pub fn new(info: &OrchestratorInfo, newer: &[NewerField]) -> Self {
        let capabilities = info.capabilities.as_ref();
        let bitstring = capabilities.map(|c| c.bitstring.as_slice()).unwrap_or_default();
        let constraints = capabilities.and_then(|c| c.constraints.as_ref());
        let mut models: Vec<JsonAdvertisedModel> = constraints
            .into_iter()
            .flat_map(|constraints| &constraints.per_capability)
            .flat_map(|(number, per_capability)| {
                per_capability
                    .models
                    .iter()
                    .map(|(model, constraint)| JsonAdvertisedModel {
                        capability: capability::display_name(*number),
                        model: shown_text(model),
                        warm: constraint.warm,
                        runner_version: shown_text(&constraint.runner_version),
                    })
            })
            .take(MAX_ADVERTISED)
            .collect();
        models.sort_by(|a, b| (&a.capability, &a.model).cmp(&(&b.capability, &b.model)));
        Self {
            capabilities: capability::set_bits(bitstring)
                .take(MAX_ADVERTISED)
                .map(capability::display_name)
                .collect(),
            transcoding_price: info
                .price_info
                .as_ref()
                .map(|price| format!("{}/{}", price.price_per_unit, price.pixels_per_unit)),
            capability_prices: info
                .capabilities_prices
                .iter()
                .take(MAX_ADVERTISED)
                .map(|price| JsonAdvertisedPrice {
                    capability: capability::display_name(price.capability),
                    constraint: shown_text(&price.constraint),
                    wei_per_pixel: format!("{}/{}", price.price_per_unit, price.pixels_per_unit),
                })
                .collect(),
            models,
            version: capabilities.map(|c| shown_text(&c.version)),
            min_version: constraints.map(|c| shown_text(&c.min_version)),
            newer_fields: (newer.iter())
                .map(|field| JsonNewerField {
                    path: field.path.clone(),
                    value: field.value.clone(),
                })
                .collect(),
        }
    }
}

/// Rule IDs with their worst verdict over the cases that evaluated them, by ID: one line of the
/// `lpconform compare` grid. Worst is fail, then known failure, warn, info, pass, skip.
pub fn worst_verdicts<'a>(verdicts: impl IntoIterator<Item = (&'a str, JsonVerdict)>) -> Vec<JsonRuleVerdict> {
    let mut worst: std::collections::BTreeMap<&str, JsonVerdict> = Default::default();
    for (id, verdict) in verdicts {
        let entry = worst.entry(id).or_insert(verdict);
        if verdict.badness() > entry.badness() {
            *entry = verdict;
        }
    }
    worst
        .into_iter()
        .map(|(id, verdict)| JsonRuleVerdict {
            id: id.to_string(),
            verdict,
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonRuleVerdict {
    pub id: String,
    pub verdict: JsonVerdict,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonKnownFailures {
    pub file: String,
    pub entries: Vec<JsonKnownFailureEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonKnownFailureEntry {
    pub rule: String,
    /// `null`: the entry covers the rule in every case.
    pub case: Option<String>,
    pub reason: String,
    /// The entry's last day, `YYYY-MM-DD`.
    pub until: Option<String>,
    /// `FILE:LINE` of the entry.
    pub location: String,
    pub state: JsonKnownFailureState,
    /// The cases where the rule still fails and is reported as `known_failure`.
    pub cases: Vec<String>,
    /// Why the entry is stale; `null` unless `state` is `stale`.
    pub stale_reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonKnownFailureState {
    /// The rule still fails where the entry says: a known failure, not failing the run.
    Holds,
    /// The rule no longer fails there, is not evaluated, or the entry expired: the run fails.
    Stale,
    /// `--case` left out every case the entry names.
    NotRun,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonModes {
    pub onchain: bool,
    pub transcoding: bool,
    pub ai: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonSummary {
    pub cases: usize,
    pub passed: usize,
    pub failed: usize,
    pub warnings: usize,
    pub skipped: usize,
    /// Rule evaluations over all cases (a rule listed by two cases counts twice).
    pub rules: usize,
    pub rules_passed: usize,
    pub rules_failed: usize,
    pub rules_warned: usize,
    pub rules_skipped: usize,
    /// Findings over all rule evaluations, including omitted ones.
    pub findings: usize,
    /// Cases whose only failures the known-failures list accepts.
    #[serde(default)]
    pub known_failures: usize,
    /// Rule evaluations reported as `known_failure`.
    #[serde(default)]
    pub rules_known_failures: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonCapabilityMatrix {
    pub rows: Vec<JsonCapabilityRow>,
    pub omitted_rows: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonCapabilityRow {
    pub number: u32,
    pub name: String,
    pub kind: JsonCapabilityKind,
    pub pipeline: Option<String>,
    pub advertised: bool,
    pub priced: bool,
    pub price_constraints: Vec<String>,
    /// Entries past the first 64 of `price_constraints`, counted only.
    #[serde(default)]
    pub omitted_price_constraints: usize,
    pub has_model_constraint: bool,
    pub models: Vec<String>,
    #[serde(default)]
    pub omitted_models: usize,
    pub has_hardware: bool,
    pub hardware_models: Vec<String>,
    #[serde(default)]
    pub omitted_hardware_models: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonCapabilityKind {
    Transcoding,
    Ai,
    External,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonCase {
    /// `suite::case`, the case's public name.
    pub name: String,
    pub suite: String,
    pub description: String,
    pub status: JsonCaseStatus,
    /// Why the case was skipped; `null` unless `status` is `skipped`.
    pub skip_reason: Option<String>,
    pub elapsed_ms: u64,
    pub steps: Vec<JsonStep>,
    pub rules: Vec<JsonRule>,
    pub snapshot: Option<JsonSnapshot>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonCaseStatus {
    Passed,
    Warned,
    Failed,
    Skipped,
    /// Nothing failed but rules the known-failures list accepts.
    KnownFailure,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonStep {
    pub call: String,
    pub expected: String,
    pub actual: String,
    pub passed: bool,
    /// The exchange broke in transport (reset stream, no gRPC status): not a verdict on the answer.
    #[serde(default)]
    pub harness_error: bool,
    pub elapsed_ms: u64,
    /// How to resend the request without lpconform; `null` unless the call failed its step or
    /// was refused.
    #[serde(default)]
    pub reproducer: Option<JsonReproducer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonReproducer {
    /// `net.Orchestrator/GetOrchestrator`.
    pub method: String,
    /// One shell command line; `null` when the report was made without the loaded protocol.
    pub grpcurl: Option<String>,
    /// The request message's protobuf bytes as sent, base64; `null` when it carries the
    /// issued auth token, a secret.
    pub request_base64: Option<String>,
    /// The request needs the auth token a discovery issues (left out of both fields above).
    pub carries_issued_token: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonRule {
    pub id: String,
    pub severity: JsonSeverity,
    pub mode: String,
    pub text: String,
    pub citation: String,
    pub verdict: JsonVerdict,
    /// Why the rule was skipped; `null` unless `verdict` is `skip`.
    pub skip_reason: Option<String>,
    pub findings: Vec<JsonFinding>,
    pub omitted_findings: usize,
    /// The known-failures list's reason; `null` unless `verdict` is `known_failure`.
    #[serde(default)]
    pub known_failure_reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonSeverity {
    Must,
    Should,
    Info,
}

/// The modes a report was judged in, read back from it (`lpconform compare`).
impl From<JsonModes> for Modes {
    fn from(modes: JsonModes) -> Self {
        Modes {
            onchain: modes.onchain,
            transcoding: modes.transcoding,
            ai: modes.ai,
        }
    }
}

impl From<Severity> for JsonSeverity {
    fn from(severity: Severity) -> Self {
        match severity {
            Severity::Must => JsonSeverity::Must,
            Severity::Should => JsonSeverity::Should,
            Severity::Info => JsonSeverity::Info,
        }
    }
}

impl From<&Verdict> for JsonVerdict {
    fn from(verdict: &Verdict) -> Self {
        match verdict {
            Verdict::Pass => JsonVerdict::Pass,
            Verdict::Info => JsonVerdict::Info,
            Verdict::Warn => JsonVerdict::Warn,
            Verdict::Fail => JsonVerdict::Fail,
            Verdict::Skip(_) => JsonVerdict::Skip,
            Verdict::KnownFailure(_) => JsonVerdict::KnownFailure,
        }
    }
}

impl JsonVerdict {
    /// How bad the verdict is, for "worst of" and "got worse": skip < pass < info < warn <
    /// known failure < fail.
    pub fn badness(self) -> u8 {
        match self {
            JsonVerdict::Skip => 0,
            JsonVerdict::Pass => 1,
            JsonVerdict::Info => 2,
            JsonVerdict::Warn => 3,
            JsonVerdict::KnownFailure => 4,
            JsonVerdict::Fail => 5,
        }
    }

    /// As the reports print it: `pass`, `known_failure`.
    pub fn name(self) -> &'static str {
        match self {
            JsonVerdict::Pass => "pass",
            JsonVerdict::Info => "info",
            JsonVerdict::Warn => "warn",
            JsonVerdict::Fail => "fail",
            JsonVerdict::Skip => "skip",
            JsonVerdict::KnownFailure => "known_failure",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonVerdict {
    Pass,
    /// Only `info` findings: shown, never failing.
    Info,
    Warn,
    Fail,
    Skip,
    /// A `fail` or `warn` the known-failures list accepts: not failing the run.
    KnownFailure,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonFinding {
    pub rule_id: String,
    pub path: String,
    pub expected: String,
    pub actual: String,
    pub hint: String,
    /// The weight the finding counts with: its rule's severity, or lighter where the rule says so.
    pub severity: JsonSeverity,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonSnapshot {
    pub name: String,
    pub path: String,
    pub status: JsonSnapshotStatus,
    /// The unified diff, recorded first; `null` unless `status` is `changed`.
    pub diff: Option<String>,
    /// Why the snapshot file could not be read or recorded; `null` unless `status` is
    /// `unreadable` (absent from reports written before it existed).
    #[serde(default)]
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonSnapshotStatus {
    Matched,
    Recorded,
    Missing,
    Changed,
    Unreadable,
}

/// The report as pretty-printed JSON, ending in a newline.
pub fn render_json(report: &RunReport) -> String {
    super::pretty_json(&JsonReport::new(report), FORMAT_VERSION)
}

/// The report of a run that could not happen (unreachable target, unreadable file): no cases,
/// not conformant, and `error` saying why, so a tool reading the report sees the run's end.
pub fn render_json_error(target: Option<&str>, message: &str) -> String {
    let report = JsonReport {
        format_version: FORMAT_VERSION,
        lpconform_version: env!("CARGO_PKG_VERSION").to_string(),
        target: target.unwrap_or_default().to_string(),
        profile: String::new(),
        modes: JsonModes::default(),
        strict: false,
        conformant: false,
        elapsed_ms: 0,
        summary: JsonSummary::default(),
        capability_matrix: None,
        cases: Vec::new(),
        unfunded_gateway: None,
        error: Some(message.to_string()),
        known_failures: None,
        advertised: None,
    };
    super::pretty_json(&report, FORMAT_VERSION)
}

fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl JsonReport {
    pub fn new(report: &RunReport) -> Self {
        let rules = report.cases.iter().flat_map(|case| &case.rules);
        let count_verdicts =
            |wanted: fn(&Verdict) -> bool| rules.clone().filter(|result| wanted(&result.verdict)).count();
        let summary = JsonSummary {
            cases: report.cases.len(),
            passed: report.count(CaseStatusKind::Passed),
            failed: report.count(CaseStatusKind::Failed),
            warnings: report.count(CaseStatusKind::Warned),
            skipped: report.count(CaseStatusKind::Skipped),
            rules: rules.clone().count(),
            rules_passed: count_verdicts(|verdict| *verdict == Verdict::Pass),
            rules_failed: count_verdicts(|verdict| *verdict == Verdict::Fail),
            rules_warned: count_verdicts(|verdict| *verdict == Verdict::Warn),
            rules_skipped: count_verdicts(|verdict| matches!(verdict, Verdict::Skip(_))),
            findings: rules
                .clone()
                .map(|result| result.findings.len() + result.omitted_findings)
                .sum(),
            known_failures: report.count(CaseStatusKind::KnownFailure),
            rules_known_failures: count_verdicts(|verdict| matches!(verdict, Verdict::KnownFailure(_))),
        };
        Self {
            format_version: FORMAT_VERSION,
            lpconform_version: env!("CARGO_PKG_VERSION").to_string(),
            target: report.target.clone(),
            profile: report.profile.clone(),
            modes: JsonModes {
                onchain: report.modes.onchain,
                transcoding: report.modes.transcoding,
                ai: report.modes.ai,
            },
            strict: report.strict,
            conformant: !report.failed() && report.unfunded_gateway.is_none(),
            unfunded_gateway: report.unfunded_gateway.map(|address| address.to_checksum()),
            elapsed_ms: millis(report.elapsed),
            summary,
            capability_matrix: report
                .info
                .as_ref()
                .map(|info| JsonCapabilityMatrix::new(&capability_matrix(info))),
            cases: report.cases.iter().map(JsonCase::new).collect(),
            error: None,
            known_failures: report.known_failures.as_ref().map(JsonKnownFailures::new),
            advertised: (report.info.as_ref()).map(|info| JsonAdvertised::new(info, &report.newer_fields)),
        }
    }
}

impl JsonCapabilityMatrix {
    fn new(matrix: &CapabilityMatrix) -> Self {
        Self {
            rows: matrix
                .rows
                .iter()
                .map(|row| JsonCapabilityRow {
                    number: row.number,
                    name: row.name.clone(),
                    kind: match row.kind {
                        RowKind::Transcoding => JsonCapabilityKind::Transcoding,
                        RowKind::Ai => JsonCapabilityKind::Ai,
                        RowKind::External => JsonCapabilityKind::External,
                        RowKind::Unknown => JsonCapabilityKind::Unknown,
                    },
                    pipeline: row.pipeline.map(String::from),
                    advertised: row.advertised,
                    priced: row.priced(),
                    price_constraints: row.prices.shown.clone(),
                    omitted_price_constraints: row.prices.not_shown,
                    has_model_constraint: row.has_model_constraint(),
                    models: row.models.shown.clone(),
                    omitted_models: row.models.not_shown,
                    has_hardware: row.has_hardware(),
                    hardware_models: row.hardware.shown.clone(),
                    omitted_hardware_models: row.hardware.not_shown,
                })
                .collect(),
            omitted_rows: matrix.omitted_rows,
        }
    }
}

impl JsonCase {
    fn new(case: &CaseReport) -> Self {
        let (status, skip_reason) = match &case.status {
            CaseStatus::Passed => (JsonCaseStatus::Passed, None),
            CaseStatus::Warned => (JsonCaseStatus::Warned, None),
            CaseStatus::Failed => (JsonCaseStatus::Failed, None),
            CaseStatus::Skipped(reason) => (JsonCaseStatus::Skipped, Some(reason.clone())),
            CaseStatus::KnownFailure => (JsonCaseStatus::KnownFailure, None),
        };
        Self {
            name: case.name(),
            suite: case.suite.clone(),
            description: case.description.clone(),
            status,
            skip_reason,
            elapsed_ms: millis(case.elapsed),
            steps: case.steps.iter().map(JsonStep::new).collect(),
            rules: case.rules.iter().map(JsonRule::new).collect(),
            snapshot: case.snapshot.as_ref().map(JsonSnapshot::new),
        }
    }
}

impl JsonStep {
    fn new(step: &StepReport) -> Self {
        Self {
            call: step.call.clone(),
            expected: step.expected.clone(),
            actual: step.actual.clone(),
            passed: step.passed(),
            harness_error: step.outcome == StepOutcome::HarnessError,
            elapsed_ms: millis(step.elapsed),
            reproducer: step.request.as_ref().map(|request| {
                use base64::Engine as _;
                JsonReproducer {
                    method: request.name().into_owned(),
                    grpcurl: step.reproducer.clone(),
                    request_base64: (!request.carries_issued_token)
                        .then(|| base64::engine::general_purpose::STANDARD.encode(request.body())),
                    carries_issued_token: request.carries_issued_token,
                }
            }),
        }
    }
}

impl JsonRule {
    fn new(result: &RuleResult) -> Self {
        let rule = result.rule;
        let verdict = JsonVerdict::from(&result.verdict);
        let skip_reason = match &result.verdict {
            Verdict::Skip(reason) => Some(reason.clone()),
            _ => None,
        };
        Self {
            id: rule.id.to_string(),
            severity: rule.severity.into(),
            mode: rule.mode.to_string(),
            text: rule.text.to_string(),
            citation: rule.citation.to_string(),
            verdict,
            skip_reason,
            findings: result
                .findings
                .iter()
                .map(|finding| JsonFinding {
                    rule_id: finding.rule_id.to_string(),
                    path: finding.path.clone(),
                    expected: finding.expected.clone(),
                    actual: finding.actual.clone(),
                    hint: finding.hint.clone(),
                    severity: finding.weight(rule).into(),
                })
                .collect(),
            omitted_findings: result.omitted_findings,
            known_failure_reason: match &result.verdict {
                Verdict::KnownFailure(reason) => Some(reason.clone()),
                _ => None,
            },
        }
    }
}

impl JsonKnownFailures {
    fn new(check: &KnownFailureCheck) -> Self {
        Self {
            file: check.path.display().to_string(),
            entries: check
                .entries
                .iter()
                .map(|outcome| {
                    let (state, cases, stale_reason) = match &outcome.state {
                        EntryState::Holds(cases) => (JsonKnownFailureState::Holds, cases.clone(), None),
                        EntryState::Stale(why) | EntryState::Fixed(why) => {
                            (JsonKnownFailureState::Stale, Vec::new(), Some(why.clone()))
                        }
                        EntryState::NotRun => (JsonKnownFailureState::NotRun, Vec::new(), None),
                    };
                    let entry = &outcome.entry;
                    JsonKnownFailureEntry {
                        rule: entry.rule.to_string(),
                        case: entry.case.clone(),
                        reason: entry.reason.clone(),
                        until: entry.until.map(|date| date.to_string()),
                        location: entry.location.clone(),
                        state,
                        cases,
                        stale_reason,
                    }
                })
                .collect(),
        }
    }
}

impl JsonSnapshot {
    fn new(check: &SnapshotCheck) -> Self {
        let (status, diff, problem) = match &check.status {
            SnapshotStatus::Matched => (JsonSnapshotStatus::Matched, None, None),
            SnapshotStatus::Recorded => (JsonSnapshotStatus::Recorded, None, None),
            SnapshotStatus::Missing => (JsonSnapshotStatus::Missing, None, None),
            SnapshotStatus::Changed { diff } => (JsonSnapshotStatus::Changed, Some(diff.clone()), None),
            SnapshotStatus::Unreadable { problem } => (JsonSnapshotStatus::Unreadable, None, Some(problem.clone())),
        };
        Self {
            name: check.name.clone(),
            path: check.path.display().to_string(),
            status,
            diff,
            problem,
        }
    }
}
