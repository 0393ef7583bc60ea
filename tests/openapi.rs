//! The OpenAPI document against the embedded orchestrator over real sockets: the JSON it serves
//! at GET /orchestrator/info (HTTP/2 over TLS and h2c, HTTP/1.1 as curl sends it) satisfies the
//! shipped document, the SPEC rules judge a probe of it, and `lpconform spec drift` runs on the
//! shipped files.

use std::path::Path;
use std::process::Command;

use lpconform::ambient::unix_now;
use lpconform::driver::Driver;
use lpconform::eth::EthKey;
use lpconform::expect::Expectations;
use lpconform::gateway::Gateway;
use lpconform::openapi::OpenApiDocument;
use lpconform::protocol::{Protocol, INFO_PATH};
use lpconform::reference::faults::RequiredFault;
use lpconform::reference::{self, ChainMode, ReferenceConfig, RunningOrchestrator};
use lpconform::rules::{self, Context, ModeOverrides, RuleResult, Verdict};
use lpconform::runner::standard_probe;
use lpconform::transport::{Connection, HttpRequest, HttpVersion, TransportOptions};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");

fn shipped_document() -> OpenApiDocument {
    OpenApiDocument::load(&Path::new(MANIFEST_DIR).join("openapi/orchestrator.yaml")).unwrap()
}

/// On chain, transcoding and AI: every schema of the document has something to check.
fn full_config(tls: bool) -> ReferenceConfig {
    let models = Path::new(MANIFEST_DIR).join("fixtures/aiModels.json");
    ReferenceConfig {
        tls,
        chain: ChainMode::OnChain,
        ai_models: lpconform::ai_models::load_ai_models(&models).unwrap(),
        serve_info_json: true,
        ..ReferenceConfig::loopback()
    }
}

async fn connect(running: &RunningOrchestrator) -> Connection {
    let target = running.target();
    Connection::connect(&target, &TransportOptions::default())
        .await
        .unwrap()
}

/// A GET as curl sends it without flags: HTTP/1.1, closing the connection after the answer.
async fn http1_get(running: &RunningOrchestrator, path: &str) -> (String, String) {
    let mut stream = tokio::net::TcpStream::connect(running.local_addr()).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    (head.to_string(), body.to_string())
}

#[tokio::test]
async fn the_served_json_satisfies_the_shipped_document() {
    let document = shipped_document();
    for tls in [true, false] {
        let running = reference::start(full_config(tls)).await.unwrap();
        let get = HttpRequest::new(HttpVersion::Http2, http::Method::GET, INFO_PATH);
        let answer = connect(&running).await.http(&get).await.unwrap();
        let json: Value = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!(document.validate_info(&json), [], "{}: {json}", running.url());
        assert!(json["price_info"]["price_per_unit"].is_i64());
        assert!(json["ticket_params"]["face_value"].as_str().unwrap().starts_with("0x"));
        assert!(!json["hardware"].as_array().unwrap().is_empty());
        running.shutdown().await;
    }
}

#[tokio::test]
async fn curl_style_http1_gets_the_same_json() {
    let running = reference::start(full_config(false)).await.unwrap();
    let (head, body) = http1_get(&running, INFO_PATH).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("content-type: application/json"),
        "{head}"
    );
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(shipped_document().validate_info(&json), []);
    running.shutdown().await;
}

/// Probes the orchestrator as `lpconform run` does and judges it against the shipped document.
async fn judge(config: ReferenceConfig) -> Vec<RuleResult> {
    let running = reference::start(config).await.unwrap();
    let driver = Driver::new(
        connect(&running).await,
        Protocol::built_in(),
        Gateway::from(&EthKey::random()),
    );
    let observation = standard_probe(&driver).await;
    let document = shipped_document();
    let expectations = Expectations::default();
    let context =
        Context::new(&observation, &expectations, ModeOverrides::default(), unix_now()).with_openapi(&document);
    let results = rules::evaluate(&context);
    running.shutdown().await;
    results
}

fn result<'a>(results: &'a [RuleResult], id: &str) -> &'a RuleResult {
    results.iter().find(|result| result.rule.id == id).unwrap()
}

#[tokio::test]
async fn spec_rules_judge_the_embedded_orchestrator() {
    let clean = judge(full_config(true)).await;
    assert_eq!(
        result(&clean, "SPEC-001").verdict,
        Verdict::Pass,
        "{:?}",
        result(&clean, "SPEC-001")
    );
    assert_eq!(result(&clean, "PRICE-007").verdict, Verdict::Pass);
    // The shipped document drifts from proto3 JSON by design: reported, never failed.
    assert_eq!(result(&clean, "SPEC-002").verdict, Verdict::Warn);

    let dropped = judge(ReferenceConfig {
        faults: vec![RequiredFault::NoPriceInfo.into()],
        ..full_config(true)
    })
    .await;
    let spec_001 = result(&dropped, "SPEC-001");
    assert_eq!(spec_001.verdict, Verdict::Fail);
    let paths: Vec<&str> = spec_001.findings.iter().map(|finding| finding.path.as_str()).collect();
    assert_eq!(paths, ["price_info"]);
}

#[test]
fn spec_drift_lists_the_drift_and_exits_zero() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_lpconform"))
            .current_dir(MANIFEST_DIR)
            .args(args)
            .output()
            .unwrap()
    };
    let table = run(&["spec", "drift"]);
    let stdout = String::from_utf8_lossy(&table.stdout);
    assert_eq!(table.status.code(), Some(0), "{stdout}");
    assert!(stdout.starts_with("OpenAPI  openapi/orchestrator.yaml"), "{stdout}");
    assert!(stdout.contains("PriceInfo.price_per_unit"), "{stdout}");

    let json = run(&["spec", "drift", "--format", "json", "--proto", "proto/lp_rpc.proto"]);
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["format_version"], 1);
    assert!(!report["drifts"].as_array().unwrap().is_empty());

    let scratch = tempfile::tempdir().unwrap();
    let broken = scratch.path().join("broken.yaml");
    std::fs::write(&broken, "openapi: 3.0.3\ninfo: [unclosed\n").unwrap();
    let failed = run(&["spec", "drift", "--openapi", broken.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("{}:3:1:", broken.display())), "{stderr}");
}

#[test]
fn run_judges_by_the_openapi_flag_and_refuses_a_broken_document() {
    let scratch = tempfile::tempdir().unwrap();
    let broken = scratch.path().join("broken.yaml");
    std::fs::write(&broken, "openapi: 3.0.3\ninfo: [unclosed\n").unwrap();
    let failed = Command::new(env!("CARGO_BIN_EXE_lpconform"))
        .current_dir(MANIFEST_DIR)
        .args(["run", "--openapi", broken.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("{}:3:1:", broken.display())), "{stderr}");

    // A document requiring a property the protocol never sends fails SPEC-001 in a run.
    let shipped = std::fs::read_to_string(Path::new(MANIFEST_DIR).join("openapi/orchestrator.yaml")).unwrap();
    let demanding = scratch.path().join("demanding.yaml");
    let edited = shipped.replacen("        - transcoder\n", "        - transcoder\n        - region\n", 1);
    assert_ne!(edited, shipped, "the shipped document lists `transcoder` as required");
    std::fs::write(&demanding, edited).unwrap();
    let judged = Command::new(env!("CARGO_BIN_EXE_lpconform"))
        .current_dir(MANIFEST_DIR)
        .args(["run", "--case", "openapi::", "--openapi", demanding.to_str().unwrap()])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&judged.stdout);
    assert_eq!(judged.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("SPEC-001"), "{stdout}");
    assert!(stdout.contains("region"), "{stdout}");
}
