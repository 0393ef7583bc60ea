//! Running one case: its calls made through the driver (the discovery requests built from the
//! suite's choices), a step report per call, the case's rules evaluated on what came back and
//! its snapshot compared.

use std::time::{Duration, Instant};

use crate::ambient::{random_bytes, unix_now};
use crate::driver::{Driver, Exchange};
use crate::eth::Address;
use crate::expect::Expectations;
use crate::gateway::{forged_auth_token, forged_orchestrator_request, signed_orchestrator_request, Gateway};
use crate::observe::{CallError, Observation};
use crate::openapi::OpenApiDocument;
use crate::proto::net::{Capabilities, OrchestratorRequest};
use crate::protocol::INFO_PATH;
use crate::rules::{self, evaluate_rule, Context, ModeOverrides, Modes};
use crate::runner::steps::{answer_step, legitimate_refusal, no_issued_token, per_model_step, step_report};
use crate::runner::{judged_status, CaseReport, CaseStatus, StepOutcome, StepReport};
use crate::snapshot::{snapshot_view, SnapshotStore};
use crate::suite::{AddressChoice, CallSpec, Case, CaseMode, DiscoveryRequest, PingValue};
use crate::suite::{SignatureChoice, Step, Suite, TokenChoice};
use crate::transport::TransportOptions;

/// Most `nodes` a run follows (URI-004), so a long list costs bounded time.
pub const MAX_FOLLOWED_NODES: usize = 8;

/// How to run: strictness, case filter, mode overrides, snapshots, the OpenAPI document. The
/// default is the plainest run: not strict, every case, modes as detected, nothing compared.
#[derive(Debug, Clone, Default)]
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
    match case.mode {
        CaseMode::All => true,
        CaseMode::Onchain => modes.onchain,
        CaseMode::Offchain => !modes.onchain,
        CaseMode::Transcoding => modes.transcoding,
        CaseMode::Ai => modes.ai,
    }
}

/// Runs one case.
pub async fn run_case(context: &CaseContext<'_>, suite: &Suite, case: &Case) -> CaseReport {
    run_case_watching(context, suite, case).await.0
}

/// Runs one case, and tells whether the target stopped answering in it (a discovery call timed
/// out), so the run makes no more calls that would each wait out their deadline.
pub(super) async fn run_case_watching(context: &CaseContext<'_>, suite: &Suite, case: &Case) -> (CaseReport, bool) {
    let CaseContext {
        driver,
        expectations,
        settings,
        modes,
    } = *context;
    let started = Instant::now();
    let mut report = CaseReport::new(&suite.name, &case.id, &case.description, CaseStatus::Passed);
    if !case_applies(case, modes) {
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
    if let (Some(store), Some(name), Some(info)) = (&settings.snapshots, &case.snapshot, observation.grpc.info.answer())
    {
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

/// Makes the case's calls through the driver, which files each answer where the rules look for
/// it. The first signed discovery is the case's `info`; a case that makes none (or needs the
/// issued token first) gets one up front. Once a discovery call timed out the target has
/// stopped answering: the remaining calls are not made (one failed step says so), and the
/// second value is true.
pub(super) async fn observe_case(
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
                let label = format!("{} (scripted)", exchange.sent.name());
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
