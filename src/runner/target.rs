//! One target checked end to end, the sequence `run` and `sweep` share (and an exporter's probe
//! would): dial it within the connect deadline, judge a setup the server broke as the
//! `connection::setup` case, run the cases through a driver, and hand back the report, whose
//! [`RunReport::outcome`] says what it came to.

use std::time::{Duration, Instant};

use crate::ambient::unix_now;
use crate::driver::Driver;
use crate::eth::Address;
use crate::expect::Expectations;
use crate::gateway::Gateway;
use crate::observe::{Call, CallError, Observation};
use crate::protocol::Protocol;
use crate::rules::{self, evaluate_rule, Context};
use crate::runner::case::RunSettings;
use crate::runner::run::{CaseProgress, RunScope};
use crate::runner::{CaseReport, CaseStatus, RunReport, StepOutcome, StepReport, SETUP_SUITE};
use crate::suite::Suite;
use crate::transport::{Connection, Target, TransportError, TransportOptions};

/// What checking one target reads.
#[derive(Debug, Clone, Copy)]
pub struct TargetCheck<'a> {
    pub target: &'a Target,
    /// How to dial it: the connect and call deadlines, the decode size cap, the CA.
    pub transport: &'a TransportOptions,
    /// The loaded proto: every call is made and decoded with it.
    pub protocol: &'a Protocol,
    /// The gateway identity that signs the requests.
    pub gateway: &'a Gateway,
    pub suites: &'a [Suite],
    /// What the operator expects of this target (`--expect`, a targets file's line).
    pub expectations: &'a Expectations,
    pub settings: &'a RunSettings,
    /// The report's profile: the snapshots' folder.
    pub profile: &'a str,
    /// When the whole check must end, dialling included (`sweep --target-timeout`): the cases
    /// finished by then are kept and the report ends early ([`EndedEarly::DeadlinePassed`]).
    /// `None` runs every case.
    ///
    /// [`EndedEarly::DeadlinePassed`]: crate::runner::EndedEarly::DeadlinePassed
    pub deadline: Option<tokio::time::Instant>,
}

/// Why a target could not be checked at all: there is no report, and no verdict on it.
#[derive(Debug, thiserror::Error)]
pub enum NotChecked {
    /// Nothing accepted the connection, or the target or CA file is unusable.
    #[error(transparent)]
    Unreachable(TransportError),
    /// The check's deadline passed while the connection was being set up.
    #[error("no connection within the check's deadline")]
    DeadlinePassed,
}

/// Checks one target: connects (within the deadline, when there is one), then runs the suites,
/// telling `on_case` before each case. A server that accepts the connection and then breaks or
/// stalls TLS or HTTP/2 setup is the orchestrator's fault, judged in the report as the
/// `connection::setup` case, not an error.
pub async fn check_target(
    check: TargetCheck<'_>,
    on_case: &mut (dyn FnMut(CaseProgress<'_>) + Send),
) -> Result<RunReport, NotChecked> {
    let connecting = Instant::now();
    let connecting_to = Connection::connect(check.target, check.transport);
    let connected = match check.deadline {
        None => connecting_to.await,
        Some(deadline) => tokio::time::timeout_at(deadline, connecting_to)
            .await
            .map_err(|_| NotChecked::DeadlinePassed)?,
    };
    let connection = match connected {
        Ok(connection) => connection,
        Err(error) if error.server_misbehaved() => {
            return Ok(setup_failure_report(
                check.target,
                check.profile,
                &error,
                connecting.elapsed(),
                check.settings,
            ))
        }
        Err(error) => return Err(NotChecked::Unreachable(error)),
    };
    let driver = Driver::new(connection, check.protocol.clone(), check.gateway.clone());
    let run = RunScope {
        driver: &driver,
        suites: check.suites,
        expectations: check.expectations,
        settings: check.settings,
        profile: check.profile,
    };
    Ok(run.run(on_case, check.deadline).await)
}

/// The report of a run that ended at connection setup because the server accepted the
/// connection and then broke (or stalled in) TLS or HTTP/2 setup: one failed case,
/// `connection::setup`, with RPC-003 judged on the setup as the first call.
fn setup_failure_report(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eth::EthKey;
    use crate::runner::Outcome;

    /// Checks `target` with no suites: what the connection comes to.
    async fn check(
        target: &str,
        connect_timeout: Duration,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<RunReport, NotChecked> {
        let check = TargetCheck {
            target: &Target::parse(target).unwrap(),
            transport: &TransportOptions {
                connect_timeout,
                ..TransportOptions::default()
            },
            protocol: &Protocol::built_in(),
            gateway: &Gateway::from(&EthKey::random()),
            suites: &[],
            expectations: &Expectations::default(),
            settings: &RunSettings::default(),
            profile: "test",
            deadline,
        };
        check_target(check, &mut |_| {}).await
    }

    /// A port whose kernel completes the TCP handshake and then nothing answers: HTTP/2 setup stalls.
    fn stalling_port() -> std::net::TcpListener {
        std::net::TcpListener::bind("127.0.0.1:0").unwrap()
    }

    #[tokio::test]
    async fn a_setup_that_stalls_is_judged_as_the_setup_case() {
        let listener = stalling_port();
        let target = format!("http://{}", listener.local_addr().unwrap());
        let report = check(&target, Duration::from_millis(200), None).await.unwrap();
        assert!(report.ended_at_setup());
        assert_eq!(report.outcome(), Outcome::Findings);
    }

    #[tokio::test]
    async fn a_deadline_that_passes_while_connecting_leaves_the_target_unchecked() {
        let listener = stalling_port();
        let target = format!("http://{}", listener.local_addr().unwrap());
        let deadline = tokio::time::Instant::now() + Duration::from_millis(200);
        let checked = check(&target, TransportOptions::DEFAULT_CONNECT_TIMEOUT, Some(deadline)).await;
        assert!(matches!(checked, Err(NotChecked::DeadlinePassed)), "{checked:?}");
    }

    #[tokio::test]
    async fn nothing_listening_is_unreachable() {
        let address = stalling_port().local_addr().unwrap();
        let checked = check(&format!("http://{address}"), Duration::from_secs(1), None).await;
        assert!(matches!(checked, Err(NotChecked::Unreachable(_))), "{checked:?}");
    }
}
