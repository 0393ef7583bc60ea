//! The report for people at a terminal.

use std::fmt::Write as _;

use crate::observe::{Call, Observation};
use crate::rules::{RuleResult, Verdict};
use crate::view::{hex_bytes, InfoView};

fn describe<T>(call: &Call<T>, ok_text: impl FnOnce(&T) -> String) -> String {
    let millis = call.elapsed.as_millis();
    match &call.outcome {
        Ok(answer) => format!("{} ({millis} ms)", ok_text(answer)),
        Err(error) => format!("{error} ({millis} ms)"),
    }
}

/// Each call's outcome, then the discovery answer as its readable view.
pub fn render_observation(observation: &Observation) -> String {
    let mut out = String::new();
    let mut line = |label: &str, text: String| {
        let _ = writeln!(out, "{label:<40} {text}");
    };
    line("target", observation.target.clone());
    line("gateway", observation.gateway.to_checksum());
    line("GetOrchestrator (signed)", describe(&observation.info, |_| "ok".into()));
    if let Some(call) = &observation.forged_signature {
        line(
            "GetOrchestrator (forged signature)",
            describe(call, |_| "accepted".into()),
        );
    }
    if let Some(call) = &observation.malformed_address {
        line(
            "GetOrchestrator (19-byte address)",
            describe(call, |_| "accepted".into()),
        );
    }
    if let Some(ping) = &observation.ping {
        line(
            &format!("Ping {}", hex_bytes(&ping.value)),
            describe(&ping.call, |pong| format!("answered {}", hex_bytes(&pong.value))),
        );
    }
    if let Some(end) = &observation.end_session_forged {
        line(
            "EndTranscodingSession (forged token)",
            describe(&end.call, |_| "accepted".into()),
        );
    }
    if let Some(end) = &observation.end_session_issued {
        line(
            "EndTranscodingSession (issued token)",
            describe(&end.call, |_| "ok".into()),
        );
    }
    if let Some(info) = observation.info.answer() {
        let _ = write!(
            out,
            "\nOrchestratorInfo (secrets redacted):\n{}",
            InfoView::new(info).to_yaml()
        );
    }
    out
}

/// Every failed and warned rule with its findings, then one summary line.
pub fn render_results(results: &[RuleResult]) -> String {
    let mut out = String::new();
    for result in results {
        let label = match result.verdict {
            Verdict::Fail => "FAIL",
            Verdict::Warn => "WARN",
            Verdict::Pass | Verdict::Skip(_) => continue,
        };
        let rule = result.rule;
        let _ = writeln!(out, "{label} {} ({}): {}", rule.id, rule.severity, rule.text);
        for finding in &result.findings {
            let _ = writeln!(out, "     at {}", finding.path);
            let _ = writeln!(out, "       expected: {}", finding.expected);
            let _ = writeln!(out, "       actual:   {}", finding.actual);
            let _ = writeln!(out, "       hint:     {}", finding.hint);
        }
        if result.omitted_findings > 0 {
            let _ = writeln!(out, "     … and {} more findings", result.omitted_findings);
        }
    }
    let count = |wanted: fn(&Verdict) -> bool| results.iter().filter(|result| wanted(&result.verdict)).count();
    let _ = writeln!(
        out,
        "rules: {} passed, {} failed, {} warnings, {} not applicable",
        count(|verdict| *verdict == Verdict::Pass),
        count(|verdict| *verdict == Verdict::Fail),
        count(|verdict| *verdict == Verdict::Warn),
        count(|verdict| matches!(verdict, Verdict::Skip(_))),
    );
    out
}
