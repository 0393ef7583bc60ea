//! The loaded proto drives the run: an orchestrator built from a newer `lp_rpc.proto`, written
//! here (an OrchestratorInfo field 35, a request field, a GetStatus method), in front of the
//! embedded reference. Without `--proto` the run reports field 35 as SPEC-003; with `--proto`
//! on the newer file the field shows by name in the JSON report and a recorded snapshot, a suite
//! calls GetStatus by name, and fuzzing sends cases for the new fields.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Output;

use bytes::{Buf, Bytes};
use http::{HeaderMap, HeaderValue, Request, Response};
use http_body::Frame;
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use lpconform::eth;
use lpconform::observe::CallError;
use lpconform::protocol::Protocol;
use lpconform::reference::{self, ReferenceConfig, RunningOrchestrator};
use lpconform::transport::{Connection, TransportOptions};
use prost::Message as _;
use prost_reflect::{DynamicMessage, Value};
use tokio::net::TcpListener;

mod common;

use common::{lpconform, Frames};

/// The newer protocol: lp_rpc.proto with three additions.
fn newer_proto() -> String {
    let shipped = include_str!("../proto/lp_rpc.proto");
    shipped
        .replacen(
            "message OrchestratorInfo {",
            "message OrchestratorInfo {\n  // The release channel the node follows (newer protocol).\n  string release_channel = 35;",
            1,
        )
        .replacen(
            "  bool ignoreCapacityCheck = 4;",
            "  bool ignoreCapacityCheck = 4;\n  // Where the gateway is (newer protocol).\n  string region = 5;",
            1,
        )
        .replacen(
            "  rpc Ping(PingPong) returns (PingPong);",
            "  rpc Ping(PingPong) returns (PingPong);\n  rpc GetStatus(StatusRequest) returns (StatusReply);",
            1,
        )
        + "\nenum Verbosity {\n  BRIEF = 0;\n  FULL = 1;\n}\n\nmessage StatusRequest {\n  bytes address = 1;\n  bytes sig = 2;\n  Verbosity verbosity = 3;\n}\n\nmessage StatusReply {\n  string state = 1;\n  uint32 sessions = 2;\n}\n"
}

fn grpc_answer(outcome: Result<Vec<u8>, (i32, String)>) -> Response<Frames> {
    let mut trailers = HeaderMap::new();
    let mut frames = Vec::new();
    match outcome {
        Ok(message) => {
            trailers.insert("grpc-status", HeaderValue::from_static("0"));
            let mut framed = vec![0];
            framed.extend_from_slice(&(message.len() as u32).to_be_bytes());
            framed.extend_from_slice(&message);
            frames.push(Frame::data(Bytes::from(framed)));
        }
        Err((code, text)) => {
            trailers.insert("grpc-status", HeaderValue::from(code));
            trailers.insert("grpc-message", HeaderValue::from_str(&text).unwrap());
        }
    }
    frames.push(Frame::trailers(trailers));
    frames.reverse();
    Response::builder()
        .header("content-type", "application/grpc")
        .body(Frames(frames))
        .unwrap()
}

/// The newer orchestrator: GetStatus answered here from the newer descriptors (a signed request
/// is `FULL`-ly answered), every other call passed to the reference, and field 35 set on every
/// discovery answer.
struct Newer {
    proto: Protocol,
    reference: Connection,
}

impl Newer {
    async fn answer(&self, path: &str, request: Bytes) -> Result<Vec<u8>, (i32, String)> {
        let status_request = self.proto.message("net.StatusRequest").unwrap();
        if path == "/net.Orchestrator/GetStatus" {
            let request = DynamicMessage::decode(status_request, request).map_err(|error| (3, error.to_string()))?;
            let bytes = |name| match request.get_field_by_name(name).map(|value| value.into_owned()) {
                Some(Value::Bytes(bytes)) => bytes.to_vec(),
                _ => Vec::new(),
            };
            let signer = eth::Address::from_slice(&bytes("address")).ok().filter(|address| {
                eth::recover_signer(&eth::orchestrator_request_message(address), &bytes("sig")) == Ok(*address)
            });
            let full =
                request.get_field_by_name("verbosity").map(|value| value.into_owned()) == Some(Value::EnumNumber(1));
            let mut reply = DynamicMessage::new(self.proto.message("net.StatusReply").unwrap());
            reply.set_field_by_name(
                "state",
                Value::String(if signer.is_some() { "serving" } else { "unsigned" }.into()),
            );
            reply.set_field_by_name("sessions", Value::U32(if full { 3 } else { 0 }));
            return Ok(reply.encode_to_vec());
        }
        let answer = self
            .reference
            .call_raw(path, request)
            .await
            .map_err(|error| match error {
                CallError::Status { code, message } => (code as i32, message),
                other => (14, other.to_string()),
            })?;
        if path != "/net.Orchestrator/GetOrchestrator" {
            return Ok(answer.to_vec());
        }
        let mut info = DynamicMessage::decode(self.proto.message("net.OrchestratorInfo").unwrap(), answer).unwrap();
        info.set_field_by_name("release_channel", Value::String("beta".into()));
        Ok(info.encode_to_vec())
    }
}

/// Starts the reference behind the newer orchestrator; returns the newer one's URL.
async fn newer_orchestrator(proto: Protocol) -> (String, RunningOrchestrator) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address: SocketAddr = listener.local_addr().unwrap();
    let url = format!("http://{address}");
    let running = reference::start(ReferenceConfig {
        tls: false,
        service_uri: Some(url.clone()),
        ..ReferenceConfig::loopback()
    })
    .await
    .unwrap();
    let target = running.target();
    let reference = Connection::connect(&target, &TransportOptions::default())
        .await
        .unwrap();
    let newer = std::sync::Arc::new(Newer { proto, reference });
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let newer = newer.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<Incoming>| {
                    let newer = newer.clone();
                    async move {
                        let path = request.uri().path().to_string();
                        let mut body = request
                            .into_body()
                            .collect()
                            .await
                            .map(|body| body.to_bytes())
                            .unwrap_or_default();
                        let message = if body.len() >= 5 {
                            body.advance(5);
                            body
                        } else {
                            Bytes::new()
                        };
                        Ok::<_, Infallible>(grpc_answer(newer.answer(&path, message).await))
                    }
                });
                let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            });
        }
    });
    (url, running)
}

const NEWER_SUITE: &str = "\
description: What the newer protocol adds.
cases:
  - id: status
    description: GetStatus, a method only the newer proto has, answers a signed request by name.
    calls:
      - call:
          method: net.Orchestrator/GetStatus
          request: { verbosity: FULL }
          sign: true
        answer:
          state: { equals: serving }
          sessions: { equals: 3 }
    rules: [RPC-003, RPC-004, RPC-006, SPEC-003]
  - id: info
    description: The discovery answer, pinned with the newer field.
    calls:
      - get_orchestrator: {}
    rules: [SPEC-003]
    snapshot: info
";

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn files_under(directory: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(directory).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[test]
fn a_newer_proto_drives_the_run_without_a_rebuild() {
    let scratch = tempfile::tempdir().unwrap();
    let newer_dir = scratch.path().join("newer");
    std::fs::create_dir(&newer_dir).unwrap();
    let proto_file = newer_dir.join("lp_rpc.proto");
    std::fs::write(&proto_file, newer_proto()).unwrap();
    let suite_file = scratch.path().join("newer.yaml");
    std::fs::write(&suite_file, NEWER_SUITE).unwrap();
    let proto = Protocol::load(&proto_file).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (url, running) = runtime.block_on(newer_orchestrator(proto));
    let proto_flag = proto_file.to_str().unwrap();

    // The built-in proto: field 35 is unknown, SPEC-003 names it.
    let built_in = lpconform(scratch.path(), &["run", "--target", &url, "--format", "json"]);
    let report: serde_json::Value =
        serde_json::from_slice(&built_in.stdout).unwrap_or_else(|_| panic!("{}", text(&built_in)));
    let spec_003: Vec<&serde_json::Value> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|case| case["rules"].as_array().unwrap())
        .filter(|rule| rule["id"] == "SPEC-003")
        .flat_map(|rule| rule["findings"].as_array().unwrap())
        .collect();
    assert!(
        spec_003.iter().any(|finding| finding["path"] == "info.35"
            && finding["actual"]
                .as_str()
                .unwrap()
                .contains("unknown field 35 (wire type 2)")),
        "{spec_003:?}"
    );
    assert_eq!(report["advertised"].get("newer_fields"), None);

    // The newer proto: field 35 by name in the JSON report, not SPEC-003.
    let newer = lpconform(
        scratch.path(),
        &["run", "--target", &url, "--proto", proto_flag, "--format", "json"],
    );
    let report: serde_json::Value =
        serde_json::from_slice(&newer.stdout).unwrap_or_else(|_| panic!("{}", text(&newer)));
    assert_eq!(
        report["advertised"]["newer_fields"],
        serde_json::json!([{ "path": "release_channel", "value": "beta" }]),
        "{report}"
    );
    assert!(
        !newer.stdout.windows(9).any(|window| window == b"\"info.35\""),
        "{}",
        text(&newer)
    );
    assert_eq!(newer.status.code(), Some(0), "{}", text(&newer));

    // A suite calls GetStatus by name and pins the discovery answer with the newer field.
    let snapshots = scratch.path().join("snapshots");
    let suite_flag = suite_file.to_str().unwrap();
    let snapshot_flag = snapshots.to_str().unwrap();
    let report_file = scratch.path().join("scripted.json");
    let scripted = lpconform(
        scratch.path(),
        &[
            "run",
            "--target",
            &url,
            "--proto",
            proto_flag,
            "--suite",
            suite_flag,
            "--snapshots",
            snapshot_flag,
            "--update-snapshots",
            "--report-json",
            report_file.to_str().unwrap(),
        ],
    );
    assert_eq!(scripted.status.code(), Some(0), "{}", text(&scripted));
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report_file).unwrap()).unwrap();
    let steps: Vec<(String, String, bool)> = report["cases"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| {
            (
                step["call"].as_str().unwrap().to_string(),
                step["actual"].as_str().unwrap().to_string(),
                step["passed"] == true,
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (
                "net.Orchestrator/GetStatus (scripted)".to_string(),
                "an answer".to_string(),
                true
            ),
            ("answer sessions".into(), "3".into(), true),
            ("answer state".into(), "serving".into(), true),
        ]
    );
    let recorded: Vec<String> = files_under(&snapshots)
        .iter()
        .map(|file| std::fs::read_to_string(file).unwrap())
        .collect();
    assert!(
        recorded
            .iter()
            .any(|snapshot| snapshot.contains("release_channel: beta")),
        "{recorded:?}"
    );

    // Without the newer proto the suite names a method that does not exist: a located error.
    let unknown = lpconform(scratch.path(), &["run", "--target", &url, "--suite", suite_flag]);
    let output = text(&unknown);
    assert_eq!(unknown.status.code(), Some(2), "{output}");
    assert!(output.contains("newer.yaml:7:"), "{output}");
    assert!(
        output.contains("has no method \"net.Orchestrator/GetStatus\""),
        "{output}"
    );

    // Fuzzing with the newer proto sends cases for its new fields.
    let fuzzed = lpconform(
        scratch.path(),
        &[
            "fuzz",
            "--target",
            &url,
            "--proto",
            proto_flag,
            "--seed",
            "1",
            "--max-requests",
            "40",
            "--family",
            "field:GetStatus.verbosity",
            "--family",
            "field:GetOrchestrator.region",
        ],
    );
    let output = text(&fuzzed);
    assert_ne!(fuzzed.status.code(), Some(2), "{output}");
    assert!(output.contains("field:GetStatus.verbosity 20"), "{output}");
    assert!(output.contains("field:GetOrchestrator.region 20"), "{output}");
    let without = lpconform(
        scratch.path(),
        &["fuzz", "--target", &url, "--family", "field:GetStatus.verbosity"],
    );
    assert_eq!(without.status.code(), Some(2), "{}", text(&without));

    runtime.block_on(running.shutdown());
}
