//! The shipped suites against the embedded orchestrator: every configuration
//! passes (and matches its recorded snapshots), and every fault fails or
//! warns a case with the fault's rule ID.

use std::path::{Path, PathBuf};

mod common;

use common::run_embedded;
use lpconform::openapi::OpenApiDocument;
use lpconform::reference::faults::{Declared, Exercise, FAULT_CASES};
use lpconform::reference::Preset;
use lpconform::reference::{self, ReferenceConfig};
use lpconform::rules::Verdict;
use lpconform::runner::{CaseStatus, RunReport, RunSettings};
use lpconform::snapshot::SnapshotStore;
use lpconform::suite;

fn suites_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("suites")
}

async fn run(config: ReferenceConfig, declared: Declared, snapshots: SnapshotStore) -> RunReport {
    let settings = RunSettings {
        strict: false,
        case_filter: None,
        overrides: Default::default(),
        snapshots: Some(snapshots),
        openapi: Some(OpenApiDocument::embedded().clone()),
        follow_nodes: None,
    };
    let suites = suite::load(&suites_dir(), lpconform::protocol::Protocol::built_in_ref()).unwrap();
    run_embedded(config, declared, &suites, &settings, "test").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_configuration_passes_and_matches_its_snapshots() {
    for preset in Preset::ALL {
        let config = ReferenceConfig {
            eth_key: reference::well_known_key(),
            ..preset.config()
        };
        let snapshots = SnapshotStore::new(&suites_dir(), &config.profile(), false);
        let report = run(config, Declared::Configuration, snapshots).await;
        for case in &report.cases {
            assert!(
                matches!(case.status, CaseStatus::Passed | CaseStatus::Skipped(_)),
                "{}: {} is {:?}\n{}",
                preset.name(),
                case.name(),
                case.status,
                lpconform::report::terminal::render_run(&report, false)
            );
        }
        assert!(report.cases.iter().any(|case| case.status == CaseStatus::Passed));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_fails_a_case_with_its_rule_id() {
    let scratch = tempfile::tempdir().unwrap();
    for fault_case in FAULT_CASES
        .iter()
        .filter(|case| case.exercise == Exercise::StandardProbe)
    {
        let config = ReferenceConfig {
            faults: vec![fault_case.fault],
            ..fault_case.preset.config()
        };
        let report = run(
            config,
            fault_case.declared,
            SnapshotStore::new(scratch.path(), "faults", true),
        )
        .await;
        for rule in fault_case.rules {
            // Info rules never fail or warn a case: their finding is shown on a passing one.
            let caught = report.cases.iter().any(|case| {
                let judged = |result: &&lpconform::rules::RuleResult| result.rule.id == *rule;
                case.rules.iter().filter(judged).any(|result| match result.verdict {
                    Verdict::Info => true,
                    Verdict::Fail | Verdict::Warn => matches!(case.status, CaseStatus::Failed | CaseStatus::Warned),
                    _ => false,
                })
            });
            assert!(
                caught,
                "fault {} was not reported as {rule} by any case",
                fault_case.fault.name()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_names_each_case_before_it_runs_with_the_cases_done_of_all() {
    use lpconform::eth::EthKey;
    use lpconform::runner::run_suites_with_progress;
    use lpconform::transport::{Connection, TransportOptions};

    let running = reference::start(Preset::OffChainTranscoding.config()).await.unwrap();
    let connection = Connection::connect(&running.target(), &TransportOptions::default())
        .await
        .unwrap();
    let settings = RunSettings {
        strict: false,
        case_filter: Some("discovery::".into()),
        overrides: Default::default(),
        snapshots: None,
        openapi: None,
        follow_nodes: None,
    };
    let suites = suite::built_in();
    let mut seen = Vec::new();
    let mut record = |progress: lpconform::runner::CaseProgress<'_>| {
        seen.push((progress.case.to_string(), progress.done, progress.total))
    };
    let driver = lpconform::driver::Driver::new(
        connection,
        lpconform::protocol::Protocol::built_in(),
        lpconform::gateway::Gateway::from(&EthKey::random()),
    );
    let report = run_suites_with_progress(
        &driver,
        &suites,
        &Default::default(),
        &settings,
        "progress",
        &mut record,
    )
    .await;
    running.shutdown().await;
    let expected: Vec<(String, usize, usize)> = (report.cases.iter().enumerate())
        .map(|(done, case)| (case.name().clone(), done, report.cases.len()))
        .collect();
    assert!(expected.len() > 1, "{expected:?}");
    assert_eq!(seen, expected);
}
