//! `lpconform sweep` against a fleet of real orchestrators on loopback: over a
//! hundred embedded ones (TLS and h2c, every configuration, most of the
//! selftest faults) with unreachable ports and a server that stalls in TLS
//! setup mixed in. Each row must say what that target is; the sweep must end
//! in bounded time; the binary keeps its exit codes and formats; the JSON
//! document has exactly the keys docs/sweep-json.md lists.

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::Path;
use std::time::{Duration, Instant};

use lpconform::eth::EthKey;
use lpconform::openapi::OpenApiDocument;
use lpconform::reference::faults::{Declared, Exercise, Fault, FaultCase, PriceFault, RpcFault, FAULT_CASES};
use lpconform::reference::Preset;
use lpconform::reference::{self, ChainMode, ReferenceConfig, RunningOrchestrator};
use lpconform::report::sweep::{render_sweep_html, render_sweep_json, render_sweep_table, JsonRowStatus, JsonSweep};
use lpconform::runner::{CaseStatus, RunSettings};
use lpconform::suite;
use lpconform::sweep::{self, RowStatus, SweepReport, SweepSettings};
use lpconform::transport::TransportOptions;
use rand::seq::SliceRandom as _;
use rand::SeedableRng as _;
use rand_chacha::ChaCha8Rng;

mod common;

use common::{documented_example, documented_keys, key_paths, lpconform};

const SCHEMA_DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/sweep-json.md");
const AI_MODELS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/aiModels.json");

/// What a row must show.
#[derive(Debug)]
enum Expected {
    /// A clean orchestrator: conformant, no rule failed or warned.
    Clean,
    /// A faulted one: these rules among its failed or warned ones.
    Breaks(&'static [&'static str]),
    /// Nothing listens.
    Unreachable,
    /// Accepts TCP, then never speaks TLS: the `connection::setup` finding.
    SetupStalls,
}

/// The fleet: servers kept running, and per targets-file entry the JSON and what its row must show.
struct Fleet {
    servers: Vec<RunningOrchestrator>,
    /// Accepted sockets of the stalling listener, held so they stay open.
    _stalling: std::thread::JoinHandle<()>,
    entries: Vec<(serde_json::Value, Expected)>,
}

/// What an operator of this configuration would pass as `--expect`.
fn configuration_flags(running: &RunningOrchestrator, config: &ReferenceConfig) -> Vec<String> {
    let mut flags = vec![
        format!("serviceAddr={}", running.url()),
        format!("pricePerUnit={}", config.price_per_unit),
        format!("pixelsPerUnit={}", config.pixels_per_unit),
    ];
    // Off chain go-livepeer advertises the zero address, whatever its account.
    if config.chain == lpconform::reference::ChainMode::OnChain {
        flags.push(format!("ethAcctAddr={}", running.address()));
        flags.push(format!("ethOrchAddr={}", running.address()));
    }
    if !config.ai_models.is_empty() {
        flags.push(format!("aiModels={AI_MODELS}"));
    }
    flags
}

/// An entry of the JSON form: a bare URL, or an object when there are expectations.
fn entry(url: String, expect: Vec<String>) -> serde_json::Value {
    if expect.is_empty() {
        serde_json::Value::String(url)
    } else {
        serde_json::json!({ "target": url, "expect": expect })
    }
}

/// A port that refuses connections: bound, then released.
fn refused_port() -> SocketAddr {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// A listener that accepts connections and never answers.
fn stalling_listener() -> (SocketAddr, std::thread::JoinHandle<()>) {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let holder = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(4) {
            held.push(stream);
        }
        std::thread::sleep(Duration::from_secs(120));
    });
    (address, holder)
}

async fn start_fleet() -> Fleet {
    let mut servers = Vec::new();
    let mut entries = Vec::new();
    let mut tls = false;
    // Every fault the standard probe proves but the Ping stall, which costs a call deadline per Ping.
    // Info findings (SPEC-003's fault) never break a row, so their faults are left out too.
    let breaks_a_row = |case: &&FaultCase| {
        case.rules
            .iter()
            .any(|id| lpconform::rules::rule(id).is_some_and(|rule| rule.severity != lpconform::rules::Severity::Info))
    };
    for fault_case in FAULT_CASES
        .iter()
        .filter(|case| case.exercise == Exercise::StandardProbe)
        .filter(|case| case.fault != Fault::from(RpcFault::StallPing))
        .filter(breaks_a_row)
    {
        tls = !tls;
        let config = ReferenceConfig {
            tls,
            faults: vec![fault_case.fault],
            ..fault_case.preset.config()
        };
        let running = reference::start(config.clone()).await.unwrap();
        let expect = match fault_case.declared {
            Declared::Nothing => Vec::new(),
            Declared::Configuration => configuration_flags(&running, &config),
            Declared::Flags(flags) => flags.iter().map(|flag| flag.to_string()).collect(),
        };
        entries.push((entry(running.url(), expect), Expected::Breaks(fault_case.rules)));
        servers.push(running);
    }
    // Clean ones in every configuration, over both transports; some declare their configuration.
    for index in 0..48 {
        let preset = Preset::ALL[index % Preset::ALL.len()];
        let config = ReferenceConfig {
            tls: index % 2 == 0,
            ..preset.config()
        };
        let running = reference::start(config.clone()).await.unwrap();
        let expect = if index % 7 == 0 {
            configuration_flags(&running, &config)
        } else {
            Vec::new()
        };
        entries.push((entry(running.url(), expect), Expected::Clean));
        servers.push(running);
    }
    for port in 0..3 {
        let scheme = if port % 2 == 0 { "https" } else { "http" };
        let url = format!("{scheme}://{}", refused_port());
        entries.push((entry(url, Vec::new()), Expected::Unreachable));
    }
    let (stalling, holder) = stalling_listener();
    entries.push((entry(format!("https://{stalling}"), Vec::new()), Expected::SetupStalls));
    // Shuffled, so unreachable and faulted targets share the pool with clean ones.
    entries.shuffle(&mut ChaCha8Rng::seed_from_u64(7));
    Fleet {
        servers,
        _stalling: holder,
        entries,
    }
}

/// The JSON targets file, one entry per line (so entry `i` is on line `i + 2`).
fn targets_json(entries: &[(serde_json::Value, Expected)]) -> String {
    let lines: Vec<String> = entries.iter().map(|(value, _)| value.to_string()).collect();
    format!("[\n{}\n]\n", lines.join(",\n"))
}

fn settings(concurrency: usize, target_timeout: Duration, call_timeout: Duration) -> SweepSettings {
    SweepSettings {
        concurrency,
        target_timeout,
        transport: TransportOptions {
            connect_timeout: Duration::from_secs(2),
            call_timeout,
            ..TransportOptions::default()
        },
        proto: lpconform::protocol::Protocol::built_in(),
        run: RunSettings {
            strict: false,
            case_filter: None,
            overrides: Default::default(),
            snapshots: None,
            openapi: Some(OpenApiDocument::embedded().clone()),
            follow_nodes: None,
        },
    }
}

fn check_row(report: &SweepReport, index: usize, expected: &Expected) {
    let row = &report.rows[index];
    let broken: BTreeSet<&str> = row.failed_rules().into_iter().chain(row.warned_rules()).collect();
    let context = format!(
        "row {index} ({}, expected {expected:?}): {:?}, broken {broken:?}, problem {:?}",
        row.target,
        row.status(),
        row.problem()
    );
    match expected {
        Expected::Clean => {
            assert_eq!(row.status(), RowStatus::Conformant, "{context}");
            assert!(
                row.reachable() && broken.is_empty() && row.failed_calls() == 0,
                "{context}"
            );
            let modes = row.modes().expect("a clean row has modes");
            assert!(
                row.capabilities_advertised().is_some_and(|count| count > 0),
                "{context}"
            );
            // go-livepeer's price: on chain only, with the 1/100 auto-adjust overhead.
            let price = row.transcoding_price().map(|price| price.rational());
            let expected = modes.onchain.then(|| "1010/1".to_string());
            assert_eq!(price, expected, "{context}");
            // AI prices too are advertised on chain only.
            if modes.onchain {
                assert_eq!(modes.ai, !row.ai_models_priced().is_empty(), "{context}");
            }
        }
        Expected::Breaks(rules) => {
            assert!(row.reachable(), "{context}");
            assert!(rules.iter().all(|rule| broken.contains(rule)), "{context}");
        }
        Expected::Unreachable => {
            assert_eq!(row.status(), RowStatus::Unreachable, "{context}");
            assert!(!row.reachable(), "{context}");
            assert!(row.problem().unwrap().contains("cannot connect"), "{context}");
        }
        Expected::SetupStalls => {
            assert_eq!(row.status(), RowStatus::Findings, "{context}");
            assert!(!row.reachable() && broken.contains("RPC-003"), "{context}");
            assert!(
                row.problem().unwrap().starts_with("connection setup failed"),
                "{context}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweeps_over_a_hundred_orchestrators_with_faults_and_unreachable_ones_mixed_in() {
    let fleet = start_fleet().await;
    assert!(fleet.servers.len() >= 100, "{} servers", fleet.servers.len());
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("targets.json");
    std::fs::write(&file, targets_json(&fleet.entries)).unwrap();
    let targets = sweep::load_targets(&file, &[]).unwrap();
    assert_eq!(targets.len(), fleet.entries.len());

    let started = Instant::now();
    let mut heard = Vec::new();
    let report = sweep::sweep(
        targets,
        &suite::built_in(),
        &lpconform::gateway::Gateway::from(&EthKey::random()),
        &settings(8, Duration::from_secs(40), Duration::from_secs(5)),
        |_, done| heard.push(done),
    )
    .await;
    let elapsed = started.elapsed();
    eprintln!("swept {} targets in {elapsed:?}", report.rows.len());
    assert!(elapsed < Duration::from_secs(50), "the sweep took {elapsed:?}");
    assert_eq!(heard, (1..=fleet.entries.len()).collect::<Vec<_>>());

    assert_eq!(report.rows.len(), fleet.entries.len());
    for (index, (value, expected)) in fleet.entries.iter().enumerate() {
        let row = &report.rows[index];
        assert_eq!(row.line, index + 2, "rows keep the file's order");
        let url = value.as_str().or_else(|| value["target"].as_str()).unwrap();
        assert_eq!(row.target, url);
        check_row(&report, index, expected);
    }
    assert!(!report.conformant());
    assert_eq!(report.count(RowStatus::Unreachable), 3);

    let ai_rows = report
        .rows
        .iter()
        .filter(|row| row.modes().is_some_and(|modes| modes.ai));
    assert!(ai_rows.count() > 10, "AI orchestrators are in the fleet");

    // The JSON carries every row; the table and the page name every target.
    let json: JsonSweep = serde_json::from_str(&render_sweep_json(&report)).unwrap();
    assert_eq!(json.targets.len(), report.rows.len());
    assert_eq!(json.summary.unreachable, 3);
    assert!(json
        .targets
        .iter()
        .any(|row| row.status == JsonRowStatus::Findings && !row.findings.is_empty()));
    let table = render_sweep_table(&report);
    eprintln!("{table}");
    let html = render_sweep_html(&report);
    for row in &report.rows {
        assert!(
            table.contains(&row.target) && html.contains(&row.target),
            "{}",
            row.target
        );
    }
    assert_eq!(table.lines().count(), report.rows.len() + 3, "{table}");

    // The document lists exactly the keys a sweep with every kind of row writes.
    assert_eq!(key_paths(&render_sweep_json(&report)), documented_keys(SCHEMA_DOC));

    for server in fleet.servers {
        server.shutdown().await;
    }
}

/// A suite whose second case stalls a `StallOnPingLength` orchestrator (a 33-byte Ping), between
/// two cases that answer at once.
const STALLS_IN_ITS_SECOND_CASE: &str = r#"
description: a case that finishes, one that stalls, one after it
cases:
  - id: first
    description: discovery answers
    calls:
      - get_orchestrator: {}
    rules: [RPC-001]
  - id: stalls
    description: a Ping of 33 bytes stalls
    calls:
      - ping: { value: "0x000000000000000000000000000000000000000000000000000000000000000000" }
    rules: [RPC-001]
  - id: after
    description: never reached
    calls:
      - get_orchestrator: {}
    rules: [RPC-001]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_past_its_deadline_is_a_timed_out_row_that_keeps_its_finished_cases() {
    let stalling = reference::start(ReferenceConfig {
        faults: vec![RpcFault::StallOnPingLength.into()],
        ..ReferenceConfig::loopback()
    })
    .await
    .unwrap();
    let suites = vec![suite::parse(
        STALLS_IN_ITS_SECOND_CASE,
        Path::new("stalls.yaml"),
        lpconform::protocol::Protocol::built_in_ref(),
    )
    .unwrap()];
    let text = format!("{}\nhttp://{}\n", stalling.url(), refused_port());
    let targets = sweep::parse_targets(&text, Path::new("targets.txt"), &[]).unwrap();
    let started = Instant::now();
    let report = sweep::sweep(
        targets,
        &suites,
        &lpconform::gateway::Gateway::from(&EthKey::random()),
        &settings(2, Duration::from_secs(3), Duration::from_secs(20)),
        |_, _| {},
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    let row = &report.rows[0];
    assert_eq!(row.status(), RowStatus::TimedOut);
    let problem = row.problem().unwrap();
    assert!(
        problem.contains("no verdict within the target deadline") && problem.contains("1 of 3 cases finished"),
        "{problem}"
    );
    let cases = &row.report().expect("the finished cases are kept").cases;
    let statuses: Vec<(String, &CaseStatus)> = cases.iter().map(|case| (case.name(), &case.status)).collect();
    assert_eq!(
        statuses[0],
        ("stalls::first".to_string(), &CaseStatus::Passed),
        "{statuses:?}"
    );
    for (name, status) in &statuses[1..] {
        assert!(
            matches!(status, CaseStatus::Skipped(reason) if reason.contains("deadline")),
            "{name}: {status:?}"
        );
    }
    assert!(row.reachable());
    assert_eq!(report.rows[1].status(), RowStatus::Unreachable);
    assert!(render_sweep_table(&report).contains("timed out"));
    let json: serde_json::Value = serde_json::from_str(&render_sweep_json(&report)).unwrap();
    assert_eq!(json["targets"][0]["status"], "timed_out");
    assert_eq!(
        json["targets"][0]["rules"][0]["id"], "RPC-001",
        "{}",
        json["targets"][0]
    );
    stalling.shutdown().await;
}

/// An h2c server that completes HTTP/2 setup and then never answers a call.
async fn answers_nothing_after_setup() -> SocketAddr {
    use hyper::service::service_fn;
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(|_: http::Request<hyper::body::Incoming>| async {
                    tokio::time::sleep(Duration::from_secs(120)).await;
                    Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Empty::<bytes::Bytes>::new()))
                });
                let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            });
        }
    });
    address
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_connects_then_stops_answering_is_told_from_an_unreachable_one() {
    let silent = answers_nothing_after_setup().await;
    let text = format!("http://{silent}\nhttp://{}\n", refused_port());
    let targets = sweep::parse_targets(&text, Path::new("targets.txt"), &[]).unwrap();
    let report = sweep::sweep(
        targets,
        &suite::built_in(),
        &lpconform::gateway::Gateway::from(&EthKey::random()),
        &settings(2, Duration::from_secs(30), Duration::from_secs(1)),
        |_, _| {},
    )
    .await;
    let (silent_row, refused_row) = (&report.rows[0], &report.rows[1]);
    assert_eq!(silent_row.status(), RowStatus::StoppedAnswering);
    assert!(silent_row.reachable());
    let problem = silent_row.problem().unwrap();
    assert!(problem.starts_with("connected, then stopped answering"), "{problem}");
    assert_eq!(refused_row.status(), RowStatus::Unreachable);
    assert!(!refused_row.reachable());
    let table = render_sweep_table(&report);
    assert!(
        table.contains("stopped answering") && table.contains("unreachable"),
        "{table}"
    );
    assert!(table.contains("1 unreachable, 1 stopped answering"), "{table}");
    let json: serde_json::Value = serde_json::from_str(&render_sweep_json(&report)).unwrap();
    assert_eq!(json["targets"][0]["status"], "stopped_answering");
    assert_eq!(json["summary"]["stopped_answering"], 1);
    assert_eq!(json["targets"][1]["status"], "unreachable");
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_sweeps_a_file_with_exit_codes_table_json_and_html() {
    // On chain, where go-livepeer advertises a price to show and to break.
    let on_chain = || ReferenceConfig {
        chain: ChainMode::OnChain,
        ..ReferenceConfig::loopback()
    };
    let clean = reference::start(on_chain()).await.unwrap();
    let clean_h2c = reference::start(ReferenceConfig {
        tls: false,
        ..on_chain()
    })
    .await
    .unwrap();
    let faulted = reference::start(ReferenceConfig {
        faults: vec![PriceFault::NegativePrice.into()],
        ..on_chain()
    })
    .await
    .unwrap();
    let refused = refused_port();
    let scratch = tempfile::tempdir().unwrap();
    let directory = scratch.path().to_path_buf();
    std::fs::write(
        directory.join("clean.txt"),
        format!("# two clean orchestrators\n\n{}\n{}\n", clean.url(), clean_h2c.url()),
    )
    .unwrap();
    std::fs::write(
        directory.join("mixed.txt"),
        format!(
            "{}\n# a faulted one\n{}\nhttps://{refused}\n",
            clean.url(),
            faulted.url()
        ),
    )
    .unwrap();
    std::fs::write(
        directory.join("bad.json"),
        format!(
            "[\n  \"{}\",\n  {{\"target\": \"{}\", \"expect\": [\"pricePerUnit=lots\"]}}\n]\n",
            clean.url(),
            clean.url()
        ),
    )
    .unwrap();

    let outputs = tokio::task::spawn_blocking(move || {
        let run = |args: &[&str]| lpconform(&directory, args);
        let common = ["sweep", "--call-timeout", "5s", "--concurrency", "4"];
        let with = |extra: &[&'static str]| [&common[..], extra].concat();
        (
            run(&with(&["--targets", "clean.txt"])),
            run(&with(&[
                "--targets",
                "mixed.txt",
                "--format",
                "json",
                "--report-html",
                "sweep.html",
            ])),
            run(&with(&["--targets", "bad.json"])),
            run(&with(&["--targets", "missing.txt"])),
            run(&with(&[
                "--targets",
                "clean.txt",
                "--report-html",
                "no/such/dir/sweep.html",
            ])),
            std::fs::read_to_string(directory.join("sweep.html")).unwrap_or_default(),
        )
    })
    .await
    .unwrap();
    let (clean_run, mixed_run, bad_run, missing_run, bad_html_run, html) = outputs;

    assert_eq!(clean_run.status.code(), Some(0), "{}", text(&clean_run.stderr));
    let table = text(&clean_run.stdout);
    assert!(table.starts_with("verdict"), "{table}");
    assert_eq!(
        table.lines().filter(|line| line.starts_with("conformant")).count(),
        2,
        "{table}"
    );
    assert!(
        table.contains("1010/1 = 1010") && table.contains("2 conformant"),
        "{table}"
    );
    assert!(
        clean_run.stderr.is_empty(),
        "no progress bar without a terminal: {}",
        text(&clean_run.stderr)
    );

    assert_eq!(mixed_run.status.code(), Some(1), "{}", text(&mixed_run.stderr));
    let json: JsonSweep = serde_json::from_slice(&mixed_run.stdout).unwrap();
    assert_eq!(json.format_version, 1);
    assert!(!json.conformant);
    let statuses: Vec<(usize, JsonRowStatus)> = json.targets.iter().map(|row| (row.line, row.status)).collect();
    assert_eq!(
        statuses,
        [
            (1, JsonRowStatus::Conformant),
            (3, JsonRowStatus::Findings),
            (4, JsonRowStatus::Unreachable)
        ]
    );
    assert_eq!(json.targets[1].must_failures, ["PRICE-002"]);
    assert_eq!(
        json.targets[1].transcoding_price.as_ref().unwrap().wei_per_pixel,
        "-1/1"
    );
    assert!(!json.targets[2].reachable && json.targets[2].problem.is_some());
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("PRICE-002"),
        "{html}"
    );
    assert!(html.contains(&faulted.url()) && !html.contains("<script"));

    assert_eq!(bad_run.status.code(), Some(2));
    let error = text(&bad_run.stderr);
    assert!(
        error.contains("bad.json:3: ") && error.contains("expect pricePerUnit=lots"),
        "{error}"
    );
    assert_eq!(missing_run.status.code(), Some(2));
    assert!(text(&missing_run.stderr).contains("missing.txt: cannot read"));
    assert_eq!(bad_html_run.status.code(), Some(2));
    assert!(text(&bad_html_run.stderr).contains("no/such/dir"));

    for server in [clean, clean_h2c, faulted] {
        server.shutdown().await;
    }
}

#[test]
fn the_documented_example_parses_into_the_schema() {
    let example = documented_example(SCHEMA_DOC);
    let parsed: JsonSweep = serde_json::from_str(&example).unwrap();
    assert_eq!(parsed.format_version, 1);
    assert!(key_paths(&example).is_subset(&documented_keys(SCHEMA_DOC)));
}
