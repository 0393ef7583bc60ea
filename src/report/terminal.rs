//! The report for people at a terminal: the target's answer in readable form,
//! one line per case, the details of what failed or warned, a summary line.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use crate::escape::{escape_line, escape_text};

use crate::rules::{RuleResult, Verdict};
use crate::runner::known_failures::{EntryState, KnownFailureCheck};
use crate::runner::{CaseReport, CaseStatus, CaseStatusKind, RunReport, StepOutcome};
use crate::snapshot::SnapshotStatus;
use crate::view::InfoView;

/// Whether to colour: not when NO_COLOR is set or the output is not a terminal.
pub fn colour_wanted() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty()) && std::io::stdout().is_terminal()
}

struct Painter {
    colour: bool,
}

impl Painter {
    fn paint(&self, colour: AnsiColor, text: &str) -> String {
        if !self.colour {
            return text.to_string();
        }
        let style = Style::new().fg_color(Some(colour.into())).bold();
        format!("{style}{text}{style:#}")
    }
}

/// The whole run as text.
pub fn render_run(report: &RunReport, colour: bool) -> String {
    let painter = Painter { colour };
    let mut out = String::new();
    if let Some(gateway) = &report.unfunded_gateway {
        let _ = writeln!(out, "{}\n", painter.paint(AnsiColor::Red, &unfunded_note(gateway)));
    }
    let modes = report.modes;
    let _ = writeln!(out, "target   {}", escape_line(&report.target));
    let _ = writeln!(out, "profile  {}", escape_line(&report.profile));
    let _ = writeln!(out, "modes    {modes}");
    if let Some(info) = &report.info {
        let _ = write!(
            out,
            "\nOrchestratorInfo (secrets redacted):\n{}",
            escape_text(&InfoView::with_newer_fields(info, &report.newer_fields).to_yaml())
        );
    }
    out.push('\n');
    for case in &report.cases {
        render_case(&mut out, case, &painter);
    }
    if let Some(check) = &report.known_failures {
        render_known_failures(&mut out, check, &painter);
    }
    let _ = writeln!(out, "\n{}", summary(report));
    out
}

/// What every report says once, at the top, when discovery was refused for an unfunded gateway.
pub fn unfunded_note(gateway: &crate::eth::Address) -> String {
    format!(
        "NOT JUDGED: the orchestrator refused discovery with `insufficient sender reserve`: the gateway \
         identity {} has no deposit or reserve, so an on-chain orchestrator answers it nothing. Give a funded \
         identity with --remote-signer URL (a go-livepeer remote signer) or --gateway-key FILE. What needs no \
         answer (forged and malformed signatures, Ping identity, forged token) was still checked; the rest is \
         skipped. Exit 2.",
        gateway.to_checksum()
    )
}

/// `cases: 22, passed: 18, failed: 1, warnings: 1, skipped: 2, time: 35 ms`; with a
/// known-failures list, the known failures and stale entries too.
pub fn summary(report: &RunReport) -> String {
    let known = match &report.known_failures {
        Some(check) => format!(
            ", known failures: {}, stale entries: {}",
            report.count(CaseStatusKind::KnownFailure),
            check.stale().count()
        ),
        None => String::new(),
    };
    format!(
        "cases: {}, passed: {}, failed: {}, warnings: {}, skipped: {}{known}, time: {} ms",
        report.cases.len(),
        report.count(CaseStatusKind::Passed),
        report.count(CaseStatusKind::Failed),
        report.count(CaseStatusKind::Warned),
        report.count(CaseStatusKind::Skipped),
        report.elapsed.as_millis()
    )
}

/// The list's entries that do not hold (stale ones fail the run), after the cases.
fn render_known_failures(out: &mut String, check: &KnownFailureCheck, painter: &Painter) {
    let holding = check
        .entries
        .iter()
        .filter(|outcome| matches!(outcome.state, EntryState::Holds(_)))
        .count();
    let _ = writeln!(
        out,
        "\nknown failures ({}): {} listed, {holding} still failing, {} stale",
        escape_line(&check.path.display().to_string()),
        check.entries.len(),
        check.stale().count()
    );
    for outcome in &check.entries {
        let (label, colour, why) = match &outcome.state {
            EntryState::Holds(_) => continue,
            EntryState::Stale(why) | EntryState::Fixed(why) => ("STALE", AnsiColor::Red, why.as_str()),
            EntryState::NotRun => ("SKIP", AnsiColor::BrightBlack, "not judged: --case left out its cases"),
        };
        let _ = writeln!(
            out,
            "{} known failure {} ({}): {}",
            painter.paint(colour, label),
            escape_line(&outcome.entry.name()),
            escape_line(&outcome.entry.location),
            escape_line(why)
        );
    }
}

fn render_case(out: &mut String, case: &CaseReport, painter: &Painter) {
    let (label, colour) = match &case.status {
        CaseStatus::Passed => ("PASS", AnsiColor::Green),
        CaseStatus::Warned => ("WARN", AnsiColor::Yellow),
        CaseStatus::Failed => ("FAIL", AnsiColor::Red),
        CaseStatus::Skipped(_) => ("SKIP", AnsiColor::BrightBlack),
        CaseStatus::KnownFailure => ("KNOWN", AnsiColor::Magenta),
    };
    let _ = write!(out, "{} {}", painter.paint(colour, label), escape_line(&case.name()));
    match &case.status {
        CaseStatus::Skipped(reason) => {
            let _ = writeln!(out, " ({})", escape_line(reason));
            // A legitimate refusal (unfunded gateway, at capacity) skips the case: how to see it again.
            for reproducer in case.steps.iter().filter_map(|step| step.reproducer.as_deref()) {
                let _ = writeln!(out, "     reproduce: {}", escape_line(reproducer));
            }
            return;
        }
        _ => {
            let _ = writeln!(out, " ({} ms)", case.elapsed.as_millis());
        }
    }
    for step in case.steps.iter().filter(|step| !step.passed()) {
        let _ = writeln!(out, "     call {}", escape_line(&step.call));
        let _ = writeln!(out, "       expected: {}", escape_line(&step.expected));
        let _ = writeln!(out, "       actual:   {}", escape_line(&step.actual));
        if step.outcome == StepOutcome::HarnessError {
            let _ = writeln!(
                out,
                "       (harness error: the exchange broke in transport, no verdict on an answer)"
            );
        }
        if let Some(reproducer) = &step.reproducer {
            let _ = writeln!(out, "       reproduce: {}", escape_line(reproducer));
        }
    }
    for result in &case.rules {
        render_rule(out, result, painter);
    }
    if let Some(snapshot) = &case.snapshot {
        match &snapshot.status {
            SnapshotStatus::Matched | SnapshotStatus::Recorded => {}
            SnapshotStatus::Missing => {
                let _ = writeln!(
                    out,
                    "     snapshot {} not recorded yet ({}); record with --update-snapshots",
                    snapshot.name,
                    snapshot.path.display()
                );
            }
            SnapshotStatus::Changed { diff } => {
                let _ = writeln!(
                    out,
                    "     snapshot {} changed ({}):",
                    snapshot.name,
                    snapshot.path.display()
                );
                for line in diff.lines() {
                    let _ = writeln!(out, "       {}", escape_line(line));
                }
            }
            SnapshotStatus::Unreadable { problem } => {
                let _ = writeln!(
                    out,
                    "     harness error: snapshot {} could not be used: {}",
                    snapshot.name,
                    escape_line(problem)
                );
            }
        }
    }
}

fn render_rule(out: &mut String, result: &RuleResult, painter: &Painter) {
    let (label, colour) = match result.verdict {
        Verdict::Fail => ("FAIL", AnsiColor::Red),
        Verdict::Warn => ("WARN", AnsiColor::Yellow),
        Verdict::Info => ("INFO", AnsiColor::Cyan),
        Verdict::KnownFailure(_) => ("KNOWN", AnsiColor::Magenta),
        Verdict::Pass | Verdict::Skip(_) => return,
    };
    let rule = result.rule;
    let _ = writeln!(
        out,
        "     {} {} ({}): {}",
        painter.paint(colour, label),
        rule.id,
        rule.severity,
        rule.text
    );
    if let Verdict::KnownFailure(reason) = &result.verdict {
        let _ = writeln!(out, "       known failure: {}", escape_line(reason));
    }
    for finding in &result.findings {
        let _ = writeln!(out, "       at {}", escape_line(&finding.path));
        let _ = writeln!(out, "         expected: {}", escape_line(&finding.expected));
        let _ = writeln!(out, "         actual:   {}", escape_line(&finding.actual));
        let _ = writeln!(out, "         hint:     {}", escape_line(&finding.hint));
    }
    if result.omitted_findings > 0 {
        let _ = writeln!(out, "       … and {} more findings", result.omitted_findings);
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::proto::net::{OrchestratorInfo, PriceInfo};
    use crate::rules::{rule, Finding, Modes};
    use crate::runner::StepReport;
    use crate::snapshot::SnapshotCheck;

    const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/reports/terminal.txt");

    fn case(suite: &str, id: &str, status: CaseStatus) -> CaseReport {
        CaseReport {
            elapsed: Duration::from_millis(3),
            ..CaseReport::new(suite, id, "", status)
        }
    }

    /// A run with one case of every status, a failed call, findings and a changed snapshot.
    fn sample_report() -> RunReport {
        let mut failed = case("pricing", "ticket_params", CaseStatus::Failed);
        failed.rules = vec![RuleResult {
            rule: rule("TICKET-004").unwrap(),
            verdict: Verdict::Fail,
            findings: vec![Finding {
                rule_id: "TICKET-004",
                hint: "issue a 32-byte keccak256 hash".into(),
                ..Finding::new("ticket_params.recipient_rand_hash", "32 bytes", "31 bytes")
            }],
            omitted_findings: 0,
        }];
        failed.steps = vec![StepReport {
            call: "GetOrchestrator (forged signature)".into(),
            expected: "a gRPC error".into(),
            actual: "an answer".into(),
            outcome: StepOutcome::Failed,
            elapsed: Duration::from_millis(1),
            not_judged: None,
            request: None,
            reproducer: None,
        }];
        let mut warned = case("capabilities", "structure", CaseStatus::Warned);
        warned.rules = vec![RuleResult {
            rule: rule("CAP-006").unwrap(),
            verdict: Verdict::Warn,
            findings: vec![Finding {
                rule_id: "CAP-006",
                hint: "advertise the release version".into(),
                ..Finding::new("capabilities.version", "semver", "\"latest\"")
            }],
            omitted_findings: 3,
        }];
        let mut changed = case("discovery", "signed_request", CaseStatus::Failed);
        changed.snapshot = Some(SnapshotCheck {
            name: "info".into(),
            path: PathBuf::from("suites/snapshots/p/discovery__info.snap"),
            status: SnapshotStatus::Changed {
                diff: "@@ -1 +1 @@\n-wei_per_pixel: 1000/1\n+wei_per_pixel: 1200/1\n".into(),
            },
        });
        RunReport {
            newer_fields: Vec::new(),
            target: "https://orch.example:8935".into(),
            profile: "orch.example-8935".into(),
            modes: Modes {
                onchain: true,
                transcoding: true,
                ai: false,
            },
            info: Some(OrchestratorInfo {
                transcoder: "https://orch.example:8935".into(),
                address: vec![0x11; 20],
                price_info: Some(PriceInfo {
                    price_per_unit: 1200,
                    pixels_per_unit: 1,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            strict: false,
            cases: vec![
                case("sessions", "token_issued", CaseStatus::Passed),
                warned,
                failed,
                changed,
                case(
                    "identity",
                    "ping_offchain",
                    CaseStatus::Skipped("applies to `offchain` orchestrators".into()),
                ),
            ],
            elapsed: Duration::from_millis(42),
            unfunded_gateway: None,
            known_failures: None,
            ended_early: None,
        }
    }

    #[test]
    fn terminal_report_matches_the_golden_file() {
        let rendered = render_run(&sample_report(), false);
        if std::env::var_os("LPCONFORM_BLESS").is_some() {
            std::fs::create_dir_all(PathBuf::from(GOLDEN).parent().unwrap()).unwrap();
            std::fs::write(GOLDEN, &rendered).unwrap();
        }
        let golden = std::fs::read_to_string(GOLDEN).unwrap_or_default();
        assert_eq!(
            rendered, golden,
            "run with LPCONFORM_BLESS=1 to accept the new rendering"
        );
    }

    #[test]
    fn what_the_target_sent_cannot_drive_the_terminal() {
        let mut report = sample_report();
        let hostile = "\u{1b}]0;pwned\u{7}\u{202e}\r\nPASS fake::line";
        report.info.as_mut().unwrap().transcoder = hostile.into();
        report.cases[2].steps[0].actual = hostile.into();
        report.cases[2].rules[0].findings[0].actual = hostile.into();
        let rendered = render_run(&report, true);
        assert!(
            rendered.contains(r"\x1b]0;pwned\x07\u{202e}\x0d\x0aPASS fake::line"),
            "{rendered}"
        );
        assert!(
            !rendered.contains('\u{202e}') && !rendered.contains('\u{7}'),
            "{rendered}"
        );
        assert!(!rendered.contains("\u{1b}]"), "{rendered}");
        assert!(
            !rendered.lines().any(|line| line.trim_start().starts_with("PASS fake")),
            "{rendered}"
        );
    }

    #[test]
    fn colour_only_when_asked() {
        let plain = render_run(&sample_report(), false);
        let coloured = render_run(&sample_report(), true);
        assert!(!plain.contains('\u{1b}'));
        assert!(coloured.contains("\u{1b}["));
    }
}
