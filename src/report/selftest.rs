//! `lpconform selftest` for people: the table of faults, the rules each must fire and the rules
//! that fired, then the rules proven elsewhere.

use std::fmt::Write as _;

use crate::selftest::{fuzzed_cases, CaseOutcome, NOT_ORCHESTRATOR_FAULTS};

pub fn render_selftest(outcomes: &[CaseOutcome]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<30} {:<28} {:<22} {:<32} result",
        "fault", "configuration", "expected", "fired"
    );
    for outcome in outcomes {
        let result = match &outcome.problem {
            None => "ok".to_string(),
            Some(problem) => format!("FAILED: {problem}"),
        };
        let _ = writeln!(
            out,
            "{:<30} {:<28} {:<22} {:<32} {result}",
            outcome.fault,
            outcome.preset.name(),
            list(&outcome.expected),
            list(&outcome.fired),
        );
    }
    let _ = writeln!(
        out,
        "\nset off only by fuzzed input (proven by `lpconform fuzz` in tests/live_fuzz.rs):"
    );
    for case in fuzzed_cases() {
        let _ = writeln!(out, "  {:<30} {}", case.fault.name(), case.rules.join(","));
    }
    let _ = writeln!(out, "\nnot breakable by an orchestrator:");
    for (rule, reason) in NOT_ORCHESTRATOR_FAULTS {
        let _ = writeln!(out, "  {rule:<12} {reason}");
    }
    let passed = outcomes.iter().filter(|outcome| outcome.passed()).count();
    let _ = writeln!(out, "\nselftest: {passed} of {} cases as required", outcomes.len());
    out
}

fn list(ids: &[&str]) -> String {
    if ids.is_empty() {
        "-".to_string()
    } else {
        ids.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_the_rules_proven_elsewhere() {
        let text = render_selftest(&[]);
        for case in fuzzed_cases() {
            let named = case.rules.iter().all(|rule| text.contains(rule));
            assert!(text.contains(&case.fault.name()) && named, "{text}");
        }
        for (rule, _) in NOT_ORCHESTRATOR_FAULTS {
            assert!(text.contains(rule), "{text}");
        }
    }
}
