//! `cargo test --test conformance`: every suite case as a named test
//! (`discovery::signed_request` …), so `cargo test --test conformance -- pricing`
//! filters. The target comes from LPCONFORM_TARGET (expectations from
//! LPCONFORM_EXPECT_<KEY>, e.g. LPCONFORM_EXPECT_PRICEPERUNIT=1000); without
//! it the embedded orchestrator runs on chain with transcoding and AI models. LPCONFORM_PROTO
//! names the protocol to load (a directory or .proto file, as `--proto`), else ./proto.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use lpconform::ai_models::load_ai_models;
use lpconform::driver::Driver;
use lpconform::eth::EthKey;
use lpconform::expect::{flags_from_env, Expectations};
use lpconform::gateway::Gateway;
use lpconform::openapi::OpenApiDocument;
use lpconform::protocol::Protocol;
use lpconform::reference::{self, ChainMode, ReferenceConfig, RunningOrchestrator, TargetOrEmbedded};
use lpconform::report::terminal::render_run;
use lpconform::rules::Modes;
use lpconform::runner::{case_applies, run_case, standard_probe, CaseContext, CaseStatus, RunReport, RunSettings};
use lpconform::snapshot::SnapshotStore;
use lpconform::suite::{self, Suite};
use lpconform::transport::{Connection, Target, TransportOptions};

/// The connection and settings all trials share.
struct Shared {
    runtime: tokio::runtime::Runtime,
    driver: Driver,
    expectations: Expectations,
    settings: RunSettings,
    modes: Modes,
    profile: String,
    /// Keeps the embedded orchestrator alive while the trials run.
    _embedded: Option<(RunningOrchestrator, ReferenceConfig)>,
}

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// LPCONFORM_PROTO, else the repository's proto/.
fn proto() -> Result<Protocol, String> {
    let path = std::env::var_os("LPCONFORM_PROTO").map_or_else(|| repository().join("proto"), PathBuf::from);
    Protocol::load(&path).map_err(|error| format!("LPCONFORM_PROTO: {error}"))
}

fn setup(proto: Protocol) -> Result<Shared, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| error.to_string())?;
    let target = match std::env::var("LPCONFORM_TARGET").ok().filter(|text| !text.is_empty()) {
        Some(text) => Some(Target::parse(&text).map_err(|error| format!("LPCONFORM_TARGET {error}"))?),
        None => None,
    };
    let TargetOrEmbedded { target, embedded } = runtime
        .block_on(TargetOrEmbedded::start(target, || {
            let models = load_ai_models(&repository().join("fixtures/aiModels.json"))?;
            Ok::<_, Box<dyn std::error::Error>>(ReferenceConfig {
                chain: ChainMode::OnChain,
                ai_models: models,
                eth_key: reference::well_known_key(),
                ..ReferenceConfig::loopback()
            })
        }))
        .map_err(|error| error.to_string())?;
    let mut expectations = match &embedded {
        Some((running, _)) => running.expectations().clone(),
        None => Expectations::default(),
    };
    let flags = flags_from_env(std::env::vars());
    if !flags.is_empty() {
        expectations = Expectations::parse_flags(&flags).map_err(|error| error.to_string())?;
    }
    let profile = std::env::var("LPCONFORM_PROFILE").unwrap_or_else(|_| match &embedded {
        Some(_) => "embedded-onchain-transcoding-ai".to_string(),
        None => target.authority().replace(':', "-"),
    });
    let gateway = Gateway::from(&EthKey::random());
    let connection = runtime
        .block_on(Connection::connect(&target, &TransportOptions::default()))
        .map_err(|error| error.to_string())?;
    let settings = RunSettings {
        strict: std::env::var_os("LPCONFORM_STRICT").is_some(),
        case_filter: None,
        overrides: Default::default(),
        snapshots: Some(SnapshotStore::new(&repository().join("suites"), &profile, false)),
        openapi: Some(OpenApiDocument::embedded().clone()),
        follow_nodes: None,
    };
    let driver = Driver::new(connection, proto, gateway);
    let baseline = runtime.block_on(standard_probe(&driver));
    let modes = Modes::detect(&baseline, settings.overrides);
    Ok(Shared {
        runtime,
        driver,
        expectations,
        settings,
        modes,
        profile,
        _embedded: embedded,
    })
}

fn run_trial(shared: &Shared, suite: &Suite, case: &suite::Case) -> Result<(), Failed> {
    let context = CaseContext {
        driver: &shared.driver,
        expectations: &shared.expectations,
        settings: &shared.settings,
        modes: shared.modes,
    };
    let report = shared.runtime.block_on(run_case(&context, suite, case));
    if report.status != CaseStatus::Failed {
        return Ok(());
    }
    let single = RunReport {
        target: shared.driver.target().to_string(),
        profile: shared.profile.clone(),
        modes: shared.modes,
        info: None,
        newer_fields: Vec::new(),
        strict: shared.settings.strict,
        elapsed: report.elapsed,
        cases: vec![report],
        unfunded_gateway: None,
        known_failures: None,
        ended_early: None,
    };
    Err(render_run(&single, false).into())
}

fn main() {
    let arguments = Arguments::from_args();
    let proto = match proto() {
        Ok(proto) => proto,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(2);
        }
    };
    let suites = match suite::load(Path::new(&repository().join("suites")), &proto) {
        Ok(suites) => suites,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(2);
        }
    };
    let shared = match setup(proto) {
        Ok(shared) => Arc::new(shared),
        Err(error) => {
            eprintln!("error: cannot reach the orchestrator under test: {error}");
            std::process::exit(2);
        }
    };
    let mut trials = Vec::new();
    for suite in &suites {
        for case in &suite.cases {
            let ignored = !case_applies(case, shared.modes);
            let (shared, suite, case) = (shared.clone(), suite.clone(), case.clone());
            let name = case.full_name(&suite);
            trials.push(Trial::test(name, move || run_trial(&shared, &suite, &case)).with_ignored_flag(ignored));
        }
    }
    libtest_mimic::run(&arguments, trials).exit();
}
