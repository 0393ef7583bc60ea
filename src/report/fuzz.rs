//! `lpconform fuzz` and `replay` for people: the summary of a fuzz run and the verdict of a replay. Pure functions of
//! the results; the CLI prints what they return.

use std::fmt::Write as _;
use std::time::Duration;

use crate::escape::escape_line;
use crate::fuzz::{FindingFile, FuzzFinding, FuzzReport, Resent};
use crate::rules::Severity;

/// The run summary. `replays[i]` is the replay command of `report.findings[i]`, when it was saved.
pub fn render_summary(report: &FuzzReport, replays: &[Option<String>]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "fuzzed {} requests in {}: {:.1} req/s (seed {}, concurrency {})",
        report.requests,
        duration(report.elapsed),
        report.throughput(),
        report.seed,
        report.concurrency
    );
    if let Some(latency) = report.latency {
        let _ = writeln!(
            out,
            "latency: p50 {}, p90 {}, p99 {}, max {}",
            duration(latency.p50),
            duration(latency.p90),
            duration(latency.p99),
            duration(latency.max)
        );
    }
    let families: Vec<String> = (report.requests_by_family.iter())
        .map(|(family, sent)| format!("{family} {sent}"))
        .collect();
    let _ = writeln!(out, "cases: {}", families.join(", "));
    let _ = writeln!(out, "liveness checks: {}", report.liveness_checks);
    if !report.quarantined.is_empty() {
        let _ = writeln!(
            out,
            "families that took the target down (not sent again): {}",
            report.quarantined.join(", ")
        );
    }
    if let Some(reason) = &report.stopped_early {
        let _ = writeln!(out, "stopped early: {}", escape_line(reason));
    }

    if !report.findings_by_rule.is_empty() {
        let _ = writeln!(out, "\nfindings by rule:");
        for (id, count) in &report.findings_by_rule {
            let rule = report
                .findings
                .iter()
                .map(|found| found.rule)
                .find(|rule| rule.id == *id);
            let (severity, text) = rule.map_or((String::new(), ""), |rule| (rule.severity.to_string(), rule.text));
            let _ = writeln!(out, "  {id:<8} {severity:<6} {count:>6}  {text}");
        }
        let _ = writeln!(out, "\nfindings:");
        for (position, found) in report.findings.iter().enumerate() {
            render_finding(&mut out, found);
            if let Some(Some(replay)) = replays.get(position) {
                let _ = writeln!(out, "      replay:   {replay}");
            }
        }
        let unsaved = report.finding_count().saturating_sub(report.findings.len());
        if unsaved > 0 {
            let _ = writeln!(
                out,
                "  ({unsaved} more findings counted but not kept: at most {} per rule and family)",
                crate::fuzz::KEPT_PER_RULE_AND_FAMILY
            );
        }
    }
    let counts: Vec<String> = (report.findings_by_rule.iter())
        .map(|(id, count)| format!("{id}: {count}"))
        .collect();
    let _ = match report.finding_count() {
        0 => writeln!(out, "\nresult: no findings"),
        1 => writeln!(out, "\nresult: 1 finding ({})", counts.join(", ")),
        count => writeln!(out, "\nresult: {count} findings ({})", counts.join(", ")),
    };
    out
}

/// The verdict of `lpconform replay`.
pub fn render_replay(file_path: &str, file: &FindingFile, target: &str, resent: &Resent) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "replayed {}: {} of {} requests to {}, each followed by GetOrchestrator",
        escape_line(file_path),
        resent.requests,
        file.requests.len(),
        escape_line(target)
    );
    let _ = writeln!(
        out,
        "recorded: {} at {} ({}, seed {})",
        escape_line(&file.rule),
        escape_line(&file.path),
        escape_line(&file.case),
        file.seed
    );
    for found in &resent.findings {
        render_finding(&mut out, found);
    }
    if let Some(position) = resent.down_after {
        let case = file
            .requests
            .get(position)
            .map_or("?".into(), |request| escape_line(&request.case));
        let _ = writeln!(
            out,
            "the target stopped answering after request {} ({case})",
            position + 1
        );
    }
    let reproduced = resent.findings.iter().any(|found| found.rule.id == file.rule);
    let _ = match (resent.findings.is_empty(), reproduced) {
        (true, _) => writeln!(out, "result: did not reproduce"),
        (false, true) => writeln!(out, "result: reproduced {}", escape_line(&file.rule)),
        (false, false) => writeln!(
            out,
            "result: {} did not reproduce, but other findings did",
            escape_line(&file.rule)
        ),
    };
    out
}

fn render_finding(out: &mut String, found: &FuzzFinding) {
    let verdict = match found.rule.severity {
        Severity::Must => "FAIL",
        Severity::Should => "WARN",
        Severity::Info => "INFO",
    };
    let _ = writeln!(
        out,
        "  {verdict} {} {} at {}",
        found.rule.id,
        escape_line(&found.case),
        escape_line(&found.finding.path)
    );
    let _ = writeln!(out, "      expected: {}", escape_line(&found.finding.expected));
    let _ = writeln!(out, "      actual:   {}", escape_line(&found.finding.actual));
}

/// `850µs`, `12.3ms`, `1.50s`.
fn duration(duration: Duration) -> String {
    let micros = duration.as_micros();
    if micros < 1_000 {
        format!("{micros}µs")
    } else if micros < 1_000_000 {
        format!("{:.1}ms", micros as f64 / 1_000.0)
    } else {
        format!("{:.2}s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::fuzz::Latency;
    use crate::rules::{rule, Finding};

    fn report(findings: Vec<FuzzFinding>) -> FuzzReport {
        let mut findings_by_rule = BTreeMap::new();
        for found in &findings {
            *findings_by_rule.entry(found.rule.id).or_insert(0) += 1;
        }
        FuzzReport {
            seed: 42,
            concurrency: 4,
            requests: 200,
            liveness_checks: 13,
            elapsed: Duration::from_secs(2),
            latency: Latency::of(vec![Duration::from_micros(800), Duration::from_millis(12)]),
            requests_by_family: vec![("raw-bytes".into(), 100), ("ping-value".into(), 100)],
            findings,
            findings_by_rule,
            quarantined: Vec::new(),
            stopped_early: None,
        }
    }

    #[test]
    fn a_clean_run_reports_throughput_latency_and_no_findings() {
        let text = render_summary(&report(Vec::new()), &[]);
        assert!(
            text.starts_with("fuzzed 200 requests in 2.00s: 100.0 req/s (seed 42"),
            "{text}"
        );
        assert!(
            text.contains("latency: p50 800µs, p90 12.0ms, p99 12.0ms, max 12.0ms"),
            "{text}"
        );
        assert!(text.contains("cases: raw-bytes 100, ping-value 100"), "{text}");
        assert!(text.ends_with("result: no findings\n"), "{text}");
    }

    #[test]
    fn findings_show_rule_expected_actual_and_replay() {
        let found = FuzzFinding {
            rule: rule("RPC-003").unwrap(),
            finding: Finding::new("ping-value#3", "an answer within the deadline", "no answer within 1s"),
            case: "ping-value#3".into(),
            family: "ping-value".into(),
            inputs: Vec::new(),
        };
        let text = render_summary(&report(vec![found]), &[Some("lpconform replay f.json".into())]);
        assert!(
            text.contains("RPC-003  must        1  every call answers within the call deadline"),
            "{text}"
        );
        assert!(text.contains("FAIL RPC-003 ping-value#3 at ping-value#3"), "{text}");
        assert!(text.contains("actual:   no answer within 1s"), "{text}");
        assert!(text.contains("replay:   lpconform replay f.json"), "{text}");
        assert!(text.ends_with("result: 1 finding (RPC-003: 1)\n"), "{text}");
    }
}
