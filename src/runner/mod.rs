//! Runs suite cases against one connected orchestrator and returns the
//! results as data for the reporters: per case, each call's outcome against
//! what the suite expected, the rules evaluated on what came back, and the
//! snapshot comparison.

pub mod known_failures;

use std::time::{Duration, Instant};

use bytes::Bytes;
use prost::Message as _;

use crate::ambient::{random_bytes, unix_now};
pub use crate::driver::SentRequest;
use crate::driver::{Driver, Exchange};
use crate::eth::Address;
use crate::expect::Expectations;
use crate::gateway::{forged_auth_token, forged_orchestrator_request, signed_orchestrator_request, Gateway};
use crate::observe::{Call, CallError, CapabilityDiscovery, ModelRef, NewerField, Observation};
use crate::openapi::OpenApiDocument;
use crate::proto::net::{Capabilities, OrchestratorInfo, OrchestratorRequest};
use crate::protocol::INFO_PATH;
use crate::rules::{self, evaluate_rule, Context, ModeOverrides, Modes, RuleResult, Verdict};
use crate::runner::known_failures::KnownFailureCheck;
use crate::snapshot::{snapshot_view, SnapshotCheck, SnapshotStatus, SnapshotStore};
use crate::suite::{standard_case, SignatureChoice, Step, Suite, TokenChoice};
use crate::suite::{
    AddressChoice, AnswerCheck, CallSpec, Case, CaseMode, DiscoveryRequest, ExpectedOutcome, PingValue,
};
use crate::transport::{Target, TransportError, TransportOptions};

/// Most `nodes` a run follows (URI-004), so a long list costs bounded time.
pub const MAX_FOLLOWED_NODES: usize = 8;

/// How to run: strictness, case filter, mode overrides, snapshots, the OpenAPI document.
#[derive(Debug, Clone)]
pub struct RunSettings {
    pub strict: bool,
    /// Substring a case's `suite::case` name must contain.
    pub case_filter: Option<String>,
    pub overrides: ModeOverrides,
    /// Where the cases' snapshots are compared; `None` compares none and writes nothing.
    pub snapshots: Option<SnapshotStore>,
    /// What the SPEC rules judge by; without one they skip.
    pub openapi: Option<OpenApiDocument>,
    /// `--follow-nodes`: how to dial each of the answer's `nodes`; `None` never dials them.
    pub follow_nodes: Option<TransportOptions>,
}

/// The whole run.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub target: String,
    pub profile: String,
    pub modes: Modes,
    /// The discovery answer of the baseline probe, for the capability matrix.
    pub info: Option<OrchestratorInfo>,
    /// Fields of that answer only the loaded (newer) proto names, shown with it.
    pub newer_fields: Vec<NewerField>,
    pub strict: bool,
    pub cases: Vec<CaseReport>,
    pub elapsed: Duration,
    /// The gateway address, when the orchestrator refused discovery with `insufficient sender
    /// reserve`: a fact about the run's identity, not the orchestrator (exit 2).
    pub unfunded_gateway: Option<Address>,
    /// How the operator's known-failures list fared (`--known-failures`); `None` without one.
    pub known_failures: Option<KnownFailureCheck>,
    /// Why the run stopped before its last case, if it did: the later cases are not run.
    pub ended_early: Option<EndedEarly>,
}

/// Why a run stopped before its last case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedEarly {
    /// The target connected, then a discovery call timed out: it stopped answering.
    StoppedAnswering,
    /// The run's own deadline passed (`sweep --target-timeout`); the cases before it finished.
    DeadlinePassed,
}

impl CaseReport {
    /// A case before anything of it ran: no steps, rules or snapshot yet, no time taken.
    pub fn new(suite: &str, id: &str, description: &str, status: CaseStatus) -> CaseReport {
        CaseReport {
            suite: suite.to_string(),
            id: id.to_string(),
            description: description.to_string(),
            status,
            steps: Vec::new(),
            rules: Vec::new(),
            snapshot: None,
            elapsed: Duration::ZERO,
        }
    }

    /// `suite::case`, the name tests, reports and `--case` use.
    pub fn name(&self) -> String {
        format!("{}::{}", self.suite, self.id)
    }
}

impl RunReport {
    /// Whether the run ended at connection setup: its one case is the setup, no suite ran.
    pub fn ended_at_setup(&self) -> bool {
        self.cases.iter().any(|case| case.suite == SETUP_SUITE)
    }

    pub fn count(&self, wanted: CaseStatusKind) -> usize {
        self.cases.iter().filter(|case| case.status.kind() == wanted).count()
    }

    /// Steps whose exchange broke in transport after setup: no verdict on their answers.
    pub fn harness_errors(&self) -> usize {
        self.cases
            .iter()
            .flat_map(|case| &case.steps)
            .filter(|step| step.outcome == StepOutcome::HarnessError)
            .count()
    }

    /// Whether the run found something wrong with the orchestrator itself: what [`failed`]
    /// counts, less cases that failed only by harness errors.
    ///
    /// [`failed`]: RunReport::failed
    pub fn has_findings(&self) -> bool {
        let stale = self
            .known_failures
            .as_ref()
            .is_some_and(|check| check.stale().next().is_some());
        let finding = |case: &CaseReport| {
            let judged_steps = CaseReport {
                steps: (case.steps.iter())
                    .filter(|step| step.outcome != StepOutcome::HarnessError)
                    .cloned()
                    .collect(),
                ..case.clone()
            };
            case.status == CaseStatus::Failed && judged_status(&judged_steps, self.strict) == CaseStatus::Failed
        };
        stale || self.cases.iter().any(finding)
    }

    /// Whether the run fails: a failed case (warnings count under `strict`,
    /// which the case status already reflects), or a stale known-failures entry.
    pub fn failed(&self) -> bool {
        let stale = self
            .known_failures
            .as_ref()
            .is_some_and(|check| check.stale().next().is_some());
        self.count(CaseStatusKind::Failed) > 0 || stale
    }
}

#[derive(Debug, Clone)]
pub struct CaseReport {
    /// The suite's name (its file's stem), or `connection` for the setup of the connection.
    pub suite: String,
    /// The case's id within its suite.
    pub id: String,
    pub description: String,
    pub status: CaseStatus,
    pub steps: Vec<StepReport>,
    pub rules: Vec<RuleResult>,
    pub snapshot: Option<SnapshotCheck>,
    pub elapsed: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseStatus {
    Passed,
    /// Only should-rules broke, or a snapshot is not yet recorded.
    Warned,
    Failed,
    Skipped(String),
    /// Nothing failed but rules the known-failures list accepts for now.
    KnownFailure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseStatusKind {
    Passed,
    Warned,
    Failed,
    Skipped,
    KnownFailure,
}

impl CaseStatus {
    pub fn kind(&self) -> CaseStatusKind {
        match self {
            CaseStatus::Passed => CaseStatusKind::Passed,
            CaseStatus::Warned => CaseStatusKind::Warned,
            CaseStatus::Failed => CaseStatusKind::Failed,
            CaseStatus::Skipped(_) => CaseStatusKind::Skipped,
            CaseStatus::KnownFailure => CaseStatusKind::KnownFailure,
        }
    }
}

/// One call of a case: what was asked for and what happened.
#[derive(Debug, Clone)]
pub struct StepReport {
    pub call: String,
    pub expected: String,
    pub actual: String,
    pub outcome: StepOutcome,
    pub elapsed: Duration,
    /// Why the case cannot be judged although the orchestrator did nothing wrong: it is at
    /// capacity, or the gateway identity is unfunded. The case is then skipped with this reason.
    pub not_judged: Option<String>,
    /// The gRPC request exactly as sent, kept when the call failed its step or was refused, so
    /// reports can show how to reproduce it without lpconform.
    pub request: Option<SentRequest>,
    /// How to resend `request` with grpcurl, once the CLI has built it from the loaded proto
    /// (`report::reproducer`); `None` until then.
    pub reproducer: Option<String>,
}

/// Why a refusal to a discovery is no fault of the orchestrator's, if it is none.
fn legitimate_refusal(error: &CallError, ignore_capacity_check: bool) -> Option<String> {
    if error.is_insufficient_reserve() {
        return Some("the gateway identity is unfunded (insufficient sender reserve): see the note at the top".into());
    }
    (error.is_capped() && !ignore_capacity_check).then(|| {
        "the orchestrator is at capacity (OrchestratorCapped), a legitimate answer without ignoreCapacityCheck".into()
    })
}

impl StepReport {
    pub fn passed(&self) -> bool {
        self.outcome == StepOutcome::Passed
    }

    /// Keeps the request when the step failed or the call was refused (see [`StepReport::request`]).
    fn keep_request_if<T>(mut self, outcome: &Result<T, CallError>, request: &SentRequest) -> Self {
        if !self.passed() || outcome.is_err() {
            self.request = Some(request.clone());
        }
        self
    }
}

/// How a step ended: kept apart are what the orchestrator did and what broke in transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// What happened meets what the suite expects.
    Passed,
    /// The answer, status, timeout or undecodable bytes are not what the suite expects: a finding.
    Failed,
    /// The exchange broke in transport after setup (a reset stream, an answer carrying no gRPC
    /// status such as an HTTP error page): an error of the step, not a verdict on the answer.
    HarnessError,
}

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

/// [`run_suites`] that stops at `deadline`: the case running then and the later ones are
/// reported as not run, and the report ends early ([`EndedEarly::DeadlinePassed`]) keeping the
/// cases that finished.
pub async fn run_suites_until(
    driver: &Driver,
    suites: &[Suite],
    expectations: &Expectations,
    settings: &RunSettings,
    profile: &str,
    deadline: tokio::time::Instant,
) -> RunReport {
    let run = RunScope {
        driver,
        suites,
        expectations,
        settings,
        profile,
    };
    run.run(&mut |_| {}, Some(deadline)).await
}

/// What one run reads.
struct RunScope<'a> {
    driver: &'a Driver,
    suites: &'a [Suite],
    expectations: &'a Expectations,
    settings: &'a RunSettings,
    profile: &'a str,
}

impl RunScope<'_> {
    async fn run(
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
            .info
            .outcome
            .as_ref()
            .is_err_and(CallError::is_insufficient_reserve);
        let newer_fields = baseline.newer_fields;
        // The baseline answer waits for the report as its bytes, decoded again at the end: a long
        // answer is not held decoded beside each case's own while the cases run.
        drop(baseline.info);
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

/// The suite name of the one case of a run that ended at connection setup (`connection::setup`).
pub const SETUP_SUITE: &str = "connection";

/// Why the cases after a run ended early are not run. Once a discovery call timed out each
/// would wait out its deadline too.
pub fn not_run_reason(ended: EndedEarly) -> &'static str {
    match ended {
        EndedEarly::StoppedAnswering => "not run: the target stopped answering (a discovery call timed out)",
        EndedEarly::DeadlinePassed => "not run: the target deadline passed",
    }
}

/// What mode detection reads: the signed discovery answer and, when that came, a Ping. A target
/// that stalls costs one deadline here, not one per call of the full probe. Beside it, the
/// discovery answer's bytes when they decoded (the run's report decodes them again).
async fn detection_probe(driver: &Driver) -> (Observation, Option<Bytes>) {
    let mut recorder = driver.recorder();
    let discovery = driver
        .discover(signed_orchestrator_request(driver.gateway()), &mut recorder)
        .await;
    if !matches!(discovery.answer, Err(CallError::Timeout(_))) {
        driver.ping(random_bytes(32), &mut recorder).await;
    }
    let observation = recorder.finish();
    let answer = discovery.answer.ok().filter(|_| observation.info.outcome.is_ok());
    (observation, answer)
}

/// Runs the standard calls ([`standard_case`]) as `run` runs a case, and returns what
/// came back: what `selftest` judges the reference orchestrator by.
pub async fn standard_probe(driver: &Driver) -> Observation {
    let settings = RunSettings {
        strict: false,
        case_filter: None,
        overrides: ModeOverrides::default(),
        snapshots: None,
        openapi: None,
        follow_nodes: None,
    };
    let mut steps = Vec::new();
    observe_case(driver, &standard_case(), &settings, &mut steps).await.0
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

fn applies(mode: CaseMode, modes: Modes) -> bool {
    match mode {
        CaseMode::All => true,
        CaseMode::Onchain => modes.onchain,
        CaseMode::Offchain => !modes.onchain,
        CaseMode::Transcoding => modes.transcoding,
        CaseMode::Ai => modes.ai,
    }
}

/// What every case of a run shares.
pub struct CaseContext<'a> {
    pub driver: &'a Driver,
    pub expectations: &'a Expectations,
    pub settings: &'a RunSettings,
    /// Detected from a baseline probe, then overridden.
    pub modes: Modes,
}

/// Whether a case applies to an orchestrator in these modes.
pub fn case_applies(case: &Case, modes: Modes) -> bool {
    applies(case.mode, modes)
}

/// Runs one case.
pub async fn run_case(context: &CaseContext<'_>, suite: &Suite, case: &Case) -> CaseReport {
    run_case_watching(context, suite, case).await.0
}

/// Runs one case, and tells whether the target stopped answering in it (a discovery call timed
/// out), so the run makes no more calls that would each wait out their deadline.
async fn run_case_watching(context: &CaseContext<'_>, suite: &Suite, case: &Case) -> (CaseReport, bool) {
    let CaseContext {
        driver,
        expectations,
        settings,
        modes,
    } = *context;
    let started = Instant::now();
    let mut report = CaseReport::new(&suite.name, &case.id, &case.description, CaseStatus::Passed);
    if !applies(case.mode, modes) {
        report.status = CaseStatus::Skipped(format!("applies to `{:?}` orchestrators", case.mode).to_lowercase());
        return (report, false);
    }

    let (observation, stopped) = observe_case(driver, case, settings, &mut report.steps).await;
    // The run's modes, from the baseline probe: a case that makes one call cannot tell on its own.
    let mut context = Context::new(&observation, expectations, settings.overrides, unix_now()).with_modes(modes);
    if let Some(document) = &settings.openapi {
        context = context.with_openapi(document);
    }
    report.rules = case
        .rules
        .iter()
        .filter_map(|id| rules::rule(id))
        .map(|rule| evaluate_rule(rule, &context))
        .collect();
    if let (Some(store), Some(name), Some(info)) = (&settings.snapshots, &case.snapshot, observation.info.answer()) {
        let content = snapshot_view(info, &observation.newer_fields, &observation.target);
        report.snapshot = Some(store.check(&suite.name, name, &report.name(), &content));
    }
    report.status = match report.steps.iter().find_map(|step| step.not_judged.clone()) {
        Some(reason) => CaseStatus::Skipped(reason),
        None => judged_status(&report, settings.strict),
    };
    report.elapsed = started.elapsed();
    (report, stopped)
}

/// The status of a case that ran, from its steps, rules and snapshot; also used again once
/// known failures are marked.
pub(crate) fn judged_status(report: &CaseReport, strict: bool) -> CaseStatus {
    let rule_failed = crate::rules::failed(&report.rules, strict);
    let rule_warned = report.rules.iter().any(|result| result.verdict == Verdict::Warn);
    let snapshot = report.snapshot.as_ref().map(|check| &check.status);
    let snapshot_changed = matches!(snapshot, Some(SnapshotStatus::Changed { .. }));
    let snapshot_missing = matches!(snapshot, Some(SnapshotStatus::Missing));
    let step_failed = report.steps.iter().any(|step| !step.passed());
    if step_failed || rule_failed || snapshot_changed {
        CaseStatus::Failed
    } else if rule_warned || snapshot_missing {
        CaseStatus::Warned
    } else if report
        .rules
        .iter()
        .any(|result| matches!(result.verdict, Verdict::KnownFailure(_)))
    {
        CaseStatus::KnownFailure
    } else {
        CaseStatus::Passed
    }
}

/// Makes the case's calls through the driver, which files each answer where the rules look for
/// it. The first signed discovery is the case's `info`; a case that makes none (or needs the
/// issued token first) gets one up front. Once a discovery call timed out the target has
/// stopped answering: the remaining calls are not made (one failed step says so), and the
/// second value is true.
async fn observe_case(
    driver: &Driver,
    case: &Case,
    settings: &RunSettings,
    steps: &mut Vec<StepReport>,
) -> (Observation, bool) {
    let timed_out = |exchange: &Exchange| matches!(exchange.answer, Err(CallError::Timeout(_)));
    let is_plain_discovery = |step: &Step| {
        matches!(&step.call, CallSpec::GetOrchestrator(request)
            if request.signature == SignatureChoice::Valid && request.address == AddressChoice::Gateway)
    };
    let mut recorder = driver.recorder();
    let mut stopped = false;
    if !case.steps.first().is_some_and(is_plain_discovery) {
        let up_front = driver
            .discover(signed_orchestrator_request(driver.gateway()), &mut recorder)
            .await;
        stopped = timed_out(&up_front);
    }
    for (position, step) in case.steps.iter().enumerate() {
        if stopped {
            steps.push(StepReport {
                call: format!("the case's {} remaining calls", case.steps.len() - position),
                expected: "made and answered".into(),
                actual: "not made: the target stopped answering".into(),
                outcome: StepOutcome::Failed,
                elapsed: Duration::ZERO,
                not_judged: None,
                request: None,
                reproducer: None,
            });
            break;
        }
        match &step.call {
            CallSpec::GetOrchestrator(request) => {
                let exchange = driver
                    .discover(discovery_request(driver.gateway(), request), &mut recorder)
                    .await;
                stopped = timed_out(&exchange);
                let outcome = exchange.result();
                let mut report = step_report(step, describe_discovery(request), &outcome, exchange.elapsed);
                if let Err(error) = &outcome {
                    report.not_judged = legitimate_refusal(error, request.ignore_capacity_check);
                    // A capacity refusal despite the flag is RPC-007's to judge (a should-rule:
                    // go-livepeer checks -maxSessions first), not a failed step.
                    let capped_despite_flag = error.is_capped() && request.ignore_capacity_check;
                    if report.not_judged.is_some() || capped_despite_flag {
                        report.outcome = StepOutcome::Passed;
                    }
                }
                steps.push(report.keep_request_if(&outcome, &exchange.sent));
            }
            CallSpec::Ping { value } => {
                let value = match value {
                    PingValue::Random => random_bytes(32),
                    PingValue::Fixed(bytes) => bytes.clone(),
                };
                let exchange = driver.ping(value, &mut recorder).await;
                let outcome = exchange.result();
                steps.push(
                    step_report(step, "Ping".into(), &outcome, exchange.elapsed)
                        .keep_request_if(&outcome, &exchange.sent),
                );
            }
            CallSpec::EndSession { token } => {
                let issued = recorder.info().and_then(|info| info.auth_token.clone());
                let label = format!(
                    "EndTranscodingSession ({} token)",
                    if *token == TokenChoice::Issued {
                        "issued"
                    } else {
                        "forged"
                    }
                );
                let auth_token = match (token, issued) {
                    (TokenChoice::Forged, _) => forged_auth_token(),
                    (TokenChoice::Issued, Some(issued)) => issued,
                    (TokenChoice::Issued, None) => {
                        steps.push(no_issued_token(step, label, recorder.info_call()));
                        continue;
                    }
                };
                let exchange = driver
                    .end_session(auth_token, *token == TokenChoice::Issued, &mut recorder)
                    .await;
                let outcome = exchange.result();
                let report = step_report(step, label, &outcome, exchange.elapsed);
                steps.push(report.keep_request_if(&outcome, &exchange.sent));
            }
            CallSpec::InfoJson => {
                let started = Instant::now();
                let outcome = driver.info_json(&mut recorder).await;
                steps.push(step_report(
                    step,
                    format!("GET {INFO_PATH}"),
                    &outcome,
                    started.elapsed(),
                ));
            }
            CallSpec::PerModelDiscovery => {
                let discoveries = driver.discover_models(&mut recorder).await;
                steps.push(per_model_step(step, &discoveries));
            }
            CallSpec::FollowNodes => {
                if let Some(options) = &settings.follow_nodes {
                    let nodes = recorder.info().map(|answer| answer.nodes.clone()).unwrap_or_default();
                    let followed = driver.follow_nodes(&nodes, options, MAX_FOLLOWED_NODES).await;
                    let answered = followed.iter().filter(|node| node.call.outcome.is_ok()).count();
                    steps.push(StepReport {
                        call: format!("GetOrchestrator to each of {} nodes", followed.len()),
                        expected: "answers or refusals within the deadline".into(),
                        actual: format!("{answered} answered"),
                        outcome: StepOutcome::Passed,
                        elapsed: followed.iter().map(|node| node.call.elapsed).sum(),
                        not_judged: None,
                        request: None,
                        reproducer: None,
                    });
                    recorder.observe_followed_nodes(followed);
                }
            }
            CallSpec::Scripted(scripted) => {
                let (exchange, answer) = driver
                    .scripted(&scripted.method, scripted.request.clone(), scripted.sign, &mut recorder)
                    .await;
                stopped = timed_out(&exchange);
                let outcome = answer.outcome.as_ref().map(drop).map_err(Clone::clone);
                let label = format!("{} (scripted)", exchange.sent.method);
                let report = step_report(step, label, &outcome, exchange.elapsed);
                steps.push(report.keep_request_if(&outcome, &exchange.sent));
                if let Ok(answer) = &answer.outcome {
                    steps.extend(step.answer.iter().map(|check| answer_step(check, answer)));
                }
            }
        }
    }
    (recorder.finish(), stopped)
}

/// The step of an EndTranscodingSession with the issued token when the discovery issued none:
/// not made. Passed with the reason when discovery was legitimately refused (nothing to judge),
/// failed otherwise.
fn no_issued_token(step: &Step, label: String, info: Option<&Call<OrchestratorInfo>>) -> StepReport {
    let refused = info.and_then(|call| call.outcome.as_ref().err());
    let not_judged = refused.and_then(|error| legitimate_refusal(error, false));
    StepReport {
        call: label,
        expected: step_report(step, String::new(), &Ok(()), Duration::ZERO).expected,
        actual: "not made: the discovery answer carried no auth token".into(),
        outcome: if not_judged.is_some() {
            StepOutcome::Passed
        } else {
            StepOutcome::Failed
        },
        elapsed: Duration::ZERO,
        not_judged,
        request: None,
        reproducer: None,
    }
}

/// One `answer:` check of a scripted call, as a step of its own.
fn answer_step(check: &AnswerCheck, answer: &prost_reflect::DynamicMessage) -> StepReport {
    let (actual, passed) = check.judge(answer);
    StepReport {
        call: format!("answer {}", check.path),
        expected: check.expected(),
        actual,
        outcome: if passed {
            StepOutcome::Passed
        } else {
            StepOutcome::Failed
        },
        elapsed: Duration::ZERO,
        not_judged: None,
        request: None,
        reproducer: None,
    }
}

/// The step of a `get_orchestrator_per_model` call: every discovery answered, or refused for a
/// reason that is no fault of the orchestrator's.
fn per_model_step(step: &Step, discoveries: &[CapabilityDiscovery]) -> StepReport {
    let failed: Vec<String> = discoveries
        .iter()
        .filter_map(|discovery| {
            let error = discovery.call.outcome.as_ref().err()?;
            let named: Vec<&str> = discovery
                .models
                .iter()
                .map(|model: &ModelRef| model.model_id.as_str())
                .collect();
            Some(format!("{}: {error}", named.join(" + ")))
        })
        .collect();
    let not_judged = discoveries.iter().find_map(|discovery| {
        let error = discovery.call.outcome.as_ref().err()?;
        legitimate_refusal(error, discovery.ignore_capacity_check)
    });
    let only_capped = discoveries
        .iter()
        .all(|discovery| discovery.call.outcome.as_ref().err().is_none_or(CallError::is_capped));
    StepReport {
        call: format!(
            "GetOrchestrator naming each priced model ({} requests)",
            discoveries.len()
        ),
        expected: match step.expect {
            ExpectedOutcome::Ok => "an answer to each".into(),
            _ => "answers or statuses".into(),
        },
        actual: if failed.is_empty() {
            "an answer to each".into()
        } else {
            failed.join("; ")
        },
        // Capacity refusals (these requests set ignoreCapacityCheck) are RPC-007's and PRICE-009's
        // to judge, as for a single discovery.
        outcome: if only_capped || step.expect != ExpectedOutcome::Ok || not_judged.is_some() {
            StepOutcome::Passed
        } else {
            StepOutcome::Failed
        },
        elapsed: discoveries.iter().map(|discovery| discovery.call.elapsed).sum(),
        not_judged,
        request: None,
        reproducer: None,
    }
}

fn discovery_request(gateway: &Gateway, spec: &DiscoveryRequest) -> OrchestratorRequest {
    let mut request = signed_orchestrator_request(gateway.clone());
    match spec.signature {
        SignatureChoice::Valid => {}
        SignatureChoice::Forged => {
            request.sig = forged_orchestrator_request(gateway).sig;
        }
        SignatureChoice::None => request.sig.clear(),
    }
    match spec.address {
        AddressChoice::Gateway => {}
        AddressChoice::Short => request.address.truncate(19),
        AddressChoice::Long => request.address.push(0),
        AddressChoice::Empty => request.address.clear(),
        AddressChoice::Zero => {
            request.address = vec![0; Address::LEN];
            request.sig.clear();
        }
    }
    request.capabilities = spec.capabilities.as_ref().map(|numbers| Capabilities {
        bitstring: crate::capability::encode_bitstring(numbers.iter().copied()),
        ..Default::default()
    });
    request.ignore_capacity_check = spec.ignore_capacity_check;
    request
}

fn describe_discovery(request: &DiscoveryRequest) -> String {
    let mut parts = Vec::new();
    match request.signature {
        SignatureChoice::Valid => {}
        SignatureChoice::Forged => parts.push("forged signature"),
        SignatureChoice::None => parts.push("no signature"),
    }
    match request.address {
        AddressChoice::Gateway => {}
        AddressChoice::Short => parts.push("19-byte address"),
        AddressChoice::Long => parts.push("21-byte address"),
        AddressChoice::Empty => parts.push("empty address"),
        AddressChoice::Zero => parts.push("zero address, no signature, as off-chain gateways send"),
    }
    if request.capabilities.is_some() {
        parts.push("with capabilities");
    }
    if parts.is_empty() {
        "GetOrchestrator (signed)".into()
    } else {
        format!("GetOrchestrator ({})", parts.join(", "))
    }
}

fn step_report<T>(step: &Step, call: String, outcome: &Result<T, CallError>, elapsed: Duration) -> StepReport {
    let expected = match (step.expect, step.code, &step.message) {
        (ExpectedOutcome::Ok, _, _) => "an answer".to_string(),
        (ExpectedOutcome::Any, _, _) if step.call == CallSpec::InfoJson => {
            "an answer or a refusal within the deadline".to_string()
        }
        (ExpectedOutcome::Any, _, _) => "an answer or a status".to_string(),
        (ExpectedOutcome::Error, code, message) => {
            let mut text = "a gRPC error".to_string();
            if let Some(code) = code {
                text.push_str(&format!(" with code {code:?}"));
            }
            if let Some(message) = message {
                text.push_str(&format!(" matching /{message}/"));
            }
            text
        }
    };
    let passed = match (step.expect, outcome) {
        (ExpectedOutcome::Ok, Ok(_)) => true,
        (ExpectedOutcome::Any, Ok(_) | Err(CallError::Status { .. } | CallError::Http(_))) => true,
        // Plain HTTP is optional for an orchestrator: a gRPC-only server may refuse it any way
        // (404, a reset stream), as long as it does so within the deadline.
        (ExpectedOutcome::Any, Err(CallError::Transport(_) | CallError::Decode(_))) => step.call == CallSpec::InfoJson,
        (ExpectedOutcome::Error, Err(CallError::Status { code, message })) => {
            step.code.is_none_or(|wanted| wanted == *code)
                && step.message.as_ref().is_none_or(|pattern| pattern.is_match(message))
        }
        _ => false,
    };
    let actual = match outcome {
        Ok(_) => "an answer".to_string(),
        Err(error) => error.to_string(),
    };
    let outcome = match outcome {
        _ if passed => StepOutcome::Passed,
        Err(CallError::Transport(_)) => StepOutcome::HarnessError,
        _ => StepOutcome::Failed,
    };
    StepReport {
        call,
        expected,
        actual,
        outcome,
        elapsed,
        not_judged: None,
        request: None,
        reproducer: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_that_timed_out_passes_no_step() {
        let timeout: Result<(), CallError> = Err(CallError::Timeout(Duration::from_secs(1)));
        for call in [
            CallSpec::InfoJson,
            CallSpec::Ping {
                value: PingValue::Random,
            },
        ] {
            for expect in [ExpectedOutcome::Ok, ExpectedOutcome::Any, ExpectedOutcome::Error] {
                let step = Step {
                    call: call.clone(),
                    expect,
                    code: None,
                    message: None,
                    answer: Vec::new(),
                };
                let report = step_report(&step, "call".into(), &timeout, Duration::from_secs(1));
                assert_eq!(
                    report.outcome,
                    StepOutcome::Failed,
                    "{call:?} expecting {expect:?} on a timeout"
                );
            }
        }
    }
}
