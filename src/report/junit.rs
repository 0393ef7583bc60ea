//! JUnit XML for CI (`--junit FILE`): one testsuite per suite; per case one
//! testcase for its calls and snapshot and one per rule it evaluates, named by
//! the public case and rule IDs. Broken rules are `<failure>` carrying the
//! field path, expected and actual; a run that could not happen (target
//! unreachable) is an `<error>`; skipped rules are `<skipped>` with the reason, and so are
//! known failures (`known failure: REASON`); each known-failures entry is a testcase of its own.

use std::fmt::Write as _;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::escape::{escape_line, escape_text};
use crate::rules::{RuleResult, Verdict};
use crate::runner::known_failures::{EntryState, KnownFailureCheck};
use crate::runner::{CaseReport, CaseStatus, RunReport, StepOutcome};
use crate::snapshot::SnapshotStatus;

/// The name of the report and of the testsuite that holds a run error.
const REPORT_NAME: &str = "lpconform";

/// The testsuite of the known-failures list's entries.
const KNOWN_FAILURES_SUITE: &str = "known-failures";

/// The run as JUnit XML.
pub fn render_junit(report: &RunReport) -> String {
    let mut suites: Vec<TestSuite> = Vec::new();
    for case in &report.cases {
        let suite_name = case.suite.as_str();
        let position = match suites.iter().position(|suite| suite.name.as_str() == suite_name) {
            Some(position) => position,
            None => {
                suites.push(new_suite(suite_name, report));
                suites.len() - 1
            }
        };
        let suite = &mut suites[position];
        suite.add_test_case(case_outcome(case));
        for result in &case.rules {
            suite.add_test_case(rule_outcome(case, result, report.strict));
        }
        suite.time = Some(suite.time.unwrap_or_default() + case.elapsed);
    }
    if let Some(check) = &report.known_failures {
        suites.push(known_failures_suite(check));
    }
    let mut junit = Report::new(REPORT_NAME);
    junit.set_time(report.elapsed);
    junit.add_test_suites(suites);
    serialize(&junit)
}

/// One testcase per known-failures entry: passing while the failure it accepts is still there,
/// a `<failure>` naming the entry when it is stale.
fn known_failures_suite(check: &KnownFailureCheck) -> TestSuite {
    let mut suite = TestSuite::new(KNOWN_FAILURES_SUITE);
    suite.add_property(Property::new("file", check.path.display().to_string()));
    for outcome in &check.entries {
        let entry = &outcome.entry;
        let (status, out) = match &outcome.state {
            EntryState::Holds(cases) => (
                TestCaseStatus::success(),
                Some(format!(
                    "still fails in {}: {}",
                    cases.join(", "),
                    escape_line(&entry.reason)
                )),
            ),
            EntryState::Stale(why) | EntryState::Fixed(why) => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status
                    .set_message(format!(
                        "stale known failure {} ({}): {}",
                        entry.name(),
                        entry.location,
                        escape_line(why)
                    ))
                    .set_type("stale known failure");
                (status, None)
            }
            EntryState::NotRun => {
                let mut status = TestCaseStatus::skipped();
                status.set_message("not judged: --case left out its cases");
                (status, None)
            }
        };
        let name = match &entry.case {
            Some(case) => format!("{KNOWN_FAILURES_SUITE}::{}::{case}", entry.rule),
            None => format!("{KNOWN_FAILURES_SUITE}::{}", entry.rule),
        };
        let mut test_case = TestCase::new(name, status);
        test_case.set_classname(KNOWN_FAILURES_SUITE);
        if let Some(out) = out {
            test_case.set_system_out(out);
        }
        suite.add_test_case(test_case);
    }
    suite
}

/// A run that could not happen (unreachable target, unreadable file): one
/// `<error>` testcase, so CI shows a broken run rather than a missing report.
pub fn render_junit_error(target: Option<&str>, message: &str) -> String {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    status.set_message(message).set_type("run error");
    let mut case = TestCase::new(format!("{REPORT_NAME}::run"), status);
    case.set_classname(REPORT_NAME);
    let mut suite = TestSuite::new(REPORT_NAME);
    if let Some(target) = target {
        suite.add_property(Property::new("target", target));
    }
    suite.add_test_case(case);
    let mut junit = Report::new(REPORT_NAME);
    junit.add_test_suite(suite);
    serialize(&junit)
}

/// The report as XML. The fields a target fills are escaped one line each where they are set;
/// escaping the whole document too keeps it well-formed whatever field carries a character XML
/// cannot hold (U+FFFE, a C0 control): an invalid file would lose the CI job its whole report.
fn serialize(junit: &Report) -> String {
    // Writing to memory cannot fail; this only keeps the reporter total.
    match junit.to_string() {
        Ok(xml) => escape_text(&xml).into_owned(),
        Err(error) => format!("<!-- the JUnit report could not be written: {error} -->\n"),
    }
}

fn new_suite(name: &str, report: &RunReport) -> TestSuite {
    let mut suite = TestSuite::new(name);
    let modes = report.modes;
    suite.add_properties([
        Property::new("target", report.target.as_str()),
        Property::new("profile", report.profile.as_str()),
        Property::new("onchain", modes.onchain.to_string()),
        Property::new("transcoding", modes.transcoding.to_string()),
        Property::new("ai", modes.ai.to_string()),
        Property::new("strict", report.strict.to_string()),
    ]);
    suite
}

/// The case's calls and snapshot: failed when a call went otherwise than the
/// suite expects or the snapshot changed.
fn case_outcome(case: &CaseReport) -> TestCase {
    let mut problems = Vec::new();
    let mut transcript = String::new();
    if !case.description.is_empty() {
        let _ = writeln!(transcript, "{}", case.description);
    }
    for step in &case.steps {
        let _ = writeln!(
            transcript,
            "{} {}: expected {}, actual {} ({} ms)",
            if step.passed() { "ok  " } else { "FAIL" },
            escape_line(&step.call),
            escape_line(&step.expected),
            escape_line(&step.actual),
            step.elapsed.as_millis()
        );
        if !step.passed() {
            problems.push(format!(
                "{}: expected {}, actual {}",
                escape_line(&step.call),
                escape_line(&step.expected),
                escape_line(&step.actual)
            ));
        }
    }
    if let Some(snapshot) = &case.snapshot {
        let path = snapshot.path.display();
        match &snapshot.status {
            SnapshotStatus::Matched => {
                let _ = writeln!(transcript, "snapshot {} matches {path}", snapshot.name);
            }
            SnapshotStatus::Recorded => {
                let _ = writeln!(transcript, "snapshot {} recorded in {path}", snapshot.name);
            }
            SnapshotStatus::Missing => {
                let _ = writeln!(
                    transcript,
                    "WARN snapshot {} not recorded yet ({path}); record with --update-snapshots",
                    snapshot.name
                );
            }
            SnapshotStatus::Changed { diff } => {
                problems.push(format!(
                    "snapshot {} changed ({path}):\n{}",
                    snapshot.name,
                    escape_text(diff)
                ));
            }
            SnapshotStatus::Unreadable { problem } => {
                problems.push(format!(
                    "harness error: snapshot {} could not be used: {}",
                    snapshot.name,
                    escape_line(problem)
                ));
            }
        }
    }

    let status = match &case.status {
        CaseStatus::Skipped(reason) => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(escape_line(reason));
            status
        }
        _ if problems.is_empty() => TestCaseStatus::success(),
        _ => {
            // A step that broke in transport is an error of the run's step, not an orchestrator failure.
            let harness_error = case.steps.iter().any(|step| step.outcome == StepOutcome::HarnessError);
            let (kind, kind_name) = if harness_error {
                (NonSuccessKind::Error, "harness error")
            } else {
                (NonSuccessKind::Failure, "case")
            };
            let mut status = TestCaseStatus::non_success(kind);
            let first = problems[0].lines().next().unwrap_or_default();
            let message = match problems.len() {
                1 => first.to_string(),
                count => format!("{first} (and {} more)", count - 1),
            };
            status
                .set_message(message)
                .set_type(kind_name)
                .set_description(problems.join("\n"));
            status
        }
    };
    let mut test_case = TestCase::new(case.name(), status);
    test_case.set_classname(case.name()).set_time(case.elapsed);
    if !transcript.is_empty() {
        test_case.set_system_out(transcript);
    }
    test_case
}

/// One rule's verdict in one case. A warning fails only under `--strict`, as
/// it does the run; otherwise it passes with the findings in system-out.
fn rule_outcome(case: &CaseReport, result: &RuleResult, strict: bool) -> TestCase {
    let rule = result.rule;
    let details = findings_text(result);
    let failing = |kind: &str| {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_message(failure_message(result))
            .set_type(format!("{} rule {kind}", rule.severity))
            .set_description(details.clone());
        status
    };
    let mut out = None;
    let status = match &result.verdict {
        Verdict::Pass => TestCaseStatus::success(),
        Verdict::Fail => failing("failed"),
        Verdict::Warn if result.verdict.fails(strict) => failing("warned (--strict)"),
        Verdict::Warn => {
            out = Some(format!("WARN {}\n{details}", failure_message(result)));
            TestCaseStatus::success()
        }
        // Info never fails, not even under --strict: a passing test with the finding beside it.
        Verdict::Info => {
            out = Some(format!("INFO {}\n{details}", failure_message(result)));
            TestCaseStatus::success()
        }
        Verdict::Skip(reason) => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(escape_line(reason));
            status
        }
        // Accepted for now by the known-failures list: neither a pass nor a failure.
        Verdict::KnownFailure(reason) => {
            let mut status = TestCaseStatus::skipped();
            status
                .set_message(format!("known failure: {}", escape_line(reason)))
                .set_description(details.clone());
            status
        }
    };
    let mut test_case = TestCase::new(format!("{}::{}", case.name(), rule.id), status);
    test_case.set_classname(case.name());
    if let Some(out) = out {
        test_case.set_system_out(out);
    }
    test_case
}

/// `PRICE-001 (must) price_info.pixelsPerUnit: expected > 0, actual 0`, and
/// how many more findings there are.
fn failure_message(result: &RuleResult) -> String {
    let rule = result.rule;
    let total = result.findings.len() + result.omitted_findings;
    match result.findings.first() {
        None => format!("{} ({}): {}", rule.id, rule.severity, rule.text),
        Some(finding) => {
            let mut message = format!(
                "{} ({}) {}: expected {}, actual {}",
                rule.id,
                rule.severity,
                escape_line(&finding.path),
                escape_line(&finding.expected),
                escape_line(&finding.actual)
            );
            if total > 1 {
                let _ = write!(message, " (and {} more findings)", total - 1);
            }
            message
        }
    }
}

/// The rule, its citation and every finding with path, expected, actual and hint.
fn findings_text(result: &RuleResult) -> String {
    let rule = result.rule;
    let mut text = format!(
        "{} ({}): {}\ncitation: {}\n",
        rule.id, rule.severity, rule.text, rule.citation
    );
    for finding in &result.findings {
        let _ = write!(
            text,
            "at {}\n  expected: {}\n  actual:   {}\n  hint:     {}\n",
            escape_line(&finding.path),
            escape_line(&finding.expected),
            escape_line(&finding.actual),
            escape_line(&finding.hint)
        );
    }
    if result.omitted_findings > 0 {
        let _ = writeln!(text, "… and {} more findings", result.omitted_findings);
    }
    text
}
