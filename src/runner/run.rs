//! The run loop: the detection probe once, then every selected case in order, each told to the
//! progress callback before it runs; a target that stopped answering or a passed deadline ends
//! the run early, the later cases reported as not run.

use std::time::Instant;

use prost::Message as _;

use crate::driver::Driver;
use crate::expect::Expectations;
use crate::observe::{Call, CallError, Observation};
use crate::proto::net::OrchestratorInfo;
use crate::rules::Modes;
use crate::runner::case::{run_case_watching, CaseContext, RunSettings};
use crate::runner::probes::detection_probe;
use crate::runner::{not_run_reason, CaseReport, CaseStatus, EndedEarly, RunReport};
use crate::suite::{Case, Suite};

/// Probes once to detect modes, then runs every selected case in order.
pub async fn run_suites(
    driver: &Driver,
    suites: &[Suite],
    expectations: &Expectations,
    settings: &RunSettings,
    profile: &str,
) -> RunReport {
    let mut no_progress = |_: CaseProgress<'_>| {};
    run_suites_with_progress(driver, suites, expectations, settings, profile, &mut no_progress).await
}

/// Where a run is: the case about to run and how many of the selected cases are done.
#[derive(Debug, Clone, Copy)]
pub struct CaseProgress<'a> {
    pub case: &'a str,
    pub done: usize,
    pub total: usize,
}

/// [`run_suites`], telling `on_case` before each case, so the CLI can show progress.
pub async fn run_suites_with_progress(
    driver: &Driver,
    suites: &[Suite],
    expectations: &Expectations,
    settings: &RunSettings,
    profile: &str,
    on_case: &mut (dyn FnMut(CaseProgress<'_>) + Send),
) -> RunReport {
    let run = RunScope {
        driver,
        suites,
        expectations,
        settings,
        profile,
    };
    run.run(on_case, None).await
}

/// What one run reads.
pub(super) struct RunScope<'a> {
    pub(super) driver: &'a Driver,
    pub(super) suites: &'a [Suite],
    pub(super) expectations: &'a Expectations,
    pub(super) settings: &'a RunSettings,
    pub(super) profile: &'a str,
}

impl RunScope<'_> {
    /// The run, telling `on_case` before each case. With a `deadline` it stops there: the case
    /// running then and the later ones are reported as not run, and the report ends early
    /// ([`EndedEarly::DeadlinePassed`]) keeping the cases that finished.
    pub(super) async fn run(
        &self,
        on_case: &mut (dyn FnMut(CaseProgress<'_>) + Send),
        deadline: Option<tokio::time::Instant>,
    ) -> RunReport {
        let RunScope {
            driver,
            suites,
            expectations,
            settings,
            profile,
        } = *self;
        let started = Instant::now();
        let selected = |suite: &Suite, case: &Case| {
            let name = case.full_name(suite);
            settings
                .case_filter
                .as_ref()
                .is_none_or(|filter| name.contains(filter.as_str()))
        };
        let total = suites
            .iter()
            .map(|suite| suite.cases.iter().filter(|case| selected(suite, case)).count())
            .sum();
        let mut ended_early = None;
        let (baseline, baseline_answer) = match deadline {
            None => detection_probe(driver).await,
            Some(deadline) => match tokio::time::timeout_at(deadline, detection_probe(driver)).await {
                Ok(baseline) => baseline,
                Err(_) => {
                    ended_early = Some(EndedEarly::DeadlinePassed);
                    let deadline_passed = Call {
                        elapsed: started.elapsed(),
                        outcome: Err(CallError::Timeout(started.elapsed())),
                    };
                    let observation = Observation::of_discovery(
                        driver.target().to_string(),
                        driver.gateway().address(),
                        deadline_passed,
                    );
                    (observation, None)
                }
            },
        };
        let modes = Modes::detect(&baseline, settings.overrides);
        let unfunded = baseline
            .grpc
            .info
            .outcome
            .as_ref()
            .is_err_and(CallError::is_insufficient_reserve);
        let newer_fields = baseline.newer_fields;
        // The baseline answer waits for the report as its bytes, decoded again at the end: a long
        // answer is not held decoded beside each case's own while the cases run.
        drop(baseline.grpc.info);
        let context = CaseContext {
            driver,
            expectations,
            settings,
            modes,
        };
        let mut cases = Vec::new();
        for suite in suites {
            for case in &suite.cases {
                if !selected(suite, case) {
                    continue;
                }
                on_case(CaseProgress {
                    case: &case.full_name(suite),
                    done: cases.len(),
                    total,
                });
                if let Some(reason) = ended_early {
                    cases.push(not_run(suite, case, not_run_reason(reason)));
                    continue;
                }
                let case_run = run_case_watching(&context, suite, case);
                let finished = match deadline {
                    None => Some(case_run.await),
                    Some(deadline) => tokio::time::timeout_at(deadline, case_run).await.ok(),
                };
                match finished {
                    Some((report, stopped)) => {
                        if stopped {
                            ended_early = Some(EndedEarly::StoppedAnswering);
                        }
                        cases.push(report);
                    }
                    None => {
                        ended_early = Some(EndedEarly::DeadlinePassed);
                        cases.push(not_run(suite, case, not_run_reason(EndedEarly::DeadlinePassed)));
                    }
                }
            }
        }
        RunReport {
            target: driver.target().to_string(),
            profile: profile.to_string(),
            modes,
            newer_fields,
            info: baseline_answer.and_then(|bytes| OrchestratorInfo::decode(bytes).ok()),
            strict: settings.strict,
            cases,
            elapsed: started.elapsed(),
            unfunded_gateway: unfunded.then(|| driver.gateway().address()),
            known_failures: None,
            ended_early,
        }
    }
}

/// A case that was selected but not run, and why.
fn not_run(suite: &Suite, case: &Case, reason: &str) -> CaseReport {
    CaseReport::new(
        &suite.name,
        &case.id,
        &case.description,
        CaseStatus::Skipped(reason.to_string()),
    )
}
