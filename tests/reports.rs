//! The machine and HTML reports: the JSON report has exactly the shape
//! docs/report-json.md documents and parses back into its schema types; JUnit
//! from real runs (clean and faulted) parses back with the right counts and
//! the fault's rule as a failure; the HTML page is self-contained, escaped and
//! draws every capability; the CLI writes them all and keeps its exit codes.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use lpconform::capability;
use lpconform::proto::net::capabilities::capability_constraints::ModelConstraint;
use lpconform::proto::net::capabilities::{CapabilityConstraints, Constraints};
use lpconform::proto::net::{Capabilities, GpuComputeInfo, HardwareInformation, OrchestratorInfo, PriceInfo};
use lpconform::reference::faults::Declared;
use lpconform::reference::faults::{CapabilityFault, Fault, PriceFault, TicketFault};
use lpconform::reference::Preset;
use lpconform::reference::ReferenceConfig;
use lpconform::report::html::render_html;
use lpconform::report::json::{render_json, JsonReport, FORMAT_VERSION};
use lpconform::report::junit::{render_junit, render_junit_error};
use lpconform::rules::{rule, Finding, Modes, RuleResult, Severity, Verdict};
use lpconform::runner::known_failures::{EntryOutcome, EntryState, KnownFailure, KnownFailureCheck};
use lpconform::runner::{CaseReport, CaseStatus, RunReport, RunSettings, SentRequest, StepOutcome, StepReport};
use lpconform::snapshot::{SnapshotCheck, SnapshotStatus, SnapshotStore};
use lpconform::suite;
use time::{Date, Month};

mod common;

use common::{documented_example, documented_keys, key_paths, lpconform, run_embedded};

const SCHEMA_DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/report-json.md");

/// Runs the built-in suites against the embedded orchestrator; snapshots are
/// recorded in a scratch directory, so they never differ.
async fn live_run(config: ReferenceConfig, declared: Declared) -> RunReport {
    let scratch = tempfile::tempdir().unwrap();
    let settings = RunSettings {
        strict: false,
        case_filter: None,
        overrides: Default::default(),
        snapshots: Some(SnapshotStore::new(scratch.path(), "reports", true)),
        openapi: None,
        follow_nodes: None,
    };
    run_embedded(config, declared, &suite::built_in(), &settings, "reports").await
}

async fn clean_run(preset: Preset) -> RunReport {
    live_run(preset.config(), Declared::Configuration).await
}

async fn faulted_run(preset: Preset, fault: Fault) -> RunReport {
    let config = ReferenceConfig {
        faults: vec![fault],
        ..preset.config()
    };
    live_run(config, Declared::Configuration).await
}

fn case(suite: &str, id: &str, status: CaseStatus) -> CaseReport {
    CaseReport {
        steps: vec![StepReport {
            call: "GetOrchestrator (signed)".into(),
            expected: "an answer".into(),
            actual: "an answer".into(),
            outcome: StepOutcome::Passed,
            elapsed: Duration::from_millis(1),
            not_judged: None,
            request: None,
            reproducer: None,
        }],
        elapsed: Duration::from_millis(3),
        ..CaseReport::new(suite, id, &format!("{suite}::{id} <described>"), status)
    }
}

fn result(id: &str, verdict: Verdict, findings: Vec<Finding>, omitted_findings: usize) -> RuleResult {
    let findings = findings
        .into_iter()
        .map(|finding| Finding {
            rule_id: rule(id).unwrap().id,
            ..finding
        })
        .collect();
    RuleResult {
        rule: rule(id).unwrap(),
        verdict,
        findings,
        omitted_findings,
    }
}

/// A run with every variant a report can hold: each case status, each verdict,
/// a failed call, every snapshot status, and an answer with AI capabilities.
fn sample_report() -> RunReport {
    let mut failed = case("pricing", "ticket_params", CaseStatus::Failed);
    failed.rules = vec![
        result(
            "TICKET-004",
            Verdict::Fail,
            vec![Finding {
                hint: "issue a 32-byte keccak256 hash".into(),
                ..Finding::new("ticket_params.recipient_rand_hash", "32 bytes", "31 bytes <b>&</b>")
            }],
            2,
        ),
        result("REQ-005", Verdict::Pass, Vec::new(), 0),
        result(
            "PRICE-008",
            Verdict::Skip("no expected maxPricePerUnit".into()),
            Vec::new(),
            0,
        ),
    ];
    failed.steps.push(StepReport {
        call: "GetOrchestrator (forged signature)".into(),
        expected: "a gRPC error".into(),
        actual: "an answer".into(),
        outcome: StepOutcome::Failed,
        elapsed: Duration::from_millis(1),
        not_judged: None,
        request: Some(SentRequest::grpc(
            "/net.Orchestrator/GetOrchestrator",
            vec![0x0a, 0x01, 0x11].into(),
        )),
        reproducer: Some(
            "grpcurl -insecure -d '{\"address\":\"EQ==\"}' orch.example:8935 net.Orchestrator/GetOrchestrator".into(),
        ),
    });
    failed.snapshot = Some(SnapshotCheck {
        name: "prices".into(),
        path: PathBuf::from("suites/snapshots/p/pricing__prices.snap"),
        status: SnapshotStatus::Changed {
            diff: "@@ -1 +1 @@\n-wei_per_pixel: 1000/1\n+wei_per_pixel: 1200/1\n".into(),
        },
    });
    let mut warned = case("capabilities", "structure", CaseStatus::Warned);
    warned.rules = vec![result(
        "CAP-006",
        Verdict::Warn,
        vec![Finding {
            hint: "advertise the release version".into(),
            ..Finding::new("capabilities.version", "semver", "\"<script>alert(1)</script>\"")
                .at(lpconform::rules::Severity::Should)
        }],
        0,
    )];
    warned.snapshot = Some(SnapshotCheck {
        name: "capabilities".into(),
        path: PathBuf::from("suites/snapshots/p/capabilities__capabilities.snap"),
        status: SnapshotStatus::Missing,
    });
    let mut passed = case("discovery", "signed_request", CaseStatus::Passed);
    passed.rules = vec![result("REQ-001", Verdict::Pass, Vec::new(), 0)];
    passed.snapshot = Some(SnapshotCheck {
        name: "info".into(),
        path: PathBuf::from("suites/snapshots/p/discovery__info.snap"),
        status: SnapshotStatus::Matched,
    });
    let mut recorded = case("discovery", "requested_capabilities", CaseStatus::Passed);
    recorded.snapshot = Some(SnapshotCheck {
        name: "requested".into(),
        path: PathBuf::from("suites/snapshots/p/discovery__requested.snap"),
        status: SnapshotStatus::Recorded,
    });
    let mut skipped = case(
        "identity",
        "ping_signed_by_address",
        CaseStatus::Skipped("applies to `onchain` orchestrators".into()),
    );
    skipped.steps.clear();
    let mut known = case("sessions", "forged_token_rejected", CaseStatus::KnownFailure);
    known.rules = vec![result(
        "AUTH-003",
        Verdict::KnownFailure("go-livepeer#0000 <accepted> until the fix".into()),
        vec![Finding::new("end_session_forged", "a gRPC error", "an answer")],
        0,
    )];
    let entry = |rule: &'static str, case: Option<&str>, line: usize| KnownFailure {
        rule,
        case: case.map(String::from),
        reason: "go-livepeer#0000 <accepted> until the fix".into(),
        until: Some(Date::from_calendar_date(2027, Month::January, 31).unwrap()),
        location: format!("known-failures.yaml:{line}"),
        covers: Vec::new(),
    };
    let known_failures = KnownFailureCheck {
        path: PathBuf::from("known-failures.yaml"),
        entries: vec![
            EntryOutcome {
                entry: entry("AUTH-003", Some("sessions::forged_token_rejected"), 1),
                state: EntryState::Holds(vec!["sessions::forged_token_rejected".into()]),
            },
            EntryOutcome {
                entry: entry("REQ-001", None, 5),
                state: EntryState::Stale("no longer fails: passes in discovery::signed_request".into()),
            },
        ],
    };
    RunReport {
        // A field a newer proto (--proto) names, shown by name.
        newer_fields: vec![lpconform::observe::NewerField {
            path: "release_channel".into(),
            value: "beta".into(),
        }],
        target: "https://orch.example:8935".into(),
        profile: "orch.example-8935".into(),
        modes: Modes {
            onchain: true,
            transcoding: true,
            ai: true,
        },
        info: Some(ai_info()),
        strict: false,
        cases: vec![passed, recorded, warned, failed, skipped, known],
        elapsed: Duration::from_millis(42),
        unfunded_gateway: None,
        known_failures: Some(known_failures),
        ended_early: None,
    }
}

/// Transcoding plus text-to-image (priced, constrained, with a GPU), an
/// unadvertised but priced upscale, and an unknown bit.
fn ai_info() -> OrchestratorInfo {
    let models = CapabilityConstraints {
        models: HashMap::from([("stabilityai/sd-turbo".to_string(), ModelConstraint::default())]),
    };
    OrchestratorInfo {
        transcoder: "https://orch.example:8935".into(),
        address: vec![0x11; 20],
        price_info: Some(PriceInfo {
            price_per_unit: 1000,
            pixels_per_unit: 1,
            ..Default::default()
        }),
        capabilities: Some(Capabilities {
            bitstring: capability::encode_bitstring([0, 1, 27, 99]),
            constraints: Some(Constraints {
                min_version: String::new(),
                per_capability: HashMap::from([(27, models)]),
            }),
            ..Default::default()
        }),
        capabilities_prices: vec![
            PriceInfo {
                price_per_unit: 7,
                pixels_per_unit: 1,
                capability: 27,
                constraint: "stabilityai/sd-turbo".into(),
            },
            PriceInfo {
                price_per_unit: 9,
                pixels_per_unit: 1,
                capability: 30,
                constraint: "<img src=x>".into(),
            },
        ],
        hardware: vec![HardwareInformation {
            pipeline: "text-to-image".into(),
            model_id: "stabilityai/sd-turbo".into(),
            gpu_info: HashMap::from([("0".to_string(), GpuComputeInfo::default())]),
        }],
        ..Default::default()
    }
}

// ---- JSON ----------------------------------------------------------------

#[test]
fn json_report_has_exactly_the_documented_keys() {
    let documented = documented_keys(SCHEMA_DOC);
    assert!(
        documented.len() > 50,
        "the schema tables were not found: {documented:?}"
    );
    let rendered = key_paths(&render_json(&sample_report()));
    let undocumented: Vec<_> = rendered.difference(&documented).collect();
    let missing: Vec<_> = documented.difference(&rendered).collect();
    assert!(
        undocumented.is_empty(),
        "keys not in docs/report-json.md: {undocumented:?}"
    );
    assert!(missing.is_empty(), "documented keys the report lacks: {missing:?}");
}

#[test]
fn the_documented_example_parses_into_the_schema() {
    let example = documented_example(SCHEMA_DOC);
    let parsed: JsonReport = serde_json::from_str(&example).unwrap();
    assert_eq!(parsed.format_version, FORMAT_VERSION);
    assert!(key_paths(&example).is_subset(&documented_keys(SCHEMA_DOC)));
}

#[test]
fn json_report_carries_the_run() {
    let report = sample_report();
    let parsed: JsonReport = serde_json::from_str(&render_json(&report)).unwrap();
    assert_eq!(parsed, JsonReport::new(&report));
    assert_eq!(parsed.format_version, 2);
    assert!(!parsed.conformant);
    let summary = parsed.summary;
    assert_eq!(
        (
            summary.cases,
            summary.passed,
            summary.failed,
            summary.warnings,
            summary.skipped
        ),
        (6, 2, 1, 1, 1)
    );
    assert_eq!((summary.known_failures, summary.rules_known_failures), (1, 1));
    let known = parsed.known_failures.unwrap();
    assert_eq!(known.entries.len(), 2);
    assert_eq!(
        known.entries[1].stale_reason.as_deref(),
        Some("no longer fails: passes in discovery::signed_request")
    );
    assert_eq!(
        (summary.rules_failed, summary.rules_warned, summary.findings),
        (1, 1, 5)
    );
    let failed = &parsed.cases[3];
    assert_eq!(
        (failed.name.as_str(), failed.suite.as_str()),
        ("pricing::ticket_params", "pricing")
    );
    let finding = &failed.rules[0].findings[0];
    assert_eq!(
        (
            finding.rule_id.as_str(),
            finding.path.as_str(),
            finding.expected.as_str()
        ),
        ("TICKET-004", "ticket_params.recipient_rand_hash", "32 bytes")
    );
    assert_eq!(
        failed.rules[2].skip_reason.as_deref(),
        Some("no expected maxPricePerUnit")
    );
    assert!(failed
        .snapshot
        .as_ref()
        .unwrap()
        .diff
        .as_ref()
        .unwrap()
        .contains("+wei_per_pixel: 1200/1"));
    let rows = &parsed.capability_matrix.as_ref().unwrap().rows;
    let numbers: Vec<u32> = rows.iter().map(|row| row.number).collect();
    assert_eq!(numbers, [0, 1, 27, 30, 99]);
    let text_to_image = &rows[2];
    assert!(text_to_image.advertised && text_to_image.priced && text_to_image.has_model_constraint);
    assert!(text_to_image.has_hardware);
    assert!(
        !rows[3].advertised && rows[3].priced,
        "upscale is priced, not advertised"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_of_a_real_run_parses_into_the_schema_types() {
    let report = clean_run(Preset::OnChainMixed).await;
    let json = render_json(&report);
    let parsed: JsonReport = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed.format_version, FORMAT_VERSION);
    assert_eq!(parsed.target, report.target);
    assert!(parsed.conformant, "{json}");
    assert_eq!(parsed.cases.len(), report.cases.len());
    assert_eq!(parsed.summary.rules_failed, 0);
    assert!(parsed.modes.onchain && parsed.modes.transcoding && parsed.modes.ai);
    let rows = &parsed.capability_matrix.unwrap().rows;
    assert!(rows
        .iter()
        .any(|row| row.name == "text-to-image" && row.has_hardware && row.priced));
    let undocumented: Vec<_> = key_paths(&json)
        .difference(&documented_keys(SCHEMA_DOC))
        .cloned()
        .collect();
    assert!(undocumented.is_empty(), "{undocumented:?}");
}

// ---- JUnit ---------------------------------------------------------------

/// What a JUnit document holds, read back with an independent XML parser.
#[derive(Debug)]
struct JunitCounts {
    suites: Vec<String>,
    testcases: usize,
    failures: Vec<String>,
    errors: usize,
    skipped: usize,
}

fn read_junit(xml: &str) -> (roxmltree::Document<'_>, JunitCounts) {
    let document = roxmltree::Document::parse(xml).unwrap_or_else(|error| panic!("{error}\n{xml}"));
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let elements = |name: &'static str| root.descendants().filter(move |node| node.has_tag_name(name));
    let counts = JunitCounts {
        suites: elements("testsuite")
            .map(|suite| suite.attribute("name").unwrap().to_string())
            .collect(),
        testcases: elements("testcase").count(),
        failures: elements("failure")
            .map(|failure| failure.parent().unwrap().attribute("name").unwrap().to_string())
            .collect(),
        errors: elements("error").count(),
        skipped: elements("skipped").count(),
    };
    let attribute = |name: &str| root.attribute(name).unwrap().parse::<usize>().unwrap();
    assert_eq!(attribute("tests"), counts.testcases);
    assert_eq!(attribute("failures"), counts.failures.len());
    assert_eq!(attribute("errors"), counts.errors);
    assert_eq!(attribute("skipped"), counts.skipped);
    (document, counts)
}

/// The counts a report must produce, from the RunReport itself.
fn expected_counts(report: &RunReport) -> (Vec<String>, usize, usize, usize) {
    let mut suites: Vec<String> = Vec::new();
    for case in &report.cases {
        let suite = case.suite.clone();
        if !suites.contains(&suite) {
            suites.push(suite);
        }
    }
    // The known-failures list is a testsuite of its own: one testcase per entry.
    let entries = report
        .known_failures
        .as_ref()
        .map_or(&[][..], |check| &check.entries[..]);
    if !entries.is_empty() {
        suites.push("known-failures".into());
    }
    let entry_is = |wanted: fn(&EntryState) -> bool| entries.iter().filter(|outcome| wanted(&outcome.state)).count();
    let testcases = report.cases.iter().map(|case| 1 + case.rules.len()).sum::<usize>() + entries.len();
    let skipped = report
        .cases
        .iter()
        .map(|case| {
            usize::from(matches!(case.status, CaseStatus::Skipped(_)))
                + case
                    .rules
                    .iter()
                    .filter(|r| matches!(r.verdict, Verdict::Skip(_) | Verdict::KnownFailure(_)))
                    .count()
        })
        .sum::<usize>()
        + entry_is(|state| *state == EntryState::NotRun);
    let failures = report
        .cases
        .iter()
        .map(|case| {
            let calls_or_snapshot = case.steps.iter().any(|step| !step.passed())
                || matches!(
                    case.snapshot.as_ref().map(|check| &check.status),
                    Some(SnapshotStatus::Changed { .. })
                );
            usize::from(calls_or_snapshot)
                + case
                    .rules
                    .iter()
                    .filter(|r| r.verdict == Verdict::Fail || (report.strict && r.verdict == Verdict::Warn))
                    .count()
        })
        .sum::<usize>()
        + entry_is(|state| matches!(state, EntryState::Stale(_)));
    (suites, testcases, skipped, failures)
}

fn assert_counts_match(report: &RunReport, counts: &JunitCounts) {
    let (suites, testcases, skipped, failures) = expected_counts(report);
    assert_eq!(counts.suites, suites);
    assert_eq!(counts.testcases, testcases);
    assert_eq!(counts.skipped, skipped);
    assert_eq!(counts.failures.len(), failures, "{:?}", counts.failures);
    assert_eq!(counts.errors, 0);
}

#[test]
fn junit_of_the_sample_has_failures_with_path_expected_and_actual() {
    let report = sample_report();
    let xml = render_junit(&report);
    let (document, counts) = read_junit(&xml);
    assert_counts_match(&report, &counts);
    assert_eq!(
        counts.failures,
        [
            "pricing::ticket_params",
            "pricing::ticket_params::TICKET-004",
            "known-failures::REQ-001"
        ]
    );
    let known = document
        .descendants()
        .find(|node| {
            node.has_tag_name("skipped")
                && node.parent().unwrap().attribute("name") == Some("sessions::forged_token_rejected::AUTH-003")
        })
        .unwrap();
    assert_eq!(
        known.attribute("message"),
        Some("known failure: go-livepeer#0000 <accepted> until the fix")
    );
    let stale = document
        .descendants()
        .find(|node| {
            node.has_tag_name("failure") && node.parent().unwrap().attribute("name") == Some("known-failures::REQ-001")
        })
        .unwrap();
    assert_eq!(
        stale.attribute("message"),
        Some("stale known failure REQ-001 in every case (known-failures.yaml:5): no longer fails: passes in discovery::signed_request")
    );
    let failure = document
        .descendants()
        .find(|node| {
            node.has_tag_name("failure")
                && node
                    .parent()
                    .unwrap()
                    .attribute("name")
                    .unwrap()
                    .ends_with("TICKET-004")
        })
        .unwrap();
    let message = failure.attribute("message").unwrap();
    assert!(message.contains("ticket_params.recipient_rand_hash"), "{message}");
    assert!(
        message.contains("expected 32 bytes") && message.contains("actual 31 bytes <b>&</b>"),
        "{message}"
    );
    assert!(message.contains("and 2 more findings"), "{message}");
    let body = failure.text().unwrap();
    assert!(body.contains("hint:     issue a 32-byte keccak256 hash"), "{body}");
    let skipped = document
        .descendants()
        .find(|node| {
            node.has_tag_name("skipped")
                && node.parent().unwrap().attribute("name") == Some("pricing::ticket_params::PRICE-008")
        })
        .unwrap();
    assert_eq!(skipped.attribute("message"), Some("no expected maxPricePerUnit"));
    // A warning passes unless --strict, as it does the run.
    let strict = RunReport {
        strict: true,
        ..sample_report()
    };
    let xml = render_junit(&strict);
    let (_, counts) = read_junit(&xml);
    assert!(counts
        .failures
        .contains(&"capabilities::structure::CAP-006".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junit_of_a_clean_run_parses_back_without_failures() {
    let report = clean_run(Preset::Mixed).await;
    let xml = render_junit(&report);
    let (_, counts) = read_junit(&xml);
    assert_counts_match(&report, &counts);
    assert!(counts.failures.is_empty(), "{xml}");
    assert!(counts.suites.contains(&"discovery".to_string()));
    assert!(counts.testcases > report.cases.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junit_of_a_faulted_run_names_the_faults_rule_as_a_failure() {
    let faults = [
        (
            Preset::OnChainTranscoding,
            Fault::from(PriceFault::NegativePrice),
            "PRICE-002",
        ),
        (
            Preset::OnChainTranscoding,
            Fault::from(TicketFault::ShortRandHash),
            "TICKET-004",
        ),
        (
            Preset::Mixed,
            Fault::from(CapabilityFault::AiCapabilityWithoutModels),
            "CAP-007",
        ),
    ];
    for (configuration, fault, rule_id) in faults {
        assert_eq!(rule(rule_id).unwrap().severity, Severity::Must);
        let report = faulted_run(configuration, fault).await;
        let xml = render_junit(&report);
        let (document, counts) = read_junit(&xml);
        assert_counts_match(&report, &counts);
        let suffix = format!("::{rule_id}");
        let failure = document
            .descendants()
            .filter(|node| node.has_tag_name("failure"))
            .find(|node| node.parent().unwrap().attribute("name").unwrap().ends_with(&suffix))
            .unwrap_or_else(|| panic!("{} did not fail {rule_id}:\n{xml}", fault.name()));
        let message = failure.attribute("message").unwrap();
        assert!(message.starts_with(&format!("{rule_id} (must) ")), "{message}");
        assert!(
            message.contains(": expected ") && message.contains(", actual "),
            "{message}"
        );
    }
}

#[test]
fn a_run_that_could_not_happen_is_a_junit_error_not_a_failure() {
    let xml = render_junit_error(
        Some("https://127.0.0.1:1"),
        "cannot connect to https://127.0.0.1:1: connection refused",
    );
    let (document, counts) = read_junit(&xml);
    assert_eq!((counts.errors, counts.failures.len(), counts.testcases), (1, 0, 1));
    let error = document.descendants().find(|node| node.has_tag_name("error")).unwrap();
    assert!(error.attribute("message").unwrap().contains("connection refused"));
}

// ---- HTML ----------------------------------------------------------------

/// No scripts, stylesheets, images or links: nothing the page would fetch.
/// Escaped text holds no `<`, so every `<…>` is markup.
fn assert_self_contained(html: &str, target: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    for tag in html
        .split('<')
        .skip(1)
        .filter_map(|rest| rest.split_once('>'))
        .map(|(tag, _)| tag)
    {
        let name = tag.split_whitespace().next().unwrap_or_default();
        assert!(
            !["script", "link", "img", "iframe", "object", "embed"].contains(&name),
            "the page holds <{tag}>"
        );
        for attribute in ["src=", "href=", "style="] {
            assert!(!tag.contains(attribute), "the page holds <{tag}>");
        }
    }
    for forbidden in ["url(", "@import"] {
        assert!(!html.contains(forbidden), "the page holds {forbidden}");
    }
    for scheme in ["http://", "https://"] {
        for (index, _) in html.match_indices(scheme) {
            assert!(
                html[index..].starts_with(target),
                "a URL other than the target: {}",
                &html[index..(index + 60).min(html.len())]
            );
        }
    }
}

/// `<th>name</th><td>number</td>` for every capability advertised or priced.
fn assert_every_capability_has_a_row(html: &str, info: &OrchestratorInfo) {
    let mut numbers: BTreeSet<u32> = capability::decode_bitstring(&info.capabilities.as_ref().unwrap().bitstring)
        .into_iter()
        .collect();
    numbers.extend(info.capabilities_prices.iter().map(|price| price.capability));
    assert!(!numbers.is_empty());
    for number in numbers {
        let row = format!("<tr><th>{}</th><td>{number}</td>", capability::display_name(number));
        assert!(html.contains(&row), "no matrix row {row}");
    }
}

#[test]
fn html_escapes_everything_the_orchestrator_sent() {
    let report = sample_report();
    let html = render_html(&report);
    assert_self_contained(&html, &report.target);
    assert_every_capability_has_a_row(&html, report.info.as_ref().unwrap());
    assert!(!html.contains("<script>alert(1)</script>") && !html.contains("<img src=x>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
    assert!(html.contains("31 bytes &lt;b&gt;&amp;&lt;/b&gt;"), "{html}");
    assert!(html.contains("TICKET-004") && html.contains("ticket_params.recipient_rand_hash"));
    assert!(html.contains("+wei_per_pixel: 1200/1"), "the snapshot diff is shown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_of_a_real_run_draws_the_capability_matrix_and_findings() {
    let report = faulted_run(Preset::Mixed, Fault::from(CapabilityFault::AiCapabilityWithoutModels)).await;
    let html = render_html(&report);
    assert_self_contained(&html, &report.target);
    assert_every_capability_has_a_row(&html, report.info.as_ref().unwrap());
    assert!(html.contains("CAP-007"), "the finding is listed");
    assert!(html.contains("not conformant"));
}

// ---- CLI -----------------------------------------------------------------

#[test]
fn reports_are_written_even_when_the_run_has_findings() {
    let scratch = tempfile::tempdir().unwrap();
    let output = lpconform(
        scratch.path(),
        &[
            "run",
            "--fault",
            "negative-price",
            "--format",
            "json",
            "--junit",
            "out.xml",
            "--report-html",
            "out.html",
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let parsed: JsonReport = serde_json::from_slice(&output.stdout).expect("stdout is the JSON report alone");
    assert!(!parsed.conformant);
    let junit = std::fs::read_to_string(scratch.path().join("out.xml")).unwrap();
    let (_, counts) = read_junit(&junit);
    assert!(
        counts.failures.iter().any(|name| name.ends_with("::PRICE-002")),
        "{junit}"
    );
    let html = std::fs::read_to_string(scratch.path().join("out.html")).unwrap();
    assert!(html.contains("PRICE-002"));

    // The terminal report on stdout and the JSON in a file, from one run.
    let output = lpconform(
        scratch.path(),
        &["run", "--fault", "negative-price", "--report-json", "out.json"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("PRICE-002"));
    let file = std::fs::read(scratch.path().join("out.json")).unwrap();
    let parsed: JsonReport = serde_json::from_slice(&file).expect("the file is the JSON report");
    assert!(!parsed.conformant);
}

#[test]
fn a_report_file_that_cannot_be_written_exits_2_naming_it() {
    let scratch = tempfile::tempdir().unwrap();
    for flag in ["--junit", "--report-html", "--report-json"] {
        let output = lpconform(scratch.path(), &["run", flag, "no/such/dir/report.out"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flag}: {stderr}");
        assert!(stderr.contains("no/such/dir/report.out"), "{flag}: {stderr}");
    }
    let output = lpconform(scratch.path(), &["run", "--format", "yaml"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn an_unreachable_target_leaves_a_junit_error_and_exits_2() {
    let scratch = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    drop(listener);
    let output = lpconform(
        scratch.path(),
        &[
            "run",
            "--target",
            &target,
            "--connect-timeout",
            "2s",
            "--junit",
            "out.xml",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let junit = std::fs::read_to_string(scratch.path().join("out.xml")).unwrap();
    let (_, counts) = read_junit(&junit);
    assert_eq!((counts.errors, counts.failures.len()), (1, 0), "{junit}");
}

// ---- Every code point through every reporter ----------------------------

/// One text per class of code point the reporters must not show raw, each class whole: C0 (tab,
/// line breaks, ESC), DEL and C1, bidirectional and zero-width controls, the noncharacters of
/// every plane (U+FFFE/U+FFFF, which XML cannot carry), tag characters; and ordinary text, a code
/// point of every 257 over all planes with markup characters. (`escape`'s tests take every code
/// point through the policy itself.)
fn code_point_classes() -> Vec<String> {
    let range = |from: u32, to: u32| (from..=to).filter_map(char::from_u32).collect::<String>();
    let noncharacters: String = (0..=0x10)
        .flat_map(|plane| [plane << 16 | 0xfffe, plane << 16 | 0xffff])
        .chain(0xfdd0..=0xfdef)
        .filter_map(char::from_u32)
        .collect();
    vec![
        range(0, 0x1f) + "[2J",
        range(0x7f, 0x9f),
        [
            "\u{61c}",
            &range(0x200b, 0x200f),
            &range(0x2028, 0x202e),
            &range(0x2060, 0x206f),
            "\u{feff}",
        ]
        .concat(),
        noncharacters + &range(0xfff9, 0xfffb),
        range(0xe0000, 0xe007f),
        (0..=0x10ffff)
            .step_by(257)
            .filter_map(char::from_u32)
            .collect::<String>()
            + "<&>\"'\\",
    ]
}

/// The sample run with `text` in every field a target fills, and in the target and profile.
fn hostile_report(text: &str) -> RunReport {
    let mut report = sample_report();
    report.target = text.into();
    report.profile = text.into();
    report.newer_fields[0].value = text.into();
    let info = report.info.as_mut().unwrap();
    info.capabilities.as_mut().unwrap().version = text.into();
    info.transcoder = text.into();
    for case in &mut report.cases {
        if let CaseStatus::Skipped(reason) = &mut case.status {
            *reason = text.into();
        }
        for step in &mut case.steps {
            step.actual = text.into();
        }
        for result in &mut case.rules {
            for finding in &mut result.findings {
                finding.path = text.into();
                finding.expected = text.into();
                finding.actual = text.into();
                finding.hint = text.into();
            }
        }
        if let Some(SnapshotCheck {
            status: SnapshotStatus::Changed { diff },
            ..
        }) = &mut case.snapshot
        {
            *diff = format!("-{text}\n+{text}\n");
        }
    }
    report
}

/// No character a report may not show raw, a report's own line breaks aside.
fn assert_nothing_raw(what: &str, report: &str) {
    let raw = report
        .char_indices()
        .find(|&(_, c)| c != '\n' && lpconform::escape::needs_escape(c));
    if let Some((index, c)) = raw {
        panic!("{what} holds a raw {:?} at byte {index}", c);
    }
}

/// A property over every class of code point: the terminal report and the HTML page show none raw, the
/// JUnit file parses as XML (U+FFFE/U+FFFF included) and shows none raw, and the JSON report
/// parses, carries each as a `\u` escape and gives back the very text the target sent.
#[test]
fn every_code_point_through_every_reporter_is_escaped_and_parses() {
    for text in code_point_classes() {
        let report = hostile_report(&text);
        let terminal = lpconform::report::terminal::render_run(&report, false);
        assert_nothing_raw("terminal", &terminal);
        assert!(!terminal.lines().any(|line| line.starts_with("[2J")), "a forged line");

        for (what, xml) in [
            ("JUnit", render_junit(&report)),
            ("JUnit error", render_junit_error(Some(&text), &text)),
        ] {
            assert_nothing_raw(what, &xml);
            roxmltree::Document::parse(&xml).unwrap_or_else(|error| panic!("{what}: {error}"));
        }

        for (what, json) in [
            ("JSON", render_json(&report)),
            (
                "JSON error",
                lpconform::report::json::render_json_error(Some(&text), &text),
            ),
        ] {
            assert_nothing_raw(what, &json);
            let parsed: serde_json::Value =
                serde_json::from_str(&json).unwrap_or_else(|error| panic!("{what}: {error}"));
            assert_eq!(parsed["target"], text.as_str(), "{what} carries the data unchanged");
        }

        for (what, html) in [
            ("HTML", render_html(&report)),
            (
                "HTML error",
                lpconform::report::html::render_html_error(Some(&text), &text),
            ),
        ] {
            assert_nothing_raw(what, &html);
            assert!(
                !html.contains('\n'),
                "{what}: the page is one line, so nothing starts a line"
            );
            // Escaped text holds no `<`: every tag is the page's own, in the order it wrote them.
            let tags: Vec<&str> = html
                .split('<')
                .skip(1)
                .map(|rest| rest.split(['>', ' ']).next().unwrap())
                .collect();
            assert!(
                tags.iter()
                    .all(|tag| tag.chars().all(|c| c.is_ascii_alphanumeric() || "!/".contains(c))),
                "{what}: {tags:?}"
            );
            assert_eq!(tags.first(), Some(&"!DOCTYPE"));
            assert_eq!(tags.last(), Some(&"/html"));
        }
    }
}
