//! Proves the checks both ways against the embedded orchestrator: clean, in
//! every configuration, it breaks no rule; with each fault it breaks the
//! rule the fault aims at (and no unrelated must-rule).

use std::time::Duration;

use crate::ambient::unix_now;
use crate::driver::Driver;
use crate::eth::EthKey;
use crate::expect::Expectations;
use crate::gateway::Gateway;
use crate::protocol::Protocol;
use crate::reference::{self, Fault, Preset, ReferenceConfig, RunningOrchestrator};
use crate::rules::{self, catalog, Context, ModeOverrides, RuleResult, Severity, Verdict};
use crate::runner::standard_probe;
use crate::transport::{Connection, TransportOptions};

/// What the operator declares for a case.
#[derive(Debug, Clone, Copy)]
pub enum Declared {
    /// Nothing: only the rules that need no expectations can fire.
    Nothing,
    /// The orchestrator's own configuration, as its operator would pass it.
    Configuration,
    /// These `--expect` flags.
    Flags(&'static [&'static str]),
}

impl Declared {
    /// The expectations this declaration stands for, against a started orchestrator.
    pub fn expectations(self, running: &RunningOrchestrator) -> Result<Expectations, String> {
        match self {
            Declared::Nothing => Ok(Expectations::default()),
            Declared::Configuration => Ok(running.expectations().clone()),
            Declared::Flags(flags) => {
                let flags: Vec<String> = flags.iter().map(|flag| flag.to_string()).collect();
                Expectations::parse_flags(&flags).map_err(|error| error.to_string())
            }
        }
    }
}

/// One fault, where to run it, and the rules it must fire.
#[derive(Debug, Clone, Copy)]
pub struct FaultCase {
    pub fault: Fault,
    pub preset: Preset,
    pub declared: Declared,
    /// The rules the fault breaks. More than one only where the catalog itself
    /// states a requirement twice (PRICE-001 and MATRIX-001, TICKET-001 and CFG-006).
    pub rules: &'static [&'static str],
}

const fn case(fault: Fault, preset: Preset, rules: &'static [&'static str]) -> FaultCase {
    FaultCase {
        fault,
        preset,
        declared: Declared::Nothing,
        rules,
    }
}

const fn declared(fault: Fault, preset: Preset, rules: &'static [&'static str]) -> FaultCase {
    FaultCase {
        fault,
        preset,
        declared: Declared::Configuration,
        rules,
    }
}

const fn flags(
    fault: Fault,
    preset: Preset,
    flags: &'static [&'static str],
    rules: &'static [&'static str],
) -> FaultCase {
    FaultCase {
        fault,
        preset,
        declared: Declared::Flags(flags),
        rules,
    }
}

use Preset::{Mixed, OffChainTranscoding as OffChain, OnChainMixed, OnChainTranscoding as OnChain};

/// Every fault case. Each rule an orchestrator can break appears here.
pub const FAULT_CASES: &[FaultCase] = &[
    case(Fault::NoTranscoder, OffChain, &["REQ-001"]),
    case(Fault::NoAddress, OffChain, &["REQ-002"]),
    case(Fault::NoPriceInfo, OnChain, &["REQ-003", "MATRIX-001"]),
    case(Fault::NoCapabilities, OffChain, &["REQ-004"]),
    case(Fault::NoTicketParams, OnChain, &["REQ-005"]),
    case(Fault::NoAuthToken, OffChain, &["REQ-006"]),
    case(Fault::BadServiceUri, OffChain, &["URI-001"]),
    case(Fault::WrongServiceUri, OffChain, &["URI-002"]),
    case(Fault::BadNodeUri, OffChain, &["URI-003"]),
    case(Fault::SelfAsNode, OffChain, &["URI-004"]),
    case(Fault::ShortAddress, OffChain, &["ADDR-001"]),
    case(Fault::PingTruncated, OnChain, &["IDENT-001"]),
    case(Fault::PingOtherKey, OnChain, &["IDENT-002"]),
    case(Fault::PingError, OffChain, &["IDENT-003"]),
    case(Fault::ZeroPixelsPerUnit, OnChain, &["PRICE-001", "MATRIX-001"]),
    case(Fault::NegativePrice, OnChain, &["PRICE-002"]),
    case(Fault::AiZeroPixels, OnChainMixed, &["PRICE-003"]),
    case(Fault::PriceForUnadvertised, Mixed, &["PRICE-004"]),
    case(Fault::PriceForUnlistedModel, Mixed, &["PRICE-005"]),
    case(Fault::DuplicatePrice, OnChainMixed, &["PRICE-006"]),
    flags(Fault::Expensive, OnChain, &["maxPricePerUnit=1000"], &["PRICE-008"]),
    case(Fault::TranscodingPriceForModels, OnChainMixed, &["PRICE-009"]),
    declared(Fault::RecipientNotAddress, OnChain, &["TICKET-001", "CFG-006"]),
    case(Fault::ZeroFaceValue, OnChain, &["TICKET-002"]),
    case(Fault::ZeroWinProb, OnChain, &["TICKET-003"]),
    case(Fault::ShortRandHash, OnChain, &["TICKET-004"]),
    case(Fault::NoSeed, OnChain, &["TICKET-005"]),
    case(Fault::ZeroExpirationBlock, OnChain, &["TICKET-006"]),
    case(Fault::NoExpirationParams, OnChain, &["TICKET-007"]),
    case(Fault::HighTicketEv, OnChain, &["TICKET-008"]),
    flags(Fault::StaleExpirationBlock, OnChain, &["l1Block=1000"], &["TICKET-009"]),
    case(Fault::ReusedTicketRand, OnChain, &["TICKET-010"]),
    case(Fault::EmptySessionId, OffChain, &["AUTH-001"]),
    case(Fault::ExpiredAuthToken, OffChain, &["AUTH-002"]),
    case(Fault::AcceptForgedToken, OffChain, &["AUTH-003"]),
    case(Fault::RejectIssuedToken, OffChain, &["AUTH-004"]),
    case(Fault::ShortLivedToken, OffChain, &["AUTH-005"]),
    case(Fault::ReusedSession, OffChain, &["AUTH-006"]),
    case(Fault::EmptyBitstring, OffChain, &["CAP-001"]),
    case(Fault::UnknownCapabilityBits, OffChain, &["CAP-002"]),
    case(Fault::MandatoriesNotAdvertised, OffChain, &["CAP-003"]),
    case(Fault::CapacityForUnadvertised, OffChain, &["CAP-004"]),
    case(Fault::ConstraintsForUnadvertised, Mixed, &["CAP-005"]),
    case(Fault::BadVersion, OffChain, &["CAP-006"]),
    case(Fault::AiCapabilityWithoutModels, Mixed, &["CAP-007"]),
    case(Fault::UnderflowedCapacity, Mixed, &["CAP-008"]),
    flags(
        Fault::OldVersion,
        OffChain,
        &["orchMinLivepeerVersion=0.9.0"],
        &["CAP-009"],
    ),
    flags(
        Fault::OldRunnerVersion,
        Mixed,
        &["aiMinRunnerVersion=0.14.0"],
        &["CAP-010"],
    ),
    case(Fault::MandatoryCapability, OffChain, &["CAP-011"]),
    case(Fault::PriceOnTranscoding, OffChain, &["MATRIX-002"]),
    case(Fault::AiModelWithoutPrice, OnChainMixed, &["MATRIX-003"]),
    case(Fault::AiWithoutHardware, Mixed, &["MATRIX-004"]),
    case(Fault::CodecWithoutCore, OffChain, &["MATRIX-005"]),
    case(Fault::AiPriceWithoutModel, OnChainMixed, &["MATRIX-006"]),
    case(Fault::HardwareUnknownPipeline, Mixed, &["HW-001"]),
    case(Fault::GpuMemoryOverTotal, Mixed, &["HW-002"]),
    case(Fault::S3WithoutInfo, OffChain, &["STORAGE-001"]),
    case(Fault::AcceptBadSignatures, OnChain, &["RPC-001"]),
    case(Fault::AcceptMalformedAddress, OnChain, &["RPC-002"]),
    case(Fault::StallPing, OffChain, &["RPC-003"]),
    case(Fault::GarbledResponse, OffChain, &["RPC-004"]),
    case(Fault::UnknownFieldOnWire, OffChain, &["SPEC-003"]),
    case(Fault::LeakInternals, OffChain, &["RPC-006"]),
    case(Fault::CappedIgnoresFlag, Mixed, &["RPC-007"]),
    case(Fault::SlowDiscovery, OffChain, &["RPC-008"]),
    declared(Fault::WrongServiceUri, OffChain, &["CFG-001"]),
    declared(Fault::WrongPrice, OnChain, &["CFG-002"]),
    // Off chain go-livepeer advertises the zero address, which an operator may declare.
    flags(
        Fault::WrongAddress,
        OffChain,
        &["ethAcctAddr=0x0000000000000000000000000000000000000000"],
        &["CFG-003"],
    ),
    // The advertised entry no longer agrees with the price answered for the model: PRICE-009 too.
    declared(Fault::WrongModelPrice, OnChainMixed, &["CFG-004", "PRICE-009"]),
    declared(Fault::ColdWarmModels, Mixed, &["CFG-005"]),
    flags(Fault::OverAdjustedPrice, OnChain, &["pricePerUnit=1000"], &["CFG-007"]),
];

/// Faults only fuzzed requests set off, with the rule each breaks. `selftest` sends no fuzzed
/// requests; `tests/live_fuzz.rs` proves `lpconform fuzz` finds each of them.
pub const FUZZ_FAULTS: &[(Fault, &str)] = &[
    (Fault::CrashOnHugeBitstring, "RPC-005"),
    (Fault::StallOnPingLength, "RPC-003"),
    (Fault::PanicOnTruncatedToken, "RPC-006"),
    (Fault::CrashOnMissingToken, "RPC-005"),
];

/// Rules no orchestrator can break, with the reason; the harness's own tests cover them.
pub const NOT_ORCHESTRATOR_FAULTS: &[(&str, &str)] = &[
    (
        "STORAGE-002",
        "a guarantee of the harness's redaction, tested with reports",
    ),
    (
        "RPC-005",
        "needs fuzzed requests; tests/live_fuzz.rs proves it with the crash-on-huge-bitstring fault",
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

/// Runs the clean configurations, then every fault case.
pub async fn run_selftest(call_timeout: Duration) -> Vec<CaseOutcome> {
    let mut outcomes = Vec::new();
    for preset in Preset::ALL {
        outcomes.push(run_clean(preset, call_timeout).await);
    }
    for case in FAULT_CASES {
        outcomes.push(run_fault(case, call_timeout).await);
    }
    outcomes
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

/// Starts the orchestrator, probes it as `lpconform run` does, and evaluates the catalog.
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
    let expectations = declared.expectations(&running)?;
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
    fn every_fault_is_exercised() {
        use clap::ValueEnum;
        for fault in Fault::value_variants() {
            assert!(
                FAULT_CASES.iter().any(|case| case.fault == *fault)
                    || FUZZ_FAULTS.iter().any(|(fuzz_fault, _)| fuzz_fault == fault),
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
