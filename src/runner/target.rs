//! One target's connection as the run sees it: a server that accepted the connection and then
//! broke its setup is judged, as the `connection::setup` case of a report.

use std::time::Duration;

use crate::ambient::unix_now;
use crate::eth::Address;
use crate::expect::Expectations;
use crate::observe::{Call, CallError, Observation};
use crate::rules::{self, evaluate_rule, Context};
use crate::runner::case::RunSettings;
use crate::runner::{CaseReport, CaseStatus, RunReport, StepOutcome, StepReport, SETUP_SUITE};
use crate::transport::{Target, TransportError};

/// The report of a run that ended at connection setup because the server accepted the
/// connection and then broke (or stalled in) TLS or HTTP/2 setup: one failed case,
/// `connection::setup`, with RPC-003 judged on the setup as the first call.
pub fn setup_failure_report(
    target: &Target,
    profile: &str,
    error: &TransportError,
    elapsed: Duration,
    settings: &RunSettings,
) -> RunReport {
    let outcome = match error {
        TransportError::ConnectTimeout { timeout, .. } => CallError::Timeout(*timeout),
        other => CallError::Transport(other.to_string()),
    };
    let step = StepReport {
        call: "connect (TCP, TLS for https, HTTP/2)".into(),
        expected: "a working HTTP/2 connection within the connect timeout".into(),
        actual: error.to_string(),
        outcome: StepOutcome::Failed,
        elapsed,
        not_judged: None,
        request: None,
        reproducer: None,
    };
    let setup = Call {
        elapsed,
        outcome: Err(outcome),
    };
    let observation = Observation::of_discovery(target.to_string(), Address([0; 20]), setup);
    let expectations = Expectations::default();
    let context = Context::new(&observation, &expectations, settings.overrides, unix_now());
    let rules = rules::rule("RPC-003").map(|rule| evaluate_rule(rule, &context));
    let case = CaseReport {
        steps: vec![step],
        rules: rules.into_iter().collect(),
        elapsed,
        ..CaseReport::new(
            SETUP_SUITE,
            "setup",
            "The orchestrator accepts a connection and completes TLS and HTTP/2 setup.",
            CaseStatus::Failed,
        )
    };
    RunReport {
        target: target.to_string(),
        profile: profile.to_string(),
        modes: context.modes,
        info: None,
        newer_fields: Vec::new(),
        strict: settings.strict,
        cases: vec![case],
        elapsed,
        unfunded_gateway: None,
        known_failures: None,
        ended_early: None,
    }
}
