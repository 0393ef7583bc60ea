//! Proves the checks both ways against the embedded orchestrator: clean, in
//! every configuration, it breaks no rule; with each fault it breaks the
//! rule the fault aims at (and no unrelated must-rule). Each fault case
//! (`reference::faults::FAULT_CASES`) names what runs against it (its `Exercise`);
//! selftest runs those it can and lists the ones fuzzing proves.

use std::time::Duration;

use crate::ambient::unix_now;
use crate::driver::Driver;
use crate::eth::EthKey;
use crate::gateway::Gateway;
use crate::protocol::Protocol;
use crate::reference::faults::{Declared, Exercise, FaultCase, FAULT_CASES};
use crate::reference::{self, Preset, ReferenceConfig};
use crate::rules::{self, catalog, Context, ModeOverrides, RuleResult, Severity, Verdict};
use crate::runner::standard_probe;
use crate::transport::{Connection, TransportOptions};

/// Rules no orchestrator can break, with the reason; the harness's own tests cover them. A rule
/// only fuzzed input sets off is not here: its fault case says so (`Exercise::FuzzedInput`).
pub const NOT_ORCHESTRATOR_FAULTS: &[(&str, &str)] = &[
    (
        "STORAGE-002",
        "a guarantee of the harness's redaction, tested with reports",
    ),
    (
        "PRICE-007",
        "judged on the JSON served at GET /orchestrator/info, which no fault bends; proven with the PRICE-007 tests",
    ),
    (
        "SPEC-001",
        "judged against an OpenAPI document, which selftest does not load; proven with the SPEC tests and tests/openapi.rs",
    ),
    (
        "SPEC-002",
        "a drift between the OpenAPI document and the .proto, not an orchestrator fault; proven with the SPEC tests",
    ),
];

/// How one selftest case went.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    /// The fault's name, or `clean`.
    pub fault: String,
    pub preset: Preset,
    /// Rules that had to fire (none for a clean run).
    pub expected: Vec<&'static str>,
    /// Rules that failed, warned or noted something (info).
    pub fired: Vec<&'static str>,
    /// Why the case did not go as it must; `None` when it did.
    pub problem: Option<String>,
}

impl CaseOutcome {
    pub fn passed(&self) -> bool {
        self.problem.is_none()
    }
}

/// Runs the clean configurations, then every fault case the standard probe proves.
pub async fn run_selftest(call_timeout: Duration) -> Vec<CaseOutcome> {
    let mut outcomes = Vec::new();
    for preset in Preset::ALL {
        outcomes.push(run_clean(preset, call_timeout).await);
    }
    for case in FAULT_CASES {
        match case.exercise {
            Exercise::StandardProbe => outcomes.push(run_fault(case, call_timeout).await),
            // Listed in the table (`fuzzed_cases`); tests/live_fuzz.rs proves them.
            Exercise::FuzzedInput => {}
        }
    }
    outcomes
}

/// The fault cases only fuzzed requests set off: selftest lists them, `tests/live_fuzz.rs` proves
/// `lpconform fuzz` finds each.
pub fn fuzzed_cases() -> impl Iterator<Item = &'static FaultCase> {
    FAULT_CASES.iter().filter(|case| case.exercise == Exercise::FuzzedInput)
}

async fn run_clean(preset: Preset, call_timeout: Duration) -> CaseOutcome {
    let outcome = evaluate_reference(preset.config(), Declared::Configuration, call_timeout).await;
    let mut result = CaseOutcome {
        fault: "clean".into(),
        preset,
        expected: Vec::new(),
        fired: Vec::new(),
        problem: None,
    };
    match outcome {
        Err(problem) => result.problem = Some(problem),
        Ok(results) => {
            result.fired = fired(&results);
            // Info findings (CAP-007 on a transcoder's bare AI bits) are what go-livepeer gets too.
            let broken: Vec<&str> = results
                .iter()
                .filter(|result| matches!(result.verdict, Verdict::Fail | Verdict::Warn))
                .map(|result| result.rule.id)
                .collect();
            if !broken.is_empty() {
                result.problem = Some(format!("a clean orchestrator broke {}", broken.join(", ")));
            }
        }
    }
    result
}

async fn run_fault(case: &FaultCase, call_timeout: Duration) -> CaseOutcome {
    let config = ReferenceConfig {
        faults: vec![case.fault],
        ..case.preset.config()
    };
    let mut result = CaseOutcome {
        fault: case.fault.name(),
        preset: case.preset,
        expected: case.rules.to_vec(),
        fired: Vec::new(),
        problem: None,
    };
    let results = match evaluate_reference(config, case.declared, call_timeout).await {
        Ok(results) => results,
        Err(problem) => {
            result.problem = Some(problem);
            return result;
        }
    };
    result.fired = fired(&results);
    // A rule counts as fired at its own weight: an info note does not stand in for a must-rule.
    let missing: Vec<_> = case
        .rules
        .iter()
        .filter(|id| !results.iter().any(|r| r.rule.id == **id && fired_at_its_severity(r)))
        .copied()
        .collect();
    let unrelated: Vec<_> = results
        .iter()
        .filter(|r| r.verdict == Verdict::Fail && r.rule.severity == Severity::Must)
        .map(|r| r.rule.id)
        .filter(|id| !case.rules.contains(id))
        .collect();
    if !missing.is_empty() {
        result.problem = Some(format!("did not fire {}", missing.join(", ")));
    } else if !unrelated.is_empty() {
        result.problem = Some(format!("also broke unrelated must-rules {}", unrelated.join(", ")));
    }
    result
}

fn fired_at_its_severity(result: &RuleResult) -> bool {
    matches!(
        (result.rule.severity, &result.verdict),
        (Severity::Must, Verdict::Fail) | (Severity::Should, Verdict::Warn) | (Severity::Info, Verdict::Info)
    )
}

fn fired(results: &[RuleResult]) -> Vec<&'static str> {
    results
        .iter()
        .filter(|result| matches!(result.verdict, Verdict::Fail | Verdict::Warn | Verdict::Info))
        .map(|result| result.rule.id)
        .collect()
}

/// Starts the orchestrator, runs the standard probe against it, and evaluates the catalog on
/// what it saw.
async fn evaluate_reference(
    config: ReferenceConfig,
    declared: Declared,
    call_timeout: Duration,
) -> Result<Vec<RuleResult>, String> {
    let running = reference::start(config).await.map_err(|error| error.to_string())?;
    let options = TransportOptions {
        call_timeout,
        ..TransportOptions::default()
    };
    let target = running.target();
    let connection = Connection::connect(&target, &options)
        .await
        .map_err(|error| error.to_string())?;
    let driver = Driver::new(connection, Protocol::built_in(), Gateway::from(&EthKey::random()));
    let observation = standard_probe(&driver).await;
    let expectations = declared.expectations(running.expectations())?;
    let context = Context::new(&observation, &expectations, ModeOverrides::default(), unix_now());
    let results = rules::evaluate(&context);
    running.shutdown().await;
    Ok(results)
}

/// Rules of the catalog that neither a fault case nor [`NOT_ORCHESTRATOR_FAULTS`] accounts for.
pub fn uncovered_rules() -> Vec<&'static str> {
    catalog()
        .iter()
        .map(|rule| rule.id)
        .filter(|id| !FAULT_CASES.iter().any(|case| case.rules.contains(id)))
        .filter(|id| !NOT_ORCHESTRATOR_FAULTS.iter().any(|(listed, _)| listed == id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_proven_by_a_fault_or_says_why_not() {
        assert_eq!(uncovered_rules(), Vec::<&str>::new());
    }

    #[test]
    fn no_rule_a_fault_case_proves_is_listed_as_unbreakable() {
        let contradicted: Vec<&str> = NOT_ORCHESTRATOR_FAULTS
            .iter()
            .map(|(rule, _)| *rule)
            .filter(|rule| FAULT_CASES.iter().any(|case| case.rules.contains(rule)))
            .collect();
        assert_eq!(contradicted, Vec::<&str>::new());
    }

    #[test]
    fn every_fault_is_exercised() {
        use crate::reference::faults::Fault;
        use clap::ValueEnum;
        for fault in Fault::value_variants() {
            assert!(
                FAULT_CASES.iter().any(|case| case.fault == *fault),
                "{} has no selftest case",
                fault.name()
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn clean_orchestrators_pass_and_every_fault_fires_its_rule() {
        let outcomes = run_selftest(Duration::from_secs(2)).await;
        let failures: Vec<String> = outcomes
            .iter()
            .filter(|outcome| !outcome.passed())
            .map(|outcome| {
                format!(
                    "{} ({}): {} [fired: {}]",
                    outcome.fault,
                    outcome.preset.name(),
                    outcome.problem.as_deref().unwrap_or_default(),
                    outcome.fired.join(", ")
                )
            })
            .collect();
        assert!(failures.is_empty(), "selftest failures:\n{}", failures.join("\n"));
    }
}
